"""Cached registry bases and earlier applies are recognised by their content, never by labels
such as the tools' commit message or committer, which anyone can write."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from pathlib import Path

import git
import pytest

from tests.conftest import RunTools
from tests.hostile import tree_digest
from tests.upstream_fixture import FakeUpstream
from tools.gitops import TOOLS_EMAIL, TOOLS_NAME
from tools.pins import load_pins
from tools.sources import lay_out

# What the tools' own commits carry: the labels a forger copies.
TOOLS_LABELS = {
    "GIT_AUTHOR_NAME": TOOLS_NAME,
    "GIT_AUTHOR_EMAIL": TOOLS_EMAIL,
    "GIT_COMMITTER_NAME": TOOLS_NAME,
    "GIT_COMMITTER_EMAIL": TOOLS_EMAIL,
    "GIT_AUTHOR_DATE": "2000-01-01T00:00:00+0000",
    "GIT_COMMITTER_DATE": "2000-01-01T00:00:00+0000",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    **{key: os.environ[key] for key in ("PATH", "SYSTEMROOT") if key in os.environ},
}


def _forge(*args: str | Path, env: dict[str, str] | None = None) -> str:
    return subprocess.run(
        ["git", *map(str, args)],
        env=env or TOOLS_LABELS,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def _the_base(tmp_path: Path) -> Path:
    (base,) = (p for p in (tmp_path / "cache" / "bases").iterdir() if not p.name.startswith("."))
    return base


def amend_base(
    base: Path, scratch: Path, path: str, text: str, *, message: str | None = None
) -> None:
    """Edits one file of a cached base and commits it again in place of the base commit, with
    the tools' author, committer, date and (unless given) message; the base may be bare."""
    if (base / ".git").is_dir():
        where = ["-C", str(base)]
        work = base
    else:
        work = scratch
        work.mkdir()
        where = ["--git-dir", str(base), "--work-tree", str(work)]
        _forge(*where, "checkout", "--quiet", "--force", "HEAD", "--", ".")
    (work / path).write_text(text)
    how = ["--no-edit"] if message is None else ["-m", message]
    _forge(*where, "commit", "--quiet", "--all", "--amend", *how, "--no-verify")


def test_base_commit_is_what_git_makes_of_the_artifacts(
    run_tools: RunTools, upstream: FakeUpstream, tmp_path: Path
) -> None:
    """The computed base commit is the one `git add` and `git commit` make of the laid-out
    artifacts, so it is reproducible with git alone (and equal to bases made before)."""
    dest = tmp_path / "dest"
    assert run_tools("apply", "pyo3", "--dest", str(dest)).code == 0
    applied = git.Repo(dest).commit("HEAD~2")
    pin = load_pins(upstream.pins_path).select("pyo3", None)
    tree = tmp_path / "laid-out"
    tree.mkdir()
    for artifact in pin.artifacts:
        lay_out(artifact, Path(artifact.url.removeprefix("file://")), tree)
    _forge("-C", tree, "init", "--quiet")
    _forge("-C", tree, "add", "--all", "--force")
    _forge("-C", tree, "commit", "--quiet", "--no-verify", "-m", str(applied.message))
    assert _forge("-C", tree, "rev-parse", "HEAD") == applied.hexsha


def test_artifacts_with_gitattributes_give_the_commit_git_makes(
    run_tools: RunTools, upstream: FakeUpstream, tmp_path: Path
) -> None:
    """pyo3's crates carry `* text=auto eol=lf` and files with CRLF line ends, which `git add`
    stores with LF: the computed commit follows git, and a cached one is used again."""
    crate = upstream.archives["pyo3-build-config"]
    files = {
        "pyo3-build-config-1.0.0/.gitattributes": (b"* text=auto eol=lf\n", 0o644),
        "pyo3-build-config-1.0.0/notes.txt": (b"one\r\ntwo\r\n", 0o644),
        "pyo3-build-config-1.0.0/run.sh": (b"#!/bin/sh\r\n", 0o755),
    }
    with tarfile.open(crate) as old:
        members = [(m, old.extractfile(m).read()) for m in old.getmembers() if m.isfile()]  # type: ignore[union-attr]
    with tarfile.open(crate, "w:gz") as new:
        for member, data in members:
            new.addfile(member, io.BytesIO(data))
        for name, (data, mode) in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            new.addfile(info, io.BytesIO(data))
    upstream.write_pins()

    dest = tmp_path / "dest"
    first = run_tools("apply", "pyo3", "--dest", str(dest))
    assert first.code == 0, first.stderr
    assert (dest / "pyo3-build-config/notes.txt").read_bytes() == b"one\ntwo\n"
    assert os.access(dest / "pyo3-build-config/run.sh", os.X_OK)
    base = git.Repo(dest).commit("HEAD~2")
    pin = load_pins(upstream.pins_path).select("pyo3", None)
    tree = tmp_path / "laid-out"
    tree.mkdir()
    for artifact in pin.artifacts:
        lay_out(artifact, Path(artifact.url.removeprefix("file://")), tree)
    _forge("-C", tree, "init", "--quiet")
    _forge("-C", tree, "add", "--all", "--force")
    _forge("-C", tree, "commit", "--quiet", "--no-verify", "-m", str(base.message))
    assert _forge("-C", tree, "rev-parse", "HEAD") == base.hexsha

    again = run_tools("apply", "pyo3", "--dest", str(tmp_path / "again"))
    assert again.code == 0, again.stderr
    assert "rebuilding" not in again.reporter.text()
    assert "laying out" not in again.reporter.text()
    assert git.Repo(tmp_path / "again").commit("HEAD~2").hexsha == base.hexsha


def test_base_tampered_under_the_tools_labels_is_rebuilt(
    run_tools: RunTools, tmp_path: Path
) -> None:
    fresh = tmp_path / "fresh"
    assert run_tools("apply", "pyo3", "--dest", str(fresh)).code == 0
    base = _the_base(tmp_path)
    reproducible = _forge(
        "--git-dir", base / ".git" if (base / ".git").is_dir() else base, "rev-parse", "HEAD"
    )
    amend_base(base, tmp_path / "scratch", "src/lib.rs", "tampered\n")
    tampered = _forge(
        "--git-dir", base / ".git" if (base / ".git").is_dir() else base, "rev-parse", "HEAD"
    )
    assert tampered != reproducible

    dest = tmp_path / "dest"
    result = run_tools("apply", "pyo3", "--dest", str(dest))
    assert result.code == 0, result.stderr
    assert "is not what the tools made; rebuilding it" in result.reporter.text()
    assert git.Repo(dest).commit("HEAD~2").hexsha == reproducible
    assert git.Repo(dest).head.commit.hexsha == git.Repo(fresh).head.commit.hexsha
    assert "tampered" not in (dest / "src/lib.rs").read_text()
    assert tree_digest(dest, skip=(".git",)) == tree_digest(fresh, skip=(".git",))


def test_base_with_a_rewritten_object_file_is_rebuilt(run_tools: RunTools, tmp_path: Path) -> None:
    """The base commit's id is right but an object file under it was replaced."""
    fresh = tmp_path / "fresh"
    assert run_tools("apply", "pyo3", "--dest", str(fresh)).code == 0
    base = _the_base(tmp_path)
    git_dir = base / ".git" if (base / ".git").is_dir() else base
    blob = _forge("--git-dir", git_dir, "rev-parse", "HEAD:src/lib.rs")
    loose = git_dir / "objects" / blob[:2] / blob[2:]
    if not loose.exists():
        pytest.skip("the base is packed")
    other = tmp_path / "other.txt"
    other.write_text("tampered\n")
    fake = _forge("hash-object", other)
    # Write the object of other content under the blob's name.
    _forge("--git-dir", git_dir, "hash-object", "-w", other)
    loose.chmod(0o644)
    loose.write_bytes((git_dir / "objects" / fake[:2] / fake[2:]).read_bytes())
    dest = tmp_path / "dest"
    result = run_tools("apply", "pyo3", "--dest", str(dest))
    assert result.code == 0, result.stderr
    assert "tampered" not in (dest / "src/lib.rs").read_text()
    assert git.Repo(dest).head.commit.hexsha == git.Repo(fresh).head.commit.hexsha


def _forged_commit(dest: Path) -> str:
    """A commit of the user's on top of the base, carrying the tools' committer and author."""
    (dest / "src" / "mine.rs").write_text("my own work\n")
    _forge("-C", dest, "add", "src/mine.rs")
    _forge("-C", dest, "commit", "--quiet", "--no-verify", "-m", "Change the answer")
    return _forge("-C", dest, "rev-parse", "HEAD")


def test_forged_earlier_apply_at_head_is_refused(run_tools: RunTools, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    assert run_tools("apply", "pyo3", "--dest", str(dest)).code == 0
    _forge("-C", dest, "checkout", "--quiet", "--detach", "HEAD~2")
    forged = _forged_commit(dest)
    before = tree_digest(dest)
    result = run_tools("apply", "pyo3", "--dest", str(dest))
    assert result.code == 4, result.stderr
    assert "nor an earlier `tools apply` of this series; nothing was changed" in result.stderr
    assert "hint: " in result.stderr
    assert git.Repo(dest).head.commit.hexsha == forged
    assert tree_digest(dest) == before


def test_forged_earlier_apply_on_the_branch_is_refused(run_tools: RunTools, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    assert run_tools("apply", "pyo3", "--dest", str(dest)).code == 0
    _forge("-C", dest, "checkout", "--quiet", "-B", "base-python", "HEAD~2")
    forged = _forged_commit(dest)
    _forge("-C", dest, "checkout", "--quiet", "-B", "work", "HEAD~1")
    result = run_tools("apply", "pyo3", "--dest", str(dest))
    assert result.code == 4, result.stderr
    assert "already has a branch 'base-python'" in result.stderr
    assert git.Repo(dest).commit("base-python").hexsha == forged


def test_an_apply_made_without_the_record_is_recognised_by_content(
    run_tools: RunTools, tmp_path: Path
) -> None:
    """A destination the tools applied this series to, with the record gone (as one made by an
    earlier version of the tools): its commits are the series', so it is moved."""
    dest = tmp_path / "dest"
    assert run_tools("apply", "pyo3", "--dest", str(dest)).code == 0
    tip = git.Repo(dest).head.commit.hexsha
    (dest / ".git" / "pyo3-base-python-tools-applied").unlink(missing_ok=True)
    # The same commits with another committer date: an apply at another time.
    _forge("-C", dest, "checkout", "--quiet", "--detach", "HEAD~2")
    _forge(
        "-C",
        dest,
        "cherry-pick",
        f"{tip}~2..{tip}",
        env={**TOOLS_LABELS, "GIT_COMMITTER_DATE": "2001-01-01T00:00:00+0000"},
    )
    assert git.Repo(dest).head.commit.hexsha != tip
    result = run_tools("apply", "pyo3", "--dest", str(dest))
    assert result.code == 0, result.stderr
    assert git.Repo(dest).head.commit.hexsha == tip
