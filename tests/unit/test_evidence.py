"""Reading cargo's account of a build: the Compiling lines and the fingerprint log."""

from __future__ import annotations

from tools.verify.evidence import describe_reason, parse_cargo_output

# Trimmed from a real `uv build` of the ext fixture with CARGO_LOG set.
LOG = """\
   0.015968898s  INFO prepare_target{force=false package_id=verify-ext v0.1.0 (/tmp/exp/ext) target="verify_ext"}: cargo::core::compiler::fingerprint: fingerprint dirty for verify-ext v0.1.0 (/tmp/exp/ext)/Build/TargetInner { ..: lib_target("verify_ext", ["cdylib"], "/tmp/exp/ext/src/lib.rs", Edition2021) }
   0.016002998s  INFO prepare_target{force=false package_id=verify-ext v0.1.0 (/tmp/exp/ext) target="verify_ext"}: cargo::core::compiler::fingerprint:     dirty: UnitDependencyInfoChanged { unit: UnitIndex(8) }
   0.016988686s  INFO prepare_target{force=false package_id=pyo3-ffi v0.30.1 target="build-script-build"}: cargo::core::compiler::fingerprint: fingerprint dirty for pyo3-ffi v0.30.1/RunCustomBuild/TargetInner { ..: custom_build_target("build-script-build", "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pyo3-ffi-0.30.1/build.rs", Edition2024) }
   0.017005711s  INFO prepare_target{force=false package_id=pyo3-ffi v0.30.1 target="build-script-build"}: cargo::core::compiler::fingerprint:     dirty: EnvVarChanged { name: "PYO3_PYTHON", old_value: Some("/root/.cache/uv/builds-v0/.tmpZ5Ws20/bin/python"), new_value: Some("/root/.cache/uv/builds-v0/.tmpbJ58vM/bin/python") }
   Compiling pyo3-ffi v0.30.1
   Compiling pyo3 v0.30.1 (/tmp/trees/pyo3-0.30.1-new)
   Compiling verify-ext v0.1.0 (/tmp/exp/ext)
warning: verify-downstream@0.1.0: verify-downstream build script ran Python at /tmp/venv/bin/python
"""  # noqa: E501


def test_compiled_packages_in_order() -> None:
    evidence = parse_cargo_output(LOG)
    assert evidence.compiled == ("pyo3-ffi", "pyo3", "verify-ext")
    assert evidence.chain_compiled() == ("pyo3-ffi", "pyo3")


def test_reasons_are_attributed_to_their_package_and_unit() -> None:
    evidence = parse_cargo_output(LOG)
    assert evidence.reasons == {
        "verify-ext": ["compile: a dependency changed"],
        "pyo3-ffi": ["build script: env PYO3_PYTHON changed"],
    }


def test_build_script_warnings_by_package() -> None:
    evidence = parse_cargo_output(LOG)
    assert evidence.warnings == {
        "verify-downstream": ["verify-downstream build script ran Python at /tmp/venv/bin/python"]
    }


def test_nothing_compiled_is_cached() -> None:
    evidence = parse_cargo_output("    Finished `release` profile [optimized] target(s) in 0.31s\n")
    assert evidence.compiled == ()
    assert evidence.chain_compiled() == ()


def test_describe_reason() -> None:
    assert describe_reason('EnvVarChanged { name: "PYO3_BASE_PYTHON", old_value: None }') == (
        "env PYO3_BASE_PYTHON changed"
    )
    changed = 'FsStatusOutdated(StaleItem(ChangedFile { reference: "a", stale: "/x/build.rs" }))'
    assert describe_reason(changed) == "file changed: /x/build.rs"
    assert describe_reason("LocalLengthsChanged") == "LocalLengthsChanged"


def test_describe_reason_rerun_if_changed() -> None:
    # cargo 1.95's wording for a `rerun-if-changed` file newer than the build script's last run
    changed = (
        'FsStatusOutdated(StaleItem(ChangedFile { reference: "/t/build/x-1/output", '
        "reference_mtime: FileTime { seconds: 1795708860, nanos: 486186322 }, "
        'stale: "/opt/python/bin/python3.11", stale_mtime: FileTime { seconds: 1795708861, '
        "nanos: 570186361 } }))"
    )
    assert describe_reason(changed) == "file changed: /opt/python/bin/python3.11"
    stale_dependency = "FsStatusOutdated(StaleDepFingerprint { unit: UnitIndex(2) })"
    assert describe_reason(stale_dependency) == "a dependency changed"


def test_environment_maturin_gave_cargo() -> None:
    line = (
        "2026-11-24T18:18:34.705592Z DEBUG pep517:build_wheels:compile_cdylib: maturin::compile: "
        'Running env -u CARGO PYO3_BASE_PYTHON="/usr/bin/python3.11" '
        'PYO3_BUILD_EXTENSION_MODULE="1" PYO3_PYTHON="/tmp/build-env-x/bin/python" '
        'PYTHON_SYS_EXECUTABLE="/tmp/build-env-x/bin/python" "cargo" "rustc" "--lib"\n'
    )
    assert parse_cargo_output(line).maturin_env == {
        "PYO3_BASE_PYTHON": "/usr/bin/python3.11",
        "PYO3_BUILD_EXTENSION_MODULE": "1",
        "PYO3_PYTHON": "/tmp/build-env-x/bin/python",
    }


def test_environment_on_windows_has_its_backslashes_undoubled() -> None:
    # Rust's Debug form of a Windows path doubles every backslash.
    line = (
        "DEBUG maturin::compile: Running env "
        'PYO3_BASE_PYTHON="C:\\\\hostedtoolcache\\\\Python\\\\python.exe" '
        'PYO3_PYTHON="C:\\\\Temp\\\\build-env\\\\Scripts\\\\python.exe" "cargo" "rustc"\n'
    )
    assert parse_cargo_output(line).maturin_env == {
        "PYO3_BASE_PYTHON": "C:\\hostedtoolcache\\Python\\python.exe",
        "PYO3_PYTHON": "C:\\Temp\\build-env\\Scripts\\python.exe",
    }
