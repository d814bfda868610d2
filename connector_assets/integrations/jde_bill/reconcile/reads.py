"""What the three comparisons share: the report (the kit's two-system report, the supplier as each
difference's scope, per-supplier totals as a summary beside it), and reading what is the pair's (the
reconciled window, which JDE record a BILL record came from, the retry queue's word on a record), never a
whole table per day (each session counted: ``flows.reconciliation_calls``).
"""

from datetime import UTC, date, datetime, time, timedelta

from connector_assets.flows.reconciliation import Report
from connector_assets.flows.reconciliation_expected import Expectations
from connector_assets.flows.reconciliation_totals import SideTotals
from connector_assets.jde.extract import jde_timezone
from connector_resources.ledger import Ledger


def jde_day_window(day: str) -> tuple[datetime, datetime]:
    """The JDE ``day`` (midnight to midnight in the JDE time zone) as an aware UTC window: what BILL's
    records of that day are listed by."""
    start = datetime.combine(date.fromisoformat(day), time(), jde_timezone())
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


def source_of(ledger: Ledger, integration: str, bill_id: str, *entities: str) -> str | None:
    """The JDE record a BILL id came from: the source key of ``integration``'s cross-reference (the first of
    ``entities`` that has one), None when it came from none."""
    for entity in entities:
        xref = ledger.find_xref_by_target(integration, entity, "bill", bill_id)
        if xref is not None:
            return xref.source_key
    return None


def expectations(ledger: Ledger, integration: str, flow: str) -> Expectations:
    """``integration``'s flow's retry queue (failed, held, abandoned), read once, by every form of every
    key."""
    return Expectations(ledger, integration, [flow])


COLUMNS = ("Supplier", "JDE records", "JDE amount", "BILL records", "BILL amount")


def new_report() -> Report:
    """An empty report of JDE against BILL, each difference placed by its supplier."""
    return Report(("JDE", "BILL"), scope_label="Supplier")


def supplier_totals() -> SideTotals:
    """Per supplier: ``[JDE records, JDE amount, BILL records, BILL amount]`` (``add(supplier, ...)``)."""
    return SideTotals(COLUMNS, "jde", "No records.")


def close_totals(report: Report, totals: SideTotals) -> None:
    """The totals into the report: the ``per_supplier`` table and its counts (a summary, not differences)."""
    totals.report_to(report, "suppliers", "per_supplier")
