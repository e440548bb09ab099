"""The audit's inputs: the pyo3 a Cargo.lock locks, the pin that serves it, the patch added to a
copy of the manifest, the sdist picked from PyPI's JSON, and the module a wheel provides."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.audit.importcheck import top_level_module
from tools.audit.lockfile import build_requirements, choose_pyo3_pin, locked_versions
from tools.audit.patching import add_crates_io_patch
from tools.audit.real import REAL_PROJECTS, describe_defaults, real_plan
from tools.audit.source import parse_pypi_spec, pick_sdist
from tools.cli import main
from tools.errors import ConfigError
from tools.pins import load_pins
from tools.reporter import RecordingReporter

LOCK = """\
version = 4

[[package]]
name = "pyo3"
version = "{version}"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "pyo3-ffi"
version = "{version}"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "serde"
version = "1.0.228"
"""

TREE = Path("/cache/trees/pyo3-0.30.1-new")


def test_locked_versions() -> None:
    assert locked_versions(LOCK.format(version="0.30.1")) == {
        "pyo3": ["0.30.1"],
        "pyo3-ffi": ["0.30.1"],
    }


def test_the_pin_of_the_locked_version_serves_it() -> None:
    pins = load_pins().for_project("pyo3")
    pin, moved_from = choose_pyo3_pin(locked_versions(LOCK.format(version="0.30.1")), pins)
    assert moved_from is None
    assert pin.version == "0.30.1"


def test_an_unserved_version_names_the_served_ones_and_tools_port() -> None:
    pins = load_pins().for_project("pyo3")
    with pytest.raises(ConfigError) as raised:
        choose_pyo3_pin(locked_versions(LOCK.format(version="0.27.2")), pins)
    assert str(raised.value) == (
        "the project locks pyo3 0.27.2; the series serves pyo3 "
        + ", ".join(p.version for p in pins)
    )
    assert raised.value.exit_code == 2
    assert "tools port" in (raised.value.hint or "")
    assert "--stock-only" in (raised.value.hint or "")


def test_a_lock_without_pyo3_is_refused() -> None:
    with pytest.raises(ConfigError, match="no pyo3 package"):
        choose_pyo3_pin({}, load_pins().for_project("pyo3"))


def test_patch_table_is_appended() -> None:
    manifest = '[package]\nname = "x"\n\n[dependencies]\npyo3 = "0.30"\n'
    patched = add_crates_io_patch(manifest, TREE, ["pyo3", "pyo3-ffi"])
    assert patched.startswith(manifest)
    assert patched.endswith(
        "[patch.crates-io]\n"
        'pyo3 = { path = "/cache/trees/pyo3-0.30.1-new" }\n'
        'pyo3-ffi = { path = "/cache/trees/pyo3-0.30.1-new/pyo3-ffi" }\n'
    )


def test_an_existing_patch_table_is_extended() -> None:
    manifest = '[patch.crates-io]\nserde = { path = "../serde" }\n\n[profile.release]\nlto = true\n'
    patched = add_crates_io_patch(manifest, TREE, ["pyo3"])
    lines = patched.splitlines()
    assert lines.count("[patch.crates-io]") == 1
    assert lines[2] == 'pyo3 = { path = "/cache/trees/pyo3-0.30.1-new" }'
    assert 'serde = { path = "../serde" }' in lines
    assert lines[-1] == "lto = true"


def test_a_project_patching_pyo3_itself_is_refused() -> None:
    manifest = '[patch.crates-io]\npyo3 = { git = "https://example.invalid/pyo3" }\n'
    with pytest.raises(ConfigError, match="already patches pyo3"):
        add_crates_io_patch(manifest, TREE, ["pyo3"])


def test_build_requirements() -> None:
    text = (
        '[build-system]\nrequires = ["maturin>=1.9,<2", "cffi>=1.12"]\nbuild-backend = "maturin"\n'
    )
    requirements = build_requirements(text)
    assert requirements.maturin is not None
    assert requirements.maturin.specifier.contains("1.16.0")
    assert requirements.others == ("cffi>=1.12",)
    with pytest.raises(ConfigError, match="not maturin"):
        build_requirements('[build-system]\nbuild-backend = "setuptools.build_meta"\n')


def test_pypi_specs() -> None:
    assert parse_pypi_spec("pypi:ormsgpack") == ("ormsgpack", None)
    assert parse_pypi_spec("pypi:rpds-py==2026.9.1") == ("rpds-py", "2026.9.1")
    assert parse_pypi_spec("./ormsgpack") is None
    with pytest.raises(ConfigError):
        parse_pypi_spec("pypi:bad name")


def test_pick_sdist_resolves_relative_urls_and_keeps_the_sha256() -> None:
    index = {
        "info": {"version": "2.0"},
        "releases": {
            "1.0": [
                {"packagetype": "bdist_wheel", "url": "x.whl", "digests": {"sha256": "0" * 64}},
                {
                    "packagetype": "sdist",
                    "url": "../../packages/ab/demo-1.0.tar.gz",
                    "digests": {"sha256": "a" * 64},
                },
            ],
            "2.0": [],
        },
    }
    artifact, version = pick_sdist(index, "demo", "1.0", "https://pypi.org/pypi/demo/json")
    assert version == "1.0"
    assert artifact.url == "https://pypi.org/packages/ab/demo-1.0.tar.gz"
    assert artifact.sha256 == "a" * 64
    with pytest.raises(ConfigError, match="no sdist"):
        pick_sdist(index, "demo", None, "https://pypi.org/pypi/demo/json")
    with pytest.raises(ConfigError, match="no release"):
        pick_sdist(index, "demo", "3.0", "https://pypi.org/pypi/demo/json")


def test_top_level_module() -> None:
    names = [
        "ormsgpack-1.13.1.dist-info/METADATA",
        "ormsgpack/__init__.py",
        "ormsgpack/ormsgpack.cpython-311-x86_64-linux-gnu.so",
    ]
    assert top_level_module(names) == "ormsgpack"
    assert top_level_module(
        ["demo.cpython-311-x86_64-linux-gnu.so", "demo-1.dist-info/RECORD"]
    ) == ("demo")


def test_cli_refuses_a_project_on_an_unserved_pyo3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["maturin>=1,<2"]\nbuild-backend = "maturin"\n'
        '[project]\nname = "demo"\nversion = "1.0"\n'
    )
    (project / "Cargo.toml").write_text('[package]\nname = "demo"\nversion = "1.0.0"\n')
    (project / "Cargo.lock").write_text(LOCK.format(version="0.27.2"))
    before = sorted(p.name for p in project.iterdir())
    reporter = RecordingReporter()
    code = main(["--cache-dir", str(tmp_path / "cache"), "audit", str(project)], reporter=reporter)
    assert code == 2
    err = capsys.readouterr().err
    assert "the project locks pyo3 0.27.2; the series serves pyo3" in err
    assert "tools port" in err
    assert sorted(p.name for p in project.iterdir()) == before
    assert reporter.commands == []


PINNED = ("0.30.1", "0.29.3", "0.28.3")


def _no_download(spec: str) -> str:
    raise AssertionError(f"read the Cargo.lock of {spec}")


def test_default_real_projects_go_to_the_verify_of_the_pyo3_they_lock() -> None:
    plan = real_plan("default", list(PINNED), PINNED, _no_download)
    assert plan == {
        "0.30.1": ["pypi:ormsgpack==1.13.1", "pypi:jiter==0.19.0"],
        "0.29.3": [],
        "0.28.3": ["pypi:cryptography==48.0.1"],
    }
    assert real_plan("default", ["0.29.3"], PINNED, _no_download) == {"0.29.3": []}
    assert real_plan("none", ["0.30.1"], PINNED, _no_download) == {"0.30.1": []}
    # every default is on a pinned line
    assert {p.pyo3 for p in REAL_PROJECTS} <= {p.version for p in load_pins().for_project("pyo3")}
    assert describe_defaults() == "ormsgpack, jiter on pyo3 0.30.1; cryptography on pyo3 0.28.3"


def test_named_real_projects_read_unknown_locks_and_refuse_another_line() -> None:
    lines = {"pypi:rpds-py==2026.9.1": "0.30.1", "pypi:old==1.0": "0.27.2"}
    plan = real_plan("ormsgpack, rpds-py==2026.9.1", ["0.30.1"], PINNED, lines.__getitem__)
    assert plan == {"0.30.1": ["pypi:ormsgpack==1.13.1", "pypi:rpds-py==2026.9.1"]}
    # with every pin verified, each named project goes to its own line's report
    plan = real_plan("cryptography,jiter", list(PINNED), PINNED, _no_download)
    assert plan == {
        "0.30.1": ["pypi:jiter==0.19.0"],
        "0.29.3": [],
        "0.28.3": ["pypi:cryptography==48.0.1"],
    }
    with pytest.raises(ConfigError, match="unknown project 'nope'"):
        real_plan("nope", ["0.30.1"], PINNED, _no_download)
    with pytest.raises(ConfigError) as pinned:
        real_plan("cryptography", ["0.30.1"], PINNED, _no_download)
    assert str(pinned.value) == (
        "--real: cryptography locks pyo3 0.28.3; this verify runs pyo3 0.30.1"
    )
    assert pinned.value.hint == "verify it with --pyo3 0.28.3, or use --all-pins"
    with pytest.raises(ConfigError) as unserved:
        real_plan("pypi:old==1.0", ["0.30.1"], PINNED, lines.__getitem__)
    hint = unserved.value.hint or ""
    assert "no series serves pyo3 0.27.2 (pinned: 0.30.1, 0.29.3, 0.28.3)" in hint
    assert "tools audit --stock-only pypi:old==1.0" in hint


def test_verify_refuses_a_real_project_of_another_line_before_building(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reporter = RecordingReporter()
    args = [
        "--cache-dir",
        str(tmp_path / "cache"),
        "verify",
        "--pyo3",
        "0.30.1",
        "--json",
        str(tmp_path / "v.json"),
        "--markdown",
        str(tmp_path / "v.md"),
        "--real",
        "jiter,cryptography",
    ]
    assert main(args, reporter=reporter) == 2
    err = capsys.readouterr().err
    assert "error: --real: cryptography locks pyo3 0.28.3; this verify runs pyo3 0.30.1" in err
    assert "hint: verify it with --pyo3 0.28.3, or use --all-pins" in err
    assert reporter.commands == []
    assert not (tmp_path / "v.json").exists()
