"""Writing a ported series: patch files with the old names, the hunks for files the registry
does not ship carried over verbatim, and the new pin appended to pins.toml as text."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from tools.pins import Pin

_DIFF = re.compile(r"^diff --git a/(?P<path>\S+) b/", flags=re.MULTILINE)


def split_patch(text: str) -> tuple[str, list[tuple[str, str]]]:
    """The message part of a format-patch file and its per-file sections, in order."""
    starts = list(_DIFF.finditer(text))
    if not starts:
        return text, []
    sections = []
    for i, match in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        sections.append((match["path"], text[match.start() : end]))
    return text[: starts[0].start()], sections


def splice_unshipped(new_text: str, old_text: str, unshipped: Sequence[str]) -> str:
    """The exported patch with the old patch's sections for `unshipped` files put back, in the
    path order git writes them."""
    wanted = set(unshipped)
    _, old_sections = split_patch(old_text)
    carried = [(path, body) for path, body in old_sections if path in wanted]
    if not carried:
        return new_text
    head, sections = split_patch(new_text)
    for section in (sections, carried):
        if section and not section[-1][1].endswith("\n"):
            path, body = section[-1]
            section[-1] = (path, body + "\n")
    merged = sorted(sections + carried, key=lambda item: item[0])
    return head + "".join(body for _, body in merged)


def _toml(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _strings(values: Sequence[str]) -> str:
    return "[" + ", ".join(_toml(v) for v in values) + "]"


def render_pin(pin: Pin, *, ported_from: str, source: str) -> str:
    """The `[[pins]]` table for a ported series, in the style of the hand-written ones."""
    lines = ["[[pins]]", f"project = {_toml(pin.project)}", f"version = {_toml(pin.version)}"]
    if pin.upstream_branch is not None:
        lines.append(f"# Ported from {ported_from} by `tools port` onto {pin.upstream_branch}.")
        lines.append(f"upstream_branch = {_toml(pin.upstream_branch)}")
        lines.append(f"date = {_toml(pin.date or '')}")
    else:
        lines.append(f"tag = {_toml(pin.tag)}")
        origin = "the crates' .cargo_vcs_info.json" if source == "registry" else "the tag in git"
        lines.append(f"# Ported from {ported_from} by `tools port`; commit from {origin}.")
    lines.append(f"commit = {_toml(pin.commit)}")
    lines.append("patches = [")
    lines.extend(f"  {_toml(name)}," for name in pin.patches)
    lines.append("]")
    lines.append("stack = [")
    for entry in pin.stack:
        lines.append(f"  {{ title = {_toml(entry.title)}, patches = {_strings(entry.patches)} }},")
    lines.append("]")
    if pin.not_checked:
        lines.append(
            f"# Carried over verbatim from the {ported_from} series: the registry artifacts do "
            "not ship these files, so their hunks were not checked against this release."
        )
        lines.append(f"not_checked = {_strings(pin.not_checked)}")
    if pin.artifacts:
        lines.append("artifacts = [")
        for a in pin.artifacts:
            drop = f", drop = {_strings(a.drop)}" if a.drop else ""
            lines.append(
                f"  {{ name = {_toml(a.name)}, kind = {_toml(a.kind)}, path = {_toml(a.path)}"
                f"{drop}, url = {_toml(a.url)}, sha256 = {_toml(a.sha256)} }},"
            )
        lines.append("]")
    return "\n".join(lines) + "\n"


def append_pin(pins_path: Path, table: str) -> str:
    """Appends the table, keeping every existing byte; returns the old text for a rollback."""
    old = pins_path.read_text(encoding="utf-8")
    separator = "" if old.endswith("\n") else "\n"
    pins_path.write_text(old + separator + "\n" + table, encoding="utf-8")
    return old
