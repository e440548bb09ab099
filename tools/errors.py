"""Every failure the tools report on purpose, each with its documented exit code."""

from __future__ import annotations


class ToolError(Exception):
    """Base class: one line for the user, and the exit code of the command."""

    exit_code = 1
    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint


class VerificationFailed(ToolError):
    """A measured expectation did not hold (verify) or a check found problems."""

    exit_code = 1


class ConfigError(ToolError):
    """Bad input: pins, patch files, arguments, checksums or commit SHAs."""

    exit_code = 2


class ApplyFailed(ToolError):
    """The series did not apply; the destination was left as it was."""

    exit_code = 3


class DestinationRefused(ToolError):
    """The destination holds work of the user's that applying could lose."""

    exit_code = 4


class CommandFailed(ToolError):
    """An external program (git, cargo, a frontend) or a download failed."""

    exit_code = 5

    def __init__(self, message: str, *, output: str = "", hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.output = output
