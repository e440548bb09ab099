"""Reading a verify report from disk: every field the templates use has the type they expect.

A report arrives as data (a file in a pull request, a download); a wrong type is a one-line
error naming the field, never a traceback from deep inside a template.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tools.errors import ConfigError

_STR, _NUM, _INT, _BOOL = "a string", "a number", "an integer", "true or false"
_STRS, _STRMAP, _REASONS = "a list of strings", "a table of strings", "a table of string lists"

_TOP: dict[str, str] = {
    "pins": _STRMAP,
    "series": _STRMAP,
    "variants": _STRMAP,
    "started": _STR,
    "seconds": _NUM,
    "ok": _BOOL,
}
_CELL: dict[str, str] = {
    "maturin": _STR,
    "pyo3": _STR,
    "frontend": _STR,
    "fixture": _STR,
    "expected": _STR,
    "compiled": _STRS,
    "chain_compiled": _STRS,
    "reasons": _REASONS,
    "cold_s": _NUM,
    "warm_s": _NUM,
    "import_ok": _BOOL,
    "import_detail": _STR,
    "ok": _BOOL,
}
_SAFETY: dict[str, str] = {
    "scenario": _STR,
    "description": _STR,
    "expected": _STR,
    "observed": _STR,
    "ok": _BOOL,
}
_UPSTREAM: dict[str, str] = {
    "project": _STR,
    "command": _STR,
    "passed": _INT,
    "failed": _INT,
    "ok": _BOOL,
    "seconds": _NUM,
}
_LISTS: dict[str, Mapping[str, str]] = {
    "cells": _CELL,
    "safety": _SAFETY,
    "upstream_tests": _UPSTREAM,
}


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _matches(value: object, kind: str) -> bool:
    if kind == _STR:
        return isinstance(value, str)
    if kind == _NUM:
        return _is_number(value)
    if kind == _INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == _BOOL:
        return isinstance(value, bool)
    if kind == _STRS:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if kind == _STRMAP:
        return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    if kind == _REASONS:
        return isinstance(value, dict) and all(_matches(v, _STRS) for v in value.values())
    raise AssertionError(kind)


def report_type_problem(data: object) -> str | None:
    """The first field of a verify report with a missing or wrongly typed value, or None."""
    if not isinstance(data, dict):
        return "the document is not a JSON object"
    for key in ("pins", "series", "cells", "safety", "upstream_tests", "environment", "ok"):
        if key not in data:
            return f"no `{key}`"
    fields: list[tuple[str, Mapping[str, Any], Mapping[str, str]]] = [("", data, _TOP)]
    for key, schema in _LISTS.items():
        items = data.get(key)
        if not isinstance(items, list):
            return f"`{key}` must be a list"
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                return f"`{key}[{index}]` must be a table"
            fields.append((f"{key}[{index}].", item, schema))
    environment = data.get("environment")
    if not isinstance(environment, dict) or not all(
        isinstance(v, str) or _is_number(v) for v in environment.values()
    ):
        return "`environment` must be a table of strings"
    for prefix, table, schema in fields:
        for key, kind in schema.items():
            if key not in table:
                return f"no `{prefix}{key}`"
            if not _matches(table[key], kind):
                return f"`{prefix}{key}` must be {kind}"
    notes = data.get("notes", [])
    if not _matches(notes, _STRS):
        return "`notes` must be a list of strings"
    return None


def load_report(path: Path) -> dict[str, Any]:
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(
            f"{path}: verify report not found", hint="run `tools verify --json`"
        ) from exc
    except IsADirectoryError as exc:
        raise ConfigError(f"{path}: is a directory, not a verify report") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text, so not a verify report") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the verify report: {exc.strerror}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not a JSON verify report: {exc}") from exc
    if (problem := report_type_problem(data)) is not None:
        raise ConfigError(f"{path}: not a verify report ({problem})")
    report: dict[str, Any] = data
    return report
