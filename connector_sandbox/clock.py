"""The simulator clock an operator can move forward (``POST /sandbox/clock``).

Token lifetimes, rate windows and "updated since" stamps follow the simulator's own clock, so a test
lives through a 24 h token or a day boundary in a second instead of waiting for it.
"""

from __future__ import annotations

import datetime as dt


class MovableClock:
    """Mixin for a simulator state: ``now()`` is UTC plus ``clock_offset``, which starts at zero.

    The state declares ``clock_offset`` itself (a dataclass field defaulting to ``timedelta(0)``).
    """

    clock_offset: dt.timedelta

    def now(self) -> dt.datetime:
        """The simulator's time: UTC, shifted by the operator's advances."""
        return dt.datetime.now(dt.UTC) + self.clock_offset

    def advance_clock(self, seconds: float) -> None:
        self.clock_offset += dt.timedelta(seconds=seconds)

    def reset_clock(self) -> None:
        self.clock_offset = dt.timedelta(0)
