"""Golden renders of both pull request descriptions from a fixture report, and the rule that
every figure in a body comes from the report.

Regenerate the golden files after an intended change with `UPDATE_GOLDEN=1 python -m pytest
tests/unit/test_pr_golden.py`, and review the diff.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import jinja2
import pytest

from tools.pins import load_pins
from tools.pr import render
from tools.templates import render_template

HERE = Path(__file__).resolve().parent.parent
REPORT = HERE / "data" / "report.json"
GOLDEN = HERE / "golden"

# References that are not figures: issue and pull request numbers, PEP and CPython issue numbers.
_REFERENCE = re.compile(r"(#\d+|PEP \d+|gh-\d+|pyo3#\d+|maturin#\d+|python3\.\d+t?)")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)*(?![\w.]*\w)")


def _report() -> dict[str, Any]:
    report: dict[str, Any] = json.loads(REPORT.read_text())
    return report


@pytest.mark.parametrize("project", ["pyo3", "maturin"])
def test_golden_render(project: str) -> None:
    pins = load_pins()
    pin = pins.select(project, None)
    sibling = pins.select("maturin" if project == "pyo3" else "pyo3", None)
    title, body = render(pin, sibling, _report(), [])
    rendered = f"{title}\n\n{body}"
    golden = GOLDEN / f"pr-{project}.md"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(rendered)
    assert rendered == golden.read_text()


@pytest.mark.parametrize("project", ["pyo3", "maturin"])
def test_every_figure_in_the_body_is_in_the_report(project: str) -> None:
    text = (GOLDEN / f"pr-{project}.md").read_text()
    report_text = REPORT.read_text()
    figures = set(_NUMBER.findall(_REFERENCE.sub(" ", text)))
    missing = sorted(f for f in figures if f not in report_text)
    assert missing == []


def test_undefined_template_variable_is_an_error() -> None:
    with pytest.raises(jinja2.UndefinedError):
        render_template("pr-pyo3.md.j2", report={}, unverified=[])
