"""Values crossing the Coupa boundary: query arguments, request bodies, and the times in answers.

* **Query arguments** (reference §2.2): ``<attribute>[<operator>]=<value>``; booleans ``true/false``,
  lists comma-joined (``status[in]=approved,voided``), date-times ISO-8601 with an offset (requests
  encodes ``:`` and ``+`` as ``%3A`` / ``%2B``, as Coupa asks). A naive datetime is refused: Coupa
  would read it as UTC, which is only right by luck.
* **Bodies**: amounts go out as decimal *strings* (Coupa's JSON shows decimals as strings, §2.5), from
  ``Decimal``, ``int`` or ``str``; a ``float`` is refused with the record and field named, because a
  binary float cannot say 0.10 exactly. Dates go out as ``YYYY-MM-DD`` (invoice dates are date-only,
  quirk 9); datetimes must carry an offset.
* **Times in answers**: ``updated-at`` is ISO-8601 with the instance's offset
  (``2025-03-04T10:22:10-08:00``); a ``Z`` suffix or no offset at all (read as UTC, as Coupa reads
  bare values) is accepted too. The result is always tz-aware UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any

from connector_resources.coupa.errors import CoupaInputError, CoupaResponseError
from connector_resources.http.moments import utc_from_iso
from connector_resources.http.wire_values import WireRules, query_text, wire_body


def aware_utc(value: datetime, what: str) -> datetime:
    """``value`` in UTC; a naive datetime is a ``CoupaInputError`` naming ``what``."""
    if not isinstance(value, datetime):
        raise CoupaInputError(f"{what} must be a datetime, got {type(value).__name__}", field=what)
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise CoupaInputError(
            f"{what} {value.isoformat()} has no time zone; pass a tz-aware datetime (UTC)", field=what
        )
    return value.astimezone(UTC)


def iso_utc(value: datetime) -> str:
    """``2025-03-25T18:38:00+00:00`` (whole seconds unless the value has a fraction)."""
    return value.astimezone(UTC).isoformat()


def floor_second(value: datetime) -> datetime:
    return value.replace(microsecond=0)


def ceil_second(value: datetime) -> datetime:
    return value if value.microsecond == 0 else value.replace(microsecond=0) + timedelta(seconds=1)


def query_value(name: str, value: Any) -> str:
    """One query argument value in Coupa's syntax (see module docstring)."""
    if isinstance(value, list | tuple | set | frozenset):
        return ",".join(query_value(name, item) for item in value)
    return query_text(value, name, WIRE)


def query_params(filters: Mapping[str, Any] | None) -> dict[str, str]:
    """Caller filters as query arguments; ``None`` values are left out."""
    out: dict[str, str] = {}
    for name, value in (filters or {}).items():
        if not isinstance(name, str) or not name.strip():
            raise CoupaInputError(f"filter name {name!r} must be a non-empty string", field="filters")
        if value is not None:
            out[name] = query_value(name, value)
    return out


def _refused(record: str, path: str, problem: str) -> CoupaInputError:
    return CoupaInputError(f"{record}: field {path or 'the record'}: {problem}", field=path)


def _moment(value: datetime, record: str, path: str) -> str:
    return iso_utc(aware_utc(value, f"{record}: field {path}"))


# Coupa's JSON shows decimals as strings; lines are numbered from 1 in its errors, so in ours.
WIRE = WireRules(refuse=_refused, moment=_moment, first_index=1)


def request_body(fields: Mapping[str, Any], record: str) -> dict[str, Any]:
    """A whole create/update body, checked and converted (see ``wire_body``)."""
    if not isinstance(fields, Mapping):
        raise CoupaInputError(f"{record}: the record must be a mapping of Coupa fields")
    return wire_body(fields, record, WIRE)


def parse_time(value: Any, *, entity: str, record_id: Any, field: str) -> datetime:
    """A Coupa timestamp as tz-aware UTC; ``CoupaResponseError`` naming the record and field if it is
    missing or unreadable (the change window cannot place such a record)."""
    if isinstance(value, str) and value.strip():
        with suppress(ValueError):
            return utc_from_iso(value.strip())
    what = "has no" if value in (None, "") else f"has an unreadable {value!r} as"
    raise CoupaResponseError(
        f"Coupa {entity} record id {record_id} {what} {field}; cannot place it in a change window",
        entity=entity,
        record=f"{entity} id {record_id}",
    )
