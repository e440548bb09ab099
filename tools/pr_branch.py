"""The branch of an upstream pull request, made where upstream merges: the pinned series
replayed onto upstream's default branch as it is now (or another ref) with the three-way merge
of `tools port`. Without the git host (`--source registry`) the series is applied on the release
as published instead, and the body says so.

The evidence in a report is measured on the pin; the branch may sit on another commit. Both are
recorded in `BranchBase`, so the body can state them and say plainly when they differ.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tools.apply import ApplyOptions, apply_series, install_branch
from tools.cache import Cache
from tools.gitops import Git
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
from tools.reporter import Reporter
from tools.series import load_series
from tools.sources import SourceKind, open_base

# Both upstreams develop on `main` and take pull requests there.
DEFAULT_ONTO = "main"


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
class PreparedBranch:
    dest: Path
    branch: str
    head: str
    base: BranchBase
    pr_base: str  # the upstream branch a pull request targets
    # The series' newsfragments on the branch, under their final names when the pull request's
    # number was given, else under the placeholder; none when the base does not ship them.
    fragments: tuple[str, ...] = ()
    pr_number: int | None = None


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


def _measured_ref(pin: Pin) -> str:
    return pin.tag or f"{pin.upstream_branch}@{pin.version}"


def prepare_branch(
    pin: Pin,
    *,
    source: SourceKind,
    onto: str,
    dest: Path,
    branch: str | None,
    git_url: str | None,
    cache: Cache,
    git: Git,
    reporter: Reporter,
    pr_number: int | None = None,
) -> PreparedBranch:
    name = branch or pin.branch
    fragments = placeholders(c.path for patch in load_series(pin) for c in patch.files)
    if source == "registry":
        applied = apply_series(
            ApplyOptions(pin=pin, source=source, dest=dest, git_url=git_url, branch=branch),
            cache,
            git,
            reporter,
        )
        base = BranchBase(source="registry", ref=_measured_ref(pin), commit=pin.commit,
                          measured_ref=_measured_ref(pin), measured_commit=pin.commit)  # fmt: skip
        # The registry artifacts do not ship pyo3's newsfragments, so usually there are none.
        shipped = tuple(f for f in fragments if (applied.dest / f).is_file())
        return PreparedBranch(applied.dest, applied.branch, applied.head, base, DEFAULT_ONTO,
                              fragments=shipped)  # fmt: skip

    url = git_url or pin.git_url
    reporter.step(f"{pin.project} {pin.version}: the pinned base, where the evidence was measured")
    measured = open_base(pin, "git", cache, git, reporter, git_url=url)
    target, onto_base = git_target(pin, onto, url, cache=cache, git=git, reporter=reporter)
    cache.root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="pr-branch-", dir=cache.root))
    try:
        repo = scratch / "repo"
        old_tip = prepare_scratch(
            repo, (measured, onto_base), pin.series_dir, pin, excludes=[], git=git
        )
        reporter.step(f"replaying {len(pin.patches)} patches onto {onto} ({onto_base.commit[:12]})")
        for path in _numbered_series(pin, scratch / "numbered", pr_number):
            replayed = replay_patch(repo, path, [], git)
            if replayed.conflicts:
                so_far = range_diff(
                    repo, f"{measured.commit}..{old_tip}", f"{onto_base.commit}..HEAD", git
                )
                raise PrConflict(replayed.conflicts, pin, onto, so_far)
            how = "merged three-way" if replayed.three_way else "applied"
            reporter.info(f"{path.name}: {how}")
        head = git(repo, "rev-parse", "HEAD").stdout.strip()
        # Only the branch is kept: the scratch refs of the replay go.
        git(repo, "checkout", "--quiet", "-B", name, head, "--")
        git(repo, "branch", "--quiet", "-D", "--", "port", "port-old")
        for ref in ("refs/port/old-base", "refs/port/new-base"):
            git(repo, "update-ref", "-d", ref)
        git(repo, "remote", "add", "upstream", "--", url)
        touched = frozenset(
            numbered(c.path, pr_number) if pr_number is not None else c.path
            for patch in load_series(pin)
            for c in patch.files
        )
        dest = dest.absolute()
        dest.parent.mkdir(parents=True, exist_ok=True)
        install_branch(repo, dest, branch=name, base=onto_base.commit, tip=head,
                       touched=touched, git=git)  # fmt: skip
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    base = BranchBase(source="git", ref=onto, commit=onto_base.commit,
                      measured_ref=_measured_ref(pin), measured_commit=measured.commit)  # fmt: skip
    if pr_number is not None:
        fragments = [numbered(path, pr_number) for path in fragments]
    return PreparedBranch(dest, name, head, base, target.upstream_branch or DEFAULT_ONTO,
                          fragments=tuple(fragments), pr_number=pr_number)  # fmt: skip


def _numbered_series(pin: Pin, where: Path, pr_number: int | None) -> list[Path]:
    """The series' patch files, or copies whose placeholder newsfragments are named for the
    pull request."""
    if pr_number is None:
        return list(pin.patch_paths)
    where.mkdir()
    copies = []
    for path in pin.patch_paths:
        copy = where / path.name
        copy.write_bytes(number_patch(path.read_bytes().decode("utf-8"), pr_number).encode())
        copies.append(copy)
    return copies
