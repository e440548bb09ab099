"""Resolving the project with cargo before anything is built: where its own target dir is (so
the copy leaves exactly that out), and whether every locked dependency can be fetched (a git
dependency out of reach fails here in seconds, not after maturin's builds)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tools.audit.importcheck import error_line
from tools.audit.lockfile import Workspace, locked_versions
from tools.errors import CommandFailed
from tools.runner import Runner


def cargo_env() -> dict[str, str]:
    """The environment without a target dir or log level of the user's, so cargo reports the
    project's own target dir and the copy's builds use the audit's."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("CARGO_TARGET", "CARGO_LOG"))}


def _metadata(runner: Runner, workspace: Workspace, *options: str) -> dict[str, Any]:
    result = runner.run(
        [
            "cargo",
            "metadata",
            "--format-version",
            "1",
            *options,
            "--manifest-path",
            workspace.manifest,
        ],
        cwd=workspace.root,
        env=cargo_env(),
    )
    try:
        data: dict[str, Any] = json.loads(result.stdout)
    except ValueError as exc:
        raise CommandFailed(f"`cargo metadata` printed no JSON: {exc}") from exc
    return data


def own_target_dir(runner: Runner, workspace: Workspace, project: Path) -> Path | None:
    """The project's cargo target dir when it lies inside the project (from
    `cargo metadata --no-deps`, which reads the project's cargo configuration, resolves
    nothing and writes nothing)."""
    data = _metadata(runner, workspace, "--no-deps", "--offline")
    target = Path(str(data.get("target_directory", ""))).resolve()
    return target if target.is_relative_to(project.resolve()) and target != project else None


def resolve(
    runner: Runner, workspace: Workspace, *, locked: bool, git: Sequence[tuple[str, str]]
) -> dict[str, Any]:
    """Cargo's description of every package of the workspace, with every source downloaded
    (`--locked`: the lock is used as it is). A failure is cargo's own `error:` line; one caused
    by git dependencies names them."""
    try:
        return _metadata(runner, workspace, *(["--locked"] if locked else []))
    except CommandFailed as exc:
        raise resolve_failure(exc.output, git) from exc


def resolve_failure(output: str, git: Sequence[tuple[str, str]]) -> CommandFailed:
    """The error for a failed resolve: the git dependencies cargo could not fetch, named with
    their repositories, or else cargo's first `error:` line."""
    said = error_line(output) or "cargo metadata failed"
    unreachable = [(name, url) for name, url in git if url in output or f"`{name}`" in output]
    if unreachable:
        names = ", ".join(f"{name} ({url})" for name, url in unreachable)
        return CommandFailed(
            f"the project's git dependencies cannot be fetched: {names}",
            hint=f"cargo said: {said}; audit where that repository is reachable",
        )
    return CommandFailed(
        f"cargo could not resolve the project: {said}",
        output=output,
        hint="every locked dependency must be downloadable from the registry",
    )


def move_lock(runner: Runner, workspace: Workspace, crate: str, to: str) -> None:
    """Moves the pyo3 crates of a copy's `Cargo.lock` to release `to` of their minor line with
    `cargo update --precise`: `crate` (pyo3, or pyo3-ffi for a project without pyo3) first,
    which moves the siblings it requires exactly; any sibling left behind is moved on its own.
    A failure is cargo's `error:` line."""
    for package in [crate, *_behind(workspace, to, crate)]:
        if package != crate and package not in _behind(workspace, to):
            continue
        try:
            runner.run(
                [
                    "cargo",
                    "update",
                    "--manifest-path",
                    workspace.manifest,
                    "-p",
                    f"{package}",
                    "--precise",
                    to,
                ],
                cwd=workspace.root,
                env=cargo_env(),
            )
        except CommandFailed as exc:
            said = error_line(exc.output) or f"cargo update -p {package} --precise {to} failed"
            raise CommandFailed(
                f"could not move the copy's lock to {package} {to}: {said}",
                output=exc.output,
                hint="`tools audit --exact` refuses the project instead of moving its lock",
            ) from exc
    left = _behind(workspace, to)
    if left:
        raise CommandFailed(
            f"`cargo update --precise {to}` left {', '.join(left)} at another version in "
            f"{workspace.lock}",
            hint="`tools audit --exact` refuses the project instead of moving its lock",
        )


def _behind(workspace: Workspace, to: str, *leave: str) -> list[str]:
    """The pyo3 crates the lock holds at a version other than `to`."""
    locked = locked_versions(workspace.lock.read_text())
    return [
        name
        for name, versions in locked.items()
        if name not in leave and any(v != to for v in versions)
    ]
