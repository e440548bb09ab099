"""Upstream sources for a pin: registry artifacts laid out as upstream's repository, or git.

Both end as a git repository holding the pinned base commit, which `apply` clones.
"""

from __future__ import annotations

import hashlib
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from tools.cache import Cache
from tools.errors import CommandFailed, ConfigError
from tools.gitops import BASE_DATE, Git, open_repo
from tools.pins import Artifact, Pin
from tools.reporter import Reporter

SourceKind = Literal["registry", "git"]
_FILES_ALWAYS_DROPPED = (".cargo_vcs_info.json", ".cargo-ok")


@dataclass(frozen=True)
class Base:
    """A git repository that contains the pinned base commit."""

    repo: Path
    commit: str
    source: SourceKind
    upstream_url: str | None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_artifact(artifact: Artifact, cache: Cache, reporter: Reporter) -> Path:
    """The verified artifact from the cache, downloading it first when absent."""
    target = cache.downloads / artifact.sha256[:2] / artifact.filename
    if target.is_file():
        if _sha256(target) == artifact.sha256:
            return target
        reporter.warn(f"cached {target} does not match its sha256; downloading it again")
        target.unlink()
    target.parent.mkdir(parents=True, exist_ok=True)
    with reporter.progress(f"downloading {artifact.url}"):
        try:
            with urllib.request.urlopen(artifact.url, timeout=120) as response:
                data = response.read()
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise CommandFailed(
                f"could not download {artifact.url}: {exc}",
                hint="the crate registry and PyPI must be reachable, or the cache warm",
            ) from exc
    actual = hashlib.sha256(data).hexdigest()
    if actual != artifact.sha256:
        raise ConfigError(
            f"checksum mismatch for {artifact.filename}: pins say sha256 {artifact.sha256}, "
            f"the download from {artifact.url} has {actual}; refusing to use it"
        )
    partial = target.with_suffix(target.suffix + ".part")
    partial.write_bytes(data)
    partial.replace(target)
    return target


def _member_path(artifact: Artifact, name: str) -> PurePosixPath | None:
    """Where an archive member goes in the repository layout, or None to leave it out."""
    parts = PurePosixPath(name).parts
    if len(parts) < 2:
        return None
    inner = PurePosixPath(*parts[1:])
    if inner.is_absolute() or ".." in inner.parts:
        raise ConfigError(f"{artifact.filename}: unsafe path {name!r} in the archive")
    if str(inner) in _FILES_ALWAYS_DROPPED or str(inner) in artifact.drop:
        return None
    return PurePosixPath(artifact.path) / inner if artifact.path else inner


def lay_out(artifact: Artifact, archive: Path, tree: Path) -> int:
    """Unpack one artifact into `tree` at its repository path; returns the file count."""
    count = 0
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar.getmembers():
            if not member.isfile():
                continue
            relative = _member_path(artifact, member.name)
            if relative is None:
                continue
            destination = tree / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            if source is None:
                continue
            with source, destination.open("wb") as out:
                shutil.copyfileobj(source, out)
            destination.chmod(0o755 if member.mode & 0o111 else 0o644)
            count += 1
    return count


def _base_message(pin: Pin) -> str:
    lines = [f"Import {pin.project} {pin.version} from the registries", ""]
    lines.append("Laid out in the upstream repository's layout by `tools apply`.")
    lines.append(f"Upstream: {pin.git_url} {pin.tag} ({pin.commit})")
    lines.append("")
    lines.extend(f"{a.filename} sha256:{a.sha256}" for a in pin.artifacts)
    return "\n".join(lines) + "\n"


def registry_base(pin: Pin, cache: Cache, git: Git, reporter: Reporter) -> Base:
    """The pin's artifacts committed as the single, reproducible commit of a cached repo."""
    if not pin.artifacts:
        raise ConfigError(
            f"{pin.project} {pin.version} has no registry artifacts in the pins",
            hint="use --source git",
        )
    key = hashlib.sha256("".join(a.sha256 for a in pin.artifacts).encode()).hexdigest()[:16]
    repo_path = cache.bases / f"{pin.project}-{pin.version}-{key}"
    existing = open_repo(repo_path)
    if existing is not None and existing.head.is_valid():
        return Base(repo_path, existing.head.commit.hexsha, "registry", None)
    archives = [(a, fetch_artifact(a, cache, reporter)) for a in pin.artifacts]
    reporter.step(f"laying out {pin.project} {pin.version} in upstream's repository layout")
    cache.bases.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{repo_path.name}.", dir=cache.bases))
    try:
        for artifact, archive in archives:
            files = lay_out(artifact, archive, staging)
            reporter.info(f"{artifact.filename}: {files} files -> {artifact.path or '.'}/")
        git(staging, "init", "--quiet")
        git(staging, "add", "--all", "--force")
        git(staging, "commit", "--quiet", "--no-verify", "-m", _base_message(pin),
            author=True, date=BASE_DATE)  # fmt: skip
        staging.replace(repo_path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    repo = open_repo(repo_path)
    assert repo is not None
    return Base(repo_path, repo.head.commit.hexsha, "registry", None)


def git_base(pin: Pin, url: str, cache: Cache, git: Git, reporter: Reporter) -> Base:
    """A cached bare clone holding the pinned tag (or branch), whose commit must be the pin's."""
    mirror = cache.git / f"{pin.project}.git"
    if open_repo(mirror) is None:
        mirror.mkdir(parents=True, exist_ok=True)
        git(mirror, "init", "--quiet", "--bare")
    if pin.upstream_branch is not None:
        return _branch_base(pin, mirror, url, git, reporter)
    tag_ref = f"refs/tags/{pin.tag}"
    have = git(mirror, "rev-parse", "--verify", "--quiet", f"{tag_ref}^{{commit}}", check=False)
    if have.returncode != 0:
        fetch_ref(git, mirror, url, tag_ref, reporter)
        have = git(mirror, "rev-parse", "--verify", f"{tag_ref}^{{commit}}")
    commit = have.stdout.strip()
    if commit != pin.commit:
        raise ConfigError(
            f"{pin.project} tag {pin.tag} from {url} is commit {commit}, but the pins say "
            f"{pin.commit}; refusing to apply onto it"
        )
    return Base(mirror, commit, "git", url)


def fetch_ref(git: Git, mirror: Path, url: str, ref: str, reporter: Reporter) -> None:
    """Fetches one ref from url into the same ref of the mirror."""
    with reporter.progress(f"fetching {ref} from {url}"):
        try:
            git(mirror, "fetch", "--quiet", "--no-tags", url, f"+{ref}:{ref}")
        except CommandFailed as exc:
            raise CommandFailed(
                f"could not fetch {ref} from {url}: {exc}",
                hint="the upstream git host must be reachable; --git-url points elsewhere, "
                "and --source registry needs only the registries",
            ) from exc


def _branch_base(pin: Pin, mirror: Path, url: str, git: Git, reporter: Reporter) -> Base:
    """A pin on an upstream branch: its commit, fetched with the branch when not yet here."""
    wanted = f"{pin.commit}^{{commit}}"
    if git(mirror, "cat-file", "-e", wanted, check=False).returncode != 0:
        fetch_ref(git, mirror, url, f"refs/heads/{pin.upstream_branch}", reporter)
        if git(mirror, "cat-file", "-e", wanted, check=False).returncode != 0:
            raise ConfigError(
                f"{pin.project} commit {pin.commit} is not on {pin.upstream_branch} at {url} "
                "any more; refusing to guess another base",
                hint="port the series onto the branch again with `tools port`",
            )
    return Base(mirror, pin.commit, "git", url)


def open_base(
    pin: Pin,
    source: SourceKind,
    cache: Cache,
    git: Git,
    reporter: Reporter,
    *,
    git_url: str | None = None,
) -> Base:
    if source == "registry":
        return registry_base(pin, cache, git, reporter)
    return git_base(pin, git_url or pin.git_url, cache, git, reporter)
