"""`tools verify` twice on one private cache: the second run reuses the primed target dirs of
the first and still measures the same thing (new/new compiles no pyo3 crate, every other cell
recompiles the pyo3 chain as the status quo does).

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

pytestmark = [pytest.mark.network, pytest.mark.slow]


def _seed(cache: Path) -> None:
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


def _verify(cache: Path, out: Path) -> tuple[int, dict[str, Any], str]:
    reporter = RecordingReporter()
    code = main(["--cache-dir", str(cache), "verify", "--frontend", "uv,build", "--fixture", "ext",
                 "--safety", "none", "--no-upstream-checks", "--real", "none",
                 "--json", str(out / "report.json"), "--markdown", str(out / "report.md")],
                reporter=reporter)  # fmt: skip
    return code, json.loads((out / "report.json").read_text()), reporter.text()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[int, dict[str, Any], str]]:
    cache = tmp_path_factory.mktemp("cache")
    _seed(cache)
    return [_verify(cache, tmp_path_factory.mktemp(f"run{n}")) for n in (1, 2)]


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
