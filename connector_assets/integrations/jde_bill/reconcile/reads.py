"""Reading both sides for a reconciliation, bounded by the day's keys, every API call counted.

Each side is read from the system itself, never from our ledger alone (which could share a bug with the
writer): records are fetched by key, 100 to a call (JDE ``MATCH_ANY``, BILL ``id:in``), never a whole
table per day (each session counted: ``flows.reconciliation_calls``). The ledger's retry queue says why
a missing record is missing.
"""

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from connector_assets.integrations.jde_bill.integration import INTEGRATION
from connector_assets.jde.extract import jde_timezone
from connector_resources.bill.changes import UnsupportedQuery
from connector_resources.bill.errors import BillNotFoundError
from connector_resources.bill.listing import clause
from connector_resources.ledger import Ledger

ID_BATCH = 100  # BILL's largest page: one ``id:in`` call answers a whole batch


def bill_by_id(session: Any, entity: str, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """BILL ``entity`` records by id, archived ones included: one ``id:in`` list call per 100 ids (the
    documented filter), or one read per id where BILL refuses it. Ids BILL does not have are absent."""
    wanted = sorted({i for i in ids if i})
    found: dict[str, dict[str, Any]] = {}
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


def staged_records(staging: Any, asset_name: str, day: str) -> list[dict[str, Any]]:
    """The BILL records a poll staged for the UTC ``day`` (their JSON documents)."""
    return [json.loads(row["record"]) for row in staging.read_rows(asset_name, day)]


def staged_in_jde_day(staging: Any, asset_name: str, day: str) -> list[dict[str, Any]]:
    """The BILL records changed within the JDE ``day`` (midnight to midnight in the JDE time zone): BILL is
    polled by UTC day, so the one or two UTC partitions the JDE day overlaps are read and each record is
    kept by its change time. A UTC day not polled yet contributes nothing."""
    zone = jde_timezone()
    start = datetime.combine(date.fromisoformat(day), time(), zone).astimezone(UTC).replace(tzinfo=None)
    end = start + timedelta(days=1)
    records = []
    for utc_day in {start.date(), (end - timedelta(microseconds=1)).date()}:
        for row in staging.read_rows(asset_name, utc_day.isoformat()):
            changed = row.get("updated_at")
            if changed is not None and start <= changed < end:
                records.append(json.loads(row["record"]))
    return records


def queued_reasons(ledger: Ledger, flow: str) -> dict[str, str]:
    """Source key -> the reason it waits in the flow's retry queue."""
    return {
        item.source_key: item.reason
        for item in ledger.open_items(integration=INTEGRATION, flow=flow, limit=100_000)
    }


def why_missing(queued: dict[str, str], key: str) -> str:
    """Why a record is not on the other side, in words: its retry-queue reason, or that it has none."""
    reason = queued.get(key)
    return f"in the retry queue: {reason}" if reason else "not written yet, and not in the retry queue either"
