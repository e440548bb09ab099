"""A failed fetch says it failed, with the URL and git's `fatal:` line (not git's last line of
advice, "… and the repository exists.", which reads as the opposite), and leaves no empty
mirror in the cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import RunTools
from tests.integration.test_no_traceback import one_error


@pytest.mark.parametrize("kind", ["missing path", "missing file URL", "a file"])
def test_a_failed_fetch_says_so_and_leaves_no_mirror(
    run_tools: RunTools, tmp_path: Path, kind: str
) -> None:
    target = tmp_path / "nowhere"
    if kind == "a file":
        target.write_text("not a repository\n")
    url = target.as_uri() if kind == "missing file URL" else str(target)
    dest = tmp_path / "dest"
    result = run_tools("apply", "pyo3", "--source", "git", "--git-url", url, "--dest", str(dest))
    assert result.code == 5
    error = one_error(result.stderr)
    assert f"could not fetch v1.0.0 from {url}: " in error
    assert "fatal: " in error
    assert "repository exists" not in error
    mirrors = tmp_path / "cache" / "git"
    assert not mirrors.exists() or list(mirrors.iterdir()) == []
    assert not dest.exists()


def test_a_good_fetch_keeps_its_mirror(run_tools: RunTools, tmp_path: Path) -> None:
    result = run_tools("apply", "pyo3", "--source", "git", "--dest", str(tmp_path / "dest"))
    assert result.code == 0, result.stderr
    assert len(list((tmp_path / "cache" / "git").iterdir())) == 1
