"""`tools pr`: the upstream pull request, rendered from the series and the verify report.

Writes `title.txt` and `body.md`, prepares the series as commits on a branch of a checkout of
the pinned tag, and prints the exact `git push` and `gh pr create` commands (or pushes the
branch to `--remote`). A report that is missing, failed, or was made for other pins or another
series is refused unless `--allow-unverified`, which marks the body as unverified at the top.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.apply import ApplyOptions, apply_series
from tools.cache import Cache
from tools.errors import ConfigError
from tools.gitops import Git
from tools.outdir import check_out_dir, write_files
from tools.pins import Pin
from tools.reportdata import load_report
from tools.reporter import Reporter
from tools.series import load_series
from tools.sources import SourceKind
from tools.templates import render_template
from tools.verify.artifacts import series_hash
from tools.verify.report import report_frontends

UPSTREAM_REPOS = {"pyo3": "PyO3/pyo3", "maturin": "PyO3/maturin"}


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
    force: bool = False


@dataclass(frozen=True)
class PrResult:
    title: Path
    body: Path
    checkout: Path
    branch: str
    commands: list[str]
    unverified: list[str]


def report_problems(report: dict[str, Any], pins: dict[str, Pin]) -> list[str]:
    """Why the report cannot back a pull request for these pins, if it cannot."""
    problems = []
    if report["ok"] is not True:
        problems.append("the report records failed expectations")
    for project, pin in pins.items():
        if report["pins"].get(project) != pin.version:
            problems.append(
                f"the report is for {project} {report['pins'].get(project)}, not {pin.version}"
            )
        elif report["series"].get(project) != series_hash(pin):
            problems.append(f"the report was made with another {project} series")
    if not report["cells"] or not report["safety"] or not report["upstream_tests"]:
        problems.append(
            "the report lacks the rollout table, the safety scenarios or upstream checks"
        )
    return problems


def render(
    pin: Pin, sibling: Pin, report: dict[str, Any], unverified: list[str]
) -> tuple[str, str]:
    patches = load_series(pin)
    values = {
        "pin": pin,
        "sibling": sibling,
        "report": report,
        "patches": patches,
        "unverified": unverified,
        "frontends": report_frontends(report),
    }
    title = render_template(f"pr-{pin.project}-title.txt.j2", **values).strip()
    body = render_template(f"pr-{pin.project}.md.j2", **values)
    return title, body


def create_pr(options: PrOptions, cache: Cache, git: Git, reporter: Reporter) -> PrResult:
    report = load_report(options.report)
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
    title, body = render(options.pin, options.sibling, report, problems)
    out = options.out.absolute()
    checkout = options.checkout.absolute()
    managed = frozenset({checkout.name} if checkout.parent == out else ())
    check_out_dir(out, allowed=managed, force=options.force)
    title_path, body_path = out / "title.txt", out / "body.md"

    # Every step that can fail runs before anything is written to --out.
    applied = apply_series(
        ApplyOptions(pin=options.pin, source=options.source, dest=options.checkout,
                     git_url=options.git_url, branch=options.branch),
        cache, git, reporter,
    )  # fmt: skip
    repo = UPSTREAM_REPOS[options.pin.project]
    if options.remote:
        git(applied.dest, "push", "--quiet", "--", options.remote,
            f"refs/heads/{applied.branch}:refs/heads/{applied.branch}")  # fmt: skip
        reporter.step(f"pushed {applied.branch} to {options.remote}")
    write_files(out, {title_path.name: title + "\n", body_path.name: body})
    reporter.step(f"wrote {title_path} and {body_path}")
    push_to = options.remote or "<your fork's URL>"
    commands = [
        shlex.join(["git", "-C", str(applied.dest), "push", push_to, applied.branch]),
        shlex.join(["gh", "pr", "create", "--repo", repo, "--base", "main",
                    "--head", f"<your-user>:{applied.branch}", "--title", title,
                    "--body-file", str(body_path)]),
    ]  # fmt: skip
    return PrResult(title_path, body_path, applied.dest, applied.branch, commands, problems)
