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

The measure steps use the shared helpers of `safety.Measure`; the verdicts are the pure
`verdicts.free_threading` and `verdicts.two_venvs_one_base`.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from tools.platforms import HOST, Layout
from tools.verify import verdicts
from tools.verify.context import VerifyContext
from tools.verify.frontends import BuildRun, BuildSetup
from tools.verify.observations import Observation
from tools.verify.scenario import Scenario
from tools.verify.verdicts import FREE_THREADING_STEPS

if TYPE_CHECKING:
    from tools.verify.safety import Measure

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


def free_threading(s: Measure) -> Observation:
    this = probe(s.ctx, s.ctx.python)
    if this is None:
        return Observation(skipped=f"could not run {s.ctx.python}")
    if s.ctx.ft_pair is not None:
        other = probe(s.ctx, s.ctx.ft_pair)
        problem = ft_pair_problem(this, other) if other else f"could not run {s.ctx.ft_pair}"
        if other is None or problem:
            return Observation(skipped=f"--ft-pair {problem}")
    else:
        found = [Path(p) for n in ft_pair_names(this) if (p := shutil.which(n))]
        probed = [i for i in (probe(s.ctx, path) for path in found) if i is not None]
        other = next((i for i in probed if ft_pair_problem(this, i) is None), None)
        if other is None:
            kind = "GIL" if this.free_threaded else "free-threaded"
            looked = ", ".join(ft_pair_names(this))
            reason = f"no {kind} CPython {this.version} to pair with {this.path}"
            return Observation(
                not_applicable=f"{reason}: looked on PATH for {looked} (or give --ft-pair PATH)"
            )
    gil, ft = (other, this) if this.free_threaded else (this, other)
    where = s._where("free-threading")
    fixture = s._fixture(where)
    base = s.ctx.setup("new", where / "target")
    runs: list[tuple[str, BuildRun]] = []
    imports: list[tuple[bool, str]] = []
    for step, (label, interpreter) in enumerate(
        zip(FREE_THREADING_STEPS, (gil, ft, gil), strict=True), start=1
    ):
        setup = BuildSetup(
            wheelhouse=base.wheelhouse,
            target_dir=base.target_dir,
            python=interpreter.path,
            extra_env={},
        )
        run = s._uv(fixture, setup, where / f"{step}")
        runs.append((label, run))
        imports.append(s._import(run, fixture, where / f"check-{step}", interpreter.path))
    failed = [detail for ok, detail in imports if not ok]
    imported = (not failed, "; ".join(failed))
    return s._observe(runs, imported, GIL=gil.label, **{"free-threaded": ft.label})


def _two_venvs(
    s: Measure, name: str, interpreters: tuple[Path, Path], base: str = ""
) -> Observation:
    """new/new built with `pip --no-build-isolation` from two venvs, one made by each
    interpreter given; the facts say whether both exported one base file (and `base`)."""
    where = s._where(name)
    fixture = s._fixture(where)
    setup = s.ctx.setup("new", where / "target")
    runs = []
    for label, python in zip("ab", interpreters, strict=True):
        venv_python = s._venv(where / f"venv-{label}", "new", python=python)
        runs.append(
            (f"venv {label}", s._pip_in(venv_python, fixture, setup, where / f"dist-{label}"))
        )
    bases = [run.evidence.maturin_env.get("PYO3_BASE_PYTHON", "") for _, run in runs]
    one_file = all(bases) and _same_file(bases[0], bases[1])
    facts = {"one base file": "yes" if one_file else "no"}
    if base:
        facts["expected base"] = base
        facts["is the expected base"] = "yes" if bases[0] and _same_file(bases[0], base) else "no"
    imported = s._import(runs[-1][1], fixture, where / "check")
    return s._observe(runs, imported, **facts)


def _same_file(a: str, b: str) -> bool:
    try:
        return Path(a).samefile(b)
    except OSError:
        return False


def macos_framework_stub(s: Measure) -> Observation:
    if HOST.name != "macos":
        return Observation(not_applicable=f"macOS only (this is {HOST.name})")
    this = probe(s.ctx, s.ctx.python)
    if this is None or not this.framework:
        return Observation(not_applicable=f"{s.ctx.python} is not a framework build")
    return _two_venvs(s, "macos-framework-stub", (s.ctx.python, s.ctx.python), this.base_executable)


def windows_launcher(s: Measure) -> Observation:
    if HOST.name != "windows":
        return Observation(not_applicable=f"Windows only (this is {HOST.name})")
    this = probe(s.ctx, s.ctx.python)
    if this is None:
        return Observation(skipped=f"could not run {s.ctx.python}")
    return _two_venvs(s, "windows-launcher", (s.ctx.python, s.ctx.python), this.base_executable)


def base_path_case(s: Measure) -> Observation:
    this = probe(s.ctx, s.ctx.python)
    if this is None:
        return Observation(skipped=f"could not run {s.ctx.python}")
    base = Path(this.base_executable)
    other = other_spelling(base)
    if other is None or not _same_file(str(base), str(other)):
        return Observation(
            not_applicable=f"the file system is case-sensitive here ({other} is not {base})"
        )
    return _two_venvs(s, "base-path-case", (base, Path(other)))


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

PLATFORM_SCENARIOS: list[Scenario] = [
    Scenario(name, *_DESCRIPTIONS[name], measure, verdict)
    for name, measure, verdict in (
        ("free-threading", free_threading, verdicts.free_threading),
        ("macos-framework-stub", macos_framework_stub, verdicts.two_venvs_one_base),
        ("windows-launcher", windows_launcher, verdicts.two_venvs_one_base),
        ("base-path-case", base_path_case, verdicts.two_venvs_one_base),
    )
]
