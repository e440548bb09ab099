"""Upstream's own checks on the patched trees: rustfmt, clippy and the touched crates' tests."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from tools.cache import Cache
from tools.pins import Pin
from tools.reporter import Reporter
from tools.runner import Runner
from tools.series import load_series

_TEST_RESULT = re.compile(r"test result: \w+\. (?P<passed>\d+) passed; (?P<failed>\d+) failed")
_DIAGNOSTIC = re.compile(r"^(warning|error)(\[\w+\])?: ", re.MULTILINE)


@dataclass
class UpstreamCheck:
    project: str
    command: str
    passed: int
    failed: int
    ok: bool
    seconds: float


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


def _commands(pin: Pin, tree: Path) -> list[_Command]:
    if pin.project == "pyo3":
        crate = tree / "pyo3-build-config"
        return [
            _Command("cargo fmt --check (pyo3, pyo3-build-config)", ["cargo", "fmt", "--check"],
                     tree, "fmt"),
            _Command("cargo fmt --check (pyo3-build-config)", ["cargo", "fmt", "--check"], crate,
                     "fmt"),
            _Command("cargo clippy --all-targets -- -D warnings (pyo3-build-config)",
                     ["cargo", "clippy", "--all-targets", "--", "-D", "warnings"], crate, "clippy"),
            _Command("cargo test (pyo3-build-config)", ["cargo", "test"], crate, "test"),
        ]  # fmt: skip
    filters = _maturin_test_filters(pin)
    return [
        _Command("cargo fmt --check (maturin)", ["cargo", "fmt", "--check"], tree, "fmt"),
        _Command("cargo clippy --lib --tests -- -D warnings (maturin)",
                 ["cargo", "clippy", "--lib", "--tests", "--", "-D", "warnings"], tree, "clippy"),
        *(_Command(f"cargo test --lib {f} (maturin)", ["cargo", "test", "--lib", f], tree, "test")
          for f in filters),
    ]  # fmt: skip


def run_upstream_checks(
    pin: Pin, tree: Path, cache: Cache, runner: Runner, reporter: Reporter
) -> list[UpstreamCheck]:
    target = cache.builds / f"{pin.project}-checks-target"
    results = []
    for command in _commands(pin, tree):
        with reporter.progress(command.label):
            start = time.monotonic()
            result = runner.run(command.args, cwd=command.cwd, check=False,
                                extra_env={"CARGO_TARGET_DIR": str(target),
                                           "CARGO_TERM_COLOR": "never"})  # fmt: skip
            seconds = round(time.monotonic() - start, 1)
        output = result.stdout + result.stderr
        if command.kind == "test":
            counts = [(int(m["passed"]), int(m["failed"])) for m in _TEST_RESULT.finditer(output)]
            passed, failed = sum(p for p, _ in counts), sum(f for _, f in counts)
            ok = result.returncode == 0 and bool(counts) and failed == 0
        elif command.kind == "clippy":
            diagnostics = len(_DIAGNOSTIC.findall(output))
            passed, failed = int(result.returncode == 0), diagnostics
            ok = result.returncode == 0
        else:
            unformatted = output.count("Diff in ")
            passed, failed = int(result.returncode == 0), unformatted
            ok = result.returncode == 0
        if not ok:
            reporter.warn(f"{command.label} failed:\n" + "\n".join(output.splitlines()[-20:]))
        results.append(UpstreamCheck(pin.project, command.label, passed, failed, ok, seconds))
    return results
