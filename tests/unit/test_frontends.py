"""The frontend commands, as data: what each frontend is asked to build, and for which
interpreter (offline: nothing is run)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tools.verify.frontends import BuildSetup, frontend_command


def test_pip_builds_for_another_environment_with_its_python_option() -> None:
    setup = BuildSetup(
        wheelhouse=Path("/wh"),
        target_dir=Path("/t"),
        python=Path("/v/python"),
        extra_env={},
        pip_target=Path("/env/bin/python"),
    )
    command = frontend_command("pip", Path("/p"), Path("/out"), setup)
    # pip takes --python only before its subcommand
    assert command[:6] == ["/v/python", "-m", "pip", "--python", "/env/bin/python", "wheel"]
    assert command[-1] == "/p"
    plain = frontend_command("pip", Path("/p"), Path("/out"), replace(setup, pip_target=None))
    assert plain[:4] == ["/v/python", "-m", "pip", "wheel"]
