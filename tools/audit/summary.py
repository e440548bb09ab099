"""The tables `tools audit` prints at the end."""

from __future__ import annotations

from tools.audit.result import BUILD_COLUMNS, AuditResult, build_rows
from tools.reporter import Reporter


def print_audit(result: AuditResult, reporter: Reporter) -> None:
    project = result.project
    reporter.table(
        f"{project.name} {project.version} (pyo3 {project.pyo3}): two builds per frontend, "
        "the second in a fresh isolated environment",
        BUILD_COLUMNS,
        build_rows(result),
    )
    savings = result.savings()
    if savings:
        reporter.table(
            "Warm rebuild time the series saves",
            ["frontend", "stock s", "series s", "saved s"],
            [[frontend, f"{stock.warm_s:.1f}", f"{series.warm_s:.1f}", f"{saved:.1f}"]
             for frontend, saved in savings.items()
             if (stock := result.build("stock", frontend)) and
             (series := result.build("series", frontend))],
        )  # fmt: skip
    if result.build_scripts:
        reporter.table(
            "Build scripts that deal with Python",
            ["crate", "what", "interpreter", "reran on warm build (PYO3_PYTHON it last ran under)",
             "needs build_env_interpreter()"],
            [[f"{f.package} {f.version}", "; ".join(f.uses), f.interpreter,
              "; ".join(f"{r.configuration}/{r.frontend}: {'yes' if r.reran else 'no'} "
                        f"({r.python or 'unset'})" for r in f.runs),
              f.flag or "no"] for f in result.build_scripts],
        )  # fmt: skip
    else:
        reporter.info("no build script outside pyo3 runs Python or reads pyo3's interpreter")
