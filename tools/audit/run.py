"""Runs an audit: the project as published and with the series, each built twice per frontend
against one target dir (the second build in a fresh isolated environment, as a CI cache restore
would), with cargo's own account of what the second build compiled and why."""

from __future__ import annotations

import datetime
import re
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tools.audit.buildscripts import (
    BuildScriptFinding,
    LocalModules,
    RunRecord,
    ScriptUse,
    judge_build_script,
    output_uses,
    referenced_scripts,
    rerun_envs,
    scan_build_script,
)
from tools.audit.importcheck import check_import, error_line
from tools.audit.lockfile import (
    PYO3_CRATES,
    BuildRequirements,
    Workspace,
    build_requirements,
    choose_pyo3_pin,
    find_workspace,
    git_sources,
    locked_versions,
    patched_crates,
    pyo3_crate,
)
from tools.audit.patching import add_crates_io_patch, copy_project
from tools.audit.resolve import move_lock, own_target_dir, resolve
from tools.audit.result import (
    CONFIGURATIONS,
    AuditBuild,
    AuditProject,
    AuditResult,
    Configuration,
    judge_audit,
    judge_unchecked,
)
from tools.audit.source import ProjectSource, resolve_source
from tools.cache import Cache
from tools.errors import CommandFailed, ConfigError
from tools.gitops import Git
from tools.pins import Pin
from tools.reporter import Reporter
from tools.runner import Runner
from tools.verify.artifacts import Variant, maturin_wheels, series_hash, source_trees, wheelhouse
from tools.verify.frontends import BuildRun, BuildSetup, Frontend, build_wheel

_VARIANT: dict[Configuration, Variant] = {"stock": "old", "series": "new"}


@dataclass(frozen=True, kw_only=True)
class AuditOptions:
    source: str
    frontends: Sequence[Frontend]
    stock_only: bool
    python: Path
    pyo3_pins: tuple[Pin, ...]
    maturin: Pin
    # Refuse a lock of another patch release of a pinned minor line instead of moving it.
    exact: bool = False


@dataclass(frozen=True, kw_only=True)
class AuditInputs:
    """What verify has already prepared and an audit can reuse."""

    maturin_wheels: dict[Variant, Path]
    patched_pyo3: dict[str, Path]  # pyo3 version -> tree with the series


def _prepare_copy(
    *,
    source: ProjectSource,
    workspace: Workspace,
    dest: Path,
    skipped: Sequence[Path],
    patched: Path | None,
    crates: Sequence[str],
    git: Sequence[tuple[str, str]],
    runner: Runner,
    move: tuple[str, str] | None,
) -> tuple[Path, dict[str, Any]]:
    """A copy of the project (with the series' crates patched in when `patched` is given),
    resolved by cargo with every source downloaded: the stock copy on its lock as it is.
    `move` is (crate, pinned version) when the copy's lock moves to the pinned release first."""
    project = copy_project(source.root, dest, skipped)
    copy = Workspace(
        project / workspace.root.relative_to(source.root),
        project / workspace.lock.relative_to(source.root),
    )
    if move is not None:
        move_lock(runner, copy, *move)
    if patched is not None:
        copy.manifest.write_text(add_crates_io_patch(copy.manifest.read_text(), patched, crates))
    metadata = resolve(runner, copy, locked=patched is None, git=git)
    if patched is not None:
        unused = [p["name"] for p in metadata["packages"] if p["name"] in crates and p["source"]]
        if unused:
            raise ConfigError(
                f"cargo did not use the patched {', '.join(unused)} in {copy.manifest}",
                hint="the project's pyo3 requirement may exclude the pinned version",
            )
    return project, metadata


_BUILD_DIR = re.compile(r"(?P<package>.+)-[0-9a-f]{16}")


def _script_outputs(target: Path) -> dict[str, Path]:
    """The newest build-script `output` file of each package in a target dir."""
    newest: dict[str, Path] = {}
    for path in target.glob("**/build/*/output"):
        match = _BUILD_DIR.fullmatch(path.parent.name)
        if match is None:
            continue
        known = newest.get(match["package"])
        if known is None or path.stat().st_mtime > known.stat().st_mtime:
            newest[match["package"]] = path
    return newest


def _local_modules(directories: Sequence[Path]) -> LocalModules:
    """Looks a top-level module name up in the project's directories: a package's `.py` files,
    or a module file."""

    def sources(name: str) -> list[str]:
        for directory in directories:
            package, module = directory / name, directory / f"{name}.py"
            if package.is_dir() and (package / "__init__.py").is_file():
                return [f.read_text(errors="replace") for f in sorted(package.rglob("*.py"))]
            if module.is_file():
                return [module.read_text(errors="replace")]
        return []

    return sources


def _search_path(crate: Path, scripts: Sequence[Path], project: Path) -> list[Path]:
    """Where a build script's Python finds the project's own modules: the crate directory (the
    working directory of `python -c`), and each script's directory and the directories above it
    up to the project (scripts put those on sys.path, as cryptography's build_openssl.py does)."""
    found = [crate]
    for script in scripts:
        directory = script.resolve().parent
        while directory.is_relative_to(project):
            if directory not in found:
                found.append(directory)
            if directory == project:
                break
            directory = directory.parent
    return found


def _scripts(metadata: dict[str, Any], project: Path) -> list[tuple[str, str, ScriptUse]]:
    """Every build script among the resolved packages (pyo3's own aside), classified."""
    found = []
    project = project.resolve()
    for package in metadata["packages"]:
        if package["name"] in PYO3_CRATES:
            continue
        for target in package["targets"]:
            if "custom-build" not in target["kind"]:
                continue
            script = Path(target["src_path"])
            crate = Path(package["manifest_path"]).parent
            files = [script] if script.parent == crate else sorted(script.parent.glob("*.rs"))
            text = "\n".join(f.read_text(errors="replace") for f in files if f.is_file())
            named = [crate / name for name in referenced_scripts(text) if (crate / name).is_file()]
            python = {
                str(path.relative_to(crate)): path.read_text(errors="replace") for path in named
            }
            local = _local_modules(_search_path(crate, named, project))
            use = scan_build_script(text, python, local)
            found.append((package["name"], package["version"], use))
    return found


@dataclass
class _Measured:
    build: AuditBuild
    target: Path
    cold: BuildRun
    warm_started: float


def _build(
    runner: Runner, frontend: Frontend, project: Path, out: Path, setup: BuildSetup, *, label: str
) -> BuildRun:
    """One build; a failure's headline is cargo's (or the frontend's) first `error:` line."""
    try:
        return build_wheel(runner, frontend, project, out, setup)
    except CommandFailed as exc:
        said = error_line(exc.output)
        if not said:
            raise
        raise CommandFailed(f"{label}: the build failed: {said}", output=exc.output) from exc


def _build_pair(
    *,
    runner: Runner,
    reporter: Reporter,
    configuration: Configuration,
    frontend: Frontend,
    project: Path,
    where: Path,
    setup: BuildSetup,
    python: Path,
) -> _Measured:
    label = f"{configuration} | {frontend}"
    with reporter.progress(f"{label}: cold build"):
        cold = _build(runner, frontend, project, where / "dist-cold", setup, label=label)
    warm_started = time.time()
    with reporter.progress(f"{label}: warm build in a fresh isolated environment"):
        warm = _build(runner, frontend, project, where / "dist-warm", setup, label=label)
    with reporter.progress(f"{label}: importing the wheel in a fresh venv"):
        checked = check_import(runner, warm.wheel, python, where / "venv")
    evidence = warm.evidence
    rerun = [
        name
        for name, reasons in evidence.reasons.items()
        if any(r.startswith("build script:") for r in reasons)
    ]
    build = AuditBuild(
        configuration=configuration,
        frontend=frontend,
        cold_s=round(cold.seconds, 1),
        warm_s=round(warm.seconds, 1),
        compiled=list(evidence.compiled),
        pyo3_compiled=[name for name in evidence.compiled if name in PYO3_CRATES],
        reasons=evidence.reasons,
        build_scripts_rerun=rerun,
        python_cold=cold.evidence.maturin_env.get("PYO3_PYTHON", ""),
        python_warm=evidence.maturin_env.get("PYO3_PYTHON", ""),
        base_python_exported="PYO3_BASE_PYTHON" in evidence.maturin_env,
        import_ok=checked.ok,
        import_detail=checked.detail,
        wheel=warm.wheel.name,
        extension_module=checked.extension,
        dependencies_installed=checked.dependencies_installed,
        dependencies_detail=checked.dependencies_detail,
        package_imported=checked.package_ok,
        config_file="PYO3_CONFIG_FILE" in evidence.maturin_env,
    )
    return _Measured(build, setup.target_dir, cold, warm_started)


def _findings(
    scripts: list[tuple[str, str, ScriptUse]], measured: list[_Measured]
) -> list[BuildScriptFinding]:
    findings = []
    outputs = [_script_outputs(m.target) for m in measured]
    for name, version, use in scripts:
        runs: list[RunRecord] = []
        registered: set[str] = set()
        for m, found in zip(measured, outputs, strict=True):
            output = found.get(name)
            if output is None:
                continue  # not built for this target (a dev- or platform-specific dependency)
            registered |= rerun_envs(output.read_text(errors="replace"))
            reran = name in m.build.build_scripts_rerun or output.stat().st_mtime >= m.warm_started
            python = m.build.python_warm if reran else m.build.python_cold
            runs.append(RunRecord(m.build.configuration, m.build.frontend, reran, python))
        uses = use.describe() + output_uses(registered)
        if not runs or not uses:
            continue  # not built, or nothing to do with Python
        finding = BuildScriptFinding(name, version, uses, use.interpreter(), runs)
        finding.flag = judge_build_script(use, registered, runs)
        findings.append(finding)
    return findings


def _in_wheelhouse(house: Path, requirement: str) -> bool:
    """Whether the wheelhouse already has a wheel of the required project (the verify
    wheelhouse carries the build-time-only package of the downstream fixtures)."""
    name = canonicalize_name(Requirement(requirement).name).replace("-", "_")
    return any(
        canonicalize_name(w.name.split("-", 1)[0]).replace("-", "_") == name
        for w in house.glob("*.whl")
    )


def _maturin_fits(
    options: AuditOptions, requirements: BuildRequirements, configurations: Sequence[Configuration]
) -> bool:
    """Whether the pinned maturin meets the project's requirement; a series configuration that
    it does not meet is refused before anything is resolved or built."""
    fits = requirements.maturin is None or requirements.maturin.specifier.contains(
        Version(options.maturin.version), prereleases=True
    )
    if not fits and "series" in configurations:
        raise ConfigError(
            f"the project requires {requirements.maturin}; the maturin series serves "
            f"{options.maturin.version}",
            hint="`tools audit --stock-only` measures the project as published",
        )
    return fits


def _wheelhouses(
    *,
    options: AuditOptions,
    configurations: Sequence[Configuration],
    wheels: dict[Variant, Path],
    requirements: BuildRequirements,
    fits: bool,
    work: Path,
    runner: Runner,
) -> dict[Configuration, Path]:
    houses: dict[Configuration, Path] = {}
    for configuration in configurations:
        house = work / f"wheelhouse-{configuration}"
        extra = list(requirements.others)
        if fits:
            wheelhouse(house, wheels[_VARIANT[configuration]])
        else:
            # --stock-only: the maturin the project asks for, as published on PyPI.
            wheelhouse(house, wheels["old"])
            (house / wheels["old"].name).unlink()
            extra.append(str(requirements.maturin))
        extra = [r for r in extra if not _in_wheelhouse(house, r)]
        if extra:
            runner.run(
                [
                    options.python,
                    "-m",
                    "pip",
                    "download",
                    "--quiet",
                    "--only-binary",
                    ":all:",
                    "--dest",
                    house,
                    *extra,
                ]
            )
        houses[configuration] = house
    return houses


def audit(
    options: AuditOptions,
    cache: Cache,
    reporter: Reporter,
    inputs: AuditInputs | None = None,
) -> AuditResult:
    """Reads the lock and resolves the project with cargo first (seconds; a dependency that
    cannot be fetched stops here), then prepares maturin and builds."""
    started = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    start = time.monotonic()
    runner = Runner(reporter)
    reporter.step(f"resolving {options.source}")
    source = resolve_source(options.source, cache, reporter)
    workspace = find_workspace(source.root)
    lock_text = workspace.lock.read_text()
    locked = locked_versions(lock_text)
    crate = pyo3_crate(locked) if locked.get("pyo3-ffi") or locked.get("pyo3") else "pyo3"
    pyo3_locked = ", ".join(sorted(set(locked.get(crate, [])))) or "none"
    reporter.info(f"{source.name} {source.version} locks {crate} {pyo3_locked}")
    configurations: tuple[Configuration, ...] = ("stock",) if options.stock_only else CONFIGURATIONS
    pin, moved_from = (
        (None, None)
        if options.stock_only
        else choose_pyo3_pin(locked, options.pyo3_pins, exact=options.exact)
    )
    move = None if pin is None or moved_from is None else (crate, pin.version)
    if move is not None:
        reporter.info(
            f"no pin serves {crate} {moved_from} exactly; the copies' Cargo.lock moves to "
            f"{move[1]} of the same minor line (--exact refuses instead)"
        )
    requirements = build_requirements((source.root / "pyproject.toml").read_text())
    fits = _maturin_fits(options, requirements, configurations)
    git = git_sources(lock_text)
    work = cache.builds / "audit" / "work" / f"{source.name}-{source.version}"
    skipped = [t for t in [own_target_dir(runner, workspace, source.root)] if t is not None]

    copies: dict[Configuration, Path] = {}
    metadata: dict[str, Any] = {}
    git_ops = Git(runner)
    for configuration in configurations:
        patched = None
        if pin is not None and configuration == "series":
            patched = (
                inputs.patched_pyo3[pin.version]
                if inputs is not None
                else source_trees(pin, cache, git_ops, reporter).new
            )
        with reporter.progress(f"{configuration}: copying the project and resolving its crates"):
            copies[configuration], data = _prepare_copy(
                source=source,
                workspace=workspace,
                dest=work / configuration / "project",
                skipped=skipped,
                patched=patched,
                crates=patched_crates(locked),
                git=git,
                runner=runner,
                move=move,
            )
        metadata = metadata or data
    reporter.step(f"resolved {len(metadata['packages'])} packages; every source is fetched")

    if inputs is None:
        reporter.step("preparing maturin without and with the series")
        trees = source_trees(options.maturin, cache, git_ops, reporter)
        inputs = AuditInputs(
            maturin_wheels=maturin_wheels(options.maturin, trees, cache, runner, reporter),
            patched_pyo3={},
        )
    houses = _wheelhouses(
        options=options,
        configurations=configurations,
        wheels=inputs.maturin_wheels,
        requirements=requirements,
        fits=fits,
        work=work,
        runner=runner,
    )

    measured: list[_Measured] = []
    total = len(options.frontends) * len(configurations)
    for frontend in options.frontends:
        for configuration in configurations:
            reporter.step(f"build pair {len(measured) + 1}/{total}: {configuration} | {frontend}")
            where = work / configuration / frontend
            for stale in ("target", "dist-cold", "dist-warm", "venv"):
                _remove(where / stale)
            setup = BuildSetup(
                wheelhouse=houses[configuration],
                target_dir=where / "target",
                python=options.python,
                extra_env={},
            )
            pair = _build_pair(
                runner=runner,
                reporter=reporter,
                configuration=configuration,
                frontend=frontend,
                project=copies[configuration],
                where=where,
                setup=setup,
                python=options.python,
            )
            measured.append(pair)

    result = AuditResult(
        project=AuditProject(
            name=source.name,
            version=source.version,
            source=source.spec,
            origin=source.origin,
            sha256=source.sha256,
            pyo3=pyo3_locked,
            packages=lock_text.count("[[package]]"),
            pyo3_crate=crate,
            pyo3_crates=sorted(locked),
        ),
        series={}
        if pin is None
        else {
            "pyo3": f"{pin.version} + {len(pin.patches)} patches ({series_hash(pin)})",
            "maturin": f"{options.maturin.version} + {len(options.maturin.patches)} patches "
            f"({series_hash(options.maturin)})",
        },
        builds=[m.build for m in measured],
        build_scripts=_findings(_scripts(metadata, copies[configurations[0]]), measured),
        started=started.isoformat(),
        seconds=round(time.monotonic() - start, 1),
        lock_moved={} if move is None else {"from": pyo3_locked, "to": move[1]},
    )
    result.problems = judge_audit(result)
    result.unchecked = judge_unchecked(result)
    return result


def _remove(path: Path) -> None:
    if path.exists():
        shutil.rmtree(path)
    if path.exists():
        raise CommandFailed(f"could not remove {path}")
