"""PROPOSAL.md's real projects include those audited in the older lines' reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.errors import ConfigError
from tools.pins import load_pins
from tools.proposal import END, START, update_proposal

DATA = Path(__file__).resolve().parent.parent / "data"


def _setup(tmp_path: Path, line_pyo3: str) -> tuple[Path, Path, Path]:
    reference = json.loads((DATA / "report.json").read_text())
    audit = json.loads((DATA / "audit-cryptography.json").read_text())
    line = {**reference, "pins": {**reference["pins"], "pyo3": line_pyo3}, "real": [audit]}
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "verify.json").write_text(json.dumps(reference))
    (reports / f"verify-pyo3-{line_pyo3}-maturin-1.16.0.json").write_text(json.dumps(line))
    proposal = tmp_path / "PROPOSAL.md"
    proposal.write_text(f"# P\n\n{START}\nold\n{END}\n")
    return proposal, reports / "verify.json", reports


def test_real_rows_of_the_older_lines_are_shown_with_their_source(tmp_path: Path) -> None:
    proposal, report, _ = _setup(tmp_path, "0.28.3")
    update_proposal(proposal, report, check=False, pins=load_pins())
    text = proposal.read_text()
    assert "| cryptography 48.0.1 | 0.28.3 |" in text
    assert "| ormsgpack 1.13.1 | 0.30.1 |" in text
    assert "verify-pyo3-0.28.3-maturin-1.16.0.json" in text


def test_a_line_report_for_an_unpinned_pyo3_is_refused(tmp_path: Path) -> None:
    proposal, report, _ = _setup(tmp_path, "0.27.0")
    with pytest.raises(ConfigError, match=r"pyo3 0\.27\.0, which is not pinned"):
        update_proposal(proposal, report, check=False, pins=load_pins())
    assert proposal.read_text().endswith(f"{START}\nold\n{END}\n")
