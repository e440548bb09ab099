"""Refusals say what happened: a missing `--proposal` is missing (not "markers missing"), and a
branch name too long for git's ref files is refused by validation, before git sees it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.cli import main
from tools.errors import ConfigError
from tools.gitvalues import MAX_REF_BYTES, check_branch, check_tag


def _error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = err[err.index("error: ") :].rstrip("\n").split("\n")
    assert len(lines) <= 2, err
    return lines[0]


@pytest.mark.parametrize("option", ["--proposal", "--readme"])
def test_a_missing_document_is_said_to_be_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str
) -> None:
    missing = tmp_path / "MISSING.md"
    assert main(["proposal", option, str(missing), "--check"]) == 2
    error = _error(capsys)
    assert f"{option} {missing}: the file does not exist" in error
    assert "markers" not in error
    assert not missing.exists()


def test_a_300_character_branch_is_refused_before_git(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "dest"
    cache = str(tmp_path / "cache")
    code = main(["--cache-dir", cache, "apply", "pyo3", "--dest", str(dest), "--branch", "b" * 300])
    assert code == 2
    assert "is 300 bytes long; at most 200 are accepted" in _error(capsys)
    assert not dest.exists()


def test_the_bound_counts_bytes() -> None:
    assert check_branch("b" * MAX_REF_BYTES, source="test") == "b" * MAX_REF_BYTES
    assert check_tag("v" * MAX_REF_BYTES, source="test")
    with pytest.raises(ConfigError, match="201 bytes long"):
        check_branch("b" * (MAX_REF_BYTES + 1), source="test")
    # 101 two-byte characters: 101 characters, 202 bytes
    with pytest.raises(ConfigError, match="202 bytes long"):
        check_branch("é" * 101, source="test")
