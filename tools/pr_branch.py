"""The branches of a stack of upstream pull requests, made where upstream merges: the pinned
series replayed onto upstream's default branch as it is now (or another ref) with the three-way
merge of `tools port`, one branch per pull request of the pin's `stack`. The branch of pull
request k holds the patches of pull requests 1..k, so it is based on the branch of k-1. A
one-PR stack keeps the pin's branch name; a longer one names them `<branch>-1`, `<branch>-2`, ...

Without the git host (`--source registry`) the series is applied on the release as published
instead, and the body says so. Every commit is authored and committed by the submitter
(`tools.pr_identity`); the evidence in a report is measured on the pin, the branch may sit on
another commit, and `BranchBase` records both.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from git import BadName, GitCommandError

from tools.apply import install_branch
from tools.cache import Cache
from tools.errors import DestinationRefused
from tools.gitops import SEALED_OPTIONS, Git, open_repo, sealed_env
from tools.newsfragments import number_patch, numbered, placeholders
from tools.pins import Pin
from tools.port import (
    Conflict,
    ReplayConflict,
    describe_conflicts,
    prepare_scratch,
    range_diff,
    replay_patch,
)
from tools.port_target import git_target
from tools.pr_identity import Identity, co_author
from tools.reporter import Reporter
from tools.runner import Completed
from tools.series import load_series, unshipped_files
from tools.sources import Base, SourceKind, open_base

# Both upstreams develop on `main` and take pull requests there.
DEFAULT_ONTO = "main"
# The tips of the branches `tools pr` wrote into a checkout, kept in its git folder: how a later
# run recognises its own earlier output (the commits carry the submitter, not the tools).
MARKER = "tools-pr.json"


@dataclass(frozen=True, kw_only=True)
class BranchBase:
    """What the branch was prepared on, next to the pin the evidence was measured on."""

    source: SourceKind
    ref: str  # `main`, a tag or a commit; for a registry base, the release's tag
    commit: str  # upstream's commit (for a registry base, the one the release was cut from)
    measured_ref: str  # the pin: its tag, or `branch@commit` for a pin on a branch
    measured_commit: str

    @property
    def differs(self) -> bool:
        return self.commit != self.measured_commit

    @property
    def short(self) -> str:
        return self.commit[:12]

    @property
    def measured_short(self) -> str:
        return self.measured_commit[:12]


@dataclass(frozen=True)
class StackBranch:
    """One pull request of the stack, as prepared."""

    index: int  # 1-based position in the stack
    title: str
    branch: str
    head: str
    patches: tuple[str, ...]  # this pull request's own patches
    fragments: tuple[str, ...]  # its newsfragments on the branch


@dataclass(frozen=True)
class PreparedStack:
    dest: Path
    base: BranchBase
    pr_base: str  # the upstream branch the first pull request targets
    branches: tuple[StackBranch, ...]
    identity: Identity
    pr_numbers: tuple[int, ...] | None = None  # one per pull request, once they are open

    @property
    def top(self) -> StackBranch:
        return self.branches[-1]


class PrConflict(ReplayConflict):
    """The series does not replay onto the chosen base; nothing was written or pushed."""

    def __init__(self, conflicts: list[Conflict], pin: Pin, onto: str, range_diff: str) -> None:
        super().__init__(
            f"the {pin.project} {pin.version} series does not replay onto {onto}: "
            f"{describe_conflicts(conflicts)}; nothing was written to --out and nothing pushed",
            hint=f"port it with `tools port {pin.project} --from {pin.version} --to {onto} "
            "--source git`, resolve the conflict there and verify the new pin, or pass "
            "--onto with another ref",
            conflicts=conflicts,
            repo=None,
            range_diff=range_diff,
        )


@dataclass(frozen=True)
class _AsSubmitter(Git):
    """Git whose commits carry the submitter as committer (the author comes from the patch,
    which `_rewrite` has made the submitter too)."""

    identity: Identity

    def __call__(
        self,
        repo: Path,
        *args: str | Path,
        check: bool = True,
        author: bool = False,
        date: str | None = None,
        input_text: str | None = None,
    ) -> Completed:
        env = sealed_env(author=author, date=date)
        env["GIT_COMMITTER_NAME"] = self.identity.name
        env["GIT_COMMITTER_EMAIL"] = self.identity.email
        return self.runner.run(
            ["git", *SEALED_OPTIONS, "-C", repo, *args],
            env=env,
            check=check,
            input_text=input_text,
        )


def branch_names(pin: Pin, branch: str | None) -> list[str]:
    """The branch of each pull request: the pin's (or `--branch`) name for a one-PR stack,
    `<name>-k` for pull request k of a longer one."""
    name = branch or pin.branch
    if len(pin.stack) == 1:
        return [name]
    return [f"{name}-{k}" for k in range(1, len(pin.stack) + 1)]


_FROM = re.compile(r"^From: .*(?:\n[ \t].*)*\n", re.MULTILINE)
_MESSAGE_END = re.compile(r"^(?:---\n|diff --git )", re.MULTILINE)
_TRAILER = re.compile(r"^[A-Za-z][A-Za-z0-9-]*: \S")


def _rewrite(text: str, identity: Identity, pr_number: int | None) -> str:
    """The patch authored by `identity`; its own author, when a real person, becomes a
    `Co-authored-by:` trailer. Newsfragments are named for `pr_number` when given."""
    header_end = text.index("\n\n")
    header, rest = text[: header_end + 1], text[header_end + 1 :]
    found = _FROM.search(header)
    original = co_author(found.group()[len("From: ") :]) if found else None
    header = _FROM.sub(lambda _: f"From: {identity}\n", header, count=1)
    if original is not None and original.email.lower() != identity.email.lower():
        end = _MESSAGE_END.search(rest)
        cut = end.start() if end else len(rest)
        message = rest[:cut].rstrip("\n")
        last = message.rsplit("\n\n", 1)[-1].splitlines()
        joiner = "\n" if last and all(_TRAILER.match(line) for line in last) else "\n\n"
        rest = f"{message}{joiner}Co-authored-by: {original}\n\n{rest[cut:]}"
    patched = header + rest
    return number_patch(patched, pr_number) if pr_number is not None else patched


def _submitted_series(
    pin: Pin, where: Path, identity: Identity, pr_numbers: tuple[int, ...] | None
) -> Pin:
    """A copy of the pin whose series is rewritten for the submitter (see `_rewrite`), each
    patch's newsfragments named for the pull request that carries it."""
    where.mkdir()
    for path in pin.patch_paths:
        text = path.read_bytes().decode("utf-8")
        number = pin.pr_number_of(path.name, pr_numbers)
        (where / path.name).write_bytes(_rewrite(text, identity, number).encode("utf-8"))
    return _with_series_dir(pin, where)


def _with_series_dir(pin: Pin, where: Path) -> Pin:
    return replace(pin, series_dir=where)


def known_tips(dest: Path) -> frozenset[str]:
    """The branch tips an earlier `tools pr` recorded in the checkout at `dest`."""
    repo = open_repo(dest) if dest.is_dir() else None
    if repo is None:
        return frozenset()
    try:
        data = json.loads((Path(repo.git_dir) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return frozenset()
    tips = data.get("tips", []) if isinstance(data, dict) else []
    return frozenset(t for t in tips if isinstance(t, str) and re.fullmatch(r"[0-9a-f]{40}", t))


def _record_tips(dest: Path, tips: list[str]) -> None:
    repo = open_repo(dest)
    if repo is None:
        return
    recorded = sorted(known_tips(dest) | set(tips))
    (Path(repo.git_dir) / MARKER).write_text(json.dumps({"tips": recorded}, indent=1) + "\n")


def _check_lower_branches(
    dest: Path, names: list[str], heads: list[str], base: str, known: frozenset[str]
) -> None:
    """The branches of pull requests 1..n-1 move only when absent or an earlier `tools pr`'s."""
    repo = open_repo(dest) if dest.is_dir() else None
    if repo is None:
        return
    for name, head in zip(names, heads, strict=True):
        try:
            existing = repo.commit(f"refs/heads/{name}").hexsha
        except (BadName, ValueError, GitCommandError):
            continue
        if existing not in (head, base) and existing not in known:
            raise DestinationRefused(
                f"{dest} already has a branch {name!r} at {existing[:12]} that is not an "
                "earlier `tools pr` of this stack; nothing was changed",
                hint="pass another name with --branch, or another --checkout",
            )


def _measured_ref(pin: Pin) -> str:
    return pin.tag or f"{pin.upstream_branch}@{pin.version}"


def _excludes(pin: Pin) -> list[str]:
    return [f"--exclude={p}*" if p.endswith("/") else f"--exclude={p}" for p in pin.not_shipped]


@dataclass(frozen=True)
class _Scratch:
    """The scratch repository, checked out at the base the stack goes on."""

    repo: Path
    measured: Base  # where the evidence was measured
    onto: Base  # where the branches go
    old_tip: str  # the series on the measured base (for the range-diff of a conflict)
    excludes: list[str]
    pr_base: str


def _open_scratch(
    pin: Pin,
    repo: Path,
    *,
    source: SourceKind,
    onto: str,
    url: str,
    git_url: str | None,
    cache: Cache,
    git: Git,
    reporter: Reporter,
) -> _Scratch:
    if source == "registry":
        reporter.step(f"{pin.project} {pin.version}: the release as published")
        base = open_base(pin, "registry", cache, git, reporter, git_url=git_url)
        repo.mkdir()
        git(repo, "init", "--quiet")
        git(
            repo,
            "fetch",
            "--quiet",
            "--no-tags",
            "--",
            base.repo,
            f"{base.commit}:refs/port/new-base",
        )
        git(repo, "checkout", "--quiet", "-B", "port", base.commit)
        return _Scratch(repo, base, base, base.commit, _excludes(pin), DEFAULT_ONTO)
    reporter.step(f"{pin.project} {pin.version}: the pinned base, where the evidence was measured")
    measured = open_base(pin, "git", cache, git, reporter, git_url=url)
    target, onto_base = git_target(pin, onto, url, cache=cache, git=git, reporter=reporter)
    old_tip = prepare_scratch(
        repo, (measured, onto_base), pin.series_dir, pin, excludes=[], git=git
    )
    git(repo, "branch", "--quiet", "-D", "--", "port-old")
    git(repo, "update-ref", "-d", "refs/port/old-base")
    return _Scratch(repo, measured, onto_base, old_tip, [], target.upstream_branch or DEFAULT_ONTO)


def _replay(
    pin: Pin,
    submitted: Pin,
    scratch: _Scratch,
    *,
    onto: str,
    git: Git,
    as_submitter: Git,
    reporter: Reporter,
) -> list[str]:
    """Replays each pull request's patches in turn; the head after each one."""
    repo = scratch.repo
    reporter.step(f"replaying {len(pin.patches)} patches onto {onto} ({scratch.onto.commit[:12]})")
    heads: list[str] = []
    for entry in pin.stack:
        for patch in load_series(_only(submitted, entry.patches)):
            if scratch.excludes and len(unshipped_files(pin, patch)) == len(patch.files):
                reporter.info(f"{patch.name}: skipped, it only touches files the registry lacks")
                continue
            replayed = replay_patch(repo, patch.path, scratch.excludes, as_submitter)
            if replayed.conflicts:
                so_far = range_diff(
                    repo,
                    f"{scratch.measured.commit}..{scratch.old_tip}",
                    f"{scratch.onto.commit}..HEAD",
                    git,
                )
                raise PrConflict(replayed.conflicts, pin, onto, so_far)
            how = "merged three-way" if replayed.three_way else "applied"
            reporter.info(f"{patch.name}: {how}")
        heads.append(git(repo, "rev-parse", "HEAD").stdout.strip())
    return heads


def _install(
    repo: Path,
    dest: Path,
    *,
    names: list[str],
    heads: list[str],
    base: str,
    touched: frozenset[str],
    git: Git,
) -> None:
    """The stack's branches into dest, under `install_branch`'s rules for the top one and the
    same for the others; the tips recorded for the next run."""
    known = known_tips(dest)
    _check_lower_branches(dest, names[:-1], heads[:-1], base, known)
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        install_branch(
            repo,
            dest,
            branch=names[-1],
            base=base,
            tip=heads[-1],
            touched=touched,
            git=git,
            known=known,
        )
    except DestinationRefused as exc:
        # `install_branch` speaks of `tools apply` and its --dest; here it is --checkout.
        raise DestinationRefused(
            str(exc).replace("`tools apply`", "`tools pr`"),
            hint=(exc.hint or "").replace("--dest", "--checkout") or None,
        ) from exc
    for name, head in zip(names[:-1], heads[:-1], strict=True):
        git(dest, "branch", "--quiet", "-f", "--", name, head)
    _record_tips(dest, heads)


def prepare_stack(
    pin: Pin,
    *,
    source: SourceKind,
    onto: str,
    dest: Path,
    branch: str | None,
    git_url: str | None,
    identity: Identity,
    cache: Cache,
    git: Git,
    reporter: Reporter,
    pr_numbers: tuple[int, ...] | None = None,
) -> PreparedStack:
    names = branch_names(pin, branch)
    url = git_url or pin.git_url
    dest = dest.absolute()
    cache.root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="pr-branch-", dir=cache.root))
    try:
        submitted = _submitted_series(pin, work / "series", identity, pr_numbers)
        scratch = _open_scratch(
            pin,
            work / "repo",
            source=source,
            onto=onto,
            url=url,
            git_url=git_url,
            cache=cache,
            git=git,
            reporter=reporter,
        )
        heads = _replay(
            pin,
            submitted,
            scratch,
            onto=onto,
            git=git,
            as_submitter=_AsSubmitter(git.runner, identity),
            reporter=reporter,
        )
        # Only the stack's branches are kept: the scratch refs of the replay go.
        for name, head in zip(names, heads, strict=True):
            git(scratch.repo, "branch", "--quiet", "-f", "--", name, head)
        git(scratch.repo, "checkout", "--quiet", names[-1], "--")
        git(scratch.repo, "branch", "--quiet", "-D", "--", "port")
        git(scratch.repo, "update-ref", "-d", "refs/port/new-base")
        git(scratch.repo, "remote", "add", "upstream", "--", url)
        touched = frozenset(
            _named(c.path, pin.pr_number_of(patch.name, pr_numbers))
            for patch in load_series(pin)
            for c in patch.files
            if not scratch.excludes or pin.is_shipped(c.path)
        )
        _install(
            scratch.repo,
            dest,
            names=names,
            heads=heads,
            base=scratch.onto.commit,
            touched=touched,
            git=git,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if source == "git":
        base = BranchBase(
            source="git",
            ref=onto,
            commit=scratch.onto.commit,
            measured_ref=_measured_ref(pin),
            measured_commit=scratch.measured.commit,
        )
    else:
        base = BranchBase(
            source="registry",
            ref=_measured_ref(pin),
            commit=pin.commit,
            measured_ref=_measured_ref(pin),
            measured_commit=pin.commit,
        )
    branches = []
    for index, (entry, name, head) in enumerate(zip(pin.stack, names, heads, strict=True), 1):
        files = [c.path for p in load_series(_only(pin, entry.patches)) for c in p.files]
        fragments = [f for f in placeholders(files) if source == "git" or pin.is_shipped(f)]
        number = None if pr_numbers is None else pr_numbers[index - 1]
        fragments = [_named(path, number) for path in fragments]
        branches.append(
            StackBranch(index, entry.title, name, head, entry.patches, tuple(fragments))
        )
    return PreparedStack(dest, base, scratch.pr_base, tuple(branches), identity, pr_numbers)


def _named(path: str, number: int | None) -> str:
    return path if number is None else numbered(path, number)


def _only(pin: Pin, patches: tuple[str, ...]) -> Pin:
    """The pin with only `patches` of its series (for reading them)."""
    return replace(pin, patches=patches)
