"""The series files' bytes are checked before unidiff reads them: line ends other than LF,
hunk headers that do not parse, hunks whose lines do not match their header's counts, and
text outside any hunk are refused, naming the patch and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.test_series_and_layout import PATCH
from tools.errors import ConfigError
from tools.patchbytes import diff_problem
from tools.pins import load_pins
from tools.series import parse_patch

GOOD = PATCH.encode()
# Line numbers in PATCH: the first hunk header, its added line `+two and a half`, the second
# hunk header, and its last line.
FIRST_HUNK, ADDED, SECOND_HUNK, LAST = 18, 21, 24, 27


def _line(number: int) -> bytes:
    return GOOD.split(b"\n")[number - 1]


def test_the_lines_named_here() -> None:
    assert _line(FIRST_HUNK) == b"@@ -1,3 +1,4 @@"
    assert _line(ADDED) == b"+two and a half"
    assert _line(SECOND_HUNK) == b"@@ -10,2 +11,2 @@"
    assert _line(LAST) == b"+eleven!"
    assert diff_problem(GOOD) is None


def _swap(line: int, new: bytes) -> bytes:
    lines = GOOD.split(b"\n")
    lines[line - 1] = new
    return b"\n".join(lines)


BAD: dict[str, tuple[bytes, int, str]] = {
    "CR-terminated added line": (
        _swap(ADDED, b"+two and a half\r"),
        ADDED,
        "the line ends with CR LF",
    ),
    "CRLF patch": (GOOD.replace(b"\n", b"\r\n"), 1, "the line ends with CR LF"),
    "CR-only patch": (GOOD.replace(b"\n", b"\r"), 1, "the line holds a carriage return"),
    "CR inside an added line": (_swap(ADDED, b"+two\rand a half"), ADDED, "carriage return"),
    "hunk header that does not parse": (
        _swap(SECOND_HUNK, b"@@ -10,2 +11,two @@"),
        SECOND_HUNK,
        "the hunk header `@@ -10,2 +11,two @@` does not parse",
    ),
    "hunk header replaced by garbage": (
        _swap(FIRST_HUNK, b"garbage"),
        FIRST_HUNK,
        "`garbage` is in a file's diff header",
    ),
    "hunk with fewer lines than counted": (
        _swap(FIRST_HUNK, b"@@ -1,3 +1,6 @@"),
        SECOND_HUNK,
        "the hunk `@@ -1,3 +1,6 @@` at line 18 does not match its header's line counts: "
        "0 old and 2 new lines missing",
    ),
    "hunk with more lines than counted": (
        _swap(FIRST_HUNK, b"@@ -1,2 +1,4 @@"),
        FIRST_HUNK + 5,
        "the hunk `@@ -1,2 +1,4 @@` at line 18 does not match its header's line counts: one old "
        "line more than it counts",
    ),
    "truncated last hunk": (
        GOOD.replace(b"-- \n2.47.3\n", b"").replace(b"+eleven!\n", b""),
        SECOND_HUNK,
        "0 old and 1 new lines missing",
    ),
    "text outside any hunk": (
        _swap(LAST, b"+eleven!\nA stray line"),
        LAST + 1,
        "`A stray line` is outside any hunk",
    ),
    "empty line inside a hunk": (
        _swap(FIRST_HUNK + 1, b""),
        FIRST_HUNK + 1,
        "an empty line inside a hunk",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_refused_naming_patch_and_line(tmp_path: Path, case: str) -> None:
    data, line, text = BAD[case]
    problem = diff_problem(data)
    assert problem is not None
    assert (problem.line, text in problem.problem) == (line, True), problem
    patch = tmp_path / "0001-x.patch"
    patch.write_bytes(data)
    with pytest.raises(ConfigError) as refused:
        parse_patch(patch)
    assert str(refused.value).startswith(f"{patch}:{line}: ")
    assert "\n" not in str(refused.value)


def test_no_newline_markers_and_signature_are_diff_text() -> None:
    marked = GOOD.replace(b"+eleven!\n", b"+eleven!\n\\ No newline at end of file\n")
    assert diff_problem(marked) is None
    unsigned = GOOD.replace(b"-- \n2.47.3\n", b"")
    assert diff_problem(unsigned) is None
    # a removed line reading `- ` inside a hunk is counted, not taken for the signature
    removed = _swap(SECOND_HUNK, b"@@ -10,3 +11,2 @@").replace(b"-eleven\n", b"-eleven\n-- \n")
    assert diff_problem(removed) is None


def test_the_committed_series_pass() -> None:
    paths = [path for pin in load_pins().pins for path in pin.patch_paths]
    assert paths
    assert {path.name: diff_problem(path.read_bytes()) for path in paths} == dict.fromkeys(
        (path.name for path in paths), None
    )
