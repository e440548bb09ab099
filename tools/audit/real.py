"""The real projects `tools verify` audits: published maturin projects nobody here wrote, on the
pinned pyo3 line, small enough for the time budget."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tools.audit.lockfile import find_workspace, locked_pyo3, locked_versions
from tools.audit.result import AuditProject, AuditResult
from tools.audit.run import AuditInputs, AuditOptions, audit
from tools.audit.source import resolve_source
from tools.cache import Cache
from tools.errors import CommandFailed, ConfigError
from tools.pins import Pin
from tools.reporter import Reporter
from tools.verify.frontends import Frontend


@dataclass(frozen=True)
class RealProject:
    name: str
    spec: str
    pyo3: str  # the pyo3 version the sdist's Cargo.lock holds: the pin that serves it
    why: str  # what its build scripts do with Python


# Chosen by reading the sdists' Cargo.lock and build scripts (2026-11). A verify of one pyo3 pin
# audits the projects that lock that pin's version.
REAL_PROJECTS: tuple[RealProject, ...] = (
    RealProject(
        "ormsgpack",
        "pypi:ormsgpack==1.13.1",
        "0.30.1",
        "build.rs calls pyo3_build_config::get() and use_pyo3_cfgs(); 33 locked packages",
    ),
    RealProject(
        "jiter",
        "pypi:jiter==0.19.0",
        "0.30.1",
        "a workspace under crates/ whose jiter crate's build.rs calls use_pyo3_cfgs()",
    ),
    # The newest release on a pinned line whose build script runs Python: 49.0.0 and later
    # lock pyo3 0.29.0 or 0.29.2, which no pin serves.
    RealProject(
        "cryptography",
        "pypi:cryptography==48.0.1",
        "0.28.3",
        "the cryptography-cffi crate's build.rs runs PYO3_PYTHON on _cffi_src/"
        "build_openssl.py (imports cffi) and on setuptools; it registers "
        "rerun-if-env-changed=PYO3_PYTHON itself",
    ),
)
REAL_FRONTENDS: tuple[Frontend, ...] = ("uv", "build")


def describe_defaults() -> str:
    """The default projects per pyo3 version, for `--help`."""
    lines: dict[str, list[str]] = {}
    for project in REAL_PROJECTS:
        lines.setdefault(project.pyo3, []).append(project.name)
    return "; ".join(f"{', '.join(names)} on pyo3 {pyo3}" for pyo3, names in lines.items())


def sdist_pyo3(spec: str, cache: Cache, reporter: Reporter) -> str:
    """The pyo3 version the Cargo.lock of a `pypi:NAME==VERSION` sdist holds (downloads it)."""
    source = resolve_source(spec, cache, reporter)
    return locked_pyo3(locked_versions(find_workspace(source.root).lock.read_text()))


def real_plan(
    value: str,
    verified: Sequence[str],
    pinned: Sequence[str],
    locked_line: Callable[[str], str],
) -> Mapping[str, list[str]]:
    """Which real projects the verify of each pyo3 version in `verified` audits.

    `value` is `none`, `default` (the REAL_PROJECTS that lock that version), or comma-separated
    names of REAL_PROJECTS, `NAME==VERSION` or `pypi:NAME==VERSION`. A named project goes to
    the verify of the pyo3 version it locks (`locked_line` reads it from the sdist for an
    unknown one); one that locks a version not verified here is refused before anything is
    built, naming both, because a verify report carries the audits of its own series only."""
    plan: dict[str, list[str]] = {version: [] for version in verified}
    if value == "none":
        return plan
    if value == "default":
        for project in REAL_PROJECTS:
            if project.pyo3 in plan:
                plan[project.pyo3].append(project.spec)
        return plan
    known = {project.name: project for project in REAL_PROJECTS}
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        if item in known:
            spec, line = known[item].spec, known[item].pyo3
        elif item.startswith("pypi:") or "==" in item:
            spec = item if item.startswith("pypi:") else f"pypi:{item}"
            line = locked_line(spec)
        else:
            raise ConfigError(
                f"--real: unknown project {item!r}",
                hint=f"choose from {', '.join(known)}, or give NAME==VERSION",
            )
        if line not in plan:
            raise ConfigError(
                f"--real: {item} locks pyo3 {line}; this verify runs pyo3 {', '.join(verified)}",
                hint=f"verify it with --pyo3 {line}, or use --all-pins"
                if line in pinned
                else f"no series serves pyo3 {line} (pinned: {', '.join(pinned)}); "
                f"`tools audit --stock-only {spec}` measures it as published",
            )
        plan[line].append(spec)
    return plan


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
        options = AuditOptions(
            source=spec,
            frontends=frontends,
            stock_only=False,
            python=python,
            pyo3_pins=(pyo3,),
            maturin=maturin,
        )
        try:
            results.append(audit(options, cache, reporter, inputs))
        except CommandFailed as exc:
            # One project that cannot build here (a missing system library, a download that
            # failed) is a failed row of the report, not the loss of the whole verify run.
            reporter.warn(f"real project {spec}: {exc}")
            results.append(_failed(spec, str(exc)))
    return results


def _failed(spec: str, message: str) -> AuditResult:
    name, _, version = spec.removeprefix("pypi:").partition("==")
    project = AuditProject(
        name=name, version=version, source=spec, origin="", sha256="", pyo3="", packages=0
    )
    started = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
    return AuditResult(
        project=project,
        series={},
        builds=[],
        build_scripts=[],
        started=started,
        seconds=0.0,
        problems=[f"the audit failed: {message}"],
    )
