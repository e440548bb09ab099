"""`tools verify --all-pins`: one report per pinned pyo3 line, and a summary across them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tools.markdown import text
from tools.outdir import check_files, write_file
from tools.pins import Pin, Pins


@dataclass(frozen=True)
class PairSummary:
    pyo3: str
    maturin: str
    new_new_cached: str  # per frontend: "uv: yes, build: yes"
    safety: str  # "16 ok, 4 skipped"
    upstream: str  # "4/4 ok"
    ok: bool
    report: str


def release_pairs(pins: Pins) -> list[tuple[Pin, Pin]]:
    """Every pyo3 release line with the newest maturin pin, newest line first."""
    maturin = pins.select("maturin", None)
    lines = [pin for pin in pins.for_project("pyo3") if pin.is_release]
    return [(pyo3, maturin) for pyo3 in reversed(lines)]


def report_paths(directory: Path, pyo3: Pin, maturin: Pin) -> tuple[Path, Path]:
    stem = f"verify-pyo3-{pyo3.version}-maturin-{maturin.version}"
    return directory / f"{stem}.json", directory / f"{stem}.md"


def summarize(report: Mapping[str, Any], path: Path) -> PairSummary:
    """One row for a report, from its JSON form (a live run's `to_json()` or a loaded file)."""
    cells, safety, upstream = report["cells"], report["safety"], report["upstream_tests"]
    frontends = sorted({c["frontend"] for c in cells})

    def cached(frontend: str) -> bool:
        new_new = [
            c
            for c in cells
            if c["frontend"] == frontend and c["maturin"] == "new" and c["pyo3"] == "new"
        ]
        return bool(new_new) and all(c["ok"] and not c["chain_compiled"] for c in new_new)

    skipped = [s["scenario"] for s in safety if s.get("skipped")]
    ran_ok = sum(1 for s in safety if s["ok"] and not s.get("skipped"))
    failed = sum(1 for s in safety if not s["ok"])
    skipped_text = f"{len(skipped)} skipped" + (f" ({', '.join(skipped)})" if skipped else "")
    return PairSummary(
        pyo3=report["pins"]["pyo3"],
        maturin=report["pins"]["maturin"],
        new_new_cached=", ".join(f"{f}: {'yes' if cached(f) else 'NO'}" for f in frontends),
        safety=f"{ran_ok} ok, {failed} failed, {skipped_text}",
        upstream=_upstream(upstream),
        ok=bool(report["ok"]),
        report=path.name,
    )


def _upstream(gates: list[Any]) -> str:
    """How many gates ran and passed; a gate that was not run is counted apart, never as ok."""
    ran = [u for u in gates if u.get("status") != "not run"]
    text = f"{sum(1 for u in ran if u['ok'])}/{len(ran)} ok"
    # ok, but with failures the tree without the series has too (a test failing on this machine)
    shared = sum(1 for u in ran if u["ok"] and u.get("baseline"))
    if shared:
        text += f" ({shared} with failures the release has without the series too)"
    not_run = len(gates) - len(ran)
    return text + (f", {not_run} not run" if not_run else "")


HEADER = [
    "pyo3",
    "maturin",
    "new/new: no pyo3 crate compiled",
    "safety",
    "upstream checks",
    "ok",
    "report",
]


def rows(summaries: list[PairSummary]) -> list[list[str]]:
    return [
        [
            s.pyo3,
            s.maturin,
            s.new_new_cached,
            s.safety,
            s.upstream,
            "ok" if s.ok else "FAILED",
            s.report,
        ]
        for s in summaries
    ]


def summary_texts(summaries: list[PairSummary]) -> tuple[str, str]:
    """summary.json and summary.md: the table across the pairs."""
    lines = [
        "# Verify: every pinned pyo3 line with the newest maturin pin",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
        *("| " + " | ".join(text(value) for value in row) + " |" for row in rows(summaries)),
        "",
    ]
    return json.dumps([asdict(s) for s in summaries], indent=2) + "\n", "\n".join(lines)


def write_summary(summaries: list[PairSummary], json_path: Path, md_path: Path) -> None:
    """Writes the summary, never over a file the tools did not write (see `check_files`)."""
    check_files([("--json", json_path), ("--markdown", md_path)])
    json_text, md_text = summary_texts(summaries)
    write_file(json_path, json_text)
    write_file(md_path, md_text)
