"""What a project's `Cargo.lock` and `pyproject.toml` say: the pyo3 crates it locks, where its
cargo workspace is, and what its build needs."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from tools.errors import ConfigError
from tools.pins import Pin

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

PYO3_CRATES = ("pyo3", "pyo3-build-config", "pyo3-ffi", "pyo3-macros", "pyo3-macros-backend")
_SKIPPED_DIRS = {"target", ".git", ".venv", "node_modules"}


@dataclass(frozen=True)
class Workspace:
    """The cargo workspace of a project: where `Cargo.lock` is, next to its root manifest."""

    root: Path
    lock: Path

    @property
    def manifest(self) -> Path:
        return self.root / "Cargo.toml"


def find_workspace(project: Path) -> Workspace:
    """The shallowest `Cargo.lock` under the project (an sdist may keep its crates in a
    subdirectory, as jiter does with `crates/`)."""
    locks = [
        path
        for path in project.rglob("Cargo.lock")
        if not _SKIPPED_DIRS.intersection(path.relative_to(project).parts)
    ]
    if not locks:
        raise ConfigError(
            f"{project} has no Cargo.lock",
            hint="run `cargo generate-lockfile` in the project, or audit its sdist",
        )
    lock = min(locks, key=lambda path: (len(path.relative_to(project).parts), str(path)))
    if not (lock.parent / "Cargo.toml").is_file():
        raise ConfigError(f"{lock} has no Cargo.toml next to it")
    return Workspace(lock.parent, lock)


def locked_versions(lock_text: str, names: Sequence[str] = PYO3_CRATES) -> dict[str, list[str]]:
    """The versions of the named packages a `Cargo.lock` holds (a lock may hold several)."""
    try:
        data = tomllib.loads(lock_text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Cargo.lock is not valid TOML: {exc}") from exc
    found: dict[str, list[str]] = {}
    for package in data.get("package", []):
        name, version = package.get("name"), package.get("version")
        if name in names and isinstance(version, str):
            found.setdefault(name, []).append(version)
    return found


def locked_pyo3(locked: Mapping[str, list[str]]) -> str:
    """The one pyo3 version a `Cargo.lock` holds: pyo3's, or pyo3-ffi's for a project that uses
    pyo3-ffi without pyo3 (orjson does)."""
    crate = pyo3_crate(locked)
    versions = sorted(set(locked[crate]))
    if len(versions) > 1:
        raise ConfigError(f"the project's Cargo.lock holds several {crate} versions: {versions}")
    return versions[0]


def pyo3_crate(locked: Mapping[str, list[str]]) -> str:
    """The crate whose version decides the pin: pyo3, or pyo3-ffi when pyo3 is not locked."""
    for crate in ("pyo3", "pyo3-ffi"):
        if locked.get(crate):
            return crate
    raise ConfigError(
        "the project's Cargo.lock has no pyo3 package and no pyo3-ffi package",
        hint="tools audit measures projects built on pyo3 or pyo3-ffi",
    )


def patched_crates(locked: Mapping[str, list[str]]) -> list[str]:
    """The pyo3 crates `[patch.crates-io]` replaces: pyo3-ffi and pyo3-build-config always
    (the series changes both), the others only when the lock holds them."""
    wanted = {"pyo3-ffi", "pyo3-build-config"} | {c for c in PYO3_CRATES if c in locked}
    return [crate for crate in PYO3_CRATES if crate in wanted]


def git_sources(lock_text: str) -> list[tuple[str, str]]:
    """(package, repository URL) of every git dependency a `Cargo.lock` holds."""
    try:
        data = tomllib.loads(lock_text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Cargo.lock is not valid TOML: {exc}") from exc
    found = []
    for package in data.get("package", []):
        source = package.get("source")
        if isinstance(source, str) and source.startswith("git+"):
            url = source.removeprefix("git+").split("#", 1)[0].split("?", 1)[0]
            found.append((str(package.get("name")), url))
    return found


def _line(version: str) -> tuple[int, ...]:
    """A version's minor line (0.29.0 and 0.29.3 share (0, 29))."""
    try:
        return Version(version).release[:2]
    except InvalidVersion:
        return ()


def choose_pyo3_pin(
    locked: Mapping[str, list[str]], pins: Sequence[Pin], *, exact: bool = True
) -> tuple[Pin, str | None]:
    """The pin whose series serves the project's pyo3 (or pyo3-ffi), and the locked version
    the copy's lock moves from (None: the lock holds the pinned version). A lock of another
    patch release of a pinned minor line is served by moving it (unless `exact`), so stock and
    series build the same pyo3 code; any other version is refused."""
    version = locked_pyo3(locked)
    served = ", ".join(pin.version for pin in pins) or "none"
    for pin in pins:
        if pin.version == version:
            return pin, None
    same_line = [pin for pin in pins if _line(version) and _line(pin.version) == _line(version)]
    if same_line and not exact:
        return max(same_line, key=lambda pin: Version(pin.version)), version
    hint = (
        "without --exact the audit moves the copy's lock to the pinned release"
        if same_line
        else "`tools port` carries the series to another pyo3 version; "
        "`tools audit --stock-only` measures the project without the series"
    )
    raise ConfigError(
        f"the project locks {pyo3_crate(locked)} {version}; the series serves pyo3 {served}",
        hint=hint,
    )


@dataclass(frozen=True)
class BuildRequirements:
    maturin: Requirement | None
    others: tuple[str, ...]


def build_requirements(pyproject_text: str) -> BuildRequirements:
    """maturin's requirement and everything else `[build-system] requires` lists."""
    try:
        data: dict[str, Any] = tomllib.loads(pyproject_text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"pyproject.toml is not valid TOML: {exc}") from exc
    system = data.get("build-system", {})
    if system.get("build-backend") != "maturin":
        raise ConfigError(
            f"the project's build backend is {system.get('build-backend')!r}, not maturin",
            hint="tools audit measures maturin projects",
        )
    maturin: Requirement | None = None
    others: list[str] = []
    for text in system.get("requires", []):
        try:
            requirement = Requirement(text)
        except InvalidRequirement as exc:
            raise ConfigError(f"pyproject.toml: bad build requirement {text!r}: {exc}") from exc
        if requirement.name.lower() == "maturin":
            maturin = requirement
        else:
            others.append(text)
    return BuildRequirements(maturin, tuple(others))
