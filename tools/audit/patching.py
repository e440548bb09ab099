"""The series configuration of a project: the patched pyo3 crates through `[patch.crates-io]`,
added to a copy of the project's workspace manifest (never to the user's tree)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Collection, Sequence
from pathlib import Path, PurePath

from tools.errors import ConfigError

_PATCH_HEADER = re.compile(r"^\s*\[\s*patch\s*\.\s*(?:crates-io|\"crates-io\")\s*\]\s*(?:#.*)?$")
_TABLE_HEADER = re.compile(r"^\s*\[")
_KEY = re.compile(r"^\s*\"?(?P<key>[A-Za-z0-9_-]+)\"?\s*=")
_CRATE_DIRS = {
    "pyo3": "",
    "pyo3-build-config": "pyo3-build-config",
    "pyo3-ffi": "pyo3-ffi",
    "pyo3-macros": "pyo3-macros",
    "pyo3-macros-backend": "pyo3-macros-backend",
}
_VCS_DIRS = frozenset({".git", ".hg", ".svn"})


def patch_lines(tree: PurePath, crates: Sequence[str]) -> list[str]:
    lines = []
    for crate in crates:
        path = tree / _CRATE_DIRS[crate] if _CRATE_DIRS[crate] else tree
        lines.append(f'{crate} = {{ path = "{path.as_posix()}" }}')
    return lines


def add_crates_io_patch(manifest: str, tree: Path, crates: Sequence[str]) -> str:
    """The manifest with the pyo3 crates of `tree` patched in for crates.io; an existing
    `[patch.crates-io]` table is extended, one that already patches a pyo3 crate refused."""
    unknown = [crate for crate in crates if crate not in _CRATE_DIRS]
    if unknown:
        raise ConfigError(f"not a pyo3 crate: {', '.join(unknown)}")
    lines = manifest.splitlines()
    header = next((i for i, line in enumerate(lines) if _PATCH_HEADER.match(line)), None)
    comment = "# Added by `tools audit`: the pyo3 crates with the series."
    if header is None:
        body = "\n".join([comment, "[patch.crates-io]", *patch_lines(tree, crates)])
        return manifest.rstrip("\n") + "\n\n" + body + "\n"
    end = next(
        (i for i in range(header + 1, len(lines)) if _TABLE_HEADER.match(lines[i])), len(lines)
    )
    for line in lines[header + 1 : end]:
        key = _KEY.match(line)
        if key and key["key"] in crates:
            raise ConfigError(
                f"the project already patches {key['key']} in [patch.crates-io]",
                hint="audit it with --stock-only, or remove that patch in your own copy",
            )
    lines[header + 1 : header + 1] = [comment, *patch_lines(tree, crates)]
    return "\n".join(lines) + "\n"


def copy_ignore(skipped: Collection[Path]) -> Callable[[str, list[str]], set[str]]:
    """What `copy_project` leaves out of each directory: version control folders at any depth,
    and the exact folders in `skipped` (the project's own cargo target dir). A folder that
    merely is named `target` (orjson vendors `cc-1.6.0/src/target/`) is copied."""
    exact = {path.resolve() for path in skipped}

    def ignore(directory: str, names: list[str]) -> set[str]:
        here = Path(directory).resolve()
        return {name for name in names if name in _VCS_DIRS or here / name in exact}

    return ignore


def copy_project(source: Path, dest: Path, skipped: Collection[Path] = ()) -> Path:
    """A fresh copy of the project without version control and without the folders in
    `skipped` (its cargo target dir)."""
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(source, dest, ignore=copy_ignore(skipped), symlinks=True)
    return dest
