"""Every failure the tools report on purpose, each with its documented exit code."""

from __future__ import annotations

import errno
import os
import unicodedata


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


# A value (a path, a URL, an argument) shown inside a message is cut to this many characters;
# a whole `error:` or `hint:` line to LINE_LIMIT.
VALUE_LIMIT = 200
LINE_LIMIT = 1000
# Line breaks and the other control and format characters (ANSI escapes start with ESC, a
# bidirectional override reorders what follows it), which a message never passes on raw.
_UNPRINTABLE = frozenset({"Cc", "Cf", "Zl", "Zp"})
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(char: str) -> str:
    if unicodedata.category(char) not in _UNPRINTABLE:
        return char
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code < 0x10000
        else f"\\U{code:08x}"
    )


def printable(value: object, limit: int = VALUE_LIMIT) -> str:
    """`value` as one line of text: control characters escaped as Python writes them (`\\n`,
    `\\x1b`), and cut to `limit` characters with the original length said."""
    text = str(value)
    escaped = "".join(_escaped(char) for char in text)
    if len(escaped) <= limit:
        return escaped
    return f"{escaped[:limit]}… ({len(text)} characters)"


def quoted(value: object, limit: int = VALUE_LIMIT) -> str:
    """`value` in single quotes, made printable and bounded: how messages quote what they got."""
    return f"'{printable(value, limit)}'"


_OS_HINTS = {
    errno.ENOENT: "a folder on the way does not exist, or the file system (such as /proc) does "
    "not allow new files there",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "the path is a folder where a file is expected",
    errno.EACCES: "choose a path you may write to",
    errno.EPERM: "choose a path you may write to",
    errno.EROFS: "the file system is read-only; choose a path on another one",
    errno.ENAMETOOLONG: "use a shorter path",
    errno.ENOSPC: "free some space, or point the path at another disk",
    errno.EEXIST: "the path exists already",
}


class FileSystemError(ToolError):
    """The file system refused to create, read or write a path (exit 2, like a bad path given
    as an argument): made from the OSError, naming the path and the system's reason."""

    exit_code = 2

    @classmethod
    def from_os_error(cls, exc: OSError) -> FileSystemError:
        reason = exc.strerror or type(exc).__name__
        paths = [p for p in (exc.filename, exc.filename2) if p is not None]
        where = " -> ".join(printable(os.fsdecode(p) if isinstance(p, bytes) else p) for p in paths)
        message = f"{where}: {reason}" if where else f"the file system refused: {reason}"
        return cls(message, hint=_OS_HINTS.get(exc.errno or 0))
