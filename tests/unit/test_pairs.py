"""`verify --all-pins`: which pairs run, where their reports go, and the summary row."""

from __future__ import annotations

import json
from pathlib import Path

from tools.pins import load_pins
from tools.verify import pairs

ROOT = Path(__file__).resolve().parents[2]
FROZEN = ROOT / "tests" / "data" / "report.json"


def test_every_pyo3_release_line_with_the_newest_maturin() -> None:
    pins = load_pins(ROOT / "patches" / "pins.toml")
    chosen = pairs.release_pairs(pins)
    maturin = pins.select("maturin", None)
    assert [p.version for p, _ in chosen] == sorted(
        (p.version for p in pins.for_project("pyo3") if p.is_release),
        key=lambda v: tuple(int(x) for x in v.split(".")),
        reverse=True,
    )
    assert {m.version for _, m in chosen} == {maturin.version}
    json_path, md_path = pairs.report_paths(Path("out"), *chosen[0])
    assert json_path == Path(
        f"out/verify-pyo3-{chosen[0][0].version}-maturin-{maturin.version}.json"
    )
    assert md_path.suffix == ".md"


def test_summary_of_a_recorded_report() -> None:
    data = json.loads(FROZEN.read_text(encoding="utf-8"))
    summary = pairs.summarize(data, Path("reports/verify.json"))
    assert summary.new_new_cached == "build: yes, pip: yes, uv: yes"
    skipped = [s["scenario"] for s in data["safety"] if s.get("skipped")]
    assert "free-threading" in skipped
    assert summary.safety == (
        f"{len(data['safety']) - len(skipped)} ok, 0 failed, {len(skipped)} skipped "
        f"({', '.join(skipped)})"
    )
    assert summary.ok
    broken = data["cells"][3]
    assert (broken["maturin"], broken["pyo3"]) == ("new", "new")
    broken["chain_compiled"] = ["pyo3-ffi"]
    assert f"{broken['frontend']}: NO" in pairs.summarize(data, Path("x.json")).new_new_cached


def test_gates_that_fail_without_the_series_too_are_counted_apart() -> None:
    data = json.loads(FROZEN.read_text(encoding="utf-8"))
    ran = next(u for u in data["upstream_tests"] if u.get("status") == "passed")
    ran["baseline"] = ["parse_sysconfigdata"]
    upstream = pairs.summarize(data, Path("x.json")).upstream
    assert "(1 with failures the release has without the series too)" in upstream
