"""What differs between Linux, macOS and Windows, in one place: where a venv keeps its
interpreter, how executables are named, how PATH is joined, how a path goes into TOML.

Everything here is pure: it works on `PurePath`s, so each platform's layout can be checked on
any machine. `HOST` is the layout of the platform the tools run on, chosen once.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath, PurePosixPath, PureWindowsPath
from typing import Literal, TypeVar

PlatformName = Literal["linux", "macos", "windows"]
P = TypeVar("P", bound=PurePath)


@dataclass(frozen=True, kw_only=True)
class Layout:
    name: PlatformName
    path_type: type[PurePath]
    # A venv's folder of executables, and where a base install keeps its interpreter.
    scripts_dir: str
    base_interpreter_dir: str
    exe_suffix: str
    path_list_separator: str
    # Whether `python -m venv --symlinks` works for an ordinary user.
    venv_symlinks: bool
    # The default spelling of file names: case-insensitive on Windows and on macOS's default
    # APFS volumes (a machine can differ; `spelled_otherwise` in the scenarios checks).
    case_sensitive_by_default: bool
    # Why a base install cannot be relocated by copying its interpreter's binary next to a
    # link to its standard library (None: it can, CPython finds its prefix from the binary).
    no_relocated_copy: str | None = None

    def executable(self, stem: str) -> str:
        """A program's file name: `python` -> `python.exe` on Windows."""
        return stem + self.exe_suffix

    def venv_scripts(self, venv: P) -> P:
        return venv / self.scripts_dir

    def venv_python(self, venv: P) -> P:
        return self.venv_scripts(venv) / self.executable("python")

    def venv_root(self, venv_python: P) -> P:
        """The venv an interpreter from `venv_python` belongs to (its folder's parent)."""
        return venv_python.parent.parent

    def venv_args(self, *, copies: bool = False) -> list[str]:
        """Options for `python -m venv`: symlinks where they need no privilege, else copies."""
        return ["--copies"] if copies or not self.venv_symlinks else ["--symlinks"]

    def python_names(self, version: str, *, free_threaded: bool = False) -> list[str]:
        """File names a CPython `version` ("3.14") goes by on PATH, most specific first."""
        suffix = "t" if free_threaded else ""
        major = version.split(".", 1)[0]
        return [
            self.executable(f"python{version}{suffix}"),
            self.executable(f"python{major}{suffix}"),
        ]

    def base_interpreter(self, prefix: P, name: str) -> P:
        """A base install's interpreter `name` under `sys.base_prefix`."""
        folder = prefix / self.base_interpreter_dir if self.base_interpreter_dir else prefix
        return folder / name

    def shell_join(self, args: Sequence[str]) -> str:
        """A command line to print for the user to run in this platform's shell: POSIX quoting,
        or on Windows the quoting its C runtime parses (`subprocess.list2cmdline`)."""
        if self.name == "windows":
            return subprocess.list2cmdline(list(args))
        return shlex.join(args)

    def join_path_list(self, entries: list[str]) -> str:
        return self.path_list_separator.join(entry for entry in entries if entry)

    def split_path_list(self, value: str) -> list[str]:
        return [entry for entry in value.split(self.path_list_separator) if entry]

    def activated(self, venv: PurePath, path_value: str) -> dict[str, str]:
        """The variables activating `venv` sets: VIRTUAL_ENV, and its scripts first on PATH."""
        scripts = str(self.venv_scripts(self.path_type(venv)))
        return {
            "VIRTUAL_ENV": str(self.path_type(venv)),
            "PATH": self.join_path_list([scripts, *self.split_path_list(path_value)]),
        }


def toml_path(path: PurePath) -> str:
    """A path for the inside of a TOML basic string ("..."), with forward slashes (cargo takes
    them on every platform, and a backslash would start an escape)."""
    text = path.as_posix() if isinstance(path, PureWindowsPath) else str(path)
    return text.replace("\\", "\\\\").replace('"', '\\"')


LINUX = Layout(
    name="linux",
    path_type=PurePosixPath,
    scripts_dir="bin",
    base_interpreter_dir="bin",
    exe_suffix="",
    path_list_separator=":",
    venv_symlinks=True,
    case_sensitive_by_default=True,
)
MACOS = Layout(
    name="macos",
    path_type=PurePosixPath,
    scripts_dir="bin",
    base_interpreter_dir="bin",
    exe_suffix="",
    path_list_separator=":",
    venv_symlinks=True,
    case_sensitive_by_default=False,
)
WINDOWS = Layout(
    name="windows",
    path_type=PureWindowsPath,
    scripts_dir="Scripts",
    base_interpreter_dir="",
    exe_suffix=".exe",
    path_list_separator=";",
    venv_symlinks=False,
    case_sensitive_by_default=False,
    no_relocated_copy="python.exe needs its DLLs and Lib folder beside it, and "
    "linking a folder needs privileges",
)
LAYOUTS: dict[PlatformName, Layout] = {"linux": LINUX, "macos": MACOS, "windows": WINDOWS}


def layout_for(platform: str) -> Layout:
    """The layout for a `sys.platform` value; every other system (cygwin's Python included) is
    laid out as Linux."""
    if platform == "win32":
        return WINDOWS
    if platform == "darwin":
        return MACOS
    return LINUX


HOST = layout_for(sys.platform)
