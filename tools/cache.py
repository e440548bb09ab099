"""Where downloads, imported registry bases and git mirrors are kept between runs."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from tools.errors import DestinationRefused

CACHE_ENV = "PYO3_BASE_PYTHON_TOOLS_CACHE"
# The cache directory tag (https://bford.info/cachedir/): it marks a folder as the tools' cache,
# whose entries they replace and remove; backup tools skip it too.
TAG = "CACHEDIR.TAG"
_SIGNATURE = "Signature: 8a477f597d28d172789f06886806bc55"


@dataclass(frozen=True)
class Cache:
    root: Path

    @classmethod
    def default(cls) -> Cache:
        override = os.environ.get(CACHE_ENV)
        if override:
            return cls(Path(override).expanduser().resolve())
        return cls(platformdirs.user_cache_path("pyo3-base-python-tools"))

    @property
    def downloads(self) -> Path:
        return self.root / "downloads"

    @property
    def bases(self) -> Path:
        return self.root / "bases"

    @property
    def git(self) -> Path:
        return self.root / "git"

    @property
    def builds(self) -> Path:
        return self.root / "builds"

    def is_tagged(self) -> bool:
        tag = self.root / TAG
        try:
            return not tag.is_symlink() and tag.read_text(encoding="utf-8").startswith(_SIGNATURE)
        except (OSError, UnicodeDecodeError):
            return False

    def claim(self, *, given: bool) -> None:
        """Makes the cache folder the tools' own before anything in it is replaced or removed.

        A folder named with --cache-dir must be new, empty or tagged by the tools; the default
        and $PYO3_BASE_PYTHON_TOOLS_CACHE name the tools' cache and are tagged as they are.
        """
        if self.is_tagged():
            return
        if given and self.root.is_dir():
            entries = sorted(p.name for p in self.root.iterdir())
            if entries:
                shown = ", ".join(entries[:5]) + (", ..." if len(entries) > 5 else "")
                raise DestinationRefused(
                    f"--cache-dir {self.root} holds files that are not the tools' cache "
                    f"({shown}) and no {TAG}; nothing was changed",
                    hint="pass a new or empty folder, or a cache the tools made",
                )
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / TAG).write_text(
            f"{_SIGNATURE}\n# the download and build cache of pyo3-base-python-tools; the tools "
            "replace and remove what is in it\n",
            encoding="utf-8",
        )
