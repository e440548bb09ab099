"""Progress and results go through a reporter passed in explicitly; logic never prints."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Protocol

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from tools.errors import LINE_LIMIT, printable
from tools.platforms import HOST


class Reporter(Protocol):
    def step(self, message: str) -> None: ...
    def command(self, args: Sequence[str]) -> None: ...
    def info(self, message: str) -> None: ...
    def warn(self, message: str) -> None: ...
    def table(self, title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None: ...
    def progress(self, message: str) -> AbstractContextManager[None]: ...


def _console(stderr: bool) -> Console:
    no_color = "NO_COLOR" in os.environ
    force = "FORCE_COLOR" in os.environ
    return Console(
        stderr=stderr,
        no_color=no_color,
        force_terminal=True if force else None,
        highlight=False,
        soft_wrap=True,
        emoji=False,
    )


class TerminalReporter:
    """Steps and commands on stderr (with elapsed time), tables on stdout."""

    def __init__(self, *, verbose: bool = False) -> None:
        self._err = _console(stderr=True)
        self._out = _console(stderr=False)
        self._verbose = verbose
        self._start = time.monotonic()

    def _elapsed(self) -> str:
        return f"[{time.monotonic() - self._start:6.1f}s]"

    def step(self, message: str) -> None:
        self._err.print(
            f"[dim]{self._elapsed()}[/dim] [bold]*[/bold] {escape(message)}", markup=True
        )

    def command(self, args: Sequence[str]) -> None:
        if self._verbose:
            self._err.print(
                f"[dim]{self._elapsed()} + {escape(HOST.shell_join(args))}[/dim]", markup=True
            )

    def info(self, message: str) -> None:
        self._err.print(f"  {message}", markup=False)

    def warn(self, message: str) -> None:
        # a warning may quote a command's output over several lines; each is made printable
        lines = "\n".join(printable(line, LINE_LIMIT) for line in message.splitlines())
        self._err.print(f"[yellow]warning:[/yellow] {escape(lines)}", markup=True)

    def table(self, title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        table = Table(title=Text(title), title_justify="left")
        for column in columns:
            table.add_column(Text(column))
        for row in rows:
            table.add_row(*(Text(cell) for cell in row))
        self._out.print(table)

    @contextmanager
    def _status(self, message: str) -> Iterator[None]:
        if self._err.is_terminal:
            start = time.monotonic()
            with self._err.status(Text(message)):
                yield
            self.info(f"{message}: {time.monotonic() - start:.1f}s")
        else:
            self.step(message)
            yield

    def progress(self, message: str) -> AbstractContextManager[None]:
        return self._status(message)


@dataclass
class RecordingReporter:
    """Keeps everything it is told, for tests."""

    lines: list[str] = field(default_factory=list)
    commands: list[list[str]] = field(default_factory=list)
    tables: list[tuple[str, list[str], list[list[str]]]] = field(default_factory=list)

    def step(self, message: str) -> None:
        self.lines.append(f"step: {message}")

    def command(self, args: Sequence[str]) -> None:
        self.commands.append(list(args))

    def info(self, message: str) -> None:
        self.lines.append(f"info: {message}")

    def warn(self, message: str) -> None:
        self.lines.append(f"warn: {message}")

    def table(self, title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self.tables.append((title, list(columns), [list(row) for row in rows]))

    @contextmanager
    def _status(self, message: str) -> Iterator[None]:
        self.lines.append(f"progress: {message}")
        yield

    def progress(self, message: str) -> AbstractContextManager[None]:
        return self._status(message)

    def text(self) -> str:
        return "\n".join(self.lines)


def print_error(message: str, hint: str | None, output: Sequence[str] = ()) -> None:
    """One `error:` line and at most one `hint:` line, each printable and bounded whatever
    values they quote; then the last lines of a failed command's output, if any."""
    console = _console(stderr=True)
    line = escape(printable(message, LINE_LIMIT))
    console.print(f"[red]error:[/red] {line}", markup=True, highlight=False)
    if hint:
        console.print(f"  hint: {printable(hint, LINE_LIMIT)}", markup=False)
    if output:
        console.print("  its output ended with:", markup=False)
        for text in output:
            console.print(f"    {printable(text, LINE_LIMIT)}", markup=False)
    sys.stderr.flush()
