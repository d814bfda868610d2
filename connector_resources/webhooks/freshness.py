"""The one age check every webhook source shares: is this event's time inside the source's window?

None of our three senders signs a timestamp header, so a captured genuine delivery stays valid for
ever; the inbox's unique event ID is what stops a replay from being stored twice. The age check is the
second line: a delivery whose documented event time is missing, older than the source's window or
later than now plus a small clock skew is refused (4xx) and stores nothing. Windows differ per source
because each sender retries a failed delivery with the ORIGINAL body (and so the original time) for a
different span; a window shorter than that span would refuse the sender's own retries. Anything
refused for its age is still read by the source's polling flow, which is the source of truth.

Each source's window is a setting of its system (``ML_<SYSTEM>_WEBHOOK_MAX_AGE_MINUTES``), its default and
why in the system's ``webhook_source.py``: Procore 13 hours, BILL 3 days, Coupa 24 hours. The future skew is
shared: 5 minutes of clock difference between the sender and us (``ML_WEBHOOK_FUTURE_SKEW_SECONDS``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

DEFAULT_FUTURE_SKEW = timedelta(minutes=5)


class EventTimeMissing(ValueError):
    """The delivery lacks the event time its source documents (or it is not a time); refused with 400."""


def parse_event_time(value: object, field: str) -> datetime:
    """An ISO 8601 date-time (``Z``, ``+00:00`` or ``+0000`` offsets, any fraction) as an aware UTC value.

    A stamp without an offset is read as UTC (Procore's documented stamps are all UTC; Coupa's and
    BILL's carry offsets). A bare date, a number or anything else raises ``EventTimeMissing`` naming
    ``field``: a date alone cannot be checked against a window of minutes.
    """
    if value is None or value == "":
        raise EventTimeMissing(f"field {field!r} (the event time) is missing")
    if not isinstance(value, str) or "T" not in value.strip().upper():
        raise EventTimeMissing(f"field {field!r} is {value!r}, not an ISO 8601 date-time")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise EventTimeMissing(f"field {field!r} is {value!r}, not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


@dataclass(frozen=True)
class Freshness:
    """The window an event time must fall in: ``[now - max_age, now + future_skew]``."""

    max_age: timedelta
    future_skew: timedelta = DEFAULT_FUTURE_SKEW

    def __post_init__(self) -> None:
        if self.max_age <= timedelta(0) or self.future_skew < timedelta(0):
            raise ValueError(
                f"webhook age window: max age {self.max_age} must be positive and "
                f"future skew {self.future_skew} not negative"
            )

    def refusal(self, occurred: datetime, now: datetime | None = None) -> str | None:
        """Why an event that happened at ``occurred`` is refused, or None when it is inside the window."""
        now = now or datetime.now(UTC)
        if occurred.tzinfo is None:
            occurred = occurred.replace(tzinfo=UTC)
        age = now - occurred
        if age > self.max_age:
            return (
                f"event time {occurred.isoformat()} is {_span(age)} old, "
                f"older than the {_span(self.max_age)} this source accepts"
            )
        if -age > self.future_skew:
            return (
                f"event time {occurred.isoformat()} is {_span(-age)} in the future, "
                f"beyond the {_span(self.future_skew)} clock skew allowed"
            )
        return None


def _span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds >= 2 * 86400:
        return f"{round(seconds / 86400, 1):g} days"
    if seconds >= 2 * 3600:
        return f"{round(seconds / 3600, 1):g} hours"
    if seconds >= 120:
        return f"{seconds // 60} minutes"
    return f"{seconds} seconds"
