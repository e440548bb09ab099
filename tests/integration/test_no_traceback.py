"""Every path the file system refuses and every malformed registry URL is one `error:` line
(and at most one `hint:`) naming the value, with the documented exit code, and no traceback.

The table is the one of issue 21; each row failed with a traceback (exit 1) before."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import RunTools
from tests.integration.test_pr_local import make_report
from tests.upstream_fixture import FakeUpstream

Argv = Callable[[Path, FakeUpstream], list[str]]
REPO_ROOT = Path(__file__).resolve().parents[2]
LINUX_PROC = sys.platform.startswith("linux") and Path("/proc/1").is_dir()


def _read_only(tmp_path: Path, _upstream: FakeUpstream) -> list[str]:
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    return ["apply", "pyo3", "--dest", str(folder / "dest")]


def _under_a_file(tmp_path: Path, _upstream: FakeUpstream) -> list[str]:
    (tmp_path / "a-file").write_text("mine\n")
    return ["apply", "pyo3", "--dest", str(tmp_path / "a-file" / "dest")]


def _pr_checkout(tmp_path: Path, upstream: FakeUpstream) -> list[str]:
    pins = upstream.write_pins(maturin=True)
    report = tmp_path / "report.json"
    report.write_text(json.dumps(make_report(pins)))
    out = str(tmp_path / "pr")
    author = ["--author", "Pat Submitter <pat@submitter.dev>"]  # else the identity check stops it
    return ["pr", "pyo3", *author, "--report", str(report), "--out", out, "--checkout", "/proc/1/x"]


# (argv, exit code, text the error line holds)
CASES: dict[str, tuple[Argv, int, str]] = {
    "dest under a read-only folder": (_read_only, 2, "is not writable"),
    "dest under a file": (_under_a_file, 2, "a-file is a file, not a folder"),
    "dest in /proc": (lambda _t, _u: ["apply", "pyo3", "--dest", "/proc/dest"], 2, "/proc/"),
    "100 KB dest": (
        lambda t, _u: ["apply", "pyo3", "--dest", str(t / ("d" * 100_000))],
        2,
        "a name in the path is 100000 bytes long",
    ),
    "cache dir /proc/1": (
        lambda t, _u: ["--cache-dir", "/proc/1", "apply", "pyo3", "--dest", str(t / "dest")],
        2,
        "--cache-dir /proc/1: the folder /proc/1 is not writable",
    ),
    "pr checkout in /proc/1": (_pr_checkout, 2, "/proc/1/"),
    "port work /dev/null": (
        lambda _t, _u: ["port", "pyo3", "--from", "1.0.0", "--to", "1.0.1", "--work", os.devnull],
        2,
        f"--work {os.devnull} exists and is not a folder",
    ),
    "crate index not a URL": (
        lambda _t, _u: ["outdated", "--crate-index", "http://[::1"],
        2,
        "argument --crate-index: 'http://[::1' is not a URL",
    ),
    "empty pypi URL": (
        lambda _t, _u: ["outdated", "--pypi", ""],
        2,
        "argument --pypi: '' is not an https://, http:// or file:// URL",
    ),
}
NEEDS_PROC = {"dest in /proc", "cache dir /proc/1", "pr checkout in /proc/1", "port work /dev/null"}


def one_error(stderr: str) -> str:
    """The `error:` line of stderr, which must be all there is besides one `hint:` line."""
    assert "Traceback" not in stderr
    lines = stderr.rstrip("\n").split("\n")
    assert lines[0].startswith("error: "), stderr
    assert len(lines) <= 2, stderr
    assert all(line.startswith("  hint: ") for line in lines[1:]), stderr
    return lines[0]


@pytest.mark.parametrize("case", list(CASES))
def test_refused_in_one_line(
    run_tools: RunTools, tmp_path: Path, upstream: FakeUpstream, case: str
) -> None:
    argv, code, text = CASES[case]
    if case in NEEDS_PROC and not LINUX_PROC:
        pytest.skip("needs Linux's /proc and /dev/null")
    if case == "dest under a read-only folder" and os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    result = run_tools(*argv(tmp_path, upstream))
    assert result.code == code, result.stderr
    assert text in one_error(result.stderr)


@pytest.mark.parametrize("case", ["dest under a file", "100 KB dest", "empty pypi URL"])
def test_the_installed_command_prints_no_traceback(
    tmp_path: Path, upstream: FakeUpstream, case: str
) -> None:
    """The same through a real process: what a user's terminal shows."""
    argv, code, text = CASES[case]
    cache = str(tmp_path / "cache")
    pins = str(upstream.pins_path)
    command = [sys.executable, "-m", "tools", "--pins", pins, "--cache-dir", cache]
    command += argv(tmp_path, upstream)
    env = {**os.environ, "NO_COLOR": "1"}
    done = subprocess.run(
        command, check=False, capture_output=True, text=True, env=env, cwd=REPO_ROOT
    )
    assert done.returncode == code, done.stderr
    assert text in one_error(done.stderr)
