"""The pure validators for values that reach git: ref names and repository URLs."""

from __future__ import annotations

import pytest

from tools.errors import ConfigError
from tools.gitvalues import check_branch, check_tag, check_url, ref_problem, url_problem

# Full ref names git accepts and refuses (`git check-ref-format`); the integration tests run the
# same lists through git itself.
GOOD_REFS = [
    "refs/heads/main",
    "refs/tags/v0.30.1",
    "refs/heads/a/b-c_d",
    "refs/heads/x@y",
    "refs/heads/caf\u00e9",
    "refs/tags/1.0.0+local",
]
BAD_REFS = [
    "",
    "@",
    "refs/heads/a..b",
    "refs/heads/.hidden",
    "refs/heads/a.lock",
    "refs/heads/a/",
    "/refs/heads/a",
    "refs//heads",
    "refs/heads/a.",
    "refs/heads/a b",
    "refs/heads/a~1",
    "refs/heads/a^",
    "refs/heads/a:b",
    "refs/heads/a?",
    "refs/heads/a*",
    "refs/heads/a[b",
    "refs/heads/a\\b",
    "refs/heads/a@{1}",
    "refs/heads/a\tb",
    "refs/heads/a\x7fb",
    "refs/heads/x/.y",
]


@pytest.mark.parametrize("name", GOOD_REFS)
def test_valid_refs(name: str) -> None:
    assert ref_problem(name) is None


@pytest.mark.parametrize("name", BAD_REFS)
def test_invalid_refs(name: str) -> None:
    assert ref_problem(name) is not None


@pytest.mark.parametrize("name", ["-f", "--upload-pack=x", "HEAD", "a..b", "a b", ""])
def test_branch_and_tag_refusals_name_value_and_source(name: str) -> None:
    with pytest.raises(ConfigError) as branch:
        check_branch(name, source="--branch")
    assert str(branch.value).startswith(f"--branch: branch name {name!r} is not allowed: ")
    with pytest.raises(ConfigError, match=r"pins\.toml tag"):
        check_tag(name, source="pins.toml tag")


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/PyO3/pyo3",
        "file:///srv/git/pyo3.git",
        "/srv/git/pyo3.git",
        "../pyo3",
        "pyo3.git",
        "./a:b",
        "HTTPS://example.com/x",
    ],
)
def test_accepted_urls(url: str) -> None:
    assert url_problem(url) is None
    assert check_url(url, source="--git-url") == url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ('--upload-pack=sh -c "id > F"', "would be read as an option"),
        ("-oProxyCommand=id", "would be read as an option"),
        ("ext::sh -c id", "remote-helper transport"),
        ("fd::3", "remote-helper transport"),
        ("ssh://host/repo", "scheme 'ssh'"),
        ("http://example.com/repo", "scheme 'http'"),
        ("git@github.com:PyO3/pyo3", "ssh address"),
        ("https://example.com/a\nb", "control characters"),
        ("", "empty"),
    ],
)
def test_refused_urls(url: str, reason: str) -> None:
    problem = url_problem(url)
    assert problem is not None
    assert reason in problem
    with pytest.raises(ConfigError) as raised:
        check_url(url, source="--git-url")
    assert str(raised.value).startswith(f"--git-url: git URL {url!r} is refused")


def test_override_widens_schemes_but_never_options_or_transports() -> None:
    for url in ("ssh://host/repo", "http://example.com/repo", "git@github.com:PyO3/pyo3"):
        assert url_problem(url, allow_any=True) is None
    for url in ("--upload-pack=id", "ext::sh -c id", "gopher://x/y"):
        assert url_problem(url, allow_any=True) is not None
