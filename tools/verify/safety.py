"""Safety scenarios: the series must never reuse a build it should not (a stale build is worse
than a slow one), and must behave as documented at its edges.

A scenario is data: a name, what it does, what it expects, a measure step that runs real builds
and returns an `Observation`, and a pure verdict (`tools.verify.verdicts`) that judges it.

Where a scenario's first build only warms a target dir, with nothing of the scenario's own in
its inputs, it starts from a prime (`primes.py`) instead: the build of those same inputs, kept
across runs, its output recorded as it ran. Each such step says why that is sound.

Some of those primes are seeded with the matrix's prime of the same variants, so that their
build recompiles only what the scenario's setting changes. That is done only where the first
build's time is no figure anything reads (the alternatives table reads the first builds of
`caller-sets-base-*` and `alternative-*` as cold ones) and where the judged build cannot depend
on the seed: the setting changes a variable the seed's discovery run was made to track, cargo
sees the seed's very configuration, or what is judged is the fixture's own package, which a
seed forgets. The second build then starts from what a first build with that setting leaves.

The others build from scratch, their first build's inputs being made by the run itself (a venv,
a copied interpreter, each with new mtimes); `base-reinstalled`'s first build starts from a copy
of a matrix prime on the same terms as a seeded prime.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from tools.errors import CommandFailed
from tools.platforms import HOST
from tools.verify import verdicts
from tools.verify.artifacts import BUILD_REQUIREMENT, Variant
from tools.verify.context import VerifyContext, import_wheel
from tools.verify.fixtures import OPT_IN_API, Fixture, FixtureName
from tools.verify.frontends import BuildRun, BuildSetup, Frontend, build_wheel, scrubbed_env
from tools.verify.matrix import prime_spec
from tools.verify.observations import Build, Observation
from tools.verify.platform_scenarios import PLATFORM_SCENARIOS
from tools.verify.primes import Prime, Primed, PrimeSpec
from tools.verify.scenario import Scenario, ScenarioResult
from tools.verify.verdicts import REINSTALL_STEPS, Verdict


def build_script_output(target: Path, package: str) -> str:
    """The newest `output` file of a package's build script run in a target dir."""
    outputs = sorted(target.glob(f"*/build/{package}-*/output"), key=lambda p: p.stat().st_mtime)
    return outputs[-1].read_text() if outputs else ""


def _build(label: str, run: BuildRun) -> Build:
    return Build.of(label, run.evidence, seconds=round(run.seconds, 1), wheel=run.wheel.name)


def _built_by(prime: Prime) -> str:
    """The builds behind a prime, the cold one first: "uv (matrix, ext), then build (...)"."""
    return ", then ".join(
        f"{p.spec.frontend} ({p.spec.stage}, {p.spec.fixture})" for p in prime.chain
    )


def discovery_package(pyo3_version: str) -> str:
    """The crate whose build script discovers the interpreter: pyo3-ffi since 0.29 (pyo3#5862),
    pyo3-build-config before."""
    major, minor = (int(part) for part in pyo3_version.split(".")[:2])
    return "pyo3-ffi" if (major, minor) >= (0, 29) else "pyo3-build-config"


class Measure:
    """The measure steps: real builds through real frontends, reduced to observations."""

    def __init__(self, ctx: VerifyContext, other_python: Path | None) -> None:
        self.ctx = ctx
        self.other_python = other_python
        self.discovery = discovery_package(ctx.pyo3_version)
        self._primed_from: list[str] = []  # where the current scenario's first builds came from

    def _where(self, name: str) -> Path:
        self._primed_from = []  # every scenario starts here
        where = self.ctx.runs / "safety" / name
        shutil.rmtree(where, ignore_errors=True)
        return where

    def _fixture(self, where: Path, pyo3: Variant = "new", name: FixtureName = "ext") -> Fixture:
        return self.ctx.fixture(name, pyo3, where)

    def _primed(
        self,
        maturin: Variant,
        pyo3: Variant,
        fixture: FixtureName = "ext",
        *,
        frontend: Frontend = "uv",
        stage: str = "matrix",
        frontend_args: tuple[str, ...] = (),
        facts: tuple[tuple[str, str], ...] = (),
        seed: PrimeSpec | None = None,
        **env: str,
    ) -> Primed:
        """A fresh copy of the prime of these inputs (the matrix's own when `stage` and `env` are
        the matrix's), made first if no run has made it; `seed`: the prime its build starts
        from (a matrix prime, `prime_spec`), None for a cold build."""
        spec = PrimeSpec(
            maturin=maturin,
            pyo3=pyo3,
            fixture=fixture,
            frontend=frontend,
            stage=stage,
            extra_env=tuple(sorted(env.items())),
            frontend_args=frontend_args,
            facts=facts,
            seed=seed,
        )
        primed = self.ctx.primer.prime(self.ctx, spec)
        self._primed_from.append(f"{_built_by(primed.prime)}, {primed.cold_from}")
        return primed

    def _interpreter(self, python: Path) -> tuple[str, str]:
        """A prime fact: the identity of an interpreter the build's environment names."""
        return ("interpreter", self.ctx.primer.interpreter(self.ctx, python))

    def _uv(self, fixture: Fixture, setup: BuildSetup, out: Path) -> BuildRun:
        return build_wheel(self.ctx.runner, "uv", fixture.project, out, setup)

    def _import(
        self, run: BuildRun, fixture: Fixture, where: Path, python: Path | None = None
    ) -> tuple[bool, str]:
        return import_wheel(
            self.ctx.runner, run.wheel, fixture.import_check(), python or self.ctx.python, where
        )

    def _observe(
        self,
        runs: list[tuple[str, BuildRun]],
        imported: tuple[bool, str] | None,
        **facts: str,
    ) -> Observation:
        if self._primed_from:
            facts["first build primed"] = "; ".join(self._primed_from)
        return Observation(
            builds=tuple(_build(label, run) for label, run in runs),
            imported=None if imported is None else imported[0],
            import_detail="" if imported is None else imported[1],
            facts=facts,
            discovery=self.discovery,
            decisive=runs[-1][1].evidence if runs else None,
        )

    def base_of(self, python: Path) -> Path:
        """The base interpreter behind `python`, as maturin would export it."""
        script = "import sys; print(getattr(sys, '_base_executable', None) or sys.executable)"
        return Path(self.ctx.runner.run([python, "-c", script]).stdout.strip())

    def _venv(
        self, path: Path, maturin: Variant, *, python: Path | None = None, copies: bool = False
    ) -> Path:
        """A venv made by running `python` (default: verify's) as given, with that maturin."""
        python = python or self.ctx.python
        self.ctx.runner.run([python, "-m", "venv", *HOST.venv_args(copies=copies), path])
        venv_python = HOST.venv_python(path)
        wheelhouse = self.ctx.wheelhouses[maturin]
        self.ctx.runner.run(
            [
                venv_python,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-index",
                "--find-links",
                wheelhouse,
                f"maturin=={self.ctx.maturin_version}",
            ],
            env=scrubbed_env(wheelhouse),
        )
        return venv_python

    def _pip_in(
        self, venv_python: Path, fixture: Fixture, setup: BuildSetup, out: Path
    ) -> BuildRun:
        """`pip wheel --no-build-isolation` in an activated venv (maturin's PEP 517 hooks run the
        `maturin` found on PATH, so the venv's bin must come first, as activation does)."""
        venv = HOST.venv_root(venv_python)
        activated = {**setup.extra_env, **HOST.activated(venv, os.environ.get("PATH", ""))}
        no_isolation = BuildSetup(
            wheelhouse=setup.wheelhouse,
            target_dir=setup.target_dir,
            python=venv_python,
            extra_env=activated,
        )
        return build_wheel(
            self.ctx.runner,
            "pip",
            fixture.project,
            out,
            no_isolation,
            extra_args=("--no-build-isolation",),
        )

    def _twice(
        self, frontend: Frontend, where: Path, maturin: Variant, base: Path
    ) -> tuple[Fixture, BuildRun, BuildRun]:
        """Two isolated builds of the pyo3-new fixture on one target dir, with PYO3_BASE_PYTHON
        set in the frontend's environment as an outer job or a wrapper script would. The first
        only warms the target dir with that setting: it is a prime whose key holds the setting
        and the identity of the interpreter it names, seeded with the matrix's prime."""
        primed = self._primed(
            maturin,
            "new",
            frontend=frontend,
            stage=where.name,
            facts=(self._interpreter(base),),
            seed=prime_spec(maturin, "new", "ext", frontend),
            PYO3_BASE_PYTHON=str(base),
        )
        setup = self.ctx.setup(maturin, primed.target, PYO3_BASE_PYTHON=str(base))
        second = build_wheel(
            self.ctx.runner, frontend, primed.fixture.project, where / "second", setup
        )
        return primed.fixture, primed.cold, second

    def two_venvs_same_base(self) -> Observation:
        where = self._where("two-venvs-same-base")
        fixture = self._fixture(where)
        setup = self.ctx.setup("new", where / "target")
        first = self._pip_in(self._venv(where / "venv-a", "new"), fixture, setup, where / "a")
        second = self._pip_in(self._venv(where / "venv-b", "new"), fixture, setup, where / "b")
        imported = self._import(second, fixture, where / "check")
        return self._observe([("venv A", first), ("venv B", second)], imported)

    def other_minor_version(self) -> Observation:
        if self.other_python is None:
            return Observation(skipped="no second CPython minor version was found")
        where = self._where("other-minor-version")
        # The first build is the matrix's new/new ext cold build through uv: the same inputs.
        primed = self._primed("new", "new")
        fixture, first = primed.fixture, primed.cold
        setup = self.ctx.setup("new", primed.target)
        other = BuildSetup(
            wheelhouse=setup.wheelhouse,
            target_dir=setup.target_dir,
            python=self.other_python,
            extra_env={},
        )
        second = self._uv(fixture, other, where / "second")
        imported = self._import(second, fixture, where / "check", self.other_python)
        return self._observe(
            [(self.ctx.python.name, first), ("other", second)],
            imported,
            other=str(self.other_python),
        )

    def base_dropped(self) -> Observation:
        where = self._where("base-dropped")
        # The first build is the matrix's new/new ext cold build through uv: the same inputs.
        primed = self._primed("new", "new")
        fixture, first = primed.fixture, primed.cold
        second = self._uv(fixture, self.ctx.setup("old", primed.target), where / "second")
        imported = self._import(second, fixture, where / "check")
        return self._observe([("maturin new", first), ("maturin old", second)], imported)

    def base_missing(self) -> Observation:
        if not HOST.venv_symlinks:
            reason = f"needs a symlinked base interpreter; {HOST.name} needs privileges for it"
            return Observation(not_applicable=reason)
        where = self._where("base-missing")
        fixture = self._fixture(where)
        setup = self.ctx.setup("new", where / "target")
        runs = []
        for label in ("a", "b"):
            # A --copies venv made from a symlink that is then deleted: the venv still runs,
            # but sys._base_executable names a file that no longer exists (CPython gh-99204).
            fake_base = where / f"gone-{label}" / "bin"
            fake_base.mkdir(parents=True)
            real = HOST.base_interpreter(Path(sys.base_prefix), self.ctx.python.name)
            (fake_base / "python3").symlink_to(real)
            venv_python = self._venv(
                where / f"venv-{label}", "new", python=fake_base / "python3", copies=True
            )
            shutil.rmtree(fake_base.parent)
            runs.append(
                (
                    f"venv {label}",
                    self._pip_in(venv_python, fixture, setup, where / f"dist-{label}"),
                )
            )
        output = build_script_output(setup.target_dir, self.discovery)
        tracked = "rerun-if-env-changed=PYO3_PYTHON" in output
        imported = self._import(runs[-1][1], fixture, where / "check")
        return self._observe(runs, imported, **{"PYO3_PYTHON tracked": "yes" if tracked else "no"})

    def base_path_invalid(self) -> Observation:
        where = self._where("base-path-invalid")
        # The first build only warms the target dir with the bad base set; the prime's key
        # holds that setting (a path that never exists), it is seeded with the matrix's old/new
        # prime (pyo3-ffi's build script tracks the variable, so it reruns with the bad base),
        # and its warning is recorded as built.
        missing = str(where / "no-such-python")
        primed = self._primed(
            "old",
            "new",
            stage="base-path-invalid",
            seed=prime_spec("old", "new", "ext", "uv"),
            PYO3_BASE_PYTHON=missing,
        )
        fixture, first = primed.fixture, primed.cold
        setup = self.ctx.setup("old", primed.target, PYO3_BASE_PYTHON=missing)
        second = self._uv(fixture, setup, where / "second")
        imported = self._import(second, fixture, where / "check")
        return self._observe([("first", first), ("second", second)], imported)

    def config_file(self) -> Observation:
        where = self._where("config-file")
        # The config file lives outside the scenario's folder and is rewritten only when its
        # content changes, so its modification time stays that of the primes built with it
        # (pyo3 reruns its build script when the file is newer than that run). The first build
        # of each pair only warms the target dir: a prime whose key holds the file's path,
        # content and modification time. It is not seeded: its first build must run
        # pyo3-build-config's build script with the file, which from a seed would rest on that
        # script's own rerun rule.
        text = pyo3_config_for(self.ctx, self.ctx.python)
        config = write_if_changed(self.ctx.work / "safety-inputs" / "pyo3-config.txt", text)
        facts = (("config file", f"{config.stat().st_mtime_ns} {text}"),)
        runs: list[tuple[str, BuildRun]] = []
        variant: Variant
        for variant in ("old", "new"):
            stage = f"config-file-{variant}"
            primed = self._primed(
                variant, variant, stage=stage, facts=facts, PYO3_CONFIG_FILE=str(config)
            )
            setup = self.ctx.setup(variant, primed.target, PYO3_CONFIG_FILE=str(config))
            second = self._uv(primed.fixture, setup, where / variant)
            runs.append((f"{variant}/{variant}", second))
        return self._observe(runs, None)

    def rerun_triggers(self) -> Observation:
        self._where("rerun-triggers")
        # One build, the matrix's new/new ext cold build through uv; its build script's output
        # is in the prime's target dir as that build wrote it.
        primed = self._primed("new", "new")
        first = primed.cold
        output = build_script_output(primed.target, self.discovery)
        lines = sorted(
            {
                line.split("=", 1)[1]
                for line in output.splitlines()
                if line.startswith(("cargo:rerun-if-env-changed=", "cargo::rerun-if-env-changed="))
            }
        )
        return self._observe([("first", first)], None, tracked=",".join(lines))

    def downstream_current_interpreter(self) -> Observation:
        where = self._where("downstream-current-interpreter")
        # The first build is the matrix's new/new downstream cold build through uv; its build
        # script's interpreter (a deleted isolated env's) is recorded in the prime's log.
        primed = self._primed("new", "new", "downstream")
        fixture, first = primed.fixture, primed.cold
        setup = self.ctx.setup("new", primed.target)
        (fixture.project / "build.rs").touch()  # in the restored copy, never in the prime
        second = self._uv(fixture, setup, where / "second")
        imported = self._import(second, fixture, where / "check")
        return self._observe(
            [("first", first), ("second", second)], imported, **{"base prefix": sys.base_prefix}
        )

    def downstream_opt_in(self) -> Observation:
        where = self._where("downstream-opt-in")
        # The first build only warms a new/new target dir for the opt-in fixture: a prime,
        # seeded with the matrix's new/new downstream prime (the same pyo3 chain; the fixture's
        # own package is forgotten, and its opt-in is a file of that package).
        primed = self._primed(
            "new", "new", "downstream-opt-in", seed=prime_spec("new", "new", "downstream", "uv")
        )
        fixture, first = primed.fixture, primed.cold
        setup = self.ctx.setup("new", primed.target)
        second = self._uv(fixture, setup, where / "second")
        imported = self._import(second, fixture, where / "check")
        return self._observe([("first", first), ("second", second)], imported)

    def inherited_other_version(self, frontend: Frontend) -> Observation:
        if self.other_python is None:
            return Observation(skipped="no second CPython minor version was found")
        where = self._where(f"inherited-other-version-{frontend}")
        inherited = self.base_of(self.other_python)
        fixture, first, second = self._twice(frontend, where, "old", inherited)
        imported = self._import(second, fixture, where / "check")
        facts = {"inherited": str(inherited), "built for": str(self.ctx.python)}
        return self._observe([("first", first), ("second", second)], imported, **facts)

    def inherited_overridden(self, frontend: Frontend) -> Observation:
        if self.other_python is None:
            return Observation(skipped="no second CPython minor version was found")
        where = self._where(f"inherited-overridden-{frontend}")
        inherited = self.base_of(self.other_python)
        right = self.base_of(self.ctx.python)
        fixture, first, second = self._twice(frontend, where, "new", inherited)
        imported = self._import(second, fixture, where / "check")
        facts = {"inherited": str(inherited), "build's base": str(right)}
        return self._observe([("first", first), ("second", second)], imported, **facts)

    def caller_sets_base(self, frontend: Frontend) -> Observation:
        where = self._where(f"caller-sets-base-{frontend}")
        right = self.base_of(self.ctx.python)
        # The first build only warms the target dir with the caller's base set; the prime's key
        # holds that setting and the interpreter behind it (path, version, file times).
        stage = f"caller-sets-base-{frontend}"
        primed = self._primed(
            "old", "new", frontend=frontend, stage=stage, PYO3_BASE_PYTHON=str(right)
        )
        fixture, first = primed.fixture, primed.cold
        setup = self.ctx.setup("old", primed.target, PYO3_BASE_PYTHON=str(right))
        second = build_wheel(self.ctx.runner, frontend, fixture.project, where / "second", setup)
        imported = self._import(second, fixture, where / "check")
        return self._observe(
            [("first", first), ("second", second)], imported, PYO3_BASE_PYTHON=str(right)
        )

    def alternative_env_dir(self) -> Observation:
        """Stock maturin and pyo3, `python -m build --env-dir DIR`: pypa/build (>= 1.5.1) puts the
        isolated environment at a fixed path, so PYO3_PYTHON is the same on every build."""
        where = self._where("alternative-env-dir")
        env_dir = where / "build-env"  # absent: `_where` removed it, and build removes its own
        # The first build only warms the target dir: a prime whose key holds the option.
        args = ("--env-dir", str(env_dir))
        primed = self._primed(
            "old", "old", frontend="build", stage="alternative-env-dir", frontend_args=args
        )
        setup = self.ctx.setup("old", primed.target)
        shutil.rmtree(env_dir, ignore_errors=True)  # it must be empty
        second = build_wheel(
            self.ctx.runner,
            "build",
            primed.fixture.project,
            where / "second",
            setup,
            extra_args=args,
        )
        imported = self._import(second, primed.fixture, where / "check")
        return self._observe(
            [("first", primed.cold), ("second", second)], imported, **{"env dir": str(env_dir)}
        )

    def alternative_no_isolation(self) -> Observation:
        """Stock maturin and pyo3, `pip wheel --no-build-isolation` from one venv that has the
        build requirements: the interpreter path never changes, and neither does isolation's
        absence (the project's requirements are whatever that venv has)."""
        where = self._where("alternative-no-isolation")
        fixture = self._fixture(where, "old")
        setup = self.ctx.setup("old", where / "target")
        venv_python = self._venv(where / "venv", "old")
        first = self._pip_in(venv_python, fixture, setup, where / "first")
        second = self._pip_in(venv_python, fixture, setup, where / "second")
        imported = self._import(second, fixture, where / "check")
        return self._observe([("first", first), ("second", second)], imported)

    def _attempt(
        self,
        where: Path,
        name: FixtureName,
        maturin: Variant,
        pyo3: Variant,
        frontend: Frontend,
        **env: str,
    ) -> tuple[Fixture, BuildSetup, BuildRun | str]:
        """One build of a fixture that may fail, at `where`: its run, or why it failed. Its
        target dir starts as a copy of the matrix's uv prime of the same variants and fixture
        (`ext` for a fixture the matrix has not): what is judged is the fixture's own build
        script, which runs whatever the copy holds, the copy forgetting the fixture's package."""
        fixture = self.ctx.fixture(name, pyo3, where)
        seeded = name if name in ("ext", "abi3", "downstream") else "ext"
        seed = self.ctx.primer.seed(
            self.ctx, prime_spec(maturin, pyo3, seeded, "uv"), where / "target", fixture.project
        )
        self._primed_from.append(
            f"none, the target dir a copy of {_built_by(seed)}, {seed.cold_from}"
        )
        setup = self.ctx.setup(maturin, where / "target", **env)
        try:
            return (
                fixture,
                setup,
                build_wheel(self.ctx.runner, frontend, fixture.project, where / "first", setup),
            )
        except CommandFailed as exc:
            return fixture, setup, failure_line(exc)

    def alternative_use_base_python(self, frontend: Frontend) -> Observation:
        """Stock maturin and pyo3 with maturin's own `use-base-python`: maturin runs the base
        interpreter (PYO3_PYTHON is the base), so pyo3's discovery sees one interpreter on every
        build, and so does every build script that runs PYO3_PYTHON or pyo3's config."""
        where = self._where(f"alternative-use-base-python-{frontend}")
        stage = f"alternative-use-base-python-{frontend}"
        # downstream's build script imports a build requirement with pyo3's interpreter
        _, setup, first = self._attempt(
            where / "downstream", "downstream", "old", "old", frontend, **USE_BASE_PYTHON
        )
        runs: list[tuple[str, BuildRun]] = []
        if isinstance(first, str):
            downstream = f"build FAILED: {first}"
        else:
            again = build_wheel(
                self.ctx.runner,
                frontend,
                where / "downstream" / "project",
                where / "downstream" / "second",
                setup,
            )
            runs += [("downstream first", first), ("downstream second", again)]
            downstream = _build("downstream second", again).outcome
        # ext: the first build only warms the target dir with the setting: a prime whose key
        # holds it (not seeded: the alternatives table reads its first build as a cold one).
        primed = self._primed(
            "old", "old", frontend=frontend, stage=stage, MATURIN_PEP517_USE_BASE_PYTHON="1"
        )
        setup = self.ctx.setup("old", primed.target, **USE_BASE_PYTHON)
        second = build_wheel(
            self.ctx.runner, frontend, primed.fixture.project, where / "second", setup
        )
        imported = self._import(second, primed.fixture, where / "check")
        runs += [("first", primed.cold), ("second", second)]
        return self._observe(runs, imported, downstream=downstream)

    def use_base_python_build_requirement(self) -> Observation:
        """The build-requirement fixture (its build script imports a build requirement with
        PYO3_PYTHON) under use-base-python without the series, then twice with the series."""
        where = self._where("use-base-python-build-requirement")
        base = self.base_of(self.ctx.python)
        module = BUILD_REQUIREMENT.module
        if self.ctx.runner.run([base, "-c", f"import {module}"], check=False).returncode == 0:
            return Observation(
                not_applicable=f"the base interpreter {base} has {module} installed itself"
            )
        _, _, stock = self._attempt(
            where / "use-base-python", "build-requirement", "old", "old", "uv", **USE_BASE_PYTHON
        )
        outcome = f"build FAILED: {stock}" if isinstance(stock, str) else "built"
        # With the series: the first build only warms a new/new target dir for the fixture, a
        # prime seeded with the matrix's new/new ext prime (the same pyo3 chain; the fixture's
        # own package, whose build script is what is judged, is forgotten).
        primed = self._primed(
            "new",
            "new",
            "build-requirement",
            stage="use-base-python-build-requirement",
            seed=prime_spec("new", "new", "ext", "uv"),
        )
        setup = self.ctx.setup("new", primed.target)
        second = self._uv(primed.fixture, setup, where / "second")
        imported = self._import(second, primed.fixture, where / "check")
        return self._observe(
            [("first", primed.cold), ("second", second)], imported, **{"use-base-python": outcome}
        )

    def pip_default_isolation(self) -> Observation:
        """new/new through pip's default build isolation (no venv: `PYTHONPATH` points at a
        `sitecustomize` that rebuilds `sys.path` from the build interpreter's `site-packages`)
        for an environment with a `.pth` file that imports from the standard library, as an
        editable install's finder does. This verify's pip builds for that environment (`pip
        --python`), whatever pip the environment itself has."""
        where = self._where("pip-default-isolation")
        self.ctx.runner.run(
            [self.ctx.python, "-m", "venv", *HOST.venv_args(), "--without-pip", where / "env"]
        )
        env_python = HOST.venv_python(where / "env")
        script = "import sysconfig; print(sysconfig.get_path('purelib'))"
        purelib = Path(self.ctx.runner.run([env_python, "-c", script]).stdout.strip())
        (purelib / "pyo3_verify_finder.pth").write_text("import json\n", encoding="utf-8")
        fixture = self._fixture(where)
        setup = BuildSetup(
            wheelhouse=self.ctx.wheelhouses["new"],
            target_dir=where / "target",
            python=self.ctx.python,
            extra_env={},
            pip_target=env_python,
        )
        pip = self.ctx.runner.run([self.ctx.python, "-m", "pip", "--version"]).stdout.split()
        facts = {"pip": " ".join(pip[:2]), "environment": str(where / "env")}
        runs: list[tuple[str, BuildRun]] = []
        try:
            for label in ("first", "second"):
                runs.append(
                    (
                        label,
                        build_wheel(self.ctx.runner, "pip", fixture.project, where / label, setup),
                    )
                )
        except CommandFailed as exc:
            # cargo's own errors say where it failed ("failed to run custom build command")
            return Observation(failed=failure_line(exc), facts=facts)
        imported = self._import(runs[-1][1], fixture, where / "check")
        return self._observe(runs, imported, **facts)

    def base_reinstalled(self) -> Observation:
        if HOST.no_relocated_copy is not None:
            return Observation(not_applicable=HOST.no_relocated_copy)
        where = self._where("base-reinstalled")
        original = self.base_of(self.ctx.python)
        # A relocated installation: its own copy of the interpreter binary, the original's
        # standard library (CPython finds its prefix from the binary's location).
        home = where / "python"
        (home / "bin").mkdir(parents=True)
        (home / "lib").symlink_to(original.parent.parent / "lib", target_is_directory=True)
        base = home / "bin" / original.name
        shutil.copy2(original, base)
        fixture = self._fixture(where)
        # The first build starts from a copy of the matrix's new/new target dir: maturin exports
        # the copy as the base, a path the seed's discovery run tracks, so that build reruns it
        # and what follows is judged against the copy alone.
        seed = self.ctx.primer.seed(
            self.ctx, prime_spec("new", "new", "ext", "uv"), where / "target", fixture.project
        )
        self._primed_from.append(
            f"none, the target dir a copy of {_built_by(seed)}, {seed.cold_from}"
        )
        setup = BuildSetup(
            wheelhouse=self.ctx.wheelhouses["new"],
            target_dir=where / "target",
            python=base,
            extra_env={},
        )
        again, kept, new = REINSTALL_STEPS
        runs = [("first", self._uv(fixture, setup, where / "first"))]
        runs.append((again, self._uv(fixture, setup, where / "again")))
        base.unlink()
        shutil.copy2(original, base)  # as an archive extraction or `cp -a` would
        runs.append((kept, self._uv(fixture, setup, where / "kept")))
        base.unlink()
        shutil.copyfile(original, base)  # as a build from source or a plain `cp` would
        base.chmod(0o755)
        runs.append((new, self._uv(fixture, setup, where / "new")))
        imported = self._import(runs[-1][1], fixture, where / "check", base)
        return self._observe(runs, imported, base=str(base))


USE_BASE_PYTHON = {"MATURIN_PEP517_USE_BASE_PYTHON": "1"}


def failure_line(exc: CommandFailed) -> str:
    """What a failed build says about its failure: a build script's panic, or cargo's error."""
    lines = [line.strip() for line in exc.output.splitlines()]
    said = [line for line in lines if "cannot import" in line or "ModuleNotFoundError" in line]
    said = said or [line for line in lines if line.startswith("error:")]
    return " / ".join([str(exc), *said[:2]])


def write_if_changed(path: Path, text: str) -> Path:
    """Writes `text` to `path` unless it holds exactly that already (its mtime then stays)."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return path
    except (OSError, UnicodeDecodeError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


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


def _per_frontend(
    name: str,
    what: str,
    expected: str,
    measure: Callable[[Measure, Frontend], Observation],
    verdict: Callable[[Observation], Verdict],
    *,
    series: bool = True,
) -> list[Scenario]:
    def bound(frontend: Frontend) -> Callable[[Measure], Observation]:
        return lambda steps: measure(steps, frontend)

    frontends: tuple[Frontend, ...] = ("uv", "build")
    return [
        Scenario(
            f"{name}-{frontend}",
            what.format(frontend=frontend),
            expected,
            bound(frontend),
            verdict,
            series=series,
        )
        for frontend in frontends
    ]


_ALL: list[Scenario] = [
    Scenario(
        "two-venvs-same-base",
        "new/new: build from venv A, then from venv B made from the same base interpreter "
        "(pip --no-build-isolation in each)",
        "cached",
        Measure.two_venvs_same_base,
        verdicts.two_venvs_same_base,
    ),
    Scenario(
        "other-minor-version",
        "new/new: warm target from the verify interpreter, then a build based on another "
        "CPython minor version, imported there",
        "rebuild",
        Measure.other_minor_version,
        verdicts.rebuilds,
    ),
    Scenario(
        "base-dropped",
        "pyo3 new: a build with PYO3_BASE_PYTHON (maturin new), then one without it "
        "(maturin old) against the same target dir",
        "rebuild",
        Measure.base_dropped,
        verdicts.rebuilds,
    ),
    Scenario(
        "base-missing",
        "new/new from two venvs whose sys._base_executable does not exist: maturin must "
        "not export it, pyo3 must fall back to PYO3_PYTHON and track it",
        "rebuild",
        Measure.base_missing,
        verdicts.base_missing,
    ),
    Scenario(
        "base-path-invalid",
        "pyo3 new with PYO3_BASE_PYTHON set by hand to a missing file (maturin old): "
        "a warning, then PYO3_PYTHON discovery as before",
        "rebuild",
        Measure.base_path_invalid,
        verdicts.base_path_invalid,
    ),
    Scenario(
        "config-file",
        "PYO3_CONFIG_FILE set by the user: old/old and new/new must behave the same",
        "cached",
        Measure.config_file,
        verdicts.config_file,
    ),
    Scenario(
        "rerun-triggers",
        "new/new: the variables pyo3-ffi's build script asks cargo to track",
        "PYO3_BASE_PYTHON tracked; PYO3_PYTHON, VIRTUAL_ENV not",
        Measure.rerun_triggers,
        verdicts.rerun_triggers,
    ),
    Scenario(
        "downstream-current-interpreter",
        "new/new: a downstream build script rerun on a later build gets that build's venv "
        "interpreter from get().executable(), never the first build's (deleted) venv",
        "cached",
        Measure.downstream_current_interpreter,
        verdicts.downstream_current_interpreter,
    ),
    Scenario(
        "downstream-opt-in",
        "new/new: a build script that opts in to the build environment's interpreter is "
        "rerun when it changes, while the pyo3 chain stays cached",
        "cached",
        Measure.downstream_opt_in,
        verdicts.downstream_opt_in,
        needs=f"pub fn {OPT_IN_API}(",
    ),
    *_per_frontend(
        "inherited-other-version",
        "maturin old, pyo3 new, {frontend}: PYO3_BASE_PYTHON inherited from the "
        "caller's environment names another CPython minor version than the build is "
        "for; the wheel is imported by the interpreter it was built for",
        "imports; PYO3_BASE_PYTHON ignored with a warning",
        Measure.inherited_other_version,
        verdicts.inherited_other_version,
    ),
    *_per_frontend(
        "inherited-overridden",
        "maturin new, pyo3 new, {frontend}: the same inherited PYO3_BASE_PYTHON is "
        "replaced by maturin with the build's own base",
        "cached",
        Measure.inherited_overridden,
        verdicts.inherited_overridden,
    ),
    *_per_frontend(
        "caller-sets-base",
        "maturin old, pyo3 new, {frontend}: the caller exports PYO3_BASE_PYTHON, the "
        "base of the build's interpreter (the pyo3 half used before maturin ships "
        "its half)",
        "cached",
        Measure.caller_sets_base,
        verdicts.stays_cached,
    ),
    Scenario(
        "base-reinstalled",
        "new/new, uv: the base interpreter's binary replaced at the same path, once keeping "
        "its modification time (archive extraction, cp -a) and once with a new one (a build "
        "from source, a plain copy)",
        "cached, cached, then one rebuild",
        Measure.base_reinstalled,
        verdicts.base_reinstalled,
    ),
    Scenario(
        "pip-default-isolation",
        "new/new, pip's default build isolation (a sitecustomize on PYTHONPATH, no venv) "
        "for an environment with a .pth file importing the standard library (an editable "
        "install's finder): the base interpreter must not be run with that PYTHONPATH",
        "cached",
        Measure.pip_default_isolation,
        verdicts.stays_cached,
    ),
    Scenario(
        "alternative-env-dir",
        "alternative, no series (maturin old, pyo3 old): `python -m build --env-dir DIR`, "
        "the isolated environment at one fixed path (pypa/build >= 1.5.1); opt-in per "
        "invocation and one frontend only",
        "cached",
        Measure.alternative_env_dir,
        verdicts.stays_cached,
        series=False,
    ),
    Scenario(
        "alternative-no-isolation",
        "alternative, no series (maturin old, pyo3 old): `pip wheel --no-build-isolation` "
        "from one venv holding the build requirements; gives up build isolation",
        "cached",
        Measure.alternative_no_isolation,
        verdicts.stays_cached,
        series=False,
    ),
    *_per_frontend(
        "alternative-use-base-python",
        "alternative, no series (maturin old, pyo3 old), {frontend}: maturin's own "
        "`use-base-python` (MATURIN_PEP517_USE_BASE_PYTHON=1), the ext and downstream "
        "fixtures; opt-in, and build scripts get the base interpreter",
        "ext cached; downstream fails (its build script imports a build requirement "
        "the base interpreter lacks)",
        Measure.alternative_use_base_python,
        verdicts.use_base_python,
        series=False,
    ),
    Scenario(
        "use-base-python-build-requirement",
        "a build script runs PYO3_PYTHON importing a build requirement (`build-requirement` "
        "fixture, uv): under use-base-python (maturin old, pyo3 old), then twice with the "
        "series (maturin new, pyo3 new)",
        "fails under use-base-python; builds and stays cached with the series",
        Measure.use_base_python_build_requirement,
        verdicts.build_requirement,
    ),
    *PLATFORM_SCENARIOS,  # run where they apply, skipped elsewhere with the reason
]

SCENARIOS: dict[str, Scenario] = {scenario.name: scenario for scenario in _ALL}


def selected_scenarios(names: list[str] | None) -> list[Scenario]:
    """The scenarios a run selects: all for None, in their declared order."""
    return [s for s in SCENARIOS.values() if names is None or s.name in names]


def run_safety(
    ctx: VerifyContext, other_python: Path | None, names: list[str] | None = None
) -> list[ScenarioResult]:
    measure = Measure(ctx, other_python)
    results = []
    selected = names or list(SCENARIOS)
    for index, name in enumerate(selected, start=1):
        scenario = SCENARIOS[name]
        with ctx.reporter.progress(f"safety {index}/{len(selected)}: {name}"):
            results.append(scenario.result(scenario.measure(measure)))
    return results
