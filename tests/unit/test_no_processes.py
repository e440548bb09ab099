"""The unit-test guard itself: starting a process is refused here."""

from __future__ import annotations

import os
import subprocess

import git
import pytest

from tools.reporter import RecordingReporter
from tools.runner import Runner


def test_subprocess_is_refused() -> None:
    with pytest.raises(AssertionError, match="must not start processes"):
        subprocess.run(["true"], check=False)


def test_os_system_is_refused() -> None:
    with pytest.raises(AssertionError, match="must not start processes"):
        os.system("true")


def test_the_runner_is_refused() -> None:
    with pytest.raises(AssertionError, match="must not start processes"):
        Runner(RecordingReporter()).run(["true"])


def test_a_library_holding_its_own_popen_is_refused() -> None:
    # GitPython imported `Popen` from subprocess before the guard was installed
    with pytest.raises(AssertionError, match="must not start processes"):
        git.Git().version()
