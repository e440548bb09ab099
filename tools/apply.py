"""`tools apply`: the series as commits on a branch, all or nothing, never losing user work."""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from git import BadName, GitCommandError, Repo

from tools.cache import Cache
from tools.errors import ApplyFailed, CommandFailed, DestinationRefused
from tools.gitops import Git, changed_paths, commits_between, head_commit, open_repo
from tools.gitops import operation_in_progress as in_progress
from tools.pins import Pin
from tools.reporter import Reporter
from tools.series import Patch, load_series, unshipped_files
from tools.sources import Base, SourceKind, open_base

Outcome = Literal["created", "applied", "reapplied", "unchanged"]


@dataclass(frozen=True, kw_only=True)
class ApplyOptions:
    pin: Pin
    source: SourceKind
    dest: Path
    git_url: str | None = None
    branch: str | None = None


@dataclass(frozen=True)
class ApplyResult:
    outcome: Outcome
    dest: Path
    branch: str
    base: str
    head: str
    applied: tuple[str, ...]
    skipped: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Prepared:
    tip: str
    applied: tuple[str, ...]
    skipped: dict[str, tuple[str, ...]]
    touched: frozenset[str]


# In a destination's git folder: every tip `tools apply` put there, one commit id a line. A commit
# id stands for its content, so a branch is an earlier apply only when it is one of these (or
# an ancestor of one), or when its commits are this series' own (see `_Series`).
APPLIED_RECORD = "pyo3-base-python-tools-applied"


@dataclass(frozen=True)
class _Series:
    """What an earlier apply of this series looks like on top of the base: per commit its tree,
    author and message (the committer and dates aside), and the tips recorded in dest."""

    base: str
    tip: str
    commits: tuple[tuple[str, str, str], ...]
    recorded: frozenset[str]


def _exclude_args(pin: Pin, source: SourceKind) -> list[str]:
    if source != "registry":
        return []
    args = []
    for prefix in pin.not_shipped:
        args.append(f"--exclude={prefix}*" if prefix.endswith("/") else f"--exclude={prefix}")
    return args


_FAILED_AT = re.compile(r"error: patch failed: (?P<path>.+):(?P<line>\d+)")
_MISSING = re.compile(
    r"error: (?P<path>[^:]+): (does not exist in index|No such file or directory)"
)
_EXISTS = re.compile(r"error: (?P<path>[^:]+): already exists in (index|working directory)")


def _describe_failure(patch: Patch, output: str) -> str:
    """Names the file and hunk that failed from `git apply`'s own diagnostics."""
    if match := _FAILED_AT.search(output):
        path, line = match["path"], int(match["line"])
        change = patch.file(path)
        if change is not None:
            for hunk in change.hunks:
                if hunk.source_start == line:
                    return (
                        f"{patch.name}: {path}, hunk {hunk.index} of {len(change.hunks)} "
                        f"({hunk.header}) does not apply"
                    )
        return f"{patch.name}: {path}, the hunk at line {line} does not apply"
    if match := _MISSING.search(output):
        return f"{patch.name}: {match['path']} does not exist in the base"
    if match := _EXISTS.search(output):
        return f"{patch.name}: {match['path']} already exists in the base"
    last = output.strip().splitlines()[-1:] or ["git am failed"]
    return f"{patch.name}: {last[0]}"


def _apply_in_scratch(
    options: ApplyOptions, base: Base, branch: str, scratch: Path, *, git: Git, reporter: Reporter
) -> _Prepared:
    git.clone(base.repo, scratch, "--no-checkout")
    git(scratch, "checkout", "--quiet", "-B", branch, base.commit, "--")
    git(scratch, "remote", "remove", "origin")
    if base.upstream_url:
        git(scratch, "remote", "add", "upstream", "--", base.upstream_url)
    applied: list[str] = []
    skipped: dict[str, tuple[str, ...]] = {}
    excludes = _exclude_args(options.pin, options.source)
    series = load_series(options.pin)
    for patch in series:
        left_out = tuple(unshipped_files(options.pin, patch)) if excludes else ()
        if left_out:
            skipped[patch.name] = left_out
        if left_out and len(left_out) == len(patch.files):
            reporter.info(f"{patch.name}: skipped, it only touches files the registry lacks")
            continue
        result = git(
            scratch,
            "am",
            "--quiet",
            "--whitespace=error",
            "--committer-date-is-author-date",
            *excludes,
            "--",
            patch.path.resolve(),
            check=False,
        )
        if result.returncode != 0:
            diagnosis = git(
                scratch,
                "apply",
                "--check",
                "--verbose",
                *excludes,
                "--",
                patch.path.resolve(),
                check=False,
            )
            detail = _describe_failure(patch, diagnosis.stderr + result.stderr + result.stdout)
            raise ApplyFailed(
                f"the series does not apply: {detail}",
                hint=f"{options.dest} was left as it was",
            )
        applied.append(patch.name)
        reporter.info(
            f"applied {patch.name}"
            + (
                f"; skipped, not shipped in the registry artifacts: {', '.join(left_out)}"
                if left_out
                else ""
            )
        )
    tip = git(scratch, "rev-parse", "HEAD").stdout.strip()
    touched = frozenset(change.path for patch in series for change in patch.files)
    return _Prepared(tip, tuple(applied), skipped, touched)


def _content(repo: Repo, base: str, head: str) -> tuple[tuple[str, str, str], ...] | None:
    """base..head (oldest first) as (tree, author, message) per commit, or None when head does
    not descend from base."""
    commits = commits_between(repo, base, head)
    if commits is None:
        return None
    return tuple(
        (c.tree.hexsha, f"{c.author.name} <{c.author.email}> {c.authored_date}", str(c.message))
        for c in reversed(commits)
    )


def _recorded_tips(repo: Repo) -> frozenset[str]:
    try:
        text = (Path(repo.common_dir) / APPLIED_RECORD).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return frozenset()
    return frozenset(line.strip() for line in text.splitlines() if len(line.strip()) == 40)


def _record_tip(dest: Path, tip: str) -> None:
    repo = open_repo(dest)
    if repo is None:
        return
    record = Path(repo.common_dir) / APPLIED_RECORD
    if tip not in _recorded_tips(repo):
        try:
            with record.open("a", encoding="ascii") as handle:
                handle.write(tip + "\n")
        except OSError:
            pass  # the branch is in place; a later apply then goes by the series' content alone


def _check_destination(
    dest: Path, branch: str, series: _Series, touched: frozenset[str]
) -> Outcome:
    """What applying would do to dest, or raise when dest holds work of the user's."""
    if not dest.exists():
        return "created"
    if not dest.is_dir():
        raise DestinationRefused(f"{dest} exists and is not a directory; nothing was changed")
    if not any(dest.iterdir()):
        return "created"
    repo = open_repo(dest)
    if repo is None or Path(repo.working_tree_dir or "") != dest.resolve():
        raise DestinationRefused(
            f"{dest} exists and is not a git checkout; nothing was changed",
            hint="pass a new or empty --dest, or a checkout made by `tools apply`",
        )
    if (operation := in_progress(repo)) is not None:
        raise DestinationRefused(
            f"{dest} has {operation} in progress; finish or abort it first; nothing was changed"
        )
    dirty = changed_paths(repo)
    if dirty:
        shown = ", ".join(dirty[:5]) + (", ..." if len(dirty) > 5 else "")
        raise DestinationRefused(
            f"{dest} has uncommitted changes ({shown}); nothing was changed",
            hint="commit or stash them, or use another --dest",
        )
    # Untracked files count whether or not they are ignored: git would overwrite ignored ones.
    tracked = {path for path, _stage in repo.index.entries}
    in_the_way = sorted(
        path
        for path in touched
        if path not in tracked and ((dest / path).exists() or (dest / path).is_symlink())
    )
    if in_the_way:
        raise DestinationRefused(
            f"{dest} has untracked files the series would write: {', '.join(in_the_way)}; "
            "nothing was changed",
            hint="move them away (ignored files count too), or use another --dest",
        )
    head = head_commit(repo)
    if head == series.tip:
        return "unchanged"
    if head == series.base:
        outcome: Outcome = "applied"
    elif head is not None and _is_earlier_apply(repo, series, head):
        outcome = "reapplied"
    else:
        raise DestinationRefused(
            f"{dest} is at {head or 'no commit'}, which is neither the pinned base "
            f"{series.base[:12]} nor an earlier `tools apply` of this series; nothing was changed",
            hint="use a new --dest",
        )
    _check_branch(repo, dest, branch, series)
    return outcome


def _is_earlier_apply(repo: Repo, series: _Series, commit: str) -> bool:
    """Recognised by content, never by labels such as the committer: commit is a tip the tools
    recorded in this destination (or lies on the way to one), or its commits on top of the base
    have this series' trees, authors and messages."""
    content = _content(repo, series.base, commit)
    if not content:
        return False
    if content == series.commits:
        return True
    for recorded in series.recorded:
        try:
            if repo.is_ancestor(repo.commit(commit), repo.commit(recorded)):
                return True
        except (BadName, GitCommandError, ValueError):
            continue
    return False


def _check_branch(repo: Repo, dest: Path, branch: str, series: _Series) -> None:
    """An existing branch of that name is only moved when it is an earlier apply of this pin."""
    try:
        existing = repo.commit(f"refs/heads/{branch}").hexsha
    except (BadName, ValueError, GitCommandError):
        return
    if existing in (series.base, series.tip) or _is_earlier_apply(repo, series, existing):
        return
    raise DestinationRefused(
        f"{dest} already has a branch {branch!r} at {existing[:12]} that is not an earlier "
        "`tools apply` of this pin; nothing was changed",
        hint="pass another branch name with --branch",
    )


def install_branch(
    scratch: Path,
    dest: Path,
    *,
    branch: str,
    base: str,
    tip: str,
    touched: frozenset[str],
    git: Git,
    known: frozenset[str] = frozenset(),
) -> Outcome:
    """Puts `branch` (base..tip, prepared in the scratch repository) into dest: the scratch
    repository becomes dest when dest is new, else dest fetches the branch; never over work of
    the user's (see `_check_destination`). The tip is recorded in dest's git folder. `known`:
    commits the caller recorded as its own earlier output in dest (`tools pr`, whose commits
    carry the submitter, not the tools, as author and committer)."""
    prepared = open_repo(scratch)
    if prepared is None:
        raise CommandFailed(f"the scratch checkout {scratch} is not a repository")
    commits = _content(prepared, base, tip)
    dest_repo = open_repo(dest) if dest.is_dir() else None
    series = _Series(
        base=base,
        tip=tip,
        commits=commits or (),
        recorded=(_recorded_tips(dest_repo) if dest_repo is not None else frozenset()) | known,
    )
    outcome = _check_destination(dest, branch, series, touched)
    if outcome == "created":
        if dest.exists():
            dest.rmdir()
        # A rename where both are on one file system; a copy where the scratch is elsewhere.
        shutil.move(scratch, dest)
    elif outcome in ("applied", "reapplied"):
        git(dest, "fetch", "--quiet", "--no-tags", "--", scratch, branch)
        try:
            git(dest, "checkout", "--quiet", "-B", branch, tip, "--")
        except CommandFailed as exc:
            raise DestinationRefused(
                f"git refused to update {dest}: {exc}; nothing was changed"
            ) from exc
    _record_tip(dest, tip)
    return outcome


def apply_series(options: ApplyOptions, cache: Cache, git: Git, reporter: Reporter) -> ApplyResult:
    pin = options.pin
    branch = options.branch or pin.branch
    dest = options.dest.absolute()
    reporter.step(f"{pin.project} {pin.version}: preparing the {options.source} base")
    base = open_base(pin, options.source, cache, git, reporter, git_url=options.git_url)
    dest.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{dest.name}.apply-", dir=dest.parent))
    try:
        reporter.step(f"applying {len(pin.patches)} patches in a scratch checkout")
        prepared = _apply_in_scratch(
            options, base, branch, scratch / "repo", git=git, reporter=reporter
        )
        outcome = install_branch(
            scratch / "repo",
            dest,
            branch=branch,
            base=base.commit,
            tip=prepared.tip,
            touched=prepared.touched,
            git=git,
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return ApplyResult(
        outcome=outcome,
        dest=dest,
        branch=branch,
        base=base.commit,
        head=prepared.tip,
        applied=prepared.applied,
        skipped=prepared.skipped,
    )
