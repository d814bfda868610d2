"""A day's JDE <-> BILL reconciliation report: the flow kit's two-system report (``flows.reconciliation``)
with the supplier as each difference's scope, and the per-supplier totals of both sides
(``flows.reconciliation_totals``): a supplier whose day's totals differ is named once more, as a total, and
the totals ride along as the ``per_supplier`` table (its first 25 suppliers).
"""

from connector_assets.flows.reconciliation import SAMPLE, Report, money
from connector_assets.flows.reconciliation_totals import SideTotals

COLUMNS = ("Supplier", "JDE records", "JDE amount", "BILL records", "BILL amount")


def new_report() -> Report:
    """An empty report of JDE against BILL, each difference placed by its supplier."""
    return Report(("JDE", "BILL"), scope_label="Supplier")


def supplier_totals() -> SideTotals:
    """Per supplier: ``[JDE records, JDE amount, BILL records, BILL amount]`` (``add(supplier, ...)``)."""
    return SideTotals(COLUMNS, "jde", "")


def close_totals(report: Report, totals: SideTotals, what: str) -> None:
    """Each supplier whose day's ``what`` total differs between the sides named as a difference, and the
    totals as the report's ``per_supplier`` table."""
    for (supplier,), (_, jde, _, bill) in sorted(totals.rows.items()):
        if jde != bill:
            report.differ(
                "supplier total",
                f"supplier {supplier}",
                supplier,
                money(jde),
                money(bill),
                f"supplier {supplier}: the day's {what} total {money(jde)} in JDE but {money(bill)} in BILL "
                f"(difference {money(bill - jde)})",
            )
    if totals.rows:
        shown = dict(sorted(totals.rows.items())[:SAMPLE])
        report.tables["per_supplier"] = SideTotals(totals.columns, totals.first, totals.empty, shown).table()
