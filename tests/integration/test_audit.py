"""`tools audit` end to end: a tiny maturin project written here whose build script runs Python
importing a package that exists only in the build environment (the case
`build_env_interpreter()` is for), and a real sdist from PyPI.

Both need the crate registry (and the second PyPI); builds use the user's tool cache, so the
maturin wheels are built once."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tools.cli import main
from tools.reporter import RecordingReporter
from tools.verify.artifacts import BUILDTIME_MESSAGE

ORMSGPACK_SHA256 = "803143ae0ab68e55baa14967595332e5c372b7f27f1ddf1b5b115329b17ccc41"

FILES = {
    "pyproject.toml": """\
[build-system]
requires = ["maturin>=1.16,<2", "pyo3-verify-buildtime==1.0"]
build-backend = "maturin"

[project]
name = "audit-demo"
version = "0.1.0"
""",
    "Cargo.toml": """\
[package]
name = "audit-demo"
version = "0.1.0"
edition = "2021"
publish = false

[lib]
name = "audit_demo"
crate-type = ["cdylib"]

[dependencies]
pyo3 = "=0.30.1"

[build-dependencies]
pyo3-build-config = "=0.30.1"
""",
    "build.rs": """\
// Generates code with a package installed only in the build environment, through the
// interpreter pyo3 reports: the pattern that must move to build_env_interpreter().
use std::{env, fs, path::Path, process::Command};

fn main() {
    let config = pyo3_build_config::get();
    let python = config.executable().expect("an interpreter");
    let output = Command::new(python)
        .args(["-c", "import pyo3_verify_buildtime; print(pyo3_verify_buildtime.MESSAGE)"])
        .output()
        .expect("running Python");
    assert!(output.status.success());
    let message = String::from_utf8(output.stdout).unwrap();
    let out = Path::new(&env::var("OUT_DIR").unwrap()).join("generated.rs");
    fs::write(out, format!("pub const MESSAGE: &str = {:?};\\n", message.trim())).unwrap();
    println!("cargo:rerun-if-changed=build.rs");
}
""",
    "src/lib.rs": """\
include!(concat!(env!("OUT_DIR"), "/generated.rs"));

#[pyo3::pymodule]
mod audit_demo {
    #[pyo3::pyfunction]
    fn message() -> &'static str {
        super::MESSAGE
    }
}
""",
}


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _audit(*argv: str) -> tuple[int, dict[str, Any], RecordingReporter, Path]:
    reporter = RecordingReporter()
    out = Path(argv[-1])
    code = main(
        [
            "audit",
            *argv[:-1],
            "--json",
            str(out / "audit.json"),
            "--markdown",
            str(out / "audit.md"),
        ],
        reporter=reporter,
    )
    data: dict[str, Any] = json.loads((out / "audit.json").read_text())
    return code, data, reporter, out


def _build(data: dict[str, Any], configuration: str, frontend: str) -> dict[str, Any]:
    builds: list[dict[str, Any]] = data["builds"]
    (build,) = [
        b for b in builds if (b["configuration"], b["frontend"]) == (configuration, frontend)
    ]
    return build


@pytest.mark.network
@pytest.mark.slow
def test_audit_of_a_project_whose_build_script_needs_the_build_environment(tmp_path: Path) -> None:
    project = tmp_path / "audit-demo"
    for name, text in FILES.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    subprocess.run(["cargo", "generate-lockfile"], cwd=project, check=True, capture_output=True)
    before = _snapshot(project)

    code, data, reporter, out = _audit(str(project), "--frontend", "uv", str(tmp_path))

    assert code == 0, reporter.text()
    assert _snapshot(project) == before  # the user's tree is never touched
    stock, series = _build(data, "stock", "uv"), _build(data, "series", "uv")
    assert "pyo3-ffi" in stock["pyo3_compiled"]
    assert "build script: env PYO3_PYTHON changed" in stock["reasons"]["pyo3-ffi"]
    assert series["pyo3_compiled"] == []
    assert series["base_python_exported"]
    assert stock["import_ok"]
    assert series["import_ok"]
    assert data["savings"]["uv"] == round(stock["warm_s"] - series["warm_s"], 1)

    (finding,) = data["build_scripts"]
    assert finding["package"] == "audit-demo"
    assert "imports pyo3_verify_buildtime" in finding["uses"]
    runs = {r["configuration"]: r for r in finding["runs"]}
    assert runs["stock"]["reran"]
    assert runs["stock"]["python"] == stock["python_warm"]
    assert not runs["series"]["reran"]
    assert runs["series"]["python"] == series["python_cold"] != series["python_warm"]
    assert "build_env_interpreter()" in finding["flag"]

    markdown = (out / "audit.md").read_text()
    assert "| uv | series |" in markdown
    assert "did not rerun on a warm build with the series" in markdown
    ((title, _columns, rows), *_rest) = reporter.tables
    assert title.startswith("audit-demo 0.1.0: cold and warm builds")
    assert "info: audit-demo 0.1.0 (pyo3 0.30.1): two builds" in reporter.text()
    assert [row[:2] for row in rows] == [["uv", "stock"], ["uv", "series"]]
    assert BUILDTIME_MESSAGE  # the package the build script imports comes from the wheelhouse


@pytest.mark.network
@pytest.mark.slow
def test_audit_of_a_real_sdist_from_pypi(tmp_path: Path) -> None:
    code, data, reporter, _out = _audit("pypi:ormsgpack==1.13.1", "--frontend", "uv", str(tmp_path))

    assert code == 0, reporter.text()
    assert data["project"]["sha256"] == ORMSGPACK_SHA256
    assert data["project"]["pyo3"] == "0.30.1"
    stock, series = _build(data, "stock", "uv"), _build(data, "series", "uv")
    assert "pyo3-ffi" in stock["pyo3_compiled"]
    assert series["pyo3_compiled"] == []
    assert data["savings"]["uv"] > 0
    (finding,) = data["build_scripts"]
    assert finding["package"] == "ormsgpack"
    assert finding["uses"] == ["reads pyo3's interpreter config (get())"]
    assert finding["flag"] == ""


GIT_DEPENDENCY = {
    "pyproject.toml": FILES["pyproject.toml"].replace("audit-demo", "gitdep-demo"),
    "Cargo.toml": """\
[package]
name = "gitdep-demo"
version = "0.1.0"
edition = "2021"
publish = false

[lib]
crate-type = ["cdylib"]

[dependencies]
unreachable = { git = "https://github.invalid/x/y" }
""",
    "Cargo.lock": """\
version = 4

[[package]]
name = "gitdep-demo"
version = "0.1.0"
dependencies = [
 "unreachable",
]

[[package]]
name = "unreachable"
version = "0.1.0"
source = "git+https://github.invalid/x/y#0123456789abcdef0123456789abcdef01234567"
""",
    "src/lib.rs": "",
}


def test_an_unfetchable_git_dependency_is_refused_in_seconds_before_any_build(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "gitdep-demo"
    for name, text in GIT_DEPENDENCY.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    cache = tmp_path / "empty-cache"
    reporter = RecordingReporter()

    started = time.monotonic()
    code = main(
        ["--cache-dir", str(cache), "audit", str(project), "--stock-only", "--frontend", "uv"],
        reporter=reporter,
    )
    seconds = time.monotonic() - started

    assert code == 5
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0] == (
        "error: the project's git dependencies cannot be fetched: "
        "unreachable (https://github.invalid/x/y)"
    )
    assert err[1].startswith("  hint: cargo said: error: failed to get `unreachable`")
    assert len(err) == 2
    assert seconds < 30
    # cargo resolved the copy and stopped there: maturin was neither prepared nor run.
    assert [c[:2] for c in reporter.commands] == [["cargo", "metadata"]] * 2
    assert not any("maturin" in line for line in reporter.lines), reporter.text()
    assert not (cache / "builds" / "wheels").exists()
