"""The built wheel and sdist carry what the tools read at run time (the pins, the series, the
verify fixtures, the templates): the wheel, installed into a fresh venv away from the checkout,
runs `tools pins`, `tools check --no-apply` and renders the verify fixtures.

Built with this environment's setuptools and no build isolation, installed with --no-deps and
--no-index; the dependencies come from this environment's site-packages. No network.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

from tools.pins import CHECKOUT_PINS, load_pins

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str | Path], *, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The wheel and the sdist, built from a copy of the checkout's packaged files."""
    root = tmp_path_factory.mktemp("packaging")
    source = root / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("tools", "patches"):
        shutil.copytree(ROOT / folder, source / folder, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    dist = root / "dist"
    built = []
    for hook in ("build_wheel", "build_sdist"):  # one process each: setuptools keeps state
        call = (
            "import sys; from setuptools import build_meta; "
            f"print('built:', build_meta.{hook}(sys.argv[1]))"
        )
        out = _run([sys.executable, "-c", call, dist], cwd=source)
        built.append(
            dist / [line for line in out.splitlines() if line.startswith("built: ")][-1][7:]
        )
    wheel, sdist = built
    assert wheel.is_file()
    assert sdist.is_file()
    return wheel, sdist


def _series_files() -> list[str]:
    pins = load_pins(CHECKOUT_PINS)
    files = ["pins.toml"]
    for pin in pins.pins:
        files += [p.relative_to(CHECKOUT_PINS.parent).as_posix() for p in pin.patch_paths]
    return files


def _fixture_files() -> list[str]:
    fixtures = ROOT / "tools" / "verify" / "fixtures"
    return [p.relative_to(ROOT).as_posix() for p in fixtures.rglob("*") if p.is_file()]


def test_the_wheel_and_the_sdist_carry_the_series_and_fixtures(built: tuple[Path, Path]) -> None:
    wheel, sdist = built
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = set(archive.namelist())
    with tarfile.open(sdist) as archive:
        top = archive.getnames()[0].split("/")[0]
        in_sdist = {name.removeprefix(top + "/") for name in archive.getnames()}
    for name in _series_files():
        assert f"tools/_patches/{name}" in in_wheel
        assert f"patches/{name}" in in_sdist
    for name in _fixture_files():
        assert name in in_wheel
        assert name in in_sdist


@pytest.fixture(scope="module")
def installed(built: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the wheel; the dependencies are found in this environment's
    site-packages (a path line in a .pth, so nothing of the checkout comes with them)."""
    venv = tmp_path_factory.mktemp("venv") / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=venv.parent)
    scripts = venv / ("Scripts" if os.name == "nt" else "bin")
    python = scripts / ("python.exe" if os.name == "nt" else "python")
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            python,
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            built[0],
        ],
        cwd=venv.parent,
    )
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    purelib = Path(_run([python, "-c", code], cwd=venv.parent).strip())
    (purelib / "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def _environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYO3_BASE_PYTHON_TOOLS_CACHE"] = str(tmp_path / "cache")
    return env


def _tools(
    python: Path, *args: str, cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    script = python.parent / ("tools.exe" if os.name == "nt" else "tools")
    return subprocess.run(
        [str(script), *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def test_the_installed_wheel_runs_away_from_the_checkout(installed: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = _environment(tmp_path)
    where = _run([installed, "-c", "import tools; print(tools.__file__)"], cwd=elsewhere, env=env)
    assert not Path(where.strip()).is_relative_to(ROOT)
    assert Path(where.strip()).is_relative_to(installed.parent.parent)

    pins = _tools(installed, "pins", "--json", cwd=elsewhere, env=env)
    assert pins.returncode == 0, pins.stderr
    listed = {(p["project"], p["version"]) for p in json.loads(pins.stdout)}
    assert listed == {(p.project, p.version) for p in load_pins(CHECKOUT_PINS).pins}

    check = _tools(installed, "check", "--no-apply", cwd=elsewhere, env=env)
    assert check.returncode == 0, check.stdout + check.stderr

    # The start of `tools verify`: every fixture rendered from the packaged templates.
    render = (
        "import sys; from pathlib import Path\n"
        "from tools.verify.fixtures import FIXTURES, TEMPLATES, render_fixture\n"
        "print(TEMPLATES)\n"
        "for name in FIXTURES:\n"
        "    fixture = render_fixture(name, Path(sys.argv[1]) / name, pyo3_tree=Path(sys.argv[2]),"
        " pyo3_version='0.30.1', maturin_version='1.16.0')\n"
        "    print((fixture.project / 'Cargo.toml').read_text())\n"
    )
    out = _run(
        [installed, "-c", render, tmp_path / "fixtures", tmp_path / "pyo3"], cwd=elsewhere, env=env
    )
    templates = Path(out.splitlines()[0])
    assert templates.is_relative_to(installed.parent.parent)
    assert out.count("[patch.crates-io]") == 3
    assert (tmp_path / "fixtures" / "downstream" / "build.rs").is_file()

    # Writing commands write into a checkout, never into the installed copy.
    port = _tools(
        installed, "port", "pyo3", "--from", "0.30.1", "--to", "0.30.2", cwd=elsewhere, env=env
    )
    assert port.returncode == 2, port.stderr
    assert "is the copy installed with the tools" in port.stderr
    assert "hint: pass --pins" in port.stderr
    assert "Traceback" not in port.stderr
