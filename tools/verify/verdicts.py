"""The safety scenarios' verdicts: pure functions of what a scenario observed.

Each returns whether the scenario's expectation held and a one-line account of what was seen.
They never run anything, so `tests/unit/test_verdicts.py` checks each on recorded evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

from tools.verify.observations import Observation

NOT_RUN = "not run"


@dataclass(frozen=True)
class Verdict:
    ok: bool
    observed: str


def _skipped(obs: Observation) -> Verdict | None:
    """The verdict of a scenario that did not get as far as its judgement: a failure."""
    if obs.failed:
        return Verdict(False, f"build FAILED: {obs.failed}")
    return Verdict(False, f"{NOT_RUN}: {obs.skipped}") if obs.skipped else None


def _imports(obs: Observation) -> str:
    if obs.imported is None:
        return ""
    return "" if obs.imported else f"; import FAILED: {obs.import_detail or 'no detail'}"


def two_venvs_same_base(obs: Observation) -> Verdict:
    a, b = (build.exported.get("PYO3_BASE_PYTHON") for build in obs.builds[:2])
    ok = obs.last.cached and a is not None and a == b and bool(obs.imported)
    return Verdict(ok, f"{obs.last.outcome}; PYO3_BASE_PYTHON {a} then {b}{_imports(obs)}")


def rebuilds(obs: Observation) -> Verdict:
    """The last build must rebuild the pyo3 chain, and its wheel import."""
    if skipped := _skipped(obs):
        return skipped
    return Verdict(obs.last.rebuilt and bool(obs.imported), obs.last.outcome + _imports(obs))


def stays_cached(obs: Observation) -> Verdict:
    """The last build must compile no pyo3 crate, and its wheel import."""
    if skipped := _skipped(obs):
        return skipped
    return Verdict(obs.last.cached and bool(obs.imported), obs.last.outcome + _imports(obs))


def base_missing(obs: Observation) -> Verdict:
    exported = obs.last.exported
    not_exported = "PYO3_PYTHON" in exported and "PYO3_BASE_PYTHON" not in exported
    tracked = obs.facts.get("PYO3_PYTHON tracked") == "yes"
    observed = (
        f"{obs.last.outcome}; maturin "
        f"{'did not export' if not_exported else 'exported'} PYO3_BASE_PYTHON; PYO3_PYTHON "
        f"{'tracked' if tracked else 'NOT tracked'}{_imports(obs)}"
    )
    return Verdict(obs.last.rebuilt and tracked and not_exported and bool(obs.imported), observed)


def base_path_invalid(obs: Observation) -> Verdict:
    warned = bool(obs.last.warned(obs.discovery, "PYO3_BASE_PYTHON"))
    observed = f"{obs.last.outcome}; warning {'shown' if warned else 'missing'}{_imports(obs)}"
    return Verdict(obs.last.rebuilt and warned and bool(obs.imported), observed)


def config_file(obs: Observation) -> Verdict:
    old, new = obs.build("old/old"), obs.build("new/new")
    observed = f"old/old {old.outcome}; new/new {new.outcome}"
    return Verdict(old.cached and new.cached, observed)


def rerun_triggers(obs: Observation) -> Verdict:
    tracked = [name for name in obs.facts.get("tracked", "").split(",") if name]
    ok = "PYO3_BASE_PYTHON" in tracked and not {"PYO3_PYTHON", "VIRTUAL_ENV"} & set(tracked)
    return Verdict(ok, "tracked: " + ", ".join(tracked))


def downstream_current_interpreter(obs: Observation) -> Verdict:
    used = [w for build in obs.builds for w in build.warnings.get("verify-downstream", ())]
    base_prefix = obs.facts.get("base prefix", "")
    fresh = (
        len(used) == 2 and used[0] != used[1] and bool(base_prefix) and base_prefix not in used[1]
    )
    observed = (
        f"{obs.last.outcome}; build script interpreters: {' then '.join(used) or 'none'}"
        f"{_imports(obs)}"
    )
    return Verdict(obs.last.cached and fresh and bool(obs.imported), observed)


def downstream_opt_in(obs: Observation) -> Verdict:
    own = obs.last.reasons.get("verify-downstream", ())
    rerun = any("PYO3_PYTHON" in reason for reason in own)
    verdict = "rerun: " + "; ".join(own) if rerun else "not rerun"
    observed = f"{obs.last.outcome}; verify-downstream {verdict}{_imports(obs)}"
    return Verdict(obs.last.cached and rerun and bool(obs.imported), observed)


def inherited_other_version(obs: Observation) -> Verdict:
    """The wheel imports where it was built, and pyo3-ffi says it ignored the base."""
    if skipped := _skipped(obs):
        return skipped
    warnings = [
        w
        for build in obs.builds
        for w in build.warned(obs.discovery, "PYO3_BASE_PYTHON", "PYO3_ENVIRONMENT_SIGNATURE")
    ]
    imported = "imports" if obs.imported else f"import FAILS: {obs.import_detail or 'no detail'}"
    observed = (
        f"{imported}; {'warning shown' if warnings else 'no warning'}; warm build "
        f"{obs.last.outcome}"
    )
    return Verdict(bool(obs.imported) and bool(warnings), observed)


def inherited_overridden(obs: Observation) -> Verdict:
    """maturin replaces an inherited base with the build's own, and the chain stays cached."""
    if skipped := _skipped(obs):
        return skipped
    exported = obs.last.exported.get("PYO3_BASE_PYTHON")
    right = obs.facts.get("build's base")
    ok = obs.last.cached and exported is not None and exported == right and bool(obs.imported)
    observed = f"{obs.last.outcome}; maturin exported PYO3_BASE_PYTHON={exported}{_imports(obs)}"
    return Verdict(ok, observed)


def base_reinstalled(obs: Observation) -> Verdict:
    """Same path, same mtime: cached. Same path, new mtime: one rebuild (rerun-if-changed)."""
    again, kept, new = (obs.build(label) for label in REINSTALL_STEPS)
    ok = again.cached and kept.cached and new.rebuilt and bool(obs.imported)
    observed = "; ".join(f"{build.label}: {build.outcome}" for build in (again, kept, new))
    return Verdict(ok, observed + _imports(obs))


REINSTALL_STEPS = ("again", "reinstalled, times kept", "reinstalled, new times")


FREE_THREADING_STEPS = ("GIL", "free-threaded", "GIL again")


def free_threading(obs: Observation) -> Verdict:
    """Alternating GIL and free-threaded builds of one version rebuild every time."""
    if skipped := _skipped(obs):
        return skipped
    ft, gil_again = (obs.build(label) for label in FREE_THREADING_STEPS[1:])
    observed = (
        f"free-threaded after GIL: {ft.outcome}; GIL again: {gil_again.outcome}{_imports(obs)}"
    )
    return Verdict(ft.rebuilt and gil_again.rebuilt and bool(obs.imported), observed)


def two_venvs_one_base(obs: Observation) -> Verdict:
    """Two venvs on one base export one base file; when the base is known (a framework stub, the
    Windows base `python.exe`) it must be that one and the second build cached; a base spelled
    two ways may rebuild or not, both are safe."""
    if skipped := _skipped(obs):
        return skipped
    a, b = (build.exported.get("PYO3_BASE_PYTHON") or "not exported" for build in obs.builds[:2])
    one_file = obs.facts.get("one base file") == "yes"
    known = "expected base" in obs.facts
    right_base = not known or obs.facts.get("is the expected base") == "yes"
    cached = not known or obs.last.cached
    observed = f"{obs.last.outcome}; PYO3_BASE_PYTHON {a} then {b}{_imports(obs)}"
    return Verdict(one_file and right_base and cached and bool(obs.imported), observed)


def use_base_python(obs: Observation) -> Verdict:
    """maturin's use-base-python: ext's second build compiles no pyo3 crate and imports, and
    downstream's build (whose build script imports a build requirement) fails."""
    if skipped := _skipped(obs):
        return skipped
    ext = obs.build("second")
    downstream = obs.facts.get("downstream", "not measured")
    ok = ext.cached and bool(obs.imported) and downstream.startswith("build FAILED")
    return Verdict(ok, f"ext {ext.outcome}{_imports(obs)}; downstream {downstream}")


def build_requirement(obs: Observation) -> Verdict:
    """A build script importing a build requirement with PYO3_PYTHON: it fails under
    use-base-python, and with the series its second build keeps the pyo3 chain cached."""
    if skipped := _skipped(obs):
        return skipped
    stock = obs.facts.get("use-base-python", "not measured")
    ok = stock.startswith("build FAILED") and obs.last.cached and bool(obs.imported)
    observed = f"use-base-python: {stock}; series: {obs.last.outcome}{_imports(obs)}"
    return Verdict(ok, observed)
