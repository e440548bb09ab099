"""Orchestrates a verify run: inputs, rollout matrix, safety scenarios, upstream checks."""

from __future__ import annotations

import datetime
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tools.audit.real import REAL_FRONTENDS, audit_real_projects
from tools.audit.run import AuditInputs
from tools.cache import Cache
from tools.gitops import Git
from tools.pins import Pin, Pins
from tools.platforms import HOST
from tools.reporter import Reporter
from tools.runner import Runner
from tools.verify.artifacts import (
    VARIANTS,
    build_requirement_wheel,
    maturin_wheels,
    series_hash,
    source_trees,
    wheelhouse,
)
from tools.verify.context import VerifyContext
from tools.verify.fixtures import FixtureName
from tools.verify.frontends import Frontend
from tools.verify.matrix import run_matrix
from tools.verify.phases import PhaseClock
from tools.verify.prefixes import PrefixResult, plan_prefixes, run_prefixes, tree_label
from tools.verify.primes import Primer
from tools.verify.report import Report
from tools.verify.safety import SCENARIOS, run_safety, selected_scenarios
from tools.verify.upstream import run_upstream_checks


@dataclass(frozen=True, kw_only=True)
class VerifyOptions:
    pyo3: Pin
    maturin: Pin
    frontends: list[Frontend]
    fixtures: list[FixtureName]
    scenarios: list[str] | None  # None: all; []: none
    upstream_checks: bool
    python: Path
    other_python: Path | None
    ft_pair: Path | None = None
    real: tuple[str, ...] = ()  # sources of the real projects to audit
    prefixes: bool = False  # measure each proper prefix of the pyo3 stack (`prefixes.py`)


def find_other_python(python: Path, runner: Runner) -> Path | None:
    """Another CPython minor version on this machine (pyenv or PATH), newest first."""
    this = runner.run([python, "-c", "import sys; print(sys.version_info[1])"]).stdout.strip()
    candidates: list[Path] = []
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for minor in ("13", "12", "14", "10"):
        if minor == this:
            continue
        name = HOST.python_names(f"3.{minor}")[0]
        candidates += sorted(pyenv.glob(f"3.{minor}.*/{HOST.scripts_dir}/{name}"), reverse=True)
        candidates += [Path(p) / name for p in HOST.split_path_list(os.environ.get("PATH", ""))]
    return next((c for c in candidates if c.is_file() and os.access(c, os.X_OK)), None)


def _version(runner: Runner, args: list[str | Path]) -> str:
    result = runner.run(args, check=False)
    text = (result.stdout or result.stderr).strip().splitlines()
    return text[0] if result.returncode == 0 and text else "unavailable"


def environment(runner: Runner, options: VerifyOptions) -> dict[str, str]:
    memory = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    return {
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, {memory}",
        "python": f"{_version(runner, [options.python, '--version'])} ({options.python})",
        "other python": str(options.other_python or "none found"),
        "uv": _version(runner, [sys.executable, "-m", "uv", "--version"]),
        "build": _version(runner, [options.python, "-m", "build", "--version"]),
        "pip": _version(runner, [options.python, "-m", "pip", "--version"]).split(" from ")[0],
        "cargo": _version(runner, ["cargo", "--version"]),
        "rustc": _version(runner, ["rustc", "--version"]),
    }


def _prefix_phase(
    ctx: VerifyContext, options: VerifyOptions, cache: Cache, git: Git, series: str
) -> tuple[list[PrefixResult], float]:
    """The per-prefix evidence (`prefixes.py`) when asked for, and its seconds."""
    if not options.prefixes:
        return [], 0.0
    plans = plan_prefixes(options.pyo3, selected_scenarios(options.scenarios), options.fixtures)
    if not plans:
        ctx.reporter.info("the pyo3 stack is one pull request: no prefix to measure apart")
        return [], 0.0
    ctx.reporter.step(f"per-prefix evidence: {len(plans)} proper prefix(es) of the pyo3 stack")
    start = time.monotonic()
    prefixes = run_prefixes(
        ctx,
        plans,
        run_series=series,
        other_python=options.other_python,
        cache=cache,
        git=git,
        scenarios=SCENARIOS,
    )
    return prefixes, round(time.monotonic() - start, 1)


def verify(options: VerifyOptions, cache: Cache, reporter: Reporter) -> Report:
    started = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    start = time.monotonic()
    phases = PhaseClock()
    runner = Runner(reporter)
    git = Git(runner)
    reporter.step("preparing pyo3 sources without and with the series")
    pyo3_trees = source_trees(options.pyo3, cache, git, reporter)
    reporter.step("preparing maturin without and with the series")
    maturin_trees = source_trees(options.maturin, cache, git, reporter)
    wheels = maturin_wheels(options.maturin, maturin_trees, cache, runner, reporter)
    work = cache.builds / "verify"
    requirement = build_requirement_wheel(cache, runner, options.python)
    houses = {
        variant: wheelhouse(work / f"wheelhouse-{variant}", wheel, [requirement])
        for variant, wheel in wheels.items()
    }
    pyo3_series = series_hash(options.pyo3)
    primer = Primer(
        cache.builds / "primes",
        {
            variant: tree_label(options.pyo3, pyo3_trees[variant], pyo3_series)
            for variant in VARIANTS
        },
    )
    ctx = VerifyContext(
        runner=runner,
        reporter=reporter,
        work=work,
        python=options.python,
        pyo3_version=options.pyo3.version,
        maturin_version=options.maturin.version,
        pyo3_trees=pyo3_trees,
        wheelhouses=houses,
        primer=primer,
        ft_pair=options.ft_pair,
    )
    phases.lap("prepare")
    reporter.step(f"rollout matrix: {', '.join(options.frontends)} x {', '.join(options.fixtures)}")
    cells = run_matrix(ctx, options.frontends, options.fixtures)
    phases.lap("matrix")
    safety = []
    if options.scenarios != []:
        reporter.step("safety scenarios")
        safety = run_safety(ctx, options.other_python, options.scenarios)
    phases.lap("safety")
    checks = []
    if options.upstream_checks:
        reporter.step("upstream checks on the patched trees")
        checks = run_upstream_checks(
            options.pyo3, (pyo3_trees.old, pyo3_trees.new), cache, runner, reporter
        )
        checks += run_upstream_checks(
            options.maturin, (maturin_trees.old, maturin_trees.new), cache, runner, reporter
        )
    phases.lap("upstream")
    seconds = round(time.monotonic() - start, 1)  # prefixes and real projects: phases apart
    prefixes, prefixes_seconds = _prefix_phase(ctx, options, cache, git, pyo3_series)
    if options.prefixes:
        phases.lap("prefixes")  # a phase the run did not have is not listed
    real = []
    real_seconds = 0.0
    if options.real:
        reporter.step("real projects")
        real_start = time.monotonic()
        real = audit_real_projects(
            options.real,
            frontends=[f for f in options.frontends if f in REAL_FRONTENDS] or ["uv"],
            python=options.python,
            pyo3=options.pyo3,
            maturin=options.maturin,
            inputs=AuditInputs(
                maturin_wheels=wheels, patched_pyo3={options.pyo3.version: pyo3_trees.new}
            ),
            cache=cache,
            reporter=reporter,
        )
        real_seconds = round(time.monotonic() - real_start, 1)
    phases.lap("real")
    return Report(
        pins={"pyo3": options.pyo3.version, "maturin": options.maturin.version},
        series={"pyo3": series_hash(options.pyo3), "maturin": series_hash(options.maturin)},
        variants={
            "pyo3_old": f"pyo3 {options.pyo3.version} crates from the crate registry",
            "pyo3_new": f"the same with the pyo3 series ({len(options.pyo3.patches)} patches)",
            "maturin_old": f"maturin {options.maturin.version} sdist from PyPI, built from "
            "source as pip does where no wheel exists (setup.py: cargo --no-default-features)",
            "maturin_new": f"the same sdist with the maturin series "
            f"({len(options.maturin.patches)} patches), built the same way",
        },
        cells=cells,
        safety=safety,
        upstream_tests=checks,
        environment=environment(runner, options),
        started=started.isoformat(),
        seconds=seconds,
        real=real,
        real_seconds=real_seconds,
        phases=phases.seconds,
        prefixes=prefixes,
        prefixes_seconds=prefixes_seconds,
    )


def select_pins(pins: Pins, pyo3: str | None, maturin: str | None) -> tuple[Pin, Pin]:
    return pins.select("pyo3", pyo3), pins.select("maturin", maturin)


def prefixes_wanted(asked: bool | None, pyo3: Pin) -> bool:
    """`--prefixes` / `--no-prefixes` as given; unsaid, on when the stack has more than one
    pull request."""
    return len(pyo3.stack) > 1 if asked is None else asked
