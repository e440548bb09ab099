"""pyproject.toml lists its packages by hand (the series ship inside the package), so a package
added under tools/ must be listed too, and every data file the tools read must be covered."""

from __future__ import annotations

import fnmatch
import sys
from pathlib import Path

from tools.pins import CHECKOUT_PINS, DEFAULT_PINS, PACKAGED_PINS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def _package_dir(package: str) -> Path:
    mapped = CONFIG.get("package-dir", {}).get(package)
    return ROOT / mapped if mapped else ROOT / package.replace(".", "/")


def test_every_package_under_tools_is_listed() -> None:
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "tools").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert found <= set(CONFIG["packages"])
    assert CONFIG["package-dir"]["tools._patches"] == "patches"


def _shipped(path: Path) -> bool:
    """Whether a package-data pattern of the package that holds path covers it."""
    for package in CONFIG["packages"]:
        base = _package_dir(package)
        if not path.is_relative_to(base):
            continue
        relative = path.relative_to(base).as_posix()
        for pattern in CONFIG["package-data"].get(package, []):
            flat = pattern.replace("**/", "")
            if fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(relative, flat):
                return True
    return False


def test_every_data_file_the_tools_read_is_package_data() -> None:
    data = [
        path
        for root in (ROOT / "tools", ROOT / "patches")
        for path in root.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc")
    ]
    assert any(p.name == "pins.toml" for p in data)
    assert any(p.suffix == ".patch" for p in data)
    assert any("fixtures" in p.parts for p in data)
    missing = [str(p.relative_to(ROOT)) for p in data if not _shipped(p)]
    assert missing == []


def test_a_checkout_defaults_to_its_own_pins() -> None:
    assert CHECKOUT_PINS == ROOT / "patches" / "pins.toml"
    assert DEFAULT_PINS == CHECKOUT_PINS
    assert PACKAGED_PINS == ROOT / "tools" / "_patches" / "pins.toml"
