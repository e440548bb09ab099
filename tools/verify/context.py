"""What every verify step shares: the inputs built once, where to work, how to run things."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tools.platforms import HOST
from tools.reporter import Reporter
from tools.runner import Runner
from tools.verify.artifacts import Trees, Variant
from tools.verify.fixtures import Fixture, FixtureName, render_fixture
from tools.verify.frontends import BuildSetup

if TYPE_CHECKING:
    from tools.verify.primes import Primer


@dataclass(frozen=True, kw_only=True)
class VerifyContext:
    runner: Runner
    reporter: Reporter
    work: Path
    python: Path
    pyo3_version: str
    maturin_version: str
    pyo3_trees: Trees
    wheelhouses: dict[Variant, Path]
    primer: Primer  # primed target dirs, kept across runs
    # The same CPython version as `python` with the other GIL setting (free-threading scenario).
    ft_pair: Path | None = None
    # Where the cells and scenarios build (default: `work`); primes stay under `work`, so that
    # a run with another pyo3 "new" tree (a prefix of the stack) shares those of the old one.
    runs_dir: Path | None = None

    @property
    def runs(self) -> Path:
        return self.runs_dir or self.work

    def fixture(self, name: FixtureName, pyo3: Variant, where: Path) -> Fixture:
        return render_fixture(
            name,
            where / "project",
            pyo3_tree=self.pyo3_trees[pyo3],
            pyo3_version=self.pyo3_version,
            maturin_version=self.maturin_version,
        )

    def setup(self, maturin: Variant, target: Path, **extra_env: str) -> BuildSetup:
        return BuildSetup(
            wheelhouse=self.wheelhouses[maturin],
            target_dir=target,
            python=self.python,
            extra_env=extra_env,
        )


def import_wheel(
    runner: Runner, wheel: Path, code: str, python: Path, venv: Path
) -> tuple[bool, str]:
    """Installs the wheel into a fresh venv of `python` and runs `code` there."""
    uv = [sys.executable, "-m", "uv"]
    runner.run([*uv, "venv", "--quiet", "--python", python, venv])
    runner.run(
        [
            *uv,
            "pip",
            "install",
            "--quiet",
            "--python",
            HOST.venv_python(venv),
            "--no-index",
            "--no-deps",
            wheel,
        ]
    )
    result = runner.run([HOST.venv_python(venv), "-c", code], check=False)
    detail = (result.stderr or result.stdout).strip().splitlines()
    return result.returncode == 0, detail[-1] if detail else ""
