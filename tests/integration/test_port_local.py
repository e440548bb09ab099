"""`tools port` against a fake upstream whose patch releases sit on a branch off `main`, as
pyo3's do: a clean port onto another release, a conflict resolved with `--continue`, a
conflict dropped with `--abort`, and a port onto `main` itself. No network."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from pathlib import Path

import git
import pytest

from tests.conftest import RunTools
from tests.port_fixture import LIB_MAIN, advance_main, pins_text, releases
from tests.upstream_fixture import FakeUpstream
from tests.upstream_fixture import git as run_git
from tools.pins import load_pins

NOX = "0003-Add-a-nox-session.patch"
PREFER = "0001-Prefer-the-base-interpreter.patch"


@pytest.fixture
def index(upstream: FakeUpstream) -> tuple[str, dict[str, str]]:
    return releases(upstream)


def _port(run_tools: RunTools, work: Path, *args: str) -> tuple[int, str, str, str]:
    result = run_tools("port", *args, "--work", str(work))
    return result.code, result.stdout, result.stderr, result.reporter.text()


def test_clean_port_onto_another_release(
    run_tools: RunTools, upstream: FakeUpstream, index: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    url, commits = index
    before = pins_text(upstream)
    work = tmp_path / "work"
    code, out, err, text = _port(
        run_tools, work, "pyo3", "--from", "1.0.0", "--to", "1.0.1", "--crate-index", url
    )
    assert code == 0, err + text

    series = upstream.pins_path.parent / "pyo3" / "1.0.1"
    assert sorted(p.name for p in series.iterdir()) == sorted(p.name for p in upstream.series)
    after = pins_text(upstream)
    assert after.startswith(before)
    pin = load_pins(upstream.pins_path).select("pyo3", "1.0.1")
    assert pin.tag == "v1.0.1"
    assert pin.commit == commits["1.0.1"]
    archive = upstream.root / "registry" / "pyo3-build-config-1.0.1.crate"
    assert any(a.url == archive.as_uri() for a in pin.artifacts)
    for artifact in pin.artifacts:
        published = Path(artifact.url.removeprefix("file://")).read_bytes()
        assert artifact.sha256 == hashlib.sha256(published).hexdigest()
    assert pin.not_checked == ("newsfragments/PR-NUMBER.added.md", "noxfile.py")
    assert "not checked against this release" in after

    # The patch for a file the registry lacks is carried over byte for byte; the one that
    # touched both kinds keeps its newsfragment hunk next to the re-exported code hunk.
    old = {p.name: p.read_text() for p in upstream.series}
    assert (series / NOX).read_text() == old[NOX]
    new_prefer = (series / PREFER).read_text()
    assert "+++ b/newsfragments/PR-NUMBER.added.md" in new_prefer
    assert "+++ b/pyo3-build-config/src/impl_.rs" in new_prefer
    assert new_prefer.index("newsfragments/") < new_prefer.index("pyo3-build-config/")

    # The range-diff is printed and saved: the two ported commits, unchanged in substance.
    assert re.search(r"^1:  \w+ = 1:  \w+ Prefer the base interpreter$", out, re.MULTILINE)
    assert re.search(r"^2:  \w+ = 2:  \w+ Change the answer$", out, re.MULTILINE)
    assert (work / "pyo3-1.0.0-to-1.0.1.range-diff").read_text() == out
    assert not (work / "repo").exists()

    checked = run_tools("check")
    assert checked.code == 0, checked.stderr
    rows = checked.reporter.tables[0][2]
    assert ["pyo3", "1.0.1", "3", "2", "2", "0"] in rows


def test_conflict_then_continue(
    run_tools: RunTools, upstream: FakeUpstream, index: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    url, commits = index
    before = pins_text(upstream)
    work = tmp_path / "work"
    code, _out, err, text = _port(
        run_tools, work, "pyo3", "--from", "1.0.0", "--to", "1.0.2", "--crate-index", url
    )
    assert code == 3
    conflict = f"{PREFER}: pyo3-build-config/src/impl_.rs, hunk 1 of 1 (@@ -18,7 +18,10 @@)"
    assert f"error: the port stopped at a conflict: {conflict}" in err
    assert f"warn: conflict: {conflict}" in text
    assert str(work / "repo") in text
    assert pins_text(upstream) == before
    assert not (upstream.pins_path.parent / "pyo3" / "1.0.2").exists()

    # Nothing resolved yet: --continue refuses and keeps the state.
    scratch = work / "repo"
    conflicted = scratch / "pyo3-build-config/src/impl_.rs"
    assert "<<<<<<< " in conflicted.read_text()
    refused = run_tools("port", "--continue", "--work", str(work))
    assert refused.code == 4
    assert "still has unresolved files: pyo3-build-config/src/impl_.rs" in refused.stderr

    # A person resolves it: keep the release's value and the series' comment.
    resolved = re.sub(
        r"<<<<<<< [^\n]*\n.*?>>>>>>> [^\n]*\n",
        "fn item_20() -> u32 {\n    // prefer the base interpreter\n    2000\n}\n",
        conflicted.read_text(),
        flags=re.DOTALL,
    )
    conflicted.write_text(resolved)
    run_git(scratch, "add", "pyo3-build-config/src/impl_.rs")
    done = run_tools("port", "--continue", "--work", str(work))
    assert done.code == 0, done.stderr + done.reporter.text()

    pin = load_pins(upstream.pins_path).select("pyo3", "1.0.2")
    assert pin.commit == commits["1.0.2"]
    ported = (pin.series_dir / PREFER).read_text()
    assert "+    // prefer the base interpreter\n+    2000\n" in ported
    assert re.search(r"^1:  \w+ ! 1:  \w+ Prefer the base interpreter$", done.stdout, re.M)
    assert not (work / "state.json").exists()
    checked = run_tools("check")
    assert checked.code == 0, checked.stderr


def test_conflict_then_abort(
    run_tools: RunTools, upstream: FakeUpstream, index: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    url, _ = index
    before = pins_text(upstream)
    work = tmp_path / "work"
    args = ("pyo3", "--from", "1.0.0", "--to", "1.0.2", "--crate-index", url)
    assert _port(run_tools, work, *args)[0] == 3
    again = _port(run_tools, work, *args)
    assert again[0] == 4
    assert "a port is already in progress" in again[2]

    aborted = run_tools("port", "--abort", "--work", str(work))
    assert aborted.code == 0
    assert not (work / "repo").exists()
    assert not (work / "state.json").exists()
    assert pins_text(upstream) == before
    assert not (upstream.pins_path.parent / "pyo3" / "1.0.2").exists()
    assert run_tools("port", "--continue", "--work", str(work)).code == 2

    # The state is gone, so another port starts from scratch.
    code, _out, err, _text = _port(
        run_tools, work, "pyo3", "--from", "1.0.0", "--to", "1.0.1", "--crate-index", url
    )
    assert code == 0, err


def test_port_onto_main(run_tools: RunTools, upstream: FakeUpstream, tmp_path: Path) -> None:
    releases(upstream)
    head = advance_main(upstream, {"src/lib.rs": LIB_MAIN})
    work = tmp_path / "work"
    code, out, err, text = _port(
        run_tools, work, "pyo3", "--from", "1.0.0", "--to", "main", "--source", "git"
    )
    assert code == 0, err + text
    assert "0002-Change-the-answer.patch: merged three-way" in text

    pins = load_pins(upstream.pins_path)
    pin = pins.select("pyo3", head[:12])
    assert pin.series_dir.name == head[:12]
    assert (pin.upstream_branch, pin.commit, pin.tag, pin.artifacts) == ("main", head, "", ())
    assert pin.date is not None
    recorded = datetime.fromisoformat(pin.date.replace("Z", "+00:00"))
    assert recorded == git.Repo(upstream.repo).commit(head).committed_datetime
    assert f'upstream_branch = "main"\ndate = "{pin.date}"\ncommit = "{head}"' in pins_text(
        upstream
    )
    # Nothing is left out on a git base: every patch is re-exported, none carried.
    assert pin.not_checked == ()
    answer = (pin.series_dir / "0002-Change-the-answer.patch").read_text()
    assert "\n //! The root crate, as on main.\n" in answer
    assert "3:  " in out
    # The newest release stays the default pin; check applies the branch pin from git.
    assert pins.select("pyo3", None).version == "1.0.0"
    checked = run_tools("check")
    assert checked.code == 0, checked.stderr
    assert next(r for r in checked.reporter.tables[0][2] if r[1] == head[:12])[3] == "3"
