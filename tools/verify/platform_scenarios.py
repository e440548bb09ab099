"""Safety scenarios that only make sense on one platform or interpreter build. Each runs where
it applies and is skipped elsewhere with the reason in the report:

- free-threading: a GIL and a free-threaded CPython of one version alternating on one target dir
  must rebuild each time, and each wheel must import in its own interpreter;
- macos-framework-stub: a framework build's base executable is a stub that re-executes the real
  binary inside Python.app; two venvs on it must share that stub as their base and stay cached;
- windows-launcher: a venv's `Scripts\\python.exe` is a launcher for the base `python.exe`; the
  exported base must be the real interpreter, not a venv's launcher, so two venvs stay cached;
- base-path-case: on a case-insensitive file system one base interpreter can be spelled two ways;
  whether that rebuilds or not, the build must succeed and import.

The shared helpers come from `safety`; it imports this module for the registry, so the imports
of `safety` here happen when a scenario runs.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from tools.platforms import HOST, Layout
from tools.verify.context import VerifyContext
from tools.verify.frontends import BuildRun, BuildSetup, scrubbed_env

if TYPE_CHECKING:
    from tools.verify.safety import ScenarioResult, _Scenarios

_PROBE = (
    "import sys, sysconfig\n"
    "print(f'{sys.version_info[0]}.{sys.version_info[1]}')\n"
    "print(1 if sysconfig.get_config_var('Py_GIL_DISABLED') else 0)\n"
    "print(sysconfig.get_config_var('PYTHONFRAMEWORK') or '')\n"
    "print(getattr(sys, '_base_executable', sys.executable))\n"
)


@dataclass(frozen=True)
class Interpreter:
    """What the scenarios need to know about an interpreter, from running it once."""

    path: Path
    version: str
    free_threaded: bool
    framework: str
    base_executable: str

    @property
    def label(self) -> str:
        return f"{self.version}{'t' if self.free_threaded else ''} ({self.path})"


def probe(ctx: VerifyContext, python: Path) -> Interpreter | None:
    result = ctx.runner.run([python, "-c", _PROBE], check=False)
    lines = result.stdout.splitlines()
    if result.returncode != 0 or len(lines) < 4:
        return None
    return Interpreter(python, lines[0], lines[1] == "1", lines[2], lines[3])


def ft_pair_problem(this: Interpreter, other: Interpreter) -> str | None:
    """Why `other` cannot be `this` interpreter's partner in the free-threading scenario."""
    if other.version != this.version:
        return f"{other.label} is not CPython {this.version}"
    if other.free_threaded == this.free_threaded:
        kind = "free-threaded" if this.free_threaded else "GIL"
        return f"{other.label} is a {kind} build like {this.label}"
    return None


def ft_pair_names(this: Interpreter, layout: Layout = HOST) -> list[str]:
    """File names on PATH of the same version with the other GIL setting."""
    return layout.python_names(this.version, free_threaded=not this.free_threaded)


def other_spelling(path: PurePath) -> PurePath | None:
    """The same path with the case of every letter swapped, or None when it has no letters."""
    text = str(path)
    swapped = text.swapcase()
    return None if swapped == text else type(path)(swapped)


def _skip(name: str, reason: str) -> ScenarioResult:
    from tools.verify.safety import ScenarioResult  # noqa: PLC0415 (safety imports this module)

    description, expected = _DESCRIPTIONS[name]
    return ScenarioResult.skip(name, description, expected, reason)


def _venv_from(s: _Scenarios, interpreter: Path, path: Path) -> Path:
    """A venv made by running `interpreter` as given (spelling included), with maturin new."""
    s.ctx.runner.run([interpreter, "-m", "venv", *HOST.venv_args(), path])
    venv_python = HOST.venv_python(path)
    wheelhouse = s.ctx.wheelhouses["new"]
    s.ctx.runner.run([venv_python, "-m", "pip", "install", "--quiet", "--no-index",
                      "--find-links", wheelhouse, f"maturin=={s.ctx.maturin_version}"],
                     env=scrubbed_env(wheelhouse))  # fmt: skip
    return venv_python


def free_threading(s: _Scenarios) -> ScenarioResult:
    from tools.verify.safety import ScenarioResult, describe  # noqa: PLC0415 (see _skip)

    name = "free-threading"
    this = probe(s.ctx, s.ctx.python)
    if this is None:
        return _skip(name, f"could not run {s.ctx.python}")
    if s.ctx.ft_pair is not None:
        other = probe(s.ctx, s.ctx.ft_pair)
        problem = ft_pair_problem(this, other) if other else f"could not run {s.ctx.ft_pair}"
        if other is None or problem:
            description, expected = _DESCRIPTIONS[name]
            return ScenarioResult(name, description, expected, f"not run: --ft-pair {problem}",
                                  False)  # fmt: skip
    else:
        found = [Path(p) for n in ft_pair_names(this) if (p := shutil.which(n))]
        probed = [i for i in (probe(s.ctx, path) for path in found) if i is not None]
        other = next((i for i in probed if ft_pair_problem(this, i) is None), None)
        if other is None:
            kind = "GIL" if this.free_threaded else "free-threaded"
            looked = ", ".join(ft_pair_names(this))
            reason = f"no {kind} CPython {this.version} to pair with {this.path}"
            return _skip(name, f"{reason}: looked on PATH for {looked} (or give --ft-pair PATH)")
    gil, ft = (other, this) if this.free_threaded else (this, other)
    where = s._where(name)
    fixture = s._fixture(where)
    base = s.ctx.setup("new", where / "target")
    setups = {i.path: BuildSetup(wheelhouse=base.wheelhouse, target_dir=base.target_dir,
                                 python=i.path, extra_env={}) for i in (gil, ft)}  # fmt: skip
    runs: list[tuple[Interpreter, BuildRun]] = []
    for step, interpreter in enumerate((gil, ft, gil), start=1):
        runs.append((interpreter, s._uv(fixture, setups[interpreter.path], where / f"{step}")))
    imported = all(s._import(run, fixture, where / f"check-{step}", interpreter.path)
                   for step, (interpreter, run) in enumerate(runs, start=1))  # fmt: skip
    observed = [describe(run.evidence) for _, run in runs[1:]]
    description, expected = _DESCRIPTIONS[name]
    return ScenarioResult(
        name, description, expected,
        f"free-threaded after GIL: {observed[0]}; GIL again: {observed[1]}; "
        f"imported: {'yes' if imported else 'NO'}",
        all(o.startswith("rebuild") for o in observed) and imported,
        details=[f"{i.label}: {run.wheel.name}, {run.seconds:.1f}s" for i, run in runs],
    ).with_evidence(runs[2][1])  # fmt: skip


def _two_venvs(
    s: _Scenarios, name: str, interpreters: tuple[Path, Path], *, base: str | None = None
) -> ScenarioResult:
    """new/new built with `pip --no-build-isolation` from two venvs, one made by each
    interpreter given. Both builds must export one base file (`base`, when given), the second
    must be cached when `base` is given (else either verdict is safe), and its wheel import."""
    from tools.verify.safety import ScenarioResult, describe  # noqa: PLC0415 (see _skip)

    where = s._where(name)
    fixture = s._fixture(where)
    setup = s.ctx.setup("new", where / "target")
    runs = [s._pip_in(_venv_from(s, python, where / f"venv-{label}"), fixture, setup,
                      where / f"dist-{label}")
            for label, python in zip("ab", interpreters, strict=True)]  # fmt: skip
    bases = [run.evidence.maturin_env.get("PYO3_BASE_PYTHON", "") for run in runs]
    one_file = all(bases) and _same_file(bases[0], bases[1])
    expected_base = base is None or (bool(bases[0]) and _same_file(bases[0], base))
    verdict = describe(runs[1].evidence)
    cached = base is None or verdict == "cached"
    imported = s._import(runs[1], fixture, where / "check", s.ctx.python)
    description, expected = _DESCRIPTIONS[name]
    return ScenarioResult(
        name, description, expected,
        f"{verdict}; PYO3_BASE_PYTHON {bases[0] or 'not exported'} then "
        f"{bases[1] or 'not exported'}; imported: {'yes' if imported else 'NO'}",
        one_file and expected_base and cached and imported,
        details=[f"expected base {base}"] if base else [],
    ).with_evidence(runs[1])  # fmt: skip


def _same_file(a: str, b: str) -> bool:
    try:
        return Path(a).samefile(b)
    except OSError:
        return False


def macos_framework_stub(s: _Scenarios) -> ScenarioResult:
    name = "macos-framework-stub"
    if HOST.name != "macos":
        return _skip(name, f"macOS only (this is {HOST.name})")
    this = probe(s.ctx, s.ctx.python)
    if this is None or not this.framework:
        return _skip(name, f"{s.ctx.python} is not a framework build")
    return _two_venvs(s, name, (s.ctx.python, s.ctx.python), base=this.base_executable)


def windows_launcher(s: _Scenarios) -> ScenarioResult:
    name = "windows-launcher"
    if HOST.name != "windows":
        return _skip(name, f"Windows only (this is {HOST.name})")
    this = probe(s.ctx, s.ctx.python)
    if this is None:
        return _skip(name, f"could not run {s.ctx.python}")
    return _two_venvs(s, name, (s.ctx.python, s.ctx.python), base=this.base_executable)


def base_path_case(s: _Scenarios) -> ScenarioResult:
    name = "base-path-case"
    this = probe(s.ctx, s.ctx.python)
    if this is None:
        return _skip(name, f"could not run {s.ctx.python}")
    base = Path(this.base_executable)
    other = other_spelling(base)
    if other is None or not _same_file(str(base), str(other)):
        return _skip(name, f"the file system is case-sensitive here ({other} is not {base})")
    return _two_venvs(s, name, (base, Path(other)))


_DESCRIPTIONS: dict[str, tuple[str, str]] = {
    "free-threading": (
        "new/new: a GIL and a free-threaded CPython of one version alternating on one target "
        "dir (GIL, free-threaded, GIL), each wheel imported in its own interpreter",
        "rebuild, rebuild",
    ),
    "macos-framework-stub": (
        "new/new from two venvs of a macOS framework build, whose base executable is a stub "
        "that re-executes Python.app (pip --no-build-isolation in each)",
        "cached; PYO3_BASE_PYTHON is the framework stub both times",
    ),
    "windows-launcher": (
        "new/new from two venvs whose Scripts\\python.exe is a launcher for the base "
        "python.exe (pip --no-build-isolation in each)",
        "cached; PYO3_BASE_PYTHON is the base python.exe both times",
    ),
    "base-path-case": (
        "new/new from two venvs made by one base interpreter spelled in two cases (a "
        "case-insensitive file system)",
        "cached or rebuild (one file either way); the build imports",
    ),
}

PLATFORM_SCENARIOS: dict[str, Callable[[_Scenarios], ScenarioResult]] = {
    "free-threading": free_threading,
    "macos-framework-stub": macos_framework_stub,
    "windows-launcher": windows_launcher,
    "base-path-case": base_path_case,
}
