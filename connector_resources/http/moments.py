"""Moments crossing an API: always tz-aware, always in UTC.

Sent: a naive ``datetime`` is refused rather than assumed UTC: which zone it was meant in is a guess, and
a wrong guess moves a change window by hours without any error. Shared by the clients whose filters and
bodies take timestamps (Procore, Procurify). Read: an answer's ISO stamp without a zone *is* read as UTC
(``utc_from_iso``), because the APIs document their stamps in UTC or with an offset (Coupa, Procurify).
"""

from __future__ import annotations

from datetime import UTC, datetime


def aware_utc(value: object, name: str) -> datetime:
    """``value`` as UTC; a naive datetime is refused (its zone would be a guess)."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} {value.isoformat()} has no time zone; pass a tz-aware (UTC) datetime")
    return value.astimezone(UTC)


def utc_from_iso(text: str) -> datetime:
    """An API's ISO 8601 stamp as tz-aware UTC: a ``Z`` suffix and a stamp without a zone are UTC, an
    offset is converted. ``ValueError`` when ``text`` is no such stamp."""
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
