"""A real project that cannot be audited is a failed row of the verify report, never the loss
of the report (offline: the audit itself is replaced by one that fails as a build would)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tools.audit import real
from tools.audit.result import AuditResult
from tools.audit.run import AuditInputs
from tools.cache import Cache
from tools.errors import CommandFailed
from tools.pins import load_pins
from tools.reporter import RecordingReporter
from tools.verify.report import render_markdown

REPORT = Path(__file__).resolve().parent.parent / "data" / "report.json"


def test_a_project_that_fails_to_build_is_a_failed_row(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def failing_audit(*_args: Any, **_kwargs: Any) -> AuditResult:
        raise CommandFailed("uv failed to build cryptography-48.0.1 (exit 1)")

    monkeypatch.setattr(real, "audit", failing_audit)
    pins = load_pins()
    reporter = RecordingReporter()
    results = real.audit_real_projects(
        ["pypi:cryptography==48.0.1"],
        frontends=["uv"],
        python=Path("python3"),
        pyo3=pins.select("pyo3", None),
        maturin=pins.select("maturin", None),
        inputs=AuditInputs(maturin_wheels={}, patched_pyo3={}),
        cache=Cache(tmp_path),
        reporter=reporter,
    )
    (result,) = results
    assert not result.ok
    assert (result.project.name, result.project.version) == ("cryptography", "48.0.1")
    assert result.problems == ["the audit failed: uv failed to build cryptography-48.0.1 (exit 1)"]
    assert "uv failed to build" in reporter.text()

    data = json.loads(REPORT.read_text())
    data["real"] = [result.to_json()]
    markdown = render_markdown(data)
    assert "cryptography" in markdown
    assert "the audit failed: uv failed to build" in markdown
