""" "Use it today": for a project the series helps (stock recompiled the pyo3 chain on a warm
rebuild, the series did not), what its maintainer can do before pyo3 and maturin release the
change: a patched pyo3 checkout through `[patch.crates-io]`, and `PYO3_BASE_PYTHON` exported in
CI (stock maturin does not export it). Pure: built from an audit's result."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from tools.audit.lockfile import PYO3_CRATES
from tools.audit.patching import patch_lines

if TYPE_CHECKING:
    from tools.audit.result import AuditResult

CHECKOUT = "../pyo3-patched"
CI_LINE = """export PYO3_BASE_PYTHON="$(python -c 'import sys; print(sys._base_executable)')\""""


@dataclass(frozen=True)
class UseToday:
    version: str  # the pinned pyo3 release the checkout is made of
    locked: str  # what the project's Cargo.lock holds
    apply: str  # the command that makes the checkout
    move: str  # the `cargo update` that moves the project's lock to `version`, or ""
    patch: tuple[str, ...]  # the `[patch.crates-io]` table, one line each
    ci_line: str
    savings: tuple[tuple[str, float, float], ...]  # (frontend, stock warm s, series warm s)


def use_it_today(result: AuditResult) -> UseToday | None:
    """What the project's maintainer can do today, or None when the series does not help it
    (nothing recompiled, or a config-file build such as abi3: nothing to gain)."""
    savings = []
    for stock in result.builds:
        series = result.build("series", stock.frontend)
        helped = series is not None and not series.pyo3_compiled and series.import_ok
        if stock.configuration == "stock" and stock.pyo3_compiled and helped and series:
            savings.append((str(stock.frontend), stock.warm_s, series.warm_s))
    project = result.project
    version = result.lock_moved.get("to", project.pyo3)
    if not savings or not version or "," in version:
        return None
    # A record written before the lock's crates were kept: the ones stock recompiled, and the
    # two the series changes.
    held = set(project.pyo3_crates) or {"pyo3-ffi", "pyo3-build-config"}.union(
        *(b.pyo3_compiled for b in result.builds if b.configuration == "stock")
    )
    crates = [crate for crate in PYO3_CRATES if crate in held]
    patch = ["[patch.crates-io]", *patch_lines(PurePosixPath(CHECKOUT), crates)]
    moved = result.lock_moved.get("from")
    return UseToday(
        version=version,
        locked=project.pyo3,
        apply=f"tools apply pyo3 --version {version} --dest {CHECKOUT}",
        move=f"cargo update -p {project.pyo3_crate} --precise {version}" if moved else "",
        patch=tuple(patch),
        ci_line=CI_LINE,
        savings=tuple(savings),
    )


def today_lines(today: UseToday) -> list[str]:
    """The section as plain lines (the terminal's form)."""
    saved = ", ".join(f"{f} {stock:.1f} s -> {series:.1f} s" for f, stock, series in today.savings)
    lines = [
        f"the series saves on every warm rebuild here: {saved}",
        f"1. make a pyo3 {today.version} checkout with the series next to the project: "
        f"{today.apply}",
    ]
    if today.move:
        lines.append(f"   and move the project's lock from {today.locked}: {today.move}")
    lines.append("2. add to the workspace's Cargo.toml:")
    lines.extend(f"   {line}" for line in today.patch)
    lines.append("3. in CI, before the build (stock maturin does not export it):")
    lines.append(f"   {today.ci_line}")
    return lines
