"""Archives and series are data: nothing in them is executed or written outside its folder."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import git
import pytest

from tests.conftest import RunTools
from tests.hostile import copy_with_extra, tree_digest
from tests.upstream_fixture import FakeUpstream


def _hook(witness: Path) -> bytes:
    return f"#!/bin/sh\ntouch {witness}\n".encode()


@pytest.mark.parametrize(
    "case",
    [
        ("pyo3-1.0.0/.git/hooks/post-commit", {"mode": 0o755}, "inside a .git folder"),
        ("pyo3-1.0.0/.git/config", {}, "inside a .git folder"),
        ("pyo3-1.0.0/src/.git", {}, "inside a .git folder"),
        ("pyo3-1.0.0/../../escaped.txt", {}, "a '..' segment"),
        ("/tmp/absolute-member.txt", {}, "an absolute path"),
        ("pyo3-1.0.0/src/link", {"type": tarfile.SYMTYPE, "linkname": "/etc"}, "a link"),
        ("pyo3-1.0.0/dev", {"type": tarfile.CHRTYPE}, "a device"),
    ],
)
def test_hostile_archive_member_is_refused_before_anything_is_written(
    run_tools: RunTools,
    tmp_path: Path,
    upstream: FakeUpstream,
    case: tuple[str, dict[str, object], str],
) -> None:
    member, fields, problem = case
    witness = tmp_path / "pwned"
    crate = upstream.archives["pyo3"]
    hostile = copy_with_extra(
        crate, tmp_path / "hostile.crate", [(member, {"data": _hook(witness), **fields})]
    )
    hostile.replace(crate)
    upstream.write_pins()
    before = tree_digest(tmp_path, skip=("cache",))
    dest = tmp_path / "dest"
    result = run_tools("apply", "pyo3", "--dest", str(dest))
    assert result.code == 2, result.stderr
    assert f"pyo3-1.0.0.crate: refusing to unpack {member!r}: " in result.stderr
    assert problem in result.stderr
    assert not witness.exists()
    assert not dest.exists()
    assert tree_digest(tmp_path, skip=("cache",)) == before
    assert not Path("/tmp/absolute-member.txt").exists()
    assert list((tmp_path / "cache" / "bases").iterdir()) == []


def test_artifact_path_outside_the_tree_is_refused(
    run_tools: RunTools, tmp_path: Path, upstream: FakeUpstream
) -> None:
    text = upstream.pins_path.read_text()
    upstream.pins_path.write_text(text.replace('path = "pyo3-build-config"', 'path = "../.."'))
    before = tree_digest(tmp_path)
    result = run_tools("apply", "pyo3", "--dest", str(tmp_path / "dest"))
    assert result.code == 2
    assert "`path` = '../..' must stay inside its folder: it has a '..' segment" in result.stderr
    assert tree_digest(tmp_path, skip=("cache",)) == before


@pytest.mark.parametrize("entry", ["../../outside.patch", "/tmp/outside.patch", "sub/x.patch"])
def test_series_entry_outside_the_series_folder_is_refused(
    run_tools: RunTools, tmp_path: Path, upstream: FakeUpstream, entry: str
) -> None:
    names = [p.name for p in upstream.series]
    upstream.write_pins(patches=[*names, entry])
    result = run_tools("apply", "pyo3", "--dest", str(tmp_path / "dest"))
    assert result.code == 2
    assert f"series entry {entry!r} is not a plain file name" in result.stderr
    assert not (tmp_path / "dest").exists()


def test_series_entry_through_a_symlink_is_refused(
    run_tools: RunTools, tmp_path: Path, upstream: FakeUpstream
) -> None:
    outside = tmp_path / "outside.patch"
    outside.write_text(upstream.series[0].read_text())
    link = upstream.series[0].parent / "0009-link.patch"
    link.symlink_to(outside)
    upstream.write_pins(patches=[*(p.name for p in upstream.series), link.name])
    result = run_tools("apply", "pyo3", "--dest", str(tmp_path / "dest"))
    assert result.code == 2
    assert "resolves outside the series folder" in result.stderr


def test_hooks_and_fsmonitor_of_an_existing_checkout_do_not_run(
    run_tools: RunTools, tmp_path: Path
) -> None:
    dest = tmp_path / "dest"
    assert run_tools("apply", "pyo3", "--dest", str(dest)).code == 0
    repo = git.Repo(dest)
    repo.git.checkout("--quiet", "HEAD~2")
    witness = tmp_path / "pwned"
    hooks = Path(repo.git_dir) / "hooks"
    hooks.mkdir(exist_ok=True)
    for name in ("post-checkout", "post-merge", "reference-transaction"):
        (hooks / name).write_bytes(_hook(witness))
        os.chmod(hooks / name, 0o755)  # noqa: PTH101
    monitor = tmp_path / "monitor.sh"
    monitor.write_bytes(_hook(witness))
    monitor.chmod(0o755)
    with repo.config_writer() as config:
        config.set_value("core", "fsmonitor", str(monitor))
    result = run_tools("apply", "pyo3", "--dest", str(dest))
    assert result.code == 0, result.stderr
    assert not witness.exists()
