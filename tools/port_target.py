"""What `tools port` ports onto: a registry release (artifacts, sha256, commit from the crates'
VCS info) or a git ref (a tag, a branch such as `main`, or a commit), as a new pin and its base.
"""

from __future__ import annotations

import dataclasses
import json
import re
import tarfile
from pathlib import Path

from packaging.version import InvalidVersion, Version

from tools.cache import Cache
from tools.errors import ConfigError
from tools.gitops import Git, open_repo
from tools.pins import Artifact, Pin
from tools.registry import FetchText, Registries, crate_releases, find_release, pypi_releases
from tools.reporter import Reporter
from tools.sources import Base, fetch_artifact, fetch_ref, registry_base

_HEX = re.compile(r"[0-9a-f]{7,40}")
CRATE_DOWNLOADS = "https://static.crates.io/crates"


def _swap_version(url: str, old: str, new: str) -> str:
    """The URL of another version, derived the way the pinned one is spelled."""
    head, _, name = url.rpartition("/")
    if old not in name:
        raise ConfigError(f"cannot derive the {new} URL from {url}: it does not name {old}")
    return f"{head}/{name.replace(old, new)}"


def vcs_commit(archive: Path) -> str | None:
    """The commit recorded in a .crate's `.cargo_vcs_info.json`, if it has one."""
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar.getmembers():
            parts = member.name.split("/")
            if len(parts) == 2 and parts[1] == ".cargo_vcs_info.json" and member.isfile():
                handle = tar.extractfile(member)
                if handle is None:
                    return None
                with handle:
                    info = json.loads(handle.read().decode("utf-8"))
                sha = info.get("git", {}).get("sha1") if isinstance(info, dict) else None
                return sha if isinstance(sha, str) else None
    return None


def _target_artifacts(
    old: Pin, version: str, fetch: FetchText, registries: Registries
) -> tuple[Artifact, ...]:
    artifacts = []
    for artifact in old.artifacts:
        if artifact.kind == "crate":
            release = find_release(
                crate_releases(artifact.name, fetch, registries), version, f"crate {artifact.name}"
            )
            url = _swap_version(artifact.url, old.version, version)
        else:
            release = find_release(
                pypi_releases(artifact.name, fetch, registries),
                version,
                f"PyPI project {artifact.name}",
            )
            if release.url is None:
                raise ConfigError(f"PyPI lists no sdist URL for {artifact.name} {version}")
            url = release.url
        artifacts.append(dataclasses.replace(artifact, url=url, sha256=release.sha256))
    return tuple(artifacts)


def _crate_commit(
    pin: Pin, fetch: FetchText, registries: Registries, cache: Cache, reporter: Reporter
) -> str:
    """The one commit all crates of the release name; an sdist's commit comes from the crate
    of the same name (maturin publishes both)."""
    crates = [a for a in pin.artifacts if a.kind == "crate"]
    if not crates:
        for sdist in pin.artifacts:
            release = find_release(
                crate_releases(sdist.name, fetch, registries), pin.version, f"crate {sdist.name}"
            )
            url = f"{CRATE_DOWNLOADS}/{sdist.name}/{sdist.name}-{pin.version}.crate"
            crates.append(
                Artifact(
                    name=sdist.name, kind="crate", url=url, sha256=release.sha256, path="", drop=()
                )
            )
    commits = {a.name: vcs_commit(fetch_artifact(a, cache, reporter)) for a in crates}
    found = set(commits.values())
    if None in found or len(found) != 1:
        shown = ", ".join(f"{name}: {sha or 'none'}" for name, sha in commits.items())
        raise ConfigError(
            f"the {pin.project} {pin.version} crates do not name one commit in their "
            f".cargo_vcs_info.json ({shown}); refusing to guess the base"
        )
    commit = found.pop()
    assert commit is not None
    if not re.fullmatch(r"[0-9a-f]{40}", commit):
        raise ConfigError(f"{pin.project} {pin.version}: VCS info names {commit!r}, not a SHA")
    return commit


def registry_target(
    old: Pin,
    version: str,
    *,
    fetch: FetchText,
    registries: Registries,
    cache: Cache,
    git: Git,
    reporter: Reporter,
) -> tuple[Pin, Base]:
    try:
        Version(version)
    except InvalidVersion as exc:
        raise ConfigError(f"{version!r} is not a release version; --source git takes refs") from exc
    reporter.step(f"{old.project} {version}: reading the registries")
    artifacts = _target_artifacts(old, version, fetch, registries)
    tag = old.tag.replace(old.version, version) if old.version in old.tag else f"v{version}"
    pin = dataclasses.replace(
        old,
        version=version,
        tag=tag,
        commit="0" * 40,
        patches=(),
        artifacts=artifacts,
        not_checked=(),
        series_dir=old.series_dir.parent / version,
    )
    for artifact in artifacts:
        fetch_artifact(artifact, cache, reporter)
    pin = dataclasses.replace(pin, commit=_crate_commit(pin, fetch, registries, cache, reporter))
    return pin, registry_base(pin, cache, git, reporter)


def _mirror(project: str, cache: Cache, git: Git) -> Path:
    mirror = cache.git / f"{project}.git"
    if open_repo(mirror) is None:
        mirror.mkdir(parents=True, exist_ok=True)
        git(mirror, "init", "--quiet", "--bare")
    return mirror


def _containing_branch(mirror: Path, commit: str, git: Git) -> str:
    listed = git(mirror, "branch", "--format=%(refname:short)", "--contains", commit).stdout
    branches = listed.split()
    for preferred in ("main", "master"):
        if preferred in branches:
            return preferred
    if not branches:
        raise ConfigError(f"commit {commit} is on no branch of the upstream repository")
    return branches[0]


def git_target(
    old: Pin, ref: str, url: str, *, cache: Cache, git: Git, reporter: Reporter
) -> tuple[Pin, Base]:
    """A tag gives a release pin; a branch or a commit a pin named after the commit."""
    mirror = _mirror(old.project, cache, git)
    reporter.step(f"{old.project}: resolving {ref} at {url}")
    listing = git(mirror, "ls-remote", "--", url, f"refs/tags/{ref}", f"refs/heads/{ref}").stdout
    names = {line.split("\t", 1)[1] for line in listing.splitlines() if "\t" in line}
    branch: str | None = None
    if f"refs/tags/{ref}" in names:
        fetch_ref(git, mirror, url, f"refs/tags/{ref}", reporter)
        commit = git(mirror, "rev-parse", f"refs/tags/{ref}^{{commit}}").stdout.strip()
        version = ref.removeprefix("v")
        try:
            Version(version)
        except InvalidVersion as exc:
            raise ConfigError(f"tag {ref} does not name a version") from exc
    elif f"refs/heads/{ref}" in names:
        fetch_ref(git, mirror, url, f"refs/heads/{ref}", reporter)
        commit = git(mirror, "rev-parse", f"refs/heads/{ref}").stdout.strip()
        branch = ref
    elif _HEX.fullmatch(ref):
        fetch_ref(git, mirror, url, "refs/heads/*", reporter)
        found = git(mirror, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
        if found.returncode != 0:
            raise ConfigError(f"{ref} is no tag, branch or commit of {url}")
        commit = found.stdout.strip()
        branch = _containing_branch(mirror, commit, git)
    else:
        raise ConfigError(f"{ref} is no tag, branch or commit of {url}")
    if branch is not None:
        version = commit[:12]
        date = git(mirror, "show", "-s", "--format=%cI", commit).stdout.strip()
        tag = ""
    else:
        date, tag = None, ref
    pin = dataclasses.replace(
        old,
        version=version,
        tag=tag,
        commit=commit,
        patches=(),
        artifacts=(),
        not_checked=(),
        upstream_branch=branch,
        date=date,
        series_dir=old.series_dir.parent / version,
    )
    return pin, Base(mirror, commit, "git", url)
