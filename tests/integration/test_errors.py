"""Bad input is one `error:` line and a `hint:`, with the documented exit code; interruptions
exit 128 + the signal and leave no scratch folders."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import RunTools
from tests.hostile import tree_digest
from tests.integration.test_pr_local import make_report
from tests.upstream_fixture import FakeUpstream

REPO_ROOT = Path(__file__).resolve().parents[2]


def _one_error(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert lines[0].startswith("error: ")
    assert all(line.startswith("  hint: ") for line in lines[1:]), stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_unknown_safety_scenario(run_tools: RunTools) -> None:
    result = run_tools("verify", "--safety", "nope")
    assert result.code == 2
    assert "argument --safety: 'nope': choose from" in _one_error(result.stderr)


@pytest.mark.parametrize("kind", ["directory", "binary"])
def test_pins_that_are_not_a_pins_file(run_tools: RunTools, tmp_path: Path, kind: str) -> None:
    pins = tmp_path / "pins"
    if kind == "directory":
        pins.mkdir()
    else:
        pins.write_bytes(b"\xff\xfe\x00binary")
    result = run_tools("pins", pins=pins)
    assert result.code == 2
    expected = "is a directory" if kind == "directory" else "not UTF-8 text"
    assert expected in _one_error(result.stderr)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "is a directory, not a verify report"),
        (b"\xff\xfe{}", "not UTF-8 text"),
        (b"[1, 2]", "the document is not a JSON object"),
        ("cold_s", "`cells[0].cold_s` must be a number"),
        ("command", "`upstream_tests[0].command` must be a string"),
    ],
)
def test_reports_of_the_wrong_shape(
    run_tools: RunTools,
    tmp_path: Path,
    upstream: FakeUpstream,
    content: bytes | str | None,
    message: str,
) -> None:
    pins = upstream.write_pins(maturin=True)
    report = tmp_path / "report.json"
    if content is None:
        report.mkdir()
    elif isinstance(content, bytes):
        report.write_bytes(content)
    else:
        data = make_report(pins)
        table = data["cells"][0] if content == "cold_s" else data["upstream_tests"][0]
        table[content] = {"not": "a scalar"}
        report.write_text(json.dumps(data))
    result = run_tools(
        "pr", "pyo3", "--report", str(report), "--out", str(tmp_path / "pr"), pins=pins
    )
    assert result.code == 2
    assert message in _one_error(result.stderr)
    assert not (tmp_path / "pr").exists()


def test_cache_dir_naming_a_file(run_tools: RunTools, tmp_path: Path) -> None:
    cache = tmp_path / "cache-file"
    cache.write_text("not a cache\n")
    result = run_tools("--cache-dir", str(cache), "apply", "pyo3", "--dest", str(tmp_path / "d"))
    assert result.code == 2
    assert "exists and is not a directory" in _one_error(result.stderr)


def test_verify_json_naming_a_directory(run_tools: RunTools, tmp_path: Path) -> None:
    result = run_tools("verify", "--json", str(tmp_path))
    assert result.code == 2
    assert f"--json {tmp_path} exists and is not a file" in _one_error(result.stderr)


def test_malformed_artifact_url(run_tools: RunTools, upstream: FakeUpstream) -> None:
    text = upstream.pins_path.read_text()
    upstream.pins_path.write_text(text.replace(', url = "file://', ', url = "htp:/', 1))
    result = run_tools("pins")
    assert result.code == 2
    assert "is not an https:// or file:// URL" in _one_error(result.stderr)


def test_toml_names_and_bracketed_paths_print_literally(
    run_tools: RunTools, tmp_path: Path, upstream: FakeUpstream
) -> None:
    text = upstream.pins_path.read_text()
    upstream.pins_path.write_text(text.replace("[projects.pyo3]", "[projects.other]"))
    result = run_tools("pins")
    assert "missing [projects.pyo3] table" in _one_error(result.stderr)
    upstream.write_pins()
    dest = tmp_path / "[bold]x"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine\n")
    refused = run_tools("apply", "pyo3", "--dest", str(dest))
    assert refused.code == 4
    assert f"{dest} exists and is not a git checkout" in _one_error(refused.stderr)


def _slow_git(bin_dir: Path, slow_subcommand: str, ready: Path) -> None:
    """A `git` on PATH that marks `ready` and sleeps before one subcommand, else runs git."""
    real = subprocess.run(["which", "git"], capture_output=True, text=True, check=True)
    bin_dir.mkdir()
    script = bin_dir / "git"
    script.write_text(
        "#!/bin/sh\n"
        # `exec`: the sleep is the process the tools kill, so no orphan outlives it
        f'for a in "$@"; do if [ "$a" = "{slow_subcommand}" ]; then touch "{ready}"; '
        "exec sleep 60; fi; done\n"
        f'exec {real.stdout.strip()} "$@"\n'
    )
    script.chmod(0o755)


@pytest.mark.parametrize(
    ("slow", "signum"),
    [("commit", signal.SIGTERM), ("am", signal.SIGTERM), ("am", signal.SIGINT)],
)
def test_interrupt_removes_scratch_folders(
    tmp_path: Path, upstream: FakeUpstream, slow: str, signum: int
) -> None:
    ready = tmp_path / "ready"
    _slow_git(tmp_path / "bin", slow, ready)
    env = os.environ | {"PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    work = tmp_path / "work"
    work.mkdir()
    cache = tmp_path / "cache"
    argv = [
        sys.executable,
        "-m",
        "tools",
        "--pins",
        str(upstream.pins_path),
        "--cache-dir",
        str(cache),
        "apply",
        "pyo3",
        "--dest",
        str(work / "dest"),
    ]
    before = tree_digest(work)
    # A shell without job control starts background commands with SIGINT ignored, which
    # their children inherit, and Python then installs no handler for it. A handler here is
    # reset to the default in the child when it starts, as a command typed at a terminal has.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        proc = subprocess.Popen(argv, env=env, cwd=REPO_ROOT, stderr=subprocess.PIPE, text=True)
    finally:
        signal.signal(signal.SIGINT, previous)
    with proc:
        deadline = time.monotonic() + 60
        while not ready.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ready.exists()
        proc.send_signal(signum)
        _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum
    assert "error: interrupted" in _one_error(err[err.index("error: ") :])
    assert tree_digest(work) == before
    assert [p.name for p in (cache / "bases").iterdir() if p.name.startswith(".")] == []
