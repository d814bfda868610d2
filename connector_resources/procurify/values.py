"""How values cross the Procurify boundary: JSON in with exact decimals, timestamps as UTC datetimes,
request bodies and query values out without binary floats.

Why here and not at each call: the reference (§3.7, §3.8) warns that money is a decimal string in
most objects but a JSON number in some (bill ``total_cost_with_tax``, PO ``tax.value``), and that
timestamps come with or without fractions. Reading every number with ``parse_float=Decimal`` and
refusing floats on the way out keeps amounts exact whatever the field.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import requests

from connector_resources.http.moments import aware_utc, utc_from_iso
from connector_resources.http.wire_values import WireRules, query_text, wire_body
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


def _moment(value: datetime, record: str, path: str) -> str:
    return iso_z(aware_utc(value, f"{record} {path}"))


def _refused(record: str, path: str, problem: str) -> Exception:
    return invalid(record, path or "body", problem)


WIRE = WireRules(refuse=_refused, moment=_moment)


def json_body(value: Any, record: str) -> Any:
    """``value`` as JSON-ready data: Decimal as a decimal string, dates ISO, floats refused naming
    ``record`` and the field (``wire_body``)."""
    return wire_body(value, record, WIRE)


def query_value(value: Any, name: str) -> str:
    """One query-string value: dates as ``YYYY-MM-DD``, datetimes as UTC ``Z``, booleans as
    ``true``/``false`` (django-filter's form), numbers exactly, floats refused."""
    return query_text(value, name, WIRE)
