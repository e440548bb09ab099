"""What an audit found: typed results, the verdict, and their JSON and Markdown forms."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from tools.audit.buildscripts import BuildScriptFinding, RunRecord
from tools.audit.explain import explain
from tools.audit.today import use_it_today
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
    import_ok: bool  # the compiled module loaded, and the package imported if it was tried
    import_detail: str
    wheel: str
    # Records written before the import check installed dependencies lack these.
    extension_module: str = ""
    dependencies_installed: bool | None = None
    dependencies_detail: str = ""
    package_imported: bool | None = None  # None: not tried (its dependencies did not install)
    config_file: bool = False  # maturin handed pyo3 a config file (PYO3_CONFIG_FILE), as for abi3


@dataclass
class AuditProject:
    name: str
    version: str
    source: str
    origin: str
    sha256: str
    pyo3: str
    packages: int
    pyo3_crate: str = "pyo3"  # pyo3-ffi for a project that uses it without pyo3
    pyo3_crates: list[str] = field(default_factory=list)  # the pyo3 crates its lock holds


@dataclass
class AuditResult:
    project: AuditProject
    series: dict[str, str]  # empty when measured with --stock-only
    builds: list[AuditBuild]
    build_scripts: list[BuildScriptFinding]
    started: str
    seconds: float
    problems: list[str] = field(default_factory=list)
    # What could not be checked through no fault of the series (a dependency the registry
    # did not install); not a problem, but the audit is incomplete.
    unchecked: list[str] = field(default_factory=list)
    # {"from": locked version, "to": pinned version} when the copies' Cargo.lock was moved to
    # the pinned release of the same minor line before anything was built.
    lock_moved: dict[str, str] = field(default_factory=dict)

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
        """The result again from its JSON form (`savings`, `ok`, `why` and `use_it_today` are
        derived, not read)."""
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
            unchecked=data.get("unchecked", []),
            lock_moved=data.get("lock_moved", {}),
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["savings"] = self.savings()
        data["ok"] = self.ok
        data["why"] = explain(self.builds)
        today = use_it_today(self)
        # Through JSON, so the record equals its own round trip (tuples become lists).
        data["use_it_today"] = None if today is None else json.loads(json.dumps(asdict(today)))
        return data


def _once(found: list[tuple[str, str]]) -> list[str]:
    """(build label, message) pairs as one line per message, naming every build it holds for."""
    labels: dict[str, list[str]] = {}
    for label, message in found:
        labels.setdefault(message, []).append(label)
    return [f"{', '.join(names)}: {message}" for message, names in labels.items()]


def judge_audit(result: AuditResult) -> list[str]:
    """What must hold for any project: every wheel imports, and with the series the warm
    rebuild compiles no pyo3 crate whenever maturin exported PYO3_BASE_PYTHON. Each problem is
    listed once, with the builds it holds for."""
    found = []
    for build in result.builds:
        label = f"{build.configuration} | {build.frontend}"
        if not build.import_ok:
            found.append((label, f"the wheel did not import: {build.import_detail}"))
        if build.configuration == "series" and build.pyo3_compiled:
            found.append(
                (
                    label,
                    f"the warm rebuild compiled {', '.join(build.pyo3_compiled)} with the series",
                )
            )
    return _once(found)


def judge_unchecked(result: AuditResult) -> list[str]:
    """What the audit could not check: wheels whose dependencies the registry did not install
    (their compiled module was loaded; the package import was not tried)."""
    found = []
    for build in result.builds:
        if build.dependencies_installed is False:
            found.append(
                (
                    f"{build.configuration} | {build.frontend}",
                    f"the wheel's dependencies did not install from the registry "
                    f"({build.dependencies_detail}); {build.extension_module} loaded, "
                    "the package import was not tried",
                )
            )
    return _once(found)


def own_reasons(build: AuditBuild, package: str) -> str:
    """Why cargo rebuilt a package, leaving out the consequence of a dependency's rebuild."""
    own = [r for r in build.reasons.get(package, []) if "dependency changed" not in r]
    return "; ".join(own) or "a dependency changed"


def import_cell(build: AuditBuild) -> str:
    if not build.import_ok:
        return "NO"
    return "module only" if build.dependencies_installed is False else "yes"


def build_rows(result: AuditResult) -> list[list[str]]:
    """The terminal and Markdown table's rows, one per configuration and frontend."""
    rows = []
    for build in result.builds:
        pyo3 = [f"{name} ({own_reasons(build, name)})" for name in build.pyo3_compiled]
        rows.append(
            [
                build.frontend,
                build.configuration,
                f"{build.cold_s:.1f}",
                f"{build.warm_s:.1f}",
                str(len(build.compiled)),
                ", ".join(pyo3) or "none",
                ", ".join(build.build_scripts_rerun) or "none",
                import_cell(build),
            ]
        )
    return rows


def compact_rows(result: AuditResult) -> list[list[str]]:
    """The terminal table's rows: short cells only, so 80 columns keep them whole; cargo's
    reasons follow as lines of their own (`rebuild_lines`)."""
    return [
        [
            build.frontend,
            build.configuration,
            f"{build.cold_s:.1f}",
            f"{build.warm_s:.1f}",
            str(len(build.compiled)),
            str(len(build.pyo3_compiled)),
            import_cell(build),
        ]
        for build in result.builds
    ]


COMPACT_COLUMNS = [
    "frontend",
    "config",
    "cold s",
    "warm s",
    "warm: crates",
    "of them pyo3",
    "import",
]


def rebuild_lines(result: AuditResult) -> list[str]:
    """Per build, the pyo3 crates its warm build recompiled for a reason of their own, with
    cargo's reason in full (paths are not cut), and how many followed a dependency."""
    lines = []
    for build in result.builds:
        own = [(name, own_reasons(build, name)) for name in build.pyo3_compiled]
        first = [f"{name} ({why})" for name, why in own if why != "a dependency changed"]
        followed = len(own) - len(first)
        if own:
            tail = f"{followed} more because a dependency changed" if followed else ""
            lines.append(
                f"{build.configuration} | {build.frontend}: "
                + "; ".join([*first, tail] if tail else first)
            )
    return lines


BUILD_COLUMNS = [
    "frontend",
    "configuration",
    "cold s",
    "warm s",
    "crates compiled on warm",
    "pyo3 crates compiled (why)",
    "build scripts rerun",
    "import",
]


def render_markdown(data: dict[str, Any]) -> str:
    return render_template("audit-report.md.j2", audit=data)


def write_json(result: AuditResult, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result.to_json(), indent=2) + "\n")


def write_markdown(result: AuditResult, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_markdown(result.to_json()))
