from __future__ import annotations

from tools.cli import entry

entry()
