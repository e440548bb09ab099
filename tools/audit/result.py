"""What an audit found: typed results, the verdict, and their JSON and Markdown forms."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from tools.audit.buildscripts import BuildScriptFinding, RunRecord
from tools.templates import render_template
from tools.verify.frontends import FRONTENDS, Frontend

Configuration = Literal["stock", "series"]
CONFIGURATIONS: tuple[Configuration, ...] = ("stock", "series")


@dataclass
class AuditBuild:
    """One configuration built twice through one frontend against one target dir."""

    configuration: Configuration
    frontend: Frontend
    cold_s: float
    warm_s: float
    compiled: list[str]
    pyo3_compiled: list[str]
    reasons: dict[str, list[str]]
    build_scripts_rerun: list[str]
    python_cold: str
    python_warm: str
    base_python_exported: bool
    import_ok: bool
    import_detail: str
    wheel: str


@dataclass
class AuditProject:
    name: str
    version: str
    source: str
    origin: str
    sha256: str
    pyo3: str
    packages: int


@dataclass
class AuditResult:
    project: AuditProject
    series: dict[str, str]  # empty when measured with --stock-only
    builds: list[AuditBuild]
    build_scripts: list[BuildScriptFinding]
    started: str
    seconds: float
    problems: list[str] = field(default_factory=list)

    def build(self, configuration: Configuration, frontend: Frontend) -> AuditBuild | None:
        return next(
            (b for b in self.builds if (b.configuration, b.frontend) == (configuration, frontend)),
            None,
        )

    def savings(self) -> dict[Frontend, float]:
        """Per frontend: warm rebuild seconds of stock minus those with the series."""
        saved: dict[Frontend, float] = {}
        for frontend in FRONTENDS:
            stock, series = self.build("stock", frontend), self.build("series", frontend)
            if stock and series:
                saved[frontend] = round(stock.warm_s - series.warm_s, 1)
        return saved

    @property
    def ok(self) -> bool:
        return not self.problems

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AuditResult:
        """The result again from its JSON form (`savings` and `ok` are derived, not read)."""
        findings = []
        for finding in data["build_scripts"]:
            runs = [RunRecord(**run) for run in finding["runs"]]
            findings.append(BuildScriptFinding(**{**finding, "runs": runs}))
        return cls(
            project=AuditProject(**data["project"]),
            series=data["series"],
            builds=[AuditBuild(**build) for build in data["builds"]],
            build_scripts=findings,
            started=data["started"],
            seconds=data["seconds"],
            problems=data["problems"],
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["savings"] = self.savings()
        data["ok"] = self.ok
        return data


def judge_audit(result: AuditResult) -> list[str]:
    """What must hold for any project: every wheel imports, and with the series the warm
    rebuild compiles no pyo3 crate whenever maturin exported PYO3_BASE_PYTHON."""
    problems = []
    for build in result.builds:
        label = f"{build.configuration} | {build.frontend}"
        if not build.import_ok:
            problems.append(f"{label}: the wheel did not import: {build.import_detail}")
        if build.configuration == "series" and build.pyo3_compiled:
            problems.append(
                f"{label}: the warm rebuild compiled {', '.join(build.pyo3_compiled)} "
                "with the series"
            )
    return problems


def own_reasons(build: AuditBuild, package: str) -> str:
    """Why cargo rebuilt a package, leaving out the consequence of a dependency's rebuild."""
    own = [r for r in build.reasons.get(package, []) if "dependency changed" not in r]
    return "; ".join(own) or "a dependency changed"


def build_rows(result: AuditResult) -> list[list[str]]:
    """The terminal and Markdown table's rows, one per configuration and frontend."""
    rows = []
    for build in result.builds:
        pyo3 = [f"{name} ({own_reasons(build, name)})" for name in build.pyo3_compiled]
        rows.append(
            [build.frontend, build.configuration, f"{build.cold_s:.1f}", f"{build.warm_s:.1f}",
             str(len(build.compiled)), ", ".join(pyo3) or "none",
             ", ".join(build.build_scripts_rerun) or "none",
             "yes" if build.import_ok else "NO"]
        )  # fmt: skip
    return rows


BUILD_COLUMNS = ["frontend", "configuration", "cold s", "warm s", "crates compiled on warm",
                 "pyo3 crates compiled (why)", "build scripts rerun", "import"]  # fmt: skip


def render_markdown(data: dict[str, Any]) -> str:
    return render_template("audit-report.md.j2", audit=data)


def write_json(result: AuditResult, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result.to_json(), indent=2) + "\n")


def write_markdown(result: AuditResult, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_markdown(result.to_json()))
