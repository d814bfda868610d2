"""Reading for a reconciliation what is the pair's: BILL's staged records of a JDE day, and the ledger's
retry queue (BILL's records by id or as staged: ``connector_assets.bill.reads``; JDE's by key:
``connector_assets.jde.documents`` and ``jde.reconcile_documents``).

Each side is read from the system itself, never from our ledger alone (which could share a bug with the
writer): records are fetched by key, 100 to a call (JDE ``MATCH_ANY``, BILL ``id:in``), never a whole
table per day (each session counted: ``flows.reconciliation_calls``). The ledger's retry queue says why
a missing record is missing.
"""

from typing import Any

from dagster import AssetKey

from connector_assets.bill.reads import staged_in_day
from connector_assets.integrations.jde_bill.integration import INTEGRATION
from connector_assets.jde.extract import jde_timezone
from connector_resources.ledger import Ledger


def staged_in_jde_day(staging: Any, asset_name: AssetKey, day: str) -> list[dict[str, Any]]:
    """The BILL records changed within the JDE ``day`` (midnight to midnight in the JDE time zone): BILL is
    polled by UTC day, so the one or two UTC partitions the JDE day overlaps are read and each record is
    kept by its change time. A UTC day not polled yet contributes nothing."""
    return staged_in_day(staging, asset_name, day, jde_timezone())


def source_of(ledger: Ledger, bill_id: str, *entities: str) -> str | None:
    """The JDE record a BILL id came from: the source key of its cross-reference (the first of ``entities``
    that has one), None when it came from none."""
    for entity in entities:
        xref = ledger.find_xref_by_target(INTEGRATION, entity, "bill", bill_id)
        if xref is not None:
            return xref.source_key
    return None


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
