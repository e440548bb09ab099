"""The report schema has one owner: verify writes through its dump, `pr` and `proposal` read
through its load, and a report of another schema version, with a wrong type or for another pin
is refused with one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tools.cli import main
from tools.errors import ConfigError
from tools.pins import load_pins
from tools.proposal import END, START
from tools.reportdata import (
    SCHEMA_VERSION,
    dump_report,
    line_reports_next_to,
    load_report,
    pin_problems,
    with_line_real_rows,
)
from tools.verify.report import Report, write_json

DATA = Path(__file__).resolve().parent.parent / "data"
FROZEN = DATA / "report.json"


def _raw() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FROZEN.read_text())
    return data


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(data))
    return path


def test_verify_writes_what_the_readers_load(tmp_path: Path) -> None:
    report = Report(
        pins={"pyo3": "0.30.1", "maturin": "1.16.0"},
        series={"pyo3": "a" * 12, "maturin": "b" * 12},
        variants={"pyo3_old": "x"},
        cells=[],
        safety=[],
        upstream_tests=[],
        environment={"cpus": 2},
        started="2026-11-24T18:00:00+00:00",
        seconds=1.5,
        notes=["n"],
    )
    path = tmp_path / "verify.json"
    write_json(report, path)
    text = path.read_text()
    assert text.startswith('{\n  "schema": 1,\n')
    loaded = load_report(path)
    assert loaded.get("schema") == SCHEMA_VERSION
    assert loaded["pins"] == report.pins
    assert loaded["ok"] is True
    assert loaded.get("notes") == ["n"]


def test_a_report_without_the_key_is_schema_1(tmp_path: Path) -> None:
    # a report written before the key existed
    raw = {key: value for key, value in _raw().items() if key != "schema"}
    assert load_report(_write(tmp_path, raw))["pins"] == raw["pins"]
    dumped = json.loads(dump_report(raw))
    assert next(iter(dumped)) == "schema"
    assert dumped == {"schema": 1, **raw}
    assert load_report(_write(tmp_path, dumped)) == dumped


@pytest.mark.parametrize("schema", [2, 0, "1", True, None, [1]])
def test_another_schema_is_refused(tmp_path: Path, schema: object) -> None:
    path = _write(tmp_path, {**_raw(), "schema": schema})
    with pytest.raises(ConfigError) as refused:
        load_report(path)
    message = str(refused.value)
    assert f"a verify report of schema {json.dumps(schema)}; these tools read schema 1" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            ("cells", 0, "reasons"),
            {"pyo3": "rebuilt"},
            "`cells[0].reasons` must be a table of string lists",
        ),
        (("cells", 1, "ok"), "yes", "`cells[1].ok` must be true or false"),
        (("cells", 0, "cold_s"), True, "`cells[0].cold_s` must be a number"),
        (("upstream_tests", 0, "passed"), 1.5, "`upstream_tests[0].passed` must be an integer"),
        (("safety", 0), "scenario", "`safety[0]` must be a table"),
        (("environment",), {"cpus": [2]}, "`environment` must be a table of strings or numbers"),
        (("notes",), "one note", "`notes` must be a list of strings"),
        (("pins",), {"pyo3": 1}, "`pins` must be a table of strings"),
        (("safety",), {}, "`safety` must be a list"),
        (("real", 0, "builds", 1, "warm_s"), "1.2", "`real[0].builds[1].warm_s` must be a number"),
        (("real", 1, "project"), "jiter", "`real[1].project` must be a table"),
        (
            ("real", 0, "build_scripts", 0, "runs"),
            {},
            "`real[0].build_scripts[0].runs` must be a list",
        ),
        (("safety", 0, "seconds"), {"first": "12"}, "`safety[0].seconds` must be a table"),
    ],
)
def test_wrong_types_are_named(
    tmp_path: Path, field: tuple[str | int, ...], value: object, message: str
) -> None:
    raw = _raw()
    target: Any = raw
    for key in field[:-1]:
        target = target[key]
    target[field[-1]] = value
    with pytest.raises(ConfigError, match="not a verify report") as refused:
        load_report(_write(tmp_path, raw))
    assert message in str(refused.value)


def test_a_missing_field_is_named(tmp_path: Path) -> None:
    raw = _raw()
    del raw["cells"][2]["warm_s"]
    with pytest.raises(ConfigError, match=r"no `cells\[2\]\.warm_s`"):
        load_report(_write(tmp_path, raw))
    # Optional fields may be absent.
    raw = _raw()
    for key in ("notes", "real", "real_seconds"):
        raw.pop(key, None)
    assert "notes" not in load_report(_write(tmp_path, raw))


def test_pin_problems() -> None:
    report = load_report(FROZEN)
    pins = load_pins()
    newest = {p: pins.select(p, None) for p in ("pyo3", "maturin")}
    assert pin_problems(report, newest, series=False) == []
    older = {"pyo3": next(p for p in pins.for_project("pyo3") if p.version != "0.30.1")}
    assert pin_problems(report, older) == [
        f"the report is for pyo3 0.30.1, not {older['pyo3'].version}"
    ]
    moved = report.copy()
    moved["series"] = {"pyo3": "0" * 12, "maturin": "0" * 12}
    assert pin_problems(moved, newest) == [
        "the report was made with another pyo3 series",
        "the report was made with another maturin series",
    ]


def test_proposal_refuses_a_report_of_another_pin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = _raw()
    raw["pins"] = {**raw["pins"], "pyo3": "0.29.3"}
    report = _write(tmp_path, raw)
    proposal = tmp_path / "PROPOSAL.md"
    text = f"# Proposal\n\n{START}\nold figures\n{END}\n"
    proposal.write_text(text)
    code = main(["proposal", "--report", str(report), "--proposal", str(proposal)])
    assert code == 2
    err = capsys.readouterr().err
    newest = load_pins().select("pyo3", None).version
    assert f"the report is for pyo3 0.29.3, not {newest}" in err
    assert len([line for line in err.splitlines() if line.startswith("error:")]) == 1
    assert proposal.read_text() == text


def test_proposal_refuses_another_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = _write(tmp_path, {**_raw(), "schema": 2})
    code = main(["proposal", "--report", str(report), "--check"])
    assert code == 2
    assert "of schema 2; these tools read schema 1" in capsys.readouterr().err


def test_the_older_lines_real_rows_join_the_reference_reports(tmp_path: Path) -> None:
    reference = _write(tmp_path, _raw())
    line = _raw()
    line["pins"]["pyo3"] = "0.28.3"
    line["real"] = line["real"][:1]
    line["real"][0]["project"]["name"] = "cryptography"
    (tmp_path / "verify-pyo3-0.28.3-maturin-1.16.0.json").write_text(json.dumps(line))
    empty = {**_raw(), "real": []}
    (tmp_path / "verify-pyo3-0.29.3-maturin-1.16.0.json").write_text(json.dumps(empty))
    found = line_reports_next_to(reference)
    assert [p.name for p in found] == [
        "verify-pyo3-0.28.3-maturin-1.16.0.json",
        "verify-pyo3-0.29.3-maturin-1.16.0.json",
    ]
    merged, sources = with_line_real_rows(load_report(reference), found)
    names = [row["project"]["name"] for row in merged["real"]]
    assert names == [*(r["project"]["name"] for r in _raw()["real"]), "cryptography"]
    assert [p.name for p in sources] == ["verify-pyo3-0.28.3-maturin-1.16.0.json"]
    with pytest.raises(ConfigError, match="which is not pinned"):
        with_line_real_rows(load_report(reference), found, pinned_pyo3=["0.30.1", "0.29.3"])
