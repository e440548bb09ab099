"""What cargo itself says about a build: which packages it compiled, and why.

Cargo prints `Compiling <package> v<version>` for every unit it compiles, and with
`CARGO_LOG=cargo::core::compiler::fingerprint=info` it logs every stale fingerprint followed by
the reason (`dirty: EnvVarChanged { name: "PYO3_PYTHON", ... }`). Both pass through maturin and
the PEP 517 frontends on stderr.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

FINGERPRINT_LOG = "cargo::core::compiler::fingerprint=info"
# maturin logs the environment of its cargo command at this level: which variables it exported.
MATURIN_LOG = "maturin::compile=debug"
PYO3_CHAIN = ("pyo3-build-config", "pyo3-ffi", "pyo3-macros-backend", "pyo3-macros", "pyo3")

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_COMPILING = re.compile(r"^\s*Compiling (?P<name>[A-Za-z0-9_.-]+) v\d", re.MULTILINE)
_DIRTY_FOR = re.compile(
    r"fingerprint dirty for (?P<name>[A-Za-z0-9_.-]+) v[^\s/]+(?: \([^)]*\))?/(?P<mode>\w+)/"
)
_DIRTY = re.compile(r"cargo::core::compiler::fingerprint:\s+dirty: (?P<reason>.*)$")
_ENV_CHANGED = re.compile(r'EnvVarChanged \{ name: "(?P<name>[^"]+)"')
_FILE_CHANGED = re.compile(r'(?:ChangedFile|MissingFile)\s*\{.*?\bstale: "(?P<path>[^"]+)"')
_CARGO_COMMAND = re.compile(r"maturin::compile.*Running env (?P<env>.*?) \"cargo\"")
# Values are Rust `Debug` strings: on Windows every backslash of a path comes doubled.
_ASSIGNMENT = re.compile(r'(?P<name>PYO3_[A-Z_]+)="(?P<value>(?:[^"\\]|\\.)*)"')
_DEBUG_ESCAPE = re.compile(r"\\(.)")
_WARNING = re.compile(r"^warning: (?P<package>[A-Za-z0-9_.-]+)@\S+: (?P<text>.*)$", re.MULTILINE)

_MODES = {"RunCustomBuild": "build script", "Build": "compile"}


@dataclass(frozen=True)
class BuildEvidence:
    compiled: tuple[str, ...]
    reasons: dict[str, list[str]] = field(default_factory=dict)
    warnings: dict[str, list[str]] = field(default_factory=dict)
    maturin_env: dict[str, str] = field(default_factory=dict)

    def chain_compiled(self) -> tuple[str, ...]:
        return tuple(name for name in self.compiled if name in PYO3_CHAIN)


def describe_reason(raw: str) -> str:
    """A short, readable form of one `dirty:` reason from cargo's fingerprint log."""
    if match := _ENV_CHANGED.search(raw):
        return f"env {match['name']} changed"
    if raw.startswith(("UnitDependencyInfoChanged", "FsStatusOutdated(StaleDepFingerprint")):
        return "a dependency changed"
    if match := _FILE_CHANGED.search(raw):
        return f"file changed: {match['path']}"
    if raw.startswith("FsStatusOutdated"):
        return "outputs outdated: " + raw[len("FsStatusOutdated") :].strip("() ")[:80]
    return raw.split(" {", 1)[0].split("(", 1)[0][:80]


def parse_cargo_output(text: str) -> BuildEvidence:
    clean = _ANSI.sub("", text)
    compiled: list[str] = []
    for match in _COMPILING.finditer(clean):
        if match["name"] not in compiled:
            compiled.append(match["name"])
    reasons: dict[str, list[str]] = {}
    current: tuple[str, str] | None = None
    for line in clean.splitlines():
        if dirty_for := _DIRTY_FOR.search(line):
            current = (dirty_for["name"], _MODES.get(dirty_for["mode"], dirty_for["mode"]))
            continue
        if current is not None and (dirty := _DIRTY.search(line)):
            name, mode = current
            reason = f"{mode}: {describe_reason(dirty['reason'])}"
            if reason not in reasons.setdefault(name, []):
                reasons[name].append(reason)
            current = None
    warnings: dict[str, list[str]] = {}
    for warning in _WARNING.finditer(clean):
        warnings.setdefault(warning["package"], []).append(warning["text"].strip())
    maturin_env: dict[str, str] = {}
    if command := _CARGO_COMMAND.search(clean):
        maturin_env = {
            m["name"]: _DEBUG_ESCAPE.sub(r"\1", m["value"])
            for m in _ASSIGNMENT.finditer(command["env"])
        }
    return BuildEvidence(tuple(compiled), reasons, warnings, maturin_env)
