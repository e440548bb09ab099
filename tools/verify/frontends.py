"""Building a project through a real PEP 517 frontend, with a local wheelhouse and no index."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tools.errors import CommandFailed
from tools.runner import Runner
from tools.verify.evidence import FINGERPRINT_LOG, MATURIN_LOG, BuildEvidence, parse_cargo_output

Frontend = Literal["uv", "build", "pip"]
FRONTENDS: tuple[Frontend, ...] = ("uv", "build", "pip")

# Variables from the caller's shell that would change what is built or where things come from.
_SCRUBBED_PREFIXES = ("PYO3_", "PIP_", "UV_", "MATURIN_", "CARGO_TARGET", "CARGO_BUILD_")
_SCRUBBED = {"VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONPATH", "PYTHONHOME", "CARGO_LOG", "RUSTFLAGS"}


@dataclass(frozen=True, kw_only=True)
class BuildSetup:
    """Everything a fixture build depends on besides the frontend."""

    wheelhouse: Path
    target_dir: Path
    python: Path
    extra_env: Mapping[str, str]
    # pip only: the environment pip builds for when it is not the one pip runs in (`pip
    # --python`), so that this pip builds for an interpreter that has another one, or none
    pip_target: Path | None = None


@dataclass(frozen=True)
class BuildRun:
    wheel: Path
    seconds: float
    evidence: BuildEvidence
    log: str


def scrubbed_env(wheelhouse: Path) -> dict[str, str]:
    """The caller's environment without what would change the build, resolving only from the
    wheelhouse (this machine, for one, sets PIP_FIND_LINKS to a folder with maturin in it)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in _SCRUBBED and not key.startswith(_SCRUBBED_PREFIXES)
    }
    if "UV_CACHE_DIR" in os.environ:
        env["UV_CACHE_DIR"] = os.environ["UV_CACHE_DIR"]
    env.update(
        {
            "PIP_NO_INDEX": "1",
            "PIP_FIND_LINKS": str(wheelhouse),
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "UV_NO_INDEX": "1",
            "UV_FIND_LINKS": str(wheelhouse),
        }
    )
    return env


def build_env(setup: BuildSetup) -> dict[str, str]:
    env = scrubbed_env(setup.wheelhouse)
    env.update(
        {
            "CARGO_TARGET_DIR": str(setup.target_dir),
            "CARGO_LOG": FINGERPRINT_LOG,
            "RUST_LOG": MATURIN_LOG,
            "CARGO_TERM_COLOR": "never",
            "NO_COLOR": "1",
        }
    )
    env.update(setup.extra_env)
    return env


def frontend_command(
    frontend: Frontend,
    project: Path,
    out: Path,
    setup: BuildSetup,
    extra_args: Sequence[str] = (),
) -> list[str]:
    python = str(setup.python)
    if frontend == "uv":
        # `uv build` resolves build requirements from PyPI unless told otherwise on the command
        # line; UV_NO_INDEX / UV_FIND_LINKS alone were not honoured for them (uv 0.13.9).
        return [
            sys.executable,
            "-m",
            "uv",
            "build",
            "--wheel",
            "--python",
            python,
            "--no-index",
            "--find-links",
            str(setup.wheelhouse),
            "--out-dir",
            str(out),
            *extra_args,
            str(project),
        ]
    if frontend == "build":
        return [python, "-m", "build", "--wheel", "--outdir", str(out), *extra_args, str(project)]
    target = ["--python", str(setup.pip_target)] if setup.pip_target is not None else []
    return [
        python,
        "-m",
        "pip",
        *target,
        "wheel",
        "--verbose",
        "--no-deps",
        "--wheel-dir",
        str(out),
        *extra_args,
        str(project),
    ]


def build_wheel(
    runner: Runner,
    frontend: Frontend,
    project: Path,
    out: Path,
    setup: BuildSetup,
    *,
    extra_args: Sequence[str] = (),
) -> BuildRun:
    out.mkdir(parents=True, exist_ok=True)
    before = set(out.glob("*.whl"))
    start = time.monotonic()
    result = runner.run(
        frontend_command(frontend, project, out, setup, extra_args),
        env=build_env(setup),
        check=False,
    )
    seconds = time.monotonic() - start
    log = result.stdout + result.stderr
    if result.returncode != 0:
        raise CommandFailed(
            f"{frontend} failed to build {project.name} (exit {result.returncode})", output=log
        )
    wheels = sorted(set(out.glob("*.whl")) - before) or sorted(out.glob("*.whl"))
    if not wheels:
        raise CommandFailed(f"{frontend} reported success but wrote no wheel to {out}", output=log)
    return BuildRun(wheels[-1], seconds, parse_cargo_output(log), log)
