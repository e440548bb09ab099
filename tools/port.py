"""`tools port`: replay a pinned series onto another upstream release or ref with git's
three-way merge, export it as a new pinned series, and show what porting changed.

The work happens in a scratch repository holding the old base with the old series applied
(so every preimage blob the patches name exists) and the new base. A conflict stops there,
with the state saved for `--continue` and `--abort`; `patches/` is written only at the end.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.apply import _exclude_args
from tools.cache import Cache
from tools.errors import ApplyFailed, ConfigError, DestinationRefused
from tools.gitops import Git
from tools.pins import Artifact, Pin, Project, load_pins
from tools.port_export import append_pin, render_pin, splice_unshipped
from tools.port_target import git_target, registry_target
from tools.registry import FetchText, Registries
from tools.reporter import Reporter
from tools.series import parse_patch, unshipped_files
from tools.sources import Base, SourceKind, open_base

_FAILED = "error: patch failed: "
# Written into the work folder when `tools port` makes or claims it; nothing in a folder without
# it is removed or replaced.
WORK_MARKER = ".tools-port-work"
_SCRATCH = ("repo", "old-series", "state.json", "range-diff.txt")
_CARRIED = "carried"
_DROPPED = "dropped"


@dataclass(frozen=True, kw_only=True)
class PortOptions:
    project: Project
    from_version: str
    to: str
    source: SourceKind
    work: Path
    git_url: str | None = None
    registries: Registries = dataclasses.field(default_factory=Registries)
    # The default work folder lives in the tools' cache, which is theirs as a whole.
    work_is_ours: bool = False


@dataclass(frozen=True)
class Conflict:
    patch: str
    path: str
    hunk: str

    def describe(self) -> str:
        return f"{self.patch}: {self.path}, {self.hunk}"


def describe_conflicts(conflicts: list[Conflict]) -> str:
    """The first conflict, and how many more there are."""
    more = f" (and {len(conflicts) - 1} more)" if len(conflicts) > 1 else ""
    return conflicts[0].describe() + more


class ReplayConflict(ApplyFailed):
    """Replaying the series stopped at a conflict: the conflicts and the range-diff so far."""

    def __init__(
        self,
        message: str,
        *,
        hint: str,
        conflicts: list[Conflict],
        repo: Path | None,
        range_diff: str,
    ) -> None:
        super().__init__(message, hint=hint)
        self.conflicts = conflicts
        self.repo = repo
        self.range_diff = range_diff


class PortConflict(ReplayConflict):
    """A patch did not merge; the scratch checkout holds the conflict for a person."""

    def __init__(self, conflicts: list[Conflict], repo: Path, range_diff: str) -> None:
        super().__init__(
            f"the port stopped at a conflict: {describe_conflicts(conflicts)}; nothing was "
            "written under patches/",
            hint=f"resolve the conflict markers in {repo}, `git add` the files, then run "
            "`tools port --continue` (or `tools port --abort`)",
            conflicts=conflicts,
            repo=repo,
            range_diff=range_diff,
        )


@dataclass(frozen=True)
class Replayed:
    """What `git am -3` made of one patch: the new HEAD (the old one when upstream already has
    the change), whether it needed the three-way merge, or the conflicts that stopped it."""

    head: str
    three_way: bool
    conflicts: list[Conflict]


@dataclass(frozen=True)
class PortResult:
    pin: Pin
    carried: dict[str, tuple[str, ...]]
    dropped: tuple[str, ...]
    range_diff: str
    range_diff_path: Path


@dataclass
class _State:
    """What a stopped port needs to go on: saved as JSON next to the scratch repository."""

    pins_path: str
    project: str
    from_version: str
    source: str
    target: dict[str, Any]
    patches: list[str]
    excludes: list[str]
    unshipped: dict[str, list[str]]
    old_base: str
    old_tip: str
    new_base: str
    done: dict[str, str]
    current: str | None = None
    before_current: str | None = None
    conflicts: list[str] = dataclasses.field(default_factory=list)

    def save(self, work: Path) -> None:
        (work / "state.json").write_text(json.dumps(dataclasses.asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, work: Path) -> _State:
        path = work / "state.json"
        if not path.is_file():
            raise ConfigError(f"no port in progress in {work}", hint="start one with `tools port`")
        return cls(**json.loads(path.read_text()))


def _target_as_dict(pin: Pin) -> dict[str, Any]:
    fields = ("version", "tag", "commit", "upstream_branch", "date")
    data: dict[str, Any] = {name: getattr(pin, name) for name in fields}
    data["artifacts"] = [dataclasses.asdict(a) for a in pin.artifacts]
    return data


def _target_pin(old: Pin, data: dict[str, Any]) -> Pin:
    artifacts = tuple(Artifact(**{**a, "drop": tuple(a["drop"])}) for a in data["artifacts"])
    return dataclasses.replace(
        old,
        version=data["version"],
        tag=data["tag"],
        commit=data["commit"],
        upstream_branch=data["upstream_branch"],
        date=data["date"],
        artifacts=artifacts,
        patches=(),
        not_checked=(),
        series_dir=old.series_dir.parent / data["version"],
    )


def _refuse_existing(old: Pin, target: Pin, pins_versions: set[str]) -> None:
    if target.version in pins_versions or target.series_dir.exists():
        raise DestinationRefused(
            f"{old.project} {target.version} is already pinned or {target.series_dir} exists; "
            "nothing was changed",
            hint="remove that pin and its folder first to port it again",
        )


def _is_marked(work: Path) -> bool:
    marker = work / WORK_MARKER
    return marker.is_file() and not marker.is_symlink()


def check_work(work: Path, *, ours: bool = False) -> None:
    """Refuses a work folder `tools port` did not make: one that exists, is not empty and holds
    no marker. Nothing is written."""
    if ours or _is_marked(work) or not (work.exists() or work.is_symlink()):
        return
    if not work.is_dir() or work.is_symlink():
        raise DestinationRefused(
            f"--work {work} exists and is not a folder `tools port` made; nothing was changed",
            hint="pass a new or empty folder as --work",
        )
    entries = sorted(p.name for p in work.iterdir())
    if entries:
        shown = ", ".join(entries[:5]) + (", ..." if len(entries) > 5 else "")
        raise DestinationRefused(
            f"--work {work} holds files `tools port` did not make ({shown}); nothing was changed",
            hint="pass a new or empty folder as --work",
        )


def _claim_work(work: Path, *, ours: bool) -> None:
    """Makes (or takes an empty) work folder and marks it as the tools'."""
    check_work(work, ours=ours)
    work.mkdir(parents=True, exist_ok=True)
    if not _is_marked(work):
        (work / WORK_MARKER).write_text(
            "made by `tools port`: its scratch repository and state live here\n", encoding="utf-8"
        )


def start_port(
    options: PortOptions,
    pins_path: Path,
    cache: Cache,
    git: Git,
    *,
    reporter: Reporter,
    fetch: FetchText,
) -> PortResult:
    work = options.work.absolute()
    check_work(work, ours=options.work_is_ours)
    if (work / "state.json").exists():
        raise DestinationRefused(
            f"a port is already in progress in {work}",
            hint="finish it with `tools port --continue` or drop it with `tools port --abort`",
        )
    pins = load_pins(pins_path)
    old = pins.select(options.project, options.from_version)
    url = options.git_url or old.git_url
    if options.source == "registry":
        target, new_base = registry_target(
            old,
            options.to,
            fetch=fetch,
            registries=options.registries,
            cache=cache,
            git=git,
            reporter=reporter,
        )
    else:
        target, new_base = git_target(old, options.to, url, cache=cache, git=git, reporter=reporter)
    _refuse_existing(old, target, {p.version for p in pins.for_project(old.project)})
    reporter.step(f"{old.project} {old.version}: preparing the {options.source} base")
    old_base = open_base(old, options.source, cache, git, reporter, git_url=url)
    _claim_work(work, ours=options.work_is_ours)
    series_copy = work / "old-series"
    shutil.rmtree(series_copy, ignore_errors=True)
    series_copy.mkdir()
    for path in old.patch_paths:
        shutil.copyfile(path, series_copy / path.name)
    excludes = _exclude_args(old, options.source)
    unshipped = {
        p.name: unshipped_files(old, p) if excludes else []
        for p in map(parse_patch, old.patch_paths)
    }
    repo = work / "repo"
    shutil.rmtree(repo, ignore_errors=True)
    old_tip = prepare_scratch(
        repo, (old_base, new_base), series_copy, old, excludes=excludes, git=git
    )
    state = _State(
        pins_path=str(pins_path.resolve()),
        project=old.project,
        from_version=old.version,
        source=options.source,
        target=_target_as_dict(target),
        patches=list(old.patches),
        excludes=excludes,
        unshipped={k: v for k, v in unshipped.items() if v},
        old_base=old_base.commit,
        old_tip=old_tip,
        new_base=new_base.commit,
        done={},
    )
    state.save(work)
    reporter.step(
        f"porting {len(old.patches)} patches from {old.version} onto {target.version} in {repo}"
    )
    return _replay(work, state, git, reporter)


def prepare_scratch(
    repo: Path, bases: tuple[Base, Base], series: Path, old: Pin, *, excludes: list[str], git: Git
) -> str:
    """A repository with the old series applied on the old base, checked out at the new base."""
    old_base, new_base = bases
    repo.mkdir(parents=True)
    git(repo, "init", "--quiet")
    git(
        repo,
        "fetch",
        "--quiet",
        "--no-tags",
        "--",
        old_base.repo,
        f"{old_base.commit}:refs/port/old-base",
    )
    git(
        repo,
        "fetch",
        "--quiet",
        "--no-tags",
        "--",
        new_base.repo,
        f"{new_base.commit}:refs/port/new-base",
    )
    git(repo, "checkout", "--quiet", "-B", "port-old", old_base.commit)
    for name in old.patches:
        patch = parse_patch(series / name)
        if excludes and len(unshipped_files(old, patch)) == len(patch.files):
            continue
        result = git(
            repo,
            "am",
            "--quiet",
            "--committer-date-is-author-date",
            *excludes,
            series / name,
            check=False,
        )
        if result.returncode != 0:
            raise ApplyFailed(
                f"the {old.project} {old.version} series itself does not apply at {name}",
                hint="`tools check` should pass before porting",
            )
    old_tip = git(repo, "rev-parse", "HEAD").stdout.strip()
    git(repo, "checkout", "--quiet", "-B", "port", new_base.commit)
    return old_tip


def _failed_hunks(repo: Path, patch_path: Path, excludes: list[str], git: Git) -> list[Conflict]:
    """The hunks that do not apply as they are, from `git apply --reject`'s own report."""
    patch = parse_patch(patch_path)
    check = git(
        repo, "apply", "--check", "--verbose", "--reject", *excludes, patch_path, check=False
    )
    found = []
    for line in (check.stderr + check.stdout).splitlines():
        if not line.startswith(_FAILED):
            continue
        path, _, number = line[len(_FAILED) :].rpartition(":")
        change = patch.file(path)
        hunk = f"the hunk at line {number}"
        if change is not None:
            for candidate in change.hunks:
                if str(candidate.source_start) == number:
                    hunk = f"hunk {candidate.index} of {len(change.hunks)} ({candidate.header})"
        found.append(Conflict(patch.name, path, hunk))
    return found


def _unmerged(repo: Path, git: Git) -> list[str]:
    listed = git(repo, "diff", "--name-only", "--diff-filter=U").stdout
    return sorted(set(listed.split()))


def range_diff(repo: Path, old_range: str, new_range: str, git: Git) -> str:
    """`git range-diff` of the old and the new series; git refuses an empty range, so while
    no patch is in yet the old commits are listed as removed in its own format."""
    if git(repo, "rev-list", "--count", new_range).stdout.strip() == "0":
        log = git(repo, "log", "--reverse", "--format=%h %s", old_range).stdout.splitlines()
        return "".join(
            f"{i}:  {line.split(' ', 1)[0]} < -:  ------- {line.split(' ', 1)[-1]}\n"
            for i, line in enumerate(log, start=1)
        )
    return git(repo, "range-diff", "--no-color", old_range, new_range).stdout


def _range_diff(work: Path, state: _State, git: Git) -> str:
    old_range, new_range = f"{state.old_base}..{state.old_tip}", f"{state.new_base}..HEAD"
    text = range_diff(work / "repo", old_range, new_range, git)
    (work / "range-diff.txt").write_text(text)
    return text


def replay_patch(repo: Path, patch_path: Path, excludes: list[str], git: Git) -> Replayed:
    """Applies one patch on HEAD with `git am -3`; on a conflict the `git am` is left stopped
    with the markers in the files."""
    before = git(repo, "rev-parse", "HEAD").stdout.strip()
    failing = _failed_hunks(repo, patch_path, excludes, git)
    result = git(
        repo,
        "am",
        "--quiet",
        "-3",
        "--committer-date-is-author-date",
        *excludes,
        patch_path,
        check=False,
    )
    if result.returncode == 0:
        after = git(repo, "rev-parse", "HEAD").stdout.strip()
        return Replayed(after, bool(failing), [])
    name = patch_path.name
    unmerged = _unmerged(repo, git)
    conflicts = [c for c in failing if c.path in unmerged or not unmerged]
    named = {c.path for c in conflicts}
    conflicts += [Conflict(name, p, "three-way merge conflict") for p in unmerged if p not in named]
    if not conflicts:
        last = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["git am"]
        conflicts = [Conflict(name, "(patch)", last[0])]
    return Replayed(before, bool(failing), conflicts)


def _replay(work: Path, state: _State, git: Git, reporter: Reporter) -> PortResult:
    repo = work / "repo"
    series = work / "old-series"
    for name in state.patches:
        if name in state.done:
            continue
        unshipped = state.unshipped.get(name, [])
        if state.excludes and len(unshipped) == len(parse_patch(series / name).files):
            state.done[name] = _CARRIED
            reporter.info(
                f"{name}: carried over verbatim, it only touches files the registry lacks"
            )
            continue
        before = git(repo, "rev-parse", "HEAD").stdout.strip()
        replayed = replay_patch(repo, series / name, state.excludes, git)
        if replayed.conflicts:
            state.current, state.before_current = name, before
            state.conflicts = sorted({c.path for c in replayed.conflicts})
            state.save(work)
            raise PortConflict(replayed.conflicts, repo, _range_diff(work, state, git))
        after = replayed.head
        state.done[name] = _DROPPED if after == before else after
        how = "merged three-way" if replayed.three_way else "applied"
        reporter.info(f"{name}: " + ("already upstream, dropped" if after == before else how))
        state.save(work)
    return _export(work, state, git, reporter)


def continue_port(
    work: Path, git: Git, reporter: Reporter, *, work_is_ours: bool = False
) -> PortResult:
    work = work.absolute()
    check_work(work, ours=work_is_ours)
    state = _State.load(work)
    repo = work / "repo"
    name = state.current
    if name is None:
        return _replay(work, state, git, reporter)
    if (repo / ".git" / "rebase-apply").exists():
        unmerged = _unmerged(repo, git)
        marked = [p for p in state.conflicts if _has_markers(repo / p)]
        if unmerged or marked:
            raise DestinationRefused(
                f"{repo} still has unresolved files: {', '.join(unmerged or marked)}",
                hint="resolve them and `git add` them, then `tools port --continue` again",
            )
        staged = git(repo, "diff", "--cached", "--quiet", "HEAD", check=False).returncode != 0
        git(repo, "am", "--continue" if staged else "--skip")
    head = git(repo, "rev-parse", "HEAD").stdout.strip()
    parent = git(repo, "rev-parse", "--verify", "--quiet", "HEAD^", check=False).stdout.strip()
    if head == state.before_current:
        state.done[name] = _DROPPED
    elif parent == state.before_current:
        state.done[name] = head
    else:
        raise DestinationRefused(
            f"{repo} is not one commit past where {name} stopped; it was changed by hand",
            hint="`tools port --abort` and port again",
        )
    reporter.info(f"{name}: resolved" + (", dropped" if head == state.before_current else ""))
    state.current, state.before_current, state.conflicts = None, None, []
    state.save(work)
    return _replay(work, state, git, reporter)


def _has_markers(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return any(line.startswith(("<<<<<<< ", ">>>>>>> ")) for line in text.splitlines())


def abort_port(work: Path, *, work_is_ours: bool = False) -> Path:
    """Removes the scratch repository and state of a stopped port, only in a work folder
    `tools port` marked as its own; the marker and saved range-diffs stay."""
    work = work.absolute()
    if not (work_is_ours or _is_marked(work)):
        if not any((work / name).exists() for name in _SCRATCH):
            raise ConfigError(f"no port in progress in {work}")
        raise DestinationRefused(
            f"{work} was not made by `tools port` (it has no {WORK_MARKER}); nothing was removed",
            hint="remove its contents yourself if they are a port's",
        )
    if not any((work / name).exists() for name in _SCRATCH):
        raise ConfigError(f"no port in progress in {work}")
    for name in ("repo", "old-series"):
        shutil.rmtree(work / name, ignore_errors=True)
    for name in ("state.json", "range-diff.txt"):
        (work / name).unlink(missing_ok=True)
    return work


def _export(work: Path, state: _State, git: Git, reporter: Reporter) -> PortResult:
    repo = work / "repo"
    pins_path = Path(state.pins_path)
    old = load_pins(pins_path).select(state.project, state.from_version)
    target = _target_pin(old, state.target)
    range_diff = _range_diff(work, state, git)
    out = Path(tempfile.mkdtemp(prefix="port-export-", dir=work))
    try:
        git(
            repo,
            "format-patch",
            "--quiet",
            "--zero-commit",
            "--full-index",
            "--no-stat",
            "--no-signature",
            "--no-renames",
            "--numbered-files",
            "-N",
            "-o",
            out,
            f"{state.new_base}..HEAD",
        )
        commits = git(repo, "rev-list", "--reverse", f"{state.new_base}..HEAD").stdout.split()
        exported = {sha: out / str(i + 1) for i, sha in enumerate(commits)}
        texts: dict[str, str] = {}
        for name in state.patches:
            old_text = (work / "old-series" / name).read_text(encoding="utf-8")
            done = state.done[name]
            if done == _CARRIED:
                texts[name] = old_text
            elif done != _DROPPED:
                new_text = exported[done].read_text(encoding="utf-8")
                texts[name] = splice_unshipped(new_text, old_text, state.unshipped.get(name, []))
    finally:
        shutil.rmtree(out, ignore_errors=True)
    not_checked = sorted({p for n, files in state.unshipped.items() if n in texts for p in files})
    target = dataclasses.replace(target, patches=tuple(texts), not_checked=tuple(not_checked))
    _write_series(target, texts, pins_path, state)
    saved = work / f"{state.project}-{state.from_version}-to-{target.version}.range-diff"
    saved.write_text(range_diff)
    abort_port(work, work_is_ours=True)
    dropped = tuple(n for n in state.patches if state.done[n] == _DROPPED)
    carried = {n: tuple(state.unshipped[n]) for n in texts if n in state.unshipped}
    reporter.step(f"wrote {target.series_dir} and its pin in {pins_path}")
    return PortResult(target, carried, dropped, range_diff, saved)


def _write_series(target: Pin, texts: dict[str, str], pins_path: Path, state: _State) -> None:
    """Writes the folder and the pin, and takes both back if the pins no longer load."""
    target.series_dir.mkdir(parents=True)
    old_text = None
    try:
        for name, text in texts.items():
            (target.series_dir / name).write_text(text, encoding="utf-8")
        table = render_pin(target, ported_from=state.from_version, source=state.source)
        old_text = append_pin(pins_path, table)
        load_pins(pins_path)
    except BaseException:
        shutil.rmtree(target.series_dir, ignore_errors=True)
        if old_text is not None:
            pins_path.write_text(old_text, encoding="utf-8")
        raise
