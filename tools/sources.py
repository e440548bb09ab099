"""Upstream sources for a pin: registry artifacts laid out as upstream's repository, or git.

Both end as a git repository holding the pinned base commit, which `apply` clones.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from git.exc import GitError

from tools.cache import Cache
from tools.errors import CommandFailed, ConfigError
from tools.gitops import BASE_DATE, TOOLS_EMAIL, Git, open_repo
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
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
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


def _member_problem(member: tarfile.TarInfo) -> str | None:
    """Why an archive member must not be unpacked, or None."""
    name = member.name
    parts = PurePosixPath(name).parts
    if name.startswith("/") or "\\" in name or (parts and parts[0] == "/"):
        return "an absolute path"
    if ".." in parts:
        return "a '..' segment"
    if any(part.casefold() == ".git" for part in parts):
        return "a path named .git or inside a .git folder"
    if member.issym() or member.islnk():
        return "a link"
    if not (member.isfile() or member.isdir()):
        return "a device, pipe or other special file"
    return None


def _member_path(artifact: Artifact, name: str) -> PurePosixPath | None:
    """Where an archive member goes in the repository layout, or None to leave it out."""
    parts = PurePosixPath(name).parts
    if len(parts) < 2:
        return None
    inner = PurePosixPath(*parts[1:])
    if str(inner) in _FILES_ALWAYS_DROPPED or str(inner) in artifact.drop:
        return None
    return PurePosixPath(artifact.path) / inner if artifact.path else inner


def lay_out(artifact: Artifact, archive: Path, tree: Path) -> int:
    """Unpack one artifact into `tree` at its repository path; returns the file count.

    Every member is checked before anything is written: no links, devices, absolute paths,
    `..` segments or `.git` folders, and every file must land inside `tree`.
    """
    root = tree.resolve()
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = tar.getmembers()
            planned: list[tuple[tarfile.TarInfo, Path]] = []
            for member in members:
                if (problem := _member_problem(member)) is not None:
                    raise ConfigError(
                        f"{artifact.filename}: refusing to unpack {member.name!r}: {problem}",
                        hint="the archive is not a plain source archive; nothing was written",
                    )
                relative = _member_path(artifact, member.name) if member.isfile() else None
                if relative is None:
                    continue
                destination = (root / relative).resolve()
                if not destination.is_relative_to(root) or destination == root:
                    raise ConfigError(
                        f"{artifact.filename}: {member.name!r} would be written outside the "
                        f"tree (artifact path {artifact.path!r})"
                    )
                planned.append((member, destination))
            for member, destination in planned:
                destination.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                if source is None:
                    continue
                with source, destination.open("wb") as out:
                    shutil.copyfileobj(source, out)
                destination.chmod(0o755 if member.mode & 0o111 else 0o644)
    except (tarfile.TarError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise ConfigError(f"{artifact.filename}: not a readable .tar.gz archive: {exc}") from exc
    return len(planned)


def _base_message(pin: Pin) -> str:
    lines = [f"Import {pin.project} {pin.version} from the registries", ""]
    lines.append("Laid out in the upstream repository's layout by `tools apply`.")
    lines.append(f"Upstream: {pin.git_url} {pin.tag} ({pin.commit})")
    lines.append("")
    lines.extend(f"{a.filename} sha256:{a.sha256}" for a in pin.artifacts)
    return "\n".join(lines) + "\n"


# Bump when the way artifacts are laid out changes, so cached bases are rebuilt.
_LAYOUT_VERSION = 2


def _registry_key(pin: Pin) -> str:
    """Everything that shapes a registry base's content: checksums, layout, drops."""
    shape = {
        "layout": _LAYOUT_VERSION,
        "always_dropped": list(_FILES_ALWAYS_DROPPED),
        "message": _base_message(pin),
        "artifacts": [[a.sha256, a.path, sorted(a.drop)] for a in pin.artifacts],
    }
    return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:16]


def _cached_base(repo_path: Path, pin: Pin, reporter: Reporter) -> str | None:
    """The commit of a cached base that is what the tools made for this pin, else None."""
    if not repo_path.exists():
        return None
    repo = open_repo(repo_path)
    try:
        if repo is not None and repo.head.is_valid():
            commit = repo.head.commit
            if (
                commit.message == _base_message(pin)
                and not commit.parents
                and commit.committer.email == TOOLS_EMAIL
                and not repo.is_dirty(untracked_files=True)
            ):
                return commit.hexsha
    except (ValueError, OSError, GitError):
        pass
    reporter.warn(f"cached base {repo_path} is not what the tools made; rebuilding it")
    shutil.rmtree(repo_path, ignore_errors=True)
    return None


def registry_base(pin: Pin, cache: Cache, git: Git, reporter: Reporter) -> Base:
    """The pin's artifacts committed as the single, reproducible commit of a cached repo."""
    if not pin.artifacts:
        raise ConfigError(
            f"{pin.project} {pin.version} has no registry artifacts in the pins",
            hint="use --source git",
        )
    repo_path = cache.bases / f"{pin.project}-{pin.version}-{_registry_key(pin)}"
    cached = _cached_base(repo_path, pin, reporter)
    if cached is not None:
        return Base(repo_path, cached, "registry", None)
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


def _mirror(cache: Cache, project: str, url: str, git: Git) -> Path:
    """A bare repository for fetches from `url`, one per URL, so one URL cannot spoil another."""
    key = hashlib.sha256(url.encode()).hexdigest()[:12]
    mirror = cache.git / f"{project}-{key}.git"
    repo = open_repo(mirror) if mirror.exists() else None
    if repo is None or not repo.bare:
        shutil.rmtree(mirror, ignore_errors=True)
        mirror.mkdir(parents=True)
        git(mirror, "init", "--quiet", "--bare")
    return mirror


def _tag_commit(git: Git, mirror: Path, tag_ref: str) -> str | None:
    have = git(mirror, "rev-parse", "--verify", "--quiet", "--end-of-options",
               f"{tag_ref}^{{commit}}", check=False)  # fmt: skip
    return have.stdout.strip() if have.returncode == 0 else None


def fetch_ref(git: Git, mirror: Path, url: str, ref: str, reporter: Reporter) -> None:
    """Fetches one ref (or refspec pattern) from url into the same ref of the mirror."""
    name = ref.removeprefix("refs/tags/").removeprefix("refs/heads/")
    with reporter.progress(f"fetching {name} from {url}"):
        try:
            git(mirror, "fetch", "--quiet", "--no-tags", "--", url, f"+{ref}:{ref}")
        except CommandFailed as exc:
            # a mirror nothing was ever fetched into is not kept for a URL that failed
            if not git(mirror, "for-each-ref", "--count=1", check=False).stdout.strip():
                shutil.rmtree(mirror, ignore_errors=True)
            raise CommandFailed(
                f"could not fetch {name} from {url}: {exc}",
                hint="the upstream git host must be reachable; --git-url points elsewhere, "
                "and --source registry needs only the registries",
            ) from exc


def _branch_base(pin: Pin, mirror: Path, url: str, git: Git, reporter: Reporter) -> Base:
    """A pin on an upstream branch: its commit, fetched with the branch when not yet here."""
    wanted = f"{pin.commit}^{{commit}}"
    present = ("cat-file", "-e", "--end-of-options", wanted)
    if git(mirror, *present, check=False).returncode != 0:
        fetch_ref(git, mirror, url, f"refs/heads/{pin.upstream_branch}", reporter)
        if git(mirror, *present, check=False).returncode != 0:
            raise ConfigError(
                f"{pin.project} commit {pin.commit} is not on {pin.upstream_branch} at {url} "
                "any more; refusing to guess another base",
                hint="port the series onto the branch again with `tools port`",
            )
    return Base(mirror, pin.commit, "git", url)


def git_base(pin: Pin, url: str, cache: Cache, git: Git, reporter: Reporter) -> Base:
    """A cached bare clone holding the pinned tag (or branch commit), whose commit must be the
    pinned SHA.

    A cached tag that is not the pinned commit is fetched again before it is judged, so a tag
    that moved upstream since an earlier fetch is not blamed on the URL.
    """
    mirror = _mirror(cache, pin.project, url, git)
    if pin.upstream_branch is not None:
        return _branch_base(pin, mirror, url, git, reporter)
    tag_ref = f"refs/tags/{pin.tag}"
    commit = _tag_commit(git, mirror, tag_ref)
    if commit != pin.commit:
        fetch_ref(git, mirror, url, tag_ref, reporter)
        commit = _tag_commit(git, mirror, tag_ref)
    if commit != pin.commit:
        raise ConfigError(
            f"{pin.project} tag {pin.tag} fetched just now from {url} is commit {commit}, but "
            f"the pins say {pin.commit}; refusing to apply onto it",
            hint="check the pins' tag and commit, or pass --git-url for a repository that has "
            "the pinned commit",
        )
    return Base(mirror, commit, "git", url)


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
