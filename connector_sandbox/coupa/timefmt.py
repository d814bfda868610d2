"""Time as the simulated instance keeps and shows it.

Stored: UTC at one-second resolution (``2025-03-04T18:22:10Z``), so many records share one
``updated-at`` and a client's cursor meets ties, as on the real API. Shown: ISO-8601 with the
instance's offset (``2025-03-04T10:22:10-08:00``). Date-only elements (``invoice-date``) are shown as
midnight in the instance's zone. Query values follow the reference: ISO-8601, a bare date means
midnight UTC, and a value without an offset is read as UTC too.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo

_STAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_BARE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def utc_stamp(moment: dt.datetime) -> str:
    """Storage form; sub-second precision is dropped (Coupa timestamps have whole seconds)."""
    return moment.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def parse_stamp(stamp: str) -> dt.datetime:
    return dt.datetime.strptime(stamp, _STAMP_FORMAT).replace(tzinfo=dt.UTC)


@functools.lru_cache(maxsize=65_536)
def render_datetime(stamp: str, zone: str) -> str:
    return parse_stamp(stamp).astimezone(zoneinfo.ZoneInfo(zone)).isoformat()


@functools.lru_cache(maxsize=16_384)
def render_date(day: str, zone: str) -> str:
    midnight = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), zoneinfo.ZoneInfo(zone))
    return midnight.isoformat()


def parse_input_datetime(value: str) -> dt.datetime:
    """A datetime sent by a client (query value or body field), as an aware UTC datetime.

    Raises ValueError with a hint when the value looks like a '+' offset that was not URL-encoded
    (``+`` arrives as a space).
    """
    text = value.strip()
    if _BARE_DATE.match(text):
        return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), dt.UTC)
    if " " in value.strip() and re.search(r"\d \d{2}:?\d{2}$", value.strip()):
        raise ValueError(f"{value!r} is not an ISO-8601 date-time (a '+' offset must be URL-encoded as %2B)")
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO-8601 date-time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def parse_input_date(value: str, zone: str) -> dt.date:
    """A date-only element: a bare date is taken as is; a date-time is converted to the instance zone
    first (so ``2025-03-10T00:00:00Z`` is 9 March on a US-Pacific instance, the reason Coupa asks for
    date-only values)."""
    text = value.strip()
    if _BARE_DATE.match(text):
        return dt.date.fromisoformat(text)
    return parse_input_datetime(text).astimezone(zoneinfo.ZoneInfo(zone)).date()
