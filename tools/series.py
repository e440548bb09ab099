"""Reading a `git format-patch` series: headers, message and the diff, parsed with unidiff."""

from __future__ import annotations

import email.parser
import email.policy
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from unidiff.errors import UnidiffParseError
from unidiff.patch import PatchSet

from tools.errors import ConfigError
from tools.patchbytes import diff_problem
from tools.pins import Pin

_SUBJECT_PREFIX = re.compile(r"^\[PATCH[^\]]*\]\s*")


@dataclass(frozen=True)
class Hunk:
    index: int
    source_start: int
    header: str


@dataclass(frozen=True)
class FileChange:
    path: str
    hunks: tuple[Hunk, ...]
    added_lines: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class Patch:
    path: Path
    author: str
    subject: str
    body: str
    files: tuple[FileChange, ...]

    @property
    def name(self) -> str:
        return self.path.name

    def file(self, path: str) -> FileChange | None:
        return next((f for f in self.files if f.path == path), None)


def _message_and_diff(path: Path, text: str) -> tuple[str, str]:
    marker = re.search(r"^diff --git ", text, flags=re.MULTILINE)
    if marker is None:
        raise ConfigError(f"{path}: no `diff --git` section; not a git format-patch file")
    return text[: marker.start()], text[marker.start() :]


def parse_patch(path: Path) -> Patch:
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: patch file not found") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the patch: {exc.strerror}") from exc
    # the bytes as written, before unidiff (which drops a hunk it cannot parse) and before any
    # line-end translation
    if (problem := diff_problem(data)) is not None:
        raise ConfigError(f"{path}:{problem.line}: {problem.problem}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text") from exc
    head, diff = _message_and_diff(path, text)
    message = email.parser.Parser(policy=email.policy.default).parsestr(head)
    author = str(message.get("From", "")).strip()
    subject = _SUBJECT_PREFIX.sub("", " ".join(str(message.get("Subject", "")).split()))
    payload = message.get_payload()
    body_text = payload if isinstance(payload, str) else ""
    body = body_text.split("\n---\n", 1)[0].strip()
    if body.endswith("\n---"):
        body = body[: -len("\n---")].strip()
    if body == "---":
        body = ""
    if not author:
        raise ConfigError(f"{path}: no From: header (author)")
    try:
        patch_set = PatchSet(diff)
    except UnidiffParseError as exc:
        raise ConfigError(f"{path}: malformed diff: {exc}") from exc
    if not patch_set:
        raise ConfigError(f"{path}: the diff is empty")
    files = []
    for patched in patch_set:
        hunks = tuple(
            Hunk(
                index=i + 1,
                source_start=h.source_start,
                header=f"@@ -{h.source_start},{h.source_length} "
                f"+{h.target_start},{h.target_length} @@",
            )
            for i, h in enumerate(patched)
        )
        added = tuple(
            (line.target_line_no or 0, line.value) for h in patched for line in h if line.is_added
        )
        name = patched.target_file if patched.is_added_file else patched.source_file
        files.append(FileChange(path=_strip_prefix(name), hunks=hunks, added_lines=added))
    return Patch(path=path, author=author, subject=subject, body=body, files=tuple(files))


def _strip_prefix(name: str) -> str:
    for prefix in ("a/", "b/"):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def load_series(pin: Pin) -> tuple[Patch, ...]:
    return tuple(parse_patch(path) for path in pin.patch_paths)


def message_problems(patch: Patch) -> list[str]:
    problems = []
    if not patch.subject:
        problems.append(f"{patch.path}: no subject")
    elif len(patch.subject) > 72:
        problems.append(f"{patch.path}: subject is longer than 72 characters")
    if not patch.body:
        problems.append(f"{patch.path}: no body explaining the change")
    return problems


def whitespace_problems(patch: Patch) -> list[str]:
    problems = []
    for change in patch.files:
        for line_no, value in change.added_lines:
            content = value.rstrip("\n")
            if content != content.rstrip(" \t") or content.endswith("\r"):
                problems.append(
                    f"{patch.path}: {change.path}:{line_no}: trailing whitespace in an added line"
                )
    return problems


# Path parts and suffixes of build output, which never belongs in a series (a `cargo test` run in
# a checkout before `git add -A` puts a whole target dir into a patch).
_BUILD_OUTPUT_PARTS = frozenset({"target", "__pycache__", ".pytest_cache", ".venv", "node_modules"})
_BUILD_OUTPUT_SUFFIXES = (".o", ".rlib", ".rmeta", ".so", ".dylib", ".dll", ".pyc", ".whl")


def build_output_problems(patch: Patch) -> list[str]:
    """Files a patch adds that are build output or binary rather than source."""
    problems = []
    for change in patch.files:
        parts = PurePosixPath(change.path).parts
        if _BUILD_OUTPUT_PARTS.intersection(parts) or change.path.endswith(_BUILD_OUTPUT_SUFFIXES):
            problems.append(f"{patch.path}: {change.path}: build output does not belong in a patch")
    if "\nGIT binary patch\n" in patch.path.read_text(encoding="utf-8", errors="replace"):
        problems.append(f"{patch.path}: carries a binary patch")
    return problems


def unshipped_files(pin: Pin, patch: Patch) -> list[str]:
    """Files this patch touches that the registry artifacts do not ship."""
    return [change.path for change in patch.files if not pin.is_shipped(change.path)]
