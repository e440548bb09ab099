"""Report values made fit for public text: no path of the machine that measured them.

A verify report records interpreters, tool folders and cache folders as absolute paths. What a
reader upstream needs is their kind, not where they were: `<venv>/bin/python` for a virtual
environment's interpreter, `<base>/bin/python3.11` for an installed one, `<cache>/builds/...`
for the tools' cache, and `<...>/a/b` (the last two components) for anything else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

# An absolute POSIX path (not inside a URL: no scheme or host before it) or a Windows one.
_POSIX = re.compile(r"(?<![\w.:/~<>\\-])/(?:[\w.+@%=-]+/)*[\w.+@%=-]+/?")
_WINDOWS = re.compile(r"(?<![\w])[A-Za-z]:\\(?:[^\\\s`'\"]+\\)*[^\\\s`'\"]*")
_VENV = re.compile(r"^(\.?venv|env|\.tmp\w*|build-env(-\w+)?|.*-venv)$", re.IGNORECASE)
_BIN = ("bin", "scripts")
_STABLE_VENVS = (".venv", "venv", "env")


def shown_path(path: str) -> str:
    """`path` (absolute) as a placeholder for its kind, keeping the informative tail."""
    parts = [p for p in re.split(r"[\\/]", path) if p and not re.fullmatch(r"[A-Za-z]:", p)]
    lower = [p.lower() for p in parts]
    for i in range(len(lower) - 1):
        # the tools' own cache: CACHE/builds/verify/...
        if lower[i] == "builds" and lower[i + 1] == "verify":
            return "/".join(["<cache>", *parts[i:]])
    for i, part in enumerate(parts):
        if _VENV.match(part) and (i + 1 < len(parts) and lower[i + 1] in (*_BIN, "lib")):
            # a generated name (`.tmpXXXX`, `build-env-XXXX`) tells two environments apart
            shown = "<venv>" if lower[i] in _STABLE_VENVS else f"<venv:{part}>"
            return "/".join([shown, *parts[i + 1 :]])
    for i in range(len(lower) - 1):
        # pyenv and uv's managed interpreters: .../versions/3.11.7/..., .../cpython-3.11.7-.../
        if lower[i] == "versions" and re.match(r"\d", lower[i + 1]):
            return "/".join(["<base>", *parts[i + 2 :]])
    for i, part in enumerate(lower):
        if part in _BIN and i + 1 < len(lower) and lower[i + 1].startswith("python"):
            return "/".join(["<base>", *parts[i:]])
    if lower and lower[0] in ("home", "root", "users") and len(parts) <= 2:
        return "<home>"
    return "/".join(["<...>", *parts[-2:]])


def scrub(text: str) -> str:
    """Every absolute path in `text` replaced by `shown_path`."""
    text = _WINDOWS.sub(lambda m: shown_path(m.group()), text)
    return _POSIX.sub(lambda m: shown_path(m.group().rstrip("/")), text)


T = TypeVar("T")


def scrubbed(value: T) -> T:
    """A copy of a JSON-like value with every string scrubbed (keys too)."""
    return _scrubbed(value)  # type: ignore[no-any-return]


def _scrubbed(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {scrub(str(k)): _scrubbed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(v) for v in value]
    return value
