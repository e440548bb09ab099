"""The pure decisions of the platform-only scenarios, and how a skipped scenario is reported."""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath, PureWindowsPath

from tools.platforms import LINUX, WINDOWS
from tools.verify.platform_scenarios import (
    PLATFORM_SCENARIOS,
    Interpreter,
    ft_pair_names,
    ft_pair_problem,
    other_spelling,
)
from tools.verify.report import Report, render_markdown
from tools.verify.safety import SCENARIOS
from tools.verify.scenario import ScenarioResult

FROZEN_REPORT = Path(__file__).resolve().parents[1] / "data" / "report.json"


def _python(version: str, *, ft: bool) -> Interpreter:
    return Interpreter(Path(f"/x/python{version}{'t' if ft else ''}"), version, ft, "", "/x")


def test_a_free_threading_pair_is_one_version_with_both_gil_settings() -> None:
    gil = _python("3.14", ft=False)
    assert ft_pair_problem(gil, _python("3.14", ft=True)) is None
    assert ft_pair_problem(_python("3.14", ft=True), gil) is None
    assert "is not CPython 3.14" in str(ft_pair_problem(gil, _python("3.13", ft=True)))
    assert "a GIL build like" in str(ft_pair_problem(gil, _python("3.14", ft=False)))


def test_the_partner_is_searched_under_the_platforms_names() -> None:
    assert ft_pair_names(_python("3.14", ft=False), LINUX) == ["python3.14t", "python3t"]
    assert ft_pair_names(_python("3.14", ft=True), WINDOWS) == ["python3.14.exe", "python3.exe"]


def test_other_spelling_swaps_case_and_keeps_the_flavour() -> None:
    windows = other_spelling(PureWindowsPath(r"C:\Python314\python.exe"))
    assert windows == PureWindowsPath(r"c:\pYTHON314\PYTHON.EXE")
    assert isinstance(windows, PureWindowsPath)
    assert other_spelling(PurePosixPath("/Library/Frameworks")) == PurePosixPath(
        "/lIBRARY/fRAMEWORKS"
    )
    assert other_spelling(PurePosixPath("/1/2")) is None


def test_platform_scenarios_are_registered_after_the_common_ones() -> None:
    names = list(SCENARIOS)
    assert names[-len(PLATFORM_SCENARIOS) :] == [s.name for s in PLATFORM_SCENARIOS]
    assert {"free-threading", "macos-framework-stub", "windows-launcher", "base-path-case"} <= set(
        names
    )


def test_a_skipped_scenario_is_no_failure_and_says_why() -> None:
    skipped = ScenarioResult.skip("windows-launcher", "what", "cached", "Windows only")
    failed = ScenarioResult("base-dropped", "what", "rebuild", "cached", False)
    report = Report(
        pins={},
        series={},
        variants={},
        cells=[],
        safety=[skipped],
        upstream_tests=[],
        environment={},
        started="",
        seconds=0,
    )
    assert report.ok
    assert report.failures() == []
    frozen = json.loads(FROZEN_REPORT.read_text())
    frozen["safety"] = report.to_json()["safety"]
    row = next(
        line
        for line in render_markdown(frozen).splitlines()
        if line.startswith("| windows-launcher")
    )
    assert row.endswith("| skipped: Windows only | skipped |")
    report.safety.append(failed)
    assert not report.ok
    assert report.failures() == ["safety base-dropped: expected rebuild, observed cached"]
