"""Output folders the tools write into: never over files they did not write, always atomically.

A folder the tools write keeps a small manifest of the files it wrote and their checksums; a
file that is not in it, or that changed since, is the user's.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from tools.errors import ConfigError, DestinationRefused

MANIFEST = ".tools-written.json"


def write_atomic(path: Path, text: str) -> None:
    """Writes `text` to a temporary file next to `path`, then renames it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _manifest(out: Path) -> dict[str, str]:
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): str(v) for k, v in data.items()}


def check_out_dir(out: Path, *, allowed: frozenset[str] = frozenset(), force: bool) -> None:
    """Refuses an output folder holding files the tools did not write (unless `force`).

    `allowed` names entries managed elsewhere (a checkout with its own safety rules).
    """
    if not out.exists():
        return
    if not out.is_dir():
        raise ConfigError(f"--out {out} exists and is not a directory")
    if force:
        return
    written = _manifest(out)
    foreign = []
    for entry in sorted(out.iterdir(), key=lambda p: p.name):
        name = entry.name
        if name == MANIFEST or name in allowed:
            continue
        if name in written and entry.is_file() and _digest(entry) == written[name]:
            continue
        foreign.append(name)
    if foreign:
        shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        raise DestinationRefused(
            f"--out {out} holds files the tools did not write ({shown}); nothing was changed",
            hint="use another --out, or pass --force to overwrite them",
        )


def write_files(out: Path, files: Mapping[str, str]) -> list[Path]:
    """Writes each file atomically and records it in the folder's manifest."""
    written = _manifest(out)
    paths = []
    for name, text in files.items():
        path = out / name
        write_atomic(path, text)
        written[name] = _digest(path)
        paths.append(path)
    write_atomic(out / MANIFEST, json.dumps(written, indent=2, sort_keys=True) + "\n")
    return paths


def _ours(path: Path) -> bool:
    """Whether the file at `path` is one the tools wrote and nobody changed since."""
    written = _manifest(path.parent).get(path.name)
    return written is not None and path.is_file() and _digest(path) == written


def check_files(paths: Sequence[tuple[str, Path]]) -> None:
    """Refuses files (each named with its option) that exist and are not the tools' own,
    by the same manifest as an output folder's."""
    for option, path in paths:
        if not (path.exists() or path.is_symlink()):
            continue
        if not path.is_file() or path.is_symlink():
            raise ConfigError(f"{option} {path} exists and is not a file")
        if not _ours(path):
            raise DestinationRefused(
                f"{option} {path} is a file the tools did not write; nothing was changed",
                hint=f"pass another {option}, or move that file away",
            )


def write_file(path: Path, text: str) -> Path:
    """Writes one file atomically and records it in its folder's manifest."""
    return write_files(path.parent, {path.name: text})[0]
