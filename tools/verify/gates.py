"""Upstream's gates, as data: the checks upstream CI would run on the files the series touches.

A gate names its project, the command (the tool by its name: `ruff`, `nox`, … are resolved to
this environment's copies when it runs), the parser that reads its output, the directory it runs
in and the files it needs. A gate whose files the tree lacks (the registry artifacts ship no
`noxfile.py`, `newsfragments/`, `pyproject.toml`, `.pre-commit-config.yaml`, …) is not run, and
says what is missing; it is never counted as passed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tools.newsfragments import numbered
from tools.pins import Pin
from tools.series import load_series

# How a gate's output is read (see `tools.verify.upstream.parse_outcome`).
ParserKind = Literal["fmt", "clippy", "test", "build", "ruff", "typos", "rumdl", "nox"]
GateStatus = Literal["passed", "failed", "not run"]
NEEDS_PR_NUMBER = "needs the pull request number (--pr-number)"


@dataclass(frozen=True, kw_only=True)
class Gate:
    name: str
    project: str
    args: tuple[str, ...]
    kind: ParserKind
    cwd: str = "."  # relative to the tree
    needs: tuple[str, ...] = ()  # files and directories relative to the tree
    cargo: bool = False  # builds with cargo: gets the shared target directory
    # whether a failure is compared with the tree without the series; not for a gate that
    # checks what the series itself must add (its nox session, its newsfragment)
    baseline: bool = True
    # the pull request number the changelog gate puts in the GitHub event it reads
    pr_event: int | None = None
    pr_title: str = ""
    not_run: str | None = None  # decided when the gate was made (no PR number, no such file)
    # the name of the gate this one stands in for: it runs only when that one could not build
    # here (a feature's system library missing), and is otherwise recorded as not run
    fallback_for: str | None = None

    @property
    def command(self) -> str:
        where = "" if self.cwd == "." else f" (in {self.cwd})"
        return " ".join(self.args) + where


def not_run_reason(gate: Gate, exists: Callable[[str], bool]) -> str | None:
    """Why `gate` cannot run on a tree where `exists(path)` tells which files are present, or
    None when it can."""
    if gate.not_run is not None:
        return gate.not_run
    needs = list(gate.needs)
    if gate.cargo:  # a cargo gate runs on the manifest in its directory
        needs.insert(0, "Cargo.toml" if gate.cwd == "." else f"{gate.cwd}/Cargo.toml")
    missing = [path for path in needs if not exists(path)]
    if missing:
        return f"needs the git source: the tree has no {', '.join(missing)}"
    return None


def fallback_not_needed(gate: Gate, ran: Mapping[str, GateStatus]) -> str | None:
    """Why a stand-in gate is not run: the gate it stands in for ran (`ran` maps the names of
    the gates run so far to their status). None for any other gate, or when it is needed."""
    if gate.fallback_for is None or ran.get(gate.fallback_for, "not run") == "not run":
        return None
    return f"the `{gate.fallback_for}` gate ran and covers it; it runs only when that one cannot"


def local_patch_args(root_manifest: str, crates: Mapping[str, Path]) -> list[str]:
    """cargo options that make a tree laid out from registry artifacts build its crates from
    each other, as upstream's workspace does.

    A published crate's manifest names its siblings by version only, so in such a tree the root
    crate and pyo3-ffi would build against the crate registry's pyo3-build-config, not the one
    beside them with the series. Upstream's own tree is a workspace (its root manifest declares
    `[workspace]`) and needs nothing. `crates` maps each sibling crate's name to its directory.
    """
    if re.search(r"^\[workspace\]", root_manifest, re.M):
        return []
    args: list[str] = []
    for name, path in sorted(crates.items()):
        args += ["--config", f"patch.crates-io.{name}.path={json.dumps(str(path))}"]
    return args


def needed_siblings(own: str, deps: Mapping[str, frozenset[str]]) -> list[str]:
    """The sibling crates the crate `own` builds with, directly or through each other: `deps`
    maps each sibling crate's name to the names it depends on. (A patch that nothing uses makes
    cargo warn, so only these are patched.)"""
    found: set[str] = set()
    todo = [name for name in deps.get(own, frozenset()) if name in deps]
    while todo:
        name = todo.pop()
        if name in found or name == own:
            continue
        found.add(name)
        todo += [dep for dep in deps[name] if dep in deps]
    return sorted(found)


def changed_files(pin: Pin, pr_numbers: Sequence[int] | None = None) -> list[str]:
    """The files the series changes, in series order, as named on the branch: a newsfragment
    placeholder becomes the number of the pull request that carries it, once there is one
    (`pr_numbers`: one per pull request of the stack, in order)."""
    seen: list[str] = []
    for patch in load_series(pin):
        number = pin.pr_number_of(patch.name, pr_numbers)
        for change in patch.files:
            path = change.path if number is None else numbered(change.path, number)
            if path not in seen:
                seen.append(path)
    return seen


def feature_args(crate_manifest: str) -> list[str]:
    """Up to 0.28 the code the series touches sits behind pyo3-build-config's non-default
    `resolve-config`; from 0.29 pyo3 enables it for its dependency, so it is named too (the
    gates run per crate, where a workspace build would unify it in)."""
    return (
        ["--features", "resolve-config"]
        if re.search(r"^resolve-config\s*=", crate_manifest, re.M)
        else []
    )


def pyo3_gates(
    changed: Sequence[str], *, build_config_manifest: str, pr_number: int | None, title: str
) -> list[Gate]:
    """pyo3's CI gates for the series (its noxfile's `rustfmt`, `clippy`, `ruff`, `typos`,
    `rumdl` and `check-changelog` sessions, narrowed to the crates and files the series
    touches), the touched crates' tests and build, and the series' own nox session."""
    features = feature_args(build_config_manifest)
    # pyo3's `rumdl` session checks the guide only (`rumdl check guide`), not newsfragments/
    markdown = tuple(p for p in changed if p.startswith("guide/") and p.endswith(".md"))
    no_markdown = None if markdown else "the series changes no Markdown file of the guide"
    return [
        Gate(
            name="rustfmt",
            project="pyo3",
            args=("cargo", "fmt", "--all", "--check"),
            kind="fmt",
            cargo=True,
        ),
        Gate(
            name="rustfmt",
            project="pyo3",
            args=("cargo", "fmt", "--check"),
            kind="fmt",
            cwd="pyo3-build-config",
            cargo=True,
        ),
        Gate(
            name="clippy",
            project="pyo3",
            args=(
                "cargo",
                "clippy",
                "--no-default-features",
                *features,
                "--all-targets",
                "--",
                "--deny=warnings",
            ),
            kind="clippy",
            cwd="pyo3-build-config",
            cargo=True,
        ),
        Gate(
            name="clippy",
            project="pyo3",
            args=(
                "cargo",
                "clippy",
                "--no-default-features",
                "--all-targets",
                "--",
                "--deny=warnings",
            ),
            kind="clippy",
            cwd="pyo3-ffi",
            cargo=True,
        ),
        Gate(
            name="clippy (build.rs)",
            project="pyo3",
            args=("cargo", "clippy", "--no-default-features", "--lib", "--", "--deny=warnings"),
            kind="clippy",
            cargo=True,
        ),
        Gate(
            name="tests",
            project="pyo3",
            args=("cargo", "test", *features),
            kind="test",
            cwd="pyo3-build-config",
            cargo=True,
        ),
        Gate(
            name="build",
            project="pyo3",
            args=("cargo", "build"),
            kind="build",
            cwd="pyo3-ffi",
            cargo=True,
        ),
        Gate(
            name="nox test-base-python",
            project="pyo3",
            args=("nox", "--no-venv", "-s", "test-base-python"),
            kind="nox",
            needs=("noxfile.py",),
            cargo=True,
            baseline=False,
        ),
        Gate(
            name="ruff",
            project="pyo3",
            args=("ruff", "check", "--output-format", "concise", "noxfile.py"),
            kind="ruff",
            needs=("noxfile.py", "pyproject.toml"),
        ),
        Gate(
            name="ruff format",
            project="pyo3",
            args=("ruff", "format", "--check", "--output-format", "concise", "noxfile.py"),
            kind="ruff",
            needs=("noxfile.py", "pyproject.toml"),
        ),
        Gate(
            name="typos",
            project="pyo3",
            args=("typos", "--format", "brief", "--config", "typos.toml", *changed),
            kind="typos",
            needs=("typos.toml", *changed),
        ),
        Gate(
            name="rumdl",
            project="pyo3",
            args=("rumdl", "check", *markdown),
            kind="rumdl",
            needs=("pyproject.toml", *markdown),
            not_run=no_markdown,
        ),
        Gate(
            name="changelog",
            project="pyo3",
            args=("nox", "--no-venv", "-s", "check-changelog"),
            kind="nox",
            needs=("noxfile.py", "newsfragments"),
            pr_event=pr_number,
            pr_title=title,
            baseline=False,
            not_run=None if pr_number is not None else NEEDS_PR_NUMBER,
        ),
    ]


def precommit_not_run(config: str | None) -> str:
    """Why maturin's pre-commit hooks are not run as pre-commit: it installs every hook from
    its repository on github.com, unreachable here. The hooks that are local commands (cargo
    fmt, cargo clippy) and ruff run as gates of their own."""
    if config is None:
        return "needs the git source: the tree has no .pre-commit-config.yaml"
    remote = [
        m.group(1).removeprefix("https://github.com/")
        for m in re.finditer(r"^\s*-\s*repo:\s*(https://\S+)", config, re.M)
    ]
    if not remote:
        return "no hooks to fetch, but pre-commit is not one of the verify tools"
    return (
        f"pre-commit installs its hooks from github.com, unreachable here ({', '.join(remote)}); "
        "cargo fmt, cargo clippy and ruff run as the gates above"
    )


def maturin_gates(changed: Sequence[str], *, precommit_config: str | None) -> list[Gate]:
    """maturin's gates: rustfmt, the clippy its contributor guide asks for, clippy as the
    sdist builds (only when `--all-features` cannot build here), the unit tests of the modules the
    series touches, and its pre-commit hooks (ruff for the changed Python files)."""
    python = tuple(p for p in changed if p.endswith(".py"))
    gates = [
        Gate(
            name="rustfmt",
            project="maturin",
            args=("cargo", "fmt", "--all", "--check"),
            kind="fmt",
            cargo=True,
        ),
        Gate(
            name="clippy",
            project="maturin",
            args=("cargo", "clippy", "--tests", "--all-features", "--", "-D", "warnings"),
            kind="clippy",
            cargo=True,
        ),
        Gate(
            name="clippy (default features)",
            project="maturin",
            args=("cargo", "clippy", "--lib", "--tests", "--", "-D", "warnings"),
            kind="clippy",
            cargo=True,
            fallback_for="clippy",
        ),
    ]
    for module in _test_filters(changed):
        gates.append(
            Gate(
                name="tests",
                project="maturin",
                args=("cargo", "test", "--lib", module),
                kind="test",
                cargo=True,
            )
        )
    if python:
        gates += [
            Gate(
                name="ruff (pre-commit)",
                project="maturin",
                args=("ruff", "check", "--output-format", "concise", *python),
                kind="ruff",
                needs=("pyproject.toml", *python),
            ),
            Gate(
                name="ruff format (pre-commit)",
                project="maturin",
                args=("ruff", "format", "--check", "--output-format", "concise", *python),
                kind="ruff",
                needs=("pyproject.toml", *python),
            ),
        ]
    gates.append(
        Gate(
            name="pre-commit",
            project="maturin",
            args=("pre-commit", "run", "--files", *changed),
            kind="build",
            not_run=precommit_not_run(precommit_config),
        )
    )
    return gates


def _test_filters(changed: Sequence[str]) -> list[str]:
    """Test name filters for the maturin modules the series touches (`src/compile.rs` ->
    `compile::`)."""
    filters: list[str] = []
    for name in changed:
        path = Path(name)
        if path.parts[:1] != ("src",) or path.suffix not in (".rs", ".py"):
            continue
        module = path.parts[1] if len(path.parts) > 2 else path.stem
        if f"{module}::" not in filters:
            filters.append(f"{module}::")
    return filters


def gates_for(pin: Pin, tree: Path, pr_numbers: Sequence[int] | None = None) -> list[Gate]:
    """The gates for `pin`'s series on `tree` (reads the two files the gates depend on); the
    changelog gate checks for the pull request of the series' last patch."""
    changed = changed_files(pin, pr_numbers)
    pr_number = pin.pr_number_of(pin.patches[-1], pr_numbers) if pin.patches else None
    if pin.project == "pyo3":
        manifest = tree / "pyo3-build-config" / "Cargo.toml"
        title = load_series(pin)[0].subject if pin.patches else pin.branch
        return pyo3_gates(
            changed,
            build_config_manifest=manifest.read_text("utf-8") if manifest.is_file() else "",
            pr_number=pr_number,
            title=title,
        )
    config = tree / ".pre-commit-config.yaml"
    return maturin_gates(
        changed, precommit_config=config.read_text("utf-8") if config.is_file() else None
    )
