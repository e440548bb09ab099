"""Jinja2 templates kept in the repo; an undefined variable is an error, never a blank.

Every value printed is escaped for Markdown unless a filter made it (`tools.markdown`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2

from tools import markdown
from tools.verify.alternatives import alternative_rows

TEMPLATES = Path(__file__).resolve().parent


def gate_result(check: Mapping[str, Any]) -> markdown.Trusted:
    """One upstream gate's result in a sentence: a not-run gate says why, never "clean"."""
    if check.get("status") == "not run":
        return markdown.Trusted("not run: " + markdown.text(check.get("reason", "")))
    if "cargo test" in check["command"]:
        return markdown.Trusted(f"{check['passed']} passed, {check['failed']} failed")
    return markdown.Trusted("clean" if check["ok"] else "NOT clean")


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def verbatim(value: object) -> markdown.Trusted:
    """Tool output for a fenced block whose fence is longer than any backtick run in it:
    control characters dropped, otherwise as it is."""
    return markdown.Trusted(_CONTROL.sub("", str(value)).rstrip("\n"))


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        finalize=markdown.finalize,
    )
    env.filters["seconds"] = lambda value: f"{value:.1f}"
    env.filters["crates"] = lambda names: (
        markdown.Trusted(", ".join(markdown.text(n) for n in names)) if names else "none"
    )
    env.filters["code"] = markdown.code
    env.filters["shell"] = markdown.shell
    env.filters["subject"] = markdown.subject
    env.filters["gate"] = gate_result
    env.filters["alternatives"] = alternative_rows
    env.filters["verbatim"] = verbatim
    return env


def render_template(name: str, **values: Any) -> str:
    return _environment().get_template(name).render(**values)
