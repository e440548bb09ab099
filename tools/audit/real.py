"""The real projects `tools verify` audits: published maturin projects nobody here wrote, on the
pinned pyo3 line, small enough for the time budget."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tools.audit.result import AuditResult
from tools.audit.run import AuditInputs, AuditOptions, audit
from tools.cache import Cache
from tools.errors import ConfigError
from tools.pins import Pin
from tools.reporter import Reporter
from tools.verify.frontends import Frontend

# Chosen by reading the sdists' Cargo.lock and build scripts (2026-11): both lock pyo3 0.30.1
# and build in well under a minute on two cores.
REAL_PROJECTS: dict[str, str] = {
    # build.rs calls pyo3_build_config::get() and use_pyo3_cfgs(); 33 locked packages
    "ormsgpack": "pypi:ormsgpack==1.13.1",
    # a cargo workspace under crates/ whose jiter crate's build.rs calls use_pyo3_cfgs()
    "jiter": "pypi:jiter==0.19.0",
}
REAL_FRONTENDS: tuple[Frontend, ...] = ("uv", "build")


def real_specs(value: str) -> list[str]:
    """`none`, `default`, or comma-separated names of REAL_PROJECTS, `NAME==VERSION` or
    `pypi:NAME==VERSION` for any other project on PyPI."""
    if value == "none":
        return []
    if value == "default":
        return list(REAL_PROJECTS.values())
    specs = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        if item in REAL_PROJECTS:
            specs.append(REAL_PROJECTS[item])
        elif item.startswith("pypi:") or "==" in item:
            specs.append(item if item.startswith("pypi:") else f"pypi:{item}")
        else:
            raise ConfigError(
                f"--real: unknown project {item!r}",
                hint=f"choose from {', '.join(REAL_PROJECTS)}, or give NAME==VERSION",
            )
    return specs


def audit_real_projects(
    specs: Sequence[str],
    *,
    frontends: Sequence[Frontend],
    python: Path,
    pyo3: Pin,
    maturin: Pin,
    inputs: AuditInputs,
    cache: Cache,
    reporter: Reporter,
) -> list[AuditResult]:
    results = []
    for number, spec in enumerate(specs, 1):
        reporter.step(f"real project {number}/{len(specs)}: {spec}")
        options = AuditOptions(source=spec, frontends=frontends, stock_only=False,
                               python=python, pyo3_pins=(pyo3,), maturin=maturin)  # fmt: skip
        results.append(audit(options, cache, reporter, inputs))
    return results
