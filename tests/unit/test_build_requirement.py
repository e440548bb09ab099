"""The build-requirement fixture and its build requirement: the fixture's build script imports
a package its pyproject lists, which reaches the wheelhouse from the tool cache, checked against
its pinned hash; a failed build is reduced to what its build script said."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from tools.cache import Cache
from tools.errors import CommandFailed
from tools.verify.artifacts import (
    BUILD_REQUIREMENT,
    BuildRequirement,
    build_requirement_wheel,
    wheelhouse,
)
from tools.verify.fixtures import render_fixture
from tools.verify.safety import failure_line

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


def test_the_fixture_lists_the_requirement_and_its_build_script_imports_it(
    tmp_path: Path,
) -> None:
    fixture = render_fixture(
        "build-requirement",
        tmp_path / "project",
        pyo3_tree=tmp_path / "pyo3",
        pyo3_version="0.30.1",
        maturin_version="1.16.0",
    )
    assert fixture.module == "verify_build_requirement"
    pyproject = tomllib.loads((fixture.project / "pyproject.toml").read_text())
    requires = pyproject["build-system"]["requires"]
    assert requires == ["maturin==1.16.0", BUILD_REQUIREMENT.requirement]
    build_rs = (fixture.project / "build.rs").read_text()
    assert 'env::var("PYO3_PYTHON")' in build_rs
    assert f'"import {BUILD_REQUIREMENT.module}"' in build_rs
    assert "cargo:rerun-if-env-changed=PYO3_PYTHON" in build_rs
    assert "{{" not in build_rs
    cargo = (fixture.project / "Cargo.toml").read_text()
    assert 'name = "verify_build_requirement"' in cargo
    assert "[patch.crates-io]" in cargo
    assert "verify_build_requirement.add(2, 3) == 5" in fixture.import_check()


class _Pip:
    """Stands in for the runner: "downloads" the given bytes where pip was told to write."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.calls: list[list[str]] = []

    def run(self, args: Sequence[str | Path], **_: Mapping[str, str]) -> None:
        self.calls.append([str(a) for a in args])
        dest = Path(args[args.index("--dest") + 1])
        dest.mkdir(parents=True, exist_ok=True)
        (dest / BUILD_REQUIREMENT.wheel).write_bytes(self.data)


def _pinned_to(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    pinned = BuildRequirement(
        name="tomli-w",
        version="1.2.0",
        module="tomli_w",
        wheel=BUILD_REQUIREMENT.wheel,
        sha256=hashlib.sha256(data).hexdigest(),
    )
    monkeypatch.setattr("tools.verify.artifacts.BUILD_REQUIREMENT", pinned)


def test_the_requirement_is_downloaded_once_and_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _pinned_to(monkeypatch, b"the wheel")
    cache = Cache(tmp_path / "cache")
    pip = _Pip(b"the wheel")
    wheel = build_requirement_wheel(cache, pip, Path("python"))  # type: ignore[arg-type]
    assert wheel.read_bytes() == b"the wheel"
    assert pip.calls[0][-1] == "tomli-w==1.2.0"
    assert "--no-deps" in pip.calls[0]
    assert build_requirement_wheel(cache, pip, Path("python")) == wheel  # type: ignore[arg-type]
    assert len(pip.calls) == 1  # kept in the cache
    assert [p.name for p in wheel.parent.iterdir()] == [wheel.name]  # no partial folder left


def test_a_download_of_another_file_is_refused_and_not_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _pinned_to(monkeypatch, b"the wheel")
    cache = Cache(tmp_path / "cache")
    with pytest.raises(CommandFailed, match="pinned: "):
        build_requirement_wheel(cache, _Pip(b"another wheel"), Path("python"))  # type: ignore[arg-type]
    folder = cache.builds / "wheels" / "build-requirements"
    assert not list(folder.iterdir())
    # a file of the cache that is not the pinned one is downloaded again
    (folder / BUILD_REQUIREMENT.wheel).write_bytes(b"tampered")
    pip = _Pip(b"the wheel")
    assert build_requirement_wheel(cache, pip, Path("python")).read_bytes() == b"the wheel"  # type: ignore[arg-type]
    assert len(pip.calls) == 1


def test_the_wheelhouse_holds_the_extra_wheels(tmp_path: Path) -> None:
    maturin = tmp_path / "maturin-1.16.0-py3-none-any.whl"
    extra = tmp_path / "tomli_w-1.2.0-py3-none-any.whl"
    maturin.write_bytes(b"m")
    extra.write_bytes(b"t")
    house = wheelhouse(tmp_path / "house", maturin, [extra])
    names = sorted(p.name for p in house.glob("*.whl"))
    assert names == sorted([extra.name, maturin.name, "pyo3_verify_buildtime-1.0-py3-none-any.whl"])
    assert "tomli" not in " ".join(p.name for p in wheelhouse(house, maturin).glob("*.whl"))


def test_failure_line_keeps_what_the_build_script_said() -> None:
    log = (
        "   Compiling pyo3-ffi v0.30.1\n"
        "  thread 'main' panicked at build.rs:17:9:\n"
        "  verify-build-requirement: /base/bin/python3.11 cannot import tomli_w: "
        "ModuleNotFoundError: No module named 'tomli_w'\n"
        "error: failed to run custom build command for `verify-build-requirement`\n"
    )
    exc = CommandFailed("uv failed to build project (exit 2)", output=log)
    assert failure_line(exc) == (
        "uv failed to build project (exit 2) / verify-build-requirement: /base/bin/python3.11 "
        "cannot import tomli_w: ModuleNotFoundError: No module named 'tomli_w'"
    )
    other = CommandFailed("pip failed (exit 1)", output="warning: x\nerror: linker not found\n")
    assert failure_line(other) == "pip failed (exit 1) / error: linker not found"
