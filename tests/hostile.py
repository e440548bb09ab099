"""Helpers for the hostile-input tests: a checksum of a whole tree, and crafted archives."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path


def tree_digest(root: Path, *, skip: tuple[str, ...] = ()) -> str:
    """A checksum over every path, file content, link target and mode below `root`."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if any(relative == s or relative.startswith(s + "/") for s in skip):
            continue
        digest.update(relative.encode() + b"\0")
        if path.is_symlink():
            digest.update(b"link:" + str(path.readlink()).encode())
        elif path.is_file():
            digest.update(b"file:%o:" % (path.stat().st_mode & 0o777) + path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def add_member(tar: tarfile.TarFile, name: str, data: bytes = b"x\n", **fields: object) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data) if fields.get("type", tarfile.REGTYPE) == tarfile.REGTYPE else 0
    for key, value in fields.items():
        setattr(info, key, value)
    tar.addfile(info, io.BytesIO(data) if info.size else None)


def copy_with_extra(archive: Path, out: Path, extra: list[tuple[str, dict[str, object]]]) -> Path:
    """`archive` (a .crate) with more members appended, written to `out`."""
    with tarfile.open(archive, "r:gz") as src, tarfile.open(out, "w:gz") as dst:
        for member in src.getmembers():
            dst.addfile(member, src.extractfile(member) if member.isfile() else None)
        for name, fields in extra:
            add_member(dst, name, **fields)  # type: ignore[arg-type]
    return out
