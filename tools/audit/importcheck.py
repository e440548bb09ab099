"""Whether a built wheel works: its compiled extension module is loaded by file in a fresh venv
(without running the package's `__init__`, so a runtime dependency cannot fail it), and, when the
wheel's declared dependencies install from the registry, the package is imported as a user would.

A dependency that cannot be installed (no network, a registry without it) is recorded as that,
and only the package import is left unchecked."""

from __future__ import annotations

import re
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tools.errors import ConfigError
from tools.platforms import HOST
from tools.runner import Runner

_EXTENSION_SUFFIXES = (".so", ".pyd")
_ERROR_LINE = re.compile("(?:error(?:\\[\\w+\\])?:|\u00d7)")

# Loads each extension file by its path under site-packages with its dotted name, so the
# parent package's `__init__` (and what it imports) never runs.
LOAD_EXTENSIONS = """\
import importlib.util, sys, sysconfig
from pathlib import Path
site = Path(sysconfig.get_paths()["platlib"])
for name, relative in zip(sys.argv[1::2], sys.argv[2::2]):
    spec = importlib.util.spec_from_file_location(name, site / relative)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    print("loaded", name)
"""


def top_level_module(names: Sequence[str]) -> str:
    """The importable top-level name in a wheel's file list."""
    for name in sorted(names, key=lambda n: (n.count("/"), n)):
        first = name.split("/", 1)[0]
        if first.endswith((".dist-info", ".data")):
            continue
        if "/" in name:
            return first
        if name.endswith((".so", ".pyd", ".py")):
            return first.split(".", 1)[0]
    raise ConfigError(f"the wheel holds no importable module: {', '.join(names[:5])}")


def extension_modules(names: Sequence[str]) -> dict[str, str]:
    """Dotted module name -> path inside the wheel, for each compiled extension module
    (`pycrdt/_pycrdt.cpython-312-x86_64-linux-gnu.so` is `pycrdt._pycrdt`)."""
    found = {}
    for name in sorted(names):
        parts = name.split("/")
        if parts[0].endswith((".dist-info", ".data")) or not name.endswith(_EXTENSION_SUFFIXES):
            continue
        module = parts[-1].split(".", 1)[0]
        found[".".join([*parts[:-1], module])] = name
    return found


@dataclass(frozen=True, kw_only=True)
class ImportCheck:
    extension: str  # the dotted names of the compiled modules, comma-separated
    extension_ok: bool
    extension_detail: str
    package: str
    dependencies_installed: bool
    dependencies_detail: str  # why they did not install; "" when they did
    package_ok: bool | None  # None: not tried, the dependencies did not install
    package_detail: str

    @property
    def ok(self) -> bool:
        """Everything that could be checked imported."""
        return self.extension_ok and self.package_ok is not False

    @property
    def detail(self) -> str:
        if not self.extension_ok:
            return f"{self.extension}: {self.extension_detail}"
        if self.package_ok is False:
            return f"import {self.package}: {self.package_detail}"
        return ""


def error_line(text: str) -> str:
    """The line that says what went wrong: the first `error:` line (cargo, uv) or uv's
    cross-marked one, or else the last line (a Python traceback's exception)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    errors = [line for line in lines if _ERROR_LINE.match(line)]
    return errors[0] if errors else lines[-1] if lines else ""


def check_import(runner: Runner, wheel: Path, python: Path, venv: Path) -> ImportCheck:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    package = top_level_module(names)
    extensions = extension_modules(names)
    uv: list[str | Path] = [sys.executable, "-m", "uv"]
    runner.run([*uv, "venv", "--quiet", "--python", python, venv])
    venv_python = HOST.venv_python(venv)
    install: list[str | Path] = [*uv, "pip", "install", "--quiet", "--python", venv_python]
    with_deps = runner.run([*install, wheel], check=False)
    installed = with_deps.returncode == 0
    if not installed:
        runner.run([*install, "--no-index", "--no-deps", wheel])
    if extensions:
        pairs = [part for item in extensions.items() for part in item]
        loaded = runner.run([venv_python, "-c", LOAD_EXTENSIONS, *pairs], check=False)
        extension_ok = loaded.returncode == 0
        extension_detail = "" if extension_ok else error_line(loaded.stderr or loaded.stdout)
    else:
        extension_ok, extension_detail = False, "the wheel holds no compiled extension module"
    package_ok: bool | None = None
    package_detail = ""
    if installed:
        imported = runner.run([venv_python, "-c", f"import {package}"], check=False)
        package_ok = imported.returncode == 0
        package_detail = "" if package_ok else error_line(imported.stderr or imported.stdout)
    return ImportCheck(
        extension=", ".join(extensions) or "none",
        extension_ok=extension_ok,
        extension_detail=extension_detail,
        package=package,
        dependencies_installed=installed,
        dependencies_detail="" if installed else error_line(with_deps.stderr or with_deps.stdout),
        package_ok=package_ok,
        package_detail=package_detail,
    )
