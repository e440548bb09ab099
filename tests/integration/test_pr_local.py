"""`tools pr` against the fake upstream: rendering, refusals, branch preparation and push."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import git
import pytest

from tests.conftest import RunTools
from tests.port_fixture import IMPL_1_0_2, LIB_MAIN, advance_main, releases
from tests.upstream_fixture import FakeUpstream
from tests.upstream_fixture import git as run_git
from tools.pins import load_pins
from tools.verify.artifacts import series_hash

# The person submitting, as `--author` gives them; the fake series' own `From:` is a placeholder.
AUTHOR = "Pat Submitter <pat@submitter.dev>"


def make_report(pins_path: Path, **changes: Any) -> dict[str, Any]:
    pins = load_pins(pins_path)
    pyo3, maturin = pins.select("pyo3", None), pins.select("maturin", None)
    report: dict[str, Any] = {
        "pins": {"pyo3": pyo3.version, "maturin": maturin.version},
        "series": {"pyo3": series_hash(pyo3), "maturin": series_hash(maturin)},
        "variants": {
            k: f"{k} variant" for k in ("pyo3_old", "pyo3_new", "maturin_old", "maturin_new")
        },
        "cells": [
            {
                "maturin": m,
                "pyo3": p,
                "frontend": "uv",
                "fixture": "ext",
                "compiled": [] if m == p == "new" else ["pyo3-ffi", "pyo3", "verify-ext"],
                "chain_compiled": [] if m == p == "new" else ["pyo3-ffi", "pyo3"],
                "reasons": {}
                if m == p == "new"
                else {"pyo3-ffi": ["build script: env PYO3_PYTHON changed"]},
                "cold_s": 11.5,
                "warm_s": 1.5 if m == p == "new" else 5.5,
                "import_ok": True,
                "import_detail": "",
                "build_script_notes": [],
                "expected": "cached",
                "ok": True,
            }
            for m in ("old", "new")
            for p in ("old", "new")
        ],
        "safety": [
            {
                "scenario": "base-dropped",
                "description": "drop it",
                "expected": "rebuild",
                "observed": "rebuild (pyo3-ffi, pyo3)",
                "ok": True,
                "compiled": [],
                "reasons": {},
                "details": [],
            }
        ],
        "upstream_tests": [
            {
                "project": "pyo3",
                "command": "cargo test (pyo3-build-config)",
                "passed": 83,
                "failed": 0,
                "ok": True,
                "seconds": 20.0,
            },
            {
                "project": "maturin",
                "command": "cargo test --lib compile:: (maturin)",
                "passed": 40,
                "failed": 0,
                "ok": True,
                "seconds": 30.0,
            },
        ],
        "environment": {
            "machine": "Linux x86_64, 2 CPUs",
            "python": "Python 3.11.7",
            "other python": "python3.13",
            "uv": "uv 0.13.9",
            "build": "build 1.6.1",
            "pip": "pip 26.3",
            "cargo": "cargo 1.95.0",
            "rustc": "rustc 1.95.0",
        },
        "started": "2026-11-24T18:00:00+00:00",
        "seconds": 600.0,
        "notes": [],
        "ok": True,
    }
    report.update(changes)
    return report


@pytest.fixture
def pins(upstream: FakeUpstream) -> Path:
    return upstream.write_pins(maturin=True)


def _write(tmp_path: Path, report: dict[str, Any]) -> Path:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report))
    return path


def test_renders_and_prepares_the_branch(
    run_tools: RunTools, tmp_path: Path, pins: Path, upstream: FakeUpstream
) -> None:
    report = _write(tmp_path, make_report(pins))
    out = tmp_path / "pr"
    result = run_tools(
        "pr", "--author", AUTHOR, "pyo3", "--report", str(report), "--out", str(out), pins=pins
    )
    assert result.code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["checkout", "pr-1"]
    title = (out / "pr-1" / "title.txt").read_text()
    body = (out / "pr-1" / "body.md").read_text()
    assert title == "pyo3-build-config: one pull request\n"
    assert (out / "pr-1" / "branch.txt").read_text() == "base-python\n"
    assert "Builds on #6114" in body
    assert "Closes" not in body
    assert "| new | pyo3-ffi, pyo3 recompiled" not in body
    assert (
        "| new | recompiled pyo3-ffi, pyo3 (3 crates compiled in all) in 5.5 s "
        "| pyo3 cached (0 crates compiled in all) in 1.5 s |" in body
    )
    # upstream's gates, run on the prepared branch: the fixture has no pyo3-ffi crate and no
    # pull request number, so those gates say why they did not run
    gates = body.split("Upstream's checks, run on this branch:", 1)[1].split("<details>")[0]
    assert (
        "- `cargo build (in pyo3-ffi)`: not run: needs the git source: the tree has no "
        "pyo3-ffi/Cargo.toml" in gates
    )
    assert "not run: needs the pull request number (--pr-number)" in gates
    assert "- Prefer the base interpreter (2 files, +5 lines)" in body
    assert "Unverified" not in body
    repo = git.Repo(out / "checkout")
    assert repo.active_branch.name == "base-python"
    assert repo.commit("HEAD~3").hexsha == upstream.commit
    push, create = result.stdout.strip().splitlines()
    assert push.startswith("git -C ")
    assert push.endswith("push '<your fork'\"'\"'s URL>' base-python")
    assert create.startswith("gh pr create --repo PyO3/pyo3 --base main")
    assert f"--body-file {out / 'pr-1' / 'body.md'}" in create
    assert "before submitting, check for yourself:" in result.reporter.text()


def test_pushes_to_a_remote(run_tools: RunTools, tmp_path: Path, pins: Path) -> None:
    remote = tmp_path / "fork.git"
    git.Repo.init(remote, bare=True)
    report = _write(tmp_path, make_report(pins))
    out = tmp_path / "pr"
    result = run_tools(
        "pr",
        "--author",
        AUTHOR,
        "maturin",
        "--report",
        str(report),
        "--out",
        str(out),
        "--remote",
        str(remote),
        pins=pins,
    )
    assert result.code == 0, result.stderr
    pushed = git.Repo(remote).commit("maturin-base-python")
    assert pushed.hexsha == git.Repo(out / "checkout").head.commit.hexsha
    body = (out / "pr-1" / "body.md").read_text()
    assert "Builds on #3216" in body
    assert "upersede" not in body


def test_missing_report_is_refused(run_tools: RunTools, tmp_path: Path, pins: Path) -> None:
    result = run_tools(
        "pr",
        "--author",
        AUTHOR,
        "pyo3",
        "--report",
        str(tmp_path / "nope.json"),
        "--out",
        str(tmp_path / "pr"),
        pins=pins,
    )
    assert result.code == 2
    assert "verify report not found" in result.stderr
    assert not (tmp_path / "pr").exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ok": False}, "the report records failed expectations"),
        (
            {"pins": {"pyo3": "0.9.0", "maturin": "1.0.0"}},
            "the report is for pyo3 0.9.0, not 1.0.0",
        ),
        ({"series": {"pyo3": "0" * 12, "maturin": "0" * 12}}, "made with another pyo3 series"),
        ({"safety": []}, "lacks the rollout table, the safety scenarios or upstream checks"),
    ],
)
def test_unbacked_report_is_refused(
    run_tools: RunTools, tmp_path: Path, pins: Path, changes: dict[str, Any], message: str
) -> None:
    report = _write(tmp_path, make_report(pins, **changes))
    args = (
        "pr",
        "--author",
        AUTHOR,
        "pyo3",
        "--report",
        str(report),
        "--out",
        str(tmp_path / "pr"),
    )
    refused = run_tools(*args, pins=pins)
    assert refused.code == 2
    assert message in refused.stderr
    assert not (tmp_path / "pr").exists()
    allowed = run_tools(*args, "--allow-unverified", pins=pins)
    assert allowed.code == 0, allowed.stderr
    body = (tmp_path / "pr" / "pr-1" / "body.md").read_text()
    assert body.startswith("> [!WARNING]\n> **Unverified.**")
    assert message in body


def test_not_a_report(run_tools: RunTools, tmp_path: Path, pins: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text('{"cells": []}')
    result = run_tools(
        "pr",
        "--author",
        AUTHOR,
        "pyo3",
        "--report",
        str(path),
        "--out",
        str(tmp_path / "pr"),
        pins=pins,
    )
    assert result.code == 2
    assert "not a verify report (no `pins`)" in result.stderr


def _port_to_1_0_1(run_tools: RunTools, upstream: FakeUpstream, pins: Path, tmp_path: Path) -> None:
    """Pins 1.0.1, whose tag sits on the release branch off main, as pyo3's patch releases do."""
    url, _ = releases(upstream)
    ported = run_tools(
        "port",
        "pyo3",
        "--from",
        "1.0.0",
        "--to",
        "1.0.1",
        "--crate-index",
        url,
        "--work",
        str(tmp_path / "port"),
        pins=pins,
    )
    assert ported.code == 0, ported.stderr


def _subjects(repo: Path, revisions: str) -> list[str]:
    return run_git(repo, "log", "--reverse", "--format=%s", revisions).splitlines()


def test_branch_is_on_main_with_only_the_series(
    run_tools: RunTools, tmp_path: Path, pins: Path, upstream: FakeUpstream
) -> None:
    _port_to_1_0_1(run_tools, upstream, pins, tmp_path)
    main = advance_main(upstream, {"src/lib.rs": LIB_MAIN})
    release = run_git(upstream.repo, "rev-parse", "v1.0.1^{commit}")
    upstream_repo = git.Repo(upstream.repo)
    assert not upstream_repo.is_ancestor(upstream_repo.commit(release), upstream_repo.commit(main))
    report = _write(tmp_path, make_report(pins))
    out, fork = tmp_path / "pr", tmp_path / "fork.git"
    git.Repo.init(fork, bare=True)
    result = run_tools(
        "pr",
        "--author",
        AUTHOR,
        "pyo3",
        "--report",
        str(report),
        "--out",
        str(out),
        "--remote",
        str(fork),
        pins=pins,
    )
    assert result.code == 0, result.stderr + result.reporter.text()

    checkout = out / "checkout"
    series = [p.name for p in upstream.series]
    assert run_git(checkout, "rev-parse", "HEAD~3") == main
    assert _subjects(checkout, f"{main}..HEAD") == [
        "Prefer the base interpreter",
        "Change the answer",
        "Add a nox session",
    ]
    assert len(series) == 3
    # The release commit is not dragged in; main's own change is kept under the series'.
    prepared = git.Repo(checkout)
    assert not prepared.is_ancestor(prepared.commit(release), prepared.head.commit)
    assert (checkout / "src/lib.rs").read_text() == LIB_MAIN.replace("42", "43")
    assert "0002-Change-the-answer.patch: merged three-way" in result.reporter.text()
    assert git.Repo(fork).commit("base-python").hexsha == run_git(checkout, "rev-parse", "HEAD")
    assert [r.name for r in git.Repo(checkout).remotes] == ["upstream"]
    assert sorted(h.name for h in git.Repo(checkout).heads) == ["base-python"]

    body = (out / "pr-1" / "body.md").read_text()
    assert f"Prepared on `main` at `{main[:12]}`" in body
    assert f"measured with the series on `v1.0.1` (`{release[:12]}`)" in body
    assert "**These differ:**" in body
    assert "--base main --head '<your-user>:base-python'" in result.stdout
    assert f"on main at {main[:12]} (the evidence was measured on v1.0.1" in result.reporter.text()

    # Run again on the same main: nothing changes.
    again = run_tools(
        "pr", "--author", AUTHOR, "pyo3", "--report", str(report), "--out", str(out), pins=pins
    )
    assert again.code == 0, again.stderr
    assert run_git(checkout, "rev-parse", "HEAD~3") == main


def test_pr_number_names_the_newsfragments_and_replaces_the_pushed_branch(
    run_tools: RunTools, tmp_path: Path, pins: Path, upstream: FakeUpstream
) -> None:
    """The pull request is opened with the placeholder; once it has its number, the branch is
    prepared again with the real newsfragment names on main and replaces the pushed one."""
    _port_to_1_0_1(run_tools, upstream, pins, tmp_path)
    main = advance_main(upstream, {"src/lib.rs": LIB_MAIN})
    report = _write(tmp_path, make_report(pins))
    out, fork = tmp_path / "pr", tmp_path / "fork.git"
    git.Repo.init(fork, bare=True)
    first = run_tools(
        "pr",
        "--author",
        AUTHOR,
        "pyo3",
        "--report",
        str(report),
        "--out",
        str(out),
        "--remote",
        str(fork),
        pins=pins,
    )
    assert first.code == 0, first.stderr
    assert "--pr-number N" in first.reporter.text()
    assert "to be named after this pull request's number" in (out / "pr-1" / "body.md").read_text()
    placeholder_tip = git.Repo(fork).commit("base-python").hexsha

    numbered = run_tools(
        "pr",
        "--author",
        AUTHOR,
        "pyo3",
        "--report",
        str(report),
        "--out",
        str(out),
        "--remote",
        str(fork),
        "--pr-number",
        "6200",
        pins=pins,
    )
    assert numbered.code == 0, numbered.stderr + numbered.reporter.text()
    checkout = out / "checkout"
    assert run_git(checkout, "rev-parse", "HEAD~3") == main
    assert _subjects(checkout, f"{main}..HEAD") == [
        "Prefer the base interpreter",
        "Change the answer",
        "Add a nox session",
    ]
    added = run_git(checkout, "diff", "--name-only", "--diff-filter=A", f"{main}..HEAD")
    assert added.splitlines() == ["newsfragments/6200.added.md"]
    assert not (checkout / "newsfragments/PR-NUMBER.added.md").exists()
    pushed = git.Repo(fork).commit("base-python").hexsha
    assert pushed == run_git(checkout, "rev-parse", "HEAD") != placeholder_tip
    assert "(replacing it)" in numbered.reporter.text()
    body = (out / "pr-1" / "body.md").read_text()
    assert "`newsfragments/6200.added.md`" in body
    assert " push --force " in numbered.stdout
    # pyo3's changelog check, run on the branch with the number: it finds 6200's newsfragment
    gates = body.split("Upstream's checks, run on this branch:", 1)[1]
    changelog = next(line for line in gates.splitlines() if "check-changelog" in line)
    assert changelog.endswith(": clean"), changelog


def test_pr_number_never_replaces_someone_elses_branch(
    run_tools: RunTools, tmp_path: Path, pins: Path, upstream: FakeUpstream
) -> None:
    fork = tmp_path / "fork.git"
    git.Repo.init(fork, bare=True)
    run_git(upstream.repo, "push", "-q", str(fork), "HEAD:refs/heads/base-python")
    theirs = git.Repo(fork).commit("base-python").hexsha
    report = _write(tmp_path, make_report(pins))
    result = run_tools(
        "pr",
        "--author",
        AUTHOR,
        "pyo3",
        "--report",
        str(report),
        "--out",
        str(tmp_path / "pr"),
        "--remote",
        str(fork),
        "--pr-number",
        "7",
        pins=pins,
    )
    assert result.code == 4, result.stderr
    assert "not an earlier `tools pr`" in result.stderr
    assert git.Repo(fork).commit("base-python").hexsha == theirs


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--pr-number", "12a"], "not a pull request number"),
        (["--pr-number", "-3"], "not a pull request number"),
        (["--pr-number", "0"], "not a pull request number"),
        (["--pr-number", "5", "--source", "registry"], "--pr-number needs --source git"),
    ],
)
def test_bad_pr_numbers_are_refused(
    run_tools: RunTools, tmp_path: Path, pins: Path, args: list[str], message: str
) -> None:
    report = _write(tmp_path, make_report(pins))
    result = run_tools(
        "pr",
        "--author",
        AUTHOR,
        "pyo3",
        "--report",
        str(report),
        "--out",
        str(tmp_path / "pr"),
        *args,
        pins=pins,
    )
    assert result.code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "pr").exists()


def test_a_conflict_on_main_writes_and_pushes_nothing(
    run_tools: RunTools, tmp_path: Path, pins: Path, upstream: FakeUpstream
) -> None:
    advance_main(upstream, {"pyo3-build-config/src/impl_.rs": IMPL_1_0_2})
    report = _write(tmp_path, make_report(pins))
    out, fork = tmp_path / "pr", tmp_path / "fork.git"
    git.Repo.init(fork, bare=True)
    cache = tmp_path / "cache"
    result = run_tools(
        "pr",
        "--author",
        AUTHOR,
        "pyo3",
        "--report",
        str(report),
        "--out",
        str(out),
        "--remote",
        str(fork),
        pins=pins,
    )
    assert result.code == 3
    conflict = (
        "0001-Prefer-the-base-interpreter.patch: pyo3-build-config/src/impl_.rs, hunk 1 of 1 "
        "(@@ -18,7 +18,10 @@)"
    )
    assert f"does not replay onto main: {conflict}" in result.stderr
    assert "nothing was written to --out and nothing pushed" in result.stderr
    assert "tools port pyo3 --from 1.0.0 --to main --source git" in result.stderr
    assert f"warn: conflict: {conflict}" in result.reporter.text()
    assert "1:  " in result.stdout  # the range-diff so far, as `tools port` prints it
    assert not out.exists()
    assert git.Repo(fork).heads == []
    assert not list(cache.glob("pr-branch-*"))


def test_registry_branch_is_labelled_as_on_the_release(
    run_tools: RunTools, tmp_path: Path, pins: Path, upstream: FakeUpstream
) -> None:
    advance_main(upstream, {"src/lib.rs": LIB_MAIN})
    report = _write(tmp_path, make_report(pins))
    out = tmp_path / "pr"
    args = (
        "pr",
        "--author",
        AUTHOR,
        "pyo3",
        "--report",
        str(report),
        "--out",
        str(out),
        "--source",
        "registry",
    )
    refused = run_tools(*args, "--onto", "main", pins=pins)
    assert refused.code == 2
    assert "--onto needs --source git" in refused.stderr
    result = run_tools(*args, pins=pins)
    assert result.code == 0, result.stderr
    body = (out / "pr-1" / "body.md").read_text()
    assert "**Prepared on the release, not on main.**" in body
    assert f"(upstream commit `{upstream.commit[:12]}`)" in body
    assert "These differ" not in body
    assert "not on upstream's main" in result.reporter.text()


def test_onto_another_ref(
    run_tools: RunTools, tmp_path: Path, pins: Path, upstream: FakeUpstream
) -> None:
    _, commits = releases(upstream)
    report = _write(tmp_path, make_report(pins))
    out = tmp_path / "pr"
    result = run_tools(
        "pr",
        "--author",
        AUTHOR,
        "pyo3",
        "--report",
        str(report),
        "--out",
        str(out),
        "--onto",
        "v1.0.1",
        pins=pins,
    )
    assert result.code == 0, result.stderr
    assert run_git(out / "checkout", "rev-parse", "HEAD~3") == commits["1.0.1"]
    # A tag is no branch to open a pull request against: that stays main.
    assert "--base main" in result.stdout
    body = (out / "pr-1" / "body.md").read_text()
    assert f"Prepared on `v1.0.1` at `{commits['1.0.1'][:12]}`" in body
    assert "**These differ:**" in body
    bad = run_tools(
        "pr",
        "--author",
        AUTHOR,
        "pyo3",
        "--report",
        str(report),
        "--out",
        str(out),
        "--onto=-uhello",
        pins=pins,
    )
    assert bad.code == 2
    assert "--onto: tag '-uhello' is not allowed" in bad.stderr


def _pull_request_head(upstream: FakeUpstream, number: int) -> str:
    """An open upstream pull request: a commit on 1.0.0 that touches impl_.rs (as the first
    patch does) and a file of its own, published as refs/pull/N/head."""
    repo = upstream.repo
    run_git(repo, "checkout", "-q", "-b", f"pr-{number}", upstream.tag)
    impl = (repo / "pyo3-build-config/src/impl_.rs").read_text()
    (repo / "pyo3-build-config/src/impl_.rs").write_text(impl.replace("{ 20 }", "{ 20 + 0 }"))
    (repo / "newsfragments/6114.added.md").write_text("Their newsfragment.\n")
    run_git(repo, "add", "-A")
    run_git(repo, "commit", "-q", "-m", "Their take on the base interpreter")
    head = run_git(repo, "rev-parse", "HEAD")
    run_git(repo, "update-ref", f"refs/pull/{number}/head", head)
    run_git(repo, "checkout", "-q", "main")
    run_git(repo, "branch", "-q", "-D", f"pr-{number}")
    return head


def test_as_comment_shows_the_delta_to_the_open_pull_request(
    run_tools: RunTools, tmp_path: Path, pins: Path, upstream: FakeUpstream
) -> None:
    head = _pull_request_head(upstream, 6114)
    report = _write(tmp_path, make_report(pins))
    out = tmp_path / "comment"
    result = run_tools(
        "pr",
        "--author",
        AUTHOR,
        "pyo3",
        "--report",
        str(report),
        "--out",
        str(out),
        "--as-comment",
        pins=pins,
    )
    assert result.code == 0, result.stderr
    assert not (out / "pr-1").exists()
    comment = (out / "comment.md").read_text()
    assert len(comment.split("<details>")[0].splitlines()) <= 40
    assert "1. pyo3-build-config: one pull request: PUSHED-BRANCH-URL\n" in comment
    assert "pyo3 cached (0 crates compiled in all) in 1.5 s" in comment
    assert f"this pull request's head (`{head[:12]}`)" in comment
    rows = [line for line in comment.splitlines() if line.startswith("| `")]
    # files only in theirs, then in both, then only in the offer, each with its +/- counts
    assert rows == [
        "| `newsfragments/6114.added.md` | +1/-0 | \u2013 |",
        "| `pyo3-build-config/src/impl_.rs` | +1/-1 | +4/-1 |",
        "| `newsfragments/PR-NUMBER.added.md` | \u2013 | +1/-0 |",
        "| `noxfile.py` | \u2013 | +5/-0 |",
        "| `src/lib.rs` | \u2013 | +1/-1 |",
    ]
    range_diff = comment.split("```text\n", 1)[1].split("\n```", 1)[0]
    assert "Their take on the base interpreter" in range_diff
    assert "Prefer the base interpreter" in range_diff
    assert "Before submitting" not in comment
    push, post = result.stdout.strip().splitlines()
    assert push.startswith("git -C ")
    assert post == f"gh pr comment 6114 --repo PyO3/pyo3 --body-file {out / 'comment.md'}"
    assert f"replace PUSHED-BRANCH-URL in {out / 'comment.md'}" in result.reporter.text()
    # the fetched head leaves no ref behind in the checkout
    assert "tools-pr" not in run_git(out / "checkout", "for-each-ref")


def test_as_comment_without_the_head_says_so_in_one_line(
    run_tools: RunTools, tmp_path: Path, pins: Path
) -> None:
    report = _write(tmp_path, make_report(pins))
    fork = tmp_path / "fork.git"
    git.Repo.init(fork, bare=True)
    result = run_tools(
        "pr",
        "--author",
        AUTHOR,
        "maturin",
        "--report",
        str(report),
        "--out",
        str(tmp_path / "m"),
        "--as-comment",
        "--upstream-pr",
        "77",
        "--remote",
        str(fork),
        pins=pins,
    )
    assert result.code == 0, result.stderr
    comment = (tmp_path / "m" / "comment.md").read_text()
    assert "<details>" not in comment
    assert len(comment.splitlines()) <= 40
    assert f"1. feat-less title: `maturin-base-python` of `{fork}`" not in comment
    assert f"`maturin-base-python` of `{fork}`\n" in comment
    warned = [line for line in result.reporter.text().splitlines() if "refs/pull/77/head" in line]
    assert len(warned) == 1
    assert "the comment goes without the delta" in warned[0]
    assert "gh pr comment 77 --repo PyO3/maturin" in result.stdout
    assert git.Repo(fork).commit("maturin-base-python")


def _authors(repo: Path, revisions: str) -> set[str]:
    return set(run_git(repo, "log", "--format=%an <%ae>|%cn <%ce>", revisions).splitlines())


def test_commits_carry_the_submitter(
    run_tools: RunTools, tmp_path: Path, pins: Path, upstream: FakeUpstream
) -> None:
    """The submitter authors and commits every commit; the fake series' `From:` is a
    placeholder (`.invalid`), so no trailer names it."""
    report = _write(tmp_path, make_report(pins))
    out = tmp_path / "pr"
    result = run_tools(
        "pr", "--author", AUTHOR, "pyo3", "--report", str(report), "--out", str(out), pins=pins
    )
    assert result.code == 0, result.stderr
    checkout = out / "checkout"
    assert _authors(checkout, f"{upstream.commit}..HEAD") == {f"{AUTHOR}|{AUTHOR}"}
    messages = run_git(checkout, "log", "--format=%B", f"{upstream.commit}..HEAD")
    assert "Co-authored-by" not in messages
    assert f"authored by {AUTHOR}" in result.reporter.text()


def test_a_real_series_author_becomes_a_co_author(
    run_tools: RunTools, tmp_path: Path, upstream: FakeUpstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    for patch in upstream.series:
        text = patch.read_text()
        patch.write_text(
            text.replace(
                "From: Upstream Dev <dev@upstream.invalid>", "From: Rosa Author <rosa@author.dev>"
            )
        )
    pins = upstream.write_pins(maturin=True)
    report = _write(tmp_path, make_report(pins))
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tname = Sam Committer\n\temail = sam@committer.dev\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    out = tmp_path / "pr"
    result = run_tools("pr", "pyo3", "--report", str(report), "--out", str(out), pins=pins)
    assert result.code == 0, result.stderr
    sam = "Sam Committer <sam@committer.dev>"
    assert _authors(out / "checkout", f"{upstream.commit}..HEAD") == {f"{sam}|{sam}"}
    for message in run_git(
        out / "checkout", "log", "--format=%B%x00", f"{upstream.commit}..HEAD"
    ).split("\x00"):
        if message.strip():
            assert message.strip().endswith("\n\nCo-authored-by: Rosa Author <rosa@author.dev>")


@pytest.mark.parametrize(
    ("author", "config", "message"),
    [
        ("Some One <someone@seed.example>", None, "seed.example is a reserved placeholder domain"),
        ("Some One <someone@example.com>", None, "example.com is an example domain"),
        ("Some One <noreply@forge.org>", None, "noreply@ is a no-reply placeholder"),
        ("just a name", None, "is not `Name <email>`"),
        (None, "maintainers@users.noreply.r-seed-18c37fe4.example", "placeholder domain"),
        (None, "dev@upstream.invalid", "upstream.invalid is a reserved placeholder domain"),
    ],
)
def test_a_placeholder_author_is_refused(  # noqa: PLR0917 - pytest passes fixtures by name
    run_tools: RunTools,
    tmp_path: Path,
    pins: Path,
    monkeypatch: pytest.MonkeyPatch,
    author: str | None,
    config: str | None,
    message: str,
) -> None:
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text(f"[user]\n\tname = Seed\n\temail = {config}\n" if config else "")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    report = _write(tmp_path, make_report(pins))
    args = ["--author", author] if author is not None else []
    result = run_tools(
        "pr", *args, "pyo3", "--report", str(report), "--out", str(tmp_path / "pr"), pins=pins
    )
    assert result.code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith("error: ")
    assert message in lines[0]
    assert lines[1].strip().startswith("hint: ")
    assert "--author" in lines[1]
    assert not (tmp_path / "pr").exists()


def _stack_of_two(upstream: FakeUpstream) -> Path:
    """The fake series as two pull requests: the first patch, then the other two."""
    pins = upstream.write_pins(maturin=True)
    names = [p.name for p in upstream.series]
    text = pins.read_text()
    one = f'stack = [{{ title = "pyo3-build-config: one pull request", patches = {names!r} }}]'
    two = (
        f'stack = [{{ title = "Prefer the base interpreter", patches = {names[:1]!r} }}, '
        f'{{ title = "Add the opt-in for build scripts", patches = {names[1:]!r} }}]'
    )
    pins.write_text(text.replace(one, two, 1))
    return pins


def test_a_stack_of_two_pull_requests(
    run_tools: RunTools, tmp_path: Path, upstream: FakeUpstream
) -> None:
    pins = _stack_of_two(upstream)
    report = _write(tmp_path, make_report(pins))
    out, fork = tmp_path / "pr", tmp_path / "fork.git"
    git.Repo.init(fork, bare=True)
    result = run_tools(
        "pr",
        "--author",
        AUTHOR,
        "pyo3",
        "--report",
        str(report),
        "--out",
        str(out),
        "--remote",
        str(fork),
        pins=pins,
    )
    assert result.code == 0, result.stderr + result.reporter.text()
    assert sorted(p.name for p in out.iterdir()) == ["checkout", "pr-1", "pr-2"]
    checkout = out / "checkout"
    first, second = (run_git(checkout, "rev-parse", f"base-python-{k}") for k in (1, 2))
    assert run_git(checkout, "rev-parse", "base-python-2~2") == first
    assert run_git(checkout, "rev-parse", "base-python-1~1") == upstream.commit
    assert _subjects(checkout, "base-python-1..base-python-2") == [
        "Change the answer",
        "Add a nox session",
    ]
    assert _authors(checkout, f"{upstream.commit}..base-python-2") == {f"{AUTHOR}|{AUTHOR}"}
    assert git.Repo(fork).commit("base-python-1").hexsha == first
    assert git.Repo(fork).commit("base-python-2").hexsha == second
    assert (out / "pr-1" / "title.txt").read_text() == "Prefer the base interpreter\n"
    assert (out / "pr-2" / "branch.txt").read_text() == "base-python-2\n"
    body1, body2 = ((out / f"pr-{k}" / "body.md").read_text() for k in (1, 2))
    assert "**Pull request 1 of 2.**" in body1
    assert "depends on" not in body1
    assert "- Prefer the base interpreter (2 files, +5 lines)" in body1
    assert "Change the answer" not in body1
    assert 'It depends on "Prefer the base interpreter" (branch `base-python-1`)' in body2
    assert "- Change the answer (1 file, +1 line)" in body2
    # without a prefix measurement in the report, PR 1 says so and claims nothing
    assert "The report does not measure pull request 1 on its own" in body1
    assert "Every safety scenario that ran held with pull requests 1..2" in body2
    push, create1, create2 = result.stdout.strip().splitlines()
    assert push.endswith("base-python-1 base-python-2")
    assert "--head '<your-user>:base-python-1'" in create1
    assert f"--body-file {out / 'pr-2' / 'body.md'}" in create2
    # each branch's gates ran on that branch, with the files that branch changes
    typos = [line for line in body1.splitlines() if line.startswith("- `typos ")]
    assert typos
    assert "src/lib.rs" not in typos[0]
    assert "src/lib.rs" in next(line for line in body2.splitlines() if line.startswith("- `typos "))

    again = run_tools(
        "pr",
        "--author",
        AUTHOR,
        "pyo3",
        "--report",
        str(report),
        "--out",
        str(out),
        "--remote",
        str(fork),
        pins=pins,
    )
    assert again.code == 0, again.stderr
    assert run_git(checkout, "rev-parse", "base-python-2") == second


def test_an_option_like_remote_is_refused_before_any_work(
    run_tools: RunTools, tmp_path: Path, pins: Path
) -> None:
    report = _write(tmp_path, make_report(pins))
    for remote in ("ssh://-oProxyCommand=touch${IFS}pwned/x", "ssh://user@-oProxyCommand=x/y"):
        result = run_tools(
            "pr",
            "--author",
            AUTHOR,
            "pyo3",
            "--report",
            str(report),
            "--out",
            str(tmp_path / "pr"),
            "--remote",
            remote,
            "--allow-any-url",
            pins=pins,
        )
        assert result.code == 2
        assert "ssh would read it as an option" in result.stderr
        assert result.reporter.text() == ""
        assert not (tmp_path / "pr").exists()
        assert not (tmp_path / "cache").exists()


def test_a_users_checkout_is_refused_with_the_pr_option_in_the_hint(
    run_tools: RunTools, tmp_path: Path, pins: Path, upstream: FakeUpstream
) -> None:
    checkout = tmp_path / "mine"
    run_git(tmp_path, "clone", "-q", str(upstream.repo), str(checkout))
    (checkout / "src/lib.rs").write_text("my work\n")
    report = _write(tmp_path, make_report(pins))
    result = run_tools(
        "pr",
        "--author",
        AUTHOR,
        "pyo3",
        "--report",
        str(report),
        "--out",
        str(tmp_path / "pr"),
        "--checkout",
        str(checkout),
        pins=pins,
    )
    assert result.code == 4
    assert "uncommitted changes" in result.stderr
    assert "--checkout" in result.stderr
    assert "--dest" not in result.stderr
    assert (checkout / "src/lib.rs").read_text() == "my work\n"
