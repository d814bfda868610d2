"""A day's JDE <-> BILL reconciliation report: the kit's two-system report (``flows.reconciliation``) with
the supplier as each difference's scope, and the per-supplier totals of both sides
(``flows.reconciliation_totals``) as a summary beside the record rows: the ``per_supplier`` table and the
counts ``suppliers`` / ``suppliers_out_of_balance``, never a difference of their own (each record that makes
a total differ is named, record by record).
"""

from connector_assets.flows.reconciliation import Report
from connector_assets.flows.reconciliation_totals import SideTotals

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
