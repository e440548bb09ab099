"""What a message quotes is printable and bounded: a newline, an ANSI escape (`ESC[2J` clears
the terminal) and a 100 KB value in an argument come out as one escaped `error:` line of
bounded length. A report whose values lie outside the known sets is refused when loaded, with
one line naming the field."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tools.cli import main
from tools.errors import LINE_LIMIT, VALUE_LIMIT, ConfigError, printable
from tools.reportdata import load_report

HOSTILE = "evil\n\x1b[2J" + "x" * 100_000
DATA = Path(__file__).resolve().parent.parent / "data"


def test_printable_escapes_and_bounds() -> None:
    assert printable("a\nb\tc\x1b[2J\x7f\u202e\u2028") == "a\\nb\\tc\\x1b[2J\\x7f\\u202e\\u2028"
    assert printable("pyo3 0.30.1 — ünïcode") == "pyo3 0.30.1 — ünïcode"
    long = printable("y" * 100_000)
    assert long == "y" * VALUE_LIMIT + "… (100000 characters)"
    assert printable("z" * 5000, limit=10) == "zzzzzzzzzz… (5000 characters)"


def _pr(tmp_path: Path, *extra: str) -> list[str]:
    return [
        "pr",
        "pyo3",
        "--report",
        str(tmp_path / "r.json"),
        "--out",
        str(tmp_path / "o"),
        *extra,
    ]


ARGV: dict[str, Callable[[Path], list[str]]] = {
    "--branch": lambda t: ["apply", "pyo3", "--dest", str(t / "d"), "--branch", HOSTILE],
    "project": lambda t: ["apply", HOSTILE, "--dest", str(t / "d")],
    "--frontend": lambda t: ["verify", "--frontend", HOSTILE],
    "--dest": lambda t: ["apply", "pyo3", "--dest", str(t / HOSTILE)],
    "--pypi": lambda _t: ["outdated", "--pypi", "https://pypi.invalid/" + HOSTILE],
    "--remote": lambda t: _pr(t, "--remote", "https://git.invalid/" + HOSTILE),
    "--onto": lambda t: _pr(t, "--onto", HOSTILE),
}


@pytest.mark.parametrize("option", list(ARGV))
def test_hostile_argument_is_one_escaped_bounded_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str
) -> None:
    code = main(["--cache-dir", str(tmp_path / "cache"), *ARGV[option](tmp_path)])
    _out, err = capsys.readouterr()
    assert code == 2
    lines = err.rstrip("\n").split("\n")
    assert lines[0].startswith("error: ")
    assert len(lines) <= 2, err
    assert all(line.startswith("  hint: ") for line in lines[1:]), err
    assert "\x1b" not in err
    assert "evil\\n\\x1b[2J" in lines[0]
    assert max(len(line) for line in lines) <= LINE_LIMIT + 40
    assert "characters)" in lines[0]


def _report() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "report.json").read_text())
    return data


EDITS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "frontend": (
        lambda r: r["cells"][2].update(frontend="poetry"),
        "`cells[2].frontend` is 'poetry', not one of uv, build, pip",
    ),
    "variant": (
        lambda r: r["cells"][0].update(pyo3="newer"),
        "`cells[0].pyo3` is 'newer', not one of old, new",
    ),
    "fixture": (
        lambda r: r["cells"][0].update(fixture="ext` | injected | `"),
        "`cells[0].fixture` is 'ext` | injected | `', not one of ext, abi3, downstream",
    ),
    "expected": (
        lambda r: r["cells"][1].update(expected="whatever"),
        "`cells[1].expected` is 'whatever', not one of cached, status quo",
    ),
    "variants key": (
        lambda r: r["variants"].update(pyo3_older="x"),
        "`variants` has the key 'pyo3_older', not one of pyo3_old,",
    ),
    "pins key": (lambda r: r["pins"].update(other="1.0"), "`pins` has the key 'other'"),
    "gate status": (
        lambda r: r["upstream_tests"][0].update(status="skipped"),
        "`upstream_tests[0].status` is 'skipped', not one of passed, failed, not run",
    ),
    "real build configuration": (
        lambda r: r["real"][0]["builds"][0].update(configuration="patched"),
        "`real[0].builds[0].configuration` is 'patched', not one of stock, series",
    ),
    "control characters": (
        lambda r: r["cells"][3].update(frontend=HOSTILE),
        "`cells[3].frontend` is 'evil\\n\\x1b[2J",
    ),
}


@pytest.mark.parametrize("case", list(EDITS))
def test_values_outside_the_known_sets_are_refused(tmp_path: Path, case: str) -> None:
    edit, text = EDITS[case]
    report = _report()
    edit(report)
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report))
    with pytest.raises(ConfigError) as refused:
        load_report(path)
    message = str(refused.value)
    assert message.startswith(f"{path}: not a verify report (")
    assert text in message
    assert "\n" not in message
    assert "\x1b" not in message
    assert len(message) < 2 * VALUE_LIMIT + len(str(path)) + 100


def test_the_committed_reports_hold_known_values() -> None:
    root = DATA.parent.parent / "reports"
    paths = [*DATA.glob("report*.json"), *root.glob("verify*.json")]
    assert len(paths) >= 3
    for path in paths:
        load_report(path)


def test_summarize_refuses_a_hostile_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = _report()
    report["cells"][0]["frontend"] = "poetry"
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report))
    code = main(["verify", "--summarize", str(path), "--json", str(tmp_path / "s.json")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ")
    assert err.count("\n") <= 2
    assert "`cells[0].frontend` is 'poetry'" in err
    assert list(tmp_path.iterdir()) == [path]
