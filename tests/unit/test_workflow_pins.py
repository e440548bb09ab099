"""The workflow's supply-chain rules, read from its text: actions pinned by full commit SHA with
the version in a comment, a read-only token, and no credentials left in the checkout."""

from __future__ import annotations

import re
from pathlib import Path

WORKFLOW = Path(__file__).resolve().parents[2] / ".github" / "workflows" / "verify.yml"
_USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<rest>.*)$", re.MULTILINE)
_PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
_VERSION_COMMENT = re.compile(r"^\s+#\s+v\d+(\.\d+)*$")


def test_every_action_is_pinned_by_commit_with_its_version() -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    uses = list(_USES.finditer(text))
    assert len(uses) >= 4
    for use in uses:
        assert _PINNED.match(use["ref"]), f"{use['ref']} is not pinned by a full commit SHA"
        assert _VERSION_COMMENT.match(use["rest"]), f"{use['ref']} lacks a '# vX.Y.Z' comment"


def test_token_is_read_only_and_checkouts_keep_no_credentials() -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    assert re.search(r"^permissions:\n  contents: read\n", text, re.MULTILINE)
    assert "write" not in text.split("permissions:", 1)[1].split("\n\n", 1)[0]
    checkouts = text.count("uses: actions/checkout@")
    assert checkouts >= 1
    assert text.count("persist-credentials: false") == checkouts


def test_same_action_is_pinned_to_one_commit_everywhere() -> None:
    pins: dict[str, set[str]] = {}
    for use in _USES.finditer(WORKFLOW.read_text(encoding="utf-8")):
        action, _, commit = use["ref"].partition("@")
        pins.setdefault(action, set()).add(commit)
    assert {action: len(commits) for action, commits in pins.items()} == dict.fromkeys(pins, 1)
