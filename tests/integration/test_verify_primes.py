"""`tools verify` twice on one private cache: the second run reuses the primed target dirs of
the first and still measures the same thing (new/new compiles no pyo3 crate, every other cell
recompiles the pyo3 chain as the status quo does). A third run, through pip, primes pip's cells
from uv's primes: cargo recompiles what pip's configuration changes and nothing else.

The private cache is seeded with hard links to the user cache's downloads, imported registry
bases and maturin wheels, read-only inputs these runs do not write, so maturin is not rebuilt."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tools.cache import Cache
from tools.cli import main
from tools.reporter import RecordingReporter
from tools.verify.evidence import PYO3_CHAIN, parse_cargo_output

pytestmark = [pytest.mark.network, pytest.mark.slow]


def _seed(cache: Path) -> None:
    Cache(cache).claim(given=False)  # the tools' cache, tagged as such
    user = Cache.default().root
    for part in ("downloads", "bases", "builds/wheels"):
        source = user / part
        if not source.is_dir():
            continue
        for path in sorted(source.rglob("*")):
            dest = cache / part / path.relative_to(source)
            if path.is_dir():
                dest.mkdir(parents=True, exist_ok=True)
            elif not path.is_symlink():
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.link(path, dest)


def _verify(cache: Path, out: Path, frontends: str = "uv,build") -> tuple[int, dict[str, Any], str]:
    reporter = RecordingReporter()
    code = main(
        [
            "--cache-dir",
            str(cache),
            "verify",
            "--frontend",
            frontends,
            "--fixture",
            "ext",
            "--safety",
            "none",
            "--no-upstream-checks",
            "--no-prefixes",  # this file is about the matrix's primes
            "--real",
            "none",
            "--json",
            str(out / "report.json"),
            "--markdown",
            str(out / "report.md"),
        ],
        reporter=reporter,
    )
    return code, json.loads((out / "report.json").read_text()), reporter.text()


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = tmp_path_factory.mktemp("cache")
    _seed(cache)
    return cache


@pytest.fixture(scope="module")
def runs(
    cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> list[tuple[int, dict[str, Any], str]]:
    return [_verify(cache, tmp_path_factory.mktemp(f"run{n}")) for n in (1, 2)]


@pytest.fixture(scope="module")
def pip_run(
    cache: Path,
    runs: list[tuple[int, dict[str, Any], str]],
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[int, dict[str, Any], str]:
    return _verify(cache, tmp_path_factory.mktemp("run-pip"), frontends="pip")


def test_the_first_run_primes_and_the_second_reuses(
    runs: list[tuple[int, dict[str, Any], str]],
) -> None:
    (code1, first, log1), (code2, second, log2) = runs
    assert (code1, code2) == (0, 0)
    assert len(first["cells"]) == len(second["cells"]) == 8
    assert {c["cold_from"] for c in first["cells"]} == {"this run"}
    assert all(c["cold_from"].startswith("prime of ") for c in second["cells"])
    assert {c["cold_by"] for c in second["cells"]} == {"uv"}
    assert log1.count("priming ext") == 4
    assert "priming" not in log2
    # the reused primes are the ones the first run made: same cold build, same time
    assert [c["cold_s"] for c in second["cells"]] == [c["cold_s"] for c in first["cells"]]
    assert set(second["phases"]) == {"prepare", "matrix", "safety", "upstream", "real"}


def test_reused_primes_measure_what_fresh_ones_do(
    runs: list[tuple[int, dict[str, Any], str]],
) -> None:
    (_, first, _), (_, second, _) = runs
    for cell in second["cells"]:
        if (cell["maturin"], cell["pyo3"]) == ("new", "new"):
            assert cell["chain_compiled"] == [], cell
        else:
            assert {"pyo3-ffi", "pyo3"} <= set(cell["chain_compiled"]), cell
            # the fixture crate is rebuilt because pyo3 was, not because its files look new
            reasons = cell["reasons"].get("verify-ext", [])
            assert not any("file changed" in reason for reason in reasons), reasons
        assert cell["import_ok"] is True
    compiled = [sorted(c["compiled"]) for c in first["cells"]]
    assert [sorted(c["compiled"]) for c in second["cells"]] == compiled


def _seeded_primes(cache: Path) -> dict[tuple[str, str], list[str]]:
    """(maturin, pyo3) -> what the build of each seeded prime in the cache compiled."""
    builds = {}
    for stamp in sorted((cache / "builds" / "primes").glob("*/prime.json")):
        record = json.loads(stamp.read_text())
        if record.get("seed"):
            variants = (record["inputs"]["maturin"].split()[0], record["inputs"]["pyo3"].split()[0])
            log = (stamp.parent / "build.log").read_text()
            builds[variants] = list(parse_cargo_output(log).compiled)
    return builds


def test_pip_cells_are_primed_from_uv_s_primes(
    cache: Path,
    runs: list[tuple[int, dict[str, Any], str]],
    pip_run: tuple[int, dict[str, Any], str],
) -> None:
    (_, first, _), _ = runs
    code, report, log = pip_run
    assert code == 0, log
    assert [c["ok"] for c in report["cells"]] == [True] * 4
    assert log.count("build from uv's prime (matrix) through pip") == 4
    assert "cold build" not in log
    uv_cold = {
        (c["maturin"], c["pyo3"]): c["cold_s"] for c in first["cells"] if c["frontend"] == "uv"
    }
    for cell in report["cells"]:
        assert cell["cold_by"] == "uv, then pip"
        assert cell["cold_s"] == uv_cold[(cell["maturin"], cell["pyo3"])]
        assert cell["chain_compiled"] == []  # pip's interpreter does not change between builds
    seeded = _seeded_primes(cache)
    assert sorted(seeded) == [("new", "new"), ("new", "old"), ("old", "new"), ("old", "old")]
    for variants, compiled in seeded.items():
        # the seed was used: the crates no interpreter decides were not compiled again
        assert not {"syn", "proc-macro2", "quote"} & set(compiled), (variants, compiled)
        chain = {name for name in compiled if name in PYO3_CHAIN}
        if variants == ("new", "new"):
            assert chain == set(), compiled  # uv's build and pip's share one base interpreter
        else:
            assert "pyo3-ffi" in chain, compiled  # PYO3_PYTHON is another interpreter
