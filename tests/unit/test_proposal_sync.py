"""PROPOSAL.md's evidence section must be exactly what `tools proposal` renders from the
committed reference report."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.errors import ConfigError, VerificationFailed
from tools.proposal import DEFAULT_PROPOSAL, DEFAULT_REPORT, END, START, update_proposal


def test_proposal_matches_the_reference_report() -> None:
    result = update_proposal(DEFAULT_PROPOSAL, DEFAULT_REPORT, check=True)
    assert result.changed is False


def test_a_stale_section_is_detected_and_rewritten(tmp_path: Path) -> None:
    proposal = tmp_path / "PROPOSAL.md"
    proposal.write_text(f"# Proposal\n\n{START}\nold figures\n{END}\n\ntail\n")
    with pytest.raises(VerificationFailed, match="differs from"):
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
