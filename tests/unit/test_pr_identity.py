"""The submitter's identity, the rewrite of a patch for them, and the placeholders that stand
for machine paths in public text: pure functions, no process started."""

from __future__ import annotations

import pytest

from tools.errors import ConfigError
from tools.pins import load_pins
from tools.pr_branch import _rewrite
from tools.pr_identity import Identity, co_author, parse_identity, placeholder_problem
from tools.pr_text import scrub, shown_path

ME = Identity("Pat Submitter", "pat@submitter.dev")


@pytest.mark.parametrize(
    "email",
    [
        "maintainers@users.noreply.r-seed-18c37fe4.example",
        "dev@upstream.invalid",
        "a@b.test",
        "a@host.localhost",
        "someone@example.com",
        "someone@mail.example.org",
        "noreply@forge.org",
        "no-reply@company.com",
        "tools@pyo3-base-python.invalid",
        "not-an-address",
        "a@b@c.org",
        "x@localhost",
        "ci@noreply.somewhere.org",
    ],
)
def test_placeholders_are_named(email: str) -> None:
    assert placeholder_problem(Identity("Some One", email)) is not None


@pytest.mark.parametrize(
    "email",
    ["pat@submitter.dev", "12345+pat@users.noreply.github.com", "a.b@uni.example-university.edu"],
)
def test_real_addresses_pass(email: str) -> None:
    # a forge's no-reply address stands for a real account
    assert placeholder_problem(Identity("Pat", email)) is None


def test_an_identity_needs_a_name() -> None:
    assert placeholder_problem(Identity(" ", "pat@submitter.dev")) == "it has no name"


def test_author_option_is_name_and_address() -> None:
    assert parse_identity("Pat Submitter <pat@submitter.dev>", source="--author") == ME
    for bad in ("pat@submitter.dev", "Pat", "Pat <pat@x.dev>\nX"):
        with pytest.raises(ConfigError, match="is not `Name <email>`"):
            parse_identity(bad, source="--author")


def test_the_series_own_author_is_a_placeholder() -> None:
    """The pinned series' `From:` (a folded header) names nobody, so it gives no trailer."""
    for pin in load_pins().pins:
        for path in pin.patch_paths:
            text = path.read_text()
            header = text.split("\nDate:", 1)[0].split("\nFrom: ", 1)[1]
            assert co_author(header) is None, path.name


_PATCH = """From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: {author}
Date: Tue, 24 Nov 2026 17:47:51 +0000
Subject: [PATCH] Prefer the base interpreter

So isolated builds stay cached.
{trailers}
diff --git a/newsfragments/PR-NUMBER.added.md b/newsfragments/PR-NUMBER.added.md
new file mode 100644
--- /dev/null
+++ b/newsfragments/PR-NUMBER.added.md
@@ -0,0 +1 @@
+From: a line of content, not a header
"""


def test_the_submitter_becomes_the_author_and_a_real_one_a_co_author() -> None:
    text = _PATCH.format(author="Rosa Author\n <rosa@author.dev>", trailers="")
    rewritten = _rewrite(text, ME, None)
    assert "\nFrom: Pat Submitter <pat@submitter.dev>\nDate:" in rewritten
    assert "So isolated builds stay cached.\n\nCo-authored-by: Rosa Author <rosa@author.dev>\n" in (
        rewritten
    )
    assert "Co-authored-by: Rosa Author <rosa@author.dev>\n\ndiff --git" in rewritten
    assert rewritten.endswith("+From: a line of content, not a header\n")


def test_a_trailer_joins_an_existing_trailer_block_and_numbers_are_applied() -> None:
    text = _PATCH.format(
        author="Rosa Author <rosa@author.dev>", trailers="\nSigned-off-by: R <r@a.dev>"
    )
    rewritten = _rewrite(text, ME, 6200)
    assert (
        "Signed-off-by: R <r@a.dev>\nCo-authored-by: Rosa Author <rosa@author.dev>\n" in rewritten
    )
    assert "+++ b/newsfragments/6200.added.md" in rewritten


def test_a_placeholder_or_the_submitter_gives_no_trailer() -> None:
    for author in ("Seed <maintainers@users.noreply.r-seed.example>", str(ME)):
        rewritten = _rewrite(_PATCH.format(author=author, trailers=""), ME, None)
        assert "Co-authored-by" not in rewritten


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("/work/main/.venv/bin/python3", "<venv>/bin/python3"),
        ("/root/.cache/uv/builds-v0/.tmpu42hfd/bin/python", "<venv:.tmpu42hfd>/bin/python"),
        ("/tmp/build-env-3jm8j_6r/bin/python", "<venv:build-env-3jm8j_6r>/bin/python"),
        ("/root/.pyenv/versions/3.11.7/bin/python3.11", "<base>/bin/python3.11"),
        ("/usr/bin/python3", "<base>/bin/python3"),
        ("/ROOT/.PYENV/VERSIONS/3.11.7/BIN/PYTHON3.11", "<base>/BIN/PYTHON3.11"),
        (
            "/tmp/coldcache/builds/verify/safety/base-reinstalled/python/bin/python3.11",
            "<cache>/builds/verify/safety/base-reinstalled/python/bin/python3.11",
        ),
        ("/srv/data/file.txt", "<...>/data/file.txt"),
        ("C:\\Users\\me\\AppData\\python.exe", "<...>/AppData/python.exe"),
    ],
)
def test_machine_paths_become_placeholders(path: str, shown: str) -> None:
    assert shown_path(path) == shown


def test_scrub_leaves_urls_and_relative_paths() -> None:
    text = "see https://github.com/PyO3/pyo3/pull/6114, src/python_interpreter/mod.rs, file:///a/b"
    assert scrub(text) == text
    assert (
        scrub("Python 3.11.7 (/work/main/.venv/bin/python3)")
        == "Python 3.11.7 (<venv>/bin/python3)"
    )
