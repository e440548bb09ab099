"""The tools remove or replace only what they made and marked: a port's work folder, the summary
files of `verify --summarize`. Anything else is refused with exit 4 and left as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import RunTools
from tests.hostile import tree_digest
from tests.integration.test_pr_local import make_report
from tests.port_fixture import releases
from tests.upstream_fixture import FakeUpstream
from tools.cli import main
from tools.port import WORK_MARKER
from tools.reporter import RecordingReporter


def _users_folder(root: Path) -> Path:
    """A folder of the user's that looks like a port's work folder but is not one."""
    (root / "repo").mkdir(parents=True)
    (root / "repo" / "notes.txt").write_text("my notes\n")
    (root / "old-series").mkdir()
    (root / "old-series" / "draft.patch").write_text("my draft\n")
    (root / "range-diff.txt").write_text("my range-diff\n")
    return root


def test_abort_in_a_folder_without_a_port_removes_nothing(
    run_tools: RunTools, tmp_path: Path
) -> None:
    work = _users_folder(tmp_path / "mine")
    before = tree_digest(work)
    result = run_tools("port", "--abort", "--work", str(work))
    assert result.code == 4, result.stderr
    assert f"error: {work} was not made by `tools port`" in result.stderr
    assert "nothing was removed" in result.stderr
    assert "hint: " in result.stderr
    assert "Traceback" not in result.stderr
    assert tree_digest(work) == before


def test_abort_of_a_state_file_in_a_users_folder_removes_nothing(
    run_tools: RunTools, tmp_path: Path
) -> None:
    work = _users_folder(tmp_path / "mine")
    (work / "state.json").write_text("{}\n")
    before = tree_digest(work)
    assert run_tools("port", "--abort", "--work", str(work)).code == 4
    assert run_tools("port", "--continue", "--work", str(work)).code == 4
    assert tree_digest(work) == before


def test_port_does_not_replace_a_users_repo_folder(
    run_tools: RunTools, upstream: FakeUpstream, tmp_path: Path
) -> None:
    url, _ = releases(upstream)
    work = _users_folder(tmp_path / "mine")
    before, pins_before = tree_digest(work), upstream.pins_path.read_text()
    result = run_tools(
        "port",
        "pyo3",
        "--from",
        "1.0.0",
        "--to",
        "1.0.1",
        "--crate-index",
        url,
        "--work",
        str(work),
    )
    assert result.code == 4, result.stderr
    assert f"--work {work} holds files `tools port` did not make" in result.stderr
    assert "hint: pass a new or empty folder as --work" in result.stderr
    assert tree_digest(work) == before
    assert upstream.pins_path.read_text() == pins_before
    assert not (upstream.pins_path.parent / "pyo3" / "1.0.1").exists()


def test_port_refuses_a_file_as_its_work_folder(
    run_tools: RunTools, upstream: FakeUpstream, tmp_path: Path
) -> None:
    url, _ = releases(upstream)
    work = tmp_path / "a-file"
    work.write_text("mine\n")
    result = run_tools(
        "port",
        "pyo3",
        "--from",
        "1.0.0",
        "--to",
        "1.0.1",
        "--crate-index",
        url,
        "--work",
        str(work),
    )
    # a file is not a work folder at all: bad input, refused before anything is touched
    assert result.code == 2, result.stderr
    assert "exists and is not a folder" in result.stderr
    assert work.read_text() == "mine\n"


def test_an_empty_folder_is_claimed_and_can_be_aborted(
    run_tools: RunTools, upstream: FakeUpstream, tmp_path: Path
) -> None:
    url, _ = releases(upstream)
    work = tmp_path / "empty"
    work.mkdir()
    args = ("pyo3", "--from", "1.0.0", "--to", "1.0.2", "--crate-index", url)
    stopped = run_tools("port", *args, "--work", str(work))
    assert stopped.code == 3, stopped.stderr
    assert (work / WORK_MARKER).is_file()
    # A file of the user's put into the marked folder meanwhile survives the abort.
    (work / "mine.txt").write_text("mine\n")
    aborted = run_tools("port", "--abort", "--work", str(work))
    assert aborted.code == 0, aborted.stderr
    assert not (work / "repo").exists()
    assert (work / "mine.txt").read_text() == "mine\n"


def test_default_work_folder_in_the_cache_needs_no_marker(
    run_tools: RunTools, upstream: FakeUpstream, tmp_path: Path
) -> None:
    url, _ = releases(upstream)
    assert run_tools("check", "--no-apply").code == 0  # the cache folder is made and tagged
    work = tmp_path / "cache" / "port"
    work.mkdir(parents=True)
    (work / "pyo3-0.9.0-to-1.0.0.range-diff").write_text("left by an earlier tools version\n")
    result = run_tools("port", "pyo3", "--from", "1.0.0", "--to", "1.0.1", "--crate-index", url)
    assert result.code == 0, result.stderr


def test_a_users_folder_as_cache_dir_is_refused(
    upstream: FakeUpstream, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = tmp_path / "project"
    (mine / "builds" / "verify").mkdir(parents=True)
    (mine / "builds" / "verify" / "notes.txt").write_text("mine\n")
    (mine / "bases").mkdir()
    before = tree_digest(mine)
    dest = tmp_path / "dest"
    args = ["--pins", str(upstream.pins_path), "--cache-dir", str(mine)]
    code = main([*args, "apply", "pyo3", "--dest", str(dest)], reporter=RecordingReporter())
    err = capsys.readouterr().err
    assert code == 4, err
    assert f"error: --cache-dir {mine} holds files that are not the tools' cache" in err
    assert "hint: " in err
    assert tree_digest(mine) == before
    assert not dest.exists()
    # A new folder becomes the tools' cache, tagged, and is used again later.
    cache = tmp_path / "new-cache"
    args = ["--pins", str(upstream.pins_path), "--cache-dir", str(cache)]
    assert main([*args, "apply", "pyo3", "--dest", str(dest)], reporter=RecordingReporter()) == 0
    assert (cache / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172")
    again = tmp_path / "again"
    assert main([*args, "apply", "pyo3", "--dest", str(again)], reporter=RecordingReporter()) == 0


@pytest.fixture
def report(upstream: FakeUpstream, tmp_path: Path) -> Path:
    reports = tmp_path / "reports"
    reports.mkdir()
    path = reports / "verify.json"
    path.write_text(json.dumps(make_report(upstream.write_pins(maturin=True))))
    return path


def test_summarize_writes_to_out_not_next_to_the_report(
    run_tools: RunTools, report: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (report.parent / "summary.md").write_text("my edited summary\n")
    before = tree_digest(report.parent)
    monkeypatch.chdir(tmp_path)
    result = run_tools("verify", "--summarize", str(report))
    assert result.code == 0, result.stderr
    assert tree_digest(report.parent) == before
    assert json.loads((tmp_path / "out" / "summary.json").read_text())[0]["pyo3"]
    assert (tmp_path / "out" / "summary.md").read_text().startswith("# Verify")
    # Written by the tools, so running it again replaces them.
    assert run_tools("verify", "--summarize", str(report)).code == 0


def test_summarize_follows_json_and_markdown(
    run_tools: RunTools, report: Path, tmp_path: Path
) -> None:
    json_path, md_path = tmp_path / "elsewhere" / "pairs.json", tmp_path / "pairs.md"
    result = run_tools(
        "verify", "--summarize", str(report), "--json", str(json_path), "--markdown", str(md_path)
    )
    assert result.code == 0, result.stderr
    assert json.loads(json_path.read_text())[0]["report"] == report.name
    assert md_path.read_text().startswith("# Verify")
    assert not (report.parent / "summary.json").exists()


def test_summarize_never_writes_over_a_users_file(
    run_tools: RunTools, report: Path, tmp_path: Path
) -> None:
    mine = tmp_path / "mine.md"
    mine.write_text("my table\n")
    json_path = tmp_path / "pairs.json"
    result = run_tools(
        "verify", "--summarize", str(report), "--json", str(json_path), "--markdown", str(mine)
    )
    assert result.code == 4
    assert f"error: --markdown {mine} is a file the tools did not write" in result.stderr
    assert "hint: " in result.stderr
    assert mine.read_text() == "my table\n"
    assert not json_path.exists()
    # A summary the tools wrote and the user then edited is the user's too.
    ours = ("--json", str(json_path), "--markdown", str(tmp_path / "pairs.md"))
    assert run_tools("verify", "--summarize", str(report), *ours).code == 0
    json_path.write_text(json_path.read_text() + "my edit\n")
    edited = json_path.read_text()
    again = run_tools("verify", "--summarize", str(report), *ours)
    assert again.code == 4
    assert json_path.read_text() == edited
