"""Pure logic: patch parsing, failure diagnosis, repository layout of archive members."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from tools.apply import _describe_failure
from tools.errors import ConfigError
from tools.pins import Artifact, inside_problem
from tools.series import build_output_problems, parse_patch, whitespace_problems
from tools.sources import _member_path, _member_problem

PATCH = """\
From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: A Developer <dev@example.invalid>
Date: Mon, 2 Nov 2026 10:00:00 +0000
Subject: [PATCH 1/2] pyo3-build-config: prefer the base interpreter when
 it is set

Explain the change here.

More detail.
---
 src/a.rs | 3 ++-
 1 file changed, 2 insertions(+), 1 deletion(-)

diff --git a/src/a.rs b/src/a.rs
index 1111111111111111111111111111111111111111..2222222222222222222222222222222222222222 100644
--- a/src/a.rs
+++ b/src/a.rs
@@ -1,3 +1,4 @@
 one
-two
+two and a half
+three \n four
@@ -10,2 +11,2 @@
 ten
-eleven
+eleven!
-- \n2.47.3
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "0001-x.patch"
    path.write_text(text)
    return path


def test_parse_patch_reads_headers_body_and_hunks(tmp_path: Path) -> None:
    patch = parse_patch(_write(tmp_path, PATCH))
    assert patch.author == "A Developer <dev@example.invalid>"
    assert patch.subject == "pyo3-build-config: prefer the base interpreter when it is set"
    assert patch.body == "Explain the change here.\n\nMore detail."
    (change,) = patch.files
    assert change.path == "src/a.rs"
    assert [h.source_start for h in change.hunks] == [1, 10]
    assert change.hunks[1].header == "@@ -10,2 +11,2 @@"


def test_whitespace_problems_name_file_and_line(tmp_path: Path) -> None:
    patch = parse_patch(_write(tmp_path, PATCH))
    assert whitespace_problems(patch) == [
        f"{tmp_path / '0001-x.patch'}: src/a.rs:3: trailing whitespace in an added line"
    ]


def test_build_output_in_a_patch_is_a_problem(tmp_path: Path) -> None:
    assert build_output_problems(parse_patch(_write(tmp_path, PATCH))) == []
    # what `git add -A` after a `cargo test` in the checkout put into a patch once
    text = PATCH.replace("src/a.rs", "pyo3-build-config/target/debug/deps/x.rmeta")
    problems = build_output_problems(parse_patch(_write(tmp_path, text)))
    assert problems == [
        f"{tmp_path / '0001-x.patch'}: pyo3-build-config/target/debug/deps/x.rmeta: "
        "build output does not belong in a patch"
    ]
    binary = PATCH.replace("+eleven!\n", "+eleven!\ndiff --git a/b.bin b/b.bin\nGIT binary patch\n")
    assert any(
        "binary patch" in p for p in build_output_problems(parse_patch(_write(tmp_path, binary)))
    )


def test_not_a_patch(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no `diff --git` section"):
        parse_patch(_write(tmp_path, "Subject: hi\n\nnothing\n"))


def test_truncated_hunk_is_malformed(tmp_path: Path) -> None:
    text = PATCH.replace("@@ -10,2 +11,2 @@", "@@ -10,5 +11,2 @@")
    expected = (
        r"x.patch:29: the hunk `@@ -10,5 \+11,2 @@` at line 24 does not match its header's line "
        "counts: 2 old and 0 new lines missing"
    )
    with pytest.raises(ConfigError, match=expected):
        parse_patch(_write(tmp_path, text))


def test_failure_names_the_hunk(tmp_path: Path) -> None:
    patch = parse_patch(_write(tmp_path, PATCH))
    message = _describe_failure(
        patch, "error: patch failed: src/a.rs:10\nerror: src/a.rs: patch does not apply\n"
    )
    assert message == "0001-x.patch: src/a.rs, hunk 2 of 2 (@@ -10,2 +11,2 @@) does not apply"
    missing = _describe_failure(patch, "error: src/a.rs: does not exist in index\n")
    assert missing == "0001-x.patch: src/a.rs does not exist in the base"


CRATE = Artifact(
    name="pyo3-ffi",
    kind="crate",
    url="file:///x/pyo3-ffi-1.0.crate",
    sha256="0" * 64,
    path="pyo3-ffi",
    drop=("Cargo.toml.orig",),
)


@pytest.mark.parametrize(
    ("member", "expected"),
    [
        ("pyo3-ffi-1.0/src/lib.rs", "pyo3-ffi/src/lib.rs"),
        ("pyo3-ffi-1.0/build.rs", "pyo3-ffi/build.rs"),
        ("pyo3-ffi-1.0/.cargo_vcs_info.json", None),
        ("pyo3-ffi-1.0/Cargo.toml.orig", None),
        ("pyo3-ffi-1.0", None),
    ],
)
def test_member_layout(member: str, expected: str | None) -> None:
    result = _member_path(CRATE, member)
    assert (str(result) if result is not None else None) == expected


def _info(name: str, kind: bytes = tarfile.REGTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    return info


@pytest.mark.parametrize(
    ("member", "problem"),
    [
        (_info("pyo3-ffi-1.0/../../etc/passwd"), "a '..' segment"),
        (_info("../x"), "a '..' segment"),
        (_info("/etc/passwd"), "an absolute path"),
        (_info("pyo3-ffi-1.0/.git/hooks/post-commit"), "inside a .git folder"),
        (_info("pyo3-ffi-1.0/.git/config"), "inside a .git folder"),
        (_info("pyo3-ffi-1.0/src/.GIT"), "inside a .git folder"),
        (_info("pyo3-ffi-1.0/deep/er/.git", tarfile.DIRTYPE), "inside a .git folder"),
        (_info("pyo3-ffi-1.0/link", tarfile.SYMTYPE), "a link"),
        (_info("pyo3-ffi-1.0/hard", tarfile.LNKTYPE), "a link"),
        (_info("pyo3-ffi-1.0/dev", tarfile.CHRTYPE), "a device"),
        (_info("pyo3-ffi-1.0/fifo", tarfile.FIFOTYPE), "a device, pipe"),
    ],
)
def test_unsafe_members_are_refused(member: tarfile.TarInfo, problem: str) -> None:
    assert problem in (_member_problem(member) or "")


def test_plain_members_are_accepted() -> None:
    assert _member_problem(_info("pyo3-ffi-1.0/src/lib.rs")) is None
    assert _member_problem(_info("pyo3-ffi-1.0/.github/x.yml")) is None
    assert _member_problem(_info("pyo3-ffi-1.0/src", tarfile.DIRTYPE)) is None


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("../..", "'..' segment"),
        ("a/../../b", "'..' segment"),
        ("/tmp/x", "absolute"),
        ("C:\\x", "absolute"),
        (".git", ".git folder"),
        ("sub/.Git/hooks", ".git folder"),
    ],
)
def test_pin_paths_must_stay_inside(value: str, problem: str) -> None:
    assert problem in (inside_problem(value) or "")


def test_plain_pin_paths_are_fine() -> None:
    assert inside_problem("pyo3-build-config") is None
    assert inside_problem("crates/a/b") is None
