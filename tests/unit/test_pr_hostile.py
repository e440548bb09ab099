"""A hostile report cannot change the structure of a pull request body or a report.

`tests/data/report-hostile.json` is the frozen report with injections in its strings: table
pipes, line breaks with headings, images, mentions, raw HTML (`<script>`, `</details>`, `<!--`),
unbalanced backticks and fences, a shell substitution in a pin, and a 20,000-character value.
The bodies rendered from it are kept as golden files, and their structure must equal that of the
bodies rendered from the clean report.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.pr_inputs import golden_delta, golden_inputs, pins
from tools.markdown import MAX_LENGTH, code, shell, subject, text
from tools.pr import branch_link, render, render_comment
from tools.proposal import evidence_section
from tools.reportdata import load_report
from tools.verify.report import render_markdown

DATA = Path(__file__).resolve().parent.parent / "data"
GOLDEN = Path(__file__).resolve().parent.parent / "golden"
CLEAN, HOSTILE = DATA / "report.json", DATA / "report-hostile.json"
_PIPE = re.compile(r"(?<!\\)\|")


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _body(project: str, report: Path) -> str:
    pin, sibling = pins(project)
    return render(golden_inputs(pin, sibling, load_report(report)), 1)


def _comment(project: str, report: Path) -> str:
    pin, sibling = pins(project)
    inputs = golden_inputs(pin, sibling, load_report(report))
    links = [branch_link(None, b.branch) for b in inputs.branches]
    return render_comment(inputs, links=links, delta=golden_delta(), upstream_pr=6114)


def _structure(markdown: str) -> list[str]:
    """Headings, fences, HTML tags and table shapes: what a value must not be able to add."""
    shape = []
    for line in markdown.splitlines():
        if line.startswith(("#", "```", "<", "> ", "- ")):
            shape.append(line.split(" ")[0])
        if line.startswith("|"):
            row = f"row of {len(_PIPE.findall(line))}"
            # a table's length follows the data (a fixture of another name is a row of its own
            # in the pull request's cell table); its shape may not
            if not shape or shape[-1] != row:
                shape.append(row)
    return shape


@pytest.mark.parametrize("project", ["pyo3", "maturin"])
def test_hostile_golden_render(project: str) -> None:
    rendered = _body(project, HOSTILE)
    golden = GOLDEN / f"pr-{project}-hostile.md"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(rendered)
    assert rendered == golden.read_text()


@pytest.mark.parametrize(
    "render_one",
    [
        lambda path: _body("pyo3", path),
        lambda path: _body("maturin", path),
        lambda path: _comment("pyo3", path),
        lambda path: _comment("maturin", path),
        lambda path: render_markdown(_load(path)),
        evidence_section,
    ],
    ids=[
        "pr-pyo3",
        "pr-maturin",
        "comment-pyo3",
        "comment-maturin",
        "verify-report",
        "proposal-evidence",
    ],
)
def test_hostile_values_add_no_structure(render_one: Any, tmp_path: Path) -> None:
    clean_report = _load(CLEAN)
    clean_report["notes"] = ["a note", "another note"]  # as many as the hostile report has
    clean_path = tmp_path / "report.json"
    clean_path.write_text(json.dumps(clean_report))
    clean, hostile = render_one(clean_path), render_one(HOSTILE)
    assert _structure(hostile) == _structure(clean)
    for raw in ("<script", "<!--", "@octocat", "@PyO3", "@everyone", "![img]", "`0.13`"):
        assert re.search(r"(?<!\\)" + re.escape(raw), hostile) is None, raw
    # the bodies' own collapsed evidence block is the only one
    for tag in ("<details", "</details"):
        unescaped = r"(?<!\\)" + re.escape(tag)
        assert len(re.findall(unescaped, hostile)) == len(re.findall(unescaped, clean)), tag
    outside_quotes = hostile.replace("'1.16.0 ``` $(touch pwned)'", "")
    assert re.search(r"(?<!\\)\$\(touch", outside_quotes) is None
    assert "A" * (MAX_LENGTH + 1) not in hostile
    assert max(len(line) for line in hostile.splitlines()) < 4 * MAX_LENGTH * 2


def test_text_escapes_structure_and_mentions() -> None:
    assert text("a | b") == "a \\| b"
    assert text("line\n# heading") == "line # heading"
    assert text("<!-- x") == "\\<!-- x"
    assert text("@octocat") == "@\u200boctocat"
    assert text("mail@example.com") == "mail@\u200bexample.com"
    assert text("PYO3_PYTHON and sys._base_executable") == "PYO3_PYTHON and sys._base_executable"
    assert text("_emph_") == "_emph\\_"
    assert text("&lt;") == "&amp;lt;"
    assert text("x" * 1000).endswith("\u2026")
    assert len(text("x" * 1000)) == MAX_LENGTH


def test_code_spans_hold_any_backticks() -> None:
    assert code("cargo test") == "`cargo test`"
    assert code("a ` b") == "``a ` b``"
    assert code("``` x") == "```` ``` x ````"
    assert code("a|b", cell=True) == "`a\\|b`"
    assert code("a\nb") == "`a b`"


def test_shell_words_stay_one_word() -> None:
    assert shell("0.30.1") == "0.30.1"
    assert shell("1.0\n```\n$(id)") == "'1.0 ``` $(id)'"


def test_subjects_keep_balanced_code_spans() -> None:
    assert subject("prefer `PYO3_BASE_PYTHON` here") == "prefer `PYO3_BASE_PYTHON` here"
    assert subject("odd ` tick | pipe") == "odd \\` tick \\| pipe"
