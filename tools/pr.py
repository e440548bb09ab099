"""`tools pr`: the upstream pull requests of a pin's stack, rendered from the series and the
verify report.

Prepares one branch per pull request of the pin's `stack` on upstream's default branch as it is
now (see `tools.pr_branch`), each holding the pull requests before it, with the submitter as
author and committer (`tools.pr_identity`). Writes `OUT/pr-k/title.txt`, `body.md` and
`branch.txt` for each (or, with `--as-comment`, `OUT/comment.md`, which offers the stack on the
open upstream pull request and shows how it differs from that pull request's head), and prints
the commands in order. A report that is missing, failed, or was made for other pins or another
series is refused unless `--allow-unverified`, which marks the bodies as unverified at the top.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from tools import markdown
from tools.cache import Cache
from tools.errors import ConfigError, DestinationRefused
from tools.gitops import Git
from tools.newsfragments import PLACEHOLDER, is_placeholder
from tools.outdir import check_out_dir, write_files
from tools.pins import Pin
from tools.platforms import HOST
from tools.pr_branch import (
    DEFAULT_ONTO,
    BranchBase,
    PreparedStack,
    StackBranch,
    known_tips,
    prepare_stack,
)
from tools.pr_delta import Delta, fetch_delta
from tools.pr_identity import Identity, submitter
from tools.pr_text import scrubbed
from tools.reportdata import (
    CellData,
    ReportData,
    SafetyData,
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
# The open upstream pull requests the stacks build on, and where `--as-comment` offers them.
OPEN_PULL_REQUESTS = {"pyo3": 6114, "maturin": 3216}
# Stand in the rendered text until the person submitting fills them in.
BRANCH_PLACEHOLDER = "PUSHED-BRANCH-URL"
REPORT_PLACEHOLDER = "FULL-REPORT-URL"
# Size limits (lines) of what upstream receives; tests hold the renders to them.
BODY_LINES, BODY_LINES_OUTSIDE_DETAILS, COMMENT_LINES = 150, 60, 40
# The safety scenario a later pull request of a stack is about, by a word of its title.
_SCENARIO_BY_TITLE = (
    ("build_env_interpreter", "downstream-opt-in"),
    ("opt-in", "downstream-opt-in"),
    ("inherit", "inherited-other-version-uv"),
    ("signature", "inherited-other-version-uv"),
    ("pythonpath", "pip-default-isolation"),
)
_GITHUB = re.compile(r"https://github\.com/(?P<repo>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+?)(?:\.git)?/?")
# What the submitter confirms before opening anything; printed, never written into a body.
CHECKLIST = (
    "read every line of every commit and of each description, and can vouch for them",
    "can answer review questions on any of it without the tools",
    "ran the checks listed in each description on its branch, or said in it which did not run",
)


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
    pr_numbers: tuple[int, ...] | None = None  # one per pull request of the stack
    gates: bool = True  # run upstream's gates on each prepared branch
    author: str | None = None  # `Name <email>`; default: git's identity for the checkout
    standalone: bool = False  # frame the stack as standalone, not as a follow-up
    upstream_pr: int | None = None  # the open pull request `--as-comment` offers the stack on
    report_url: str | None = None  # where the full report is published


@dataclass(frozen=True)
class PrResult:
    files: list[Path]
    stack: PreparedStack
    commands: list[str]
    unverified: list[str]
    notes: list[str]
    gates: list[list[UpstreamCheck] | None] = field(default_factory=list)

    @property
    def checkout(self) -> Path:
        return self.stack.dest

    @property
    def base(self) -> BranchBase:
        return self.stack.base


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


@dataclass(frozen=True)
class Evidence:
    """What the report measured for the pyo3 side with pull requests 1..k of the stack applied
    (for a maturin stack, and the last pull request of any, the whole series)."""

    cells: list[CellData]
    safety: list[SafetyData]
    measured: bool  # False: the report has no measurement of this prefix by itself
    held: bool  # every cell and scenario of it held

    @property
    def ran(self) -> int:
        """How many safety scenarios ran (the others were skipped on this machine)."""
        return sum(1 for s in self.safety if not s.get("skipped"))


def evidence_for(report: ReportData, pin: Pin, index: int) -> Evidence:
    if pin.project != "pyo3" or index == len(pin.stack):
        held = report["ok"] and all(s["ok"] for s in report["safety"])
        return Evidence(report["cells"], report["safety"], True, bool(held))
    for prefix in report.get("prefixes", []):
        if prefix["index"] == index:
            held = prefix["ok"] and all(s["ok"] for s in prefix["safety"])
            return Evidence(prefix["cells"], prefix["safety"], True, bool(held))
    return Evidence([], [], False, False)


def _cell(
    cells: Sequence[CellData], maturin: str, pyo3: str, fixture: str = "ext", frontend: str = "uv"
) -> CellData | None:
    for cell in cells:
        if (cell["maturin"], cell["pyo3"], cell["fixture"], cell["frontend"]) == (
            maturin,
            pyo3,
            fixture,
            frontend,
        ):
            return cell
    return None


def rollout(report: ReportData, evidence: Evidence) -> list[dict[str, Any]]:
    """The rollout table: maturin old/new by pyo3 old/new, the `ext` fixture's warm isolated
    rebuild under uv. The pyo3-new column is this prefix's; pyo3 old is the same for every one."""
    rows = []
    for maturin in ("old", "new"):
        row: dict[str, Any] = {"maturin": maturin}
        for pyo3 in ("old", "new"):
            cells = report["cells"] if pyo3 == "old" else evidence.cells
            row[pyo3] = _cell(cells, maturin, pyo3)
        rows.append(row)
    return rows


def cell_rows(cells: Sequence[CellData]) -> list[dict[str, Any]]:
    """The cells as one row per maturin/pyo3/fixture, the frontends side by side."""
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for cell in cells:
        key = (cell["maturin"], cell["pyo3"], cell["fixture"])
        row = rows.setdefault(
            key,
            {
                "maturin": key[0],
                "pyo3": key[1],
                "fixture": key[2],
                "uv": None,
                "build": None,
                "pip": None,
                "why": "",
            },
        )
        row[cell["frontend"]] = cell
        if not row["why"]:
            row["why"] = "; ".join(
                f"{name}: {reason}"
                for name in cell["chain_compiled"]
                for reason in cell["reasons"].get(name, [])
                if "dependency changed" not in reason
            )
    return list(rows.values())


def key_scenario(pin: Pin, index: int, evidence: Evidence) -> Any:
    """The safety scenario pull request `index` (> 1) of a stack is about, or None."""
    title = pin.stack[index - 1].title.lower()
    for word, name in _SCENARIO_BY_TITLE:
        if word in title:
            return next((s for s in evidence.safety if s["scenario"] == name), None)
    return None


def use_base_python_rows(report: ReportData) -> list[SafetyData]:
    """maturin's own `use-base-python`, as measured by the report (none: not measured)."""
    return [s for s in report["safety"] if s["scenario"].startswith("alternative-use-base-python")]


def branch_link(remote: str | None, branch: str) -> markdown.Trusted:
    """Where a pushed branch can be seen: a GitHub link, the remote as given, or the
    placeholder the person submitting replaces."""
    if remote is None:
        return markdown.Trusted(BRANCH_PLACEHOLDER)
    if match := _GITHUB.fullmatch(remote):
        url = f"https://github.com/{match['repo']}/tree/{urllib.parse.quote(branch)}"
        return markdown.Trusted(f"[{markdown.text(match['repo'])}:{markdown.text(branch)}]({url})")
    return markdown.Trusted(f"{markdown.code(branch)} of {markdown.code(remote)}")


def report_link(url: str | None) -> markdown.Trusted:
    if url is None:
        return markdown.Trusted(REPORT_PLACEHOLDER)
    return markdown.Trusted(f"[the full verify report]({url.replace(')', '%29')})")


@dataclass(frozen=True, kw_only=True)
class RenderInputs:
    """Everything a body or comment is rendered from, apart from the pull request itself."""

    pin: Pin
    sibling: Pin
    report: ReportData
    unverified: list[str]
    base: BranchBase
    branches: Sequence[StackBranch]
    standalone: bool = False
    report_url: str | None = None
    real_sources: Sequence[str] = ()


def _values(inputs: RenderInputs) -> dict[str, Any]:
    report = scrubbed(inputs.report)
    return {
        "pin": inputs.pin,
        "sibling": inputs.sibling,
        "report": report,
        "unverified": inputs.unverified,
        "frontends": report_frontends(inputs.report),
        "base": inputs.base,
        "standalone": inputs.standalone,
        "open_pr": OPEN_PULL_REQUESTS[inputs.pin.project],
        "sibling_pr": OPEN_PULL_REQUESTS[inputs.sibling.project],
        "report_link": report_link(inputs.report_url),
        "real_sources": list(inputs.real_sources),
        "use_base_python": use_base_python_rows(report),
        "count": len(inputs.branches),
        "placeholder": PLACEHOLDER,
    }


def render(inputs: RenderInputs, index: int, *, gates: list[UpstreamCheck] | None = None) -> str:
    """The body of pull request `index` (1-based) of the stack."""
    pin, branch = inputs.pin, inputs.branches[index - 1]
    values = _values(inputs)
    report = values["report"]
    evidence = evidence_for(report, pin, index)
    prefix_pin = replace(pin, patches=tuple(n for b in inputs.branches[:index] for n in b.patches))
    own = [p for p in load_series(prefix_pin) if p.name in branch.patches]
    checks = (
        [asdict(g) for g in gates]
        if gates is not None
        else [u for u in report["upstream_tests"] if u["project"] == pin.project]
    )
    return render_template(
        "pr-body.md.j2",
        **values,
        pr=branch,
        index=index,
        previous=inputs.branches[index - 2] if index > 1 else None,
        last=index == len(inputs.branches),
        patches=own,
        evidence=evidence,
        rollout=rollout(report, evidence),
        cell_rows=cell_rows(evidence.cells),
        scenario=key_scenario(pin, index, evidence) if index > 1 else None,
        checks=checks,
        gates_on_branch=gates is not None,
    )


def render_comment(
    inputs: RenderInputs,
    *,
    links: Sequence[markdown.Trusted],
    delta: Delta | None,
    upstream_pr: int,
) -> str:
    """The comment that offers the stack on the open upstream pull request (`--as-comment`)."""
    values = _values(inputs)
    report = values["report"]
    evidence = evidence_for(report, inputs.pin, 1)
    fence = markdown.Trusted("```")
    if delta is not None:
        longest = max((len(r) for r in re.findall(r"`+", delta.range_diff)), default=0)
        fence = markdown.Trusted("`" * max(3, longest + 1))
    return render_template(
        "pr-comment.md.j2",
        **values,
        branches=list(zip(inputs.branches, links, strict=True)),
        first=rollout(report, evidence),
        held=evidence_for(report, inputs.pin, len(inputs.branches)).held,
        delta=delta,
        fence=fence,
        upstream_pr=upstream_pr,
    )


def _gates_per_branch(
    options: PrOptions, stack: PreparedStack, cache: Cache, git: Git, reporter: Reporter
) -> list[list[UpstreamCheck] | None]:
    """Upstream's gates on each branch of the stack, each with the patches it holds."""
    if not options.gates:
        return [None] * len(stack.branches)
    results: list[list[UpstreamCheck] | None] = []
    on = stack.base.commit if stack.base.source == "git" else None
    held: list[str] = []
    try:
        for branch in stack.branches:
            held += branch.patches
            if len(stack.branches) > 1:
                git(stack.dest, "checkout", "--quiet", branch.branch, "--")
            reporter.step(f"upstream's gates on {branch.branch}")
            prefix = replace(options.pin, patches=tuple(held))
            results.append(
                branch_gates(
                    prefix,
                    stack.dest,
                    base=on,
                    cache=cache,
                    runner=Runner(reporter),
                    reporter=reporter,
                    pr_numbers=options.pr_numbers,
                )
            )
    finally:
        if len(stack.branches) > 1:
            git(stack.dest, "checkout", "--quiet", stack.top.branch, "--", check=False)
    return results


def create_pr(options: PrOptions, cache: Cache, git: Git, reporter: Reporter) -> PrResult:
    report, line_sources = with_line_real_rows(
        load_report(options.report), line_reports_next_to(options.report)
    )
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
    identity = submitter(git.runner, author=options.author, checkout=options.checkout)
    out = options.out.absolute()
    checkout = options.checkout.absolute()
    managed = frozenset({checkout.name} if checkout.parent == out else ())
    folders = [f"pr-{k}" for k in range(1, len(options.pin.stack) + 1)]
    check_out_dir(out, allowed=managed | frozenset(folders), force=options.force)
    if not options.as_comment:
        for folder in folders:
            check_out_dir(out / folder, force=options.force)

    # Every step that can fail runs before anything is written to --out.
    stack = prepare_stack(
        options.pin,
        source=options.source,
        onto=options.onto,
        dest=options.checkout,
        branch=options.branch,
        git_url=options.git_url,
        identity=identity,
        cache=cache,
        git=git,
        reporter=reporter,
        pr_numbers=options.pr_numbers,
    )
    gates = _gates_per_branch(options, stack, cache, git, reporter)
    if options.remote:
        known = known_tips(stack.dest)
        for branch in stack.branches:
            _push(stack, branch, options.remote, known=known, git=git, reporter=reporter)
    inputs = RenderInputs(
        pin=options.pin,
        sibling=options.sibling,
        report=report,
        unverified=problems,
        base=stack.base,
        branches=stack.branches,
        standalone=options.standalone,
        report_url=options.report_url,
        real_sources=[p.name for p in line_sources],
    )
    push_to = options.remote or "<your fork's URL>"
    # With the number, the branches replace the ones pushed to open the pull requests.
    force = ["--force"] if options.pr_numbers is not None else []
    commands = [
        HOST.shell_join(
            [
                "git",
                "-C",
                str(stack.dest),
                "push",
                *force,
                push_to,
                *(b.branch for b in stack.branches),
            ]
        )
    ]
    notes = _notes(options, stack)
    if options.as_comment:
        files, more = _write_comment(
            options, inputs, stack, out, git=git, reporter=reporter, notes=notes
        )
    else:
        files, more = _write_bodies(options, inputs, stack, out, gates=gates)
    commands += more
    reporter.step("wrote " + ", ".join(str(f) for f in files))
    return PrResult(files, stack, commands, problems, notes, gates)


def _notes(options: PrOptions, stack: PreparedStack) -> list[str]:
    notes = []
    waiting = [f for b in stack.branches for f in b.fragments if is_placeholder(f)]
    if waiting:
        notes.append(
            f"the newsfragments are still named {PLACEHOLDER} ({', '.join(waiting)}): once the "
            "pull request is open, run this again with --pr-number N to name them after it "
            "(pyo3's check-changelog wants newsfragments/N.<type>.md) and force-push the branch"
        )
    if stack.base.source == "registry":
        notes.append(
            "the branches are on the release as published, not on upstream's "
            f"{DEFAULT_ONTO}: prepare them with --source git before opening a pull request"
        )
    if not options.as_comment:
        notes.append(
            f"suggested first step: --as-comment offers the stack on the open pull request "
            f"(#{OPEN_PULL_REQUESTS[options.pin.project]}) before any new one is opened"
        )
    if options.report_url is None:
        notes.append(
            f"replace {REPORT_PLACEHOLDER} with the URL where the full report is published "
            "(or pass --report-url)"
        )
    return notes


def _write_bodies(
    options: PrOptions,
    inputs: RenderInputs,
    stack: PreparedStack,
    out: Path,
    *,
    gates: list[list[UpstreamCheck] | None],
) -> tuple[list[Path], list[str]]:
    files: list[Path] = []
    commands: list[str] = []
    repo = UPSTREAM_REPOS[options.pin.project]
    for branch, ran in zip(stack.branches, gates, strict=True):
        body = render(inputs, branch.index, gates=ran)
        folder = out / f"pr-{branch.index}"
        written = write_files(
            folder,
            {"title.txt": branch.title + "\n", "body.md": body, "branch.txt": branch.branch + "\n"},
        )
        files += written
        commands.append(
            HOST.shell_join(
                [
                    "gh",
                    "pr",
                    "create",
                    "--repo",
                    repo,
                    "--base",
                    stack.pr_base,
                    "--head",
                    f"<your-user>:{branch.branch}",
                    "--title",
                    branch.title,
                    "--body-file",
                    str(written[1]),
                ]
            )
        )
    return files, commands


def _write_comment(
    options: PrOptions,
    inputs: RenderInputs,
    stack: PreparedStack,
    out: Path,
    *,
    git: Git,
    reporter: Reporter,
    notes: list[str],
) -> tuple[list[Path], list[str]]:
    number = options.upstream_pr or OPEN_PULL_REQUESTS[options.pin.project]
    url = options.git_url or options.pin.git_url
    found = fetch_delta(
        git, stack.dest, url=url, number=number, base=stack.base.commit, tip=stack.top.head
    )
    delta = found if isinstance(found, Delta) else None
    if isinstance(found, str):
        reporter.warn(f"{found}: the comment goes without the delta to that pull request")
    links = [branch_link(options.remote, b.branch) for b in stack.branches]
    comment = render_comment(inputs, links=links, delta=delta, upstream_pr=number)
    files = write_files(out, {"comment.md": comment})
    command = HOST.shell_join(
        [
            "gh",
            "pr",
            "comment",
            str(number),
            "--repo",
            UPSTREAM_REPOS[options.pin.project],
            "--body-file",
            str(files[0]),
        ]
    )
    if options.remote is None:
        notes.append(
            f"after pushing, replace {BRANCH_PLACEHOLDER} in {files[0]} with the URLs of the "
            "pushed branches"
        )
    return files, [command]


def checklist(identity: Identity) -> list[str]:
    """The submitter's checklist, for the terminal."""
    return [f"as {identity}, confirm you {item}" for item in CHECKLIST]


def _push(
    stack: PreparedStack,
    branch: StackBranch,
    remote: str,
    *,
    known: frozenset[str],
    git: Git,
    reporter: Reporter,
) -> None:
    """Pushes one branch; replaces a branch of that name on the remote only when it is one an
    earlier `tools pr` wrote into this checkout (as after adding --pr-number), never other work."""
    ref = f"refs/heads/{branch.branch}"
    listed = git(stack.dest, "ls-remote", "--heads", "--", remote, ref).stdout.split()
    lease: list[str] = []
    if listed:
        old = listed[0]
        if old == branch.head:
            reporter.step(f"{branch.branch} is already at {branch.head[:12]} on {remote}")
            return
        if old not in known:
            raise DestinationRefused(
                f"{remote} already has a branch {branch.branch!r} at {old[:12]} that is not an "
                "earlier `tools pr` of this stack from this checkout; nothing was pushed",
                hint="pass another name with --branch, or push by hand after checking it",
            )
        lease = [f"--force-with-lease={ref}:{old}"]
    git(stack.dest, "push", "--quiet", *lease, "--", remote, f"{ref}:{ref}")
    reporter.step(f"pushed {branch.branch} to {remote}" + (" (replacing it)" if lease else ""))
