"""Finding build scripts that run Python, and judging them against the series, on sources and
build-script output written here in the shapes real crates use."""

from __future__ import annotations

from pathlib import Path

from tools.audit.buildscripts import (
    RunRecord,
    ScriptUse,
    judge_build_script,
    output_uses,
    package_imports,
    rerun_envs,
    scan_build_script,
)
from tools.audit.run import _scripts

# Reads pyo3's configuration for cfgs only (the shape of ormsgpack's and jiter's build.rs).
CONFIG_ONLY = """
fn main() {
    pyo3_build_config::use_pyo3_cfgs();
    let config = pyo3_build_config::get();
    if config.is_free_threaded() {
        println!("cargo::rustc-cfg=free_threaded");
    }
}
"""

# Runs the interpreter from PYO3_PYTHON and imports a build requirement (the cffi pattern).
RUNS_CFFI = r"""
use std::env;
use std::process::Command;

fn main() {
    let python = env::var("PYO3_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let out = Command::new(&python)
        .arg("-c")
        .arg("import cffi\nimport os\nprint(cffi.__version__)")
        .output()
        .unwrap();
    assert!(out.status.success());
}
"""

# Runs Python through get() with a script file of the crate.
RUNS_SCRIPT_VIA_GET = """
fn main() {
    let config = pyo3_build_config::get();
    let python = config.executable().unwrap();
    std::process::Command::new(python).arg("generate.py").status().unwrap();
}
"""

STDLIB_ONLY = """
fn main() {
    let config = pyo3_build_config::get();
    config.run_python_script("import sysconfig\\nprint(sysconfig.get_platform())").unwrap();
}
"""

OPT_IN = """
fn main() {
    let python = pyo3_build_config::build_env_interpreter().unwrap();
    std::process::Command::new(python).args(["-c", "import numpy"]).status().unwrap();
}
"""


def _runs(series_reran: bool | None, stock_reran: bool = True) -> list[RunRecord]:
    runs = [RunRecord("stock", "uv", stock_reran, "/venv-b/bin/python")]
    if series_reran is not None:
        runs.append(RunRecord("series", "uv", series_reran, "/venv-a/bin/python"))
    return runs


def test_config_only_scripts_read_pyo3s_config_and_run_nothing() -> None:
    use = scan_build_script(CONFIG_ONLY)
    assert use == ScriptUse(calls_get=True)
    assert use.touches_python
    assert not use.depends_on_packages
    assert use.interpreter() == "get().executable() (PYO3_PYTHON)"
    assert judge_build_script(use, set(), _runs(series_reran=False)) == ""


def test_running_python_that_imports_a_build_requirement() -> None:
    use = scan_build_script(RUNS_CFFI)
    assert use.runs_python
    assert use.reads_pyo3_python
    assert use.imports == ("cffi",)  # os is the standard library
    assert use.depends_on_packages
    assert use.describe() == ["runs Python", "imports cffi", "reads PYO3_PYTHON"]


def test_a_named_script_is_read_when_present_and_unknown_otherwise() -> None:
    unknown = scan_build_script(RUNS_SCRIPT_VIA_GET)
    assert unknown.runs_python
    assert unknown.calls_get
    assert unknown.scripts == ("generate.py",)
    assert unknown.depends_on_packages
    known = scan_build_script(RUNS_SCRIPT_VIA_GET, {"generate.py": "from jinja2 import Template\n"})
    assert known.imports == ("jinja2",)
    assert known.scripts == ()
    stdlib = scan_build_script(RUNS_SCRIPT_VIA_GET, {"generate.py": "import json\n"})
    assert not stdlib.depends_on_packages


def test_stdlib_only_python_is_not_flagged() -> None:
    use = scan_build_script(STDLIB_ONLY)
    assert use.runs_python
    assert use.imports == ()
    assert judge_build_script(use, set(), _runs(series_reran=False)) == ""


def test_opt_in_is_recognised_and_never_flagged() -> None:
    use = scan_build_script(OPT_IN)
    assert use.opt_in
    assert use.interpreter() == "build_env_interpreter() (PYO3_PYTHON)"
    assert judge_build_script(use, set(), _runs(series_reran=False)) == ""


def test_flagged_when_it_stopped_rerunning_with_the_series() -> None:
    use = scan_build_script(RUNS_SCRIPT_VIA_GET)
    flag = judge_build_script(use, {"PYO3_ENVIRONMENT_SIGNATURE"}, _runs(series_reran=False))
    assert "did not rerun on a warm build with the series" in flag
    assert "build_env_interpreter()" in flag


def test_predicted_without_the_series() -> None:
    use = scan_build_script(RUNS_SCRIPT_VIA_GET)
    flag = judge_build_script(use, set(), _runs(series_reran=None))
    assert "would no longer rerun with the series" in flag


def test_not_flagged_when_it_tracks_pyo3_python_itself_or_reran() -> None:
    use = scan_build_script(RUNS_CFFI)
    assert judge_build_script(use, {"PYO3_PYTHON"}, _runs(series_reran=False)) == ""
    assert judge_build_script(use, set(), _runs(series_reran=True)) == ""
    tracked = scan_build_script(
        RUNS_CFFI.replace(
            "fn main() {", 'fn main() {\n    println!("cargo:rerun-if-env-changed=PYO3_PYTHON");'
        )
    )
    assert tracked.tracks_pyo3_python


def test_comments_do_not_count() -> None:
    commented = (
        "// TODO: move to pyo3_build_config::build_env_interpreter()\n"
        "/* reads PYO3_PYTHON */\n" + RUNS_SCRIPT_VIA_GET
    )
    use = scan_build_script(commented)
    assert not use.opt_in
    assert not use.reads_pyo3_python
    assert use.calls_get
    kept = scan_build_script('fn main() { let url = "https://x/PYO3_PYTHON"; }')
    assert kept.reads_pyo3_python


def test_scripts_without_python_are_ignored() -> None:
    use = scan_build_script('fn main() { std::process::Command::new("cc").status().unwrap(); }')
    assert not use.touches_python


def test_rerun_envs_from_build_script_output() -> None:
    output = (
        "cargo:rerun-if-env-changed=PYO3_PYTHON\n"
        "cargo::rerun-if-env-changed=PYO3_BASE_PYTHON\n"
        "cargo:rerun-if-changed=build.rs\n"
        "cargo:warning=ran Python\n"
    )
    assert rerun_envs(output) == {"PYO3_PYTHON", "PYO3_BASE_PYTHON"}
    assert output_uses(rerun_envs(output)) == [
        "output: reruns when PYO3_PYTHON changes",
        "output: reruns when PYO3_BASE_PYTHON changes",
    ]
    assert output_uses({"CC", "PATH"}) == []


# The shape of cryptography 48.0.1's cryptography-cffi build.rs (written here): it runs
# PYO3_PYTHON on a script two directories up, which puts its parent on sys.path and imports the
# project's own package; that package imports cffi. It also runs `-c` code importing setuptools,
# and registers PYO3_PYTHON as a rerun trigger itself.
CFFI_BRIDGE = r"""
use std::process::Command;

fn main() {
    let python = std::env::var("PYO3_PYTHON").unwrap_or_else(|_| "python3".to_string());
    println!("cargo:rerun-if-env-changed=PYO3_PYTHON");
    Command::new(&python).arg("../../_bridge/make_ffi.py").status().unwrap();
    let out = Command::new(&python)
        .arg("-c")
        .arg("import setuptools.dist; print(setuptools.dist.__name__)")
        .output()
        .unwrap();
    assert!(out.status.success());
}
"""
MAKE_FFI = "import sys\nimport pathlib\nsys.path.insert(0, '..')\nfrom _bridge.helpers import go\n"
BRIDGE_PACKAGE = {
    "_bridge": ["", "from __future__ import annotations\nimport os\nfrom cffi import FFI\n"],
}


def test_imports_of_the_projects_own_package_are_followed_to_what_it_imports() -> None:
    scripts = {"../../_bridge/make_ffi.py": MAKE_FFI}
    without = scan_build_script(CFFI_BRIDGE, scripts)
    assert without.imports == ("_bridge", "setuptools")  # what the audit said before
    use = scan_build_script(CFFI_BRIDGE, scripts, lambda name: BRIDGE_PACKAGE.get(name, []))
    assert use.imports == ("cffi", "setuptools")
    assert use.scripts == ()
    assert use.tracks_pyo3_python
    assert use.describe() == ["runs Python", "imports cffi, setuptools", "reads PYO3_PYTHON"]
    assert use.interpreter() == "PYO3_PYTHON"
    # it reran in both configurations, on its own trigger: nothing to change
    assert judge_build_script(use, {"PYO3_PYTHON"}, _runs(series_reran=True)) == ""


def test_following_local_imports_ends_on_cycles() -> None:
    local = {"a": ["import b\nimport numpy\n"], "b": ["from a import x\nimport jinja2\n"]}
    assert package_imports(["import a\n"], lambda n: local.get(n, [])) == {"numpy", "jinja2"}
    assert package_imports(["import os\nimport a\n"]) == {"a"}


def test_the_projects_own_package_is_found_above_the_script(tmp_path: Path) -> None:
    project = tmp_path / "project"
    crate = project / "src" / "rust" / "bridge"
    package = project / "src" / "_bridge"
    for directory in (crate, package):
        directory.mkdir(parents=True)
    (crate / "build.rs").write_text(CFFI_BRIDGE)
    (package / "__init__.py").write_text(BRIDGE_PACKAGE["_bridge"][0])
    (package / "helpers.py").write_text(BRIDGE_PACKAGE["_bridge"][1])
    (package / "make_ffi.py").write_text(MAKE_FFI)
    (tmp_path / "cffi.py").write_text("")  # outside the project: not one of its modules
    metadata = {
        "packages": [
            {
                "name": "bridge",
                "version": "1.0.0",
                "manifest_path": str(crate / "Cargo.toml"),
                "targets": [{"kind": ["custom-build"], "src_path": str(crate / "build.rs")}],
            },
            {
                "name": "pyo3-build-config",
                "version": "0.28.3",
                "manifest_path": "/r/Cargo.toml",
                "targets": [{"kind": ["custom-build"], "src_path": "/r/build.rs"}],
            },
        ]
    }
    [(name, version, use)] = _scripts(metadata, project)
    assert (name, version) == ("bridge", "1.0.0")
    assert use.imports == ("cffi", "setuptools")
    assert use.scripts == ()


def test_a_string_continued_over_lines_is_read_whole() -> None:
    # Rust's `\` at the end of a line continues the literal; cryptography's build script writes
    # its setuptools query that way.
    source = (
        "fn main() {\n"
        '    let python = std::env::var("PYO3_PYTHON").unwrap();\n'
        '    std::process::Command::new(&python).arg("-c").arg("import os; \\\n'
        "         import setuptools.dist; \\\n"
        '         print(os.sep)").status().unwrap();\n'
        '    println!("cargo:rerun-if-changed=build.rs");\n'
        "}\n"
    )
    assert scan_build_script(source).imports == ("setuptools",)
