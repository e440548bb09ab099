"""Build scripts that run Python or read pyo3's interpreter: found in the crates' sources and in
what the scripts printed, and judged against the series.

With the series, pyo3 no longer reruns for a new build environment, and neither does a build
script that only followed it (through `get()`, or because pyo3's build script reran before it).
That is right for a script that needs the interpreter's version or ABI, and wrong for one whose
output depends on the packages installed in the build environment: such a script must rerun on
its own, through `pyo3_build_config::build_env_interpreter()` (or by registering
`rerun-if-env-changed=PYO3_PYTHON` itself).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

_RUN_PYTHON_SCRIPT = re.compile(r"\brun_python_script(?:_with_envs)?\s*\(")
_COMMAND = re.compile(r"Command::new\(\s*(?P<arg>[^)]*?)\s*\)")
_PYTHONISH = re.compile(r"python|interpreter|executable", re.IGNORECASE)
_GET = re.compile(
    r"pyo3_build_config::(?:get|use_pyo3_cfgs)\s*\(|use\s+pyo3_build_config::(?:\{[^}]*\bget\b|get\b)"
)
_OPT_IN = re.compile(r"\bbuild_env_interpreter\s*\(")
_RERUN_ENV = re.compile(r"^cargo::?rerun-if-env-changed=(?P<name>\S+)\s*$", re.MULTILINE)
_RERUN_PYO3_PYTHON_IN_SOURCE = re.compile(r"rerun-if-env-changed=PYO3_PYTHON\b")
_IMPORT = re.compile(
    r"(?:^|[;\s\"'(]|\\n)"
    r"(?:from\s+(?P<source>[A-Za-z_]\w*)[\w.]*\s+import\b|import\s+(?P<module>[A-Za-z_]\w*))"
)
_SCRIPT_NAME = re.compile(r"\"(?P<name>[A-Za-z0-9_./-]+\.py)\"")
_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ())) | {"__future__"}


@dataclass(frozen=True)
class ScriptUse:
    """How one build script's source deals with Python."""

    runs_python: bool = False
    reads_pyo3_python: bool = False
    calls_get: bool = False
    opt_in: bool = False
    tracks_pyo3_python: bool = False
    imports: tuple[str, ...] = ()
    scripts: tuple[str, ...] = ()

    @property
    def touches_python(self) -> bool:
        return self.runs_python or self.reads_pyo3_python or self.calls_get or self.opt_in

    @property
    def depends_on_packages(self) -> bool:
        """Runs Python code that imports something outside the standard library, or runs a
        script file whose imports are not known."""
        return self.runs_python and bool(self.imports or self.scripts)

    def describe(self) -> list[str]:
        uses = []
        if self.runs_python:
            uses.append("runs Python")
        if self.imports:
            uses.append(f"imports {', '.join(self.imports)}")
        if self.reads_pyo3_python:
            uses.append("reads PYO3_PYTHON")
        if self.calls_get:
            uses.append("reads pyo3's interpreter config (get())")
        if self.opt_in:
            uses.append("uses build_env_interpreter()")
        return uses

    def interpreter(self) -> str:
        """Where the interpreter the script sees comes from."""
        if self.opt_in:
            return "build_env_interpreter() (PYO3_PYTHON)"
        if self.reads_pyo3_python:
            return "PYO3_PYTHON"
        if self.calls_get:
            return "get().executable() (PYO3_PYTHON)"
        return "python on PATH"


def non_stdlib_imports(text: str) -> tuple[str, ...]:
    names = {match["source"] or match["module"] for match in _IMPORT.finditer(text)}
    return tuple(sorted(name for name in names if name not in _STDLIB))


LocalModules = Callable[[str], list[str]]


def _no_local_modules(name: str) -> list[str]:
    return []


def package_imports(texts: Iterable[str], local: LocalModules = _no_local_modules) -> set[str]:
    """The packages Python code imports from outside the standard library and the project.

    `local(name)` gives the sources of the project's own top-level module or package `name`
    (empty when there is none): its imports count instead of its name, as cryptography's
    `_cffi_src/build_openssl.py` imports `_cffi_src.utils`, which imports cffi."""
    found: set[str] = set()
    seen: set[str] = set()
    pending = list(texts)
    while pending:
        for name in non_stdlib_imports(pending.pop()):
            if name in seen:
                continue
            seen.add(name)
            sources = local(name)
            if sources:
                pending.extend(sources)
            else:
                found.add(name)
    return found


_CODE_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|//[^\n]*|/\*.*?\*/', re.DOTALL)


def strip_comments(source: str) -> str:
    """Rust source without its comments (string literals kept, so `"https://..."` survives)."""
    return _CODE_TOKENS.sub(lambda m: m[0] if m[0].startswith('"') else " ", source)


def referenced_scripts(source: str) -> list[str]:
    """The `.py` files a build script names in string literals."""
    return sorted({match["name"] for match in _SCRIPT_NAME.finditer(source)})


def scan_build_script(
    source: str,
    python_files: Mapping[str, str] | None = None,
    local: LocalModules = _no_local_modules,
) -> ScriptUse:
    """Classifies a build script from its Rust source and the `.py` files of its crate it names
    (`python_files` maps those names to their text; a named script that is absent counts as
    unknown, and so as possibly importing the build environment's packages). Imports of the
    project's own modules are followed through `local` (see `package_imports`)."""
    source = strip_comments(source)
    commands = [match["arg"] for match in _COMMAND.finditer(source)]
    runs = bool(_RUN_PYTHON_SCRIPT.search(source)) or any(_PYTHONISH.search(a) for a in commands)
    if not runs and commands and ".executable()" in source:
        runs = any(not arg.startswith('"') for arg in commands)
    imports: set[str] = set()
    unknown: list[str] = []
    if runs:
        imports.update(package_imports([_string_literals(source)], local))
        for name in referenced_scripts(source):
            text = (python_files or {}).get(name)
            if text is None:
                unknown.append(name)
            else:
                imports.update(package_imports([text], local))
    return ScriptUse(
        runs_python=runs,
        reads_pyo3_python="PYO3_PYTHON" in source,
        calls_get=bool(_GET.search(source)),
        opt_in=bool(_OPT_IN.search(source)),
        tracks_pyo3_python=bool(_RERUN_PYO3_PYTHON_IN_SOURCE.search(source)),
        imports=tuple(sorted(imports)),
        scripts=tuple(unknown),
    )


_STRING_LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL)  # `\` may end a line


def _string_literals(source: str) -> str:
    return "\n".join(_STRING_LITERAL.findall(source))


def rerun_envs(output: str) -> set[str]:
    """The variables a build script's `output` file registered as rerun triggers."""
    return {match["name"] for match in _RERUN_ENV.finditer(output)}


_INTERPRETER_VARIABLES = ("PYO3_PYTHON", "PYO3_BASE_PYTHON")


def output_uses(registered: Iterable[str]) -> list[str]:
    """What a build script's output shows about Python that its own source may not (the code
    can live in a helper crate): the interpreter variables it registered as rerun triggers."""
    names = set(registered)
    return [
        f"output: reruns when {name} changes" for name in _INTERPRETER_VARIABLES if name in names
    ]


@dataclass
class RunRecord:
    """Whether a build script ran on a configuration's warm build, and under which
    `PYO3_PYTHON` it last ran (the warm build's when it reran, else the cold build's)."""

    configuration: str
    frontend: str
    reran: bool
    python: str


@dataclass
class BuildScriptFinding:
    package: str
    version: str
    uses: list[str]
    interpreter: str
    runs: list[RunRecord] = field(default_factory=list)
    flag: str = ""


def judge_build_script(use: ScriptUse, registered: Iterable[str], runs: Iterable[RunRecord]) -> str:
    """Why the script must move to `build_env_interpreter()`, or "" when it need not.

    Flagged: a script that runs Python code depending on the build environment's packages,
    registers no rerun on `PYO3_PYTHON` itself, and did not rerun on a warm series build (or,
    measured without the series, reran only along with pyo3)."""
    if not use.depends_on_packages or use.opt_in:
        return ""
    if use.tracks_pyo3_python or "PYO3_PYTHON" in set(registered):
        return ""
    runs = list(runs)
    series = [run for run in runs if run.configuration == "series"]
    if series and all(run.reran for run in series):
        return ""
    where = (
        "did not rerun on a warm build with the series"
        if series
        else "would no longer rerun with the series"
    )
    return (
        f"runs Python that depends on the build environment's packages but {where} when that "
        "environment changed: use pyo3_build_config::build_env_interpreter()"
    )
