"""`tools check` and `tools check --no-apply` refuse a series file whose bytes `git
format-patch` would not have written (exit 2, naming the patch and the line), where before a
CR-terminated line and a CRLF patch passed, a garbage hunk header passed `--no-apply` and failed
`check` with exit 3, and a CR-only file ended in a bare "Patch is empty."."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import RunTools
from tests.integration.test_no_traceback import one_error
from tests.upstream_fixture import FakeUpstream

# The fake upstream's second patch: its hunk header is at line 12, `+    43` at line 17.
HUNK, ADDED = 12, 17
EDITS: dict[str, tuple[Callable[[bytes], bytes], int, str]] = {
    "CR-terminated added line": (
        lambda b: b.replace(b"+    43\n", b"+    43\r\n"),
        ADDED,
        "the line ends with CR LF",
    ),
    "CRLF patch": (lambda b: b.replace(b"\n", b"\r\n"), 1, "the line ends with CR LF"),
    "CR-only patch": (lambda b: b.replace(b"\n", b"\r"), 1, "carriage return"),
    "garbage hunk header": (
        lambda b: b.replace(b"@@ -1,5 +1,5 @@", b"@@ garbage @@"),
        HUNK,
        "the hunk header `@@ garbage @@` does not parse",
    ),
    "hunk header replaced by garbage": (
        lambda b: b.replace(b"@@ -1,5 +1,5 @@", b"garbage"),
        HUNK,
        "`garbage` is in a file's diff header",
    ),
    "hunk longer than its header": (
        lambda b: b.replace(b"@@ -1,5 +1,5 @@", b"@@ -1,4 +1,5 @@"),
        HUNK + 6,
        "does not match its header's line counts",
    ),
}


@pytest.mark.parametrize("apply", [False, True], ids=["no-apply", "apply"])
@pytest.mark.parametrize("case", list(EDITS))
def test_check_refuses(
    run_tools: RunTools, upstream: FakeUpstream, case: str, *, apply: bool
) -> None:
    edit, line, text = EDITS[case]
    patch = upstream.series[1]
    assert patch.read_bytes().split(b"\n")[HUNK - 1] == b"@@ -1,5 +1,5 @@"
    patch.write_bytes(edit(patch.read_bytes()))
    result = run_tools("check", *([] if apply else ["--no-apply"]))
    assert result.code == 2, result.stderr
    error = one_error(result.stderr)
    assert error.startswith(f"error: {patch}:{line}: ")
    assert text in error
