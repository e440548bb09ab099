"""Safety scenarios: the series must never reuse a build it should not (a stale build is worse
than a slow one), and must behave as documented at its edges. Each scenario states what it
expects, checks it with cargo's own evidence, and imports what it built."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tools.platforms import HOST
from tools.verify.artifacts import Variant
from tools.verify.context import VerifyContext, import_wheel
from tools.verify.evidence import BuildEvidence
from tools.verify.fixtures import Fixture, FixtureName
from tools.verify.frontends import BuildRun, BuildSetup, build_wheel, scrubbed_env
from tools.verify.platform_scenarios import PLATFORM_SCENARIOS


@dataclass
class ScenarioResult:
    scenario: str
    description: str
    expected: str
    observed: str
    ok: bool
    compiled: list[str] = field(default_factory=list)
    reasons: dict[str, list[str]] = field(default_factory=dict)
    details: list[str] = field(default_factory=list)
    skipped: str = ""  # why the scenario did not run here (another platform's, or no interpreter)

    @classmethod
    def skip(cls, scenario: str, description: str, expected: str, reason: str) -> ScenarioResult:
        """A scenario that cannot run here: no verdict, and the reason in the report."""
        return cls(scenario, description, expected, f"skipped: {reason}", True, skipped=reason)

    def with_evidence(self, run: BuildRun) -> ScenarioResult:
        """Records what cargo compiled on the scenario's decisive build, and why."""
        self.compiled = list(run.evidence.compiled)
        self.reasons = run.evidence.reasons
        return self


def describe(evidence: BuildEvidence) -> str:
    chain = evidence.chain_compiled()
    if not chain:
        return "cached"
    reasons = sorted({r for name in chain for r in evidence.reasons.get(name, [])
                      if "dependency changed" not in r})  # fmt: skip
    return f"rebuild ({', '.join(chain)}; {'; '.join(reasons) or 'no reason logged'})"


def build_script_output(target: Path, package: str) -> str:
    """The newest `output` file of a package's build script run in a target dir."""
    outputs = sorted(target.glob(f"*/build/{package}-*/output"), key=lambda p: p.stat().st_mtime)
    return outputs[-1].read_text() if outputs else ""


class _Scenarios:
    def __init__(self, ctx: VerifyContext, other_python: Path | None) -> None:
        self.ctx = ctx
        self.other_python = other_python

    def _where(self, name: str) -> Path:
        where = self.ctx.work / "safety" / name
        shutil.rmtree(where, ignore_errors=True)
        return where

    def _fixture(self, where: Path, pyo3: Variant = "new", name: FixtureName = "ext") -> Fixture:
        return self.ctx.fixture(name, pyo3, where)

    def _uv(self, fixture: Fixture, setup: BuildSetup, out: Path) -> BuildRun:
        return build_wheel(self.ctx.runner, "uv", fixture.project, out, setup)

    def _import(self, run: BuildRun, fixture: Fixture, where: Path, python: Path) -> bool:
        ok, _ = import_wheel(self.ctx.runner, run.wheel, fixture.import_check(), python, where)
        return ok

    def _venv(self, path: Path, maturin: Variant, *, base: Path | None = None) -> Path:
        python = base or self.ctx.python
        self.ctx.runner.run([python, "-m", "venv", *HOST.venv_args(copies=base is not None), path])
        venv_python = HOST.venv_python(path)
        wheelhouse = self.ctx.wheelhouses[maturin]
        self.ctx.runner.run([venv_python, "-m", "pip", "install", "--quiet", "--no-index",
                             "--find-links", wheelhouse, f"maturin=={self.ctx.maturin_version}"],
                            env=scrubbed_env(wheelhouse))  # fmt: skip
        return venv_python

    def _pip_in(
        self, venv_python: Path, fixture: Fixture, setup: BuildSetup, out: Path
    ) -> BuildRun:
        """`pip wheel --no-build-isolation` in an activated venv (maturin's PEP 517 hooks run the
        `maturin` found on PATH, so the venv's bin must come first, as activation does)."""
        venv = HOST.venv_root(venv_python)
        activated = {**setup.extra_env, **HOST.activated(venv, os.environ.get("PATH", ""))}
        no_isolation = BuildSetup(wheelhouse=setup.wheelhouse, target_dir=setup.target_dir,
                                  python=venv_python, extra_env=activated)  # fmt: skip
        return build_wheel(self.ctx.runner, "pip", fixture.project, out, no_isolation,
                           extra_args=("--no-build-isolation",))  # fmt: skip

    def two_venvs_same_base(self) -> ScenarioResult:
        where = self._where("two-venvs-same-base")
        fixture = self._fixture(where)
        setup = self.ctx.setup("new", where / "target")
        first = self._pip_in(self._venv(where / "venv-a", "new"), fixture, setup, where / "a")
        second = self._pip_in(self._venv(where / "venv-b", "new"), fixture, setup, where / "b")
        exported = [run.evidence.maturin_env.get("PYO3_BASE_PYTHON") for run in (first, second)]
        cached = describe(second.evidence) == "cached"
        same_base = exported[0] is not None and exported[0] == exported[1]
        observed = f"{describe(second.evidence)}; PYO3_BASE_PYTHON {exported[0]} then {exported[1]}"
        imported = self._import(second, fixture, where / "check", self.ctx.python)
        return ScenarioResult(
            "two-venvs-same-base",
            "new/new: build from venv A, then from venv B made from the same base interpreter "
            "(pip --no-build-isolation in each)",
            "cached", observed, cached and same_base and imported,
            details=[f"first build {first.seconds:.1f}s, second {second.seconds:.1f}s"],
        ).with_evidence(second)  # fmt: skip

    def other_minor_version(self) -> ScenarioResult:
        name = "other-minor-version"
        if self.other_python is None:
            return ScenarioResult(name, "no second CPython minor version was found", "rebuild",
                                  "not run", False)  # fmt: skip
        where = self._where(name)
        fixture = self._fixture(where)
        setup = self.ctx.setup("new", where / "target")
        self._uv(fixture, setup, where / "first")
        other = BuildSetup(wheelhouse=setup.wheelhouse, target_dir=setup.target_dir,
                           python=self.other_python, extra_env={})  # fmt: skip
        second = self._uv(fixture, other, where / "second")
        observed = describe(second.evidence)
        imported = self._import(second, fixture, where / "check", self.other_python)
        return ScenarioResult(
            name,
            f"new/new: warm target from {self.ctx.python.name}, then a build based on "
            f"{self.other_python} ({second.wheel.name}), imported there",
            "rebuild", observed, observed.startswith("rebuild") and imported,
        ).with_evidence(second)  # fmt: skip

    def base_dropped(self) -> ScenarioResult:
        where = self._where("base-dropped")
        fixture = self._fixture(where)
        self._uv(fixture, self.ctx.setup("new", where / "target"), where / "first")
        second = self._uv(fixture, self.ctx.setup("old", where / "target"), where / "second")
        observed = describe(second.evidence)
        imported = self._import(second, fixture, where / "check", self.ctx.python)
        return ScenarioResult(
            "base-dropped",
            "pyo3 new: a build with PYO3_BASE_PYTHON (maturin new), then one without it "
            "(maturin old) against the same target dir",
            "rebuild", observed, observed.startswith("rebuild") and imported,
        ).with_evidence(second)  # fmt: skip

    def base_missing(self) -> ScenarioResult:
        if not HOST.venv_symlinks:
            reason = f"needs a symlinked base interpreter; {HOST.name} needs privileges for it"
            return ScenarioResult.skip(
                "base-missing", "a venv whose base interpreter is gone", "rebuild", reason
            )
        where = self._where("base-missing")
        fixture = self._fixture(where)
        setup = self.ctx.setup("new", where / "target")
        runs = []
        for label in ("a", "b"):
            # A --copies venv made from a symlink that is then deleted: the venv still runs,
            # but sys._base_executable names a file that no longer exists (CPython gh-99204).
            fake_base = where / f"gone-{label}" / "bin"
            fake_base.mkdir(parents=True)
            (fake_base / "python3").symlink_to(Path(sys.base_prefix) / "bin" / self.ctx.python.name)
            venv_python = self._venv(where / f"venv-{label}", "new", base=fake_base / "python3")
            shutil.rmtree(fake_base.parent)
            runs.append(self._pip_in(venv_python, fixture, setup, where / f"dist-{label}"))
        output = build_script_output(setup.target_dir, "pyo3-ffi")
        tracked = "rerun-if-env-changed=PYO3_PYTHON" in output
        maturin_env = runs[1].evidence.maturin_env
        not_exported = "PYO3_PYTHON" in maturin_env and "PYO3_BASE_PYTHON" not in maturin_env
        observed = describe(runs[1].evidence) + (
            "; maturin did not export PYO3_BASE_PYTHON"
            if not_exported
            else "; maturin exported PYO3_BASE_PYTHON"
        )
        imported = self._import(runs[1], fixture, where / "check", self.ctx.python)
        return ScenarioResult(
            "base-missing",
            "new/new from two venvs whose sys._base_executable does not exist: maturin must "
            "not export it, pyo3 must fall back to PYO3_PYTHON and track it",
            "rebuild", f"{observed}; PYO3_PYTHON {'tracked' if tracked else 'NOT tracked'}",
            observed.startswith("rebuild") and tracked and not_exported and imported,
        ).with_evidence(runs[1])  # fmt: skip

    def base_path_invalid(self) -> ScenarioResult:
        where = self._where("base-path-invalid")
        fixture = self._fixture(where)
        missing = str(where / "no-such-python")
        setup = self.ctx.setup("old", where / "target", PYO3_BASE_PYTHON=missing)
        self._uv(fixture, setup, where / "first")
        second = self._uv(fixture, setup, where / "second")
        warned = "PYO3_BASE_PYTHON" in second.log or any(
            "PYO3_BASE_PYTHON" in n for notes in second.evidence.warnings.values() for n in notes
        )
        observed = describe(second.evidence)
        imported = self._import(second, fixture, where / "check", self.ctx.python)
        return ScenarioResult(
            "base-path-invalid",
            "pyo3 new with PYO3_BASE_PYTHON set by hand to a missing file (maturin old): "
            "a warning, then PYO3_PYTHON discovery as before",
            "rebuild", f"{observed}; warning {'shown' if warned else 'missing'}",
            observed.startswith("rebuild") and warned and imported,
        ).with_evidence(second)  # fmt: skip

    def config_file(self) -> ScenarioResult:
        where = self._where("config-file")
        config = where / "pyo3-config.txt"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(pyo3_config_for(self.ctx, self.ctx.python))
        observed_by_cell = {}
        last: BuildRun | None = None
        for variant in ("old", "new"):
            cell = where / variant
            fixture = self._fixture(cell, variant)
            setup = self.ctx.setup(variant, cell / "target", PYO3_CONFIG_FILE=str(config))
            self._uv(fixture, setup, cell / "first")
            last = self._uv(fixture, setup, cell / "second")
            observed_by_cell[variant] = describe(last.evidence)
        assert last is not None
        observed = f"old/old {observed_by_cell['old']}; new/new {observed_by_cell['new']}"
        same = observed_by_cell["old"] == observed_by_cell["new"] == "cached"
        return ScenarioResult(
            "config-file",
            "PYO3_CONFIG_FILE set by the user: old/old and new/new must behave the same",
            "cached", observed, same,
        ).with_evidence(last)  # fmt: skip

    def rerun_triggers(self) -> ScenarioResult:
        where = self._where("rerun-triggers")
        fixture = self._fixture(where)
        setup = self.ctx.setup("new", where / "target")
        self._uv(fixture, setup, where / "first")
        output = build_script_output(setup.target_dir, "pyo3-ffi")
        lines = sorted({line.split("=", 1)[1] for line in output.splitlines()
                        if line.startswith(("cargo:rerun-if-env-changed=",
                                            "cargo::rerun-if-env-changed="))})  # fmt: skip
        ok = (
            "PYO3_BASE_PYTHON" in lines
            and "PYO3_PYTHON" not in lines
            and "VIRTUAL_ENV" not in lines
        )
        return ScenarioResult(
            "rerun-triggers",
            "new/new: the variables pyo3-ffi's build script asks cargo to track",
            "PYO3_BASE_PYTHON tracked; PYO3_PYTHON, VIRTUAL_ENV not",
            "tracked: " + ", ".join(lines), ok,
        )  # fmt: skip

    def downstream_current_interpreter(self) -> ScenarioResult:
        where = self._where("downstream-current-interpreter")
        fixture = self._fixture(where, name="downstream")
        setup = self.ctx.setup("new", where / "target")
        first = self._uv(fixture, setup, where / "first")
        (fixture.project / "build.rs").touch()
        second = self._uv(fixture, setup, where / "second")
        used = [n for notes in (first.evidence.warnings, second.evidence.warnings)
                for n in notes.get("verify-downstream", [])]  # fmt: skip
        fresh = len(used) == 2 and used[0] != used[1] and sys.base_prefix not in used[1]
        observed = describe(second.evidence)
        imported = self._import(second, fixture, where / "check", self.ctx.python)
        return ScenarioResult(
            "downstream-current-interpreter",
            "new/new: a downstream build script rerun on a later build gets that build's venv "
            "interpreter from get().executable(), never the first build's (deleted) venv",
            "cached", f"{observed}; build script interpreters: {' then '.join(used) or 'none'}",
            observed == "cached" and fresh and imported,
        ).with_evidence(second)  # fmt: skip

    def downstream_opt_in(self) -> ScenarioResult:
        where = self._where("downstream-opt-in")
        fixture = self._fixture(where, name="downstream-opt-in")
        setup = self.ctx.setup("new", where / "target")
        self._uv(fixture, setup, where / "first")
        second = self._uv(fixture, setup, where / "second")
        own = second.evidence.reasons.get("verify-downstream", [])
        rerun = any("PYO3_PYTHON" in reason for reason in own)
        verdict = "rerun: " + "; ".join(own) if rerun else "not rerun"
        observed = describe(second.evidence)
        imported = self._import(second, fixture, where / "check", self.ctx.python)
        return ScenarioResult(
            "downstream-opt-in",
            "new/new: a build script that opts in to the build environment's interpreter is "
            "rerun when it changes, while the pyo3 chain stays cached",
            "cached", f"{observed}; verify-downstream {verdict}",
            observed == "cached" and rerun and imported,
        ).with_evidence(second)  # fmt: skip


def pyo3_config_for(ctx: VerifyContext, python: Path) -> str:
    """A PYO3_CONFIG_FILE for `python`, as a user would write one (on Windows the import
    library is `libs/python3XX.lib` and always shared; a free-threaded build says so)."""
    script = (
        "import os, sys, sysconfig\n"
        "v = sys.version_info\n"
        "ft = 't' if sysconfig.get_config_var('Py_GIL_DISABLED') else ''\n"
        "win = sys.platform == 'win32'\n"
        "print('implementation=CPython')\n"
        "print(f'version={v.major}.{v.minor}')\n"
        "shared = win or bool(sysconfig.get_config_var('Py_ENABLE_SHARED'))\n"
        "print('shared=' + str(shared).lower())\n"
        "dot = '' if win else '.'\n"
        "print(f'lib_name=python{v.major}{dot}{v.minor}{ft}')\n"
        "libs = os.path.join(sys.base_prefix, 'libs')\n"
        "print('lib_dir=' + (libs if win else sysconfig.get_config_var('LIBDIR')))\n"
        "print('executable=' + sys.executable)\n"
        "print('pointer_width=64')\n"
        "print('build_flags=' + ('Py_GIL_DISABLED' if ft else ''))\n"
        "print('suppress_build_script_link_lines=false')\n"
    )
    return ctx.runner.run([python, "-c", script]).stdout


SCENARIOS: dict[str, Callable[[_Scenarios], ScenarioResult]] = {
    "two-venvs-same-base": _Scenarios.two_venvs_same_base,
    "other-minor-version": _Scenarios.other_minor_version,
    "base-dropped": _Scenarios.base_dropped,
    "base-missing": _Scenarios.base_missing,
    "base-path-invalid": _Scenarios.base_path_invalid,
    "config-file": _Scenarios.config_file,
    "rerun-triggers": _Scenarios.rerun_triggers,
    "downstream-current-interpreter": _Scenarios.downstream_current_interpreter,
    "downstream-opt-in": _Scenarios.downstream_opt_in,
    **PLATFORM_SCENARIOS,  # run where they apply, skipped elsewhere with the reason
}


def run_safety(
    ctx: VerifyContext, other_python: Path | None, names: list[str] | None = None
) -> list[ScenarioResult]:
    scenarios = _Scenarios(ctx, other_python)
    results = []
    selected = names or list(SCENARIOS)
    for index, name in enumerate(selected, start=1):
        with ctx.reporter.progress(f"safety {index}/{len(selected)}: {name}"):
            results.append(SCENARIOS[name](scenarios))
    return results
