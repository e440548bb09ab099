from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.upstream_fixture import FakeUpstream, make_fake_upstream
from tools.cli import main
from tools.reporter import RecordingReporter


@dataclass
class ToolRun:
    code: int
    reporter: RecordingReporter
    stdout: str
    stderr: str


RunTools = Callable[..., ToolRun]


@pytest.fixture
def upstream(tmp_path: Path) -> FakeUpstream:
    return make_fake_upstream(tmp_path / "fake")


@pytest.fixture
def run_tools(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], upstream: FakeUpstream
) -> RunTools:
    """Runs the CLI in-process against the fake upstream's pins and a private cache."""

    def run(*argv: str, pins: Path | None = None) -> ToolRun:
        reporter = RecordingReporter()
        args = ["--pins", str(pins or upstream.pins_path), "--cache-dir", str(tmp_path / "cache")]
        code = main([*args, *argv], reporter=reporter)
        out, err = capsys.readouterr()
        return ToolRun(code, reporter, out, err)

    return run
