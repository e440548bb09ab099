"""The ways to keep an isolated build's pyo3 chain cached, side by side: both halves of the
series, the pyo3 half with the caller setting the variable, and what works today without the
series (`--env-dir`, no isolation, maturin's `use-base-python`), next to the status quo, each
with what it costs the user.

The rows are read from a report (the rollout cells and the safety scenarios that measured
them), so the same figures reach the report, PROPOSAL.md and the pull request bodies.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tools.markdown import Trusted
from tools.verify.evidence import PYO3_CHAIN


@dataclass(frozen=True)
class AlternativeRow:
    # "series", "caller sets base", "env dir", "no isolation", "use-base-python", "status quo"
    kind: str
    how: Trusted  # Markdown written here
    frontend: str
    cost: Trusted
    measured: bool = False  # False: the report has no such measurement (the figures are 0)
    compiled: tuple[str, ...] = ()  # pyo3 crates compiled on the second build
    first_s: float = 0.0
    second_s: float = 0.0


# (scenario, kind, how, frontend, cost); the first and second builds are labelled as below
_SCENARIOS = (
    (
        "caller-sets-base-uv",
        "caller sets base",
        "pyo3 with the series, stock maturin, the caller exports `PYO3_BASE_PYTHON`",
        "uv",
        "one variable in the CI job and the pyo3 crates patched (`[patch.crates-io]`), until both "
        "halves are released",
    ),
    ("caller-sets-base-build", "caller sets base", "the same", "build", "the same"),
    (
        "alternative-env-dir",
        "env dir",
        "no series: `python -m build --env-dir DIR`",
        "build",
        "an option on every invocation, and pypa/build only (not uv or pip)",
    ),
    (
        "alternative-no-isolation",
        "no isolation",
        "no series: `pip wheel --no-build-isolation` from one venv",
        "pip",
        "no build isolation: the build requirements are whatever that venv holds",
    ),
)
# Rows shown only when the report has one of their scenarios (reports older than they do not).
_WHEN_MEASURED = (
    (
        "alternative-use-base-python-uv",
        "use-base-python",
        "no series: maturin's `use-base-python` (`MATURIN_PEP517_USE_BASE_PYTHON=1`)",
        "uv",
        "opt-in per project or build; build scripts are handed the base interpreter, without the "
        "build environment's packages (`use-base-python-build-requirement`)",
    ),
    ("alternative-use-base-python-build", "use-base-python", "the same", "build", "the same"),
)
_FIRST, _SECOND = "first", "second"


def _cell(report: Mapping[str, Any], maturin: str, pyo3: str, frontend: str) -> Any:
    for cell in report["cells"]:
        if (cell["maturin"], cell["pyo3"], cell["frontend"], cell["fixture"]) == (
            maturin,
            pyo3,
            frontend,
            "ext",
        ):
            return cell
    return None


def _from_cells(
    report: Mapping[str, Any], variant: str, kind: str, how: str, cost: str
) -> list[AlternativeRow]:
    rows = []
    for frontend in ("uv", "build"):
        row = AlternativeRow(kind, Trusted(how), frontend, Trusted(cost))
        if (cell := _cell(report, variant, variant, frontend)) is not None:
            row = dataclasses.replace(
                row,
                measured=True,
                compiled=tuple(cell["chain_compiled"]),
                first_s=cell["cold_s"],
                second_s=cell["warm_s"],
            )
        rows.append(row)
    return rows


def alternative_rows(report: Mapping[str, Any]) -> list[AlternativeRow]:
    """Every row, series first; a row the report has no measurement for (the `ext` fixture's
    cell, or the scenario, not run or skipped) says so."""
    rows = _from_cells(
        report,
        "new",
        "series",
        "maturin and pyo3 with the series",
        "nothing, once both halves are released",
    )
    safety = {s["scenario"]: s for s in report["safety"]}
    present = _WHEN_MEASURED if any(row[0] in safety for row in _WHEN_MEASURED) else ()
    for name, kind, how, frontend, cost in _SCENARIOS + present:
        row = AlternativeRow(kind, Trusted(how), frontend, Trusted(cost))
        scenario = safety.get(name)
        seconds = scenario.get("seconds", {}) if scenario else {}
        if scenario and not scenario.get("skipped") and {_FIRST, _SECOND} <= set(seconds):
            compiled = tuple(c for c in scenario.get("compiled", []) if c in PYO3_CHAIN)
            row = dataclasses.replace(
                row,
                measured=True,
                compiled=compiled,
                first_s=seconds[_FIRST],
                second_s=seconds[_SECOND],
            )
        rows.append(row)
    rows += _from_cells(
        report,
        "old",
        "status quo",
        "status quo: stock maturin and pyo3",
        "the pyo3 chain recompiled on every isolated build",
    )
    return rows
