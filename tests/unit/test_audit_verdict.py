"""The audit's verdict, savings and renderings, on the evidence of a real audit: ormsgpack 1.13.1
from PyPI under uv, build and pip (recorded by `tools audit pypi:ormsgpack==1.13.1`)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from tools.audit.result import AuditResult, build_rows, judge_audit, render_markdown
from tools.proposal import evidence_section
from tools.verify.report import render_markdown as render_verify_markdown

DATA = Path(__file__).resolve().parents[1] / "data"


def _recorded() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "audit-ormsgpack.json").read_text())
    return data


def test_recorded_audit_round_trips_and_holds() -> None:
    result = AuditResult.from_json(_recorded())
    assert result.to_json() == _recorded()
    assert judge_audit(result) == []
    assert result.savings() == {"uv": 9.9, "build": 9.2, "pip": 0.1}


def test_series_rebuilding_pyo3_is_a_problem() -> None:
    data = _recorded()
    series_uv = next(
        b for b in data["builds"] if (b["configuration"], b["frontend"]) == ("series", "uv")
    )
    series_uv["pyo3_compiled"] = ["pyo3-ffi", "pyo3"]
    problems = judge_audit(AuditResult.from_json(data))
    assert problems == ["series | uv: the warm rebuild compiled pyo3-ffi, pyo3 with the series"]


def test_stock_rebuilding_pyo3_is_the_finding_not_a_problem() -> None:
    data = _recorded()
    stock = [b for b in data["builds"] if b["configuration"] == "stock"]
    assert {b["frontend"]: b["pyo3_compiled"] for b in stock} == {
        "uv": ["pyo3-ffi", "pyo3"],
        "build": ["pyo3-ffi", "pyo3"],
        "pip": [],
    }
    assert judge_audit(AuditResult.from_json(data)) == []


def test_an_import_failure_is_a_problem() -> None:
    data = _recorded()
    data["builds"][0]["import_ok"] = False
    data["builds"][0]["import_detail"] = "ImportError: boom"
    (problem,) = judge_audit(AuditResult.from_json(data))
    assert problem == "stock | uv: the wheel did not import: ImportError: boom"


def test_rows_name_cargos_reasons() -> None:
    rows = build_rows(AuditResult.from_json(_recorded()))
    assert rows[0][:5] == ["uv", "stock", "22.4", "10.2", "3"]
    assert rows[0][5] == (
        "pyo3-ffi (build script: env PYO3_PYTHON changed), pyo3 (a dependency changed)"
    )
    assert rows[1][5] == "none"


def test_markdown_of_an_audit() -> None:
    text = render_markdown(_recorded())
    assert text.startswith("# Audit: ormsgpack 1.13.1\n")
    assert (
        "| uv | stock | 22.4 | 10.2 | 3 | pyo3-ffi: build script: env PYO3_PYTHON changed" in text
    )
    assert "| uv | series | 21.7 | 0.3 | 0 | none | none | yes |" in text
    assert "uv 9.9 s, build 9.2 s, pip 0.1 s" in text
    assert "| ormsgpack 1.13.1 | reads pyo3's interpreter config (get()) |" in text


def test_verify_report_has_a_real_projects_section_only_when_measured() -> None:
    report: dict[str, Any] = json.loads((DATA / "report.json").read_text())
    report["real"], report["real_seconds"] = [], 0.0
    assert "## Real projects" not in render_verify_markdown(report)
    with_real = copy.deepcopy(report)
    with_real["real"] = [_recorded()]
    with_real["real_seconds"] = 152.2
    text = render_verify_markdown(with_real)
    assert "## Real projects" in text
    assert "(152.2 s, not counted in the run's time above)" in text
    assert "### ormsgpack 1.13.1" in text
    assert text.index("## Real projects") < text.index("## Environment")


def test_proposal_evidence_carries_the_real_projects(tmp_path: Path) -> None:
    report = json.loads((DATA / "report.json").read_text())
    report["real"], report["real_seconds"] = [], 0.0
    path = tmp_path / "verify.json"
    path.write_text(json.dumps(report))
    assert "### Real projects, measured" not in evidence_section(path)
    report["real"] = [_recorded()]
    path.write_text(json.dumps(report))
    text = evidence_section(path)
    assert "### Real projects, measured" in text
    assert (
        "| ormsgpack 1.13.1 | 0.30.1 | uv | 10.2, pyo3-ffi, pyo3, ormsgpack | 0.3, none | 9.9 | "
        "ormsgpack: reads pyo3's interpreter config (get()) |"
    ) in text


def test_line_breaks_in_table_cells_are_markup_not_escaped_text() -> None:
    text = render_markdown(_recorded())
    runs = next(line for line in text.splitlines() if line.startswith("| ormsgpack 1.13.1 |"))
    assert "stock/uv: yes" in runs
    assert runs.count("<br>") == len(_recorded()["build_scripts"][0]["runs"]) - 1
    assert "\\<br" not in text
