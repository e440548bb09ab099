"""What `tools audit` prints at the end: tables of short cells (readable at 80 columns in a CI
log) and, below them, the long texts as lines of their own."""

from __future__ import annotations

from tools.audit.explain import ISSUE, explain, short_interpreter
from tools.audit.result import COMPACT_COLUMNS, AuditResult, compact_rows, rebuild_lines
from tools.audit.today import today_lines, use_it_today
from tools.reporter import Reporter


def print_audit(result: AuditResult, reporter: Reporter) -> None:
    project = result.project
    if result.lock_moved:
        reporter.warn(lock_moved_line(result))
    reporter.info(
        f"{project.name} {project.version} ({project.pyo3_crate} {project.pyo3}): two builds per "
        "frontend against one target dir, the second in a fresh isolated environment"
    )
    reporter.table(
        f"{project.name} {project.version}: cold and warm builds",
        COMPACT_COLUMNS,
        compact_rows(result),
    )
    for line in rebuild_lines(result):
        reporter.info(f"pyo3 recompiled on the warm build: {line}")
    savings = result.savings()
    if savings:
        reporter.table(
            "Warm rebuild time the series saves",
            ["frontend", "stock s", "series s", "saved s"],
            [
                [frontend, f"{stock.warm_s:.1f}", f"{series.warm_s:.1f}", f"{saved:.1f}"]
                for frontend, saved in savings.items()
                if (stock := result.build("stock", frontend))
                and (series := result.build("series", frontend))
            ],
        )
    for line in explain(result.builds):
        reporter.info(f"why: {line}")
    reporter.info(f"the rebuild is pyo3#6113: {ISSUE}")
    if not result.build_scripts:
        reporter.info("no build script outside pyo3 runs Python or reads pyo3's interpreter")
    for finding in result.build_scripts:
        reporter.info(
            f"build script of {finding.package} {finding.version}: {'; '.join(finding.uses)}; "
            f"interpreter: {finding.interpreter}; needs build_env_interpreter(): "
            f"{finding.flag or 'no'}"
        )
        for run in finding.runs:
            python = _short(run.python) if run.python else "unset"
            reporter.info(
                f"  {run.configuration} | {run.frontend}: "
                f"{'reran' if run.reran else 'did not rerun'} on the warm build "
                f"(last under PYO3_PYTHON {python})"
            )
    today = use_it_today(result)
    if today is not None:
        reporter.step("use it today")
        for line in today_lines(today):
            reporter.info(line)
    for problem in result.problems:
        reporter.warn(f"problem: {problem}")
    for item in result.unchecked:
        reporter.warn(f"not checked: {item}")


def _short(path: str) -> str:
    short, environment = short_interpreter(path)
    return f"{short} ({environment})" if environment else short


def lock_moved_line(result: AuditResult) -> str:
    moved = result.lock_moved
    return (
        f"lock moved: the project locks {result.project.pyo3_crate} {moved['from']}, which no pin "
        f"serves exactly; both configurations were measured on a copy whose Cargo.lock was moved "
        f"to {moved['to']} (`cargo update --precise`; --exact refuses instead)"
    )
