"""Upstream's gates: their parsers on recorded output of the real tools, and the not-run
decision (offline: no gate is run here)."""

from __future__ import annotations

from pathlib import Path

from tools.pins import load_pins
from tools.templates import gate_result
from tools.verify.gates import (
    NEEDS_PR_NUMBER,
    Gate,
    changed_files,
    fallback_not_needed,
    local_patch_args,
    maturin_gates,
    needed_siblings,
    not_run_reason,
    precommit_not_run,
    pyo3_gates,
)
from tools.verify.pairs import summarize
from tools.verify.upstream import judge, not_built_here, parse_outcome

# Recorded with ruff 0.17.6 (`ruff check --output-format concise noxfile.py`) on pyo3 0.29.2
# with the series, whose pyproject.toml selects no rules for ruff >= 0.16 (trimmed).
RUFF_CHECK = """\
noxfile.py:56:34: FA100 Add `from __future__ import annotations` to simplify `typing.Optional`
noxfile.py:56:43: FA100 Add `from __future__ import annotations` to simplify `typing.Dict`
noxfile.py:295:12: BLE001 Do not catch blind exception: `Exception`
noxfile.py:1494:61: FA102 Missing `from __future__ import annotations`, but uses PEP 585 collection
Found 4 errors.
[*] 0 fixable with the `--fix` option.
"""
RUFF_FORMAT_UNFORMATTED = """\
n.py:2:1: unformatted: File would be reformatted
1 file would be reformatted
"""
RUFF_FORMAT_CLEAN = "1 file already formatted\n"
# typos 1.47.2, `--format brief`
TYPOS = "a.md:1:5: error: `recieve` should be `receive`\n"
# rumdl 0.2.34 on the series' guide page and newsfragments
RUMDL_FOUND = """\
newsfragments/6113.added.md:1:1: [MD013] Line contains 2 sentences (one sentence per line required) [*]
newsfragments/6113.added.md:1:1: [MD041] First line in file should be a level 1 heading
newsfragments/6113.changed.md:1:1: [MD041] First line in file should be a level 1 heading

Issues: Found 3 issues in 2/3 files (27ms)
Run `rumdl fmt` to automatically fix 1 of the 3 issues
"""  # noqa: E501
RUMDL_CLEAN = "\nSuccess: No issues found in 1 file (11ms)\n"
# nox 2026.10.20, pyo3's check-changelog session and the series' test-base-python session
NOX_CHANGELOG_OK = """\
Found newsfragments:
6113.added.md
6113.changed.md
nox > Running session check-changelog
nox > Session check-changelog was successful.
"""
NOX_CHANGELOG_MISSING = """\
nox > Running session check-changelog
nox > Session check-changelog aborted: Changelog entry not found, please add one (or more) to \
the `newsfragments` directory.
Alternatively, start the PR title with `docs:`, `refactor:`, or `internal:` if applicable.
"""
NOX_TEST_BASE_PYTHON = """\
nox > Running session test-base-python
nox > cargo build --package=pyo3-ffi
   Compiling pyo3-ffi v0.29.2 (/tmp/w10-pyo3-git/pyo3-ffi)
    Finished `dev` profile [unoptimized + debuginfo] target(s) in 1.00s
nox > Session test-base-python was successful in 12 seconds.
"""


def test_ruff_findings_are_counted_per_rule_and_file() -> None:
    outcome = parse_outcome("ruff", 1, RUFF_CHECK)
    assert outcome.passed == 0
    assert outcome.failures == {
        "FA100 noxfile.py #0",
        "FA100 noxfile.py #1",
        "BLE001 noxfile.py #0",
        "FA102 noxfile.py #0",
    }
    assert parse_outcome("ruff", 0, "All checks passed!\n").failures == frozenset()


def test_ruff_format_names_the_unformatted_file() -> None:
    assert parse_outcome("ruff", 1, RUFF_FORMAT_UNFORMATTED).failures == {"unformatted n.py #0"}
    clean = parse_outcome("ruff", 0, RUFF_FORMAT_CLEAN)
    assert (clean.passed, clean.failures) == (1, frozenset())


def test_findings_the_tree_without_the_series_has_are_not_the_series() -> None:
    # the series moves lines in noxfile.py: the same findings elsewhere compare equal
    old = parse_outcome("ruff", 1, RUFF_CHECK.replace(":56:", ":50:"))
    new = parse_outcome("ruff", 1, RUFF_CHECK)
    assert judge("ruff", new, old) == (True, sorted(old.failures))
    more = parse_outcome("ruff", 1, RUFF_CHECK + "noxfile.py:1500:1: FA100 Add\n")
    assert not judge("ruff", more, old)[0]


def test_typos_names_the_word_and_file() -> None:
    assert parse_outcome("typos", 2, TYPOS).failures == {"a.md: recieve #0"}
    assert parse_outcome("typos", 0, "").failures == frozenset()


def test_rumdl_counts_findings_and_checked_files() -> None:
    found = parse_outcome("rumdl", 1, RUMDL_FOUND)
    assert found.failures == {
        "MD013 newsfragments/6113.added.md #0",
        "MD041 newsfragments/6113.added.md #0",
        "MD041 newsfragments/6113.changed.md #0",
    }
    clean = parse_outcome("rumdl", 0, RUMDL_CLEAN)
    assert (clean.passed, clean.failures) == (1, frozenset())
    # an exit status without a finding it names (a file it cannot read) is still a failure
    assert parse_outcome("rumdl", 2, "Error: Failed to find markdown files").failures == {
        "(rumdl exited with 2)"
    }


def test_nox_sessions() -> None:
    ok = parse_outcome("nox", 0, NOX_CHANGELOG_OK)
    assert (ok.passed, ok.failures) == (1, frozenset())
    missing = parse_outcome("nox", 1, NOX_CHANGELOG_MISSING)
    assert missing.passed == 0
    (failure,) = missing.failures
    assert failure.startswith("check-changelog aborted: Changelog entry not found")
    assert parse_outcome("nox", 0, NOX_TEST_BASE_PYTHON).failures == frozenset()
    assert parse_outcome("nox", 1, "Sessions not found: x\n").failures == {
        "(nox did not run the session)"
    }


def test_a_build_is_its_exit_status_and_errors() -> None:
    output = "error[E0425]: cannot find value `x` in this scope\nerror: could not compile\n"
    assert parse_outcome("build", 101, output).failures == {
        "cannot find value `x` in this scope #0",
        "could not compile #0",
    }
    assert parse_outcome("build", 0, "   Finished `dev` profile\n").passed == 1


def test_a_dependency_that_does_not_build_here_is_not_a_verdict() -> None:
    output = (
        "   Compiling libdbus-sys v0.2.5\n"
        "error: failed to run custom build command for `libdbus-sys v0.2.5`\n"
    )
    assert not_built_here("clippy", output) == (
        "does not build here: failed to run custom build command for `libdbus-sys v0.2.5`"
    )
    assert not_built_here("clippy", "warning: unused\n") is None
    assert not_built_here("ruff", output) is None


def _gate(**overrides: object) -> Gate:
    fields: dict[str, object] = {"name": "g", "project": "pyo3", "args": ("x",), "kind": "ruff"}
    return Gate(**(fields | overrides))  # type: ignore[arg-type]


def test_a_gate_missing_its_files_is_not_run_and_says_what_it_needs() -> None:
    gate = _gate(needs=("noxfile.py", "pyproject.toml", "guide/src/x.md"))
    present = {"guide/src/x.md"}
    assert not_run_reason(gate, present.__contains__) == (
        "needs the git source: the tree has no noxfile.py, pyproject.toml"
    )
    assert not_run_reason(gate, lambda _: True) is None


PYO3_CHANGED = [
    "build.rs",
    "guide/src/building-and-distribution.md",
    "newsfragments/6113.added.md",
    "noxfile.py",
    "pyo3-build-config/src/impl_.rs",
]
# what the registry artifacts of pyo3 ship of the files the gates need
REGISTRY_TREE = {
    "Cargo.toml",
    "build.rs",
    "guide/src/building-and-distribution.md",
    "typos.toml",
    "pyo3-build-config/src/impl_.rs",
}


def test_pyo3_on_a_registry_tree_every_gate_without_its_files_is_not_run() -> None:
    gates = pyo3_gates(PYO3_CHANGED, build_config_manifest="", pr_number=None, title="t")
    status = {
        g.name: not_run_reason(g, REGISTRY_TREE.__contains__)
        for g in gates
        if not g.cargo or g.kind == "nox"
    }
    assert status == {
        "nox test-base-python": "needs the git source: the tree has no noxfile.py",
        "ruff": "needs the git source: the tree has no noxfile.py, pyproject.toml",
        "ruff format": "needs the git source: the tree has no noxfile.py, pyproject.toml",
        "typos": "needs the git source: the tree has no newsfragments/6113.added.md, noxfile.py",
        # pyo3's rumdl session checks the guide only
        "rumdl": "needs the git source: the tree has no pyproject.toml",
        "changelog": NEEDS_PR_NUMBER,
    }
    # the cargo gates need nothing the registry lacks, but their manifests
    manifests = REGISTRY_TREE | {
        "Cargo.toml",
        "pyo3-ffi/Cargo.toml",
        "pyo3-build-config/Cargo.toml",
    }
    assert all(
        not_run_reason(g, manifests.__contains__) is None
        for g in gates
        if g.cargo and g.kind != "nox"
    )
    clippy = next(g for g in gates if g.kind == "clippy" and g.cwd == "pyo3-ffi")
    assert not_run_reason(clippy, REGISTRY_TREE.__contains__) == (
        "needs the git source: the tree has no pyo3-ffi/Cargo.toml"
    )


def test_the_changelog_gate_runs_with_a_pull_request_number() -> None:
    gates = pyo3_gates(PYO3_CHANGED, build_config_manifest="", pr_number=6200, title="feat: x")
    (changelog,) = [g for g in gates if g.name == "changelog"]
    assert (changelog.pr_event, changelog.pr_title) == (6200, "feat: x")
    # the tree without the series never has its newsfragment: no baseline to excuse a failure
    assert not changelog.baseline
    assert not_run_reason(changelog, lambda _: True) is None


def test_pyo3_clippy_names_resolve_config_where_the_crate_has_it() -> None:
    manifest = "[features]\ndefault = []\nresolve-config = []\n"
    gates = pyo3_gates(PYO3_CHANGED, build_config_manifest=manifest, pr_number=None, title="t")
    clippy = next(g for g in gates if g.kind == "clippy" and g.cwd == "pyo3-build-config")
    assert clippy.command == (
        "cargo clippy --no-default-features --features resolve-config --all-targets -- "
        "--deny=warnings (in pyo3-build-config)"
    )


def test_maturin_gates() -> None:
    changed = [
        "src/compile.rs",
        "src/python_interpreter/get_interpreter_metadata.py",
        "src/python_interpreter/mod.rs",
        "guide/src/environment-variables.md",
    ]
    config = "repos:\n  - repo: local\n  - repo: https://github.com/example/hooks\n    rev: v1\n"
    gates = maturin_gates(changed, precommit_config=config)
    commands = [g.command for g in gates]
    assert "cargo clippy --tests --all-features -- -D warnings" in commands
    assert [g.args[-1] for g in gates if g.kind == "test"] == ["compile::", "python_interpreter::"]
    ruff = next(g for g in gates if g.name == "ruff (pre-commit)")
    assert ruff.args[-1] == "src/python_interpreter/get_interpreter_metadata.py"
    precommit = next(g for g in gates if g.name == "pre-commit")
    reason = not_run_reason(precommit, lambda _: True)
    assert reason is not None
    assert reason.startswith(
        "pre-commit installs its hooks from github.com, unreachable here (example/hooks)"
    )
    assert precommit_not_run(None) == (
        "needs the git source: the tree has no .pre-commit-config.yaml"
    )


def test_default_features_clippy_stands_in_only_when_all_features_cannot_build() -> None:
    gates = maturin_gates(["src/compile.rs"], precommit_config=None)
    stand_in = next(g for g in gates if g.name == "clippy (default features)")
    assert stand_in.fallback_for == "clippy"
    for status in ("passed", "failed"):
        reason = fallback_not_needed(stand_in, {"rustfmt": "passed", "clippy": status})
        assert reason == ("the `clippy` gate ran and covers it; it runs only when that one cannot")
    assert fallback_not_needed(stand_in, {"rustfmt": "passed", "clippy": "not run"}) is None
    assert fallback_not_needed(stand_in, {}) is None
    others = [g for g in gates if g is not stand_in]
    assert all(fallback_not_needed(g, {"clippy": "passed"}) is None for g in others)


def test_a_gate_not_run_is_never_rendered_or_counted_as_passed(tmp_path: Path) -> None:
    not_run = {
        "project": "pyo3",
        "command": "ruff check noxfile.py",
        "passed": 0,
        "failed": 0,
        "ok": True,
        "seconds": 0.0,
        "status": "not run",
        "reason": "needs the git source: the tree has no noxfile.py",
    }
    assert gate_result(not_run) == ("not run: needs the git source: the tree has no noxfile.py")
    clean = {**not_run, "status": "passed", "passed": 1}
    assert gate_result(clean) == "clean"
    old = {k: v for k, v in clean.items() if k not in ("status", "reason")}  # schema-1 row
    assert gate_result(old) == "clean"
    report = {
        "pins": {"pyo3": "0.30.1", "maturin": "1.16.0"},
        "cells": [],
        "safety": [],
        "upstream_tests": [not_run, clean, old],
        "ok": True,
    }
    assert summarize(report, tmp_path / "r.json").upstream == "2/2 ok, 1 not run"


def test_a_registry_layout_builds_its_crates_from_each_other() -> None:
    deps = {
        "pyo3": frozenset({"pyo3-ffi", "pyo3-macros", "pyo3-build-config", "libc"}),
        "pyo3-ffi": frozenset({"pyo3-build-config", "libc"}),
        "pyo3-macros": frozenset({"pyo3-macros-backend", "syn"}),
        "pyo3-macros-backend": frozenset({"pyo3-build-config"}),
        "pyo3-build-config": frozenset({"target-lexicon"}),
    }
    assert needed_siblings("pyo3", deps) == [
        "pyo3-build-config",
        "pyo3-ffi",
        "pyo3-macros",
        "pyo3-macros-backend",
    ]
    assert needed_siblings("pyo3-ffi", deps) == ["pyo3-build-config"]
    # nothing to patch for the crate the others depend on (an unused patch makes cargo warn)
    assert needed_siblings("pyo3-build-config", deps) == []
    registry = '[package]\nname = "pyo3"\nversion = "0.30.1"\n'
    args = local_patch_args(registry, {"pyo3-build-config": Path("/t/pyo3-build-config")})
    assert args == ["--config", 'patch.crates-io.pyo3-build-config.path="/t/pyo3-build-config"']
    workspace = registry + '\n[workspace]\nmembers = ["pyo3-ffi"]\n'
    assert local_patch_args(workspace, {"pyo3-ffi": Path("/t/pyo3-ffi")}) == []


def test_each_pull_request_of_a_stack_names_its_newsfragments_after_its_own_number() -> None:
    pin = load_pins().select("pyo3", "0.30.1")
    assert len(pin.stack) == 2
    changed = changed_files(pin, (6200, 6201))
    fragments = [path for path in changed if path.startswith("newsfragments/")]
    assert fragments == ["newsfragments/6200.added.md", "newsfragments/6201.added.md"]
    assert [pin.pr_index(name) for name in pin.patches] == [1, 2]
