"""The short summary `tools verify` prints at the end."""

from __future__ import annotations

from tools.audit.result import BUILD_COLUMNS, build_rows
from tools.reporter import Reporter
from tools.verify.prefixes import stack_rows
from tools.verify.report import Report


def print_summary(report: Report, reporter: Reporter) -> None:
    reporter.table(
        f"Rollout (pyo3 {report.pins['pyo3']}, maturin {report.pins['maturin']})",
        [
            "frontend",
            "fixture",
            "maturin",
            "pyo3",
            "expected",
            "pyo3 crates compiled",
            "cold s",
            "warm s",
            "import",
            "ok",
        ],
        [
            [
                c.frontend,
                c.fixture,
                c.maturin,
                c.pyo3,
                c.expected,
                ", ".join(c.chain_compiled) or "none",
                f"{c.cold_s:.1f}",
                f"{c.warm_s:.1f}",
                "yes" if c.import_ok else "NO",
                "ok" if c.ok else "FAILED",
            ]
            for c in report.cells
        ],
    )
    if report.safety:
        reporter.table(
            "Safety",
            ["scenario", "expected", "observed", "ok"],
            [
                [
                    s.scenario,
                    s.expected,
                    s.observed,
                    "skipped" if s.skipped else "ok" if s.ok else "FAILED",
                ]
                for s in report.safety
            ],
        )
    if report.prefixes:
        reporter.table(
            f"Stack (pyo3 {report.pins['pyo3']}, prefix by prefix)",
            ["PR", "title", "fixes", "regresses nothing", "ok"],
            [
                [
                    str(row.index),
                    row.title,
                    row.fixes,
                    row.regressions,
                    "ok" if row.ok else "FAILED",
                ]
                for row in stack_rows(report.to_json())
            ],
        )
    if report.upstream_tests:
        reporter.table(
            "Upstream checks",
            ["project", "gate", "command", "passed", "failed", "status"],
            [
                [
                    u.project,
                    u.name,
                    u.command,
                    str(u.passed),
                    str(u.failed),
                    f"not run: {u.reason}" if u.status == "not run" else "ok" if u.ok else "FAILED",
                ]
                for u in report.upstream_tests
            ],
        )
    for result in report.real:
        reporter.table(
            f"Real project {result.project.name} {result.project.version} "
            f"(pyo3 {result.project.pyo3})",
            BUILD_COLUMNS,
            build_rows(result),
        )
