"""The rollout table: maturin old/new x pyo3 old/new, per frontend and fixture.

For each maturin x pyo3 x fixture a target dir is primed once by a cold build through uv
(`primes.py`; kept in the tool cache across runs while its inputs stay the same). Each
frontend's cell then builds the fixture in a fresh isolated environment against a copy of that
target dir, as a CI cache restored from another job would, and reads cargo's own account of
what it compiled.

uv's prime serves uv and build: both run maturin in an isolated environment of their own, so a
prime from uv's environment is a cache from another job for either. pip's cells start from a
pip build: pip runs maturin with the caller's interpreter (its isolation does not change
`sys.executable`), so a target dir last built in another frontend's isolated environment is not
a situation a pip user meets. That pip build is seeded with uv's prime of the same maturin x
pyo3 x fixture and recompiles what pip's configuration changes; cargo's fingerprints then
describe a pip build, which is all the warm build reads, and the cell's cold figure is uv's.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from typing import Literal

from tools.verify.artifacts import VARIANTS, Variant
from tools.verify.context import VerifyContext, import_wheel
from tools.verify.fixtures import FixtureName
from tools.verify.frontends import Frontend, build_wheel
from tools.verify.primes import PrimeSpec

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
    cold_by: str = ""  # the frontends whose builds primed the target dir ("uv, then pip")
    cold_from: str = ""  # "this run", or "prime of <date>" for a prime an earlier run made

    @property
    def key(self) -> tuple[str, str]:
        return (self.frontend, self.fixture)


def prime_spec(
    maturin: Variant, pyo3: Variant, fixture: FixtureName, frontend: Frontend
) -> PrimeSpec:
    """The prime a cell's warm build starts from (see the module docstring)."""
    cold = PrimeSpec(maturin=maturin, pyo3=pyo3, fixture=fixture, frontend="uv")
    return (
        PrimeSpec(maturin=maturin, pyo3=pyo3, fixture=fixture, frontend="pip", seed=cold)
        if frontend == "pip"
        else cold
    )


def run_cell(
    ctx: VerifyContext, maturin: Variant, pyo3: Variant, frontend: Frontend, fixture: FixtureName
) -> CellResult:
    where = ctx.runs / "cells" / f"maturin-{maturin}-pyo3-{pyo3}" / frontend / fixture
    shutil.rmtree(where, ignore_errors=True)
    label = f"maturin {maturin} x pyo3 {pyo3} | {frontend} | {fixture}"
    primed = ctx.primer.prime(ctx, prime_spec(maturin, pyo3, fixture, frontend))
    setup = ctx.setup(maturin, primed.target)
    # The warm build runs alone: no other step of this run competes with it for the cores.
    with ctx.reporter.progress(f"{label}: warm build in a fresh isolated environment"):
        warm = build_wheel(ctx.runner, frontend, primed.fixture.project, where / "dist-warm", setup)
    import_ok, detail = import_wheel(
        ctx.runner, warm.wheel, primed.fixture.import_check(), ctx.python, where / "venv"
    )
    notes = [n for notes in warm.evidence.warnings.values() for n in notes]
    notes += [
        f"priming build: {n}" for notes in primed.cold.evidence.warnings.values() for n in notes
    ]
    return CellResult(
        maturin=maturin,
        pyo3=pyo3,
        frontend=frontend,
        fixture=fixture,
        compiled=list(warm.evidence.compiled),
        chain_compiled=list(warm.evidence.chain_compiled()),
        reasons=warm.evidence.reasons,
        cold_s=primed.cold_s,
        warm_s=round(warm.seconds, 1),
        import_ok=import_ok,
        import_detail=detail,
        base_python_exported="PYO3_BASE_PYTHON" in warm.evidence.maturin_env,
        build_script_notes=notes,
        cold_by=primed.prime.built_by,
        cold_from=primed.cold_from,
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
    # Cells run one after another. Overlapping a cell's import check (a venv, an install and
    # an import: a fraction of a second) with the next cell's build would save little and put
    # a second process on the 2 cores while that warm build is timed, so it is not done.
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
