"""Golden renders of the pull request bodies and comments from a fixture report, and the rules
every render follows: the size limits, no path of the measuring machine, no unbacked
attribution, the follow-up framing, and every figure taken from the report.

Regenerate the golden files after an intended change with `UPDATE_GOLDEN=1 python -m pytest
tests/unit/test_pr_golden.py tests/unit/test_pr_hostile.py`, and review the diff.
"""

from __future__ import annotations

import copy
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import jinja2
import pytest

from tests.pr_inputs import (
    FORK,
    golden_branches,
    golden_delta,
    golden_fragments,
    golden_inputs,
    pins,
    two_pr_pin,
    with_prefix,
)
from tools.newsfragments import numbered
from tools.pr import (
    BODY_LINES,
    BODY_LINES_OUTSIDE_DETAILS,
    BRANCH_PLACEHOLDER,
    COMMENT_LINES,
    RenderInputs,
    branch_link,
    render,
    render_comment,
)
from tools.reportdata import ReportData, line_reports_next_to, load_report, with_line_real_rows
from tools.templates import TEMPLATES, render_template
from tools.verify.gates import changed_files, pyo3_gates
from tools.verify.upstream import UpstreamCheck

HERE = Path(__file__).resolve().parent.parent
REPORT = HERE / "data" / "report.json"
REFERENCE = HERE.parent / "reports" / "verify.json"
GOLDEN = HERE / "golden"

# References that are not figures: issue and pull request numbers, PEP and CPython issue numbers.
_REFERENCE = re.compile(
    r"(#\d+|PEP \d+|gh-\d+|pyo3#\d+|maturin#\d+|python3\.\d+t?"
    r"|pull requests? 1(?:\.\.\d)?|\d+ of \d+)"
)
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)*(?![\w.]*\w)")
# Claims about what reviewers asked, and framing that competes with the open pull requests.
_UNBACKED = re.compile(
    r"review asked|asked on #|answers the review|raised on #|the pydantic-core pattern|"
    r"[Ww]ho benefits|[Rr]eview points|rendered|Before submitting|\[ \]"
)
_COMPETING = re.compile(r"\b(Closes|Fixes|Resolves|[Ss]upersedes?)\b")
# An absolute path of a machine: a `/word/word/` run that starts a token (not after `>`, the end
# of a placeholder such as `<venv>`), or a Windows drive.
_MACHINE = re.compile(r"/home/|/root/|/tmp/|/work/|/usr/|C:\\|(?<![\w.>\\-])/[\w.-]+/[\w.-]+/")
_URL = re.compile(r"\b(?:https?|file)://\S+")


def _report(path: Path = REPORT) -> ReportData:
    report, _ = with_line_real_rows(load_report(path), line_reports_next_to(path))
    return report


def _golden(name: str, rendered: str) -> None:
    golden = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(rendered)
    assert rendered == golden.read_text()


def _outside_details(text: str) -> str:
    return re.sub(r"<details>.*?</details>\n?", "", text, flags=re.DOTALL)


@pytest.mark.parametrize("project", ["pyo3", "maturin"])
def test_golden_render(project: str) -> None:
    pin, sibling = pins(project)
    body = render(golden_inputs(pin, sibling, _report()), 1)
    _golden(f"pr-{project}.md", f"{pin.stack[0].title}\n\n{body}")


@pytest.mark.parametrize("index", [1, 2])
def test_golden_stack_of_two(index: int) -> None:
    """The pyo3 series as two pull requests, with the first prefix measured on its own: PR 1
    is about the `ext` rebuild, PR 2 about the opt-in's scenario and depends on PR 1."""
    pin, sibling = pins("pyo3")
    pin = two_pr_pin(pin)
    body = render(golden_inputs(pin, sibling, with_prefix(_report(), pin)), index)
    _golden(f"pr-pyo3-stack-{index}.md", body)
    if index == 1:
        assert "Every safety scenario that ran held with pull request 1" in body
        assert "depends on" not in body
    else:
        assert f'It depends on "{pin.stack[0].title}" (branch `{pin.branch}-1`)' in body
        assert "new/new: a build script that opts in" in _outside_details(body)


@pytest.mark.parametrize("project", ["pyo3", "maturin"])
def test_golden_comment(project: str) -> None:
    """The comment for the open upstream pull request: pyo3's with pushed branches on a GitHub
    fork and the delta to that pull request's head, maturin's with the placeholder link and
    no delta (its head could not be fetched)."""
    pin, sibling = pins(project)
    remote = FORK.format(project=project) if project == "pyo3" else None
    inputs = golden_inputs(pin, sibling, _report())
    links = [branch_link(remote, b.branch) for b in inputs.branches]
    delta = golden_delta() if project == "pyo3" else None
    comment = render_comment(inputs, links=links, delta=delta, upstream_pr=6114)
    _golden(f"comment-{project}.md", comment)
    assert len(_outside_details(comment).splitlines()) <= COMMENT_LINES
    if remote is None:
        assert f": {BRANCH_PLACEHOLDER}\n" in comment
        assert "<details>" not in comment
    else:
        for branch in inputs.branches:
            assert f"(https://github.com/example-user/pyo3/tree/{branch.branch})" in comment
        assert "| `newsfragments/6114.added.md` | +1/-0 | \u2013 |" in comment
        assert "```text\n1:  6f852ae < -:  ------- Add PYO3_BASE_PYTHON\n" in comment


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


@pytest.mark.parametrize(
    "name", ["pr-pyo3", "pr-maturin", "pr-pyo3-stack-1", "pr-pyo3-stack-2", "comment-maturin"]
)
def test_every_figure_in_the_body_is_in_the_report(name: str) -> None:
    text = (GOLDEN / f"{name}.md").read_text()
    report_text = REPORT.read_text() + "".join(p.read_text() for p in line_reports_next_to(REPORT))
    figures = set(_NUMBER.findall(_REFERENCE.sub(" ", text)))
    # line counts of the patches and the pins' versions are not measurements
    figures -= set(re.findall(r"\+(\d+) lines?", text))
    missing = sorted(f for f in figures if f not in report_text)
    assert missing == []


def test_undefined_template_variable_is_an_error() -> None:
    with pytest.raises(jinja2.UndefinedError):
        render_template("pr-body.md.j2", report={}, unverified=[])


def test_golden_render_with_the_gates_run_on_the_branch() -> None:
    """A body prepared on main with the pull request's number: the gates run on the branch are
    its one list of checks (here every gate passing, as a run where all of them could run would
    record them), and the changelog gate names the numbered newsfragment's check."""
    pin, sibling = pins("pyo3")
    number = 6200
    numbers = tuple(range(number, number + len(pin.stack)))  # one per pull request
    first = replace(pin, patches=pin.stack[0].patches)  # the branch of pull request 1
    gates = pyo3_gates(
        changed_files(first, numbers), build_config_manifest="", pr_number=number, title="t"
    )
    ran = [
        UpstreamCheck(
            g.project,
            g.command,
            3 if g.kind == "test" else 1,
            0,
            True,
            1.0,
            name=g.name,
            status="passed",
        )
        for g in gates
    ]
    fragments = tuple(numbered(path, number) for path in golden_fragments(first))
    inputs = golden_inputs(pin, sibling, _report())
    inputs = replace(inputs, branches=[replace(inputs.branches[0], fragments=fragments)])
    body = render(inputs, 1, gates=ran)
    _golden("pr-pyo3-gates.md", body)
    section = body.split("Upstream's checks, run on this branch:", 1)[1].split("<details>", 1)[0]
    for gate in gates:
        assert f"- `{gate.command}`: " in section
    assert "nox --no-venv -s check-changelog" in section
    assert "not run" not in section
    assert "`newsfragments/6200.added.md`" in section
    # one list of checks: the report's own list is not repeated
    assert body.count("cargo fmt --all --check") == 1


def _every_render(report: ReportData) -> list[tuple[str, str]]:
    """Every body (each PR of a one-PR and a two-PR stack, with and without the prefix measured)
    and every comment (with and without a delta) from `report`."""
    renders: list[tuple[str, str]] = []
    for project in ("pyo3", "maturin"):
        pin, sibling = pins(project)
        variants: list[tuple[str, RenderInputs]] = [(project, golden_inputs(pin, sibling, report))]
        if project == "pyo3":
            two = two_pr_pin(pin)
            variants.append(("two", golden_inputs(two, sibling, report)))
            variants.append(("two+prefix", golden_inputs(two, sibling, with_prefix(report, two))))
        for label, inputs in variants:
            for index in range(1, len(inputs.branches) + 1):
                renders.append((f"{label} PR {index}", render(inputs, index)))
                standalone = replace(inputs, standalone=True)
                renders.append((f"{label} PR {index} standalone", render(standalone, index)))
            links = [branch_link(None, b.branch) for b in inputs.branches]
            for delta in (None, golden_delta()):
                comment = render_comment(inputs, links=links, delta=delta, upstream_pr=6114)
                renders.append((f"{label} comment{'+delta' if delta else ''}", comment))
    return renders


@pytest.mark.parametrize("path", [REFERENCE, REPORT], ids=["reference", "fixture"])
def test_every_render_fits_the_limits(path: Path) -> None:
    for label, text in _every_render(_report(path)):
        outside = _outside_details(text)
        if "comment" in label:
            assert len(outside.splitlines()) <= COMMENT_LINES, label
            continue
        assert text.count("<details>") == 1 == text.count("</details>"), label
        assert len(text.splitlines()) <= BODY_LINES, label
        assert len(outside.splitlines()) <= BODY_LINES_OUTSIDE_DETAILS, label


def test_no_render_holds_a_path_of_the_measuring_machine() -> None:
    # the reference report is written without such paths; the frozen one holds them on purpose
    assert _MACHINE.findall(_URL.sub(" ", REFERENCE.read_text())) == []
    report = _report()
    assert "/home/user/" in str(report)
    for source in (report, _report(REFERENCE)):
        for label, text in _every_render(source):
            found = _MACHINE.findall(_URL.sub(" ", text))
            assert found == [], (label, found)
    body = render(golden_inputs(*pins("pyo3"), report), 1)
    assert "\\<base\\>/bin/python3.13" in body
    assert "\\<venv\\>/bin/python" in body


def test_no_render_claims_what_a_reviewer_asked_or_competes() -> None:
    for label, text in _every_render(_report()):
        assert _UNBACKED.search(text) is None, (label, _UNBACKED.search(text))
        competing = _COMPETING.findall(text)
        if "standalone" not in label:
            assert competing == [], label
        assert text.count("prepared with the help of tooling") == 1, label
    for template in TEMPLATES.glob("pr-*.j2"):
        assert _UNBACKED.search(template.read_text()) is None, template.name


def test_standalone_closes_the_issue_from_the_last_pyo3_pull_request() -> None:
    pin, sibling = pins("pyo3")
    two = two_pr_pin(pin)
    inputs = replace(golden_inputs(two, sibling, _report()), standalone=True)
    assert render(inputs, 2).startswith("Closes #6113.")
    assert render(inputs, 1).startswith("For #6113.")
    assert "Builds on" not in render(inputs, 2)


def test_every_body_says_what_the_series_adds_over_use_base_python() -> None:
    for label, text in _every_render(_report()):
        assert "`MATURIN_PEP517_USE_BASE_PYTHON`" in text, label
        assert "on by default for every project and keeps `PYO3_PYTHON`" in text, label
        assert "alternatives table below" not in text, label


def test_a_measured_use_base_python_reaches_the_alternatives_table() -> None:
    data = cast("dict[str, Any]", copy.deepcopy(_report()))
    data["safety"].append(
        {
            "scenario": "alternative-use-base-python-uv",
            "ok": True,
            "expected": "cached",
            "description": "no series, stock maturin with MATURIN_PEP517_USE_BASE_PYTHON=1, uv",
            "observed": "cached; the cffi build script failed",
            "seconds": {"first": 11.7, "second": 0.34},
        }
    )
    pin, sibling = pins("maturin")
    body = render(golden_inputs(pin, sibling, cast("ReportData", data)), 1)
    assert "Measured: see the alternatives table below." in body
    row = next(line for line in body.splitlines() if line.startswith("| no series, stock"))
    assert "| `alternative-use-base-python-uv` |" in row
    assert "| 11.7 | 0.3 |" in row


def test_a_prefix_that_did_not_hold_is_not_called_safe() -> None:
    pin, sibling = pins("pyo3")
    two = two_pr_pin(pin)
    data = cast("dict[str, Any]", with_prefix(_report(), two))
    data["prefixes"][0]["safety"] = copy.deepcopy(data["prefixes"][0]["safety"])
    data["prefixes"][0]["safety"][2]["ok"] = False
    data["prefixes"][0]["ok"] = False
    body = render(golden_inputs(two, sibling, cast("ReportData", data)), 1)
    assert "Every safety scenario" not in body
    assert "Not every safety scenario held with pull request 1: `base-dropped`." in body


def test_one_pr_stacks_name_no_stack() -> None:
    pin, sibling = pins("maturin")
    body = render(golden_inputs(pin, sibling, _report()), 1)
    assert "Pull request 1 of" not in body
    assert [b.branch for b in golden_branches(pin)] == [pin.branch]
