"""Command line: parses arguments, dispatches to one module per command, maps errors to exits.

Exit codes: 0 success; 1 a verification or check failed; 2 bad input (pins, patch files,
arguments, checksum or commit mismatch); 3 the series does not apply; 4 the destination holds
work that applying could lose; 5 an external program or a download failed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from tools import __version__
from tools.apply import ApplyOptions, apply_series
from tools.cache import Cache
from tools.check import check_pins
from tools.errors import ConfigError, ToolError
from tools.gitops import Git
from tools.pins import DEFAULT_PINS, PROJECTS, Pins, load_pins, pin_as_json, series_rows
from tools.reporter import Reporter, TerminalReporter, print_error
from tools.runner import Runner


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise ConfigError(f"{self.prog}: {message}")


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
    apply.add_argument("--branch", help="branch name (default: from the pins)")
    apply.add_argument("--dest", type=Path, required=True, help="checkout to create or update")

    pins = commands.add_parser("pins", help="list the pinned upstream versions")
    pins.add_argument("--json", action="store_true", help="print JSON instead of a table")

    check = commands.add_parser("check", help="check the pins and that every patch applies")
    check.add_argument("--no-apply", action="store_true", help="parse only; do not apply")
    return parser


def _run_apply(args: argparse.Namespace, pins: Pins, cache: Cache, reporter: Reporter) -> int:
    pin = pins.select(args.project, args.pin_version)
    options = ApplyOptions(pin=pin, source=args.source, dest=args.dest, git_url=args.git_url,
                           branch=args.branch)  # fmt: skip
    result = apply_series(options, cache, Git(Runner(reporter)), reporter)
    for patch, files in result.skipped.items():
        reporter.info(
            f"skipped in {patch} (not shipped in the registry artifacts): {', '.join(files)}"
        )
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
        [[r.project, r.version, str(r.patches), str(r.applied), str(r.skipped_files),
          str(len(r.problems))] for r in rows],
    )  # fmt: skip
    problems = [p for r in rows for p in r.problems]
    for problem in problems:
        reporter.warn(problem)
    if problems:
        raise ConfigError(
            problems[0] + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
        )
    return 0


def main(argv: Sequence[str] | None = None, reporter: Reporter | None = None) -> int:
    debug = False
    try:
        args = _parser().parse_args(argv)
        debug = args.debug
        reporter = reporter or TerminalReporter(verbose=args.verbose)
        cache = Cache(args.cache_dir.resolve()) if args.cache_dir else Cache.default()
        pins = load_pins(args.pins)
        if args.command == "apply":
            return _run_apply(args, pins, cache, reporter)
        if args.command == "pins":
            return _run_pins(args, pins, reporter)
        if args.command == "check":
            return _run_check(args, pins, cache, reporter)
        raise ConfigError(f"unknown command {args.command!r}")
    except ToolError as exc:
        if debug:
            raise
        print_error(str(exc), exc.hint)
        return exc.exit_code
    except KeyboardInterrupt:
        print_error("interrupted", None)
        return 130


def entry() -> None:
    sys.exit(main())
