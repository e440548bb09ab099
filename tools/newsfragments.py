"""pyo3's changelog entries are files named after the pull request (`newsfragments/<PR number>.
<type>.md`, checked by its `check-changelog` CI session), and the number exists only once the
pull request is open. The series therefore names them with a placeholder, and `tools pr
--pr-number N` gives the branch the real names.

In a stack of pull requests, each pull request needs a fragment of its own, and the series as a
whole must apply: the fragments of pull request k > 1 are therefore named `PR-NUMBER-k.<type>.md`,
and each pull request's patches are renamed with that pull request's number.

The renaming rewrites the file names in the patches' headers before they are replayed, so the
commits on the branch add `N.added.md` directly; the lines of the patches are never touched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath

PLACEHOLDER = "PR-NUMBER"
_FRAGMENT_DIR = "newsfragments"
# The header lines of a git patch that name a file (the content lines are data).
_HEADER = re.compile(r"^(diff --git |--- |\+\+\+ |rename from |rename to |copy from |copy to )")


_NAME = re.compile(rf"{PLACEHOLDER}(?:-[0-9]+)?(?=\.)")


def is_placeholder(path: str) -> bool:
    """Whether `path` is a newsfragment still named with the placeholder."""
    pure = PurePosixPath(path)
    return pure.parent.name == _FRAGMENT_DIR and _NAME.match(pure.name) is not None


def numbered(path: str, number: int) -> str:
    """The name of a placeholder newsfragment for pull request `number`."""
    if not is_placeholder(path):
        return path
    pure = PurePosixPath(path)
    return str(pure.with_name(_NAME.sub(str(number), pure.name, count=1)))


def placeholders(paths: Iterable[str]) -> list[str]:
    """The placeholder newsfragments among `paths`, in order, without repeats."""
    found: list[str] = []
    for path in paths:
        if is_placeholder(path) and path not in found:
            found.append(path)
    return found


def number_patch(text: str, number: int) -> str:
    """The patch with every placeholder newsfragment in its file headers named for `number`."""
    lines = text.splitlines(keepends=True)
    # The headers end where the first hunk of each file starts; a hunk's lines start with
    # ' ', '+', '-' or '\', and a '+++ ' or '--- ' inside a hunk is content, not a header.
    in_hunk = False
    for index, line in enumerate(lines):
        if line.startswith("diff --git "):
            in_hunk = False
        elif line.startswith("@@ "):
            in_hunk = True
            continue
        if in_hunk or not _HEADER.match(line):
            continue
        lines[index] = _rename_in_header(line, number)
    return "".join(lines)


def _rename_in_header(line: str, number: int) -> str:
    pattern = re.compile(rf"(?<={_FRAGMENT_DIR}/){_NAME.pattern}")
    return pattern.sub(str(number), line)
