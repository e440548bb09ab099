"""What the audit decides before it builds, and how it judges an import: projects on pyo3-ffi
alone, the crates the patch covers, git dependencies named when cargo cannot fetch them, a copy
that keeps every folder but the project's own target dir and version control, the compiled
modules a wheel holds, and each problem listed once."""

from __future__ import annotations

import copy
import json
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tools.audit import run
from tools.audit.explain import explain, short_interpreter
from tools.audit.importcheck import ImportCheck, check_import, error_line, extension_modules
from tools.audit.lockfile import (
    choose_pyo3_pin,
    git_sources,
    locked_pyo3,
    locked_versions,
    patched_crates,
)
from tools.audit.patching import copy_project
from tools.audit.resolve import resolve_failure
from tools.audit.result import (
    AuditResult,
    build_rows,
    judge_audit,
    judge_unchecked,
    render_markdown,
)
from tools.audit.summary import print_audit
from tools.cli import main
from tools.errors import CommandFailed, ConfigError
from tools.pins import load_pins
from tools.reporter import RecordingReporter, TerminalReporter
from tools.runner import Completed, Runner
from tools.verify.frontends import BuildSetup

DATA = Path(__file__).resolve().parents[1] / "data"

FFI_ONLY_LOCK = """\
version = 4

[[package]]
name = "orjson"
version = "3.13.0"
dependencies = ["pyo3-ffi"]

[[package]]
name = "pyo3-build-config"
version = "0.29.3"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "pyo3-ffi"
version = "0.29.3"
source = "registry+https://github.com/rust-lang/crates.io-index"
"""

GIT_LOCK = """\
version = 4

[[package]]
name = "demo"
version = "0.1.0"

[[package]]
name = "tokio-util"
version = "0.7.1"
source = "git+https://github.invalid/x/y?rev=abc#0123456789abcdef0123456789abcdef01234567"

[[package]]
name = "serde"
version = "1.0.228"
source = "registry+https://github.com/rust-lang/crates.io-index"
"""


def test_a_project_on_pyo3_ffi_alone_is_served_by_the_pin_of_its_pyo3_ffi() -> None:
    locked = locked_versions(FFI_ONLY_LOCK)
    assert locked_pyo3(locked) == "0.29.3"
    pin, _ = choose_pyo3_pin(locked, load_pins().for_project("pyo3"))
    assert pin.version == "0.29.3"


def test_an_unserved_pyo3_ffi_is_named_as_such() -> None:
    locked = locked_versions(FFI_ONLY_LOCK.replace("0.29.3", "0.27.0"))
    with pytest.raises(ConfigError, match=r"locks pyo3-ffi 0\.27\.0; the series serves pyo3"):
        choose_pyo3_pin(locked, load_pins().for_project("pyo3"))


def test_the_patch_covers_ffi_and_build_config_and_pyo3_only_when_locked() -> None:
    assert patched_crates(locked_versions(FFI_ONLY_LOCK)) == ["pyo3-build-config", "pyo3-ffi"]
    full = {name: ["0.30.1"] for name in ("pyo3", "pyo3-ffi", "pyo3-macros")}
    assert patched_crates(full) == ["pyo3", "pyo3-build-config", "pyo3-ffi", "pyo3-macros"]


def test_git_sources_of_a_lock() -> None:
    assert git_sources(GIT_LOCK) == [("tokio-util", "https://github.invalid/x/y")]
    assert git_sources(FFI_ONLY_LOCK) == []


def test_an_unfetchable_git_dependency_is_one_line_naming_it() -> None:
    output = (
        "    Updating git repository `https://github.invalid/x/y`\n"
        "error: failed to get `tokio-util` as a dependency of package `demo v0.1.0`\n"
        "\n"
        "Caused by:\n"
        "  failed to load source for dependency `tokio-util`\n"
        "  Could not resolve host: github.invalid\n"
    )
    error = resolve_failure(output, git_sources(GIT_LOCK))
    assert str(error) == (
        "the project's git dependencies cannot be fetched: tokio-util (https://github.invalid/x/y)"
    )
    assert error.exit_code == 5
    assert error.output == ""  # one line and a hint, not cargo's output
    assert "error: failed to get `tokio-util`" in (error.hint or "")


def test_another_resolve_failure_quotes_cargos_error_line_not_its_last_line() -> None:
    output = (
        "    Updating crates.io index\n"
        'error: failed to select a version for the requirement `asn1 = "^0.25"`\n'
        "candidate versions found which didn't match: 0.24.0\n"
        "location searched: crates.io index\n"
        "required by package `cryptography-x509 v0.1.0`\n"
    )
    error = resolve_failure(output, [])
    assert isinstance(error, CommandFailed)
    assert str(error) == (
        "cargo could not resolve the project: "
        'error: failed to select a version for the requirement `asn1 = "^0.25"`'
    )
    assert error.output == output


def test_error_line() -> None:
    assert error_line("warning: a\nerror[E0433]: b\nerror: could not compile") == (
        "error[E0433]: b"
    )
    assert error_line("Traceback (most recent call last):\nModuleNotFoundError: anyio") == (
        "ModuleNotFoundError: anyio"
    )
    assert error_line("") == ""


def _tree(root: Path, files: list[str]) -> None:
    for name in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(name)


def test_the_copy_keeps_every_folder_but_its_own_target_dir_and_version_control(
    tmp_path: Path,
) -> None:
    source = tmp_path / "orjson"
    _tree(
        source,
        [
            "Cargo.toml",
            "include/cargo/cc-1.6.0/src/target/mod.rs",
            "target/debug/x",
            ".git/HEAD",
            "sub/.hg/store",
            "sub/.svn/entries",
            "crates/target/kept.rs",
            "src/lib.rs",
        ],
    )
    dest = copy_project(source, tmp_path / "copy", [source / "target"])
    copied = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())
    assert copied == [
        "Cargo.toml",
        "crates/target/kept.rs",
        "include/cargo/cc-1.6.0/src/target/mod.rs",
        "src/lib.rs",
    ]


def test_a_configured_target_dir_is_left_out_wherever_it_is(tmp_path: Path) -> None:
    source = tmp_path / "project"
    _tree(source, ["Cargo.toml", "build/cargo/debug/x", "target/kept"])
    dest = copy_project(source, tmp_path / "copy", [source / "build" / "cargo"])
    assert sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file()) == [
        "Cargo.toml",
        "target/kept",
    ]


def test_extension_modules_of_a_wheel() -> None:
    names = [
        "pycrdt/__init__.py",
        "pycrdt/_pycrdt.cpython-312-x86_64-linux-gnu.so",
        "pycrdt-0.14.13.dist-info/RECORD",
        "pycrdt-0.14.13.data/scripts/x.so",
    ]
    assert extension_modules(names) == {
        "pycrdt._pycrdt": "pycrdt/_pycrdt.cpython-312-x86_64-linux-gnu.so"
    }
    assert extension_modules(["orjson.cp312-win_amd64.pyd", "orjson/__init__.pyi"]) == {
        "orjson": "orjson.cp312-win_amd64.pyd"
    }


def _check(**changes: Any) -> ImportCheck:
    fields: dict[str, Any] = {
        "extension": "pycrdt._pycrdt",
        "extension_ok": True,
        "extension_detail": "",
        "package": "pycrdt",
        "dependencies_installed": True,
        "dependencies_detail": "",
        "package_ok": True,
        "package_detail": "",
    }
    return ImportCheck(**{**fields, **changes})


def test_an_import_check_fails_on_the_module_or_on_the_package_with_its_dependencies() -> None:
    assert _check().ok
    failed = _check(extension_ok=False, extension_detail="ImportError: undefined symbol: X")
    assert not failed.ok
    assert failed.detail == "pycrdt._pycrdt: ImportError: undefined symbol: X"
    package = _check(package_ok=False, package_detail="ModuleNotFoundError: No module 'anyio'")
    assert not package.ok
    assert package.detail == "import pycrdt: ModuleNotFoundError: No module 'anyio'"
    # Dependencies that did not install leave the package import untried: not a failure.
    untried = _check(
        dependencies_installed=False, dependencies_detail="error: offline", package_ok=None
    )
    assert untried.ok


def _recorded() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "audit-ormsgpack.json").read_text())
    return data


def test_a_problem_of_every_build_is_listed_once_naming_the_builds() -> None:
    data = _recorded()
    for build in data["builds"]:
        build["import_ok"] = False
        build["import_detail"] = "import ormsgpack: ModuleNotFoundError: No module 'anyio'"
    problems = judge_audit(AuditResult.from_json(data))
    labels = ", ".join(f"{b['configuration']} | {b['frontend']}" for b in data["builds"])
    assert problems == [
        f"{labels}: the wheel did not import: import ormsgpack: "
        "ModuleNotFoundError: No module 'anyio'"
    ]


def test_dependencies_that_did_not_install_are_unchecked_not_a_problem() -> None:
    data = copy.deepcopy(_recorded())
    for build in data["builds"][:2]:
        build.update(
            dependencies_installed=False,
            dependencies_detail="error: no network",
            extension_module="ormsgpack.ormsgpack",
            package_imported=None,
        )
    result = AuditResult.from_json(data)
    result.unchecked = judge_unchecked(result)
    assert judge_audit(result) == []
    assert result.unchecked == [
        "stock | uv, series | uv: the wheel's dependencies did not install from the registry "
        "(error: no network); ormsgpack.ormsgpack loaded, the package import was not tried"
    ]
    assert [row[-1] for row in build_rows(result)][:3] == ["module only", "module only", "yes"]
    text = render_markdown(result.to_json())
    assert "Result: **INCOMPLETE**" in text
    assert "Not checked (not a failure of the series):" in text
    assert "| module only (dependencies not installed) |" in text


def _cryptography() -> AuditResult:
    data: dict[str, Any] = json.loads((DATA / "audit-cryptography.json").read_text())
    return AuditResult.from_json(data)


def test_interpreter_paths_are_shortened_to_their_stable_parts() -> None:
    assert short_interpreter("/root/.cache/uv/builds-v0/.tmpVt0YoL/bin/python") == (
        "<build-env>/bin/python",
        ".tmpVt0YoL",
    )
    assert short_interpreter(
        "C:\\Users\\me\\AppData\\Local\\Temp\\build-env-x1\\Scripts\\python.exe"
    ) == (
        "<build-env>/Scripts/python.exe",
        "build-env-x1",
    )
    assert short_interpreter("/usr/bin/python3") == ("<build-env>/bin/python3", "usr")
    assert short_interpreter("python3") == ("python3", "")


def test_why_stock_rebuilt_names_both_environments_and_the_series_says_why_not() -> None:
    why = explain(_cryptography().builds)
    assert why[0] == (
        "stock | uv: maturin set PYO3_PYTHON to <build-env>/bin/python of a new environment each "
        "time (.tmpVt0YoL, then .tmphWaPT7); pyo3's build script reruns whenever PYO3_PYTHON "
        "changes, so cargo recompiled the 5 pyo3 crates and every crate built on them."
    )
    assert "PYO3_BASE_PYTHON" in why[1]
    assert why[1].startswith("series | uv: ")
    assert len(why) == 4


def test_a_config_file_build_has_nothing_to_gain_and_says_why() -> None:
    result = _cryptography()
    stock = result.builds[0]
    stock.pyo3_compiled, stock.config_file = [], True
    (line, *_rest) = explain(result.builds)
    assert line.startswith("stock | uv: nothing to gain: maturin handed pyo3 a config file")
    assert "abi3" in line


def test_the_terminal_summary_keeps_80_columns_and_the_full_reasons(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    print_audit(_cryptography(), TerminalReporter())
    out, err = capsys.readouterr()
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "…" not in out
    assert (
        "stock | uv: pyo3-build-config (build script: env PYO3_PYTHON changed); "
        "4 more because a dependency changed"
    ) in err
    assert "(.tmpVt0YoL, then .tmphWaPT7)" in err
    assert "https://github.com/PyO3/pyo3/issues/6113" in err


def test_a_failed_build_is_headed_by_its_error_line(monkeypatch: pytest.MonkeyPatch) -> None:
    log = (
        "   Compiling asn1 v0.24.0\n"
        "error[E0425]: cannot find function `parse` in this scope\n"
        "error: could not compile `cryptography-x509` (lib) due to 1 previous error\n"
        "💥 maturin failed\n"
    )

    def fail(*_args: object) -> None:
        raise CommandFailed("uv failed to build project (exit 1)", output=log)

    monkeypatch.setattr(run, "build_wheel", fail)
    setup = BuildSetup(wheelhouse=Path("w"), target_dir=Path("t"), python=Path("p"), extra_env={})
    with pytest.raises(CommandFailed) as raised:
        run._build(
            Runner(RecordingReporter()), "uv", Path("p"), Path("o"), setup, label="stock | uv"
        )
    assert str(raised.value) == (
        "stock | uv: the build failed: error[E0425]: cannot find function `parse` in this scope"
    )
    assert raised.value.output == log


@dataclass(frozen=True)
class _ScriptedRunner(Runner):
    """Answers each command from a script instead of starting it, and records it; a failure
    raises when the caller checks, as the real runner does."""

    answers: list[tuple[Callable[[list[str]], bool], Completed]] = field(default_factory=list)
    seen: list[list[str]] = field(default_factory=list)

    def run(self, args: Sequence[str | Path], *, check: bool = True, **_: Any) -> Completed:
        argv = [str(arg) for arg in args]
        self.seen.append(argv)
        answer = next((a for matches, a in self.answers if matches(argv)), None)
        if answer is None:
            return Completed(argv, 0, "", "")
        if check and answer.returncode:
            raise CommandFailed(f"{argv[0]} failed", output=answer.stderr)
        return answer


def _wheel(tmp_path: Path) -> Path:
    wheel = tmp_path / "pycrdt-0.14.13-cp312-cp312-linux_x86_64.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name in (
            "pycrdt/__init__.py",
            "pycrdt/_pycrdt.cpython-312-x86_64-linux-gnu.so",
            "pycrdt-0.14.13.dist-info/METADATA",
        ):
            archive.writestr(name, "")
    return wheel


def test_dependencies_that_do_not_install_leave_the_module_loaded_and_the_package_untried(
    tmp_path: Path,
) -> None:
    failed = Completed([], 2, "", "  \u00d7 No solution found when resolving dependencies:\n")

    def with_dependencies(argv: list[str]) -> bool:
        return "install" in argv and "--no-deps" not in argv

    runner = _ScriptedRunner(RecordingReporter(), answers=[(with_dependencies, failed)])
    checked = check_import(runner, _wheel(tmp_path), Path("python3"), tmp_path / "venv")
    assert checked.ok
    assert not checked.dependencies_installed
    assert checked.dependencies_detail == "\u00d7 No solution found when resolving dependencies:"
    assert checked.package_ok is None
    installs = [argv for argv in runner.seen if "install" in argv]
    assert "--no-deps" not in installs[0]
    assert installs[1][-3:-1] == ["--no-index", "--no-deps"]
    loads = [argv for argv in runner.seen if argv[1:2] == ["-c"]]
    assert [argv[-2:] for argv in loads] == [
        ["pycrdt._pycrdt", "pycrdt/_pycrdt.cpython-312-x86_64-linux-gnu.so"]
    ]


def test_a_package_that_does_not_import_with_its_dependencies_fails(tmp_path: Path) -> None:
    failed = Completed([], 1, "", "Traceback:\nModuleNotFoundError: No module named 'anyio'\n")
    runner = _ScriptedRunner(
        RecordingReporter(), answers=[(lambda argv: argv[-1] == "import pycrdt", failed)]
    )
    checked = check_import(runner, _wheel(tmp_path), Path("python3"), tmp_path / "venv")
    assert checked.extension_ok
    assert checked.dependencies_installed
    assert not checked.ok
    assert checked.detail == "import pycrdt: ModuleNotFoundError: No module named 'anyio'"


def test_a_maturin_requirement_the_series_does_not_meet_is_refused_before_cargo_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["maturin>=2"]\nbuild-backend = "maturin"\n'
        '[project]\nname = "demo"\nversion = "1.0"\n'
    )
    (project / "Cargo.toml").write_text('[package]\nname = "demo"\nversion = "1.0.0"\n')
    (project / "Cargo.lock").write_text(FFI_ONLY_LOCK)
    reporter = RecordingReporter()
    code = main(["--cache-dir", str(tmp_path / "cache"), "audit", str(project)], reporter=reporter)
    assert code == 2
    assert "the project requires maturin>=2; the maturin series serves" in capsys.readouterr().err
    assert reporter.commands == []  # not even cargo metadata
