"""How long each phase of a verify run took, for the report."""

from __future__ import annotations

import time
from collections.abc import Callable

PHASES = ("prepare", "matrix", "safety", "upstream", "prefixes", "real")


class PhaseClock:
    """Times consecutive phases: `lap(name)` ends the phase `name`, begun at the previous lap
    (or when the clock was made), and records its seconds."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last = clock()
        self.seconds: dict[str, float] = {}

    def lap(self, name: str) -> float:
        now = self._clock()
        self.seconds[name] = round(now - self._last, 1)
        self._last = now
        return self.seconds[name]
