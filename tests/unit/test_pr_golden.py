"""Golden renders of both pull request descriptions from a fixture report, and the rule that
every figure in a body comes from the report.

Regenerate the golden files after an intended change with `UPDATE_GOLDEN=1 python -m pytest
tests/unit/test_pr_golden.py`, and review the diff.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import jinja2
import pytest

from tests.pr_inputs import FORK, golden_base, golden_fragments
from tools.newsfragments import numbered
from tools.pins import load_pins
from tools.pr import BRANCH_PLACEHOLDER, branch_link, render, render_comment, title_of
from tools.reportdata import ReportData, load_report
from tools.series import load_series
from tools.templates import render_template
from tools.verify.gates import changed_files, pyo3_gates
from tools.verify.upstream import UpstreamCheck

HERE = Path(__file__).resolve().parent.parent
REPORT = HERE / "data" / "report.json"
GOLDEN = HERE / "golden"

# References that are not figures: issue and pull request numbers, PEP and CPython issue numbers.
_REFERENCE = re.compile(r"(#\d+|PEP \d+|gh-\d+|pyo3#\d+|maturin#\d+|python3\.\d+t?)")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)*(?![\w.]*\w)")


def _report() -> ReportData:
    return load_report(REPORT)


@pytest.mark.parametrize("project", ["pyo3", "maturin"])
def test_golden_render(project: str) -> None:
    pins = load_pins()
    pin = pins.select(project, None)
    sibling = pins.select("maturin" if project == "pyo3" else "pyo3", None)
    title, body = render(
        pin, sibling, _report(), [], base=golden_base(pin), fragments=golden_fragments(pin)
    )
    rendered = f"{title}\n\n{body}"
    golden = GOLDEN / f"pr-{project}.md"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(rendered)
    assert rendered == golden.read_text()


@pytest.mark.parametrize("project", ["pyo3", "maturin"])
def test_golden_comment(project: str) -> None:
    """The comment for the existing upstream thread: pyo3's with a pushed branch on a GitHub
    fork, maturin's with the placeholder the person submitting fills in."""
    pins = load_pins()
    pin = pins.select(project, None)
    sibling = pins.select("maturin" if project == "pyo3" else "pyo3", None)
    remote = FORK.format(project=project) if project == "pyo3" else None
    link = branch_link(remote, pin.branch)
    rendered = render_comment(pin, sibling, _report(), [], base=golden_base(pin), link=link)
    golden = GOLDEN / f"comment-{project}.md"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(rendered)
    assert rendered == golden.read_text()
    if remote is None:
        assert f"Branch: {BRANCH_PLACEHOLDER}\n" in rendered
    else:
        assert f"(https://github.com/example-user/pyo3/tree/{pin.branch})" in rendered


def test_branch_links() -> None:
    assert branch_link(None, "b") == BRANCH_PLACEHOLDER
    assert branch_link("https://github.com/me/pyo3", "x/y") == (
        "[me/pyo3:x/y](https://github.com/me/pyo3/tree/x/y)"
    )
    # Anything else is shown, never linked: a value cannot make a link of its own.
    assert branch_link("file:///srv/fork.git", "b") == "`b` of `file:///srv/fork.git`"
    assert branch_link("https://github.com/me/pyo3)[x](y", "b") == (
        "`b` of `https://github.com/me/pyo3)[x](y`"
    )


@pytest.mark.parametrize("name", ["pr-pyo3", "pr-maturin", "comment-pyo3", "comment-maturin"])
def test_every_figure_in_the_body_is_in_the_report(name: str) -> None:
    text = (GOLDEN / f"{name}.md").read_text()
    report_text = REPORT.read_text()
    figures = set(_NUMBER.findall(_REFERENCE.sub(" ", text)))
    missing = sorted(f for f in figures if f not in report_text)
    assert missing == []


def test_undefined_template_variable_is_an_error() -> None:
    with pytest.raises(jinja2.UndefinedError):
        render_template("pr-pyo3.md.j2", report={}, unverified=[])


def test_the_maturin_title_is_its_feature_commit_in_maturins_style() -> None:
    # maturin squash-merges with the title and builds its changelog from `feat:`/`fix:` titles
    pin = load_pins().select("maturin", None)
    subjects = [patch.subject for patch in load_series(pin)]
    title = str(title_of(pin))
    assert title.startswith("feat: ")
    assert title in subjects
    assert not any("Changelog.md" in change.path for p in load_series(pin) for change in p.files)


def test_golden_render_with_the_gates_run_on_the_branch() -> None:
    """A body prepared on main with the pull request's number: the gates run on the branch are
    listed with their results (here every gate passing, as a run where all of them could run
    would record them), and the changelog gate names the numbered newsfragment's check."""
    pins = load_pins()
    pin, sibling = pins.select("pyo3", None), pins.select("maturin", None)
    number = 6200
    gates = pyo3_gates(changed_files(pin, number), build_config_manifest="",
                       pr_number=number, title="t")  # fmt: skip
    ran = [UpstreamCheck(g.project, g.command, 3 if g.kind == "test" else 1, 0, True, 1.0,
                         name=g.name, status="passed") for g in gates]  # fmt: skip
    fragments = [numbered(path, number) for path in golden_fragments(pin)]
    title, body = render(pin, sibling, _report(), [], base=golden_base(pin), fragments=fragments,
                         gates=ran)  # fmt: skip
    rendered = f"{title}\n\n{body}"
    golden = GOLDEN / "pr-pyo3-gates.md"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(rendered)
    assert rendered == golden.read_text()
    section = body.split("### Upstream gates run on this branch", 1)[1].split("\n## ", 1)[0]
    for gate in gates:
        assert f"- `{gate.command}`: " in section
    assert "nox --no-venv -s check-changelog" in section
    assert "not run" not in section
