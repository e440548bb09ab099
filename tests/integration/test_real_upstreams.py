"""Against the real registries: apply every pin, check them, and run `tools verify` for the
uv frontend (all four cells with the ext and downstream fixtures, every safety scenario, and
upstream's own tests, rustfmt and clippy on the patched trees).

Downloads and builds go to the user's cache directory, so a second run is much faster.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import git
import pytest

from tools.cli import main
from tools.pins import load_pins
from tools.reporter import RecordingReporter

pytestmark = [pytest.mark.network, pytest.mark.slow]


def _tools(*argv: str) -> tuple[int, RecordingReporter]:
    reporter = RecordingReporter()
    return main(list(argv), reporter=reporter), reporter


@pytest.mark.parametrize(
    ("project", "version"), [(pin.project, pin.version) for pin in load_pins().pins]
)
def test_apply_every_pin_from_the_registries(project: str, version: str, tmp_path: Path) -> None:
    pin = load_pins().select(project, version)
    dest = tmp_path / project
    code, _ = _tools(
        "apply", project, "--version", version, "--source", "registry", "--dest", str(dest)
    )
    assert code == 0
    repo = git.Repo(dest)
    subjects = [str(c.summary) for c in repo.iter_commits()]
    assert len(subjects) == len(pin.patches) + 1
    assert subjects[-1] == f"Import {project} {pin.version} from the registries"
    changed = dest / ("pyo3-build-config/src/impl_.rs" if project == "pyo3" else "src/compile.rs")
    assert "PYO3_BASE_PYTHON" in changed.read_text()

    head = repo.head.commit.hexsha
    again = ("apply", project, "--version", version, "--source", "registry", "--dest", str(dest))
    code, reporter = _tools(*again)
    assert code == 0
    assert "nothing to do" in reporter.text()
    assert repo.head.commit.hexsha == head

    changed.write_text(changed.read_text() + "\n// a local edit\n")
    code, _ = _tools(*again)
    assert code == 4
    assert changed.read_text().endswith("// a local edit\n")
    assert repo.head.commit.hexsha == head


def test_check_newest_pins() -> None:
    code, reporter = _tools("check")
    assert code == 0, reporter.text()
    ((_title, _columns, rows),) = reporter.tables
    assert all(row[2] == row[3] for row in rows)


@pytest.fixture(scope="session")
def uv_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("verify")
    code, _reporter = _tools(
        "verify",
        "--frontend",
        "uv",
        "--fixture",
        "ext,downstream",
        "--real",
        "none",  # tests/integration/test_audit.py audits a real project
        "--json",
        str(out / "report.json"),
        "--markdown",
        str(out / "report.md"),
    )
    report: dict[str, Any] = json.loads((out / "report.json").read_text())
    report["exit_code"] = code
    report["markdown"] = (out / "report.md").read_text()
    return report


def _cell(report: dict[str, Any], maturin: str, pyo3: str, fixture: str) -> dict[str, Any]:
    cells: list[dict[str, Any]] = report["cells"]
    (cell,) = [
        c for c in cells if (c["maturin"], c["pyo3"], c["fixture"]) == (maturin, pyo3, fixture)
    ]
    return cell


def test_verify_passes(uv_report: dict[str, Any]) -> None:
    assert uv_report["exit_code"] == 0, [c for c in uv_report["cells"] if not c["ok"]]
    assert uv_report["ok"] is True
    assert uv_report["pins"] == {
        "pyo3": load_pins().select("pyo3", None).version,
        "maturin": load_pins().select("maturin", None).version,
    }


@pytest.mark.parametrize("fixture", ["ext", "downstream"])
def test_new_new_keeps_the_pyo3_chain_cached(uv_report: dict[str, Any], fixture: str) -> None:
    cell = _cell(uv_report, "new", "new", fixture)
    assert cell["chain_compiled"] == []
    assert cell["import_ok"] is True


@pytest.mark.parametrize(("maturin", "pyo3"), [("old", "old"), ("new", "old"), ("old", "new")])
@pytest.mark.parametrize("fixture", ["ext", "downstream"])
def test_other_cells_are_the_status_quo(
    uv_report: dict[str, Any], maturin: str, pyo3: str, fixture: str
) -> None:
    cell = _cell(uv_report, maturin, pyo3, fixture)
    assert "pyo3-ffi" in cell["compiled"]
    assert any("env PYO3_PYTHON changed" in r for r in cell["reasons"]["pyo3-ffi"])
    assert cell["import_ok"] is True


def test_every_safety_scenario_holds(uv_report: dict[str, Any]) -> None:
    failed = [s for s in uv_report["safety"] if not s["ok"]]
    assert failed == []
    assert len(uv_report["safety"]) >= 8


def test_every_prefix_of_the_stack_holds(uv_report: dict[str, Any]) -> None:
    """The two-PR stack is measured prefix by prefix: with PR 1 alone the new/new cells keep the
    pyo3 chain cached and every scenario holds, the opt-in's scenario waiting for PR 2."""
    (prefix,) = uv_report["prefixes"]
    assert prefix["index"] == 1
    assert prefix["ok"] is True
    assert all(cell["chain_compiled"] == [] and cell["import_ok"] for cell in prefix["cells"])
    by_name = {s["scenario"]: s for s in prefix["safety"]}
    assert by_name["downstream-opt-in"]["skipped"].startswith("not applicable: needs PR 2")
    ran = [s for s in prefix["safety"] if not s.get("skipped")]
    assert ran
    assert all(s["ok"] for s in ran)


def test_upstream_checks_pass_on_the_patched_trees(uv_report: dict[str, Any]) -> None:
    checks = uv_report["upstream_tests"]
    assert {c["project"] for c in checks} == {"pyo3", "maturin"}
    assert all(c["ok"] and c["failed"] == 0 for c in checks)
    tests = [c for c in checks if "cargo test" in c["command"]]
    assert all(c["passed"] > 0 for c in tests)
    # the registry trees lack the files of the git-only gates: those are "not run", with the
    # reason, never passed; every cargo gate runs, but for the stand-in that runs only when the
    # gate it stands in for cannot build here
    assert {c["status"] for c in checks} <= {"passed", "not run"}
    not_run = {c["command"]: c["reason"] for c in checks if c["status"] == "not run"}
    assert all(reason for reason in not_run.values())
    assert any("test-base-python" in command for command in not_run)
    cargo_not_run = [
        c for c in checks if c["command"].startswith("cargo") and c["status"] == "not run"
    ]
    assert [(c["project"], c["name"]) for c in cargo_not_run] == [
        ("maturin", "clippy (default features)")
    ]
    assert cargo_not_run[0]["reason"].startswith("the `clippy` gate ran and covers it")


def test_markdown_report_has_every_table(uv_report: dict[str, Any]) -> None:
    markdown = uv_report["markdown"]
    for heading in ("## Rollout table", "### uv", "## Safety scenarios", "## Upstream checks"):
        assert heading in markdown


@pytest.mark.parametrize("project", ["pyo3", "maturin"])
def test_pr_renders_from_the_reference_report(project: str, tmp_path: Path) -> None:
    out = tmp_path / "pr"
    report = Path(__file__).resolve().parents[2] / "reports" / "verify.json"
    code, reporter = _tools(
        "pr",
        "--author",
        "Pat Submitter <pat@submitter.dev>",
        project,
        "--report",
        str(report),
        "--out",
        str(out),
        "--source",
        "registry",
    )
    assert code == 0, reporter.text()
    pin = load_pins().select(project, None)
    body = (out / f"pr-{len(pin.stack)}" / "body.md").read_text()
    assert "Unverified" not in body
    assert "| new | new | `ext` | none; " in body
    # the real projects of the older lines' reports next to it, cryptography's among them
    assert "| cryptography " in body
    assert "`verify-pyo3-0.28.3-maturin-1.16.0.json`" in body
    commits = list(git.Repo(out / "checkout").iter_commits())
    assert len(commits) == len(pin.patches) + 1


@pytest.mark.network
def test_port_between_two_patch_releases(tmp_path: Path) -> None:
    """A real registry port (no cargo) within a line: 0.29.3's series onto 0.29.2 merges
    cleanly, writes a pin and a series that `tools check` accepts, and saves the range-diff."""
    shutil.copytree(load_pins().path.parent, tmp_path / "patches")
    pins = tmp_path / "patches" / "pins.toml"
    work = tmp_path / "work"
    code, reporter = _tools(
        "--pins",
        str(pins),
        "port",
        "pyo3",
        "--from",
        "0.29.3",
        "--to",
        "0.29.2",
        "--work",
        str(work),
    )
    assert code == 0, reporter.text()
    ported = load_pins(pins).select("pyo3", "0.29.2")
    assert ported.commit != load_pins(pins).select("pyo3", "0.29.3").commit
    assert len(ported.patches) == len(load_pins(pins).select("pyo3", "0.29.3").patches)
    assert "noxfile.py" in ported.not_checked
    assert (work / "pyo3-0.29.3-to-0.29.2.range-diff").read_text().strip()
    code, reporter = _tools("--pins", str(pins), "check")
    assert code == 0, reporter.text()


@pytest.mark.network
def test_port_across_lines_stops_at_the_conflict(tmp_path: Path) -> None:
    """A real registry port (no cargo) across lines: 0.30.1's series onto 0.28.2 conflicts
    (up to 0.28 discovery runs in pyo3-build-config's own build script, and pyo3's build.rs
    differs), names the patch, file and hunk, writes nothing, and leaves the markers for a
    person; --abort removes the scratch state. (0.30.1's stack carries onto 0.29 cleanly.)"""
    shutil.copytree(load_pins().path.parent, tmp_path / "patches")
    pins = tmp_path / "patches" / "pins.toml"
    before = pins.read_text()
    work = tmp_path / "work"
    code, reporter = _tools(
        "--pins",
        str(pins),
        "port",
        "pyo3",
        "--from",
        "0.30.1",
        "--to",
        "0.28.2",
        "--work",
        str(work),
    )
    text = reporter.text()
    assert code == 3, text
    named = r"^warn: conflict: (\S+\.patch): (\S+), (hunk \d+ of \d+ \(@@ [^)]+ @@\)|three-way)"
    conflicts = re.findall(named, text, re.MULTILINE)
    assert conflicts, text
    assert {patch[:4] for patch, _, _ in conflicts} == {"0001"}, text
    assert "build.rs" in {path for _, path, _ in conflicts}, text
    assert pins.read_text() == before
    assert not (tmp_path / "patches" / "pyo3" / "0.28.2").exists()
    assert any("<<<<<<< " in (work / "repo" / path).read_text() for _, path, _ in conflicts)
    code, _ = _tools("--pins", str(pins), "port", "--abort", "--work", str(work))
    assert code == 0
    assert not (work / "repo").exists()
