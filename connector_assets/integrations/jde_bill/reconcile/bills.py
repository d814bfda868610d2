"""Bills reconciliation (JDE day): the bills the day's JDE documents make (``planned_bills``: the flow's own
rule and mappers) against the bills BILL holds, and BILL's bills of the day against JDE.

Compared field by field on what the flow writes (``compare.bill_drift``), in each document's currency; a
bill refused, held or queued is an expected gap. What is compared, currency mismatches and expected gaps:
docs/integrations/jde_bill.md, "Reconciliation".
"""

from connector_assets.bill.classifications import bill_classifications
from connector_assets.bill.reads import bill_by_id, in_window
from connector_assets.flows.reconciliation import CURRENCY_MISMATCH, Report, amount, currencies_differ, money
from connector_assets.flows.reconciliation_calls import counted
from connector_assets.flows.reconciliation_expected import Expectations
from connector_assets.flows.reconciliation_totals import SideTotals
from connector_assets.jde.reconcile_documents import InSession
from connector_assets.runtime.session_source import SessionSource
from connector_assets.runtime.staging import StagingResource
from connector_resources.bill.session import BillSession
from connector_resources.jde.session import JdeSession
from connector_resources.ledger import Ledger

from ..bill_keys import ENTITY, VOUCHER_LINK
from ..bills import CLASSIFICATIONS
from ..integration import Own
from ..payments import bill_currency
from .compare import Drift, archived, bill_drift, lines_total
from .planned_bills import Planned, PlannedBills, label_of
from .reads import (
    close_totals,
    expectations,
    jde_day_window,
    new_report,
    source_of,
    supplier_totals,
)

REFUSED = "refused by the bills flow, not queued yet"


def reconcile_bills(
    own: Own,
    staging: StagingResource,
    jde: SessionSource[JdeSession],
    bill: SessionSource[BillSession],
    ledger: Ledger,
    day: str,
) -> Report:
    """The day's bills compared (see the module's docstring)."""
    report, totals = new_report(), supplier_totals()
    start, end = jde_day_window(day)
    queue = expectations(ledger, own.instance, "bills")
    names = {
        bill_id: found.name
        for asset in map(own.bill.key, CLASSIFICATIONS)
        for bill_id, found in bill_classifications(staging, asset).items()
    }
    with counted(bill, report, "bill") as session:
        of_day = in_window(session, "bills", start, end)
        sources = {b: source_of(ledger, own.instance, b, ENTITY, VOUCHER_LINK) for b in of_day}
        with counted(jde, report, "jde") as jde_session:  # one JDE session for all the day's reads
            also = {s for s in sources.values() if s}
            plan = PlannedBills(own, staging, InSession(jde_session), ledger, day, also)
        wanted = [p.bill_id for p in plan.planned.values() if p.bill_id and p.bill_id not in of_day]
        bills = {**of_day, **bill_by_id(session, "bills", wanted)}
        vendor_ids = {str(b.get("vendorId") or "").strip() for b in bills.values()} - {""}
        currencies = {i: bill_currency(v) for i, v in bill_by_id(session, "vendors", vendor_ids).items()}
    report.counts["jde_bills"] = len(plan.planned)
    report.counts["bill_bills_of_the_day"] = len(of_day)
    for planned in sorted(plan.planned.values(), key=lambda p: (p.supplier, p.key)):
        _planned(report, queue, totals, planned, bills.get(planned.bill_id or ""), names, currencies)
    explained = {p.bill_id for p in plan.planned.values()}
    for bill_id, found in sorted(of_day.items()):
        source = sources[bill_id]
        if bill_id in explained:
            continue
        if source is None:
            why = "comes from no JDE purchase order or voucher (no cross-reference): entered in BILL directly"
        elif source not in plan.read:
            why = f"comes from JDE {label_of(source)}, which JDE no longer has"
        else:
            why = f"is linked to JDE {label_of(source)}, whose bill the ledger records as another"
        _only_in_bill(report, bill_id, found, source, why)
    close_totals(report, totals)
    return report


def _planned(
    report: Report,
    queue: Expectations,
    totals: SideTotals,
    planned: Planned,
    found: dict | None,
    names: dict,
    currencies: dict[str, str],
) -> None:
    """One bill the day's documents make, against the BILL bill the ledger names for it (``currencies``:
    BILL vendor id -> the currency its bills are in)."""
    label, supplier, bill_id = planned.label, planned.supplier, planned.bill_id
    if planned.body is None and not planned.settled:  # refused by the flow's rule or mapping
        if not queue.account_for(report, label, *planned.keys):
            report.expect(REFUSED, label, planned.reason)
        return
    if planned.body is not None:
        totals.add((supplier,), "jde", planned.total)
    if found is None:
        if queue.account_for(report, label, *planned.keys):
            return
        why = (
            f"was written as BILL bill {bill_id}, which BILL no longer has"
            if bill_id
            else "is in JDE but not in BILL (not written yet, and not in the retry queue)"
        )
        report.differ(
            "missing in BILL",
            label,
            supplier,
            money(planned.total) if planned.body is not None else "-",
            "-",
            f"{label} of supplier {supplier} {why}",
            counterpart=bill_id or "",
            field="bill",
        )
        return
    report.compared += 1
    totals.add((supplier,), "bill", amount(found.get("amount")))
    if planned.cancelled:
        drifts = [] if found.get("archived") is True else [Drift("status", "status", "cancelled", "open")]
    elif planned.body is None:
        drifts = archived(found, "open")  # settled, not sendable now: its status only
    else:
        held_in = currencies.get(str(found.get("vendorId") or "").strip(), "")
        mismatch = currencies_differ(planned.currency, held_in)
        drifts = [Drift(CURRENCY_MISMATCH, "currency", planned.currency, held_in)] if mismatch else []
        drifts += bill_drift(planned.body, found, names, amounts=not mismatch)
    if not drifts or queue.account_for(report, label, *planned.keys):
        return  # the same, or a change the flow has queued (its write waits, failed, or a person decides)
    totals_text = f"bill total {money(planned.total)} in JDE, {money(amount(found.get('amount')))} in BILL"
    for drift in drifts:
        extra = f" ({totals_text})" if drift.kind in ("line amount", "lines") else ""
        if drift.kind == CURRENCY_MISMATCH:
            extra = " (its vendor's billCurrency): amounts in two currencies are not compared"
        report.differ(
            drift.kind,
            label,
            supplier,
            drift.jde,
            drift.bill,
            f"{label} of supplier {supplier}: {drift.field} {drift.jde} in JDE but {drift.bill} on BILL bill "
            f"{bill_id}{extra}",
            counterpart=bill_id,
            field=drift.field,
        )


def _only_in_bill(report: Report, bill_id: str, found: dict, source: str | None, why: str) -> None:
    """A BILL bill of the day no planned bill explains, named with its vendor, invoice and amount."""
    given = found.get("amount")
    total = money(amount(given) if given is not None else lines_total(found.get("billLineItems")))
    invoice = (found.get("invoice") or {}).get("invoiceNumber") or "?"
    vendor = found.get("vendorName") or found.get("vendorId") or "?"
    state = ", archived" if found.get("archived") is True else ""
    report.differ(
        "only in BILL",
        label_of(source) if source else "-",
        "",
        "-",
        total,
        f"BILL bill {bill_id} (vendor {vendor}, invoice {invoice}, {total}{state}) {why}",
        counterpart=bill_id,
        field="bill",
    )
