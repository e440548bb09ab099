"""The safety scenarios' verdicts on recorded evidence: each holds on what a real run observed,
and fails when one fact is different."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tools.verify import verdicts
from tools.verify.observations import Build, Observation
from tools.verify.safety import SCENARIOS, discovery_package

BASE = "/root/.pyenv/versions/3.11.7/bin/python3.11"
OTHER = "/root/.pyenv/versions/3.13.0/bin/python3.13"
# Recorded from `tools verify` runs on the measuring machine (outcomes as `describe` wrote them).
REBUILD = "rebuild (pyo3-ffi, pyo3; build script: env PYO3_PYTHON changed)"
IGNORED = (
    f"PYO3_BASE_PYTHON is set to `{OTHER}`, which is `cpython-3.13-64bit`, but "
    "PYO3_ENVIRONMENT_SIGNATURE says that this build is for `cpython-3.11-64bit`; ignoring it"
)


def _pair(first: Build, second: Build, **facts: str) -> Observation:
    return Observation(builds=(first, second), imported=True, facts=facts)


def _not(obs: Observation, **changes: object) -> Observation:
    return replace(obs, **changes)  # type: ignore[arg-type]


def test_every_scenario_has_a_verdict_tested_here() -> None:
    tested = {
        verdicts.two_venvs_same_base,
        verdicts.rebuilds,
        verdicts.stays_cached,
        verdicts.base_missing,
        verdicts.base_path_invalid,
        verdicts.config_file,
        verdicts.rerun_triggers,
        verdicts.downstream_current_interpreter,
        verdicts.downstream_opt_in,
        verdicts.inherited_other_version,
        verdicts.inherited_overridden,
        verdicts.base_reinstalled,
        verdicts.free_threading,
        verdicts.two_venvs_one_base,
        verdicts.use_base_python,
        verdicts.build_requirement,
    }
    assert {scenario.verdict for scenario in SCENARIOS.values()} <= tested


def test_two_venvs_same_base() -> None:
    obs = _pair(
        Build("venv A", REBUILD, exported={"PYO3_BASE_PYTHON": BASE}),
        Build("venv B", "cached", exported={"PYO3_BASE_PYTHON": BASE}),
    )
    assert verdicts.two_venvs_same_base(obs) == verdicts.Verdict(
        True, f"cached; PYO3_BASE_PYTHON {BASE} then {BASE}"
    )
    other_base = Build("venv B", "cached", exported={"PYO3_BASE_PYTHON": OTHER})
    assert not verdicts.two_venvs_same_base(_not(obs, builds=(obs.builds[0], other_base))).ok
    not_exported = Build("venv B", "cached")
    assert not verdicts.two_venvs_same_base(_not(obs, builds=(obs.builds[0], not_exported))).ok
    assert not verdicts.two_venvs_same_base(_not(obs, imported=False)).ok


def test_rebuilds_and_stays_cached() -> None:
    rebuilt = _pair(Build("first", REBUILD), Build("second", REBUILD))
    cached = _pair(Build("first", REBUILD), Build("second", "cached"))
    assert verdicts.rebuilds(rebuilt).ok
    assert not verdicts.rebuilds(cached).ok
    assert verdicts.stays_cached(cached).ok
    assert not verdicts.stays_cached(rebuilt).ok
    broken = _not(cached, imported=False, import_detail="undefined symbol: PyErr_X")
    assert verdicts.stays_cached(broken) == verdicts.Verdict(
        False, "cached; import FAILED: undefined symbol: PyErr_X"
    )
    skipped = Observation(skipped="no second CPython minor version was found")
    assert verdicts.rebuilds(skipped) == verdicts.Verdict(
        False, "not run: no second CPython minor version was found"
    )


def test_base_missing() -> None:
    exported = {"PYO3_PYTHON": "/tmp/venv-b/bin/python"}
    obs = _pair(
        Build("venv a", REBUILD, exported=exported),
        Build("venv b", REBUILD, exported=exported),
        **{"PYO3_PYTHON tracked": "yes"},
    )
    assert verdicts.base_missing(obs).ok
    assert not verdicts.base_missing(_not(obs, facts={"PYO3_PYTHON tracked": "no"})).ok
    leaked = Build("venv b", REBUILD, exported={**exported, "PYO3_BASE_PYTHON": "/gone"})
    assert not verdicts.base_missing(_not(obs, builds=(obs.builds[0], leaked))).ok


def test_base_path_invalid() -> None:
    warning = "PYO3_BASE_PYTHON is set to `/x/no-such-python`, which is not an existing file"
    obs = _pair(
        Build("first", REBUILD),
        Build("second", REBUILD, warnings={"pyo3-ffi": (warning,)}),
    )
    assert verdicts.base_path_invalid(obs).ok
    silent = Build("second", REBUILD)
    assert not verdicts.base_path_invalid(_not(obs, builds=(obs.builds[0], silent))).ok


def test_config_file() -> None:
    obs = Observation(builds=(Build("old/old", "cached"), Build("new/new", "cached")))
    assert verdicts.config_file(obs) == verdicts.Verdict(True, "old/old cached; new/new cached")
    differs = Observation(builds=(Build("old/old", "cached"), Build("new/new", REBUILD)))
    assert not verdicts.config_file(differs).ok


def test_rerun_triggers() -> None:
    tracked = "PYO3_BASE_PYTHON,PYO3_CONFIG_FILE,PYO3_ENVIRONMENT_SIGNATURE,PYO3_NO_PYTHON"
    assert verdicts.rerun_triggers(Observation(facts={"tracked": tracked})).ok
    for extra in ("PYO3_PYTHON", "VIRTUAL_ENV"):
        assert not verdicts.rerun_triggers(Observation(facts={"tracked": f"{tracked},{extra}"})).ok
    assert not verdicts.rerun_triggers(Observation(facts={"tracked": "PYO3_PYTHON"})).ok


def test_downstream_current_interpreter() -> None:
    ran = "verify-downstream build script ran Python at /root/.cache/uv/builds-v0/.tmp{}/bin/python"
    obs = _pair(
        Build("first", REBUILD, warnings={"verify-downstream": (ran.format("A"),)}),
        Build("second", "cached", warnings={"verify-downstream": (ran.format("B"),)}),
        **{"base prefix": "/root/.pyenv/versions/3.11.7"},
    )
    assert verdicts.downstream_current_interpreter(obs).ok
    stale = Build("second", "cached", warnings={"verify-downstream": (ran.format("A"),)})
    assert not verdicts.downstream_current_interpreter(_not(obs, builds=(obs.builds[0], stale))).ok
    base = "verify-downstream build script ran Python at /root/.pyenv/versions/3.11.7/bin/python"
    on_base = Build("second", "cached", warnings={"verify-downstream": (base,)})
    assert not verdicts.downstream_current_interpreter(
        _not(obs, builds=(obs.builds[0], on_base))
    ).ok


def test_downstream_opt_in() -> None:
    reasons = ("compile: a dependency changed", "build script: env PYO3_PYTHON changed")
    obs = _pair(
        Build("first", REBUILD), Build("second", "cached", reasons={"verify-downstream": reasons})
    )
    assert verdicts.downstream_opt_in(obs).ok
    not_rerun = Build("second", "cached")
    assert not verdicts.downstream_opt_in(_not(obs, builds=(obs.builds[0], not_rerun))).ok


def test_inherited_other_version() -> None:
    obs = _pair(
        Build("first", "rebuild (pyo3-ffi, pyo3)", warnings={"pyo3-ffi": (IGNORED,)}),
        Build("second", REBUILD),
    )
    assert verdicts.inherited_other_version(obs) == verdicts.Verdict(
        True, f"imports; warning shown; warm build {REBUILD}"
    )
    # what happened before the mismatch check: no warning and a wheel that does not import
    broken = Observation(
        builds=(Build("first", "rebuild (pyo3-ffi, pyo3)"), Build("second", "cached")),
        imported=False,
        import_detail="ImportError: undefined symbol: PyErr_GetRaisedException",
    )
    verdict = verdicts.inherited_other_version(broken)
    assert not verdict.ok
    assert "undefined symbol" in verdict.observed
    assert not verdicts.inherited_other_version(_not(obs, imported=False)).ok


def test_inherited_overridden() -> None:
    obs = _pair(
        Build("first", REBUILD),
        Build("second", "cached", exported={"PYO3_BASE_PYTHON": BASE}),
        **{"build's base": BASE, "inherited": OTHER},
    )
    assert verdicts.inherited_overridden(obs).ok
    kept = Build("second", "cached", exported={"PYO3_BASE_PYTHON": OTHER})
    assert not verdicts.inherited_overridden(_not(obs, builds=(obs.builds[0], kept))).ok


def test_base_reinstalled() -> None:
    changed = "rebuild (pyo3-ffi, pyo3; build script: file changed: /w/python/bin/python3.11)"
    again, kept, new = verdicts.REINSTALL_STEPS
    obs = Observation(
        builds=(
            Build("first", REBUILD),
            Build(again, "cached"),
            Build(kept, "cached"),
            Build(new, changed),
        ),
        imported=True,
    )
    verdict = verdicts.base_reinstalled(obs)
    assert verdict.ok
    assert verdict.observed == (
        f"again: cached; reinstalled, times kept: cached; reinstalled, new times: {changed}"
    )
    never_rerun = _not(obs, builds=(*obs.builds[:3], Build(new, "cached")))
    assert not verdicts.base_reinstalled(never_rerun).ok


def test_free_threading() -> None:
    gil, ft, gil_again = verdicts.FREE_THREADING_STEPS
    switch = "rebuild (pyo3-ffi, pyo3; build script: env PYO3_ENVIRONMENT_SIGNATURE changed)"
    obs = Observation(
        builds=(Build(gil, REBUILD), Build(ft, switch), Build(gil_again, switch)), imported=True
    )
    assert verdicts.free_threading(obs).ok
    # the stale build of pyo3#4882: the free-threaded build reuses the GIL one
    stale = _not(obs, builds=(obs.builds[0], Build(ft, "cached"), obs.builds[2]))
    assert not verdicts.free_threading(stale).ok
    assert not verdicts.free_threading(_not(obs, imported=False)).ok


def test_two_venvs_one_base() -> None:
    stub = "/Library/Frameworks/Python.framework/Versions/3.13/bin/python3.13"
    obs = Observation(
        builds=(
            Build("venv a", REBUILD, exported={"PYO3_BASE_PYTHON": stub}),
            Build("venv b", "cached", exported={"PYO3_BASE_PYTHON": stub}),
        ),
        imported=True,
        facts={"one base file": "yes", "expected base": stub, "is the expected base": "yes"},
    )
    assert verdicts.two_venvs_one_base(obs).ok
    wrong = {**obs.facts, "is the expected base": "no"}
    assert not verdicts.two_venvs_one_base(_not(obs, facts=wrong)).ok
    rebuilt = _not(obs, builds=(obs.builds[0], Build("venv b", REBUILD)))
    assert not verdicts.two_venvs_one_base(rebuilt).ok
    # one base spelled in two cases: no expected base, a rebuild is safe too
    spelled = _not(rebuilt, facts={"one base file": "yes"})
    assert verdicts.two_venvs_one_base(spelled).ok
    assert not verdicts.two_venvs_one_base(_not(spelled, facts={"one base file": "no"})).ok


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenarios_are_described(name: str) -> None:
    scenario = SCENARIOS[name]
    assert scenario.name == name
    assert scenario.what
    assert scenario.expected


def test_discovery_moved_to_pyo3_ffi_in_0_29() -> None:
    assert discovery_package("0.30.1") == "pyo3-ffi"
    assert discovery_package("0.29.3") == "pyo3-ffi"
    assert discovery_package("0.28.3") == "pyo3-build-config"


def test_warnings_are_read_from_the_crate_that_discovers() -> None:
    # pyo3 0.28: the warning comes from pyo3-build-config's build script
    obs = Observation(
        builds=(
            Build("first", REBUILD, warnings={"pyo3-build-config": (IGNORED,)}),
            Build("second", REBUILD),
        ),
        imported=True,
        discovery="pyo3-build-config",
    )
    assert verdicts.inherited_other_version(obs).ok
    assert not verdicts.inherited_other_version(replace(obs, discovery="pyo3-ffi")).ok


# Recorded from the pip-default-isolation scenario with the series before patch 0005 (pip 26.3).
PIP_FAILURE = (
    "pip failed to build project (exit 1) / error: failed to run custom build command for "
    "`pyo3-ffi v0.30.1 (/cache/builds/trees/pyo3-0.30.1-new/pyo3-ffi)` / error: Python script "
    "failed"
)


def test_a_build_that_failed_is_a_failed_scenario_whatever_its_verdict() -> None:
    failed = Observation(failed=PIP_FAILURE, facts={"pip": "pip 26.3"})
    for verdict in (verdicts.stays_cached, verdicts.rebuilds, verdicts.inherited_other_version):
        result = verdict(failed)
        assert not result.ok
        assert result.observed == f"build FAILED: {PIP_FAILURE}"
    cached = Build("second", "cached")
    assert verdicts.stays_cached(_pair(Build("first", REBUILD), cached)).ok


# What a build script's panic looks like once `failure_line` has picked it out of the log.
NO_REQUIREMENT = (
    "uv failed to build project (exit 2) / verify-build-requirement: "
    f"{BASE} cannot import tomli_w: ModuleNotFoundError: No module named 'tomli_w'"
)


def test_use_base_python() -> None:
    obs = _pair(
        Build("first", REBUILD),
        Build("second", "cached"),
        downstream=f"build FAILED: {NO_REQUIREMENT}",
    )
    assert verdicts.use_base_python(obs) == verdicts.Verdict(
        True, f"ext cached; downstream build FAILED: {NO_REQUIREMENT}"
    )
    # ext recompiled the chain on its second build: use-base-python did not keep it cached
    assert not verdicts.use_base_python(
        _not(obs, builds=(obs.builds[0], Build("second", REBUILD)))
    ).ok
    assert not verdicts.use_base_python(_not(obs, imported=False)).ok
    # downstream built: the base interpreter had what its build script imports, unexpected
    assert not verdicts.use_base_python(_not(obs, facts={"downstream": "cached"})).ok
    assert not verdicts.use_base_python(_not(obs, facts={})).ok
    # the judged build is ext's second, wherever it stands among the builds
    with_downstream = _not(obs, builds=(Build("downstream first", REBUILD), *obs.builds))
    assert verdicts.use_base_python(with_downstream).ok


def test_build_requirement() -> None:
    obs = _pair(
        Build("first", REBUILD),
        Build("second", "cached"),
        **{"use-base-python": f"build FAILED: {NO_REQUIREMENT}"},
    )
    verdict = verdicts.build_requirement(obs)
    assert verdict.ok
    assert verdict.observed.startswith("use-base-python: build FAILED: ")
    assert verdict.observed.endswith("; series: cached")
    # use-base-python built it (the base had the requirement): nothing shown, not as expected
    assert not verdicts.build_requirement(_not(obs, facts={"use-base-python": "built"})).ok
    # the series recompiled the pyo3 chain, or its wheel does not import
    assert not verdicts.build_requirement(
        _not(obs, builds=(obs.builds[0], Build("second", REBUILD)))
    ).ok
    assert not verdicts.build_requirement(_not(obs, imported=False)).ok
    failed = Observation(failed="uv failed to build verify-build-requirement (exit 2)")
    assert not verdicts.build_requirement(failed).ok
