"""Seeding a cargo target dir from another tree's build of the same workspace.

maturin is built twice from its sdist, without and with the series. The two trees lock the
same registry crates, so the second build can start from a copy of the first one's target dir
and compile only the tree's own package. It must compile that package: cargo names a path
package's artifacts by its path relative to the workspace root, the same in both trees, and
judges them fresh by file modification times, so a copy would let the first tree's build pass
for the second's. Every artifact and fingerprint of the tree's own packages is therefore
removed from the copy before it is used; what is left are registry crates, which cargo keys by
name, version, source, features and profile.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# cargo's artifact names: `<name>-<16 hex digits>` with `-` in the crate name as `_` below
# `deps/`, an optional `lib` prefix and any extension (`.rlib`, `.rmeta`, `.d`, `.so`, ...).
_HASHED = r"(?:lib)?{name}-[0-9a-f]{{16}}(?:\..+)?"
# rustc's incremental state: `<crate name>-<base 36 hash>`
_INCREMENTAL = r"{name}-[0-9a-z]+"
# the copies cargo puts next to `deps/` for the final artifacts (`maturin`, `maturin.d`, ...)
_UPLIFTED = r"(?:lib)?{name}(?:\.[A-Za-z0-9]+)?"
_PACKAGE_DIRS = {
    ".fingerprint": _HASHED,
    "build": _HASHED,
    "deps": _HASHED,
    "incremental": _INCREMENTAL,
}


def local_packages(tree: Path) -> list[str]:
    """The names of the packages whose manifests are in `tree` (its own code, not the
    registry's), found without running cargo."""
    names = []
    for manifest in sorted(tree.glob("**/Cargo.toml")):
        if "target" in manifest.relative_to(tree).parts:
            continue
        try:
            data = tomllib.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        name = data.get("package", {}).get("name")
        if isinstance(name, str) and name:
            names.append(name)
    return names


def _matches(entry: str, names: Iterable[str], pattern: str) -> bool:
    spellings = {spelling for name in names for spelling in (name, name.replace("-", "_"))}
    return any(re.fullmatch(pattern.format(name=re.escape(s)), entry) for s in spellings)


def forget_packages(target: Path, names: list[str]) -> list[Path]:
    """Removes every artifact, fingerprint, build-script run and incremental state of the
    named packages from a target dir, in every profile and target triple; returns what it
    removed."""
    removed = []
    for fingerprints in sorted(target.glob("**/.fingerprint")):
        profile = fingerprints.parent
        for sub, pattern in _PACKAGE_DIRS.items():
            folder = profile / sub
            for entry in sorted(folder.iterdir()) if folder.is_dir() else []:
                if _matches(entry.name, names, pattern):
                    removed.append(entry)
        for entry in sorted(profile.iterdir()):
            if entry.is_file() and _matches(entry.name, names, _UPLIFTED):
                removed.append(entry)
    for path in removed:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    return removed


def seed_target(source: Path, dest: Path, tree: Path) -> list[str]:
    """Makes `dest` a copy of the target dir `source` without anything of `tree`'s own
    packages, written beside it and renamed into place; returns those packages' names. Does
    nothing (and returns []) when `dest` exists or `source` holds no build."""
    if dest.exists() or not any(source.glob("**/.fingerprint")):
        return []
    names = local_packages(tree)
    partial = dest.with_name(f"{dest.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        shutil.copytree(source, partial, symlinks=True)
        forget_packages(partial, names)
        partial.rename(dest)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return names
