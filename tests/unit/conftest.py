"""tests/unit is offline and pure: any attempt to start a process fails the test."""

from __future__ import annotations

import os
import subprocess
from typing import NoReturn

import pytest


def _refuse(*args: object, **kwargs: object) -> NoReturn:
    raise AssertionError(f"tests/unit must not start processes (tried: {args[:1]!r})")


@pytest.fixture(autouse=True)
def _no_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    # Modules that imported the class before this ran (GitPython's `from subprocess import
    # Popen`) hold it directly: the class itself refuses to start a child.
    monkeypatch.setattr(subprocess.Popen, "_execute_child", _refuse)
    monkeypatch.setattr(subprocess, "Popen", _refuse)
    for name in (
        "system",
        "popen",
        "posix_spawn",
        "posix_spawnp",
        "fork",
        "forkpty",
        "execv",
        "execve",
        "execvp",
        "execvpe",
        "spawnv",
        "spawnve",
    ):
        if hasattr(os, name):
            monkeypatch.setattr(os, name, _refuse)
