"""The CI workflow stays clean under actionlint and zizmor (offline: no GitHub API calls)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tools.platforms import HOST

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "verify.yml"


def _program(name: str) -> str | None:
    """The program from this interpreter's environment, else from PATH."""
    here = Path(sys.executable).parent / HOST.executable(name)
    return str(here) if here.is_file() else shutil.which(name)


def test_zizmor_finds_nothing() -> None:
    zizmor = _program("zizmor")
    assert zizmor is not None, "zizmor is part of the test extra: pip install -e '.[test]'"
    command = [zizmor, "--offline", "--no-progress", "--persona=pedantic", str(WORKFLOW)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


def test_actionlint_finds_nothing() -> None:
    actionlint = _program("actionlint")
    if actionlint is None:
        # The test extra carries actionlint for Linux x86_64 only; the file is the same everywhere.
        pytest.skip(f"no actionlint wheel for {sys.platform} (linted on Linux x86_64)")
    result = subprocess.run(
        [actionlint, "-no-color", str(WORKFLOW)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
