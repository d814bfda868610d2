"""What a fit report says of its own run: when it ran (UTC), how long it took, and what it read (the
systems, the flows with their days, the records each flow judged).

Why: a report read a week later must say which run it is and what it covered; a flow whose preview read
nothing for a day reads differently from one that was not asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class FlowRead:
    """One flow of the run: the systems it reads and writes, and the partition days it covered (``[None]``
    for a flow read whole)."""

    source_system: str = ""
    target_system: str = ""
    days: list[str | None] = field(default_factory=list)

    def days_said(self) -> str:
        """The days in words: "read whole", one day, or the first to the last with how many."""
        if self.days == [None]:
            return "read whole"
        if not self.days:
            return "no day in the range"
        first, last = self.days[0], self.days[-1]
        return str(first) if len(self.days) == 1 else f"{first} to {last} ({len(self.days)} days)"


@dataclass
class RunFacts:
    """When the run started (UTC), how many seconds it took (None while it runs), and each flow's read."""

    started: datetime
    seconds: float | None = None
    flows: dict[str, FlowRead] = field(default_factory=dict)

    @property
    def systems(self) -> list[str]:
        """The systems read and written, each once, in the flows' order."""
        named = [s for read in self.flows.values() for s in (read.source_system, read.target_system) if s]
        return list(dict.fromkeys(named))

    def started_said(self) -> str:
        return f"{self.started:%Y-%m-%d %H:%M:%S} UTC"

    def took_said(self) -> str:
        return "still running" if self.seconds is None else duration(self.seconds)


def duration(seconds: float) -> str:
    """``seconds`` as a person reads a run's length: "4.2 s", "3 min 05 s", "1 h 02 min"."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
