"""The console script's start-up: Ctrl-C while the libraries load is exit 130, one line."""

from __future__ import annotations

import builtins
import sys
from typing import Any

import pytest

from tools import entry as entry_module


def test_ctrl_c_while_importing_is_one_line_and_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real_import = builtins.__import__

    def interrupted_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "tools.cli":
            raise KeyboardInterrupt
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "tools.cli", raising=False)
    monkeypatch.setattr(builtins, "__import__", interrupted_import)
    with pytest.raises(SystemExit) as exited:
        entry_module.entry()
    assert exited.value.code == 130
    assert capsys.readouterr().err == "error: interrupted\n"
