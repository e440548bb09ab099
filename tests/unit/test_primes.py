"""Primed target dirs are reused only when every input of their build is the same, and an
interrupted write never leaves a folder that would be reused; phase times reach the report."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import pytest

from tools.reportdata import load_report
from tools.verify.matrix import CellResult, prime_spec
from tools.verify.phases import PhaseClock
from tools.verify.primes import (
    KEEP_PARTIAL_DAYS,
    KEEP_UNUSED_DAYS,
    LOG,
    PRIME_FORMAT,
    STAMP,
    Prime,
    PrimeRecord,
    PrimeSpec,
    files_hash,
    prime_inputs,
    prime_key,
    prune_primes,
    read_prime,
    restore_prime,
    seed_from,
    store_prime,
)
from tools.verify.report import Report, render_markdown, write_json

SPEC = PrimeSpec(maturin="new", pyo3="new", fixture="ext", frontend="uv")
FACTS: dict[str, Any] = {
    "stage_path": Path("/cache/builds/verify/primed/matrix/maturin-new-pyo3-new/ext/uv"),
    "maturin_wheels": "1111",
    "pyo3_tree": "pyo3 0.30.1 series abc at /cache/builds/trees/pyo3-0.30.1-new",
    "fixture_files": "2222",
    "python": "/usr/bin/python3 3.11.7 (main)",
    "toolchain": "rustc 1.95.0\nhost: x86_64-unknown-linux-gnu\ncargo 1.95.0",
    "frontend_version": "uv 0.13.9",
}
DAY = 24 * 3600.0
VARIANTS = {
    f"{project}_{variant}": f"{project} {variant}"
    for project in ("pyo3", "maturin")
    for variant in ("old", "new")
}
ENVIRONMENT = {
    key: key
    for key in ("machine", "python", "other python", "uv", "build", "pip", "cargo", "rustc")
}


def _key(spec: PrimeSpec = SPEC, **changes: Any) -> str:
    return prime_key(prime_inputs(spec, **{**FACTS, **changes}))


@pytest.mark.parametrize(
    "change",
    [
        {"stage_path": Path("/elsewhere")},
        {"maturin_wheels": "1112"},
        {"pyo3_tree": "pyo3 0.30.1 series abd at /cache/builds/trees/pyo3-0.30.1-new"},
        {"fixture_files": "2223"},
        {"python": "/usr/bin/python3 3.11.8 (main)"},
        {"toolchain": "rustc 1.96.0\nhost: x86_64-unknown-linux-gnu\ncargo 1.96.0"},
        {"frontend_version": "uv 0.13.10"},
    ],
)
def test_the_key_changes_with_every_fact(change: dict[str, Any]) -> None:
    assert _key(**change) != _key()


@pytest.mark.parametrize(
    "spec",
    [
        dataclasses.replace(SPEC, maturin="old"),
        dataclasses.replace(SPEC, pyo3="old"),
        dataclasses.replace(SPEC, fixture="abi3"),
        dataclasses.replace(SPEC, frontend="pip"),
        dataclasses.replace(SPEC, extra_env=(("PYO3_BASE_PYTHON", "/usr/bin/python3"),)),
        dataclasses.replace(SPEC, frontend_args=("--env-dir", "/work/build-env")),
        dataclasses.replace(SPEC, facts=(("interpreter", "/usr/bin/python3.13 3.13.1"),)),
    ],
)
def test_the_key_changes_with_what_is_primed(spec: PrimeSpec) -> None:
    assert _key(spec) != _key()


def test_frontend_options_and_facts_are_keyed_only_when_set() -> None:
    # primes made before they existed keep their keys
    keys = {"maturin", "pyo3", "fixture", "python", "toolchain", "frontend", "stage", "env"}
    assert set(prime_inputs(SPEC, **FACTS)) == keys
    first = dataclasses.replace(SPEC, facts=(("config file", "1 version=3.11"),))
    second = dataclasses.replace(SPEC, facts=(("config file", "2 version=3.11"),))
    assert _key(first) != _key(second)


def test_a_seed_is_keyed_only_when_there_is_one() -> None:
    assert "seed" not in prime_inputs(SPEC, **FACTS)
    seeded = prime_inputs(SPEC, **FACTS, seed_key="a" * 24)
    assert seeded["seed"] == "a" * 24
    assert _key(seed_key="a" * 24) not in {_key(), _key(seed_key="b" * 24)}


def test_pip_cells_start_from_uv_s_prime_rebuilt_by_pip() -> None:
    uv = PrimeSpec(maturin="old", pyo3="new", fixture="abi3", frontend="uv")
    assert prime_spec("old", "new", "abi3", "uv") == uv
    assert prime_spec("old", "new", "abi3", "build") == uv  # build's cells share uv's prime
    pip = prime_spec("old", "new", "abi3", "pip")
    assert (pip.frontend, pip.seed) == ("pip", uv)
    assert dataclasses.replace(pip, frontend="uv", seed=None) == uv


def test_the_key_is_stable_and_ignores_the_stage_name() -> None:
    assert _key() == _key()
    # the stage folder's name is part of the stage path, which is what cargo sees
    assert _key(dataclasses.replace(SPEC, stage="other")) == _key()


def test_files_hash_sees_names_and_contents(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "lib.rs").write_text("fn a() {}")
    first = files_hash(tmp_path)
    (tmp_path / "src" / "lib.rs").write_text("fn b() {}")
    second = files_hash(tmp_path)
    (tmp_path / "src" / "lib.rs").rename(tmp_path / "src" / "main.rs")
    third = files_hash(tmp_path)
    assert len({first, second, third}) == 3
    os.utime(tmp_path / "src" / "main.rs", (1, 1))  # an mtime alone is not an input
    assert files_hash(tmp_path) == third


def _stage(tmp_path: Path) -> tuple[Path, Path]:
    stage = tmp_path / "stage"
    (stage / "project" / "src").mkdir(parents=True)
    (stage / "project" / "src" / "lib.rs").write_text("fn main() {}")
    (stage / "target" / "release" / ".fingerprint").mkdir(parents=True)
    (stage / "target" / "release" / ".fingerprint" / "dep-lib").write_text("dep")
    os.utime(stage / "project" / "src" / "lib.rs", (1_000_000, 1_000_000))
    wheel = stage / "dist" / "verify_ext-0.1.0-cp311-cp311-linux_x86_64.whl"
    wheel.parent.mkdir()
    wheel.write_bytes(b"wheel")
    return stage, wheel


def _record(key: str = "k1") -> PrimeRecord:
    return PrimeRecord(
        key=key,
        inputs={"python": "3.11"},
        cold_s=11.5,
        created="2026-11-26T18:00:00+00:00",
        wheel="verify_ext-0.1.0-cp311-cp311-linux_x86_64.whl",
    )


def test_a_stored_prime_is_complete_and_keeps_mtimes(tmp_path: Path) -> None:
    stage, wheel = _stage(tmp_path)
    prime = store_prime(tmp_path / "store", _record(), stage, wheel, "Compiling pyo3\n")
    assert prime == tmp_path / "store" / "k1"
    assert read_prime(prime, "k1") == _record()
    assert (prime / LOG).read_text() == "Compiling pyo3\n"
    assert (prime / "project" / "src" / "lib.rs").stat().st_mtime == 1_000_000
    assert [p.name for p in (tmp_path / "store").iterdir()] == ["k1"]  # no partial left


@pytest.mark.parametrize(
    "damage",
    [
        "no stamp",
        "other key",
        "other format",
        "not json",
        "not a record",
        "no target",
        "no log",
        "no wheel",
    ],
)
def test_an_incomplete_or_foreign_prime_is_not_reused(tmp_path: Path, damage: str) -> None:
    stage, wheel = _stage(tmp_path)
    prime = store_prime(tmp_path / "store", _record(), stage, wheel, "log")
    stamp = prime / STAMP
    data = json.loads(stamp.read_text())
    if damage == "no stamp":
        stamp.unlink()
    elif damage == "other key":
        stamp.write_text(json.dumps({**data, "key": "k2"}))
    elif damage == "other format":
        stamp.write_text(json.dumps({**data, "format": PRIME_FORMAT + 1}))
    elif damage == "not json":
        stamp.write_text('{"key": "k1", ')
    elif damage == "not a record":
        stamp.write_text(json.dumps({**data, "cold_s": "fast"}))
    elif damage == "no target":
        (prime / "target" / "release" / ".fingerprint" / "dep-lib").unlink()
        for sub in ("release/.fingerprint", "release", ""):
            (prime / "target" / sub).rmdir()
    elif damage == "no log":
        (prime / LOG).unlink()
    else:
        (prime / "dist" / _record().wheel).unlink()
    assert read_prime(prime, "k1") is None


def test_an_interrupted_store_leaves_nothing_that_is_reused(tmp_path: Path) -> None:
    stage, wheel = _stage(tmp_path)
    wheel.unlink()  # the copy fails after project and target were copied
    with pytest.raises(FileNotFoundError):
        store_prime(tmp_path / "store", _record(), stage, wheel, "log")
    assert list((tmp_path / "store").iterdir()) == []
    assert read_prime(tmp_path / "store" / "k1", "k1") is None


def test_a_store_replaces_an_incomplete_prime(tmp_path: Path) -> None:
    stage, wheel = _stage(tmp_path)
    leftover = tmp_path / "store" / "k1"
    (leftover / "target").mkdir(parents=True)
    (leftover / "target" / "half-written").write_text("")
    store_prime(tmp_path / "store", _record(), stage, wheel, "log")
    assert read_prime(leftover, "k1") == _record()
    assert not (leftover / "target" / "half-written").exists()


def test_restore_gives_the_primed_state_back(tmp_path: Path) -> None:
    stage, wheel = _stage(tmp_path)
    prime = store_prime(tmp_path / "store", _record(), stage, wheel, "log")
    # what a warm build and a re-render do to the stage
    (stage / "target" / "release" / "new-artifact").write_text("")
    (stage / "project" / "src" / "lib.rs").write_text("fn main() {}")
    restore_prime(prime, stage)
    assert not (stage / "target" / "release" / "new-artifact").exists()
    assert (stage / "project" / "src" / "lib.rs").stat().st_mtime == 1_000_000
    assert (stage / "target" / "release" / ".fingerprint" / "dep-lib").read_text() == "dep"


def test_a_record_from_before_seeds_is_read_as_unseeded(tmp_path: Path) -> None:
    stage, wheel = _stage(tmp_path)
    prime = store_prime(tmp_path / "store", _record(), stage, wheel, "log")
    data = json.loads((prime / STAMP).read_text())
    del data["seed"]
    (prime / STAMP).write_text(json.dumps(data))
    assert read_prime(prime, "k1") == _record()
    (prime / STAMP).write_text(json.dumps({**data, "seed": 7}))
    assert read_prime(prime, "k1") is None


def test_a_seeded_target_keeps_the_seed_s_mtimes_and_forgets_the_project(tmp_path: Path) -> None:
    stage, wheel = _stage(tmp_path)
    release = stage / "target" / "release"
    for name in (
        "deps/libpyo3-0123456789abcdef.rlib",
        "deps/libverify_ext-0123456789abcdef.so",
        ".fingerprint/verify-ext-0123456789abcdef/lib-verify_ext",
        "build/verify-ext-fedcba9876543210/output",
        "libverify_ext.so",
    ):
        (release / name).parent.mkdir(parents=True, exist_ok=True)
        (release / name).write_text(name)
    os.utime(release / "deps" / "libpyo3-0123456789abcdef.rlib", (2_000_000, 2_000_000))
    prime = store_prime(tmp_path / "store", _record(), stage, wheel, "log")
    target = tmp_path / "other-stage" / "target"
    target.mkdir(parents=True)
    (target / "left-over").write_text("")  # what an earlier build at this stage left
    seed_from(prime, target, ["verify-ext"])
    kept = {p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()}
    assert kept == {"release/.fingerprint/dep-lib", "release/deps/libpyo3-0123456789abcdef.rlib"}
    assert (target / "release/deps/libpyo3-0123456789abcdef.rlib").stat().st_mtime == 2_000_000
    assert (prime / "target" / "release" / "libverify_ext.so").exists()  # the prime is intact


def _prime(spec: PrimeSpec, created: str, reused: bool, seed: Prime | None = None) -> Prime:
    record = dataclasses.replace(_record(), created=created, cold_s=12.0 if seed is None else 2.0)
    return Prime(spec, Path("/store") / spec.frontend, record, reused, seed)


def test_a_seeded_prime_takes_its_cold_figure_and_date_from_its_origin() -> None:
    cold = _prime(SPEC, "2026-11-26T18:00:00+00:00", reused=True)
    pip = _prime(
        dataclasses.replace(SPEC, frontend="pip", seed=SPEC),
        "2026-12-04T21:00:00+00:00",
        reused=False,
        seed=cold,
    )
    assert pip.chain == (cold, pip)
    assert pip.origin is cold
    assert (pip.built_by, cold.built_by) == ("uv, then pip", "uv")
    assert pip.cold_from == "prime of 2026-11-26T18:00:00+00:00"
    assert _prime(SPEC, "2026-12-04T21:00:00+00:00", reused=False).cold_from == "this run"


def test_prune_removes_unused_primes_and_stale_partials(tmp_path: Path) -> None:
    store, now = tmp_path / "store", 100 * DAY
    ages = {
        "recent": 1.0,
        "unused": KEEP_UNUSED_DAYS + 1.0,
        "k.partial-1": KEEP_PARTIAL_DAYS + 1.0,
        "k.partial-2": 0.5,
    }
    for name, age in ages.items():
        (store / name).mkdir(parents=True)
        if ".partial-" not in name:
            (store / name / STAMP).write_text("{}")
            os.utime(store / name / STAMP, (now - age * DAY, now - age * DAY))
        os.utime(store / name, (now - age * DAY, now - age * DAY))
    removed = prune_primes(store, now)
    assert sorted(p.name for p in removed) == ["k.partial-1", "unused"]
    assert sorted(p.name for p in store.iterdir()) == ["k.partial-2", "recent"]
    assert prune_primes(tmp_path / "absent", now) == []


def test_the_phase_clock_times_consecutive_phases() -> None:
    ticks = iter([10.0, 12.5, 40.25, 40.25, 100.0])
    clock = PhaseClock(lambda: next(ticks))
    assert clock.lap("prepare") == 2.5
    clock.lap("matrix")
    clock.lap("safety")
    clock.lap("upstream")
    assert clock.seconds == {"prepare": 2.5, "matrix": 27.8, "safety": 0.0, "upstream": 59.8}


def _cell(cold_from: str) -> CellResult:
    return CellResult(
        maturin="new",
        pyo3="new",
        frontend="build",
        fixture="ext",
        compiled=[],
        chain_compiled=[],
        reasons={},
        cold_s=11.8,
        warm_s=1.1,
        import_ok=True,
        import_detail="",
        expected="cached",
        ok=True,
        cold_by="uv",
        cold_from=cold_from,
    )


def test_phases_and_cold_provenance_reach_the_report(tmp_path: Path) -> None:
    phases = {"prepare": 0.5, "matrix": 38.9, "safety": 120.0, "upstream": 9.0, "real": 80.0}
    report = Report(
        pins={"pyo3": "0.30.1", "maturin": "1.16.0"},
        series={"pyo3": "a" * 12, "maturin": "b" * 12},
        variants=VARIANTS,
        cells=[_cell("prime of 2026-11-26T18:00:00+00:00"), _cell("this run")],
        safety=[],
        upstream_tests=[],
        environment=ENVIRONMENT,
        started="2026-11-26T18:00:00+00:00",
        seconds=168.4,
        phases=phases,
    )
    write_json(report, tmp_path / "verify.json")
    loaded = load_report(tmp_path / "verify.json")
    assert loaded["phases"] == phases
    assert loaded["cells"][0].get("cold_from") == "prime of 2026-11-26T18:00:00+00:00"
    markdown = render_markdown(dict(loaded))
    assert "Time per phase: prepare 0.5 s, matrix 38.9 s, safety 120.0 s" in markdown
    assert "| 11.8 (uv, prime of 2026-11-26T18:00:00+00:00) | 1.1 |" in markdown
    assert "| 11.8 (uv) | 1.1 |" in markdown


def test_a_report_without_phases_still_renders(tmp_path: Path) -> None:
    report = Report(
        pins={"pyo3": "0.30.1", "maturin": "1.16.0"},
        series={},
        variants=VARIANTS,
        cells=[_cell("this run")],
        safety=[],
        upstream_tests=[],
        environment=ENVIRONMENT,
        started="",
        seconds=1,
    )
    assert "Time per phase" not in render_markdown(report.to_json())
