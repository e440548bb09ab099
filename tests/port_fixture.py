"""Newer releases and a moving `main` for the fake upstream, shaped like pyo3's history: v1.0.0
on `main`, patch releases on a release branch off it, and `main` moving on without them.

Each release is published like 1.0.0 (archives next to its archives, reached through file://
URLs) and listed in a sparse crate index with its sha256, so `tools port` runs offline.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from tests.upstream_fixture import IMPL_RS, LIB_RS, FakeUpstream, _archive, git, write

RELEASE_BRANCH = "release-1.0"
CRATES = ("pyo3", "pyo3-build-config")

# 1.0.1 moves every line of impl_.rs down by two: the series applies with an offset.
IMPL_1_0_1 = "// Released as 1.0.1.\n// Nothing else changed.\n" + IMPL_RS
# 1.0.2 rewrites the very line the first patch changes: a real conflict.
IMPL_1_0_2 = IMPL_RS.replace("fn item_20() -> u32 { 20 }", "fn item_20() -> u32 { 2000 }")
# main rewords the line above the answer: the second patch no longer applies as it is, but
# merges three-way.
LIB_MAIN = LIB_RS.replace("//! The root crate.", "//! The root crate, as on main.")


def write_index(upstream: FakeUpstream) -> str:
    """A sparse index (cargo's layout) of every archive in the fake registry; returns its URL."""
    index = upstream.root / "index"
    registry = upstream.root / "registry"
    for crate in CRATES:
        pattern = re.compile(rf"{re.escape(crate)}-(\d+\.\d+\.\d+)\.crate")
        lines = []
        for archive in sorted(registry.iterdir()):
            match = pattern.fullmatch(archive.name)
            if match is None:
                continue
            digest = hashlib.sha256(archive.read_bytes()).hexdigest()
            entry = {"name": crate, "vers": match[1], "cksum": digest, "yanked": False}
            lines.append(json.dumps(entry))
        write(index, f"{crate[:2]}/{crate[2:4]}/{crate}", "\n".join(lines) + "\n")
    return index.as_uri()


def add_release(upstream: FakeUpstream, version: str, edits: dict[str, str]) -> str:
    """Commits edits on the release branch, tags v{version}, publishes it; returns the commit."""
    repo = upstream.repo
    branches = git(repo, "branch", "--format=%(refname:short)").split()
    if RELEASE_BRANCH in branches:
        git(repo, "checkout", "-q", RELEASE_BRANCH)
    else:
        git(repo, "checkout", "-q", "-b", RELEASE_BRANCH, upstream.tag)
    for path, text in edits.items():
        write(repo, path, text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"Release {version}")
    git(repo, "tag", "-a", f"v{version}", "-m", f"v{version}")
    commit = git(repo, "rev-parse", "HEAD")
    registry = upstream.root / "registry"
    _archive(
        repo,
        f"pyo3-{version}",
        registry / f"pyo3-{version}.crate",
        skip=("pyo3-build-config", "newsfragments", "noxfile.py"),
        sha1=commit,
    )
    _archive(
        repo / "pyo3-build-config",
        f"pyo3-build-config-{version}",
        registry / f"pyo3-build-config-{version}.crate",
        skip=(),
        sha1=commit,
    )
    git(repo, "checkout", "-q", "main")
    write_index(upstream)
    return commit


def advance_main(upstream: FakeUpstream, edits: dict[str, str]) -> str:
    """A commit on main after the release; returns it."""
    repo = upstream.repo
    git(repo, "checkout", "-q", "main")
    for path, text in edits.items():
        write(repo, path, text)
    git(repo, "commit", "-q", "-am", "Work on main after 1.0.0")
    return git(repo, "rev-parse", "HEAD")


def releases(upstream: FakeUpstream) -> tuple[str, dict[str, str]]:
    """Publishes 1.0.1 (ports cleanly) and 1.0.2 (conflicts); returns the index URL and commits."""
    commits = {
        "1.0.1": add_release(upstream, "1.0.1", {"pyo3-build-config/src/impl_.rs": IMPL_1_0_1}),
        "1.0.2": add_release(upstream, "1.0.2", {"pyo3-build-config/src/impl_.rs": IMPL_1_0_2}),
    }
    return write_index(upstream), commits


def pins_text(upstream: FakeUpstream) -> str:
    return Path(upstream.pins_path).read_text()
