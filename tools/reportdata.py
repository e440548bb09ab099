"""The verify report's schema, owned here: a versioned, typed dump (verify writes through it) and
load (`pr` and `proposal` read through it).

The fields are declared once, as the TypedDicts below: mypy checks the code that reads them, and
`load_report` checks a document against the same declarations at run time. A report arrives as
data (a file in a pull request, a download), so a report of another schema version, a wrong
type or (when the reader names its pins) another pin is a one-line error, never a traceback from
deep inside a template. A report without a `schema` key is schema 1: reports written before the
key existed.
"""

from __future__ import annotations

import json
import types
from collections.abc import Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypedDict, Union, cast, get_args, get_origin, get_type_hints, is_typeddict

from tools.audit.result import Configuration
from tools.errors import ConfigError, quoted
from tools.pins import PROJECTS, Pin
from tools.verify.artifacts import Variant, series_hash
from tools.verify.fixtures import FixtureName
from tools.verify.frontends import Frontend
from tools.verify.gates import GateStatus
from tools.verify.matrix import Expected

SCHEMA_VERSION = 1


class _RequiredCell(TypedDict):
    maturin: str
    pyo3: str
    frontend: str
    fixture: str
    expected: str
    compiled: list[str]
    chain_compiled: list[str]
    reasons: dict[str, list[str]]
    cold_s: float
    warm_s: float
    import_ok: bool
    import_detail: str
    ok: bool


class CellData(_RequiredCell, total=False):
    cold_by: str  # the frontend whose cold build primed the target dir
    cold_from: str  # "this run", or "prime of <date>" (a prime an earlier run made)


class _RequiredSafety(TypedDict):
    scenario: str
    description: str
    expected: str
    observed: str
    ok: bool


class SafetyData(_RequiredSafety, total=False):
    compiled: list[str]  # what the decisive build compiled
    details: list[str]
    skipped: str
    seconds: dict[str, float]  # each build's wall time by its label (not in older reports)


class _UpstreamRequired(TypedDict):
    project: str
    command: str
    passed: int
    failed: int
    ok: bool
    seconds: float


class UpstreamData(_UpstreamRequired, total=False):
    """One upstream gate. Reports written before the gates have no `name`, `status` or
    `reason`: their checks all ran, so their status follows from `ok`."""

    name: str
    status: str  # "passed", "failed" or "not run"
    reason: str  # why it was not run, or its first failure
    baseline: list[str]


class RealProjectData(TypedDict):
    name: str
    version: str
    source: str
    origin: str
    sha256: str
    pyo3: str
    packages: int


class RealBuildData(TypedDict):
    configuration: str
    frontend: str
    cold_s: float
    warm_s: float
    compiled: list[str]
    pyo3_compiled: list[str]
    reasons: dict[str, list[str]]
    build_scripts_rerun: list[str]
    import_ok: bool
    import_detail: str


class RealRunData(TypedDict):
    configuration: str
    frontend: str
    reran: bool
    python: str


class RealBuildScriptData(TypedDict):
    package: str
    version: str
    uses: list[str]
    interpreter: str
    runs: list[RealRunData]
    flag: str


class RealData(TypedDict):
    """One real project's audit (`tools.audit.result.AuditResult.to_json`), as far as the
    templates read it."""

    project: RealProjectData
    series: dict[str, str]
    builds: list[RealBuildData]
    build_scripts: list[RealBuildScriptData]
    seconds: float
    savings: dict[str, float]
    problems: list[str]


class PrefixData(TypedDict):
    """The evidence for one prefix of the pyo3 stack: the pull requests 1..`index` applied
    (the last prefix is the whole series, which the report's own cells and safety measure)."""

    index: int  # 1-based: this prefix holds pull requests 1..index of the stack
    title: str  # the title of pull request `index`
    patches: list[str]  # the patches of pull requests 1..index, in series order
    series: str  # the hash of those patches, as `series` holds for the whole series
    cells: list[CellData]  # at least the `ext` and `downstream` new/new cells under uv
    safety: list[SafetyData]  # every safety scenario, with this prefix as "pyo3 new"
    ok: bool  # every cell and scenario held
    seconds: float


class _RequiredReport(TypedDict):
    pins: dict[str, str]
    series: dict[str, str]
    cells: list[CellData]
    safety: list[SafetyData]
    upstream_tests: list[UpstreamData]
    environment: dict[str, str | float]
    ok: bool
    variants: dict[str, str]
    started: str
    seconds: float


class ReportData(_RequiredReport, total=False):
    """A verify report as `tools verify` writes it (fields the readers do not use are kept
    but not declared)."""

    schema: int
    notes: list[str]
    real: list[RealData]
    real_seconds: float
    phases: dict[str, float]  # seconds per phase: prepare, matrix, safety, upstream, real
    # One entry per proper prefix of the pyo3 stack (absent when the stack is one pull request
    # or the phase was not run); timed apart, like `real`.
    prefixes: list[PrefixData]
    prefixes_seconds: float


_SIMPLE = {str: "a string", float: "a number", int: "an integer", bool: "true or false"}


def _describe(hint: Any) -> str:
    if hint in _SIMPLE:
        return _SIMPLE[hint]
    origin, args = get_origin(hint), get_args(hint)
    if origin is list:
        return "a list of strings" if args == (str,) else "a list"
    if origin is dict:
        if args[1] is str:
            return "a table of strings"
        if get_origin(args[1]) is list:
            return "a table of string lists"
        return "a table of strings or numbers" if _is_union(args[1]) else "a table"
    if _is_union(hint):
        return " or ".join(_describe(a).removeprefix("a ") for a in args)
    return "a table"


def _is_union(hint: Any) -> bool:
    return get_origin(hint) in (Union, types.UnionType)


def _matches(value: object, hint: Any) -> bool:
    """Whether a JSON value has the declared type (a JSON integer is a number too)."""
    if hint is Any:
        return True
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    if _is_union(hint):
        return any(_matches(value, a) for a in get_args(hint))
    origin, args = get_origin(hint), get_args(hint)
    if origin is list:
        return isinstance(value, list) and all(_matches(v, args[0]) for v in value)
    if origin is dict:
        return isinstance(value, dict) and all(_matches(v, args[1]) for v in value.values())
    raise AssertionError(f"undeclared kind {hint!r}")


def _problem(value: object, hint: Any, path: str) -> str | None:
    """The first field of `value` that does not have its declared type, or None."""
    if is_typeddict(hint):
        if not isinstance(value, dict):
            return f"`{path}` must be a table" if path else "the document is not a JSON object"
        required = cast("frozenset[str]", hint.__required_keys__)
        for key, field in get_type_hints(hint).items():
            where = f"{path}.{key}" if path else key
            if key not in value:
                if key in required:
                    return f"no `{where}`"
                continue
            if (problem := _problem(value[key], field, where)) is not None:
                return problem
        return None
    if get_origin(hint) is list and is_typeddict(get_args(hint)[0]):
        if not isinstance(value, list):
            return f"`{path}` must be a list"
        for index, item in enumerate(value):
            if (problem := _problem(item, get_args(hint)[0], f"{path}[{index}]")) is not None:
                return problem
        return None
    return None if _matches(value, hint) else f"`{path}` must be {_describe(hint)}"


def report_type_problem(data: object) -> str | None:
    """The first field of a verify report with a missing or wrongly typed value, or None."""
    return _problem(data, ReportData, "")


# The fields whose values come from a fixed set: the templates select rows by them (a cell whose
# frontend is none of these falls out of every rollout table), so any other value is refused
# when the report is loaded. `[]` walks a list, `{}` names a table's keys.
_CELL_VALUES: tuple[tuple[str, Any], ...] = (
    ("maturin", Variant),
    ("pyo3", Variant),
    ("frontend", Frontend),
    ("fixture", FixtureName),
    ("expected", Expected),
)
_RUN_VALUES: tuple[tuple[str, Any], ...] = (
    ("configuration", Configuration),
    ("frontend", Frontend),
)
KNOWN_VALUES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("pins{}", PROJECTS),
    ("series{}", PROJECTS),
    ("variants{}", tuple(f"{p}_{v}" for p in PROJECTS for v in get_args(Variant))),
    *((f"cells[].{key}", get_args(kind)) for key, kind in _CELL_VALUES),
    *((f"prefixes[].cells[].{key}", get_args(kind)) for key, kind in _CELL_VALUES),
    ("upstream_tests[].project", PROJECTS),
    ("upstream_tests[].status", get_args(GateStatus)),
    *((f"real[].builds[].{key}", get_args(kind)) for key, kind in _RUN_VALUES),
    *((f"real[].build_scripts[].runs[].{key}", get_args(kind)) for key, kind in _RUN_VALUES),
)


def _values(value: object, parts: Sequence[str], where: str) -> Iterator[tuple[str, object]]:
    """Every value at the path `parts` below `value` (a report already checked for types), with
    where it is (ending in `{}` for a table's keys)."""
    if not parts:
        yield where, value
        return
    part, rest = parts[0], parts[1:]
    if not isinstance(value, dict):
        return
    field = part.removesuffix("[]").removesuffix("{}")
    inner = f"{where}.{field}" if where else field
    if part.endswith("{}"):
        yield from ((f"{inner}{{}}", key) for key in value.get(field, {}))
    elif part.endswith("[]"):
        for index, item in enumerate(value.get(field, [])):
            yield from _values(item, rest, f"{inner}[{index}]")
    elif field in value:
        yield from _values(value[field], rest, inner)


def report_value_problem(data: object) -> str | None:
    """The first field of a (well-typed) report whose value is outside its known set, or None."""
    for path, allowed in KNOWN_VALUES:
        for where, value in _values(data, path.split("."), ""):
            if value not in allowed:
                what = (
                    f"has the key {quoted(value)}"
                    if where.endswith("{}")
                    else f"is {quoted(value)}"
                )
                return f"`{where.removesuffix('{}')}` {what}, not one of {', '.join(allowed)}"
    return None


def pin_problems(report: ReportData, pins: Mapping[str, Pin], *, series: bool = True) -> list[str]:
    """How the report differs from the pins it should have been measured on: their versions
    and (with `series`) the series' content."""
    problems = []
    for project, pin in pins.items():
        measured = report["pins"].get(project)
        if measured != pin.version:
            problems.append(f"the report is for {project} {measured}, not {pin.version}")
        elif series and report["series"].get(project) != series_hash(pin):
            problems.append(f"the report was made with another {project} series")
    return problems


def dump_report(data: Mapping[str, Any]) -> str:
    """The JSON text of a report, stamped with the schema version it was written with."""
    stamped = {"schema": SCHEMA_VERSION, **{k: v for k, v in data.items() if k != "schema"}}
    return json.dumps(stamped, indent=2, sort_keys=False) + "\n"


def load_report(path: Path) -> ReportData:
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
    if isinstance(data, dict):
        schema = data.get("schema", SCHEMA_VERSION)
        if type(schema) is not int or schema != SCHEMA_VERSION:
            raise ConfigError(
                f"{path}: a verify report of schema {json.dumps(schema)[:40]}; these tools read "
                f"schema {SCHEMA_VERSION}",
                hint="make the report again with this version's `tools verify`",
            )
    if (problem := report_type_problem(data) or report_value_problem(data)) is not None:
        raise ConfigError(f"{path}: not a verify report ({problem})")
    return cast("ReportData", data)


# The reports of the older pyo3 lines, next to the reference report (`tools verify --all-pins`).
LINE_REPORTS = "verify-pyo3-*.json"


def line_reports_next_to(report: Path) -> list[Path]:
    """The older lines' reports in the reference report's folder."""
    return sorted(p for p in report.parent.glob(LINE_REPORTS) if p.resolve() != report.resolve())


def with_line_real_rows(
    report: ReportData, line_reports: Sequence[Path], pinned_pyo3: Collection[str] | None = None
) -> tuple[ReportData, list[Path]]:
    """The report with the real-project rows of the older lines' reports added (a project is
    audited in the verify of the pyo3 version its `Cargo.lock` holds), and the reports that had
    any. With `pinned_pyo3`, a line report of a version not pinned is refused."""
    real = list(report.get("real", []))
    sources = []
    for path in line_reports:
        other = load_report(path)
        if pinned_pyo3 is not None and other["pins"]["pyo3"] not in pinned_pyo3:
            raise ConfigError(
                f"{path}: a report for pyo3 {other['pins']['pyo3']}, which is not pinned",
                hint="remove it, or make it again for a pinned line",
            )
        if other.get("real"):
            real += other["real"]
            sources.append(path)
    merged: ReportData = {**report, "real": real}
    return merged, sources
