"""The one place that starts processes: logs the exact command, converts failures once."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tools.errors import CommandFailed
from tools.reporter import Reporter


@dataclass(frozen=True)
class Completed:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str


def _short(argv: Sequence[str]) -> str:
    """The command without `-c key=value` and `-C dir` option pairs, cut to a few words."""
    words: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("-c", "-C"):
            skip = True
        else:
            words.append(arg)
    return " ".join(words[:4])


@dataclass(frozen=True)
class Runner:
    """Runs commands, echoing each one through the reporter before it starts."""

    reporter: Reporter

    def run(
        self,
        args: Sequence[str | Path],
        *,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        extra_env: Mapping[str, str] | None = None,
        check: bool = True,
        capture: bool = True,
        input_text: str | None = None,
        timeout: float | None = None,
    ) -> Completed:
        argv = [str(arg) for arg in args]
        self.reporter.command(argv)
        full_env = dict(os.environ if env is None else env)
        if extra_env:
            full_env.update(extra_env)
        try:
            proc = subprocess.run(
                argv,
                cwd=cwd,
                env=full_env,
                input=input_text,
                # Cargo, git and the frontends write UTF-8 whatever the Windows code page says.
                encoding="utf-8",
                errors="replace",
                capture_output=capture,
                timeout=timeout,
                check=False,
            )
        except FileNotFoundError as exc:
            raise CommandFailed(f"{argv[0]} was not found: {exc}") from exc
        except subprocess.TimeoutExpired as exc:
            raise CommandFailed(f"{argv[0]} timed out after {timeout:.0f}s") from exc
        result = Completed(argv, proc.returncode, proc.stdout or "", proc.stderr or "")
        if check and proc.returncode != 0:
            lines = (result.stderr or result.stdout).strip().splitlines()
            # git's `fatal:` line says what went wrong; the lines after it are advice ("Please
            # make sure you have the correct access rights and the repository exists."), which
            # alone reads as the opposite
            fatal = next((line for line in lines if line.startswith("fatal: ")), None)
            last = fatal or (lines[-1] if lines else None)
            raise CommandFailed(
                f"`{_short(argv)}` exited with {proc.returncode}" + (f": {last}" if last else ""),
                output=result.stdout + result.stderr,
            )
        return result
