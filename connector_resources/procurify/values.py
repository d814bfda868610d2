"""How values cross the Procurify boundary: JSON in with exact decimals, timestamps as UTC datetimes,
request bodies and query values out without binary floats.

Why here and not at each call: the reference (§3.7, §3.8) warns that money is a decimal string in
most objects but a JSON number in some (bill ``total_cost_with_tax``, PO ``tax.value``), and that
timestamps come with or without fractions. Reading every number with ``parse_float=Decimal`` and
refusing floats on the way out keeps amounts exact whatever the field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import requests

from connector_resources.http.moments import aware_utc, utc_from_iso
from connector_resources.procurify.errors import ProcurifyProtocolError, invalid


def decode_json(response: requests.Response, what: str) -> Any:
    """The body of a successful answer, numbers with fractions as ``Decimal``."""
    try:
        return json.loads(response.content or b"null", parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        kind = response.headers.get("Content-Type", "no content type")
        raise ProcurifyProtocolError(
            f"Procurify answered the request to {what} with something other than JSON "
            f"(HTTP {response.status_code}, {kind})",
            status=response.status_code,
        ) from None


# -- timestamps ---------------------------------------------------------------------------------------


def parse_timestamp(value: Any) -> datetime | None:
    """A Procurify timestamp as a tz-aware UTC datetime; None for null or empty.

    Accepts ``2025-03-04T18:22:10Z``, ``...10.511Z``, ``...10.511000Z``, an explicit offset, a
    naive value (read as UTC: every documented example is UTC) and a bare date (midnight UTC).
    Raises ``ValueError`` for anything else.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a timestamp string")
    text = value.strip()
    return utc_from_iso(text) if text else None


def iso_z(moment: datetime) -> str:
    """UTC ISO 8601 with ``Z`` and microseconds only when non-zero (the form Procurify renders)."""
    moment = moment.astimezone(UTC)
    spec = "microseconds" if moment.microsecond else "seconds"
    return moment.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def day_range(start: datetime, end: datetime, slack_days: int) -> tuple[date, date]:
    """The inclusive ``YYYY-MM-DD`` bounds to send for the window ``[start, end)`` (both UTC).

    ``slack_days`` widens both ends: the server's time zone for date filters on timestamp columns is
    not documented (a Django server compares in its own ``TIME_ZONE``), and an upper bound that a
    server reads as "midnight" rather than "the whole day" would drop the last day otherwise.
    """
    last = (end - timedelta(microseconds=1)).date()
    return start.date() - timedelta(days=slack_days), last + timedelta(days=slack_days)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


# -- values we send -----------------------------------------------------------------------------------


def query_value(value: Any, name: str) -> str:
    """One query-string value: dates as ``YYYY-MM-DD``, datetimes as UTC ``Z``, booleans as
    ``true``/``false`` (django-filter's form), numbers exactly."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return iso_z(aware_utc(value, f"filter {name}"))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        raise TypeError(f"filter {name}: {value!r} is a float; pass Decimal, int or str")
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int | str):
        return str(value)
    raise TypeError(f"filter {name}: cannot send a {type(value).__name__}")


def json_body(value: Any, record: str, path: str = "") -> Any:
    """``value`` as JSON-ready data: Decimal as a decimal string, dates ISO, floats refused.

    ``record`` and ``path`` name the record and field in the error a bad value raises.
    """
    field = path or "body"
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        raise invalid(
            record, field, f"{value!r} is a binary float; pass amounts as Decimal or a decimal string"
        )
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise invalid(record, field, f"{value} is not a finite number")
        return format(value, "f")
    if isinstance(value, datetime):
        return iso_z(aware_utc(value, f"{record} {field}"))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str) or not key:
                raise invalid(record, f"{field}.{key!r}", "field names must be non-empty strings")
            out[key] = json_body(item, record, f"{path}.{key}" if path else key)
        return out
    if isinstance(value, Sequence):
        return [json_body(item, record, f"{field}[{index}]") for index, item in enumerate(value)]
    raise invalid(record, field, f"cannot send a {type(value).__name__}")
