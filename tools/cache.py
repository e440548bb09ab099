"""Where downloads, imported registry bases and git mirrors are kept between runs."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

CACHE_ENV = "PYO3_BASE_PYTHON_TOOLS_CACHE"


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
