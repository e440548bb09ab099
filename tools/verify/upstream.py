"""Upstream's own gates on the patched trees (see `tools.verify.gates`): rustfmt, clippy, the
touched crates' tests and build, pyo3's nox sessions, ruff, typos and rumdl.

A gate whose files the tree lacks is recorded as "not run" with the reason, never as passed. A
gate that fails also runs on the tree without the series; a check that fails there too (a test
that fails on this machine, a file rustfmt would reformat in the release as published) is
judged on what the series adds: no failing test, unformatted file or diagnostic that the tree
without the series does not already have.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
import sysconfig
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from tools.cache import Cache
from tools.errors import CommandFailed
from tools.gitops import Git
from tools.pins import Pin
from tools.reporter import Reporter
from tools.runner import Runner
from tools.verify.gates import (
    Gate,
    GateStatus,
    fallback_not_needed,
    gates_for,
    local_patch_args,
    needed_siblings,
    not_run_reason,
)

_TEST_RESULT = re.compile(r"test result: \w+\. (?P<passed>\d+) passed; (?P<failed>\d+) failed")
_DIAGNOSTIC = re.compile(r"^(warning|error)(\[\w+\])?: ", re.MULTILINE)
_FAILED_TEST = re.compile(r"^test (?P<name>\S+) \.\.\. FAILED$", re.MULTILINE)
_UNFORMATTED = re.compile(r"^Diff in (?P<path>.+?):\d+:", re.MULTILINE)
_CARGO_ERROR = re.compile(r"^error(\[\w+\])?: (?P<message>.+)$", re.MULTILINE)
# ruff's `--output-format concise` (`check` and `format --check`)
_RUFF = re.compile(r"^(?P<path>[^\s:][^:\n]*):\d+:\d+: (?P<code>[A-Z]+\d+|unformatted)\b", re.M)
# typos' `--format brief`
_TYPO = re.compile(r"^(?P<path>[^\s:][^:\n]*):\d+:\d+: error: `(?P<word>[^`]+)` should be", re.M)
_RUMDL = re.compile(r"^(?P<path>[^\s:][^:\n]*):\d+:\d+: \[(?P<rule>MD\d+)\]", re.M)
_RUMDL_CHECKED = re.compile(
    r"(?:No issues found in (?P<clean>\d+) files?|in \d+/(?P<all>\d+) files?)"
)
_NOX_RESULT = re.compile(
    r"^nox > Session (?P<session>\S+) (?P<verdict>was successful|failed|aborted|skipped)"
    r"(?::? ?(?P<why>.*))?$",
    re.M,
)
# a dependency that does not build here (a system library missing for an optional feature)
_DEPENDENCY_FAILED = re.compile(
    r"^error: failed to run custom build command for `(?P<what>[^`]+)`", re.M
)


@dataclass
class UpstreamCheck:
    project: str
    command: str
    passed: int
    failed: int
    ok: bool  # a gate that was not run is not a failure (and never counted as passed)
    seconds: float
    # what already fails without the series, and is therefore not counted against it
    baseline: list[str] = field(default_factory=list)
    name: str = ""
    status: GateStatus = "passed"
    reason: str = ""


@dataclass(frozen=True)
class Outcome:
    """One run of a check: its exit status and the failures it names."""

    returncode: int
    passed: int
    failures: frozenset[str]


def parse_outcome(kind: str, returncode: int, output: str, root: Path | None = None) -> Outcome:
    """What one run of a check says; file names are made relative to `root` so that the same
    file in the tree with and without the series compares equal."""
    if kind == "test":
        counts = [(int(m["passed"]), int(m["failed"])) for m in _TEST_RESULT.finditer(output)]
        names = {m["name"] for m in _FAILED_TEST.finditer(output)}
        failed = sum(f for _, f in counts)
        if not counts:  # did not get as far as running tests
            names.add("(no test result)")
        elif failed and not names:
            names.add(f"({failed} unnamed failures)")
        return Outcome(returncode, sum(p for p, _ in counts), frozenset(names))
    if kind == "clippy":
        found = {f"{m.group(0).strip()} #{i}" for i, m in enumerate(_DIAGNOSTIC.finditer(output))}
        return Outcome(returncode, int(returncode == 0), frozenset(found))
    if kind == "fmt":
        files = {_relative(m["path"], root) for m in _UNFORMATTED.finditer(output)} or (
            {"(rustfmt failed)"} if returncode else set()
        )
        return Outcome(returncode, int(returncode == 0), frozenset(files))
    return _parse_lint(kind, returncode, output)


def _numbered(items: list[str]) -> frozenset[str]:
    """Findings as a set that keeps their count per file and rule, not their line: `x #0`,
    `x #1`, …, so the same findings in a file the series moved by some lines compare equal."""
    seen: dict[str, int] = {}
    numbered = set()
    for item in items:
        numbered.add(f"{item} #{seen.get(item, 0)}")
        seen[item] = seen.get(item, 0) + 1
    return frozenset(numbered)


def _parse_lint(kind: str, returncode: int, output: str) -> Outcome:
    if kind == "ruff":
        found = _numbered([f"{m['code']} {m['path']}" for m in _RUFF.finditer(output)])
    elif kind == "typos":
        found = _numbered([f"{m['path']}: {m['word']}" for m in _TYPO.finditer(output)])
    elif kind == "rumdl":
        found = _numbered([f"{m['rule']} {m['path']}" for m in _RUMDL.finditer(output)])
        checked = _RUMDL_CHECKED.search(output)
        files = int(checked["clean"] or checked["all"]) if checked else 0
        return Outcome(
            returncode, files if not found else 0, found or _unexplained(returncode, "rumdl")
        )
    elif kind == "nox":
        results = list(_NOX_RESULT.finditer(output))
        failed = [
            f"{m['session']} {m['verdict']}: {(m['why'] or '').strip() or 'see its output'}"
            for m in results
            if m["verdict"] in ("failed", "aborted")
        ]
        if not results and returncode:
            failed = ["(nox did not run the session)"]
        passed = sum(1 for m in results if m["verdict"] in ("was successful", "skipped"))
        return Outcome(returncode, passed, frozenset(failed))
    else:  # "build": the exit status, and cargo's errors
        found = _numbered([m["message"] for m in _CARGO_ERROR.finditer(output)])
        return Outcome(returncode, int(returncode == 0), found or _unexplained(returncode, kind))
    return Outcome(
        returncode, int(returncode == 0 and not found), found or _unexplained(returncode, kind)
    )


def _unexplained(returncode: int, tool: str) -> frozenset[str]:
    return frozenset({f"({tool} exited with {returncode})"} if returncode else ())


def not_built_here(kind: str, output: str) -> str | None:
    """Why a cargo gate did not get as far as checking the code: a dependency that does not
    build on this machine (for `--all-features`, a feature's system library), or None."""
    if kind not in ("clippy", "test", "build"):
        return None
    if match := _DEPENDENCY_FAILED.search(output):
        return f"does not build here: failed to run custom build command for `{match['what']}`"
    return None


def _relative(path: str, root: Path | None) -> str:
    if root is not None and Path(path).is_relative_to(root):
        return Path(path).relative_to(root).as_posix()
    return path


def judge(kind: str, new: Outcome, old: Outcome | None) -> tuple[bool, list[str]]:
    """Whether the series' tree passes, and the failures it shares with the tree without it.

    Clean on the patched tree: ok. Otherwise ok only when the tree without the series fails
    the same way or worse: every failing test and unformatted file is one it has too; for
    clippy, no more diagnostics than it has.
    """
    if new.returncode == 0 and not new.failures:
        return True, []
    if old is None or (old.returncode == 0 and not old.failures):
        return False, []
    if kind == "clippy":
        return len(new.failures) <= len(old.failures), sorted(old.failures)
    shared = sorted(new.failures & old.failures)
    return new.failures <= old.failures, shared


# Python tools that run as modules of this interpreter; the others (typos, rumdl ship a binary
# in their wheels) from this environment's scripts directory.
_PYTHON_MODULES = ("nox", "ruff")


def _argv(args: tuple[str, ...]) -> list[str]:
    tool, rest = args[0], list(args[1:])
    if tool in _PYTHON_MODULES:
        return [sys.executable, "-m", tool, *rest]
    if tool in ("typos", "rumdl"):
        scripts = Path(sysconfig.get_path("scripts"))
        found = [p for p in (scripts / tool, scripts / f"{tool}.exe") if p.is_file()]
        return [str(found[0]) if found else tool, *rest]
    return [tool, *rest]


def _event(gate: Gate, scratch: Path) -> dict[str, str]:
    """The GitHub Actions environment pyo3's changelog session reads: the pull request event."""
    if gate.pr_event is None:
        return {}
    path = scratch / "event.json"
    event = {"pull_request": {"number": gate.pr_event, "title": gate.pr_title, "labels": []}}
    path.write_text(json.dumps(event), encoding="utf-8")
    return {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": str(path)}


def _crate_deps(manifest: Path) -> tuple[str, frozenset[str]]:
    """A manifest's package name and the names of everything it depends on."""
    data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    names: set[str] = set()
    for table in ("dependencies", "build-dependencies", "dev-dependencies"):
        names |= set(data.get(table, {}))
    return str(data.get("package", {}).get("name", "")), frozenset(names)


def _layout_args(gate: Gate, tree: Path) -> list[str]:
    """For a cargo gate on a tree laid out from registry artifacts: the options that build the
    crate from its siblings in the tree (see `local_patch_args`)."""
    # rustfmt reads the sources only; `cargo fmt` would take `--config` for rustfmt's own
    if gate.kind not in ("clippy", "test", "build") or not (tree / "Cargo.toml").is_file():
        return []
    crates: dict[str, tuple[Path, frozenset[str]]] = {}
    for manifest in [tree / "Cargo.toml", *sorted(tree.glob("*/Cargo.toml"))]:
        name, deps = _crate_deps(manifest)
        if name:
            crates[name] = (manifest.parent, deps)
    own, _ = _crate_deps(tree / gate.cwd / "Cargo.toml")
    siblings = {name: path for name, (path, _) in crates.items() if path != tree}
    needed = needed_siblings(own, {name: deps for name, (_, deps) in crates.items()})
    wanted = {name: siblings[name] for name in needed if name in siblings}
    return local_patch_args((tree / "Cargo.toml").read_text(encoding="utf-8"), wanted)


def _run(
    gate: Gate, tree: Path, target: Path, runner: Runner, reporter: Reporter, *, label: str
) -> tuple[Outcome, str, float]:
    cwd = tree / gate.cwd
    argv = _argv(gate.args)
    locks: dict[Path, bytes] = {}
    if layout := _layout_args(gate, tree):
        # After the subcommand: `cargo clippy` runs `cargo check` itself and passes on only
        # the options that follow it.
        argv = [*argv[:2], *layout, *argv[2:]]
        # The patches make cargo rewrite the lock files; the tree is left as it was.
        locks = {lock: lock.read_bytes() for lock in tree.glob("**/Cargo.lock")}
    with tempfile.TemporaryDirectory(prefix="gate-") as scratch, reporter.progress(label):
        env = {"CARGO_TERM_COLOR": "never", "NO_COLOR": "1", **_event(gate, Path(scratch))}
        if gate.cargo:
            env["CARGO_TARGET_DIR"] = str(target)
        start = time.monotonic()
        try:
            result = runner.run(argv, cwd=cwd, check=False, extra_env=env)
        finally:
            for lock, content in locks.items():
                if lock.read_bytes() != content:
                    lock.write_bytes(content)
        seconds = round(time.monotonic() - start, 1)
    output = result.stdout + result.stderr
    return parse_outcome(gate.kind, result.returncode, output, cwd), output, seconds


def _not_run(gate: Gate, reason: str, seconds: float = 0.0) -> UpstreamCheck:
    """A gate that did not run: ok, counted as nothing, and never shown as passed."""
    return UpstreamCheck(
        gate.project,
        gate.command,
        0,
        0,
        True,
        seconds,
        name=gate.name,
        status="not run",
        reason=reason,
    )


def run_gates(
    gates: list[Gate],
    trees: tuple[Path | None, Path],
    target: Path,
    runner: Runner,
    reporter: Reporter,
) -> list[UpstreamCheck]:
    """Runs each gate on the patched tree (`trees[1]`); a gate that fails runs again on the
    tree without the series (`trees[0]`, when there is one) to tell pre-existing failures
    apart. A gate the tree cannot run is recorded as not run, with the reason."""
    old_tree, new_tree = trees
    results: list[UpstreamCheck] = []
    for gate in gates:
        label = f"{gate.project} {gate.name}: {gate.command}"
        reason = fallback_not_needed(gate, {r.name: r.status for r in results}) or not_run_reason(
            gate, lambda path: (new_tree / path).exists()
        )
        if reason is not None:
            reporter.info(f"{label}: not run: {reason}")
            results.append(_not_run(gate, reason))
            continue
        try:
            new, output, seconds = _run(gate, new_tree, target, runner, reporter, label=label)
        except CommandFailed as exc:  # the tool is not installed
            reporter.warn(f"{label}: not run: {exc}")
            results.append(_not_run(gate, str(exc)))
            continue
        if (why := not_built_here(gate.kind, output)) is not None:
            reporter.warn(f"{label}: not run: {why}")
            results.append(_not_run(gate, why, seconds))
            continue
        old = None
        if (new.returncode != 0 or new.failures) and old_tree is not None and gate.baseline:
            # A target dir of its own: the two trees lay out the same crates at the same paths
            # relative to their roots, and cargo names a path crate's artifacts by that relative
            # path, so in one target dir either tree could pass for the other's build.
            baseline_target = target.with_name(f"{target.name}-without-series")
            old, _, _ = _run(
                gate,
                old_tree,
                baseline_target,
                runner,
                reporter,
                label=f"{label} (without the series)",
            )
        ok, baseline = judge(gate.kind, new, old)
        # every failing test is counted (the shared ones are listed beside); for the linters,
        # only what the series adds
        shared = old.failures if old and gate.kind != "test" else frozenset()
        failed = len(new.failures - shared)
        if not ok:
            reporter.warn(f"{label} failed:\n" + "\n".join(output.splitlines()[-20:]))
        elif baseline:
            reporter.warn(f"{label}: fails without the series too: {', '.join(baseline)}")
        results.append(
            UpstreamCheck(
                gate.project,
                gate.command,
                new.passed,
                failed,
                ok,
                seconds,
                baseline=baseline,
                name=gate.name,
                status="passed" if ok else "failed",
                reason="" if ok or not new.failures else sorted(new.failures - shared)[0],
            )
        )
    return results


def run_upstream_checks(
    pin: Pin,
    trees: tuple[Path, Path],
    cache: Cache,
    runner: Runner,
    reporter: Reporter,
    *,
    pr_numbers: Sequence[int] | None = None,
) -> list[UpstreamCheck]:
    """Runs upstream's gates for `pin`'s series on the patched tree, against the tree without
    the series (verify's registry trees)."""
    target = cache.builds / f"{pin.project}-{pin.version}-checks-target"
    return run_gates(gates_for(pin, trees[1], pr_numbers), trees, target, runner, reporter)


def branch_gates(
    pin: Pin,
    checkout: Path,
    *,
    base: str | None,
    cache: Cache,
    runner: Runner,
    reporter: Reporter,
    pr_numbers: Sequence[int] | None = None,
) -> list[UpstreamCheck]:
    """Runs upstream's gates on a prepared pull request branch (`tools pr`), against the same
    checkout without the series: `base`, the commit the series was put on (None: the branch's
    root commit, the registry base `tools apply` makes), checked out beside it."""
    git = Git(runner)
    if base is None:
        base = git(checkout, "rev-list", "--max-parents=0", "HEAD").stdout.split()[0]
    cache.root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="gates-", dir=cache.root))
    old_tree = scratch / "without-series"
    git(checkout, "worktree", "add", "--quiet", "--detach", str(old_tree), base)
    try:
        # One target dir per checkout path: cargo names a path crate's artifacts by its path
        # relative to the workspace, so checkouts at other paths would pass for each other.
        where = hashlib.sha256(str(checkout.resolve()).encode()).hexdigest()[:12]
        target = cache.builds / f"{pin.project}-branch-gates-{where}"
        gates = gates_for(pin, checkout, pr_numbers)
        return run_gates(gates, (old_tree, checkout), target, runner, reporter)
    finally:
        git(checkout, "worktree", "remove", "--force", str(old_tree), check=False)
        shutil.rmtree(scratch, ignore_errors=True)
