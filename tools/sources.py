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

from tools.cache import Cache
from tools.errors import CommandFailed, ConfigError
from tools.gitops import TOOLS_EMAIL, TOOLS_NAME, Git, open_repo
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
# The fixed date of every registry base commit, as given to git and as git writes it.
_BASE_DATE = "2000-01-01T00:00:00+0000"
_BASE_TIMESTAMP = "946684800 +0000"


def _registry_key(pin: Pin) -> str:
    """Everything that shapes a registry base's content: checksums, layout, drops."""
    shape = {
        "layout": _LAYOUT_VERSION,
        "always_dropped": list(_FILES_ALWAYS_DROPPED),
        "message": _base_message(pin),
        "artifacts": [[a.sha256, a.path, sorted(a.drop)] for a in pin.artifacts],
    }
    return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:16]


def _object_id(kind: bytes, body: bytes) -> bytes:
    """A git object's id: the SHA-1 of its header and content."""
    return hashlib.sha1(kind + b" " + str(len(body)).encode() + b"\0" + body).digest()


_Tree = dict[str, "tuple[bytes, bytes] | _Tree"]


def _laid_out_tree(staging: Path, git: Git) -> _Tree:
    """The files `lay_out` wrote into staging (a fresh repository) as a nested tree of (mode,
    blob id). Blob ids come from `git hash-object`, which applies the artifacts' own
    .gitattributes (line-ending normalisation) exactly as `git add` does."""
    files = sorted(
        path.relative_to(staging).as_posix()
        for path in staging.rglob("*")
        if path.is_file() and path.relative_to(staging).parts[0] != ".git"
    )
    if not files:
        raise ConfigError(f"the artifacts laid out in {staging} hold no files")
    if any("\n" in name or "\r" in name for name in files):
        raise ConfigError("an artifact holds a file name with a line break; refusing to lay it out")
    listed = git(staging, "hash-object", "--stdin-paths", input_text="\n".join(files) + "\n")
    blobs = listed.stdout.split()
    if len(blobs) != len(files):
        raise CommandFailed(f"git hash-object named {len(blobs)} blobs for {len(files)} files")
    root: _Tree = {}
    for name, blob in zip(files, blobs, strict=True):
        mode = b"100755" if (staging / name).stat().st_mode & 0o111 else b"100644"
        node = root
        *folders, leaf = name.split("/")
        for part in folders:
            child = node.setdefault(part, {})
            assert isinstance(child, dict)
            node = child
        node[leaf] = (mode, bytes.fromhex(blob))
    return root


def _tree_id(tree: _Tree) -> bytes:
    """A tree object's id as git writes it: entries sorted by name, a folder's name sorting as
    if it ended in '/'."""
    entries = []
    for name, value in tree.items():
        if isinstance(value, dict):
            entries.append((name + "/", b"40000", name, _tree_id(value)))
        else:
            entries.append((name, value[0], name, value[1]))
    entries.sort(key=lambda entry: entry[0].encode())
    body = b"".join(mode + b" " + name.encode() + b"\0" + oid for _, mode, name, oid in entries)
    return _object_id(b"tree", body)


def _base_commit(pin: Pin, staging: Path, git: Git) -> str:
    """The id of the pin's reproducible base commit, computed from the verified artifacts laid
    out in staging: one root commit of their files with the tools' fixed author, committer,
    date and message. Computed, not read from any repository, so no label can stand in for it."""
    tree = _tree_id(_laid_out_tree(staging, git))
    who = f"{TOOLS_NAME} <{TOOLS_EMAIL}> {_BASE_TIMESTAMP}"
    body = f"tree {tree.hex()}\nauthor {who}\ncommitter {who}\n\n{_base_message(pin)}"
    return _object_id(b"commit", body.encode()).hex()


def _cached_base(repo_path: Path, expected: str, git: Git, reporter: Reporter) -> bool:
    """Whether the cached base at repo_path is the reproducible commit, intact; else it is
    removed (it is in the tools' cache, under a name only they use) to be built again."""
    if not (repo_path.exists() or repo_path.is_symlink()):
        return False
    if repo_path.is_dir() and not repo_path.is_symlink():
        head = git(repo_path, "rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False)
        if head.returncode == 0 and head.stdout.strip() == expected:
            # Every object's content against its id, so a rewritten object file is caught too.
            checked = git(
                repo_path,
                "fsck",
                "--full",
                "--strict",
                "--no-dangling",
                "--no-progress",
                check=False,
            )
            if checked.returncode == 0:
                return True
    reporter.warn(f"cached base {repo_path} is not what the tools made; rebuilding it")
    if repo_path.is_symlink() or not repo_path.is_dir():
        repo_path.unlink()
    else:
        shutil.rmtree(repo_path, ignore_errors=True)
    return False


def registry_base(pin: Pin, cache: Cache, git: Git, reporter: Reporter) -> Base:
    """The pin's artifacts committed as the single, reproducible commit of a cached repo.

    The commit id is computed from the verified artifacts every time, so a cached base is used
    only when it is that commit, whatever labels (message, committer) it carries.
    """
    if not pin.artifacts:
        raise ConfigError(
            f"{pin.project} {pin.version} has no registry artifacts in the pins",
            hint="use --source git",
        )
    archives = [(a, fetch_artifact(a, cache, reporter)) for a in pin.artifacts]
    repo_path = cache.bases / f"{pin.project}-{pin.version}-{_registry_key(pin)}"
    cache.bases.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{repo_path.name}.", dir=cache.bases))
    try:
        counts = [lay_out(artifact, archive, staging) for artifact, archive in archives]
        git(staging, "init", "--quiet")
        expected = _base_commit(pin, staging, git)
        if _cached_base(repo_path, expected, git, reporter):
            return Base(repo_path, expected, "registry", None)
        reporter.step(f"laying out {pin.project} {pin.version} in upstream's repository layout")
        for (artifact, _archive), files in zip(archives, counts, strict=True):
            reporter.info(f"{artifact.filename}: {files} files -> {artifact.path or '.'}/")
        git(staging, "add", "--all", "--force")
        git(
            staging,
            "commit",
            "--quiet",
            "--no-verify",
            "-m",
            _base_message(pin),
            author=True,
            date=_BASE_DATE,
        )
        built = git(staging, "rev-parse", "HEAD").stdout.strip()
        if built != expected:
            raise CommandFailed(
                f"git committed the {pin.project} {pin.version} base as {built}, not as the "
                f"reproducible {expected}",
                hint="this git may not be supported; please report it",
            )
        staging.replace(repo_path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Base(repo_path, expected, "registry", None)


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
    have = git(
        mirror,
        "rev-parse",
        "--verify",
        "--quiet",
        "--end-of-options",
        f"{tag_ref}^{{commit}}",
        check=False,
    )
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
