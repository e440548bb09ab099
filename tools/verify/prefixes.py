"""Evidence per prefix of the pyo3 stack: for each proper prefix (pull requests 1..k of the
stack, k short of the whole series, which the run's own cells and scenarios measure), the pyo3
"new" tree holds only those patches, and the `ext` and `downstream` new/new cells under uv and
every safety scenario that builds pyo3 with the series run again with it.

A phase of its own, timed apart like the real projects. It shares the run's primes wherever
their inputs are the same: a prime's key holds the pyo3 tree it was built with, so one built on
the old tree is the run's own, and one on a prefix's tree is made once and kept across runs.
Scenarios on stock pyo3 alone (`Scenario.series` false) are the same for every prefix and are
not repeated; a scenario whose fixture uses what a later pull request adds (`Scenario.needs`)
is reported as not applicable to the prefixes before it.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

from tools.cache import Cache
from tools.gitops import Git
from tools.pins import Pin
from tools.reportdata import CellData, PrefixData, SafetyData
from tools.verify.artifacts import Trees, Variant, apply_in_cache, series_hash
from tools.verify.context import VerifyContext
from tools.verify.fixtures import FixtureName
from tools.verify.matrix import CellResult, judge, run_cell
from tools.verify.safety import run_safety
from tools.verify.scenario import Scenario, ScenarioResult

# The fixtures whose new/new cells each prefix measures, when the run selects them.
PREFIX_FIXTURES: tuple[FixtureName, ...] = ("ext", "downstream")


def tree_label(pin: Pin, tree: Path, series: str | None = None) -> str:
    """What names a pyo3 tree in a prime's key: the pin, the series behind the run and the path."""
    return f"pyo3 {pin.version} series {series or series_hash(pin)} at {tree}"


def prefix_pin(pin: Pin, index: int) -> Pin:
    """The pin with the pull requests 1..index of its stack only."""
    stack = pin.stack[:index]
    return dataclasses.replace(
        pin, stack=stack, patches=tuple(name for entry in stack for name in entry.patches)
    )


def added_by(pin: Pin, text: str) -> int | None:
    """The pull request (1-based) of the stack whose patches first add a line holding `text`;
    None when none does (upstream has it, or the series never adds it)."""
    for index, entry in enumerate(pin.stack, start=1):
        for name in entry.patches:
            patch = (pin.series_dir / name).read_text(encoding="utf-8", errors="replace")
            for line in patch.splitlines():
                if line.startswith("+") and not line.startswith("+++") and text in line:
                    return index
    return None


@dataclass(frozen=True)
class PrefixPlan:
    """What one prefix measures: its pin, the fixtures of its cells, the scenarios run with it,
    and those it cannot run, each with the pull request that adds what it needs."""

    index: int
    title: str
    pin: Pin
    fixtures: tuple[FixtureName, ...]
    scenarios: tuple[str, ...]
    not_applicable: Mapping[str, int]


def plan_prefixes(
    pin: Pin, scenarios: Sequence[Scenario], fixtures: Sequence[FixtureName]
) -> list[PrefixPlan]:
    """One plan per proper prefix of the stack, for the selected scenarios and fixtures."""
    cells = tuple(f for f in PREFIX_FIXTURES if f in fixtures)
    series = [s for s in scenarios if s.series]
    needed = {s.name: added_by(pin, s.needs) for s in series if s.needs}
    plans = []
    for index in range(1, len(pin.stack)):
        missing = {name: pr for name, pr in needed.items() if pr is not None and pr > index}
        plans.append(
            PrefixPlan(
                index=index,
                title=pin.stack[index - 1].title,
                pin=prefix_pin(pin, index),
                fixtures=cells,
                scenarios=tuple(s.name for s in series if s.name not in missing),
                not_applicable=missing,
            )
        )
    return plans


@dataclass
class PrefixResult:
    index: int
    title: str
    patches: list[str]
    series: str
    cells: list[CellResult]
    safety: list[ScenarioResult]
    seconds: float

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.cells) and all(s.ok for s in self.safety)

    def failures(self) -> list[str]:
        where = f"prefix PR 1..{self.index}"
        failed = [
            f"{where}: cell new/new | {c.frontend} | {c.fixture}: {'; '.join(c.problems)}"
            for c in self.cells
            if not c.ok
        ]
        failed += [
            f"{where}: safety {s.scenario}: expected {s.expected}, observed {s.observed}"
            for s in self.safety
            if not s.ok
        ]
        return failed

    def to_json(self) -> PrefixData:
        return {
            "index": self.index,
            "title": self.title,
            "patches": list(self.patches),
            "series": self.series,
            "cells": [cast("CellData", asdict(cell)) for cell in self.cells],
            "safety": [cast("SafetyData", asdict(result)) for result in self.safety],
            "ok": self.ok,
            "seconds": self.seconds,
        }


def results_in_order(
    plan: PrefixPlan, measured: Sequence[ScenarioResult], scenarios: Mapping[str, Scenario]
) -> list[ScenarioResult]:
    """The measured results and the not-applicable ones, in the order of `scenarios`."""
    by_name = {result.scenario: result for result in measured}
    for name, pr in plan.not_applicable.items():
        scenario = scenarios[name]
        by_name[name] = ScenarioResult.not_applicable(
            name, scenario.what, scenario.expected, f"needs PR {pr}"
        )
    return [by_name[name] for name in scenarios if name in by_name]


def prefix_tree(plan: PrefixPlan, cache: Cache, git: Git, ctx: VerifyContext) -> Path:
    """The registry tree with the prefix's patches, at a path of its own (a changed prefix is
    applied again at the same path, for the reason given in `artifacts.source_trees`)."""
    pin = plan.pin
    dest = cache.builds / "trees" / f"{pin.project}-{pin.version}-prefix-{plan.index}"
    apply_in_cache(pin, dest, cache, git, ctx.reporter)
    return dest


def run_prefixes(
    ctx: VerifyContext,
    plans: Sequence[PrefixPlan],
    *,
    run_series: str,
    other_python: Path | None,
    cache: Cache,
    git: Git,
    scenarios: Mapping[str, Scenario],
) -> list[PrefixResult]:
    """Measures each prefix with its own pyo3 "new" tree; `run_series` is the whole series'
    hash, which names the old tree in the run's prime keys."""
    results = []
    for plan in plans:
        start = time.monotonic()
        ctx.reporter.step(f"prefix PR 1..{plan.index} of the pyo3 stack: {plan.title}")
        tree = prefix_tree(plan, cache, git, ctx)
        trees = Trees(old=ctx.pyo3_trees.old, new=tree)
        labels: dict[Variant, str] = {
            "old": tree_label(plan.pin, trees.old, run_series),
            "new": tree_label(plan.pin, tree),
        }
        sub = dataclasses.replace(
            ctx,
            pyo3_trees=trees,
            primer=ctx.primer.for_trees(labels),
            runs_dir=ctx.work / "prefixes" / f"pr-{plan.index}",
        )
        cells = [run_cell(sub, "new", "new", "uv", fixture) for fixture in plan.fixtures]
        judge(cells)
        measured = run_safety(sub, other_python, list(plan.scenarios)) if plan.scenarios else []
        results.append(
            PrefixResult(
                index=plan.index,
                title=plan.title,
                patches=list(plan.pin.patches),
                series=series_hash(plan.pin),
                cells=cells,
                safety=results_in_order(plan, measured, scenarios),
                seconds=round(time.monotonic() - start, 1),
            )
        )
    return results


@dataclass(frozen=True)
class StackRow:
    """One pull request of the stack in the report's Stack section."""

    index: int
    title: str
    fixes: str  # the new/new cells' pyo3 crates compiled on the warm rebuild
    regressions: str  # whether every scenario held, or which did not
    ok: bool


def _compiled(cells: Sequence[Mapping[str, Any]], maturin: str, pyo3: str, fixture: str) -> Any:
    for cell in cells:
        if (cell["maturin"], cell["pyo3"], cell["frontend"], cell["fixture"]) == (
            maturin,
            pyo3,
            "uv",
            fixture,
        ):
            return cell
    return None


def _fixes(cells: Sequence[Mapping[str, Any]], status_quo: Sequence[Mapping[str, Any]]) -> str:
    parts = []
    for fixture in PREFIX_FIXTURES:
        cell = _compiled(cells, "new", "new", fixture)
        if cell is None:
            continue
        text = f"{fixture}: {', '.join(cell['chain_compiled']) or 'none'}"
        before = _compiled(status_quo, "old", "old", fixture)
        if before is not None:
            text += f" (status quo: {', '.join(before['chain_compiled']) or 'none'})"
        parts.append(text)
    return "; ".join(parts) or "no cell measured"


def _regressions(safety: Sequence[Mapping[str, Any]], cells_ok: bool) -> str:
    ran = [s for s in safety if not s.get("skipped")]
    failed = [s["scenario"] for s in ran if not s["ok"]]
    absent = [
        f"{s['scenario']} ({s['observed'].removeprefix('not applicable: ')})"
        for s in safety
        if s.get("skipped", "").startswith("not applicable")
    ]
    held = "the 1 scenario held" if len(ran) == 1 else f"all {len(ran)} scenarios held"
    text = f"FAILED: {', '.join(failed)}" if failed else held
    if not cells_ok:
        text += "; a new/new cell FAILED"
    if absent:
        text += f"; not applicable: {', '.join(absent)}"
    return text


def stack_rows(report: Mapping[str, Any]) -> list[StackRow]:
    """Per pull request of the stack: each proper prefix from `prefixes`, then the whole series
    from the run's own cells and the scenarios the prefixes ran (those building the series)."""
    prefixes = report.get("prefixes") or []
    if not prefixes:
        return []
    rows = []
    for prefix in prefixes:
        cells_ok = all(c["ok"] for c in prefix["cells"])
        rows.append(
            StackRow(
                index=prefix["index"],
                title=prefix["title"],
                fixes=_fixes(prefix["cells"], report["cells"]),
                regressions=_regressions(prefix["safety"], cells_ok),
                ok=prefix["ok"],
            )
        )
    names = {s["scenario"] for prefix in prefixes for s in prefix["safety"]}
    safety = [s for s in report["safety"] if s["scenario"] in names]
    whole = [
        c
        for c in report["cells"]
        if c["frontend"] == "uv"
        and c["fixture"] in PREFIX_FIXTURES
        and c["maturin"] == c["pyo3"] == "new"
    ]
    cells_ok = all(c["ok"] for c in whole)
    rows.append(
        StackRow(
            index=len(prefixes) + 1,
            title="the whole series (the rollout table and safety scenarios above)",
            fixes=_fixes(whole, report["cells"]),
            regressions=_regressions(safety, cells_ok),
            ok=cells_ok and all(s["ok"] for s in safety),
        )
    )
    return rows
