"""The per-prefix phase of verify, without processes: which prefixes of a pyo3 stack it
measures, with which cells and scenarios, which scenarios a prefix cannot run (and the pull
request they need), and how the evidence reaches the report and its Stack section."""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import pytest

from tools.cli import _parser
from tools.pins import DEFAULT_PINS, Pin, StackEntry, load_pins
from tools.reportdata import load_report, report_type_problem
from tools.reporter import RecordingReporter
from tools.verify.artifacts import Variant, series_hash
from tools.verify.fixtures import FIXTURES, OPT_IN_API, FixtureName
from tools.verify.matrix import CellResult
from tools.verify.prefixes import (
    PrefixResult,
    added_by,
    plan_prefixes,
    prefix_pin,
    results_in_order,
    stack_rows,
)
from tools.verify.primes import Primer
from tools.verify.report import Report, render_markdown, write_json
from tools.verify.run import prefixes_wanted
from tools.verify.safety import SCENARIOS, selected_scenarios
from tools.verify.scenario import ScenarioResult
from tools.verify.summary import print_summary

OPT_IN = f"pub fn {OPT_IN_API}("
STOCK_ONLY = {name for name, s in SCENARIOS.items() if not s.series}


def _opt_in_patch(pin: Pin) -> int:
    """The index in the series of the patch that defines the opt-in API."""
    for index, path in enumerate(pin.patch_paths):
        if any(line.startswith("+") and OPT_IN in line for line in path.read_text().splitlines()):
            return index
    raise AssertionError("no patch of the series defines the opt-in API")


def _local_pins(tmp_path: Path, split: list[int]) -> Pin:
    """A copy of the pins and patches whose pyo3 0.30.1 stack is cut before each index of
    `split` (patch indices of its series), loaded as `tools` loads pins."""
    shutil.copytree(DEFAULT_PINS.parent, tmp_path / "patches")
    pins_file = tmp_path / "patches" / "pins.toml"
    patches = load_pins(pins_file).select("pyo3", "0.30.1").patches
    cuts = [0, *split, len(patches)]
    entries = [
        "  { title = "
        + f'"PR {n}", patches = ['
        + ", ".join(f'"{name}"' for name in patches[cuts[n - 1] : cuts[n]])
        + "] },"
        for n in range(1, len(cuts))
    ]
    text = pins_file.read_text()
    block = re.compile(
        r'(version = "0\.30\.1"\n(?:(?!\[\[pins\]\])[^\n]*\n)*?)stack = \[\n(?:  [^\n]*\n)*?\]\n'
    )
    text, count = block.subn(lambda m: m[1] + "stack = [\n" + "\n".join(entries) + "\n]\n", text, 1)
    assert count == 1
    pins_file.write_text(text)
    pin = load_pins(pins_file).select("pyo3", "0.30.1")
    assert len(pin.stack) == len(cuts) - 1
    return pin


def test_a_two_pr_stack_has_one_proper_prefix_and_the_opt_in_scenario_needs_pr_2(
    tmp_path: Path,
) -> None:
    full = load_pins().select("pyo3", "0.30.1")
    cut = _opt_in_patch(full)
    assert cut >= 1, "the opt-in API must not be in the first patch for this split"
    pin = _local_pins(tmp_path, [cut])
    plans = plan_prefixes(pin, list(SCENARIOS.values()), list(FIXTURES))
    assert [plan.index for plan in plans] == [1]
    plan = plans[0]
    assert plan.title == "PR 1"
    assert plan.pin.patches == pin.patches[:cut]
    assert plan.pin.stack == pin.stack[:1]
    assert series_hash(plan.pin) != series_hash(pin)
    assert plan.fixtures == ("ext", "downstream")
    assert dict(plan.not_applicable) == {"downstream-opt-in": 2}
    assert "downstream-opt-in" not in plan.scenarios
    # stock-only scenarios are the same for every prefix: not repeated
    assert {"alternative-env-dir", "alternative-use-base-python-uv"} <= STOCK_ONLY
    assert not STOCK_ONLY & set(plan.scenarios)
    expected = [n for n in SCENARIOS if n not in STOCK_ONLY and n != "downstream-opt-in"]
    assert list(plan.scenarios) == expected
    assert "use-base-python-build-requirement" in plan.scenarios


def test_a_split_that_puts_the_api_in_pr_1_runs_the_opt_in_scenario_on_every_prefix() -> None:
    full = load_pins().select("pyo3", "0.30.1")
    api = full.patches[_opt_in_patch(full)]
    rest = tuple(name for name in full.patches if name != api)
    # the plan reads the patches' text, not their order of application
    pin = dataclasses.replace(
        full,
        patches=(api, *rest),
        stack=(StackEntry(title="api", patches=(api,)), StackEntry(title="rest", patches=rest)),
    )
    plans = plan_prefixes(pin, list(SCENARIOS.values()), ["ext"])
    assert [plan.index for plan in plans] == [1]
    assert "downstream-opt-in" in plans[0].scenarios
    assert not plans[0].not_applicable
    assert plans[0].fixtures == ("ext",)  # the run's selection narrows the cells
    assert plans[0].pin.patches == (api,)


def test_a_one_pr_stack_has_no_prefix_and_the_phase_is_off_by_default() -> None:
    pin = load_pins().select("pyo3", "0.30.1")
    one = dataclasses.replace(pin, stack=(StackEntry(title="all", patches=pin.patches),))
    assert plan_prefixes(one, list(SCENARIOS.values()), list(FIXTURES)) == []
    two = dataclasses.replace(
        pin,
        stack=(
            StackEntry(title="a", patches=pin.patches[:1]),
            StackEntry(title="b", patches=pin.patches[1:]),
        ),
    )
    assert prefixes_wanted(None, one) is False
    assert prefixes_wanted(None, two) is True
    assert prefixes_wanted(False, two) is False
    assert prefixes_wanted(True, one) is True  # asked: the run then says there is none


def test_the_cli_options() -> None:
    assert _parser().parse_args(["verify"]).prefixes is None
    assert _parser().parse_args(["verify", "--prefixes"]).prefixes is True
    assert _parser().parse_args(["verify", "--no-prefixes"]).prefixes is False


def test_the_run_selection_of_scenarios_and_fixtures_applies_to_the_prefixes() -> None:
    pin = load_pins().select("pyo3", "0.30.1")
    two = dataclasses.replace(
        pin,
        stack=(
            StackEntry(title="a", patches=pin.patches[:1]),
            StackEntry(title="b", patches=pin.patches[1:]),
        ),
    )
    chosen = selected_scenarios(["base-dropped", "alternative-env-dir", "downstream-opt-in"])
    assert [s.name for s in chosen] == ["base-dropped", "downstream-opt-in", "alternative-env-dir"]
    (plan,) = plan_prefixes(two, chosen, ["abi3"])
    assert plan.fixtures == ()
    assert plan.scenarios == ("base-dropped",)
    assert dict(plan.not_applicable) == {"downstream-opt-in": 2}
    assert selected_scenarios(None) == list(SCENARIOS.values())


def test_added_by_reads_added_lines_only(tmp_path: Path) -> None:
    pin = load_pins().select("pyo3", "0.30.1")
    texts = {
        "0001-a.patch": f"--- a/x.rs\n+++ b/{OPT_IN}.rs\n-{OPT_IN}\n {OPT_IN}\n+fn other() {{}}\n",
        "0002-b.patch": "+// a comment\n",
        "0003-c.patch": f"+{OPT_IN}) -> Option<PathBuf> {{\n",
    }
    for name, text in texts.items():
        (tmp_path / name).write_text(text)
    names = tuple(texts)
    synthetic = dataclasses.replace(
        pin,
        series_dir=tmp_path,
        patches=names,
        stack=(StackEntry(title="a", patches=names[:2]), StackEntry(title="b", patches=names[2:])),
    )
    assert added_by(synthetic, OPT_IN) == 2
    assert added_by(synthetic, "fn other()") == 1
    assert added_by(synthetic, "fn nowhere()") is None
    assert prefix_pin(synthetic, 1).patches == names[:2]


def _cell(
    fixture: FixtureName, maturin: Variant, pyo3: Variant, chain: list[str], ok: bool = True
) -> CellResult:
    return CellResult(
        maturin=maturin,
        pyo3=pyo3,
        frontend="uv",
        fixture=fixture,
        compiled=chain,
        chain_compiled=chain,
        reasons={},
        cold_s=11.8,
        warm_s=1.1,
        import_ok=True,
        import_detail="",
        expected="cached",
        ok=ok,
    )


def _held(name: str, ok: bool = True) -> ScenarioResult:
    return ScenarioResult(name, f"what {name} does", "cached", "cached" if ok else "rebuild", ok)


def test_not_applicable_results_take_their_place_in_the_declared_order() -> None:
    pin = load_pins().select("pyo3", "0.30.1")
    two = dataclasses.replace(
        pin,
        stack=(
            StackEntry(title="a", patches=pin.patches[:1]),
            StackEntry(title="b", patches=pin.patches[1:]),
        ),
    )
    chosen = selected_scenarios(["rerun-triggers", "downstream-opt-in", "base-dropped"])
    (plan,) = plan_prefixes(two, chosen, ["ext"])
    ordered = results_in_order(plan, [_held("base-dropped"), _held("rerun-triggers")], SCENARIOS)
    assert [r.scenario for r in ordered] == ["base-dropped", "rerun-triggers", "downstream-opt-in"]
    opt_in = ordered[-1]
    assert (opt_in.ok, opt_in.observed) == (True, "not applicable: needs PR 2")
    assert opt_in.skipped == "not applicable: needs PR 2"


def _report(prefixes: list[PrefixResult]) -> Report:
    variants = {f"{p}_{v}": f"{p} {v}" for p in ("pyo3", "maturin") for v in ("old", "new")}
    cells = [
        _cell("ext", "new", "new", []),
        _cell("downstream", "new", "new", []),
        _cell("ext", "old", "old", ["pyo3-ffi", "pyo3"]),
        _cell("downstream", "old", "old", ["pyo3-build-config", "pyo3"]),
    ]
    safety = [_held("base-dropped"), _held("downstream-opt-in"), _held("alternative-env-dir")]
    return Report(
        pins={"pyo3": "0.30.1", "maturin": "1.16.0"},
        series={"pyo3": "a" * 12},
        variants=variants,
        cells=cells,
        safety=safety,
        upstream_tests=[],
        environment={"machine": "m"},
        started="",
        seconds=200.0,
        prefixes=prefixes,
        prefixes_seconds=150.5,
    )


def _prefix(*, regress: bool = False) -> PrefixResult:
    na = ScenarioResult.not_applicable("downstream-opt-in", "w", "cached", "needs PR 2")
    title = "pyo3-build-config: prefer PYO3_BASE_PYTHON"
    return PrefixResult(
        index=1,
        title=title,
        patches=["0001-a.patch"],
        series="c" * 12,
        cells=[
            _cell("ext", "new", "new", []),
            _cell("downstream", "new", "new", ["pyo3-ffi"], ok=False),
        ],
        safety=[_held("base-dropped", ok=not regress), na],
        seconds=150.0,
    )


def test_the_report_carries_the_prefixes_in_the_declared_shape(tmp_path: Path) -> None:
    report = _report([_prefix()])
    data = report.to_json()
    assert report_type_problem(data) is None
    (prefix,) = data["prefixes"]
    assert set(prefix) == {
        "index",
        "title",
        "patches",
        "series",
        "cells",
        "safety",
        "ok",
        "seconds",
    }
    assert prefix["ok"] is False
    assert data["ok"] is False
    assert data["prefixes_seconds"] == 150.5
    assert "prefix PR 1..1: cell new/new | uv | downstream: " in report.failures()[0]
    write_json(report, tmp_path / "verify.json")
    assert load_report(tmp_path / "verify.json")["prefixes"][0]["series"] == "c" * 12
    without = _report([]).to_json()
    assert "prefixes" not in without
    assert "prefixes_seconds" not in without
    assert "## Stack" not in render_markdown(without)


def test_the_stack_section_says_per_pr_what_it_fixes_and_what_regressed() -> None:
    good = dataclasses.replace(
        _prefix(), cells=[_cell("ext", "new", "new", []), _cell("downstream", "new", "new", [])]
    )
    rows = stack_rows(_report([good]).to_json())
    assert [(r.index, r.ok) for r in rows] == [(1, True), (2, True)]
    assert rows[0].fixes == (
        "ext: none (status quo: pyo3-ffi, pyo3); downstream: none "
        "(status quo: pyo3-build-config, pyo3)"
    )
    assert rows[0].regressions == (
        "the 1 scenario held; not applicable: downstream-opt-in (needs PR 2)"
    )
    # the whole series: the run's own cells, and the scenarios the prefixes ran (not the
    # stock-only alternative)
    assert rows[1].regressions == "all 2 scenarios held"
    markdown = render_markdown(_report([good]).to_json())
    assert "## Stack" in markdown
    assert "(150.5 s, not counted in the run's time)" in markdown
    assert "| 1 | pyo3-build-config: prefer PYO3_BASE_PYTHON | ext: none" in markdown

    bad = stack_rows(_report([_prefix(regress=True)]).to_json())[0]
    assert not bad.ok
    assert bad.regressions.startswith("FAILED: base-dropped; a new/new cell FAILED")
    assert "downstream: pyo3-ffi (status quo" in bad.fixes


def test_a_prefix_primer_shares_what_the_run_made_and_its_facts(tmp_path: Path) -> None:
    primer = Primer(tmp_path / "primes", {"old": "pyo3 old tree", "new": "pyo3 new tree"})
    primer.made.add("k1")
    prefix = primer.for_trees({"old": "pyo3 old tree", "new": "pyo3 prefix tree"})
    assert prefix.pyo3_trees["new"] == "pyo3 prefix tree"
    assert primer.pyo3_trees["new"] == "pyo3 new tree"
    prefix.made.add("k2")
    assert primer.made == {"k1", "k2"}


@pytest.mark.parametrize("name", ["use-base-python-build-requirement", "base-dropped"])
def test_scenarios_that_build_the_series_are_repeated_per_prefix(name: str) -> None:
    assert SCENARIOS[name].series


def test_the_terminal_summary_has_the_stack_table() -> None:
    reporter = RecordingReporter()
    print_summary(_report([_prefix(regress=True)]), reporter)
    (stack,) = [table for table in reporter.tables if table[0].startswith("Stack")]
    assert [row[0] for row in stack[2]] == ["1", "2"]
    assert stack[2][0][-1] == "FAILED"
    assert stack[2][0][3].startswith("FAILED: base-dropped")
    quiet = RecordingReporter()
    print_summary(_report([]), quiet)
    assert not [table for table in quiet.tables if table[0].startswith("Stack")]
