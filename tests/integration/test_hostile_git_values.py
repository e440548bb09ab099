"""Values that reach git (URLs, tags, branches, remotes) are refused before git sees them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import RunTools
from tests.hostile import tree_digest
from tests.unit.test_gitvalues import BAD_REFS, GOOD_REFS
from tests.upstream_fixture import FakeUpstream
from tools.gitvalues import ref_problem


@pytest.mark.parametrize("name", GOOD_REFS + BAD_REFS)
def test_ref_rules_agree_with_git(name: str) -> None:
    git_says = subprocess.run(["git", "check-ref-format", name], capture_output=True, check=False)
    assert (git_says.returncode == 0) == (ref_problem(name) is None), name


def _payload(tmp_path: Path) -> tuple[str, Path]:
    witness = tmp_path / "pwned"
    return f'--upload-pack=sh -c "touch {witness}"', witness


def test_git_url_option_is_refused(run_tools: RunTools, tmp_path: Path) -> None:
    url, witness = _payload(tmp_path)
    dest = tmp_path / "dest"
    result = run_tools("apply", "pyo3", "--source", "git", f"--git-url={url}", "--dest", str(dest))
    assert result.code == 2
    assert result.stderr.startswith(f"error: --git-url: git URL {url!r} is refused")
    assert "Traceback" not in result.stderr
    assert not witness.exists()
    assert not dest.exists()
    assert result.reporter.commands == []


def test_pinned_git_url_option_is_refused(
    run_tools: RunTools, tmp_path: Path, upstream: FakeUpstream
) -> None:
    url, witness = _payload(tmp_path)
    pins = upstream.write_pins(git_url=url.replace('"', "'"))
    before = tree_digest(tmp_path)
    result = run_tools("apply", "pyo3", "--source", "git", "--dest", str(tmp_path / "dest"))
    assert result.code == 2
    assert f"{pins} [projects.pyo3] git_url: git URL" in result.stderr
    assert not witness.exists()
    assert tree_digest(tmp_path, skip=("cache",)) == before
    assert result.reporter.commands == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--branch=-f",), "--branch: branch name '-f' is not allowed"),
        (("--branch", "a..b"), "--branch: branch name 'a..b' is not allowed"),
        (("--git-url", "ssh://host/pyo3"), "--git-url: git URL 'ssh://host/pyo3' is refused"),
        (("--git-url", "ext::sh -c id"), "remote-helper transport"),
    ],
)
def test_bad_apply_values_exit_2(
    run_tools: RunTools, tmp_path: Path, argv: tuple[str, ...], message: str
) -> None:
    result = run_tools("apply", "pyo3", "--source", "git", *argv, "--dest", str(tmp_path / "d"))
    assert result.code == 2
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 2  # error: and hint:
    assert not (tmp_path / "d").exists()


def test_pinned_tag_like_an_option_is_refused(
    run_tools: RunTools, tmp_path: Path, upstream: FakeUpstream
) -> None:
    upstream.pins_path.write_text(
        upstream.pins_path.read_text().replace('tag = "v1.0.0"', 'tag = "--upload-pack=id"')
    )
    result = run_tools("apply", "pyo3", "--source", "git", "--dest", str(tmp_path / "d"))
    assert result.code == 2
    assert "tag: tag '--upload-pack=id' is not allowed: it starts with '-'" in result.stderr


def test_allow_any_url_is_needed_for_other_schemes(
    run_tools: RunTools, tmp_path: Path, upstream: FakeUpstream
) -> None:
    url = "git://127.0.0.1:1/pyo3.git"
    refused = run_tools(
        "apply", "pyo3", "--source", "git", "--git-url", url, "--dest", str(tmp_path / "d")
    )
    assert refused.code == 2
    assert "--allow-any-url" in refused.stderr
    allowed = run_tools(
        "apply",
        "pyo3",
        "--source",
        "git",
        "--git-url",
        url,
        "--allow-any-url",
        "--dest",
        str(tmp_path / "d"),
    )
    assert allowed.code == 5  # accepted, then git could not reach it
    assert "could not fetch v1.0.0 from git://127.0.0.1:1/pyo3.git" in allowed.stderr


def test_pr_remote_option_is_refused(run_tools: RunTools, tmp_path: Path) -> None:
    url, witness = _payload(tmp_path)
    result = run_tools(
        "pr",
        "pyo3",
        "--report",
        str(tmp_path / "r.json"),
        "--out",
        str(tmp_path / "pr"),
        f"--remote={url}",
    )
    assert result.code == 2
    assert f"--remote: git URL {url!r} is refused" in result.stderr
    assert not (tmp_path / "pr").exists()
    assert not witness.exists()
