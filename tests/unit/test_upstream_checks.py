"""Upstream checks judged against the tree without the series, on recorded cargo output."""

from __future__ import annotations

from pathlib import Path

from tools.verify.upstream import Outcome, judge, parse_outcome

# Trimmed from `cargo test --features resolve-config` in pyo3-build-config 0.28.3 here.
TEST_OUTPUT = """\
running 61 tests
test impl_::tests::build_flags_default ... ok
test impl_::tests::parse_sysconfigdata ... FAILED
test impl_::tests::test_check_base_python_mismatch ... ok

failures:

---- impl_::tests::parse_sysconfigdata stdout ----
assertion `left == right` failed

failures:
    impl_::tests::parse_sysconfigdata

test result: FAILED. 60 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.22s
"""


def test_a_failing_test_is_named() -> None:
    outcome = parse_outcome("test", 101, TEST_OUTPUT)
    assert outcome.passed == 60
    assert outcome.failures == {"impl_::tests::parse_sysconfigdata"}


def test_a_build_that_never_ran_tests_is_a_failure() -> None:
    outcome = parse_outcome("test", 101, "error[E0433]: cannot find type `X`\n")
    assert outcome.failures == {"(no test result)"}


def test_unformatted_files_are_named() -> None:
    output = "Diff in /t/src/pyclass/create_type_object.rs:11:\n-a\n+b\n"
    outcome = parse_outcome("fmt", 1, output)
    assert outcome.failures == {"/t/src/pyclass/create_type_object.rs"}
    assert parse_outcome("fmt", 0, "").failures == frozenset()


def test_clean_is_ok_without_a_baseline() -> None:
    assert judge("test", Outcome(0, 89, frozenset()), None) == (True, [])


def test_a_failure_the_tree_without_the_series_shares_is_not_the_series() -> None:
    new = parse_outcome("test", 101, TEST_OUTPUT)
    old = Outcome(101, 40, frozenset({"impl_::tests::parse_sysconfigdata"}))
    assert judge("test", new, old) == (True, ["impl_::tests::parse_sysconfigdata"])


def test_a_new_failure_is_the_series() -> None:
    new = Outcome(101, 59, frozenset({"impl_::tests::parse_sysconfigdata", "lib::tests::x"}))
    old = Outcome(101, 40, frozenset({"impl_::tests::parse_sysconfigdata"}))
    assert judge("test", new, old) == (False, ["impl_::tests::parse_sysconfigdata"])
    # and a failure when the tree without the series is clean
    assert judge("test", new, Outcome(0, 41, frozenset())) == (False, [])


def test_unformatted_only_where_the_release_already_is() -> None:
    shipped = frozenset({"/t/src/pyclass/create_type_object.rs"})
    assert judge("fmt", Outcome(1, 0, shipped), Outcome(1, 0, shipped))[0]
    ours = shipped | {"/t/pyo3-build-config/src/lib.rs"}
    assert not judge("fmt", Outcome(1, 0, ours), Outcome(1, 0, shipped))[0]


def test_clippy_may_not_add_diagnostics() -> None:
    old = parse_outcome("clippy", 101, "warning: unused\nerror: could not compile\n")
    same = parse_outcome("clippy", 101, "warning: unused\nerror: could not compile\n")
    more = parse_outcome("clippy", 101, "warning: a\nwarning: b\nerror: could not compile\n")
    assert judge("clippy", same, old)[0]
    assert not judge("clippy", more, old)[0]


def test_the_same_file_in_both_trees_compares_equal() -> None:
    new = parse_outcome(
        "fmt", 1, "Diff in /c/pyo3-0.28.3-new/src/pyclass/x.rs:11:\n", Path("/c/pyo3-0.28.3-new")
    )
    old = parse_outcome(
        "fmt", 1, "Diff in /c/pyo3-0.28.3-old/src/pyclass/x.rs:11:\n", Path("/c/pyo3-0.28.3-old")
    )
    assert new.failures == old.failures == {"src/pyclass/x.rs"}
    assert judge("fmt", new, old) == (True, ["src/pyclass/x.rs"])
