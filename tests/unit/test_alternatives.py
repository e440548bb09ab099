"""The alternatives table is read from a report: the rollout cells and the scenarios that
measured each alternative, and a row says so when its measurement is missing."""

from __future__ import annotations

from typing import Any

from tools.verify.alternatives import alternative_rows


def _cell(maturin: str, pyo3: str, frontend: str, chain: list[str], warm: float) -> dict[str, Any]:
    return {
        "maturin": maturin,
        "pyo3": pyo3,
        "frontend": frontend,
        "fixture": "ext",
        "chain_compiled": chain,
        "cold_s": 13.0,
        "warm_s": warm,
    }


def _scenario(name: str, **fields: Any) -> dict[str, Any]:
    return {"scenario": name, "compiled": ["fixture", "pyo3-ffi"], **fields}


REPORT: dict[str, Any] = {
    "cells": [
        _cell("new", "new", "uv", [], 0.3),
        _cell("old", "old", "uv", ["pyo3-ffi", "pyo3"], 6.1),
        _cell("old", "old", "build", ["pyo3-ffi", "pyo3"], 6.7),
        {**_cell("new", "new", "build", [], 1.1), "fixture": "abi3"},  # not the ext fixture
    ],
    "safety": [
        _scenario("caller-sets-base-uv", seconds={"first": 12.6, "second": 0.3}),
        _scenario("caller-sets-base-build", seconds={"first": 13.8}),  # no second build
        _scenario("alternative-env-dir", seconds={"first": 15.5, "second": 1.5}, skipped=""),
        _scenario(
            "alternative-no-isolation", skipped="not here", seconds={"first": 1, "second": 1}
        ),
    ],
}


def test_every_row_is_there_in_order_and_says_whether_it_was_measured() -> None:
    rows = alternative_rows(REPORT)
    shown = [(r.how.split(":")[0], r.frontend, r.measured) for r in rows]
    assert shown == [
        ("maturin and pyo3 with the series", "uv", True),
        ("maturin and pyo3 with the series", "build", False),
        ("pyo3 with the series, stock maturin, the caller exports `PYO3_BASE_PYTHON`", "uv", True),
        ("the same", "build", False),
        ("no series", "build", True),
        ("no series", "pip", False),
        ("status quo", "uv", True),
        ("status quo", "build", True),
    ]


def test_figures_come_from_the_cells_and_the_scenarios() -> None:
    rows = alternative_rows(REPORT)
    series, caller, env_dir, status_quo = rows[0], rows[2], rows[4], rows[7]
    assert (series.compiled, series.first_s, series.second_s) == ((), 13.0, 0.3)
    assert (caller.first_s, caller.second_s) == (12.6, 0.3)
    # only the pyo3 crates of what the decisive build compiled
    assert env_dir.compiled == ("pyo3-ffi",)
    assert (status_quo.compiled, status_quo.second_s) == (("pyo3-ffi", "pyo3"), 6.7)
    missing = rows[1]
    assert (missing.compiled, missing.first_s, missing.second_s) == ((), 0.0, 0.0)


def test_use_base_python_rows_appear_when_the_report_measured_them() -> None:
    seconds = {"downstream first": 3.0, "first": 14.2, "second": 0.4}
    report = {
        **REPORT,
        "safety": [
            *REPORT["safety"],
            _scenario("alternative-use-base-python-uv", seconds=seconds, compiled=["verify-ext"]),
            _scenario("alternative-use-base-python-build", skipped="not here"),
        ],
    }
    rows = alternative_rows(report)
    kinds = [(r.kind, r.frontend, r.measured) for r in rows]
    assert kinds[6:8] == [("use-base-python", "uv", True), ("use-base-python", "build", False)]
    assert kinds[8][0] == "status quo"
    uv = rows[6]
    assert (uv.compiled, uv.first_s, uv.second_s) == ((), 14.2, 0.4)
    assert "MATURIN_PEP517_USE_BASE_PYTHON=1" in uv.how
    assert "base interpreter" in uv.cost
    # a report from before the scenario existed has no such row
    assert all(r.kind != "use-base-python" for r in alternative_rows(REPORT))


def test_both_use_base_python_rows_show_when_one_was_run() -> None:
    seconds = {"first": 14.2, "second": 0.4}
    only_uv = {
        **REPORT,
        "safety": [*REPORT["safety"], _scenario("alternative-use-base-python-uv", seconds=seconds)],
    }
    rows = [(r.kind, r.frontend, r.measured) for r in alternative_rows(only_uv)]
    assert rows[6:8] == [("use-base-python", "uv", True), ("use-base-python", "build", False)]
