"""`tools outdated` against the real crate registry and PyPI: every pin is found on its line,
and the exit code agrees with what the command says about ports."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from packaging.version import Version

from tools.pins import load_pins

pytestmark = pytest.mark.network


def test_outdated_reads_the_real_registries() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tools", "outdated", "--json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode in (0, 1), result.stderr
    answer = json.loads(result.stdout)
    assert (result.returncode == 1) is answer["port_needed"]
    pins = load_pins()
    for project in answer["projects"]:
        pinned = sorted(p.version for p in pins.for_project(project["project"]) if p.is_release)
        assert sorted(project["pinned"]) == pinned
        for line in project["lines"]:
            assert Version(line["newest"]) >= Version(line["pinned"])
            assert line["newest"].startswith(line["line"] + ".")
        assert Version(project["newest"]) >= max(Version(v) for v in pinned)
        if answer["port_needed"] is False:
            assert project["ports"] == []
