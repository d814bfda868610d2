"""Bills reconciliation (JDE day): the bills JDE says BILL should hold against the bills BILL holds.

The expected side is ``expected_bills`` (the flow's own rule applied to the day's orders and vouchers);
each is compared with the BILL bill the cross-reference names, read from BILL by id: missing, archived,
amount, vendor; totals per supplier on both sides; and the BILL bills changed that day that came from no
JDE document.
"""

from typing import Any

from connector_assets.asset_keys import asset_key
from connector_assets.bill.reads import bill_by_id
from connector_assets.flows.reconciliation import Report, amount, money
from connector_assets.flows.reconciliation_calls import CountedJde, counted
from connector_assets.flows.reconciliation_totals import SideTotals
from connector_assets.integrations.jde_bill.bill_keys import ENTITY, VOUCHER_LINK, target_id_of
from connector_assets.integrations.jde_bill.reconcile.expected_bills import BillsSide, Expected
from connector_assets.integrations.jde_bill.reconcile.reads import (
    queued_reasons,
    source_of,
    staged_in_jde_day,
    why_missing,
)
from connector_assets.integrations.jde_bill.reconcile.report import close_totals, new_report, supplier_totals
from connector_resources.ledger import Ledger


def reconcile_bills(staging: Any, jde: Any, bill: Any, ledger: Ledger, day: str) -> Report:
    """The day's bills compared (see the module's docstring)."""
    report, totals = new_report(), supplier_totals()
    queued = queued_reasons(ledger, "bills")
    staged_bills = staged_in_jde_day(staging, asset_key("bill", "bills"), day)
    sources = {  # BILL bill changed that day -> the JDE document it came from
        str(row["id"]): source
        for row in staged_bills
        if (source := source_of(ledger, str(row["id"]), ENTITY, VOUCHER_LINK)) is not None
    }
    side_jde = BillsSide(staging, CountedJde(jde, report), ledger, day, set(sources.values()))
    report.counts.update(side_jde.counts)
    suppliers = {e.supplier for e in [*side_jde.expected.values(), *side_jde.missing]}
    vendor_of = {s: target_id_of(ledger, "vendor", s) for s in suppliers}
    with counted(bill, report, "bill") as session:
        bills = bill_by_id(session, "bills", list(side_jde.expected))
    for doc in side_jde.missing:
        totals.add((doc.supplier,), "jde", doc.amount)
        _missing_in_bill(
            report,
            doc,
            f"({money(doc.amount)}) is in JDE but not in BILL ({why_missing(queued, doc.source_key)})",
        )
    for bill_id, doc in sorted(side_jde.expected.items(), key=lambda kv: kv[1].source_key):
        totals.add((doc.supplier,), "jde", doc.amount)
        found = bills.get(bill_id)
        if found is None:
            _missing_in_bill(report, doc, f"was written as BILL bill {bill_id}, which BILL no longer has")
            continue
        _compare_bill(report, totals, doc, found, vendor_of)
    for row in staged_bills:
        report.counts["bill_bills_changed"] += 1
        if str(row["id"]) not in sources:
            total = money(amount(row.get("amount")))
            invoice = (row.get("invoice") or {}).get("invoiceNumber") or "?"
            report.differ(
                "missing in JDE",
                f"bill {row['id']}",
                "",
                "-",
                total,
                f"BILL bill {row['id']} (invoice {invoice}, {total}) comes from no JDE purchase order or "
                "voucher (no cross-reference): entered in BILL directly",
            )
    close_totals(report, totals, "purchase orders and vouchers")
    return report


def _missing_in_bill(report: Report, doc: Expected, why: str) -> None:
    """A JDE document with no bill in BILL: ``why`` completes "<document> of supplier <n> ..."."""
    report.differ(
        "missing in BILL",
        doc.label,
        doc.supplier,
        money(doc.amount),
        "-",
        f"{doc.label} of supplier {doc.supplier} {why}",
    )


def _compare_bill(report: Report, totals: SideTotals, doc: Expected, found: dict, vendor_of: dict) -> None:
    """A bill BILL has, against what JDE says it should hold: archived, amount, vendor."""
    billed = amount(found.get("amount"))
    totals.add((doc.supplier,), "bill", billed)
    if found.get("archived") is True:
        report.differ(
            "archived in BILL",
            doc.label,
            doc.supplier,
            "open",
            "archived",
            f"{doc.label}: its BILL bill {found['id']} is archived",
        )
    if billed != doc.amount:
        report.differ(
            "amount",
            doc.label,
            doc.supplier,
            money(doc.amount),
            money(billed),
            f"{doc.label} of supplier {doc.supplier}: {money(doc.amount)} in JDE but {money(billed)} on "
            f"BILL bill {found['id']}",
        )
    expected, actual = vendor_of.get(doc.supplier), str(found.get("vendorId") or "")
    if expected != actual:
        report.differ(
            "vendor",
            doc.label,
            doc.supplier,
            expected or "no BILL vendor",
            actual,
            f"{doc.label}: JDE supplier {doc.supplier} is BILL vendor {expected or '(none)'}, but BILL bill "
            f"{found['id']} is for vendor {actual or '(none)'}",
        )
