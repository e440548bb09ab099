"""Fixed inputs for rendering pull request bodies and comments in the golden tests: the base a
branch was prepared on (upstream's `main`, after the pin the evidence was measured on), the
branches of a stack, a two-PR split of the pyo3 series, a report with per-prefix evidence, and
the delta to an open pull request's head."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any, cast

from tools.newsfragments import placeholders
from tools.pins import Pin, StackEntry, load_pins
from tools.pr import RenderInputs
from tools.pr_branch import BranchBase, StackBranch
from tools.pr_delta import Delta, FileDelta
from tools.reportdata import ReportData
from tools.series import load_series

# A commit on upstream's main that is not the pinned release's (as pyo3's patch releases are not).
MAIN_COMMIT = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0"
FORK = "https://github.com/example-user/{project}.git"
TWO_PR_TITLES = (
    "pyo3-build-config: prefer PYO3_BASE_PYTHON for interpreter discovery",
    "pyo3-build-config: the opt-in build_env_interpreter() for build scripts",
)


def golden_base(pin: Pin) -> BranchBase:
    return BranchBase(
        source="git",
        ref="main",
        commit=MAIN_COMMIT,
        measured_ref=pin.tag or "",
        measured_commit=pin.commit,
    )


def golden_fragments(pin: Pin, patches: tuple[str, ...] | None = None) -> list[str]:
    """The newsfragments on a branch prepared from the git source before the number is known."""
    names = pin.patches if patches is None else patches
    return placeholders(
        c.path for patch in load_series(replace(pin, patches=names)) for c in patch.files
    )


def pins(project: str) -> tuple[Pin, Pin]:
    every = load_pins()
    return every.select(project, None), every.select(
        "maturin" if project == "pyo3" else "pyo3", None
    )


def two_pr_pin(pin: Pin) -> Pin:
    """The pyo3 series split as a stack of two: the first patch, then the rest."""
    first, rest = pin.patches[:1], pin.patches[1:]
    stack = (
        StackEntry(title=TWO_PR_TITLES[0], patches=first),
        StackEntry(title=TWO_PR_TITLES[1], patches=rest),
    )
    return replace(pin, stack=stack)


def golden_branches(pin: Pin, fragments: bool = True) -> list[StackBranch]:
    names = [pin.branch] if len(pin.stack) == 1 else [f"{pin.branch}-{k}" for k in (1, 2)]
    return [
        StackBranch(
            index,
            entry.title,
            name,
            f"{index:040x}",
            entry.patches,
            tuple(golden_fragments(pin, entry.patches)) if fragments else (),
        )
        for index, (entry, name) in enumerate(zip(pin.stack, names, strict=True), 1)
    ]


def golden_inputs(
    pin: Pin, sibling: Pin, report: ReportData, *, unverified: list[str] | None = None
) -> RenderInputs:
    return RenderInputs(
        pin=pin,
        sibling=sibling,
        report=report,
        unverified=unverified or [],
        base=golden_base(pin),
        branches=golden_branches(pin),
        real_sources=(),
    )


def with_prefix(report: ReportData, pin: Pin) -> ReportData:
    """The report with prefix 1 of a two-PR stack measured: its `ext` and `downstream` cells
    under uv and every safety scenario, taken from the whole series' (as a verify that found
    the prefix behaving the same would write them)."""
    data = cast("dict[str, Any]", copy.deepcopy(report))
    cells = [
        c
        for c in data["cells"]
        if c["frontend"] == "uv" and c["pyo3"] == "new" and c["fixture"] in ("ext", "downstream")
    ]
    data["prefixes"] = [
        {
            "index": 1,
            "title": pin.stack[0].title,
            "patches": list(pin.stack[0].patches),
            "series": "0" * 12,
            "cells": cells,
            "safety": data["safety"],
            "ok": True,
            "seconds": 120.0,
        }
    ]
    return cast("ReportData", data)


def golden_delta() -> Delta:
    """How a stack differs from an open pull request's head, as `fetch_delta` reports it."""
    return Delta(
        6114,
        "6f852ae8d" + "0" * 31,
        "b" * 40,
        [
            FileDelta("newsfragments/6114.added.md", (1, 0), None),
            FileDelta("pyo3-build-config/src/impl_.rs", (52, 5), (180, 12)),
            FileDelta("guide/src/building-and-distribution.md", None, (40, 2)),
        ],
        "1:  6f852ae < -:  ------- Add PYO3_BASE_PYTHON\n"
        "-:  ------- > 1:  1234567 pyo3-build-config: prefer PYO3_BASE_PYTHON\n",
    )
