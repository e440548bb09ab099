"""`tools apply` and its safety rules against a fake upstream built in the test (no network)."""

from __future__ import annotations

import shutil
from pathlib import Path

import git
import pytest

from tests.conftest import RunTools
from tests.upstream_fixture import FakeUpstream


def _log(dest: Path) -> list[str]:
    return [str(c.summary) for c in git.Repo(dest).iter_commits()]


def test_registry_apply_creates_branch_with_series(run_tools: RunTools, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    result = run_tools("apply", "pyo3", "--dest", str(dest))
    assert result.code == 0, result.stderr
    assert _log(dest) == [
        "Change the answer",
        "Prefer the base interpreter",
        "Import pyo3 1.0.0 from the registries",
    ]
    repo = git.Repo(dest)
    assert repo.active_branch.name == "base-python"
    assert "prefer the base interpreter" in (dest / "pyo3-build-config/src/impl_.rs").read_text()
    assert "43" in (dest / "src/lib.rs").read_text()
    assert not (dest / "newsfragments").exists()
    assert not (dest / "pyo3-build-config/.cargo_vcs_info.json").exists()
    text = result.reporter.text()
    assert "newsfragments/PR-NUMBER.added.md" in text
    assert "0003-Add-a-nox-session.patch: skipped" in text


def test_second_apply_is_a_no_op(run_tools: RunTools, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    assert run_tools("apply", "pyo3", "--dest", str(dest)).code == 0
    head = git.Repo(dest).head.commit.hexsha
    again = run_tools("apply", "pyo3", "--dest", str(dest))
    assert again.code == 0
    assert "nothing to do" in again.reporter.text()
    assert git.Repo(dest).head.commit.hexsha == head


def test_registry_base_commit_is_reproducible(run_tools: RunTools, tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    assert run_tools("apply", "pyo3", "--dest", str(first)).code == 0
    shutil.rmtree(tmp_path / "cache" / "bases")
    assert run_tools("apply", "pyo3", "--dest", str(second)).code == 0
    assert git.Repo(first).head.commit.hexsha == git.Repo(second).head.commit.hexsha


def test_local_edit_is_refused_and_survives(run_tools: RunTools, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    assert run_tools("apply", "pyo3", "--dest", str(dest)).code == 0
    head = git.Repo(dest).head.commit.hexsha
    (dest / "src/lib.rs").write_text("my work\n")
    result = run_tools("apply", "pyo3", "--dest", str(dest))
    assert result.code == 4
    assert "uncommitted changes (src/lib.rs)" in result.stderr
    assert (dest / "src/lib.rs").read_text() == "my work\n"
    assert git.Repo(dest).head.commit.hexsha == head


def test_staged_change_is_refused(run_tools: RunTools, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    assert run_tools("apply", "pyo3", "--dest", str(dest)).code == 0
    (dest / "new.txt").write_text("staged\n")
    git.Repo(dest).index.add(["new.txt"])
    result = run_tools("apply", "pyo3", "--dest", str(dest))
    assert result.code == 4
    assert (dest / "new.txt").read_text() == "staged\n"


def test_user_commit_on_top_is_refused(run_tools: RunTools, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    assert run_tools("apply", "pyo3", "--dest", str(dest)).code == 0
    repo = git.Repo(dest)
    (dest / "mine.txt").write_text("mine\n")
    repo.index.add(["mine.txt"])
    mine = repo.index.commit("my own commit").hexsha
    result = run_tools("apply", "pyo3", "--dest", str(dest))
    assert result.code == 4
    assert "neither the pinned base" in result.stderr
    assert repo.head.commit.hexsha == mine


def test_non_git_directory_is_refused(run_tools: RunTools, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "notes.txt").write_text("keep me\n")
    result = run_tools("apply", "pyo3", "--dest", str(dest))
    assert result.code == 4
    assert "is not a git checkout" in result.stderr
    assert [p.name for p in dest.iterdir()] == ["notes.txt"]


def test_apply_in_progress_is_refused(run_tools: RunTools, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    assert run_tools("apply", "pyo3", "--dest", str(dest)).code == 0
    (Path(git.Repo(dest).git_dir) / "rebase-apply").mkdir()
    result = run_tools("apply", "pyo3", "--dest", str(dest))
    assert result.code == 4
    assert "in progress" in result.stderr


def test_untracked_file_in_the_way_is_refused(run_tools: RunTools, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    assert run_tools("apply", "pyo3", "--source", "git", "--dest", str(dest)).code == 0
    repo = git.Repo(dest)
    repo.git.checkout("--quiet", "HEAD~3")
    (dest / "newsfragments/PR-NUMBER.added.md").write_text("untracked work\n")
    result = run_tools("apply", "pyo3", "--source", "git", "--dest", str(dest))
    assert result.code == 4
    assert (
        "untracked files the series would write: newsfragments/PR-NUMBER.added.md" in result.stderr
    )
    assert (dest / "newsfragments/PR-NUMBER.added.md").read_text() == "untracked work\n"


def test_checkout_at_the_base_gets_the_series(run_tools: RunTools, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    assert run_tools("apply", "pyo3", "--dest", str(dest)).code == 0
    repo = git.Repo(dest)
    tip = repo.head.commit.hexsha
    repo.git.checkout("--quiet", "-B", "other", "HEAD~2")
    (dest / "build-output.txt").write_text("untracked but not in the way\n")
    result = run_tools("apply", "pyo3", "--dest", str(dest))
    assert result.code == 0, result.stderr
    assert repo.head.commit.hexsha == tip
    assert (dest / "build-output.txt").exists()


def test_failed_series_leaves_new_dest_absent(
    run_tools: RunTools, tmp_path: Path, upstream: FakeUpstream
) -> None:
    broken = upstream.series[1]
    broken.write_text(broken.read_text().replace("-    42", "-    41"))
    dest = tmp_path / "dest"
    result = run_tools("apply", "pyo3", "--dest", str(dest))
    assert result.code == 3
    assert (
        "0002-Change-the-answer.patch: src/lib.rs, hunk 1 of 1 (@@ -1,5 +1,5 @@)" in result.stderr
    )
    assert not dest.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".dest")] == []


def test_failed_series_leaves_existing_dest_as_it_was(
    run_tools: RunTools, tmp_path: Path, upstream: FakeUpstream
) -> None:
    dest = tmp_path / "dest"
    assert run_tools("apply", "pyo3", "--dest", str(dest)).code == 0
    repo = git.Repo(dest)
    repo.git.checkout("--quiet", "HEAD~2")
    before = repo.head.commit.hexsha
    broken = upstream.series[0]
    broken.write_text(broken.read_text().replace(" fn item_19()", " fn item_nineteen()"))
    result = run_tools("apply", "pyo3", "--dest", str(dest))
    assert result.code == 3
    assert "0001-Prefer-the-base-interpreter.patch: pyo3-build-config/src/impl_.rs" in result.stderr
    assert repo.head.commit.hexsha == before
    assert not repo.is_dirty(untracked_files=True)


def test_changed_series_replaces_an_earlier_apply(
    run_tools: RunTools, tmp_path: Path, upstream: FakeUpstream
) -> None:
    dest = tmp_path / "dest"
    assert run_tools("apply", "pyo3", "--dest", str(dest)).code == 0
    upstream.write_pins(patches=[upstream.series[0].name, upstream.series[2].name])
    upstream.series[1].unlink()
    result = run_tools("apply", "pyo3", "--dest", str(dest))
    assert result.code == 0, result.stderr
    assert _log(dest) == ["Prefer the base interpreter", "Import pyo3 1.0.0 from the registries"]


def test_checksum_mismatch_is_refused(
    run_tools: RunTools, tmp_path: Path, upstream: FakeUpstream
) -> None:
    upstream.write_pins(sha256={"pyo3": "0" * 64})
    dest = tmp_path / "dest"
    result = run_tools("apply", "pyo3", "--dest", str(dest))
    assert result.code == 2
    assert "checksum mismatch for pyo3-1.0.0.crate" in result.stderr
    assert not dest.exists()
    assert not list((tmp_path / "cache" / "downloads").rglob("pyo3-1.0.0.crate"))


def test_warm_cache_needs_no_registry(
    run_tools: RunTools, tmp_path: Path, upstream: FakeUpstream
) -> None:
    assert run_tools("apply", "pyo3", "--dest", str(tmp_path / "one")).code == 0
    shutil.rmtree(upstream.root / "registry")
    shutil.rmtree(tmp_path / "cache" / "bases")
    result = run_tools("apply", "pyo3", "--dest", str(tmp_path / "two"))
    assert result.code == 0, result.stderr
    assert "downloading" not in result.reporter.text()


def test_corrupted_cache_entry_is_downloaded_again(run_tools: RunTools, tmp_path: Path) -> None:
    assert run_tools("apply", "pyo3", "--dest", str(tmp_path / "one")).code == 0
    (cached,) = (tmp_path / "cache" / "downloads").rglob("pyo3-1.0.0.crate")
    cached.write_bytes(b"garbage")
    shutil.rmtree(tmp_path / "cache" / "bases")
    result = run_tools("apply", "pyo3", "--dest", str(tmp_path / "two"))
    assert result.code == 0
    assert "does not match its sha256" in result.reporter.text()


def test_git_source_applies_every_patch(
    run_tools: RunTools, tmp_path: Path, upstream: FakeUpstream
) -> None:
    dest = tmp_path / "dest"
    result = run_tools("apply", "pyo3", "--source", "git", "--dest", str(dest))
    assert result.code == 0, result.stderr
    repo = git.Repo(dest)
    assert _log(dest)[:3] == [
        "Add a nox session",
        "Change the answer",
        "Prefer the base interpreter",
    ]
    assert repo.commit("HEAD~3").hexsha == upstream.commit
    assert (dest / "newsfragments/PR-NUMBER.added.md").exists()
    assert repo.remote("upstream").url == upstream.repo.as_uri()
    again = run_tools("apply", "pyo3", "--source", "git", "--dest", str(dest))
    assert again.code == 0
    assert "nothing to do" in again.reporter.text()


def test_git_source_refuses_a_different_commit(
    run_tools: RunTools, tmp_path: Path, upstream: FakeUpstream
) -> None:
    upstream.write_pins(commit="1" * 40)
    dest = tmp_path / "dest"
    result = run_tools("apply", "pyo3", "--source", "git", "--dest", str(dest))
    assert result.code == 2
    assert f"is commit {upstream.commit}, but the pins say {'1' * 40}" in result.stderr
    assert not dest.exists()


def test_git_url_override(run_tools: RunTools, tmp_path: Path, upstream: FakeUpstream) -> None:
    upstream.write_pins(git_url="file:///nowhere/pyo3.git")
    elsewhere = tmp_path / "elsewhere.git"
    git.Repo.clone_from(upstream.repo, elsewhere, bare=True)
    dest = tmp_path / "dest"
    failing = run_tools("apply", "pyo3", "--source", "git", "--dest", str(dest))
    assert failing.code == 5
    result = run_tools(
        "apply", "pyo3", "--source", "git", "--git-url", elsewhere.as_uri(), "--dest", str(dest)
    )
    assert result.code == 0, result.stderr


@pytest.mark.parametrize("project", ["pyo3"])
def test_unknown_version_is_a_clear_error(
    run_tools: RunTools, tmp_path: Path, project: str
) -> None:
    result = run_tools("apply", project, "--version", "9.9.9", "--dest", str(tmp_path / "d"))
    assert result.code == 2
    assert "no pin for pyo3 9.9.9" in result.stderr
    assert "pinned: 1.0.0" in result.stderr
