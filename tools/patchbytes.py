"""A series file's diff checked byte by byte, before unidiff reads it.

unidiff is forgiving where a reviewer must not be: it drops a hunk whose header does not parse,
and reading the file as text turns CR LF and CR-only line ends into LF. This check reads the
raw bytes and finds the first line that `git format-patch` would not have written: a carriage
return anywhere, a hunk header that does not parse, a hunk with more or fewer lines than its
header counts, or text outside any hunk. Only the diff is checked (from the first
`diff --git` line); the message above it is prose, apart from the CR rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tools.errors import printable

_HUNK = re.compile(rb"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(?: .*)?")
# What git writes between `diff --git` and the first hunk.
_FILE_HEADERS = (
    b"old mode ",
    b"new mode ",
    b"deleted file mode ",
    b"new file mode ",
    b"copy from ",
    b"copy to ",
    b"rename from ",
    b"rename to ",
    b"similarity index ",
    b"dissimilarity index ",
    b"index ",
    b"Binary files ",
    b"--- ",
    b"+++ ",
)
_SIGNATURE = b"-- "  # format-patch's signature separator; what follows is not part of the diff
_NO_NEWLINE = b"\\"  # `\ No newline at end of file`, after the line it is about


@dataclass(frozen=True)
class LineProblem:
    line: int  # 1-based line number in the file
    problem: str


def _quoted(line: bytes) -> str:
    return "`" + printable(line.decode("utf-8", errors="replace"), 60) + "`"


def _carriage_return(lines: list[bytes]) -> LineProblem | None:
    for number, line in enumerate(lines, start=1):
        if line.endswith(b"\r") and b"\r" not in line[:-1]:
            return LineProblem(number, "the line ends with CR LF; a series uses LF line ends only")
        if b"\r" in line:
            return LineProblem(
                number,
                "the line holds a carriage return (CR-only line ends, or a CR in the content); "
                "a series uses LF line ends only",
            )
    return None


@dataclass
class _Hunk:
    line: int
    header: bytes
    old: int  # lines of the old side still expected
    new: int

    def mismatch(self, detail: str) -> str:
        return (
            f"the hunk {_quoted(self.header)} at line {self.line} does not match its header's "
            f"line counts: {detail}"
        )

    def short(self) -> str:
        return self.mismatch(f"{self.old} old and {self.new} new lines missing")


def _open_hunk(number: int, line: bytes) -> _Hunk | LineProblem:
    match = _HUNK.fullmatch(line)
    if match is None:
        return LineProblem(number, f"the hunk header {_quoted(line)} does not parse")
    old = 1 if match[2] is None else int(match[2])
    new = 1 if match[4] is None else int(match[4])
    if old == new == 0:
        return LineProblem(number, f"the hunk header {_quoted(line)} counts no lines")
    return _Hunk(number, line, old, new)


def _in_hunk(hunk: _Hunk, number: int, line: bytes) -> LineProblem | None:
    """Counts one line of the hunk against its header."""
    kind = line[:1]
    if kind == _NO_NEWLINE:
        return None
    if kind not in (b" ", b"-", b"+"):
        if not line:
            empty = "an empty line inside a hunk (context lines start with a space); "
            return LineProblem(number, empty + hunk.short())
        return LineProblem(number, hunk.short())
    if kind in (b" ", b"-"):
        hunk.old -= 1
    if kind in (b" ", b"+"):
        hunk.new -= 1
    if hunk.old < 0 or hunk.new < 0:
        side = "old" if hunk.old < 0 else "new"
        return LineProblem(number, hunk.mismatch(f"one {side} line more than it counts"))
    return None


def diff_problem(data: bytes) -> LineProblem | None:
    """The first line of a series file that `git format-patch` would not have written."""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if (problem := _carriage_return(lines)) is not None:
        return problem
    start = next((i for i, line in enumerate(lines) if line.startswith(b"diff --git ")), None)
    if start is None:
        return None  # not a diff at all: the parser says so
    state = "header"  # header, hunk, between (after a hunk), binary
    hunk: _Hunk | None = None
    for number, line in enumerate(lines[start:], start=start + 1):
        if state == "hunk":
            assert hunk is not None
            if (problem := _in_hunk(hunk, number, line)) is not None:
                return problem
            if hunk.old == hunk.new == 0:
                state = "between"
            continue
        if line.startswith(b"diff --git "):
            state = "header"
        elif state == "binary":
            continue
        elif line.startswith(b"@@"):
            opened = _open_hunk(number, line)
            if isinstance(opened, LineProblem):
                return opened
            hunk, state = opened, "hunk"
        elif line == _SIGNATURE:
            return None
        elif state == "header" and line == b"GIT binary patch":
            state = "binary"
        elif not line.startswith(_FILE_HEADERS if state == "header" else _NO_NEWLINE):
            if state == "between" and line[:1] in (b" ", b"-", b"+") and hunk is not None:
                return LineProblem(number, hunk.mismatch("a line more than it counts"))
            where = "in a file's diff header" if state == "header" else "outside any hunk"
            return LineProblem(number, f"{_quoted(line)} is {where}")
    if state == "hunk":
        assert hunk is not None
        return LineProblem(hunk.line, hunk.short())
    return None
