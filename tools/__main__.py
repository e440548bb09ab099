from __future__ import annotations

from tools.entry import entry

entry()
