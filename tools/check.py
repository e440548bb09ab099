"""`tools check`: the pins are complete and every patch is well formed and applies."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tools.apply import ApplyOptions, apply_series
from tools.cache import Cache
from tools.errors import ApplyFailed, ConfigError, ToolError
from tools.gitops import Git
from tools.pins import Pins
from tools.reporter import Reporter
from tools.series import (
    build_output_problems,
    message_problems,
    parse_patch,
    whitespace_problems,
)


@dataclass(frozen=True)
class CheckRow:
    project: str
    version: str
    patches: int
    applied: int
    skipped_files: int
    problems: tuple[str, ...]
    does_not_apply: bool = False


def check_pins(
    pins: Pins, cache: Cache, git: Git, reporter: Reporter, *, apply: bool = True
) -> list[CheckRow]:
    rows = []
    for pin in pins.pins:
        reporter.step(f"checking {pin.project} {pin.version}")
        problems: list[str] = []
        for path in pin.patch_paths:
            try:
                patch = parse_patch(path)
            except ConfigError as exc:
                problems.append(str(exc))
                continue
            problems += message_problems(patch) + whitespace_problems(patch)
            problems += build_output_problems(patch)
        applied = skipped = 0
        does_not_apply = False
        if apply and not problems:
            scratch = Path(tempfile.mkdtemp(prefix="tools-check-"))
            try:
                result = apply_series(
                    ApplyOptions(
                        pin=pin,
                        source="registry" if pin.artifacts else "git",
                        dest=scratch / "tree",
                    ),
                    cache,
                    git,
                    reporter,
                )
                applied = len(result.applied)
                skipped = sum(len(files) for files in result.skipped.values())
            except ToolError as exc:
                if not isinstance(exc, (ConfigError, ApplyFailed)):
                    raise
                does_not_apply = isinstance(exc, ApplyFailed)
                problems.append(str(exc))
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
        rows.append(
            CheckRow(
                pin.project,
                pin.version,
                len(pin.patches),
                applied,
                skipped,
                tuple(problems),
                does_not_apply,
            )
        )
    return rows
