"""Command line: parses arguments, dispatches to one module per command, maps errors to exits.

Exit codes: 0 success; 1 a verification or check failed; 2 bad input (pins, patch files, arguments,
checksum or commit mismatch, a report value outside its known set) or a path the file system
refuses; 3 the series does not apply; 4 the destination holds work that applying could lose; 5 an
external program or a download failed; 130 interrupted (Ctrl-C), 143 terminated (SIGTERM), with
scratch folders removed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

from tools import __version__
from tools.apply import ApplyOptions, apply_series
from tools.audit.real import describe_defaults, real_plan, sdist_pyo3
from tools.audit.result import write_json as write_audit_json
from tools.audit.result import write_markdown as write_audit_markdown
from tools.audit.run import AuditOptions, audit
from tools.audit.summary import print_audit
from tools.cache import Cache
from tools.check import check_pins
from tools.errors import (
    ApplyFailed,
    CommandFailed,
    ConfigError,
    FileSystemError,
    ToolError,
    VerificationFailed,
    printable,
    quoted,
)
from tools.gitops import Git
from tools.gitvalues import check_branch, check_tag, check_url
from tools.outdated import as_json, outdated, query, rows
from tools.outdir import check_files
from tools.pins import (
    DEFAULT_PINS,
    PROJECTS,
    Pins,
    is_packaged,
    load_pins,
    pin_as_json,
    series_rows,
)
from tools.port import (
    PortConflict,
    PortOptions,
    PortResult,
    ReplayConflict,
    abort_port,
    continue_port,
    start_port,
)
from tools.pr import PrOptions, checklist, create_pr
from tools.pr_branch import DEFAULT_ONTO
from tools.proposal import (
    DEFAULT_COLD_REPORT,
    DEFAULT_PROPOSAL,
    DEFAULT_README,
    DEFAULT_REPORT,
    update_proposal,
    update_readme,
)
from tools.registry import CRATE_INDEX, PYPI_JSON, Registries, fetch_text
from tools.reportdata import load_report
from tools.reporter import Reporter, TerminalReporter, print_error
from tools.runner import Runner
from tools.signals import Interrupted, interruptible
from tools.verify import pairs as verify_pairs
from tools.verify.fixtures import FIXTURES
from tools.verify.frontends import FRONTENDS
from tools.verify.report import write_json, write_markdown
from tools.verify.run import (
    VerifyOptions,
    find_other_python,
    prefixes_wanted,
    select_pins,
    verify,
)
from tools.verify.safety import SCENARIOS
from tools.verify.summary import print_summary

# verify's report goes to an untracked folder unless asked; the committed reference report in
# reports/ is refreshed only by naming it (see the README).
DEFAULT_VERIFY_JSON = Path("out") / "verify.json"
DEFAULT_VERIFY_MARKDOWN = Path("out") / "verify.md"
DEFAULT_SUMMARY_JSON = Path("out") / "summary.json"
DEFAULT_SUMMARY_MARKDOWN = Path("out") / "summary.md"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise ConfigError(f"{self.prog}: {message}")

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        # argparse quotes the whole value; a long one is shortened like every quoted value
        if action.choices is not None and value not in action.choices:
            choices = ", ".join(repr(choice) for choice in action.choices)
            raise argparse.ArgumentError(
                action, f"invalid choice: {quoted(value)} (choose from {choices})"
            )


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tools", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--pins", type=Path, default=DEFAULT_PINS, help="pins file (default: %(default)s)"
    )
    parser.add_argument(
        "--cache-dir", type=Path, help="download and build cache (default: the user cache dir)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="echo every command run")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    apply = commands.add_parser("apply", help="apply a patch series as commits on a branch")
    apply.add_argument("project", choices=PROJECTS)
    apply.add_argument(
        "--version", dest="pin_version", help="upstream version (default: newest pin)"
    )
    apply.add_argument("--source", choices=("registry", "git"), default="registry")
    apply.add_argument("--git-url", help="clone from here instead of the pinned URL")
    _allow_any_url(apply)
    apply.add_argument("--branch", help="branch name (default: from the pins)")
    apply.add_argument("--dest", type=Path, required=True, help="checkout to create or update")

    pins = commands.add_parser("pins", help="list the pinned upstream versions")
    pins.add_argument("--json", action="store_true", help="print JSON instead of a table")

    check = commands.add_parser("check", help="check the pins and that every patch applies")
    check.add_argument("--no-apply", action="store_true", help="parse only; do not apply")

    _add_verify_parser(commands)
    _add_audit_parser(commands)

    _add_pr_parser(commands)

    _add_port_commands(commands)

    proposal = commands.add_parser(
        "proposal", help="regenerate PROPOSAL.md's evidence and README.md's figures"
    )
    proposal.add_argument("--report", type=Path, default=DEFAULT_REPORT)
    proposal.add_argument("--proposal", type=Path, default=DEFAULT_PROPOSAL)
    proposal.add_argument("--readme", type=Path, default=DEFAULT_README)
    proposal.add_argument(
        "--cold-report",
        type=Path,
        default=DEFAULT_COLD_REPORT,
        help="the reference pair's verify from an empty tool cache (Timing)",
    )
    proposal.add_argument("--check", action="store_true", help="exit 1 if it is out of date")
    return parser


def _add_pr_parser(commands: argparse._SubParsersAction[_Parser]) -> None:
    pr = commands.add_parser(
        "pr", help="prepare the branches of the pin's stack and render each pull request"
    )
    pr.add_argument("project", choices=PROJECTS)
    pr.add_argument("--version", dest="pin_version", help="upstream version (default: newest pin)")
    pr.add_argument("--report", type=Path, required=True, help="the verify report (JSON)")
    pr.add_argument("--out", type=Path, required=True, help="where pr-1/, pr-2/, ... go")
    pr.add_argument(
        "--checkout", type=Path, help="checkout for the branches (default: OUT/checkout)"
    )
    pr.add_argument(
        "--branch", help="branch name (default: from the pins; NAME-1, NAME-2, ... for a stack)"
    )
    pr.add_argument("--remote", help="push the branches to this URL")
    pr.add_argument(
        "--author",
        help='"Name <email>" for the commits (default: git\'s user.name/user.email for the '
        "checkout)",
    )
    pr.add_argument(
        "--source",
        choices=("git", "registry"),
        default="git",
        help="base of the branches (default: %(default)s: upstream's --onto; registry: the "
        "release as published, not on main)",
    )
    pr.add_argument(
        "--onto",
        help=f"with --source git, the upstream ref the series is replayed onto (default: "
        f"{DEFAULT_ONTO})",
    )
    pr.add_argument(
        "--pr-number",
        type=_pr_numbers,
        metavar="N[,N...]",
        help="the pull requests' numbers, once they are open, one per pull request of the stack "
        "in order: names pyo3's newsfragments after them (the branches are then force-pushed)",
    )
    pr.add_argument(
        "--as-comment",
        action="store_true",
        help="write comment.md offering the stack on the open upstream pull request instead",
    )
    pr.add_argument(
        "--upstream-pr",
        type=_pr_number,
        help="the open upstream pull request --as-comment offers the stack on and compares "
        "with (default: pyo3 6114, maturin 3216)",
    )
    pr.add_argument(
        "--standalone",
        action="store_true",
        help="frame the pull requests as standalone (Closes ...) instead of as a follow-up",
    )
    pr.add_argument("--report-url", help="https URL where the full report is published")
    pr.add_argument("--git-url", help="clone from here instead of the pinned URL")
    _allow_any_url(pr)
    pr.add_argument(
        "--allow-unverified",
        action="store_true",
        help="render from a missing-pins or failed report, marked unverified",
    )
    pr.add_argument(
        "--force", action="store_true", help="overwrite files in --out the tools did not write"
    )


def _pr_number(value: str) -> int:
    """A pull request number: digits only, as GitHub numbers them."""
    if not value.isascii() or not value.isdigit() or len(value) > 9 or int(value) == 0:
        raise argparse.ArgumentTypeError(f"not a pull request number: {value[:40]!r}")
    return int(value)


def _pr_numbers(value: str) -> tuple[int, ...]:
    """One pull request number per pull request of the stack, comma-separated."""
    return tuple(_pr_number(part) for part in value.split(","))


def _allow_any_url(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-any-url",
        action="store_true",
        help="accept http, ssh and git URLs too (default: https, file and local paths only)",
    )


def _check_git_values(args: argparse.Namespace) -> None:
    """The command line's values for git, refused (exit 2) before git sees any of them."""
    for option in ("git_url", "remote"):
        value = getattr(args, option, None)
        if value is not None:
            flag = "--" + option.replace("_", "-")
            check_url(value, source=flag, allow_any=args.allow_any_url)
    if getattr(args, "branch", None) is not None:
        check_branch(args.branch, source="--branch")


def _add_port_commands(commands: argparse._SubParsersAction[_Parser]) -> None:
    port = commands.add_parser("port", help="replay a series onto another release or git ref")
    port.add_argument("project", nargs="?", choices=PROJECTS)
    port.add_argument("--from", dest="from_version", help="the pinned series to port")
    port.add_argument("--to", help="a release (registry) or a tag, branch or commit (git)")
    port.add_argument("--source", choices=("registry", "git"), default="registry")
    port.add_argument("--git-url", help="fetch from here instead of the pinned URL")
    port.add_argument("--work", type=Path, help="scratch folder (default: CACHE/port)")
    stop = port.add_mutually_exclusive_group()
    stop.add_argument(
        "--continue",
        dest="resume",
        action="store_true",
        help="export the series once the conflict is resolved",
    )
    stop.add_argument("--abort", action="store_true", help="remove the stopped port's state")
    _registry_options(port)
    _allow_any_url(port)

    outdated = commands.add_parser("outdated", help="which pins have newer upstream releases")
    outdated.add_argument("--json", action="store_true", help="print JSON instead of a table")
    _registry_options(outdated)


def _registry_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--crate-index", type=_registry_url, default=CRATE_INDEX, help="sparse crate index URL"
    )
    parser.add_argument("--pypi", type=_registry_url, default=PYPI_JSON, help="PyPI JSON API URL")


REGISTRY_SCHEMES = ("https", "http", "file")


def _registry_url(value: str) -> str:
    """A registry mirror's URL: https, http (with a host) or file, checked while parsing."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - parsing the port is what checks it
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{quoted(value)} is not a URL: {exc}") from exc
    if parts.scheme not in REGISTRY_SCHEMES:
        raise argparse.ArgumentTypeError(
            f"{quoted(value)} is not an https://, http:// or file:// URL"
        )
    if (parts.scheme != "file" and not parts.hostname) or any(c.isspace() for c in value):
        raise argparse.ArgumentTypeError(f"{quoted(value)} is not a URL with a host")
    return value


def _add_verify_parser(commands: argparse._SubParsersAction[_Parser]) -> None:
    verify = commands.add_parser("verify", help="build both projects and measure the rollout")
    verify.add_argument("--pyo3", help="pyo3 pin (default: newest)")
    verify.add_argument("--maturin", help="maturin pin (default: newest)")
    verify.add_argument(
        "--frontend",
        type=_csv(FRONTENDS),
        default=list(FRONTENDS),
        help="comma-separated frontends (default: %(default)s)",
    )
    verify.add_argument(
        "--fixture",
        type=_csv(FIXTURES),
        default=list(FIXTURES),
        help="comma-separated fixtures (default: %(default)s)",
    )
    verify.add_argument(
        "--safety",
        type=_scenarios,
        default="all",
        help="'all', 'none' or comma-separated scenarios: " + ", ".join(SCENARIOS),
    )
    verify.add_argument(
        "--no-upstream-checks",
        action="store_true",
        help="skip rustfmt, clippy and the crates' own tests",
    )
    verify.add_argument(
        "--python",
        type=Path,
        default=Path(sys.executable),
        help="interpreter the builds are based on (default: this one)",
    )
    verify.add_argument(
        "--other-python", type=Path, help="a CPython of another minor version (default: searched)"
    )
    verify.add_argument(
        "--ft-pair",
        type=Path,
        help="the CPython of --python's version with the other GIL setting, for the "
        "free-threading scenario (default: searched on PATH)",
    )
    verify.add_argument(
        "--real",
        default="default",
        help="real PyPI projects to audit, each in the verify of the pyo3 version it locks: "
        f"'default' ({describe_defaults()}), 'none', or comma-separated names or NAME==VERSION",
    )
    verify.add_argument(
        "--prefixes",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="measure each proper prefix of the pyo3 stack apart, after the run's own phases "
        "(default: on when the stack has more than one pull request)",
    )
    verify.add_argument(
        "--summarize",
        type=Path,
        nargs="+",
        metavar="REPORT",
        help="build nothing: write the table across these reports to --json and --markdown",
    )
    verify.add_argument(
        "--all-pins",
        action="store_true",
        help="every pinned pyo3 line with the newest maturin pin: one report per pair in the "
        "directory of --json, plus summary.json and summary.md",
    )
    verify.add_argument(
        "--json",
        type=Path,
        dest="json_path",
        default=DEFAULT_VERIFY_JSON,
        help=f"write the JSON report here (default: {DEFAULT_VERIFY_JSON}, untracked; with "
        f"--summarize the summary, default {DEFAULT_SUMMARY_JSON})",
    )
    verify.add_argument(
        "--markdown",
        type=Path,
        default=DEFAULT_VERIFY_MARKDOWN,
        help=f"write the Markdown report here (default: {DEFAULT_VERIFY_MARKDOWN}, untracked; "
        f"with --summarize the summary, default {DEFAULT_SUMMARY_MARKDOWN})",
    )


def _add_audit_parser(commands: argparse._SubParsersAction[_Parser]) -> None:
    audit = commands.add_parser(
        "audit", help="what a maturin project recompiles when isolated, and what the series saves"
    )
    audit.add_argument("source", help="a project directory, or pypi:NAME[==VERSION] (the sdist)")
    audit.add_argument(
        "--frontend",
        type=_csv(FRONTENDS),
        default=list(FRONTENDS),
        help="comma-separated frontends (default: %(default)s)",
    )
    audit.add_argument(
        "--stock-only",
        action="store_true",
        help="only as published (any pyo3 version): why does the project recompile",
    )
    audit.add_argument(
        "--exact",
        action="store_true",
        help="refuse a project whose Cargo.lock holds another patch release of a pinned pyo3 "
        "line (default: move the copies' lock to the pinned release)",
    )
    audit.add_argument(
        "--python",
        type=Path,
        default=Path(sys.executable),
        help="interpreter the builds are based on (default: this one)",
    )
    audit.add_argument("--json", type=Path, dest="json_path", help="write the JSON result here")
    audit.add_argument("--markdown", type=Path, help="write the Markdown result here")


def _csv(choices: Sequence[str]) -> Callable[[str], list[str]]:
    def parse(value: str) -> list[str]:
        items = [item.strip() for item in value.split(",") if item.strip()]
        unknown = [item for item in items if item not in choices]
        if unknown or not items:
            raise argparse.ArgumentTypeError(f"{quoted(value)}: choose from {', '.join(choices)}")
        return items

    return parse


# The longest file name (bytes) of the common file systems, and of a whole path on Linux.
NAME_MAX = 255
PATH_MAX = 4096


def _check_location(option: str, path: Path, *, folder: bool = False) -> None:
    """A path the command creates or writes under, refused (exit 2) before any work when the
    file system cannot hold it: a name too long, a file on the way, or a folder that is not
    writable. With `folder`, an existing path must be a folder too."""
    shown = f"{option} {printable(path)}"
    hint = f"pass another {option}" if option.startswith("--") else "pass --cache-dir"
    longest = max((len(os.fsencode(part)) for part in path.parts), default=0)
    if longest > NAME_MAX:
        raise ConfigError(
            f"{shown}: a name in the path is {longest} bytes long; file systems allow {NAME_MAX}",
            hint="use a shorter path",
        )
    absolute = path.absolute()
    if len(os.fsencode(absolute)) > PATH_MAX:
        raise ConfigError(f"{shown}: the path is longer than {PATH_MAX} bytes", hint=hint)
    existing = next(p for p in (absolute, *absolute.parents) if os.path.lexists(p))
    if existing == absolute and not existing.is_dir():
        if folder:
            raise ConfigError(f"{shown} exists and is not a folder", hint=hint)
        return
    if not existing.is_dir():
        raise ConfigError(f"{shown}: {printable(existing)} is a file, not a folder", hint=hint)
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"{shown}: the folder {printable(existing)} is not writable", hint=hint)


def _run_apply(args: argparse.Namespace, pins: Pins, cache: Cache, reporter: Reporter) -> int:
    _check_git_values(args)
    _check_location("--dest", args.dest)
    pin = pins.select(args.project, args.pin_version)
    options = ApplyOptions(
        pin=pin, source=args.source, dest=args.dest, git_url=args.git_url, branch=args.branch
    )
    result = apply_series(options, cache, Git(Runner(reporter)), reporter)
    messages = {
        "created": f"created {result.dest} with {len(result.applied)} commits on {result.branch}",
        "applied": f"applied {len(result.applied)} commits on {result.branch} in {result.dest}",
        "reapplied": f"replaced an earlier apply in {result.dest} with the current series",
        "unchanged": f"{result.dest} already has this series applied; nothing to do",
    }
    reporter.step(messages[result.outcome])
    return 0


def _run_pins(args: argparse.Namespace, pins: Pins, reporter: Reporter) -> int:
    if args.json:
        print(json.dumps([pin_as_json(pin) for pin in pins.pins], indent=2))
    else:
        reporter.table(
            "Pins", ["project", "version", "tag", "commit", "patches"], series_rows(pins.pins)
        )
    return 0


def _run_check(args: argparse.Namespace, pins: Pins, cache: Cache, reporter: Reporter) -> int:
    rows = check_pins(pins, cache, Git(Runner(reporter)), reporter, apply=not args.no_apply)
    reporter.table(
        "Check",
        ["project", "version", "patches", "applied", "files skipped", "problems"],
        [
            [
                r.project,
                r.version,
                str(r.patches),
                str(r.applied),
                str(r.skipped_files),
                str(len(r.problems)),
            ]
            for r in rows
        ],
    )
    problems = [p for r in rows for p in r.problems]
    for problem in problems:
        reporter.warn(problem)
    if problems:
        message = problems[0] + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
        bad_input = any(r.problems and not r.does_not_apply for r in rows)
        raise ConfigError(message) if bad_input else ApplyFailed(message)
    return 0


def _scenarios(value: str) -> str:
    """`all`, `none` or known scenario names; checked while parsing, so a typo is exit 2."""
    if value not in ("all", "none"):
        _csv(list(SCENARIOS))(value)
    return value


def _writable_file(option: str, path: Path | None) -> None:
    if path is not None and path.exists() and not path.is_file():
        raise ConfigError(f"{option} {path} exists and is not a file")


def _run_summarize(args: argparse.Namespace, reporter: Reporter) -> int:
    """The table across existing reports, written where --json/--markdown say (default out/),
    never over a file the tools did not write."""
    # argparse keeps the default object itself when an option is not given.
    json_path, md_path = args.json_path, args.markdown
    if json_path is DEFAULT_VERIFY_JSON:
        json_path = DEFAULT_SUMMARY_JSON
    if md_path is DEFAULT_VERIFY_MARKDOWN:
        md_path = DEFAULT_SUMMARY_MARKDOWN
    check_files([("--json", json_path), ("--markdown", md_path)])
    summaries = [verify_pairs.summarize(load_report(path), path) for path in args.summarize]
    reporter.table("Pairs", verify_pairs.HEADER, verify_pairs.rows(summaries))
    verify_pairs.write_summary(summaries, json_path, md_path)
    reporter.step(f"wrote {json_path} and {md_path}")
    return 0


def _run_verify(args: argparse.Namespace, pins: Pins, cache: Cache, reporter: Reporter) -> int:
    if args.summarize:
        return _run_summarize(args, reporter)
    _writable_file("--json", args.json_path)
    _writable_file("--markdown", args.markdown)
    if args.safety == "all":
        scenarios = None
    elif args.safety == "none":
        scenarios = []
    else:
        scenarios = _csv(list(SCENARIOS))(args.safety)
    if args.all_pins:
        if args.pyo3 or args.maturin:
            raise ConfigError("--all-pins chooses the pins itself; drop --pyo3 and --maturin")
        pairs = verify_pairs.release_pairs(pins)
        directory = args.json_path.parent
        summary_paths = (directory / "summary.json", directory / "summary.md")
        # Refused before anything is built rather than after hours of builds.
        check_files([("--json", summary_paths[0]), ("--markdown", summary_paths[1])])
    else:
        pairs = [select_pins(pins, args.pyo3, args.maturin)]
    real = real_plan(
        args.real,
        [pyo3.version for pyo3, _ in pairs],
        [pin.version for pin in pins.for_project("pyo3")],
        lambda spec: sdist_pyo3(spec, cache, reporter),
    )
    runner = Runner(reporter)
    other_python = args.other_python or find_other_python(args.python, runner)
    summaries = []
    failures: list[str] = []
    for index, (pyo3, maturin) in enumerate(pairs, start=1):
        if args.all_pins:
            reporter.step(
                f"pair {index}/{len(pairs)}: pyo3 {pyo3.version}, maturin {maturin.version}"
            )
            json_path, markdown = verify_pairs.report_paths(directory, pyo3, maturin)
        else:
            json_path, markdown = args.json_path, args.markdown
        options = VerifyOptions(
            pyo3=pyo3,
            maturin=maturin,
            frontends=args.frontend,
            fixtures=args.fixture,
            scenarios=scenarios,
            upstream_checks=not args.no_upstream_checks,
            python=args.python,
            other_python=other_python,
            ft_pair=args.ft_pair,
            real=tuple(real[pyo3.version]),
            prefixes=prefixes_wanted(args.prefixes, pyo3),
        )
        report = verify(options, cache, reporter)
        write_json(report, json_path)
        write_markdown(report, markdown)
        reporter.step(f"wrote {json_path} and {markdown}")
        print_summary(report, reporter)
        failures += [f"pyo3 {pyo3.version}: {f}" for f in report.failures()]
        summaries.append(verify_pairs.summarize(report.to_json(), json_path))
    if args.all_pins:
        reporter.table("Pairs", verify_pairs.HEADER, verify_pairs.rows(summaries))
        verify_pairs.write_summary(summaries, *summary_paths)
        reporter.step(f"wrote {summary_paths[0]} and {summary_paths[1]}")
    if failures:
        raise VerificationFailed(
            f"{len(failures)} expectation(s) failed; first: {failures[0]}",
            hint="see the report for the evidence",
        )
    return 0


def _run_audit(args: argparse.Namespace, pins: Pins, cache: Cache, reporter: Reporter) -> int:
    options = AuditOptions(
        source=args.source,
        frontends=args.frontend,
        stock_only=args.stock_only,
        python=args.python,
        pyo3_pins=pins.for_project("pyo3"),
        maturin=pins.select("maturin", None),
        exact=args.exact,
    )
    result = audit(options, cache, reporter)
    if args.json_path:
        write_audit_json(result, args.json_path)
    if args.markdown:
        write_audit_markdown(result, args.markdown)
    print_audit(result, reporter)
    if result.problems:
        raise VerificationFailed(
            f"{len(result.problems)} problem(s); first: {result.problems[0]}",
            hint="the JSON result (--json) holds cargo's evidence",
        )
    if result.unchecked:
        raise CommandFailed(
            f"the audit is incomplete: {result.unchecked[0]}",
            hint="nothing failed with the series; give the venv access to the registry "
            "to import the package too",
        )
    return 0


def _remote_problem(url: str) -> str | None:
    """Why a push URL could reach git as an option (`ssh://-oProxyCommand=...`), or None."""
    after = url.split("://", 1)[1] if "://" in url else url
    host = after.rsplit("@", 1)[-1] if "@" in after.split("/", 1)[0] else after
    if after.startswith("-") or host.startswith("-"):
        return "its host part starts with '-' and ssh would read it as an option"
    return None


def _check_pr_remotes(args: argparse.Namespace) -> None:
    """Refuses remotes that git or ssh would read as options, before anything is written."""
    for option in ("remote", "git_url"):
        value = getattr(args, option)
        if value is not None and (problem := _remote_problem(value)) is not None:
            raise ConfigError(
                f"--{option.replace('_', '-')}: git URL {value!r} is refused: {problem}",
                hint="give the fork's URL as https://, ssh://host/path or a local path",
            )


def _run_pr(args: argparse.Namespace, pins: Pins, cache: Cache, reporter: Reporter) -> int:
    _check_git_values(args)  # the remotes were checked in `_dispatch`, before the cache
    if args.report_url is not None and not re.fullmatch(r"https://[^\s()<>\[\]]+", args.report_url):
        raise ConfigError(
            f"--report-url: {args.report_url[:80]!r} is not an https URL",
            hint="pass the https address where the report is published",
        )
    if args.onto is not None:
        if args.source == "registry":
            raise ConfigError("--onto needs --source git: a registry base is the release itself")
        check_tag(args.onto, source="--onto")
    if args.pr_number is not None and args.source == "registry":
        raise ConfigError(
            "--pr-number needs --source git: the registry artifacts ship no newsfragments",
            hint="prepare the pull request's branch with --source git",
        )
    if args.upstream_pr is not None and not args.as_comment:
        raise ConfigError("--upstream-pr goes with --as-comment")
    pin = pins.select(args.project, args.pin_version)
    if args.pr_number is not None and len(args.pr_number) != len(pin.stack):
        raise ConfigError(
            f"--pr-number: {len(args.pr_number)} number(s) for a stack of {len(pin.stack)} "
            "pull request(s)",
            hint="give one number per pull request of the stack, in order, e.g. "
            "--pr-number 6200,6201",
        )
    sibling = pins.select("maturin" if pin.project == "pyo3" else "pyo3", None)
    options = PrOptions(
        pin=pin,
        sibling=sibling,
        report=args.report,
        out=args.out,
        checkout=args.checkout or args.out / "checkout",
        branch=args.branch,
        remote=args.remote,
        source=args.source,
        git_url=args.git_url,
        allow_unverified=args.allow_unverified,
        onto=args.onto or DEFAULT_ONTO,
        as_comment=args.as_comment,
        force=args.force,
        pr_numbers=args.pr_number,
        gates=not args.as_comment,
        author=args.author,
        standalone=args.standalone,
        upstream_pr=args.upstream_pr,
        report_url=args.report_url,
    )
    try:
        result = create_pr(options, cache, Git(Runner(reporter)), reporter)
    except ReplayConflict as exc:
        _report_conflict(exc, reporter)
        raise
    if result.unverified:
        reporter.warn("rendered as UNVERIFIED: " + "; ".join(result.unverified))
    base = result.base
    where = f"{base.ref} at {base.short}"
    if base.differs:
        where += f" (the evidence was measured on {base.measured_ref} at {base.measured_short})"
    names = ", ".join(b.branch for b in result.stack.branches)
    reporter.step(
        f"branches {names} are ready in {result.checkout}, on {where}, "
        f"authored by {result.stack.identity}"
    )
    for note in result.notes:
        reporter.warn(note)
    reporter.step("before submitting, check for yourself:")
    for item in checklist(result.stack.identity):
        reporter.info(f"[ ] {item}")
    if len(result.stack.branches) > 1 and not args.as_comment:
        reporter.step(
            "open them in order; once pull request 1 has its number, mention it in "
            "pull request 2's description"
        )
    reporter.step("to open the pull requests:" if not args.as_comment else "to post the comment:")
    for command in result.commands:
        print(command)
    return 0


def _report_conflict(exc: ReplayConflict, reporter: Reporter) -> None:
    """The range-diff so far and each conflict, as `port` and `pr` both report them."""
    print(exc.range_diff, end="")
    for conflict in exc.conflicts:
        reporter.warn(f"conflict: {conflict.describe()}")


def _report_port(result: PortResult, reporter: Reporter) -> None:
    print(result.range_diff, end="")
    for name, files in result.carried.items():
        reporter.info(
            f"{name}: carried over, not checked against this release: " + ", ".join(files)
        )
    for name in result.dropped:
        reporter.info(f"{name}: already upstream, left out of the new series")
    reporter.step(f"range-diff saved to {result.range_diff_path}")


def _run_port(args: argparse.Namespace, cache: Cache, reporter: Reporter) -> int:
    _check_git_values(args)
    if args.to is not None:
        check_tag(args.to, source="--to")
    git = Git(Runner(reporter))
    work = args.work or cache.root / "port"
    _check_location("--work", work, folder=True)
    # The default folder is inside the tools' cache; one named by --work must carry the marker.
    ours = args.work is None
    try:
        if args.abort:
            reporter.step(f"removed the stopped port in {abort_port(work, work_is_ours=ours)}")
            return 0
        if args.resume:
            result = continue_port(work, git, reporter, work_is_ours=ours)
        else:
            if not (args.project and args.from_version and args.to):
                raise ConfigError("tools port: PROJECT, --from and --to are required")
            if is_packaged(args.pins):
                raise ConfigError(
                    f"--pins {args.pins} is the copy installed with the tools, which `tools "
                    "port` does not write; nothing was changed",
                    hint="pass --pins CHECKOUT/patches/pins.toml of a clone of this repository",
                )
            options = PortOptions(
                project=args.project,
                from_version=args.from_version,
                to=args.to,
                source=args.source,
                work=work,
                work_is_ours=ours,
                git_url=args.git_url,
                registries=Registries(crate_index=args.crate_index, pypi=args.pypi),
            )
            result = start_port(options, args.pins, cache, git, reporter=reporter, fetch=fetch_text)
    except PortConflict as exc:
        _report_conflict(exc, reporter)
        reporter.step(f"the scratch checkout with the conflict markers: {exc.repo}")
        reporter.step(f"range-diff so far saved to {work.absolute() / 'range-diff.txt'}")
        raise
    _report_port(result, reporter)
    return 0


def _run_outdated(args: argparse.Namespace, pins: Pins, reporter: Reporter) -> int:
    registries = Registries(crate_index=args.crate_index, pypi=args.pypi)
    statuses = outdated(pins, query(fetch_text, registries))
    if args.json:
        print(json.dumps(as_json(statuses), indent=2))
    else:
        reporter.table(
            "Outdated",
            ["project", "line", "pinned", "newest of line", "newest release", "action"],
            rows(statuses),
        )
    ports = [port for status in statuses for port in status.ports]
    for port in ports:
        reporter.step(f"{port.reason}: {port.command}")
    if not ports:
        reporter.step("every pin is on the newest release of its line")
    return 1 if ports else 0


def _run_proposal(args: argparse.Namespace, pins: Pins, reporter: Reporter) -> int:
    result = update_proposal(args.proposal, args.report, check=args.check, pins=pins)
    state = "updated" if result.changed else "already matches the report"
    reporter.step(f"{result.path}: evidence section {state}")
    readme = update_readme(args.readme, args.report, check=args.check, cold_report=args.cold_report)
    state = "updated" if readme.changed else "already match the report"
    reporter.step(f"{readme.path}: figures {state}")
    return 0


# The commands that never write into the cache, which need not be writable for them.
_CACHE_READERS = ("pins", "proposal", "outdated")


def _cache(args: argparse.Namespace) -> Cache:
    cache = Cache(args.cache_dir.resolve()) if args.cache_dir else Cache.default()
    if args.command not in _CACHE_READERS:
        _check_location("--cache-dir" if args.cache_dir else "cache directory", cache.root)
    if cache.root.exists() and not cache.root.is_dir():
        raise ConfigError(
            f"cache directory {printable(cache.root)} exists and is not a directory",
            hint="pass another --cache-dir",
        )
    return cache


# The commands that write into the cache; it is made and tagged only for them.
_CACHE_WRITERS = frozenset({"apply", "check", "verify", "audit", "pr", "port"})


def _dispatch(args: argparse.Namespace, reporter: Reporter) -> int:
    cache = _cache(args)
    if args.command == "pr":
        _check_pr_remotes(args)  # before the cache is claimed: nothing is written for them
    if args.command in _CACHE_WRITERS:
        cache.claim(given=args.cache_dir is not None)
    pins = load_pins(args.pins)
    if args.command == "apply":
        return _run_apply(args, pins, cache, reporter)
    if args.command == "pins":
        return _run_pins(args, pins, reporter)
    if args.command == "check":
        return _run_check(args, pins, cache, reporter)
    if args.command == "verify":
        return _run_verify(args, pins, cache, reporter)
    if args.command == "audit":
        return _run_audit(args, pins, cache, reporter)
    if args.command == "proposal":
        return _run_proposal(args, pins, reporter)
    if args.command == "pr":
        return _run_pr(args, pins, cache, reporter)
    if args.command == "port":
        return _run_port(args, cache, reporter)
    if args.command == "outdated":
        return _run_outdated(args, pins, reporter)
    raise ConfigError(f"unknown command {args.command!r}")


def main(argv: Sequence[str] | None = None, reporter: Reporter | None = None) -> int:
    debug = False
    try:
        with interruptible():
            args = _parser().parse_args(argv)
            debug = args.debug
            return _dispatch(args, reporter or TerminalReporter(verbose=args.verbose))
    except ToolError as exc:
        if debug:
            raise
        output = exc.output.splitlines()[-25:] if isinstance(exc, CommandFailed) else []
        print_error(str(exc), exc.hint, output)
        return exc.exit_code
    except OSError as exc:
        # the file system refused a path (a folder under a file, in /proc, read-only, a name
        # too long): one line naming the path and the system's reason, never a traceback
        if debug:
            raise
        error = FileSystemError.from_os_error(exc)
        print_error(str(error), error.hint)
        return error.exit_code
    except KeyboardInterrupt as exc:
        if debug:
            raise
        print_error("interrupted; scratch folders were removed", None)
        return 128 + (exc.signum if isinstance(exc, Interrupted) else signal.SIGINT)


def entry() -> None:
    sys.exit(main())
