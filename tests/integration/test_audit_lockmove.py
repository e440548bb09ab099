"""The lock move with real cargo, offline: a tiny crate whose lock holds pyo3 0.30.0 moves to
0.30.1 with `cargo update --precise` on pyo3 alone, and every pyo3 crate of the lock follows.
Runs in seconds from the local registry cache; skipped where that cache lacks pyo3 0.30.1."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tools.audit.lockfile import Workspace, locked_versions
from tools.audit.resolve import move_lock
from tools.reporter import RecordingReporter
from tools.runner import Runner

PINNED = "0.30.1"
CACHED = list((Path.home() / ".cargo" / "registry" / "cache").glob(f"*/pyo3-{PINNED}.crate"))

pytestmark = pytest.mark.skipif(
    not CACHED or shutil.which("cargo") is None,
    reason=f"needs cargo and pyo3 {PINNED} in the local registry cache",
)


def test_moving_pyo3_moves_every_pyo3_crate_of_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARGO_NET_OFFLINE", "true")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "lib.rs").write_text("")
    (tmp_path / "Cargo.toml").write_text(
        '[package]\nname = "demo"\nversion = "0.1.0"\nedition = "2021"\n\n'
        '[dependencies]\npyo3 = "0.30"\n'
    )
    subprocess.run(
        ["cargo", "generate-lockfile", "--offline"], cwd=tmp_path, check=True, capture_output=True
    )
    lock = tmp_path / "Cargo.lock"
    before = locked_versions(lock.read_text())
    assert set(before) >= {"pyo3", "pyo3-ffi", "pyo3-build-config"}
    # The lock as a project on an earlier patch release of the line would have it.
    older = re.sub(
        rf'(name = "pyo3[a-z-]*"\nversion = )"{re.escape(PINNED)}"', r'\1"0.30.0"', lock.read_text()
    )
    lock.write_text(re.sub(r'checksum = "[0-9a-f]+"\n', "", older))
    assert locked_versions(lock.read_text()) == {name: ["0.30.0"] for name in before}
    reporter = RecordingReporter()
    move_lock(Runner(reporter), Workspace(tmp_path, lock), "pyo3", PINNED)
    assert locked_versions(lock.read_text()) == {name: [PINNED] for name in before}
    updates = [c for c in reporter.commands if c[:2] == ["cargo", "update"]]
    assert len(updates) == 1
