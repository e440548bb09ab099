"""PROPOSAL.md's evidence section must be exactly what `tools proposal` renders from the
committed reference report."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tools.errors import ConfigError, VerificationFailed
from tools.proposal import (
    DEFAULT_COLD_REPORT,
    DEFAULT_PROPOSAL,
    DEFAULT_README,
    DEFAULT_REPORT,
    END,
    README_BLOCKS,
    START,
    block_markers,
    update_proposal,
    update_readme,
)


def test_proposal_matches_the_reference_report() -> None:
    result = update_proposal(DEFAULT_PROPOSAL, DEFAULT_REPORT, check=True)
    assert result.changed is False


def test_a_stale_section_is_detected_and_rewritten(tmp_path: Path) -> None:
    proposal = tmp_path / "PROPOSAL.md"
    proposal.write_text(f"# Proposal\n\n{START}\nold figures\n{END}\n\ntail\n")
    with pytest.raises(VerificationFailed, match="differ from"):
        update_proposal(proposal, DEFAULT_REPORT, check=True)
    assert update_proposal(proposal, DEFAULT_REPORT, check=False).changed is True
    text = proposal.read_text()
    assert "old figures" not in text
    assert text.endswith(f"{END}\n\ntail\n")
    assert update_proposal(proposal, DEFAULT_REPORT, check=True).changed is False


def test_markers_are_required(tmp_path: Path) -> None:
    proposal = tmp_path / "PROPOSAL.md"
    proposal.write_text("# no markers\n")
    with pytest.raises(ConfigError, match="markers missing"):
        update_proposal(proposal, DEFAULT_REPORT, check=True)


def test_readme_figures_match_the_reference_reports() -> None:
    result = update_readme(
        DEFAULT_README, DEFAULT_REPORT, check=True, cold_report=DEFAULT_COLD_REPORT
    )
    assert result.changed is False


def test_stale_readme_figures_are_detected_and_rewritten(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    blocks = "\n\n".join(
        f"{start}\n0.2 s under uv\n{end}" for start, end in map(block_markers, README_BLOCKS)
    )
    readme.write_text(f"# Tools\n\n{blocks}\n\ntail\n")
    with pytest.raises(VerificationFailed, match="differ from"):
        update_readme(readme, DEFAULT_REPORT, check=True)
    assert update_readme(readme, DEFAULT_REPORT, check=False).changed is True
    text = readme.read_text()
    assert "0.2 s under uv" not in text
    assert "| warm: the same cache, run again, `reports/verify.json` |" in text
    assert "| cold:" not in text  # no cold report given
    assert text.endswith("\n\ntail\n")
    assert update_readme(readme, DEFAULT_REPORT, check=True).changed is False


def test_readme_needs_every_block_and_a_cold_report_of_the_same_pins(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    start, end = block_markers("timing")
    readme.write_text(f"{start}\n{end}\n")
    with pytest.raises(ConfigError, match="no generated use it today block"):
        update_readme(readme, DEFAULT_REPORT, check=True)
    other = json.loads(DEFAULT_REPORT.read_text(encoding="utf-8"))
    other["pins"]["pyo3"] = "0.29.3"
    cold = tmp_path / "cold.json"
    cold.write_text(json.dumps(other), encoding="utf-8")
    with pytest.raises(ConfigError, match="not the reference pair"):
        update_readme(readme, DEFAULT_REPORT, check=True, cold_report=cold)


def test_proposal_names_no_path_of_the_measuring_machine() -> None:
    """PROPOSAL.md is written for upstream: interpreters and folders of the machine that
    measured appear as `<venv>/...`, `<base>/...`, never as absolute paths."""
    text = DEFAULT_PROPOSAL.read_text(encoding="utf-8")
    found = re.findall(r"(?<![\w.:/<>-])/(?:root|home|work|tmp|usr|opt|var|Users)/\S*", text)
    assert found == []
