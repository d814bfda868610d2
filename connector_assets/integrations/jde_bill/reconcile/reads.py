"""Reading both sides for a reconciliation, bounded by the day's keys, every API call counted (BILL's
records by id or as staged: ``connector_assets.bill.reads``; here what is the JDE day's and the ledger's).

Each side is read from the system itself, never from our ledger alone (which could share a bug with the
writer): records are fetched by key, 100 to a call (JDE ``MATCH_ANY``, BILL ``id:in``), never a whole
table per day (each session counted: ``flows.reconciliation_calls``). The ledger's retry queue says why
a missing record is missing.
"""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from connector_assets.bill.reads import staged_between
from connector_assets.integrations.jde_bill.integration import INTEGRATION
from connector_assets.jde.extract import jde_timezone
from connector_resources.ledger import Ledger


def staged_in_jde_day(staging: Any, asset_name: str, day: str) -> list[dict[str, Any]]:
    """The BILL records changed within the JDE ``day`` (midnight to midnight in the JDE time zone): BILL is
    polled by UTC day, so the one or two UTC partitions the JDE day overlaps are read and each record is
    kept by its change time. A UTC day not polled yet contributes nothing."""
    zone = jde_timezone()
    start = datetime.combine(date.fromisoformat(day), time(), zone).astimezone(UTC).replace(tzinfo=None)
    return staged_between(staging, asset_name, start, start + timedelta(days=1))


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
