"""The audit on the evidence of a real project whose build script runs Python: cryptography
48.0.1 from PyPI (pyo3 0.28.3) under uv and build, recorded by
`tools audit pypi:cryptography==48.0.1 --frontend uv,build`.

Its cryptography-cffi build script runs PYO3_PYTHON on a script importing cffi, and registers
`rerun-if-env-changed=PYO3_PYTHON` itself: it reruns in every fresh build environment with or
without the series, as it must, and so does the crate that depends on it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tools.audit.result import AuditResult, judge_audit, render_markdown
from tools.proposal import evidence_section

DATA = Path(__file__).resolve().parents[1] / "data"


def _recorded() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "audit-cryptography.json").read_text())
    return data


def _finding(data: dict[str, Any], package: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [f for f in data["build_scripts"] if f["package"] == package]
    (finding,) = found
    return finding


def test_recorded_audit_round_trips_and_holds() -> None:
    result = AuditResult.from_json(_recorded())
    assert result.to_json() == _recorded()
    assert judge_audit(result) == []
    assert result.project.pyo3 == "0.28.3"
    assert result.savings() == {"uv": 0.5, "build": 12.6}


def test_the_python_running_script_reruns_under_each_build_environment() -> None:
    data = _recorded()
    cffi = _finding(data, "cryptography-cffi")
    assert cffi["uses"] == [
        "runs Python",
        "imports cffi, setuptools",
        "reads PYO3_PYTHON",
        "output: reruns when PYO3_PYTHON changes",
    ]
    assert cffi["interpreter"] == "PYO3_PYTHON"
    builds = {(b["configuration"], b["frontend"]): b for b in data["builds"]}
    for run in cffi["runs"]:
        assert run["reran"]
        # it ran under the fresh build environment's interpreter, in both configurations
        assert run["python"] == builds[run["configuration"], run["frontend"]]["python_warm"]
    assert cffi["flag"] == ""  # it tracks PYO3_PYTHON itself: no build_env_interpreter() needed
    for (configuration, _frontend), build in builds.items():
        assert "cryptography-cffi" in build["build_scripts_rerun"]
        assert "build script: env PYO3_PYTHON changed" in build["reasons"]["cryptography-cffi"]
        if configuration == "series":
            # the series stops pyo3 rerunning; cryptography's own crates still rebuild
            assert build["pyo3_compiled"] == []
            assert sorted(build["compiled"]) == ["cryptography-cffi", "cryptography-rust"]
            assert build["base_python_exported"]


def test_a_get_reader_follows_pyo3_and_stops_rerunning_with_the_series() -> None:
    rust = _finding(_recorded(), "cryptography-rust")
    assert rust["uses"] == ["reads pyo3's interpreter config (get())"]
    assert {(r["configuration"], r["reran"]) for r in rust["runs"]} == {
        ("stock", True),
        ("series", False),
    }
    assert rust["flag"] == ""


def test_markdown_rows_of_the_recorded_audit() -> None:
    text = render_markdown(_recorded())
    assert "| uv | series | 63.0 | 42.1 | 2 | none | cryptography-cffi | yes |" in text
    row = next(line for line in text.splitlines() if line.startswith("| cryptography-cffi"))
    assert row.count("<br>") == 3
    assert row.endswith("| no |")


def test_proposal_evidence_lists_both_build_scripts(tmp_path: Path) -> None:
    report = json.loads((DATA / "report.json").read_text())
    report["real"], report["real_seconds"] = [_recorded()], 443.7
    path = tmp_path / "verify.json"
    path.write_text(json.dumps(report))
    text = evidence_section(path)
    row = next(line for line in text.splitlines() if line.startswith("| cryptography 48.0.1 |"))
    assert "cryptography-cffi: runs Python; imports cffi, setuptools" in row
    assert "<br>cryptography-rust: reads pyo3's interpreter config (get())" in row
