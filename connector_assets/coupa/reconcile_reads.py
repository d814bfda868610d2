"""Coupa read back for a reconciliation: records by their keys (``[in]``, 49 to a call, never one GET per
record), and a window's records as those changed in it (``updated_at``) and those created in it
(``created_at``), each once, so a record created that day and changed since is still listed. Coupa
itself, never the ledger (which could share a bug with the writer) nor a staged poll (which may not have
run for the day); used by both JD Edwards -> Coupa and Coupa -> JD Edwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from connector_assets.coupa.documents import coupa_day, coupa_time


def text(value: Any) -> str:
    """A Coupa text as people compare it: trimmed, inner spaces single."""
    return " ".join(str(value if value is not None else "").split())


def number_of(reference: Any) -> str:
    """The ``number`` of an association (``supplier: {id, name, number}``), "" without one."""
    return text(reference.get("number")) if isinstance(reference, Mapping) else ""


def code_of(reference: Any) -> str:
    """The ``code`` of an association (an account, a currency, a payment term), "" without one."""
    return text(reference.get("code")) if isinstance(reference, Mapping) else ""


def amount_of(value: Any) -> Decimal | None:
    """A Coupa decimal (sent as a string) as a ``Decimal``; None when blank or not a number."""
    raw = str(value if value is not None else "").strip()
    try:
        return Decimal(raw) if raw else None
    except InvalidOperation:
        return None


def day_of(value: Any) -> str | None:
    """A date-only element (``invoice-date``, rendered as local midnight) as the day written."""
    return coupa_day(value)


def by_key(
    session: Any,
    entity: str,
    attribute: str,
    values: Iterable[Any],
    key_of: Callable[[Mapping[str, Any]], Any],
    *,
    filters: Mapping[str, Any] | None = None,
) -> dict[Any, list[dict[str, Any]]]:
    """The ``entity`` records whose ``attribute`` is one of ``values`` (``<attribute>[in]``, 49 values a
    call), grouped by ``key_of`` (a number, a pair of supplier and invoice number ...). A value Coupa does
    not hold has no records; an invoice number another supplier also uses comes back under that other
    supplier's key, for the caller to ignore. A value holding a comma (Coupa's list separator) cannot be
    listed: it is read by itself (``<attribute>=<value>``)."""
    wanted = list(dict.fromkeys(text(v) for v in values if text(v)))
    listed = [v for v in wanted if "," not in v]
    found: dict[Any, list[dict[str, Any]]] = {}
    records = [session.iter_in(entity, attribute, listed, filters=filters)] if listed else []
    records += [
        session.iter_all(entity, filters={**(filters or {}), attribute: v}) for v in wanted if "," in v
    ]
    for record in (r for rows in records for r in rows):
        found.setdefault(key_of(record), []).append(record)
    return found


def touched(session: Any, entity: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Every ``entity`` record created or changed in ``[start, end)``, once each, in id order: the changes
    (``updated_at``) and the creations (``created_at``: a record created then and changed since)."""
    records = {int(r["id"]): r for r in session.iter_changed(entity, start, end)}
    for record in session.iter_created(entity, start, end):
        records.setdefault(int(record["id"]), record)
    return [records[key] for key in sorted(records)]


def created_on(record: Mapping[str, Any]) -> str:
    """When the record was created, as Coupa says it (ISO, UTC), "" when it does not say."""
    moment = coupa_time(record.get("created-at"))
    return moment.isoformat() if moment is not None else ""
