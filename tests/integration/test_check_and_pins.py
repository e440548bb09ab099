"""`tools check` and `tools pins` against the fake upstream, and the two ways to start the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import RunTools
from tests.upstream_fixture import FakeUpstream
from tools.platforms import HOST

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_check_passes_on_a_good_series(run_tools: RunTools) -> None:
    result = run_tools("check")
    assert result.code == 0, result.stderr
    ((_title, _columns, rows),) = result.reporter.tables
    assert rows == [["pyo3", "1.0.0", "3", "2", "2", "0"]]


def test_check_reports_a_malformed_patch(run_tools: RunTools, upstream: FakeUpstream) -> None:
    patch = upstream.series[1]
    patch.write_text(patch.read_text().replace("@@ -1,5 +1,5 @@", "@@ -1,5 +1,9 @@"))
    result = run_tools("check")
    assert result.code == 2
    assert f"{patch}:" in result.stderr
    assert "does not match its header's line counts" in result.stderr


def test_check_reports_trailing_whitespace(run_tools: RunTools, upstream: FakeUpstream) -> None:
    patch = upstream.series[1]
    patch.write_text(patch.read_text().replace("+    43\n", "+    43  \n"))
    result = run_tools("check")
    assert result.code == 2
    assert "src/lib.rs:4: trailing whitespace" in result.stderr


def test_check_requires_a_body(run_tools: RunTools, upstream: FakeUpstream) -> None:
    patch = upstream.series[2]
    patch.write_text(patch.read_text().replace("Only in the repository.\n", ""))
    result = run_tools("check")
    assert result.code == 2
    assert f"{patch}: no body" in result.stderr


def test_check_reports_a_patch_that_does_not_apply(
    run_tools: RunTools, upstream: FakeUpstream
) -> None:
    patch = upstream.series[1]
    patch.write_text(patch.read_text().replace("-    42", "-    41"))
    result = run_tools("check")
    assert result.code == 3
    assert "0002-Change-the-answer.patch: src/lib.rs, hunk 1 of 1" in result.stderr


def test_check_refuses_a_wrong_checksum(run_tools: RunTools, upstream: FakeUpstream) -> None:
    upstream.write_pins(sha256={"pyo3-build-config": "a" * 64})
    result = run_tools("check")
    assert result.code == 2
    assert "checksum mismatch for pyo3-build-config-1.0.0.crate" in result.stderr


def test_pins_json_lists_every_pin(run_tools: RunTools, upstream: FakeUpstream) -> None:
    result = run_tools("pins", "--json")
    assert result.code == 0
    (pin,) = json.loads(result.stdout)
    assert pin["project"] == "pyo3"
    assert pin["version"] == "1.0.0"
    assert pin["tag"] == "v1.0.0"
    assert pin["commit"] == upstream.commit
    assert pin["patches"] == [p.name for p in upstream.series]


def test_bad_pins_are_one_line_errors(run_tools: RunTools, upstream: FakeUpstream) -> None:
    cases = {
        'commit = "': "missing or empty `commit`",
        'project = "pyo3"\nversion': "unknown project 'pyo4'",
    }
    text = upstream.pins_path.read_text()
    broken = text.replace(f'commit = "{upstream.commit}"', 'commit = ""')
    upstream.pins_path.write_text(broken)
    result = run_tools("pins")
    assert result.code == 2
    assert cases['commit = "'] in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    upstream.pins_path.write_text(
        text.replace('project = "pyo3"\nversion', 'project = "pyo4"\nversion')
    )
    result = run_tools("pins")
    assert result.code == 2
    assert cases['project = "pyo3"\nversion'] in result.stderr


def test_short_commit_is_refused(run_tools: RunTools, upstream: FakeUpstream) -> None:
    upstream.write_pins(commit=upstream.commit[:12])
    result = run_tools("pins")
    assert result.code == 2
    assert "is not [0-9a-f]{40}" in result.stderr


def test_unlisted_patch_file_is_refused(run_tools: RunTools, upstream: FakeUpstream) -> None:
    upstream.write_pins(patches=[upstream.series[0].name])
    result = run_tools("check")
    assert result.code == 2
    assert "patch files not listed in the series: 0002-Change-the-answer.patch" in result.stderr


def test_missing_pins_file(run_tools: RunTools, tmp_path: Path) -> None:
    result = run_tools("pins", pins=tmp_path / "nope.toml")
    assert result.code == 2
    assert "nope.toml: pins file not found" in result.stderr


def test_unknown_project_on_the_command_line(run_tools: RunTools, tmp_path: Path) -> None:
    result = run_tools("apply", "setuptools-rust", "--dest", str(tmp_path / "d"))
    assert result.code == 2
    assert "invalid choice: 'setuptools-rust'" in result.stderr


def test_module_and_console_script_behave_the_same(upstream: FakeUpstream, tmp_path: Path) -> None:
    args = ["--pins", str(upstream.pins_path), "--cache-dir", str(tmp_path / "c"), "pins", "--json"]
    script = Path(sys.executable).parent / HOST.executable("tools")
    via_module = subprocess.run(
        [sys.executable, "-m", "tools", *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
    )
    assert via_module.returncode == 0, via_module.stderr
    if script.exists():
        via_script = subprocess.run(
            [str(script), *args], capture_output=True, text=True, check=False
        )
        assert via_script.returncode == 0
        assert via_script.stdout == via_module.stdout
    missing = ["--pins", str(tmp_path / "x.toml"), "pins"]
    broken = subprocess.run(
        [sys.executable, "-m", "tools", *missing],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
    )
    assert broken.returncode == 2
    assert broken.stderr.startswith("error: ")
