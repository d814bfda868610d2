"""BILL records read back by id or by change window: what a reconciliation compares with the other
system's records.

By id, 100 to a call (BILL ``id:in``), never a whole table per day; by window, the records BILL itself says
changed (or were created) in a reconciled window, whatever a poll staged (a poll may not have run yet).
"""

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from connector_resources.bill.changes import UnsupportedQuery
from connector_resources.bill.errors import BillNotFoundError
from connector_resources.bill.listing import clause
from connector_resources.bill.session import BillSession

ID_BATCH = 100  # BILL's largest page: one ``id:in`` call answers a whole batch


def bill_by_id(session: BillSession, entity: str, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """BILL ``entity`` records by id, archived ones included: one ``id:in`` list call per 100 ids (the
    documented filter), or one read per id where BILL refuses it. Ids BILL does not have are absent."""
    wanted = sorted({i for i in ids if i})
    found: dict[str, dict[str, object]] = {}
    for start in range(0, len(wanted), ID_BATCH):
        batch = wanted[start : start + ID_BATCH]
        try:
            rows = list(session.iter_records(entity, [clause("id", "in", ",".join(batch))]))
        except UnsupportedQuery:
            rows = []
            for one in batch:
                try:
                    rows.append(session.get(entity, one))
                except BillNotFoundError:
                    continue
        found.update({str(r["id"]): r for r in rows if str(r.get("id")) in batch})
    return found


def in_window(session: BillSession, entity: str, start: datetime, end: datetime) -> dict[str, dict[str, Any]]:
    """BILL ``entity`` records of the window ``[start, end)`` (aware), by id, as BILL holds them now: those
    changed in it and, once it is over, those created in it and changed since (``createdTime``)."""
    found = {str(row["id"]): row for row in session.iter_changed(entity, start, end)}
    if end <= datetime.now(UTC):
        later = [clause("createdTime", "gte", start), clause("createdTime", "lt", end)]
        later.append(clause("updatedTime", "gte", end))
        found.update((str(row["id"]), row) for row in session.iter_records(entity, later))
    return found
