"""The simulator clock an operator can move (``POST /sandbox/clock``), kept with the data.

Token lifetimes, rate windows and "updated since" stamps follow the simulator's own clock, so a test
lives through a 24 h token or a day boundary in a second instead of waiting for it. The offset is part of
the world, kept in the store's meta like the records: records stamped on a moved clock would otherwise
sit in the future of the ones a restart makes next, and a client's "updated since" cursor past them
would never see those.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

CLOCK_META = "clock_offset_seconds"


class MetaStore(Protocol):
    def get_meta(self, key: str) -> str | None: ...

    def set_meta(self, key: str, value: str) -> None: ...


class MovableClock:
    """Mixin for a simulator state: ``now()`` is UTC plus ``clock_offset``, which starts at zero on fresh
    data and where it was on kept data (``restore_clock``).

    The state declares ``clock_offset`` itself (a dataclass field defaulting to ``timedelta(0)``) and its
    ``store``; every move is written to the store's meta at once.
    """

    clock_offset: dt.timedelta
    store: MetaStore

    def now(self) -> dt.datetime:
        """The simulator's time: UTC, shifted by the operator's advances."""
        return dt.datetime.now(dt.UTC) + self.clock_offset

    def advance_clock(self, seconds: float) -> None:
        self.clock_offset += dt.timedelta(seconds=seconds)
        self._keep_clock()

    def reset_clock(self) -> None:
        self.clock_offset = dt.timedelta(0)
        self._keep_clock()

    def restore_clock(self) -> None:
        """The offset the store kept (none: zero), at start."""
        kept = self.store.get_meta(CLOCK_META)
        self.clock_offset = dt.timedelta(seconds=float(kept)) if kept else dt.timedelta(0)

    def _keep_clock(self) -> None:
        self.store.set_meta(CLOCK_META, repr(self.clock_offset.total_seconds()))
