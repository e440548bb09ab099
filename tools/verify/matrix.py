"""The rollout table: maturin old/new x pyo3 old/new, per frontend and fixture.

Each cell builds its fixture once through the frontend (cold, which warms a fresh target dir),
then again through the same frontend in a new isolated environment against the same target dir,
as a CI cache restore would, and reads cargo's own account of what the second build compiled.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from typing import Literal

from tools.verify.artifacts import VARIANTS, Variant
from tools.verify.context import VerifyContext, import_wheel
from tools.verify.fixtures import FixtureName
from tools.verify.frontends import Frontend, build_wheel

Expected = Literal["cached", "status quo"]


@dataclass
class CellResult:
    maturin: Variant
    pyo3: Variant
    frontend: Frontend
    fixture: FixtureName
    compiled: list[str]
    chain_compiled: list[str]
    reasons: dict[str, list[str]]
    cold_s: float
    warm_s: float
    import_ok: bool
    import_detail: str
    base_python_exported: bool = False
    build_script_notes: list[str] = field(default_factory=list)
    expected: Expected = "status quo"
    ok: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        return (self.frontend, self.fixture)


def run_cell(
    ctx: VerifyContext, maturin: Variant, pyo3: Variant, frontend: Frontend, fixture: FixtureName
) -> CellResult:
    where = ctx.work / "cells" / f"maturin-{maturin}-pyo3-{pyo3}" / frontend / fixture
    shutil.rmtree(where, ignore_errors=True)
    project = ctx.fixture(fixture, pyo3, where)
    setup = ctx.setup(maturin, where / "target")
    label = f"maturin {maturin} x pyo3 {pyo3} | {frontend} | {fixture}"
    with ctx.reporter.progress(f"{label}: cold build"):
        cold = build_wheel(ctx.runner, frontend, project.project, where / "dist-cold", setup)
    with ctx.reporter.progress(f"{label}: warm build in a fresh isolated environment"):
        warm = build_wheel(ctx.runner, frontend, project.project, where / "dist-warm", setup)
    import_ok, detail = import_wheel(
        ctx.runner, warm.wheel, project.import_check(), ctx.python, where / "venv"
    )
    notes = [n for notes in warm.evidence.warnings.values() for n in notes]
    notes += [f"cold: {n}" for notes in cold.evidence.warnings.values() for n in notes]
    return CellResult(
        maturin=maturin,
        pyo3=pyo3,
        frontend=frontend,
        fixture=fixture,
        compiled=list(warm.evidence.compiled),
        chain_compiled=list(warm.evidence.chain_compiled()),
        reasons=warm.evidence.reasons,
        cold_s=round(cold.seconds, 1),
        warm_s=round(warm.seconds, 1),
        import_ok=import_ok,
        import_detail=detail,
        base_python_exported="PYO3_BASE_PYTHON" in warm.evidence.maturin_env,
        build_script_notes=notes,
    )


def judge(cells: list[CellResult]) -> None:
    """new/new must keep the pyo3 chain cached; every other cell must match old/old. Whatever the
    cell, maturin new must have exported PYO3_BASE_PYTHON for runnable non-abi3 builds and maturin
    old never, which proves the frontend used the maturin under test."""
    baseline = {c.key: c for c in cells if c.maturin == "old" and c.pyo3 == "old"}
    for cell in cells:
        problems = []
        if cell.maturin == "new" and cell.pyo3 == "new":
            cell.expected = "cached"
            if cell.chain_compiled:
                problems.append(f"compiled {', '.join(cell.chain_compiled)}")
        else:
            cell.expected = "status quo"
            reference = baseline.get(cell.key)
            if reference is None:
                problems.append("no old/old cell to compare with")
            elif sorted(reference.chain_compiled) != sorted(cell.chain_compiled):
                # the same crates; cargo compiles independent ones in whatever order it likes
                problems.append(
                    f"compiled {', '.join(cell.chain_compiled) or 'no pyo3 crate'} where old/old "
                    f"compiled {', '.join(reference.chain_compiled) or 'none'}"
                )
        expect_export = cell.maturin == "new" and cell.fixture != "abi3"
        if cell.base_python_exported != expect_export:
            problems.append(
                f"maturin {cell.maturin} {'did not export' if expect_export else 'exported'} "
                "PYO3_BASE_PYTHON: the frontend did not use the maturin under test"
            )
        if not cell.import_ok:
            problems.append(f"import failed: {cell.import_detail}")
        cell.problems = problems
        cell.ok = not problems


def run_matrix(
    ctx: VerifyContext, frontends: list[Frontend], fixtures: list[FixtureName]
) -> list[CellResult]:
    cells: list[CellResult] = []
    total = len(frontends) * len(fixtures) * 4
    for frontend in frontends:
        for fixture in fixtures:
            for maturin in VARIANTS:
                for pyo3 in VARIANTS:
                    ctx.reporter.step(f"cell {len(cells) + 1}/{total}")
                    cells.append(run_cell(ctx, maturin, pyo3, frontend, fixture))
    judge(cells)
    return cells
