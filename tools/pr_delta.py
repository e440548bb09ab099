"""How a prepared stack differs from an open upstream pull request's head (`--as-comment`), so
that pull request's author can see, per file and per commit, what the offer would add.

The head is fetched as `refs/pull/N/head` of the upstream URL into the prepared checkout (only
its objects and FETCH_HEAD: no ref is created). When it cannot be fetched, the comment goes
without the delta and the terminal says so in one line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tools.errors import CommandFailed
from tools.gitops import Git


@dataclass(frozen=True)
class FileDelta:
    path: str
    theirs: (
        tuple[int, int] | None
    )  # lines added and removed by their pull request, if it touches it
    ours: tuple[int, int] | None


@dataclass(frozen=True)
class Delta:
    number: int
    head: str
    merge_base: str
    files: list[FileDelta] = field(default_factory=list)
    range_diff: str = ""

    @property
    def head_short(self) -> str:
        return self.head[:12]


def _numstat(git: Git, repo: Path, old: str, new: str) -> dict[str, tuple[int, int]]:
    out = git(repo, "diff", "--numstat", "--no-renames", old, new, "--").stdout
    stats = {}
    for line in out.splitlines():
        added, removed, path = line.split("\t", 2)
        # a binary file shows `-`: counted as no lines
        stats[path] = (
            int(added) if added.isdigit() else 0,
            int(removed) if removed.isdigit() else 0,
        )
    return stats


def fetch_delta(git: Git, repo: Path, *, url: str, number: int, base: str, tip: str) -> Delta | str:
    """The delta between `base..tip` and pull request `number`'s head, or why there is none."""
    ref = f"refs/pull/{number}/head"
    try:
        git(
            repo,
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-write-fetch-head",
            "--",
            url,
            f"+{ref}:refs/tools-pr/upstream-head",
        )
    except CommandFailed:
        return f"could not fetch {ref} from {url}"
    try:
        head = git(repo, "rev-parse", "refs/tools-pr/upstream-head").stdout.strip()
        found = git(repo, "merge-base", head, tip, check=False)
        if found.returncode != 0:
            return f"{ref} of {url} shares no history with the prepared branch"
        merge_base = found.stdout.strip()
        theirs = _numstat(git, repo, merge_base, head)
        ours = _numstat(git, repo, base, tip)
        files = [FileDelta(p, theirs.get(p), ours.get(p)) for p in sorted(set(theirs) | set(ours))]
        files.sort(key=lambda f: (f.ours is not None, f.theirs is None, f.path))
        if merge_base == head:
            text = ""
        else:
            text = git(
                repo, "range-diff", "--no-color", f"{merge_base}..{head}", f"{base}..{tip}"
            ).stdout
        return Delta(number, head, merge_base, files, text)
    finally:
        git(repo, "update-ref", "-d", "refs/tools-pr/upstream-head", check=False)
