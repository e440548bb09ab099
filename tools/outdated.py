"""`tools outdated`: which pins have a newer upstream release to be ported onto.

`assess` is pure (pins and recorded registry answers in, a verdict out); `query` asks the
registries through a fetch function that tests replace.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from packaging.version import Version

from tools.errors import CommandFailed
from tools.pins import PROJECTS, Pin, Pins, Project
from tools.registry import (
    FetchText,
    Registries,
    RegistryUnreachable,
    Release,
    crate_releases,
    pypi_releases,
    stable,
)


@dataclass(frozen=True)
class LineStatus:
    """One minor line (`0.29`, `1.16`) that has a pin."""

    line: str
    pinned: str
    newest: str | None


@dataclass(frozen=True)
class NeededPort:
    project: Project
    from_version: str
    to_version: str
    reason: str

    @property
    def command(self) -> str:
        return f"tools port {self.project} --from {self.from_version} --to {self.to_version}"


@dataclass(frozen=True)
class ProjectStatus:
    project: Project
    pinned: tuple[str, ...]
    newest: str | None
    lines: tuple[LineStatus, ...]
    ports: tuple[NeededPort, ...]


def _line(version: Version) -> tuple[int, int]:
    return (version.major, version.minor)


def _line_name(line: tuple[int, int]) -> str:
    return f"{line[0]}.{line[1]}"


def assess(project: Project, pins: Sequence[Pin], releases: tuple[Release, ...]) -> ProjectStatus:
    """The verdict for one project: a port for every pinned line with a newer patch release,
    and one from the newest pin onto the newest release when that opens a line not pinned."""
    released = [pin for pin in pins if pin.is_release]
    branch_pins = [f"{pin.upstream_branch}@{pin.version}" for pin in pins if not pin.is_release]
    versions = stable(releases)
    newest = versions[-1] if versions else None
    newest_pin_of_line: dict[tuple[int, int], Version] = {}
    for pin in released:
        version = Version(pin.version)
        line = _line(version)
        newest_pin_of_line[line] = max(version, newest_pin_of_line.get(line, version))
    lines = []
    ports = []
    for line, pinned in sorted(newest_pin_of_line.items()):
        on_line = [v for v in versions if _line(v) == line]
        line_newest = on_line[-1] if on_line else None
        lines.append(LineStatus(_line_name(line), str(pinned), str(line_newest or "") or None))
        if line_newest is not None and line_newest > pinned:
            reason = f"{line_newest} is the newest release of the {_line_name(line)} line"
            ports.append(NeededPort(project, str(pinned), str(line_newest), reason))
    if newest is not None and newest_pin_of_line and _line(newest) not in newest_pin_of_line:
        newest_pinned = max(newest_pin_of_line.values())
        if newest > newest_pinned:
            reason = f"{newest} opens the {_line_name(_line(newest))} line, which has no pin"
            ports.append(NeededPort(project, str(newest_pinned), str(newest), reason))
    pinned_names = tuple(pin.version for pin in released) + tuple(branch_pins)
    return ProjectStatus(
        project, pinned_names, str(newest) if newest else None, tuple(lines), tuple(ports)
    )


def query(
    fetch: FetchText, registries: Registries, projects: Sequence[Project] = PROJECTS
) -> dict[Project, tuple[Release, ...]]:
    """The releases of every project: pyo3 from the crate registry, maturin from PyPI."""
    try:
        found: dict[Project, tuple[Release, ...]] = {}
        for project in projects:
            if project == "pyo3":
                found[project] = crate_releases("pyo3", fetch, registries)
            else:
                found[project] = pypi_releases("maturin", fetch, registries)
    except RegistryUnreachable as exc:
        raise CommandFailed(
            f"the registries cannot be reached, nothing was compared: {exc}",
            hint="check the network, or point --crate-index and --pypi at a reachable mirror",
        ) from exc
    return found


def outdated(pins: Pins, releases: Mapping[Project, tuple[Release, ...]]) -> list[ProjectStatus]:
    return [assess(project, pins.for_project(project), releases[project]) for project in releases]


def _port_json(port: NeededPort) -> dict[str, str]:
    return {
        "from": port.from_version,
        "to": port.to_version,
        "reason": port.reason,
        "command": port.command,
    }


def as_json(statuses: Sequence[ProjectStatus]) -> dict[str, object]:
    return {
        "port_needed": any(status.ports for status in statuses),
        "projects": [
            {
                "project": status.project,
                "pinned": list(status.pinned),
                "newest": status.newest,
                "lines": [
                    {"line": line.line, "pinned": line.pinned, "newest": line.newest}
                    for line in status.lines
                ],
                "ports": [_port_json(port) for port in status.ports],
            }
            for status in statuses
        ],
    }


def _line_of(version: str) -> str:
    return _line_name(_line(Version(version)))


def rows(statuses: Sequence[ProjectStatus]) -> list[list[str]]:
    """project, line, pinned, newest of the line, newest release, what to do."""
    table = []
    for status in statuses:
        line_names = {line.line for line in status.lines}
        for line in status.lines:
            port = next(
                (
                    p
                    for p in status.ports
                    if p.from_version == line.pinned and _line_of(p.to_version) == line.line
                ),
                None,
            )
            action = f"port {port.from_version} to {port.to_version}" if port else "up to date"
            table.append(
                [
                    status.project,
                    line.line,
                    line.pinned,
                    line.newest or "-",
                    status.newest or "-",
                    action,
                ]
            )
        table.extend(
            [
                status.project,
                _line_of(port.to_version),
                "-",
                port.to_version,
                status.newest or "-",
                f"port {port.from_version} to {port.to_version}",
            ]
            for port in status.ports
            if _line_of(port.to_version) not in line_names
        )
    return table
