"""Nothing of the user's is overwritten: ignored files, own branches, own files in `--out`."""

from __future__ import annotations

import json
from pathlib import Path

import git
import pytest

from tests.conftest import RunTools
from tests.hostile import tree_digest
from tests.integration.test_pr_local import AUTHOR, make_report
from tests.upstream_fixture import FakeUpstream


def test_ignored_file_the_series_would_write_is_refused(
    run_tools: RunTools, tmp_path: Path
) -> None:
    dest = tmp_path / "dest"
    assert run_tools("apply", "pyo3", "--source", "git", "--dest", str(dest)).code == 0
    repo = git.Repo(dest)
    repo.git.checkout("--quiet", "HEAD~3")
    (Path(repo.git_dir) / "info").mkdir(exist_ok=True)
    (Path(repo.git_dir) / "info" / "exclude").write_text("*.md\n")
    (dest / "newsfragments/PR-NUMBER.added.md").write_text("my ignored notes\n")
    before = tree_digest(dest)
    result = run_tools("apply", "pyo3", "--source", "git", "--dest", str(dest))
    assert result.code == 4
    assert (
        "untracked files the series would write: newsfragments/PR-NUMBER.added.md" in result.stderr
    )
    assert "ignored files count too" in result.stderr
    assert tree_digest(dest) == before


def test_users_own_branch_of_that_name_is_not_moved(run_tools: RunTools, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    assert run_tools("apply", "pyo3", "--dest", str(dest)).code == 0
    repo = git.Repo(dest)
    repo.git.checkout("--quiet", "-B", "work", "HEAD~2")
    repo.git.checkout("--quiet", "-B", "base-python")
    (dest / "mine.txt").write_text("mine\n")
    repo.index.add(["mine.txt"])
    mine = repo.index.commit("my own work").hexsha
    repo.git.checkout("--quiet", "work")
    result = run_tools("apply", "pyo3", "--dest", str(dest))
    assert result.code == 4
    assert "already has a branch 'base-python'" in result.stderr
    assert "hint: pass another branch name with --branch" in result.stderr
    assert repo.commit("base-python").hexsha == mine
    assert repo.active_branch.name == "work"
    other = run_tools("apply", "pyo3", "--branch", "series", "--dest", str(dest))
    assert other.code == 0, other.stderr
    assert repo.commit("base-python").hexsha == mine
    assert repo.active_branch.name == "series"


def test_earlier_apply_on_that_branch_is_moved(
    run_tools: RunTools, tmp_path: Path, upstream: FakeUpstream
) -> None:
    dest = tmp_path / "dest"
    assert run_tools("apply", "pyo3", "--dest", str(dest)).code == 0
    repo = git.Repo(dest)
    repo.git.checkout("--quiet", "-B", "work", "HEAD~2")
    upstream.write_pins(patches=[upstream.series[0].name, upstream.series[2].name])
    upstream.series[1].unlink()
    result = run_tools("apply", "pyo3", "--dest", str(dest))
    assert result.code == 0, result.stderr
    assert repo.active_branch.name == "base-python"


@pytest.fixture
def pins(upstream: FakeUpstream) -> Path:
    return upstream.write_pins(maturin=True)


def _report(tmp_path: Path, pins: Path) -> Path:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(make_report(pins)))
    return path


def test_pr_refuses_an_out_holding_the_users_files(
    run_tools: RunTools, tmp_path: Path, pins: Path
) -> None:
    out = tmp_path / "pr" / "pr-1"
    out.mkdir(parents=True)
    (out / "title.txt").write_text("my own title\n")
    before = tree_digest(out)
    args = (
        "pr",
        "--author",
        AUTHOR,
        "pyo3",
        "--report",
        str(_report(tmp_path, pins)),
        "--out",
        str(out.parent),
    )
    refused = run_tools(*args, pins=pins)
    assert refused.code == 4
    assert "holds files the tools did not write (title.txt)" in refused.stderr
    assert "--force" in refused.stderr
    assert tree_digest(out) == before
    forced = run_tools(*args, "--force", pins=pins)
    assert forced.code == 0, forced.stderr
    assert (out / "title.txt").read_text() == "pyo3-build-config: one pull request\n"


def test_pr_rewrites_its_own_files(run_tools: RunTools, tmp_path: Path, pins: Path) -> None:
    out = tmp_path / "pr"
    args = (
        "pr",
        "--author",
        AUTHOR,
        "pyo3",
        "--report",
        str(_report(tmp_path, pins)),
        "--out",
        str(out),
    )
    assert run_tools(*args, pins=pins).code == 0
    again = run_tools(*args, pins=pins)
    assert again.code == 0, again.stderr
    (out / "pr-1" / "body.md").write_text("edited by hand\n")
    edited = run_tools(*args, pins=pins)
    assert edited.code == 4
    assert "(body.md)" in edited.stderr
    assert (out / "pr-1" / "body.md").read_text() == "edited by hand\n"


def test_pr_writes_nothing_when_a_later_step_fails(
    run_tools: RunTools, tmp_path: Path, pins: Path
) -> None:
    out = tmp_path / "pr"
    result = run_tools(
        "pr",
        "--author",
        AUTHOR,
        "pyo3",
        "--report",
        str(_report(tmp_path, pins)),
        "--out",
        str(out),
        "--remote",
        str(tmp_path / "missing.git"),
        pins=pins,
    )
    assert result.code == 5
    assert not (out / "pr-1").exists()


def test_pr_out_naming_a_file(run_tools: RunTools, tmp_path: Path, pins: Path) -> None:
    out = tmp_path / "pr.txt"
    out.write_text("not a folder\n")
    result = run_tools(
        "pr",
        "--author",
        AUTHOR,
        "pyo3",
        "--report",
        str(_report(tmp_path, pins)),
        "--out",
        str(out),
        pins=pins,
    )
    assert result.code == 2
    assert "exists and is not a directory" in result.stderr
    assert out.read_text() == "not a folder\n"
