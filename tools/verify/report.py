"""The verify report: one JSON document (the evidence) and a Markdown rendering of it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tools.audit.result import AuditResult
from tools.outdir import write_atomic
from tools.pr_text import scrubbed
from tools.reportdata import dump_report
from tools.templates import render_template
from tools.verify.frontends import FRONTENDS
from tools.verify.matrix import CellResult
from tools.verify.prefixes import PrefixResult, stack_rows
from tools.verify.scenario import ScenarioResult
from tools.verify.upstream import UpstreamCheck


@dataclass
class Report:
    pins: dict[str, str]
    series: dict[str, str]
    variants: dict[str, str]
    cells: list[CellResult]
    safety: list[ScenarioResult]
    upstream_tests: list[UpstreamCheck]
    environment: dict[str, Any]
    started: str
    seconds: float
    notes: list[str] = field(default_factory=list)
    real: list[AuditResult] = field(default_factory=list)
    real_seconds: float = 0.0  # the real-projects phase, not counted in `seconds`
    phases: dict[str, float] = field(default_factory=dict)  # seconds per phase (phases.py)
    prefixes: list[PrefixResult] = field(default_factory=list)  # the stack's proper prefixes
    prefixes_seconds: float = 0.0  # the prefix phase, not counted in `seconds`

    @property
    def ok(self) -> bool:
        return (
            all(c.ok for c in self.cells)
            and all(s.ok for s in self.safety)
            and all(u.ok for u in self.upstream_tests)
            and all(r.ok for r in self.real)
            and all(p.ok for p in self.prefixes)
        )

    def failures(self) -> list[str]:
        failed = [
            f"cell maturin {c.maturin} x pyo3 {c.pyo3} | {c.frontend} | {c.fixture}: expected "
            f"{c.expected}; {'; '.join(c.problems)}"
            for c in self.cells
            if not c.ok
        ]
        failed += [
            f"safety {s.scenario}: expected {s.expected}, observed {s.observed}"
            for s in self.safety
            if not s.ok
        ]
        failed += [
            f"upstream {u.command}: {u.failed} failed" for u in self.upstream_tests if not u.ok
        ]
        failed += [
            f"real project {r.project.name}: {problem}" for r in self.real for problem in r.problems
        ]
        failed += [failure for prefix in self.prefixes for failure in prefix.failures()]
        return failed

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["real"] = [result.to_json() for result in self.real]
        # absent when the phase did not run, as the schema declares
        data.pop("prefixes")
        seconds = data.pop("prefixes_seconds")
        if self.prefixes:
            data["prefixes"] = [prefix.to_json() for prefix in self.prefixes]
            data["prefixes_seconds"] = seconds
        data["ok"] = self.ok
        return data


def public_json(report: Report) -> dict[str, Any]:
    """The report as written: paths of the machine that measured shown by their kind
    (`<venv>/bin/python3`, `<base>/bin/python3.11`, `<cache>/...`), so a report can be committed
    and published without them."""
    return scrubbed(report.to_json())


def write_json(report: Report, path: Path) -> None:
    write_atomic(path, dump_report(public_json(report)))


def report_frontends(data: Mapping[str, Any]) -> list[str]:
    """The frontends a report's cells were measured with, in the usual order."""
    return [f for f in FRONTENDS if any(cell["frontend"] == f for cell in data["cells"])]


def render_markdown(data: dict[str, Any]) -> str:
    """Markdown from the JSON form, so a committed report can be rendered again."""
    return render_template(
        "verify-report.md.j2", report=data, frontends=report_frontends(data), stack=stack_rows(data)
    )


def write_markdown(report: Report, path: Path) -> None:
    write_atomic(path, render_markdown(public_json(report)))
