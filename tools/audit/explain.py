"""Why the builds of an audit did what they did, in plain words: the interpreter paths that
differed between the two builds (shortened to their stable parts), what that made pyo3 do, and,
for a build that hands pyo3 a config file (abi3), why there is nothing to gain."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tools.audit.result import AuditBuild

ISSUE = "https://github.com/PyO3/pyo3/issues/6113"
_SCRIPT_DIRS = ("bin", "Scripts")


def short_interpreter(path: str) -> tuple[str, str]:
    """(`<build-env>/bin/python`, the environment's folder name) for an interpreter inside a
    virtual environment; (the path, "") for any other."""
    pure = PureWindowsPath(path) if "\\" in path else PurePosixPath(path)
    parts = pure.parts
    for index in range(len(parts) - 2, 0, -1):
        if parts[index] in _SCRIPT_DIRS:
            return "/".join(("<build-env>", *parts[index:])), parts[index - 1]
    return path, ""


def _interpreters(build: AuditBuild) -> str:
    cold, cold_env = short_interpreter(build.python_cold)
    warm, warm_env = short_interpreter(build.python_warm)
    if cold == warm and cold_env and warm_env:
        return f"{cold} of a new environment each time ({cold_env}, then {warm_env})"
    return f"{cold} for the first build and {warm} for the second"


def _crates(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"the {len(names)} pyo3 crates"


def explain(builds: Sequence[AuditBuild]) -> list[str]:
    """One plain sentence per build that says why it did (or did not) recompile pyo3 (each
    short enough for a Markdown cell; the link to pyo3#6113 goes next to them)."""
    lines = []
    for build in builds:
        label = f"{build.configuration} | {build.frontend}"
        moved = build.python_cold != build.python_warm
        if build.configuration == "stock" and build.pyo3_compiled and moved:
            lines.append(
                f"{label}: maturin set PYO3_PYTHON to {_interpreters(build)}; pyo3's build "
                "script reruns whenever PYO3_PYTHON changes, so cargo recompiled "
                f"{_crates(build.pyo3_compiled)} and every crate built on them."
            )
        elif build.configuration == "stock" and build.config_file and not build.pyo3_compiled:
            lines.append(
                f"{label}: nothing to gain: maturin handed pyo3 a config file (PYO3_CONFIG_FILE, "
                "as it does for abi3 builds), so pyo3's build script does not follow "
                "PYO3_PYTHON and a new build environment recompiles no pyo3 crate."
            )
        elif build.configuration == "stock" and not build.pyo3_compiled and not moved:
            lines.append(
                f"{label}: both builds ran under one interpreter (no new isolated environment), "
                "so nothing had to rerun."
            )
        elif build.configuration == "series" and not build.pyo3_compiled and moved:
            lines.append(
                f"{label}: PYO3_PYTHON changed as with stock, but maturin also exported "
                "PYO3_BASE_PYTHON (the interpreter the environments are made from), which the "
                "patched pyo3 prefers, so no pyo3 crate was recompiled."
                if build.base_python_exported
                else f"{label}: PYO3_PYTHON changed and no pyo3 crate was recompiled."
            )
    return lines
