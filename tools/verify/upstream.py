"""Upstream's own checks on the patched trees: rustfmt, clippy and the touched crates' tests.

Each check also runs on the tree without the series; a check that fails there too (a test
that fails on this machine, a file rustfmt would reformat in the release as published) is
judged on what the series adds: no failing test, unformatted file or diagnostic that the tree
without the series does not already have.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from tools.cache import Cache
from tools.pins import Pin
from tools.reporter import Reporter
from tools.runner import Runner
from tools.series import load_series

_TEST_RESULT = re.compile(r"test result: \w+\. (?P<passed>\d+) passed; (?P<failed>\d+) failed")
_DIAGNOSTIC = re.compile(r"^(warning|error)(\[\w+\])?: ", re.MULTILINE)
_FAILED_TEST = re.compile(r"^test (?P<name>\S+) \.\.\. FAILED$", re.MULTILINE)
_UNFORMATTED = re.compile(r"^Diff in (?P<path>.+?):\d+:", re.MULTILINE)


@dataclass
class UpstreamCheck:
    project: str
    command: str
    passed: int
    failed: int
    ok: bool
    seconds: float
    # what already fails without the series, and is therefore not counted against it
    baseline: list[str] = field(default_factory=list)


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
    files = {_relative(m["path"], root) for m in _UNFORMATTED.finditer(output)} or (
        {"(rustfmt failed)"} if returncode else set()
    )
    return Outcome(returncode, int(returncode == 0), frozenset(files))


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


@dataclass(frozen=True)
class _Command:
    label: str
    args: list[str]
    cwd: Path
    kind: str  # "test", "clippy" or "fmt"


def _maturin_test_filters(pin: Pin) -> list[str]:
    """Test name filters for the maturin modules the series touches (`src/compile.rs` ->
    `compile::`)."""
    filters: list[str] = []
    for patch in load_series(pin):
        for change in patch.files:
            path = Path(change.path)
            if path.parts[:1] != ("src",) or path.suffix not in (".rs", ".py"):
                continue
            module = path.parts[1] if len(path.parts) > 2 else path.stem
            if f"{module}::" not in filters:
                filters.append(f"{module}::")
    return filters


def _feature_args(crate: Path) -> list[str]:
    """Up to 0.28 the code the series touches sits behind the non-default `resolve-config`."""
    manifest = crate / "Cargo.toml"
    text = manifest.read_text(encoding="utf-8") if manifest.is_file() else ""
    return ["--features", "resolve-config"] if re.search(r"^resolve-config\s*=", text, re.M) else []


def _commands(pin: Pin, tree: Path) -> list[_Command]:
    if pin.project == "pyo3":
        crate = tree / "pyo3-build-config"
        features = _feature_args(crate)
        return [
            _Command("cargo fmt --check (pyo3, pyo3-build-config)", ["cargo", "fmt", "--check"],
                     tree, "fmt"),
            _Command("cargo fmt --check (pyo3-build-config)", ["cargo", "fmt", "--check"], crate,
                     "fmt"),
            _Command(f"cargo clippy --all-targets {' '.join(features)} -- -D warnings "
                     "(pyo3-build-config)".replace("  ", " "),
                     ["cargo", "clippy", "--all-targets", *features, "--", "-D", "warnings"],
                     crate, "clippy"),
            _Command(f"cargo test {' '.join(features)} (pyo3-build-config)".replace("  ", " "),
                     ["cargo", "test", *features], crate, "test"),
        ]  # fmt: skip
    filters = _maturin_test_filters(pin)
    return [
        _Command("cargo fmt --check (maturin)", ["cargo", "fmt", "--check"], tree, "fmt"),
        _Command("cargo clippy --lib --tests -- -D warnings (maturin)",
                 ["cargo", "clippy", "--lib", "--tests", "--", "-D", "warnings"], tree, "clippy"),
        *(_Command(f"cargo test --lib {f} (maturin)", ["cargo", "test", "--lib", f], tree, "test")
          for f in filters),
    ]  # fmt: skip


def _run(
    command: _Command, target: Path, runner: Runner, reporter: Reporter, label: str
) -> tuple[Outcome, str, float]:
    with reporter.progress(label):
        start = time.monotonic()
        result = runner.run(command.args, cwd=command.cwd, check=False,
                            extra_env={"CARGO_TARGET_DIR": str(target),
                                       "CARGO_TERM_COLOR": "never"})  # fmt: skip
        seconds = round(time.monotonic() - start, 1)
    output = result.stdout + result.stderr
    return parse_outcome(command.kind, result.returncode, output, command.cwd), output, seconds


def run_upstream_checks(
    pin: Pin,
    trees: tuple[Path, Path],
    cache: Cache,
    runner: Runner,
    reporter: Reporter,
) -> list[UpstreamCheck]:
    """Runs upstream's checks on the patched tree (`trees[1]`), and on the tree without the
    series (`trees[0]`) for the checks that fail, to tell pre-existing failures apart."""
    old_tree, new_tree = trees
    target = cache.builds / f"{pin.project}-{pin.version}-checks-target"
    results = []
    for command, old_command in zip(
        _commands(pin, new_tree), _commands(pin, old_tree), strict=True
    ):
        new, output, seconds = _run(command, target, runner, reporter, command.label)
        old = None
        if new.returncode != 0 or new.failures:
            old, _, _ = _run(old_command, target, runner, reporter,
                             f"{command.label} without the series")  # fmt: skip
        ok, baseline = judge(command.kind, new, old)
        # every failing test is counted (the shared ones are listed beside); for fmt and clippy,
        # only what the series adds
        shared = old.failures if old and command.kind != "test" else frozenset()
        failed = len(new.failures - shared)
        if not ok:
            reporter.warn(f"{command.label} failed:\n" + "\n".join(output.splitlines()[-20:]))
        elif baseline:
            reporter.warn(f"{command.label}: fails without the series too: {', '.join(baseline)}")
        results.append(UpstreamCheck(pin.project, command.label, new.passed, failed, ok, seconds,
                                     baseline=baseline))  # fmt: skip
    return results
