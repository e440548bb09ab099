"""Fixed inputs for rendering pull request bodies and comments in the golden tests: the base a
branch was prepared on (upstream's `main`, after the pin the evidence was measured on) and the
link to a pushed branch."""

from __future__ import annotations

from tools.newsfragments import placeholders
from tools.pins import Pin
from tools.pr_branch import BranchBase
from tools.series import load_series

# A commit on upstream's main that is not the pinned release's (as pyo3's patch releases are not).
MAIN_COMMIT = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0"
FORK = "https://github.com/example-user/{project}.git"


def golden_base(pin: Pin) -> BranchBase:
    return BranchBase(source="git", ref="main", commit=MAIN_COMMIT,
                      measured_ref=pin.tag, measured_commit=pin.commit)  # fmt: skip


def golden_fragments(pin: Pin) -> list[str]:
    """The newsfragments on a branch prepared from the git source before the number is known."""
    return placeholders(c.path for patch in load_series(pin) for c in patch.files)
