"""`tools pr` against the fake upstream: rendering, refusals, branch preparation and push."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import git
import pytest

from tests.conftest import RunTools
from tests.upstream_fixture import FakeUpstream
from tools.pins import load_pins
from tools.verify.artifacts import series_hash


def make_report(pins_path: Path, **changes: Any) -> dict[str, Any]:
    pins = load_pins(pins_path)
    pyo3, maturin = pins.select("pyo3", None), pins.select("maturin", None)
    report: dict[str, Any] = {
        "pins": {"pyo3": pyo3.version, "maturin": maturin.version},
        "series": {"pyo3": series_hash(pyo3), "maturin": series_hash(maturin)},
        "variants": {k: f"{k} variant" for k in ("pyo3_old", "pyo3_new", "maturin_old",
                                                  "maturin_new")},
        "cells": [
            {"maturin": m, "pyo3": p, "frontend": "uv", "fixture": "ext",
             "compiled": [] if m == p == "new" else ["pyo3-ffi", "pyo3", "verify-ext"],
             "chain_compiled": [] if m == p == "new" else ["pyo3-ffi", "pyo3"],
             "reasons": {} if m == p == "new" else
             {"pyo3-ffi": ["build script: env PYO3_PYTHON changed"]},
             "cold_s": 11.5, "warm_s": 1.5 if m == p == "new" else 5.5, "import_ok": True,
             "import_detail": "", "build_script_notes": [], "expected": "cached", "ok": True}
            for m in ("old", "new") for p in ("old", "new")
        ],
        "safety": [{"scenario": "base-dropped", "description": "drop it", "expected": "rebuild",
                    "observed": "rebuild (pyo3-ffi, pyo3)", "ok": True, "compiled": [],
                    "reasons": {}, "details": []}],
        "upstream_tests": [{"project": "pyo3", "command": "cargo test (pyo3-build-config)",
                            "passed": 83, "failed": 0, "ok": True, "seconds": 20.0},
                           {"project": "maturin", "command": "cargo test --lib compile:: (maturin)",
                            "passed": 40, "failed": 0, "ok": True, "seconds": 30.0}],
        "environment": {"machine": "Linux x86_64, 2 CPUs", "python": "Python 3.11.7",
                        "other python": "python3.13", "uv": "uv 0.13.9", "build": "build 1.6.1",
                        "pip": "pip 26.3", "cargo": "cargo 1.95.0", "rustc": "rustc 1.95.0"},
        "started": "2026-11-24T18:00:00+00:00",
        "seconds": 600.0,
        "notes": [],
        "ok": True,
    }  # fmt: skip
    report.update(changes)
    return report


@pytest.fixture
def pins(upstream: FakeUpstream) -> Path:
    return upstream.write_pins(maturin=True)


def _write(tmp_path: Path, report: dict[str, Any]) -> Path:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report))
    return path


def test_renders_and_prepares_the_branch(
    run_tools: RunTools, tmp_path: Path, pins: Path, upstream: FakeUpstream
) -> None:
    report = _write(tmp_path, make_report(pins))
    out = tmp_path / "pr"
    result = run_tools("pr", "pyo3", "--report", str(report), "--out", str(out), pins=pins)
    assert result.code == 0, result.stderr
    title = (out / "title.txt").read_text()
    body = (out / "body.md").read_text()
    assert title.startswith("pyo3-build-config: prefer `PYO3_BASE_PYTHON`")
    assert "Closes #6113" in body
    assert "| new | new | `ext` | none |" in body
    assert "**Prefer the base interpreter**" in body
    assert "Unverified" not in body
    repo = git.Repo(out / "checkout")
    assert repo.active_branch.name == "base-python"
    assert repo.commit("HEAD~3").hexsha == upstream.commit
    push, create = result.stdout.strip().splitlines()
    assert push.startswith("git -C ")
    assert push.endswith("push '<your fork'\"'\"'s URL>' base-python")
    assert create.startswith("gh pr create --repo PyO3/pyo3 --base main")
    assert f"--body-file {out / 'body.md'}" in create


def test_pushes_to_a_remote(run_tools: RunTools, tmp_path: Path, pins: Path) -> None:
    remote = tmp_path / "fork.git"
    git.Repo.init(remote, bare=True)
    report = _write(tmp_path, make_report(pins))
    out = tmp_path / "pr"
    result = run_tools("pr", "maturin", "--report", str(report), "--out", str(out),
                       "--remote", str(remote), pins=pins)  # fmt: skip
    assert result.code == 0, result.stderr
    pushed = git.Repo(remote).commit("maturin-base-python")
    assert pushed.hexsha == git.Repo(out / "checkout").head.commit.hexsha
    assert "Supersedes #3216" in (out / "body.md").read_text()


def test_missing_report_is_refused(run_tools: RunTools, tmp_path: Path, pins: Path) -> None:
    result = run_tools("pr", "pyo3", "--report", str(tmp_path / "nope.json"), "--out",
                       str(tmp_path / "pr"), pins=pins)  # fmt: skip
    assert result.code == 2
    assert "verify report not found" in result.stderr
    assert not (tmp_path / "pr" / "body.md").exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ok": False}, "the report records failed expectations"),
        (
            {"pins": {"pyo3": "0.9.0", "maturin": "1.0.0"}},
            "the report is for pyo3 0.9.0, not 1.0.0",
        ),
        ({"series": {"pyo3": "0" * 12, "maturin": "0" * 12}}, "made with another pyo3 series"),
        ({"safety": []}, "lacks the rollout table, the safety scenarios or upstream checks"),
    ],
)
def test_unbacked_report_is_refused(
    run_tools: RunTools, tmp_path: Path, pins: Path, changes: dict[str, Any], message: str
) -> None:
    report = _write(tmp_path, make_report(pins, **changes))
    args = ("pr", "pyo3", "--report", str(report), "--out", str(tmp_path / "pr"))
    refused = run_tools(*args, pins=pins)
    assert refused.code == 2
    assert message in refused.stderr
    assert not (tmp_path / "pr" / "body.md").exists()
    allowed = run_tools(*args, "--allow-unverified", pins=pins)
    assert allowed.code == 0, allowed.stderr
    body = (tmp_path / "pr" / "body.md").read_text()
    assert body.startswith("> [!WARNING]\n> **Unverified.**")
    assert message in body


def test_not_a_report(run_tools: RunTools, tmp_path: Path, pins: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text('{"cells": []}')
    result = run_tools("pr", "pyo3", "--report", str(path), "--out", str(tmp_path / "pr"),
                       pins=pins)  # fmt: skip
    assert result.code == 2
    assert "not a verify report (no `pins`)" in result.stderr
