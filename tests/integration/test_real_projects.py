"""The default real projects as published on PyPI: each sdist locks the pyo3 version it is listed
under, and cryptography's build script that runs Python is found in its real sources.

Needs PyPI and the crate registry (cargo metadata downloads the crates' sources); builds nothing,
so it runs in seconds rather than the ten minutes a full audit of cryptography takes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tools.audit.lockfile import find_workspace
from tools.audit.patching import copy_project
from tools.audit.real import REAL_PROJECTS, RealProject, sdist_pyo3
from tools.audit.run import _scripts
from tools.audit.source import resolve_source
from tools.cache import Cache
from tools.reporter import RecordingReporter

pytestmark = pytest.mark.network


@pytest.mark.parametrize("project", REAL_PROJECTS, ids=lambda p: p.name)
def test_each_real_project_locks_the_pyo3_it_is_listed_under(project: RealProject) -> None:
    cache = Cache.default()  # the sdists are small and checked against PyPI's sha256
    assert sdist_pyo3(project.spec, cache, RecordingReporter()) == project.pyo3


def test_cryptography_cffi_build_script_runs_python_importing_cffi(tmp_path: Path) -> None:
    (project,) = [p for p in REAL_PROJECTS if p.name == "cryptography"]
    source = resolve_source(project.spec, Cache.default(), RecordingReporter())
    copy = copy_project(source.root, tmp_path / "project")
    workspace = find_workspace(copy)
    metadata = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--locked"],
            cwd=workspace.root,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    uses = {name: use for name, _version, use in _scripts(metadata, copy)}
    cffi = uses["cryptography-cffi"]
    assert cffi.runs_python
    assert cffi.reads_pyo3_python
    assert cffi.tracks_pyo3_python  # it reruns on its own when the build environment changes
    assert cffi.imports == ("cffi", "setuptools")
    assert cffi.scripts == ()
    assert uses["cryptography-rust"].calls_get  # use_pyo3_cfgs()
    assert not uses["cryptography-rust"].runs_python
    assert [name for name, use in uses.items() if use.runs_python] == ["cryptography-cffi"]
