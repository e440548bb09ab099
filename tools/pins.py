"""Typed loader for `patches/pins.toml`: upstream versions, their sources and patch series."""

from __future__ import annotations

import re
import sys
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal, cast

from packaging.version import InvalidVersion, Version

from tools.errors import ConfigError
from tools.gitvalues import check_branch, check_tag, check_url

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

Project = Literal["pyo3", "maturin"]
PROJECTS: tuple[Project, ...] = ("pyo3", "maturin")
ArtifactKind = Literal["crate", "sdist"]

_SHA256 = re.compile(r"[0-9a-f]{64}")
_COMMIT = re.compile(r"[0-9a-f]{40}")
_FILENAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")

# In a checkout, the checkout's series; installed from a wheel, the copy shipped inside the
# package (pyproject.toml maps patches/ to tools/_patches/), which is read-only for the tools.
CHECKOUT_PINS = Path(__file__).resolve().parent.parent / "patches" / "pins.toml"
PACKAGED_PINS = Path(__file__).resolve().parent / "_patches" / "pins.toml"
DEFAULT_PINS = CHECKOUT_PINS if CHECKOUT_PINS.is_file() else PACKAGED_PINS


def is_packaged(pins_path: Path) -> bool:
    """Whether pins_path is the copy installed with the package (never written by the tools)."""
    try:
        return pins_path.resolve() == PACKAGED_PINS.resolve()
    except OSError:
        return False


@dataclass(frozen=True, kw_only=True)
class Artifact:
    """One published file (a .crate or an sdist) and where it sits in upstream's repository."""

    name: str
    kind: ArtifactKind
    url: str
    sha256: str
    path: str
    drop: tuple[str, ...]

    @property
    def filename(self) -> str:
        return self.url.rsplit("/", 1)[-1]


@dataclass(frozen=True, kw_only=True)
class StackEntry:
    """One pull request of a stack: its title and the patches it carries, in series order."""

    title: str
    patches: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Pin:
    project: Project
    version: str
    git_url: str
    tag: str
    commit: str
    branch: str
    patches: tuple[str, ...]
    # The series as an ordered stack of pull requests: each one builds on the ones before it,
    # and their patches, in order, are exactly `patches`.
    stack: tuple[StackEntry, ...]
    artifacts: tuple[Artifact, ...]
    not_shipped: tuple[str, ...]
    series_dir: Path
    # Files whose hunks `tools port` carried over verbatim from another series because the
    # registry artifacts do not ship them: not checked against this release.
    not_checked: tuple[str, ...] = ()
    # For a pin on an upstream branch (not a release): the branch and the commit's date. Its
    # `version` is the commit's first 12 hex digits and it has no tag.
    upstream_branch: str | None = None
    date: str | None = None

    @property
    def patch_paths(self) -> tuple[Path, ...]:
        return tuple(self.series_dir / name for name in self.patches)

    def pr_index(self, patch: str) -> int:
        """Which pull request of the stack (1-based) carries `patch`."""
        for index, entry in enumerate(self.stack, start=1):
            if patch in entry.patches:
                return index
        raise ValueError(f"{patch} is not in the stack of {self.project} {self.version}")

    def pr_number_of(self, patch: str, numbers: Sequence[int] | None) -> int | None:
        """The number of the pull request carrying `patch`, given one per pull request."""
        return None if numbers is None else numbers[self.pr_index(patch) - 1]

    @property
    def is_release(self) -> bool:
        return self.upstream_branch is None

    @property
    def sort_key(self) -> tuple[int, Version, str]:
        """Branch pins sort before releases, so the newest release stays the default."""
        if self.upstream_branch is not None:
            return (0, Version("0"), self.date or "")
        return (1, Version(self.version), "")

    def is_shipped(self, path: str) -> bool:
        """Whether the registry artifacts carry this repository path."""
        for prefix in self.not_shipped:
            folder = prefix if prefix.endswith("/") else prefix + "/"
            if path == prefix.rstrip("/") or path.startswith(folder):
                return False
        return True


@dataclass(frozen=True)
class Pins:
    path: Path
    pins: tuple[Pin, ...]

    def for_project(self, project: str) -> tuple[Pin, ...]:
        if project not in PROJECTS:
            raise ConfigError(f"unknown project {project!r}; known projects: {', '.join(PROJECTS)}")
        found = tuple(pin for pin in self.pins if pin.project == project)
        return tuple(sorted(found, key=lambda pin: pin.sort_key))

    def select(self, project: str, version: str | None) -> Pin:
        candidates = self.for_project(project)
        if not candidates:
            raise ConfigError(f"{self.path}: no pins for {project}")
        if version is None:
            return candidates[-1]
        for pin in candidates:
            if pin.version == version:
                return pin
        known = ", ".join(pin.version for pin in candidates)
        raise ConfigError(f"no pin for {project} {version} in {self.path}; pinned: {known}")


class _Fields:
    """Reads typed values out of one TOML table, naming the table in every error."""

    def __init__(self, where: str, table: Mapping[str, Any]) -> None:
        self.where = where
        self.table = table

    def string(self, key: str, pattern: re.Pattern[str] | None = None) -> str:
        value = self.table.get(key)
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{self.where}: missing or empty `{key}`")
        if pattern is not None and not pattern.fullmatch(value):
            raise ConfigError(f"{self.where}: `{key}` = {value!r} is not {pattern.pattern}")
        return value

    def optional_string(self, key: str, default: str) -> str:
        value = self.table.get(key, default)
        if not isinstance(value, str):
            raise ConfigError(f"{self.where}: `{key}` must be a string")
        return value

    def strings(self, key: str, *, required: bool = True) -> tuple[str, ...]:
        value = self.table.get(key, None if required else [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ConfigError(f"{self.where}: `{key}` must be a list of strings")
        if required and not value:
            raise ConfigError(f"{self.where}: `{key}` is empty")
        return tuple(cast(list[str], value))

    def tables(self, key: str, *, required: bool = True) -> list[Mapping[str, Any]]:
        value = self.table.get(key, None if required else [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise ConfigError(f"{self.where}: `{key}` must be a list of tables")
        if required and not value:
            raise ConfigError(f"{self.where}: `{key}` must be a non-empty list of tables")
        return cast(list[Mapping[str, Any]], value)


def inside_problem(value: str) -> str | None:
    """Why a relative path from the pins could leave its folder or reach git's own files."""
    path = PurePosixPath(value)
    if value.startswith("/") or path.is_absolute() or "\\" in value or ":" in value:
        return "it is absolute"
    if ".." in path.parts:
        return "it has a '..' segment"
    if any(part.casefold() == ".git" for part in path.parts):
        return "it names a .git folder"
    return None


def _relative(where: str, key: str, value: str) -> str:
    if value and (problem := inside_problem(value)) is not None:
        raise ConfigError(f"{where}: `{key}` = {value!r} must stay inside its folder: {problem}")
    return value


def _artifact_url(where: str, url: str) -> str:
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("https", "file") or (parsed.scheme == "https" and not parsed.netloc):
        raise ConfigError(f"{where}: `url` = {url!r} is not an https:// or file:// URL")
    name = url.rsplit("/", 1)[-1]
    if not _FILENAME.fullmatch(name) or name.endswith(".part"):
        raise ConfigError(f"{where}: `url` = {url!r} does not end in a plain file name")
    return url


def _artifact(where: str, table: Mapping[str, Any]) -> Artifact:
    fields = _Fields(where, table)
    kind = fields.string("kind")
    if kind not in ("crate", "sdist"):
        raise ConfigError(f"{where}: `kind` = {kind!r} is not 'crate' or 'sdist'")
    return Artifact(
        name=fields.string("name"),
        kind=cast(ArtifactKind, kind),
        url=_artifact_url(where, fields.string("url")),
        sha256=fields.string("sha256", _SHA256),
        path=_relative(where, "path", fields.optional_string("path", "")),
        drop=tuple(_relative(where, "drop", d) for d in fields.strings("drop", required=False)),
    )


def _patch_names(where: str, names: tuple[str, ...]) -> tuple[str, ...]:
    for name in names:
        if not _FILENAME.fullmatch(name):
            raise ConfigError(
                f"{where}: series entry {name!r} is not a plain file name in the series folder"
            )
    return names


_TITLE_MAX = 72


def _stack(
    where: str, tables: list[Mapping[str, Any]], patches: tuple[str, ...]
) -> tuple[StackEntry, ...]:
    entries = []
    for index, table in enumerate(tables, start=1):
        fields = _Fields(f"{where} stack #{index}", table)
        title = fields.string("title")
        if len(title) > _TITLE_MAX or not title.isprintable():
            raise ConfigError(
                f"{where} stack #{index}: `title` must be printable and "
                f"at most {_TITLE_MAX} characters"
            )
        entries.append(StackEntry(title=title, patches=fields.strings("patches")))
    listed = tuple(name for entry in entries for name in entry.patches)
    if listed != patches:
        raise ConfigError(
            f"{where}: the stack's patches, in order, must be exactly the series "
            f"(`patches`); the stack lists {len(listed)}, the series {len(patches)}"
        )
    return tuple(entries)


def _pin(pins_path: Path, index: int, table: Mapping[str, Any], projects: Mapping[str, Any]) -> Pin:
    where = f"{pins_path} [[pins]] #{index + 1}"
    fields = _Fields(where, table)
    project = fields.string("project")
    if project not in PROJECTS:
        raise ConfigError(f"{where}: unknown project {project!r}")
    version = fields.string("version")
    upstream_branch = table.get("upstream_branch")
    if upstream_branch is None:
        try:
            Version(version)
        except InvalidVersion as exc:
            raise ConfigError(f"{where}: `version` = {version!r} is not a version") from exc
    where = f"{pins_path} ({project} {version})"
    fields = _Fields(where, table)
    project_table = projects.get(project)
    if not isinstance(project_table, dict):
        raise ConfigError(f"{pins_path}: missing [projects.{project}] table")
    project_fields = _Fields(f"{pins_path} [projects.{project}]", project_table)
    series_dir = pins_path.parent / project / version
    commit = fields.string("commit", _COMMIT)
    date = None
    if upstream_branch is not None:
        upstream_branch = check_branch(
            fields.string("upstream_branch"), source=f"{where} upstream_branch"
        )
        date = fields.string("date")
        if version != commit[:12]:
            raise ConfigError(
                f"{where}: a pin on branch {upstream_branch} is named after its commit; "
                f"`version` must be {commit[:12]!r}"
            )
    artifacts = tuple(
        _artifact(f"{where} artifact #{i + 1}", item)
        for i, item in enumerate(fields.tables("artifacts", required=False))
    )
    project_where = f"{pins_path} [projects.{project}]"
    patches = _patch_names(where, fields.strings("patches"))
    pin = Pin(
        project=project,
        version=version,
        git_url=check_url(project_fields.string("git_url"), source=f"{project_where} git_url"),
        branch=check_branch(project_fields.string("branch"), source=f"{project_where} branch"),
        not_shipped=project_fields.strings("not_shipped"),
        tag=""
        if upstream_branch is not None
        else check_tag(fields.string("tag"), source=f"{where} tag"),
        commit=commit,
        patches=patches,
        stack=_stack(where, fields.tables("stack"), patches),
        artifacts=artifacts,
        series_dir=series_dir,
        not_checked=fields.strings("not_checked", required=False),
        upstream_branch=upstream_branch,
        date=date,
    )
    shipped = [path for path in pin.not_checked if pin.is_shipped(path)]
    if shipped:
        raise ConfigError(
            f"{where}: `not_checked` lists files the registry artifacts ship: {', '.join(shipped)}"
        )
    return pin


def _check_series_files(pin: Pin) -> None:
    where = f"{pin.series_dir}"
    if not pin.series_dir.is_dir():
        raise ConfigError(f"{where}: series folder for {pin.project} {pin.version} is missing")
    if len(set(pin.patches)) != len(pin.patches):
        raise ConfigError(f"{where}: a patch is listed twice in the series")
    folder = pin.series_dir.resolve()
    for path in pin.patch_paths:
        if path.resolve().parent != folder:
            raise ConfigError(f"{path}: resolves outside the series folder {pin.series_dir}")
        if not path.is_file():
            raise ConfigError(f"{path}: listed in the series but missing")
    listed = set(pin.patches)
    unlisted = sorted(p.name for p in pin.series_dir.glob("*.patch") if p.name not in listed)
    if unlisted:
        raise ConfigError(f"{where}: patch files not listed in the series: {', '.join(unlisted)}")


def load_pins(path: Path = DEFAULT_PINS, *, check_files: bool = True) -> Pins:
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: pins file not found") from exc
    except IsADirectoryError as exc:
        raise ConfigError(f"{path}: is a directory, not a pins file") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text, so not a pins file") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the pins file: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    projects = data.get("projects")
    if not isinstance(projects, dict):
        raise ConfigError(f"{path}: missing [projects] table")
    raw_pins = data.get("pins")
    if not isinstance(raw_pins, list) or not raw_pins:
        raise ConfigError(f"{path}: no [[pins]] entries")
    pins = tuple(_pin(path, i, table, projects) for i, table in enumerate(raw_pins))
    seen: set[tuple[str, str]] = set()
    for pin in pins:
        key = (pin.project, pin.version)
        if key in seen:
            raise ConfigError(f"{path}: {pin.project} {pin.version} is pinned twice")
        seen.add(key)
        if check_files:
            _check_series_files(pin)
    return Pins(path=path, pins=pins)


def pin_as_json(pin: Pin) -> dict[str, object]:
    return {
        "project": pin.project,
        "version": pin.version,
        "git_url": pin.git_url,
        "tag": pin.tag,
        "commit": pin.commit,
        "branch": pin.branch,
        "patches": list(pin.patches),
        "stack": [{"title": entry.title, "patches": list(entry.patches)} for entry in pin.stack],
        "artifacts": [
            {"name": a.name, "kind": a.kind, "url": a.url, "sha256": a.sha256, "path": a.path}
            for a in pin.artifacts
        ],
        "not_shipped": list(pin.not_shipped),
        "not_checked": list(pin.not_checked),
        "upstream_branch": pin.upstream_branch,
        "date": pin.date,
    }


def series_rows(pins: Sequence[Pin]) -> list[list[str]]:
    return [
        [pin.project, pin.version, pin.tag, pin.commit[:12], str(len(pin.patches))] for pin in pins
    ]
