"""Reading for a reconciliation what is the pair's: the reconciled window, which JDE record a BILL record
came from, and the retry queue's word on a record (BILL's records by id or by window:
``connector_assets.bill.reads``; JDE's by key: ``connector_assets.jde.documents``,
``jde.reconcile_documents``).

Each side is read from the system itself, never from our ledger alone (which could share a bug with the
writer), nor from a poll staged apart: BILL's records of the window are listed from BILL (``in_window``), the
JDE records by key, 100 to a call (JDE ``MATCH_ANY``, BILL ``id:in``), never a whole table per day (each
session counted: ``flows.reconciliation_calls``). The ledger says which record is the counterpart of which,
and the queue (``flows.reconciliation_expected``) why one is missing on purpose.
"""

from datetime import UTC, date, datetime, time, timedelta

from connector_assets.flows.reconciliation_expected import Expectations
from connector_assets.integrations.jde_bill.integration import INTEGRATION
from connector_assets.jde.extract import jde_timezone
from connector_resources.ledger import Ledger


def jde_day_window(day: str) -> tuple[datetime, datetime]:
    """The JDE ``day`` (midnight to midnight in the JDE time zone) as an aware UTC window: what BILL's
    records of that day are listed by."""
    start = datetime.combine(date.fromisoformat(day), time(), jde_timezone())
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


def source_of(ledger: Ledger, bill_id: str, *entities: str) -> str | None:
    """The JDE record a BILL id came from: the source key of its cross-reference (the first of ``entities``
    that has one), None when it came from none."""
    for entity in entities:
        xref = ledger.find_xref_by_target(INTEGRATION, entity, "bill", bill_id)
        if xref is not None:
            return xref.source_key
    return None


def expectations(ledger: Ledger, flow: str) -> Expectations:
    """The flow's retry queue (failed, held, abandoned), read once, by every form of every key."""
    return Expectations(ledger, INTEGRATION, [flow])
