"""The cheap upstream gates (ruff, typos, rumdl and the changelog check) run for real, with the
pinned tools of the verify extra, on a small tree built here in pyo3's layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.reporter import RecordingReporter
from tools.runner import Runner
from tools.verify.gates import NEEDS_PR_NUMBER, Gate, pyo3_gates
from tools.verify.upstream import UpstreamCheck, run_gates

# A changelog session of our own in the shape pyo3's has: the PR number from the GitHub event,
# a fragment per number.
NOXFILE = """\
from __future__ import annotations

import json
import os
from pathlib import Path

import nox


@nox.session(name="check-changelog", venv_backend="none")
def check_changelog(session: nox.Session) -> None:
    if "GITHUB_ACTIONS" not in os.environ:
        session.error("only on GitHub Actions")
    event = json.loads(Path(os.environ["GITHUB_EVENT_PATH"]).read_text())
    number = event["pull_request"]["number"]
    if not list(Path("newsfragments").glob(f"{number}.*.md")):
        session.error(f"no newsfragment for {number}")
"""
PYPROJECT = """\
[tool.ruff]
line-length = 100

[tool.rumdl]
disable = ["MD041"]
"""
PAGE = "# Building\n\nSet the base interpreter before building.\n"
FRAGMENT = "Prefer the base interpreter for discovery.\n"
CHANGED = ["noxfile.py", "guide/src/building.md", "newsfragments/42.added.md"]
CHEAP = ("ruff", "ruff format", "typos", "rumdl", "changelog")


def _tree(root: Path, *, page: str = PAGE) -> Path:
    for path, text in {
        "noxfile.py": NOXFILE,
        "pyproject.toml": PYPROJECT,
        "typos.toml": '[default.extend-words]\npyo = "pyo"\n',
        "guide/src/building.md": page,
        "newsfragments/42.added.md": FRAGMENT,
    }.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    return root


def _gates(pr_number: int | None) -> list[Gate]:
    gates = pyo3_gates(CHANGED, build_config_manifest="", pr_number=pr_number, title="feat: x")
    return [g for g in gates if g.name in CHEAP]


def _run(gates: list[Gate], old: Path | None, new: Path, tmp: Path) -> dict[str, UpstreamCheck]:
    reporter = RecordingReporter()
    checks = run_gates(gates, (old, new), tmp / "target", Runner(reporter), reporter)
    return {check.name: check for check in checks}


def test_the_cheap_gates_pass_on_a_clean_tree(tmp_path: Path) -> None:
    checks = _run(_gates(42), None, _tree(tmp_path / "new"), tmp_path)
    assert {name: c.status for name, c in checks.items()} == dict.fromkeys(CHEAP, "passed")
    assert all(c.ok and c.failed == 0 and c.passed >= 1 for c in checks.values())
    assert checks["typos"].command.startswith("typos --format brief --config typos.toml")


def test_without_a_pull_request_number_the_changelog_is_not_run(tmp_path: Path) -> None:
    checks = _run(_gates(None), None, _tree(tmp_path / "new"), tmp_path)
    changelog = checks["changelog"]
    assert (changelog.status, changelog.reason, changelog.passed) == ("not run", NEEDS_PR_NUMBER, 0)


def test_a_typo_and_a_missing_fragment_are_the_series(tmp_path: Path) -> None:
    old = _tree(tmp_path / "old")
    new = _tree(tmp_path / "new", page=PAGE.replace("interpreter", "interpeter"))
    checks = _run(_gates(43), old, new, tmp_path)
    assert (checks["typos"].status, checks["typos"].failed) == ("failed", 1)
    assert checks["typos"].reason == "guide/src/building.md: interpeter #0"
    assert checks["changelog"].status == "failed"
    assert "no newsfragment for 43" in checks["changelog"].reason
    assert checks["ruff"].status == checks["rumdl"].status == "passed"


def test_a_finding_the_tree_without_the_series_has_too_is_not_counted(tmp_path: Path) -> None:
    long_line = "# Building\n\n" + "word " * 30 + "\n\n* a star list item\n"
    old = _tree(tmp_path / "old", page=long_line)
    new = _tree(tmp_path / "new", page=long_line)
    checks = _run(_gates(42), old, new, tmp_path)
    rumdl = checks["rumdl"]
    if not rumdl.baseline:
        pytest.fail(f"rumdl found nothing to compare: {rumdl}")
    assert (rumdl.status, rumdl.ok, rumdl.failed) == ("passed", True, 0)
