"""The rollout expectations: new/new cached, every other cell the same as old/old, and the
maturin under test provably used."""

from __future__ import annotations

from tools.verify.artifacts import Variant
from tools.verify.fixtures import FixtureName
from tools.verify.matrix import CellResult, judge

CHAIN = ["pyo3-ffi", "pyo3"]


def _cell(
    maturin: Variant,
    pyo3: Variant,
    chain: list[str],
    *,
    fixture: FixtureName = "ext",
    exported: bool | None = None,
    import_ok: bool = True,
) -> CellResult:
    return CellResult(
        maturin=maturin,
        pyo3=pyo3,
        frontend="uv",
        fixture=fixture,
        compiled=[*chain, "verify-ext"],
        chain_compiled=chain,
        reasons={},
        cold_s=11.0,
        warm_s=5.0,
        import_ok=import_ok,
        import_detail="" if import_ok else "ImportError",
        base_python_exported=(maturin == "new" and fixture != "abi3")
        if exported is None
        else exported,
    )


def _matrix(new_new: list[str], **overrides: CellResult) -> list[CellResult]:
    cells = {
        "old_old": _cell("old", "old", CHAIN),
        "old_new": _cell("old", "new", CHAIN),
        "new_old": _cell("new", "old", CHAIN),
        "new_new": _cell("new", "new", new_new),
    }
    cells.update(overrides)
    return list(cells.values())


def test_the_expected_rollout_holds() -> None:
    cells = _matrix([])
    judge(cells)
    assert [(c.expected, c.ok) for c in cells] == [
        ("status quo", True),
        ("status quo", True),
        ("status quo", True),
        ("cached", True),
    ]


def test_new_new_recompiling_fails() -> None:
    cells = _matrix(["pyo3-ffi", "pyo3"])
    judge(cells)
    assert cells[3].ok is False
    assert cells[3].problems == ["compiled pyo3-ffi, pyo3"]


def test_a_cell_that_differs_from_old_old_fails() -> None:
    cells = _matrix([], old_new=_cell("old", "new", []))
    judge(cells)
    assert cells[1].problems == ["compiled no pyo3 crate where old/old compiled pyo3-ffi, pyo3"]


def test_the_maturin_under_test_must_have_run() -> None:
    cells = _matrix([], new_old=_cell("new", "old", CHAIN, exported=False))
    judge(cells)
    assert cells[2].ok is False
    assert "maturin new did not export PYO3_BASE_PYTHON" in cells[2].problems[0]


def test_abi3_builds_never_export_and_a_failed_import_fails() -> None:
    cells = [_cell(m, p, [], fixture="abi3") for m in ("old", "new") for p in ("old", "new")]
    cells[0] = _cell("old", "old", [], fixture="abi3", import_ok=False)
    judge(cells)
    assert [c.ok for c in cells] == [False, True, True, True]
    assert cells[0].problems == ["import failed: ImportError"]


def test_the_same_crates_in_another_order_are_the_status_quo() -> None:
    # pyo3 0.28.3 under uv: cargo compiled the same five crates in two orders
    chain = ["pyo3-build-config", "pyo3-macros-backend", "pyo3-ffi", "pyo3", "pyo3-macros"]
    other = ["pyo3-build-config", "pyo3-ffi", "pyo3-macros-backend", "pyo3", "pyo3-macros"]
    cells = _matrix(
        [],
        old_old=_cell("old", "old", chain),
        old_new=_cell("old", "new", other),
        new_old=_cell("new", "old", chain),
    )
    judge(cells)
    assert all(c.ok for c in cells), [c.problems for c in cells]
    cells = _matrix(
        [],
        old_old=_cell("old", "old", chain),
        old_new=_cell("old", "new", other[1:]),
        new_old=_cell("new", "old", chain),
    )
    judge(cells)
    assert not cells[1].ok
