"""BILL v3 lists: entities, filter clauses, timestamps and one page of a list.

A list is ``GET /v3/<resource>?max=<1..100>&page=<token>&filters=<f>:<op>:<v>[,...]&sort=<f>:<dir>``
answering ``{"nextPage", "prevPage", "results"}`` (reference §2.5; ``prevPage`` is absent on some
lists, a missing ``nextPage`` ends the list). Values holding commas, spaces, colons or times are
quoted (``updatedTime:gte:"2025-03-01T00:00:00.000Z"``); times are written in UTC with ``Z``, so no
``+`` ever needs encoding. Page tokens are opaque and belong to the query that produced them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from connector_resources.bill.errors import BillDataError
from connector_resources.declared import by_name
from connector_resources.errors import known_entity

MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class EntitySpec:
    """A BILL entity the connector reads: its name here, its path, its "updated" field, its label.

    ``key_field`` identifies a record (every documented object carries ``id``, §2.6-§2.9).
    ``change_feed`` says whether the reference documents the updated field for the entity, so it can
    be polled by day; the GL classifications document only ``id``/``name``/``archived`` (§2.9), so
    they are read whole.
    """

    name: str
    path: str
    label: str
    updated_field: str = "updatedTime"
    created_field: str = "createdTime"
    key_field: str = "id"
    change_feed: bool = True


ENTITY_SPECS: dict[str, EntitySpec] = by_name(
    EntitySpec("vendors", "v3/vendors", "vendor"),
    EntitySpec("bills", "v3/bills", "bill"),
    EntitySpec("payments", "v3/payments", "payment"),
    EntitySpec(
        "chart_of_accounts",
        "v3/classifications/chart-of-accounts",
        "chart-of-accounts entry",
        change_feed=False,
    ),
    EntitySpec("departments", "v3/classifications/departments", "department", change_feed=False),
)


def entity_spec(entity: str) -> EntitySpec:
    return known_entity(ENTITY_SPECS, entity, "BILL")


@dataclass(frozen=True)
class Page:
    """One page of a list: its rows and the token of the next page (None on the last)."""

    rows: list[dict[str, Any]]
    next_token: str | None


def parse_page(payload: Any, what: str) -> Page:
    """Read a list answer: ``{"results", "nextPage"}``; a bare array is a single, last page."""
    if isinstance(payload, list):
        rows, token = payload, None
    elif isinstance(payload, Mapping):
        rows = payload.get("results")
        if rows is None:
            rows = []
        token = payload.get("nextPage")
    else:
        raise BillDataError(f"BILL answered {what} with something other than a list page")
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise BillDataError(f"BILL answered {what} with 'results' that is not a list of records")
    for row in rows:
        if not isinstance(row.get("id"), str) or not row["id"]:
            raise BillDataError(f"BILL answered {what} with a record that has no id")
    if not isinstance(token, str) or not token.strip():
        token = None
    return Page(rows=rows, next_token=token)


# -- timestamps ---------------------------------------------------------------------------------------


def parse_time(value: Any) -> datetime:
    """A BILL time as an aware UTC datetime.

    Accepts v3's ``2025-03-10T15:00:00.000+00:00``, v2's ``...+0000``, ``Z`` and a bare date
    (midnight UTC); a time without a zone is taken as UTC, as BILL's filters read it.
    Raises ``ValueError`` for anything else.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{value!r} is not a timestamp")
    parsed = datetime.fromisoformat(value.strip())
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def row_time(row: Mapping[str, Any], field: str, label: str) -> datetime:
    """``row[field]`` parsed; ``BillDataError`` naming the record and field if it is not a time."""
    try:
        return parse_time(row.get(field))
    except ValueError:
        raise BillDataError(
            f"BILL {label} {row.get('id', '?')}: {field} is {row.get(field)!r}, not a timestamp"
        ) from None


def updated_at(row: Mapping[str, Any], spec: EntitySpec) -> datetime:
    """When a record last changed: its updated field, else its creation time (a record never
    changed since it was created may omit the former; none does in the reference's examples)."""
    field = spec.updated_field if row.get(spec.updated_field) else spec.created_field
    return row_time(row, field, spec.label)


def floor_ms(value: datetime) -> datetime:
    """Cut to the millisecond, the precision of BILL's times and filters."""
    return value.replace(microsecond=value.microsecond - value.microsecond % 1000)


def ceil_ms(value: datetime) -> datetime:
    floored = floor_ms(value)
    return floored if floored == value else floored + timedelta(milliseconds=1)


def filter_time(value: datetime) -> str:
    """A filter value: ``"2025-03-01T00:00:00.000Z"`` (quoted: it holds colons; UTC: no ``+``)."""
    utc = value.astimezone(UTC)
    return '"' + utc.strftime("%Y-%m-%dT%H:%M:%S.") + f'{utc.microsecond // 1000:03d}Z"'


def clause(field: str, op: str, value: Any) -> str:
    """One ``field:op:value`` filter clause; times and dates formatted, text quoted when needed.

    A double quote inside a value has no documented escape; callers avoid sending one (see
    ``safe_text_filter``).
    """
    if isinstance(value, datetime):
        text = filter_time(value)
    elif isinstance(value, date):
        text = value.isoformat()
    elif isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = str(value)
        if any(ch in text for ch in ",: \"'") or text != text.strip():
            text = f'"{text}"'
    return f"{field}:{op}:{text}"


def safe_text_filter(field: str, value: str) -> str | None:
    """An equality filter on text, or the widest safe prefix filter when the text holds a double
    quote (no escape is documented); None when not even a prefix is safe. Callers always compare
    the rows they get, so a wider filter only costs rows, never correctness."""
    if '"' not in value:
        return clause(field, "eq", value)
    prefix = value.split('"', 1)[0]
    return clause(field, "sw", prefix) if prefix.strip() else None
