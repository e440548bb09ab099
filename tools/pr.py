"""`tools pr`: the upstream pull request, rendered from the series and the verify report.

Prepares the series as commits on a branch on upstream's default branch as it is now (see
`tools.pr_branch`), writes `title.txt` and `body.md` (or, with `--as-comment`, `comment.md` for
the existing upstream thread), and prints the exact `git push` and `gh` commands (or pushes the
branch to `--remote`). A report that is missing, failed, or was made for other pins or another
series is refused unless `--allow-unverified`, which marks the body as unverified at the top.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tools import markdown
from tools.cache import Cache
from tools.errors import ConfigError, DestinationRefused
from tools.gitops import TOOLS_EMAIL, Git, commits_between, open_repo
from tools.newsfragments import PLACEHOLDER, is_placeholder
from tools.outdir import check_out_dir, write_files
from tools.pins import Pin
from tools.platforms import HOST
from tools.pr_branch import DEFAULT_ONTO, BranchBase, PreparedBranch, prepare_branch
from tools.reportdata import (
    ReportData,
    line_reports_next_to,
    load_report,
    pin_problems,
    with_line_real_rows,
)
from tools.reporter import Reporter
from tools.runner import Runner
from tools.series import load_series
from tools.sources import SourceKind
from tools.templates import render_template
from tools.verify.report import report_frontends
from tools.verify.upstream import UpstreamCheck, branch_gates

UPSTREAM_REPOS = {"pyo3": "PyO3/pyo3", "maturin": "PyO3/maturin"}
# Where `--as-comment` offers the series: the open pyo3 pull request for the pyo3 half, the
# issue for the maturin half (its own pull request, PyO3/maturin#3216, is superseded).
COMMENT_THREADS: dict[str, tuple[str, str, int]] = {
    "pyo3": ("PyO3/pyo3", "pr", 6114),
    "maturin": ("PyO3/pyo3", "issue", 6113),
}
# Stands in the comment for the pushed branch's URL until the person submitting fills it in.
BRANCH_PLACEHOLDER = "PUSHED-BRANCH-URL"
_GITHUB = re.compile(r"https://github\.com/(?P<repo>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+?)(?:\.git)?/?")


@dataclass(frozen=True, kw_only=True)
class PrOptions:
    pin: Pin
    sibling: Pin
    report: Path
    out: Path
    checkout: Path
    branch: str | None
    remote: str | None
    source: SourceKind
    git_url: str | None
    allow_unverified: bool
    onto: str = DEFAULT_ONTO
    as_comment: bool = False
    force: bool = False
    # the upstream pull request's number, once it has one (`--pr-number`): names pyo3's
    # newsfragments after it, and the changelog gate needs it
    pr_number: int | None = None
    gates: bool = True  # run upstream's gates on the prepared branch


@dataclass(frozen=True)
class PrResult:
    files: list[Path]
    checkout: Path
    branch: str
    base: BranchBase
    commands: list[str]
    unverified: list[str]
    notes: list[str]
    gates: list[UpstreamCheck] | None = None


def report_problems(report: ReportData, pins: dict[str, Pin]) -> list[str]:
    """Why the report cannot back a pull request for these pins, if it cannot."""
    problems = []
    if report["ok"] is not True:
        problems.append("the report records failed expectations")
    problems += pin_problems(report, pins)
    if not report["cells"] or not report["safety"] or not report["upstream_tests"]:
        problems.append(
            "the report lacks the rollout table, the safety scenarios or upstream checks"
        )
    return problems


def _values(
    pin: Pin,
    sibling: Pin,
    report: ReportData,
    unverified: list[str],
    *,
    base: BranchBase,
    fragments: Sequence[str],
    gates: list[UpstreamCheck] | None,
    real_sources: Sequence[str] = (),
) -> dict[str, Any]:
    return {
        # the older lines' reports whose real-project rows were added to the report
        "real_sources": list(real_sources),
        # upstream's gates as run on the prepared branch (None: not run there), as the report
        # records them
        "gates": None if gates is None else [asdict(g) for g in gates],
        "pin": pin,
        "sibling": sibling,
        "sibling_title": title_of(sibling),
        "report": report,
        "patches": load_series(pin),
        "unverified": unverified,
        "frontends": report_frontends(report),
        "base": base,
        "fragments": fragments,
        "placeholder": PLACEHOLDER,
    }


def title_of(pin: Pin) -> markdown.Trusted:
    """The pull request title for `pin`'s series (Markdown, from its own template)."""
    rendered = render_template(f"pr-{pin.project}-title.txt.j2", patches=load_series(pin))
    return markdown.Trusted(rendered.strip())


def render(
    pin: Pin,
    sibling: Pin,
    report: ReportData,
    unverified: list[str],
    *,
    base: BranchBase,
    fragments: Sequence[str] = (),
    gates: list[UpstreamCheck] | None = None,
    real_sources: Sequence[str] = (),
) -> tuple[str, str]:
    values = _values(pin, sibling, report, unverified, base=base, fragments=fragments, gates=gates,
                     real_sources=real_sources)  # fmt: skip
    title = str(title_of(pin))
    body = render_template(f"pr-{pin.project}.md.j2", **values)
    return title, body


def branch_link(remote: str | None, branch: str) -> markdown.Trusted:
    """Where the pushed branch can be seen: a GitHub link, the remote as given, or the
    placeholder the person submitting replaces."""
    if remote is None:
        return markdown.Trusted(BRANCH_PLACEHOLDER)
    if match := _GITHUB.fullmatch(remote):
        url = f"https://github.com/{match['repo']}/tree/{urllib.parse.quote(branch)}"
        return markdown.Trusted(f"[{markdown.text(match['repo'])}:{markdown.text(branch)}]({url})")
    return markdown.Trusted(f"{markdown.code(branch)} of {markdown.code(remote)}")


def render_comment(
    pin: Pin,
    sibling: Pin,
    report: ReportData,
    unverified: list[str],
    *,
    base: BranchBase,
    link: markdown.Trusted,
    fragments: Sequence[str] = (),
    gates: list[UpstreamCheck] | None = None,
    real_sources: Sequence[str] = (),
) -> str:
    """The comment for the existing upstream thread that offers the series (`--as-comment`)."""
    values = _values(pin, sibling, report, unverified, base=base, fragments=fragments, gates=gates,
                     real_sources=real_sources)  # fmt: skip
    return render_template(f"pr-{pin.project}-comment.md.j2", link=link, **values)


def create_pr(options: PrOptions, cache: Cache, git: Git, reporter: Reporter) -> PrResult:
    report, line_sources = with_line_real_rows(
        load_report(options.report), line_reports_next_to(options.report)
    )
    real_sources = [path.name for path in line_sources]
    pins: dict[str, Pin] = {
        options.pin.project: options.pin,
        options.sibling.project: options.sibling,
    }
    problems = report_problems(report, pins)
    if problems and not options.allow_unverified:
        raise ConfigError(
            f"{options.report}: refusing to render: {'; '.join(problems)}",
            hint="run `tools verify` for these pins, or pass --allow-unverified",
        )
    out = options.out.absolute()
    checkout = options.checkout.absolute()
    managed = frozenset({checkout.name} if checkout.parent == out else ())
    check_out_dir(out, allowed=managed, force=options.force)

    # Every step that can fail runs before anything is written to --out.
    prepared = prepare_branch(
        options.pin, source=options.source, onto=options.onto, dest=options.checkout,
        branch=options.branch, git_url=options.git_url, cache=cache, git=git, reporter=reporter,
        pr_number=options.pr_number,
    )  # fmt: skip
    gates = None
    if options.gates:
        reporter.step(f"upstream's gates on {prepared.branch}")
        on = prepared.base.commit if prepared.base.source == "git" else None
        gates = branch_gates(options.pin, prepared.dest, base=on, cache=cache,
                             runner=Runner(reporter), reporter=reporter,
                             pr_number=options.pr_number)  # fmt: skip
    if options.remote:
        _push(prepared, options.remote, git, reporter)
    push_to = options.remote or "<your fork's URL>"
    # With the number, the branch replaces the one pushed to open the pull request.
    force = ["--force"] if options.pr_number is not None else []
    commands = [HOST.shell_join(["git", "-C", str(prepared.dest), "push", *force, push_to,
                                 prepared.branch])]  # fmt: skip
    notes: list[str] = []
    waiting = [f for f in prepared.fragments if is_placeholder(f)]
    if waiting:
        notes.append(
            f"the newsfragments are still named {PLACEHOLDER} ({', '.join(waiting)}): once the "
            "pull request is open, run this again with --pr-number N to name them after it "
            "(pyo3's check-changelog wants newsfragments/N.<type>.md) and force-push the branch"
        )
    if options.as_comment:
        link = branch_link(options.remote, prepared.branch)
        comment = render_comment(options.pin, options.sibling, report, problems,
                                 base=prepared.base, link=link,
                                 fragments=prepared.fragments, gates=gates,
                                 real_sources=real_sources)  # fmt: skip
        files = write_files(out, {"comment.md": comment})
        repo, kind, number = COMMENT_THREADS[options.pin.project]
        commands.append(HOST.shell_join(["gh", kind, "comment", str(number), "--repo", repo,
                                         "--body-file", str(files[0])]))  # fmt: skip
        if options.remote is None:
            notes.append(
                f"after pushing, replace {BRANCH_PLACEHOLDER} in {files[0]} with the URL of "
                "the pushed branch"
            )
    else:
        title, body = render(options.pin, options.sibling, report, problems, base=prepared.base,
                             fragments=prepared.fragments, gates=gates,
                             real_sources=real_sources)  # fmt: skip
        files = write_files(out, {"title.txt": title + "\n", "body.md": body})
        commands.append(HOST.shell_join([
            "gh", "pr", "create", "--repo", UPSTREAM_REPOS[options.pin.project],
            "--base", prepared.pr_base, "--head", f"<your-user>:{prepared.branch}",
            "--title", title, "--body-file", str(files[1]),
        ]))  # fmt: skip
    reporter.step("wrote " + " and ".join(str(f) for f in files))
    if prepared.base.source == "registry":
        notes.append(
            "the branch is on the release as published, not on upstream's "
            f"{DEFAULT_ONTO}: prepare it with --source git before opening the pull request"
        )
    return PrResult(files, prepared.dest, prepared.branch, prepared.base, commands, problems,
                    notes, gates)  # fmt: skip


def _push(prepared: PreparedBranch, remote: str, git: Git, reporter: Reporter) -> None:
    """Pushes the branch; replaces a branch of that name on the remote only when it holds nothing
    but an earlier `tools pr` of the series (as after adding --pr-number), never other work."""
    ref = f"refs/heads/{prepared.branch}"
    listed = git(prepared.dest, "ls-remote", "--heads", "--", remote, ref).stdout.split()
    lease: list[str] = []
    if listed:
        old = listed[0]
        if old == prepared.head:
            reporter.step(f"{prepared.branch} is already at {prepared.head[:12]} on {remote}")
            return
        git(prepared.dest, "fetch", "--quiet", "--no-tags", "--", remote, ref)
        repo = open_repo(prepared.dest)
        ours = None if repo is None else commits_between(repo, prepared.base.commit, old)
        if not ours or any(c.committer.email != TOOLS_EMAIL for c in ours):
            raise DestinationRefused(
                f"{remote} already has a branch {prepared.branch!r} at {old[:12]} that is not an "
                "earlier `tools pr` of this series; nothing was pushed",
                hint="pass another name with --branch, or push by hand after checking it",
            )
        lease = [f"--force-with-lease={ref}:{old}"]
    git(prepared.dest, "push", "--quiet", *lease, "--", remote, f"{ref}:{ref}")
    reporter.step(f"pushed {prepared.branch} to {remote}" + (" (replacing it)" if lease else ""))
