"""A Procurify vendor's bill register for one period (month), read by the documented list filters.

Both reconciliations that compare Procurify bills (JD Edwards <-> Procurify, Oracle Fusion <-> Procurify)
read a vendor's bills dated in a month the same way: one list read per date field (``vendor`` and
``<field>_0`` / ``<field>_1``, reference 2.6), each bill kept once and only when the integration's own
period rule puts it in that month (a bill dated by its GL date in JDE's case, its invoice date in Fusion's).
What a bill of the register *is* (its amount, approved or not, sent or not) stays the integration's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from connector_assets.procurify.bill_status import BILL_STATUS_NAMES

__all__ = ["bills_in_period", "month", "status_name"]


def month(period: str) -> tuple[date, date]:
    """First and last day of ``2026-11``."""
    first = date.fromisoformat(f"{period}-01")
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def bills_in_period(
    session: Any,
    vendor_id: str,
    period: str,
    date_fields: Iterable[str],
    period_of_bill: Callable[[Mapping[str, Any]], str | None],
) -> dict[str, dict[str, Any]]:
    """Bill uuid -> the vendor's Procurify bill (list row) dated in ``period``: one list read per field of
    ``date_fields`` over the month, kept when ``period_of_bill`` says it is the period's (a later read
    wins for a bill two reads return); bills without a uuid are left out."""
    first, last = month(period)
    found: dict[str, dict[str, Any]] = {}
    for field in date_fields:
        filters = {"vendor": vendor_id, f"{field}_0": first, f"{field}_1": last}
        for bill in session.iter_all("bills", filters=filters):
            uuid = str(bill.get("uuid") or "").strip()
            if uuid and period_of_bill(bill) == period:
                found[uuid] = bill
    return found


def status_name(bill: Mapping[str, Any], code: int | None) -> str:
    """The bill's status as a Procurify user reads it (``Approved``), for its status ``code``; the raw
    status when the code has no name, ``?`` without a code."""
    return BILL_STATUS_NAMES.get(code, str(bill.get("status") or "").strip()) if code is not None else "?"
