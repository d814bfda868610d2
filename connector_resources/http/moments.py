"""Moments sent to an API: always tz-aware, always converted to UTC before they are formatted.

A naive ``datetime`` is refused rather than assumed UTC: which zone it was meant in is a guess, and a
wrong guess moves a change window by hours without any error. Shared by the clients whose filters and
bodies take timestamps (Procore, Procurify).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def aware_utc(value: Any, name: str) -> datetime:
    """``value`` as UTC; a naive datetime is refused (its zone would be a guess)."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} {value.isoformat()} has no time zone; pass a tz-aware (UTC) datetime")
    return value.astimezone(UTC)
