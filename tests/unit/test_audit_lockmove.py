"""A lock of another patch release of a pinned pyo3 line: which pin serves it and whether the
copies' lock moves (--exact refuses), how the move runs `cargo update --precise` and checks the
lock it leaves, and how the report says so; and the "Use it today" section of a project the
series helps, rendered from recorded audits."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tools.audit import run
from tools.audit.lockfile import PYO3_CRATES, Workspace, choose_pyo3_pin, locked_versions
from tools.audit.resolve import move_lock
from tools.audit.result import AuditResult, render_markdown
from tools.audit.source import ProjectSource
from tools.audit.summary import print_audit
from tools.audit.today import CI_LINE, use_it_today
from tools.cli import main
from tools.errors import CommandFailed, ConfigError
from tools.pins import Pin, load_pins
from tools.reporter import RecordingReporter
from tools.runner import Completed, Runner
from tools.templates import render_template

DATA = Path(__file__).resolve().parents[1] / "data"
PINS = load_pins().for_project("pyo3")
PACKAGE = '[[package]]\nname = "{name}"\nversion = "{version}"\nsource = "registry+x"\n'


def _lock(version: str, crates: Sequence[str] = PYO3_CRATES) -> str:
    body = "".join(PACKAGE.format(name=name, version=version) + "\n" for name in crates)
    return 'version = 4\n\n[[package]]\nname = "demo"\nversion = "0.1.0"\n\n' + body


def _another_patch(pin: Pin) -> str:
    """A release of the pin's minor line that is not the pin."""
    major, minor, patch = pin.version.split(".")
    return f"{major}.{minor}.{0 if patch != '0' else 9}"


def _recorded(name: str) -> AuditResult:
    return AuditResult.from_json(json.loads((DATA / f"audit-{name}.json").read_text()))


@pytest.mark.parametrize("pin", PINS, ids=lambda pin: pin.version)
def test_the_pinned_release_is_served_as_it_is(pin: Pin) -> None:
    assert choose_pyo3_pin(locked_versions(_lock(pin.version)), PINS, exact=False) == (pin, None)
    assert choose_pyo3_pin(locked_versions(_lock(pin.version)), PINS, exact=True) == (pin, None)


@pytest.mark.parametrize("pin", PINS, ids=lambda pin: pin.version)
def test_another_patch_release_of_a_pinned_line_moves_unless_exact(pin: Pin) -> None:
    other = _another_patch(pin)
    locked = locked_versions(_lock(other))
    assert choose_pyo3_pin(locked, PINS, exact=False) == (pin, other)
    with pytest.raises(ConfigError) as raised:
        choose_pyo3_pin(locked, PINS, exact=True)
    assert str(raised.value).startswith(f"the project locks pyo3 {other}; the series serves")
    assert raised.value.exit_code == 2
    assert "without --exact" in (raised.value.hint or "")


def test_a_project_on_pyo3_ffi_alone_moves_on_its_pyo3_ffi() -> None:
    pin = PINS[0]
    other = _another_patch(pin)
    locked = locked_versions(_lock(other, ("pyo3-build-config", "pyo3-ffi")))
    assert choose_pyo3_pin(locked, PINS, exact=False) == (pin, other)


def test_another_minor_line_is_refused_even_without_exact() -> None:
    lines = {tuple(pin.version.split(".")[:2]) for pin in PINS}
    minor = next(n for n in range(1, 99) if ("0", str(n)) not in lines)
    with pytest.raises(ConfigError) as raised:
        choose_pyo3_pin(locked_versions(_lock(f"0.{minor}.1")), PINS, exact=False)
    assert "tools port" in (raised.value.hint or "")


@dataclass(frozen=True)
class _Cargo(Runner):
    """Plays `cargo update -p NAME --precise V` on the lock: moves NAME, and the siblings it
    requires exactly when `siblings` is set (as cargo does for pyo3's crates); fails with
    `output` when given."""

    lock: Path = Path()
    siblings: bool = True
    output: str = ""
    seen: list[list[str]] = field(default_factory=list)

    def run(self, args: Sequence[str | Path], *, check: bool = True, **_: Any) -> Completed:
        argv = [str(arg) for arg in args]
        self.seen.append(argv)
        if self.output:
            raise CommandFailed("cargo failed (exit 101)", output=self.output)
        name, to = argv[argv.index("-p") + 1], argv[argv.index("--precise") + 1]
        moved = PYO3_CRATES if self.siblings else (name,)
        text = self.lock.read_text()
        for crate in moved:
            text = re.sub(rf'(name = "{crate}"\nversion = )"[^"]+"', rf'\1"{to}"', text)
        self.lock.write_text(text)
        return Completed(argv, 0, "", "")


def _workspace(tmp_path: Path, lock: str) -> Workspace:
    (tmp_path / "Cargo.lock").write_text(lock)
    return Workspace(tmp_path, tmp_path / "Cargo.lock")


def test_moving_pyo3_moves_its_exact_siblings_with_one_cargo_update(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path, _lock("0.29.0"))
    cargo = _Cargo(RecordingReporter(), lock=workspace.lock)
    move_lock(cargo, workspace, "pyo3", "0.29.3")
    assert [argv[argv.index("-p") :] for argv in cargo.seen] == [
        ["-p", "pyo3", "--precise", "0.29.3"]
    ]
    assert locked_versions(workspace.lock.read_text()) == {c: ["0.29.3"] for c in PYO3_CRATES}


def test_siblings_cargo_left_behind_are_moved_on_their_own(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path, _lock("0.29.0", ("pyo3-build-config", "pyo3-ffi")))
    cargo = _Cargo(RecordingReporter(), lock=workspace.lock, siblings=False)
    move_lock(cargo, workspace, "pyo3-ffi", "0.29.3")
    assert [argv[argv.index("-p") + 1] for argv in cargo.seen] == [
        "pyo3-ffi",
        "pyo3-build-config",
    ]
    assert locked_versions(workspace.lock.read_text()) == {
        "pyo3-build-config": ["0.29.3"],
        "pyo3-ffi": ["0.29.3"],
    }


def test_a_failed_move_is_one_line_with_cargos_error_line(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path, _lock("0.29.0"))
    output = (
        "    Updating crates.io index\n"
        'error: failed to select a version for the requirement `pyo3 = "=0.29.3"`\n'
        "candidate versions found which didn't match: 0.29.0\n"
    )
    cargo = _Cargo(RecordingReporter(), lock=workspace.lock, output=output)
    with pytest.raises(CommandFailed) as raised:
        move_lock(cargo, workspace, "pyo3", "0.29.3")
    assert str(raised.value) == (
        "could not move the copy's lock to pyo3 0.29.3: error: failed to select a version for "
        'the requirement `pyo3 = "=0.29.3"`'
    )
    assert "--exact" in (raised.value.hint or "")
    assert locked_versions(workspace.lock.read_text())["pyo3"] == ["0.29.0"]


def test_the_move_is_said_at_the_top_of_every_form_of_the_report() -> None:
    result = _recorded("ormsgpack")
    assert result.to_json()["lock_moved"] == {}
    assert "Lock moved" not in render_markdown(result.to_json())
    result.project.pyo3 = "0.30.0"
    result.lock_moved = {"from": "0.30.0", "to": "0.30.1"}
    data = result.to_json()
    assert data["lock_moved"] == {"from": "0.30.0", "to": "0.30.1"}
    assert AuditResult.from_json(data).to_json() == data
    markdown = render_markdown(data)
    said = markdown.index("**Lock moved**: the project's `Cargo.lock` holds pyo3 0.30.0")
    assert said < markdown.index("Each configuration is built twice")
    assert markdown.count("**Lock moved**") == 1
    reporter = RecordingReporter()
    print_audit(result, reporter)
    assert reporter.lines[0].startswith("warn: lock moved: the project locks pyo3 0.30.0")
    assert "to 0.30.1" in reporter.lines[0]


def test_exact_refuses_a_lock_the_audit_would_move_before_cargo_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pin = PINS[0]
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["maturin>=1,<2"]\nbuild-backend = "maturin"\n'
        '[project]\nname = "demo"\nversion = "1.0"\n'
    )
    (project / "Cargo.toml").write_text('[package]\nname = "demo"\nversion = "0.1.0"\n')
    (project / "Cargo.lock").write_text(_lock(_another_patch(pin)))
    reporter = RecordingReporter()
    argv = ["--cache-dir", str(tmp_path / "cache"), "audit", str(project), "--exact"]
    assert main(argv, reporter=reporter) == 2
    assert f"the project locks pyo3 {_another_patch(pin)}; the series serves pyo3" in (
        capsys.readouterr().err
    )
    assert reporter.commands == []


def test_use_it_today_is_written_for_the_project_from_its_audit() -> None:
    result = _recorded("ormsgpack")
    today = use_it_today(result)
    assert today is not None
    assert today.version == "0.30.1"
    assert today.apply == "tools apply pyo3 --version 0.30.1 --dest ../pyo3-patched"
    assert today.move == ""
    # Recorded before the lock's crates were kept: the crates stock recompiled, with the two
    # the series changes.
    assert today.patch == (
        "[patch.crates-io]",
        'pyo3 = { path = "../pyo3-patched" }',
        'pyo3-build-config = { path = "../pyo3-patched/pyo3-build-config" }',
        'pyo3-ffi = { path = "../pyo3-patched/pyo3-ffi" }',
    )
    # pip reused its environment, so stock recompiled nothing there: no saving to claim.
    assert today.savings == (("uv", 10.2, 0.3), ("build", 10.2, 1.0))
    markdown = render_markdown(result.to_json())
    section = markdown[markdown.index("## Use it today") :]
    assert "ormsgpack 1.13.1 locks pyo3 0.30.1" in section
    assert "0.3 s instead of 10.2 s under uv, 1.0 s instead of 10.2 s under build" in section
    assert "\n   " + CI_LINE + "\n" in section
    assert "\n   [patch.crates-io]\n" in section
    assert "pyo3-macros" not in section
    reporter = RecordingReporter()
    print_audit(result, reporter)
    assert f"info:    {CI_LINE}" in reporter.lines


def test_use_it_today_patches_exactly_the_crates_the_lock_holds_and_moves_it() -> None:
    result = _recorded("cryptography")
    result.project.pyo3_crates = ["pyo3", "pyo3-build-config", "pyo3-ffi"]
    result.project.pyo3 = "0.28.1"
    result.lock_moved = {"from": "0.28.1", "to": "0.28.3"}
    today = use_it_today(result)
    assert today is not None
    assert today.version == "0.28.3"
    assert [line.split(" =")[0] for line in today.patch[1:]] == [
        "pyo3",
        "pyo3-build-config",
        "pyo3-ffi",
    ]
    assert today.move == "cargo update -p pyo3 --precise 0.28.3"
    assert "`cargo update -p pyo3 --precise 0.28.3`" in render_markdown(result.to_json())


def test_a_config_file_build_keeps_nothing_to_gain_and_gets_no_use_it_today() -> None:
    result = _recorded("ormsgpack")
    for build in result.builds:
        if build.configuration == "stock":
            build.pyo3_compiled, build.config_file = [], True
    assert use_it_today(result) is None
    data = result.to_json()
    assert data["use_it_today"] is None
    markdown = render_markdown(data)
    assert "Use it today" not in markdown
    assert "nothing to gain" in markdown


def test_a_series_that_still_recompiled_pyo3_gets_no_use_it_today() -> None:
    result = _recorded("ormsgpack")
    for build in result.builds:
        build.pyo3_compiled = ["pyo3-ffi", "pyo3"]
    assert use_it_today(result) is None


def test_a_verify_report_says_the_move_at_the_top_of_the_projects_section() -> None:
    result = _recorded("ormsgpack")
    result.lock_moved = {"from": "0.30.0", "to": "0.30.1"}
    section = render_template("_audit.md.j2", audit=result.to_json())
    assert section.startswith("**Lock moved**: the project's `Cargo.lock` holds pyo3 0.30.0")
    assert "(`cargo update --precise`; `--exact` refuses instead).\n\nSource: " in section


@dataclass(frozen=True)
class _CargoWithMetadata(_Cargo):
    """`_Cargo`, answering `cargo metadata` with an empty workspace."""

    def run(self, args: Sequence[str | Path], *, check: bool = True, **_: Any) -> Completed:
        argv = [str(arg) for arg in args]
        if argv[:2] == ["cargo", "metadata"]:
            self.seen.append(argv)
            return Completed(argv, 0, '{"packages": []}', "")
        return super().run(args, check=check)


def test_the_lock_moves_in_the_copy_only_before_it_is_resolved(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "Cargo.toml").write_text('[package]\nname = "demo"\nversion = "0.1.0"\n')
    (project / "Cargo.lock").write_text(_lock("0.29.0"))
    source = ProjectSource(
        spec=str(project),
        kind="local",
        name="demo",
        version="0.1.0",
        origin=str(project),
        sha256="",
        root=project,
    )
    dest = tmp_path / "copy"
    cargo = _CargoWithMetadata(RecordingReporter(), lock=dest / "Cargo.lock")
    copied, _ = run._prepare_copy(
        source=source,
        workspace=Workspace(project, project / "Cargo.lock"),
        dest=dest,
        skipped=[],
        patched=None,
        crates=[],
        git=[],
        runner=cargo,
        move=("pyo3", "0.29.3"),
    )
    assert [argv[1] for argv in cargo.seen] == ["update", "metadata"]
    assert "--locked" in cargo.seen[1]
    assert locked_versions((copied / "Cargo.lock").read_text())["pyo3"] == ["0.29.3"]
    assert (project / "Cargo.lock").read_text() == _lock("0.29.0")
