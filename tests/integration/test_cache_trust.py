"""Caches are keyed by everything that shapes their content and checked before they are trusted."""

from __future__ import annotations

import shutil
from pathlib import Path

import git

from tests.conftest import RunTools
from tests.integration.test_content_trust import amend_base
from tests.upstream_fixture import FakeUpstream
from tests.upstream_fixture import git as run_git


def test_corrected_layout_is_not_served_from_the_cache(
    run_tools: RunTools, tmp_path: Path, upstream: FakeUpstream
) -> None:
    good = upstream.pins_path.read_text()
    upstream.pins_path.write_text(good.replace('path = "pyo3-build-config"', 'path = "wrong"'))
    bad = run_tools("apply", "pyo3", "--dest", str(tmp_path / "one"))
    assert bad.code == 3
    upstream.pins_path.write_text(good)
    fixed = run_tools("apply", "pyo3", "--dest", str(tmp_path / "two"))
    assert fixed.code == 0, fixed.stderr


def test_changed_drop_list_rebuilds_the_base(
    run_tools: RunTools, tmp_path: Path, upstream: FakeUpstream
) -> None:
    assert run_tools("apply", "pyo3", "--dest", str(tmp_path / "one")).code == 0
    assert (tmp_path / "one" / "Cargo.toml").exists()
    text = upstream.pins_path.read_text()
    upstream.pins_path.write_text(
        text.replace('path = "", url', 'path = "", drop = ["Cargo.toml"], url')
    )
    result = run_tools("apply", "pyo3", "--dest", str(tmp_path / "two"))
    assert result.code == 0, result.stderr
    assert not (tmp_path / "two" / "Cargo.toml").exists()


def test_tampered_base_is_rebuilt(run_tools: RunTools, tmp_path: Path) -> None:
    assert run_tools("apply", "pyo3", "--dest", str(tmp_path / "one")).code == 0
    (base,) = (tmp_path / "cache" / "bases").iterdir()
    amend_base(base, tmp_path / "scratch", "src/lib.rs", "tampered\n", message="tampered")
    result = run_tools("apply", "pyo3", "--dest", str(tmp_path / "two"))
    assert result.code == 0, result.stderr
    assert "is not what the tools made; rebuilding it" in result.reporter.text()
    one, two = git.Repo(tmp_path / "one"), git.Repo(tmp_path / "two")
    assert one.head.commit.hexsha == two.head.commit.hexsha


def test_a_moved_tag_is_fetched_again(
    run_tools: RunTools, tmp_path: Path, upstream: FakeUpstream
) -> None:
    run_git(upstream.repo, "commit", "-q", "--allow-empty", "-m", "later")
    run_git(upstream.repo, "tag", "-f", "-a", "v1.0.0", "-m", "moved", "HEAD")
    dest = tmp_path / "dest"
    moved = run_tools("apply", "pyo3", "--source", "git", "--dest", str(dest))
    assert moved.code == 2
    assert "fetched just now from" in moved.stderr
    run_git(upstream.repo, "tag", "-f", "-a", "v1.0.0", "-m", "back", upstream.commit)
    result = run_tools("apply", "pyo3", "--source", "git", "--dest", str(dest))
    assert result.code == 0, result.stderr
    assert git.Repo(dest).commit("HEAD~3").hexsha == upstream.commit


def test_a_wrong_git_url_does_not_spoil_the_pinned_one(
    run_tools: RunTools, tmp_path: Path, upstream: FakeUpstream
) -> None:
    other = tmp_path / "other"
    shutil.copytree(upstream.repo, other)
    run_git(other, "commit", "-q", "--allow-empty", "-m", "fork")
    run_git(other, "tag", "-f", "-a", "v1.0.0", "-m", "fork", "HEAD")
    wrong = run_tools(
        "apply", "pyo3", "--source", "git", "--git-url", str(other), "--dest", str(tmp_path / "d")
    )
    assert wrong.code == 2
    right = run_tools("apply", "pyo3", "--source", "git", "--dest", str(tmp_path / "d"))
    assert right.code == 0, right.stderr
