"""Escaping for values that land in Markdown: a value can add text, never structure.

Report strings, pin values and patch subjects are rendered into pull request bodies and
reports. Each is put on one line, capped in length, and escaped for where it lands: running
text or a table cell (`text`), an inline code span (`code`), or a shell command line inside a
fenced block (`shell`). `@mentions` are broken with a zero-width space so nobody is notified.
"""

from __future__ import annotations

import re
import shlex

MAX_LENGTH = 300
ZWSP = "\u200b"


class Trusted(str):
    """Markdown the templates made themselves (an escaped value, a code span); not escaped again."""

    __slots__ = ()


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029]")
_LINE_BREAKS = re.compile(r"[\t\n\r\x0b\x0c]+")
# Punctuation that can open or close Markdown or HTML structure wherever it stands.
_ALWAYS = re.compile(r"([\\`*\[\]<>|~$])")
# `_` only delimits emphasis when something other than a letter or digit follows it.
_UNDERSCORE = re.compile(r"_(?![0-9A-Za-z])")
_MENTION = re.compile(r"@(?=[0-9A-Za-z])")


def one_line(value: object, limit: int = MAX_LENGTH) -> str:
    text = _LINE_BREAKS.sub(" ", str(value))
    text = _CONTROL.sub("", text)
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "\u2026"
    return text


def _no_mentions(text: str) -> str:
    return _MENTION.sub("@" + ZWSP, text)


def text(value: object) -> Trusted:
    """Running text or a table cell: structure characters escaped, entities kept literal."""
    if isinstance(value, Trusted):
        return value
    escaped = one_line(value).replace("&", "&amp;")
    escaped = _ALWAYS.sub(r"\\\1", escaped)
    escaped = _UNDERSCORE.sub(r"\\_", escaped)
    return Trusted(_no_mentions(escaped))


def code(value: object, *, cell: bool = False) -> Trusted:
    """An inline code span holding `value` exactly (up to line breaks and the length cap)."""
    content = one_line(value)
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    fence = "`" * (longest + 1)
    if content.startswith("`") or content.endswith("`"):
        content = f" {content} "
    if cell:
        # GitHub splits table rows on `|` even inside code spans; escaped, it shows as `|`.
        content = content.replace("|", "\\|")
    return Trusted(f"{fence}{content}{fence}")


def shell(value: object) -> Trusted:
    """One shell word on a line of a fenced code block."""
    return Trusted(shlex.quote(one_line(value)))


def subject(value: object) -> Trusted:
    """A commit subject: its code spans kept when balanced, everything else as `text`."""
    line = one_line(value)
    parts = line.split("`")
    if len(parts) % 2 == 0:
        return text(line)
    rendered = [str(code(part)) if i % 2 else text(part) for i, part in enumerate(parts)]
    return Trusted("".join(rendered))


def finalize(value: object) -> object:
    """Applied to every `{{ ... }}`: numbers as they are, strings escaped unless Trusted."""
    if isinstance(value, (Trusted, bool, int, float)):
        return value
    return text(value)
