"""Payments reconciliation (UTC day, as BILL's payments are polled): the day's BILL payments against what
JDE shows.

BILL is read for the day itself (``bill.reads.in_window``: the payments changed or created that UTC day),
never only what a poll staged. The payments that count as paid (``ML_JDE_BILL_PAID_STATUSES``, made by BILL)
are split into one part per bill each pays (what the payments flow writes to JDE once, keyed
``<payment id>:<bill id>``) and compared with JDE itself: the paid amount on the voucher (F0411 gross minus
open amount), or, for a bill with no voucher (or ``ML_JDE_BILL_PAYMENT_POSTING=journal``), the journal batch
in F0911Z1 by its batch key. A part JDE does not show is "missing in JDE", one it shows for another amount
"amount", each named by the JDE document and the BILL payment. A payment the flow posted that BILL voided,
canceled or failed since, and that JDE still shows, is status drift. Parts the flow refuses by rule (a bill
not from JDE, no positive amount), holds or queued are expected gaps with the queue's reason; a voucher JDE
shows as paid beyond what BILL paid is named as a possible double payment.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connector_assets.bill.payment_fields import made_by_bill, paid_bills, paid_on_bill, payment_status
from connector_assets.bill.reads import bill_by_id, in_window
from connector_assets.flows.reconciliation import Report, amount, day_window, money
from connector_assets.flows.reconciliation_calls import CountedJde, counted
from connector_assets.flows.reconciliation_expected import Expectations
from connector_assets.flows.reconciliation_totals import SideTotals
from connector_assets.integrations.jde_bill.integration import INTEGRATION
from connector_assets.integrations.jde_bill.payments import (
    BillOrigin,
    bill_origin,
    journal_key,
    paid_statuses,
    posting,
)
from connector_assets.integrations.jde_bill.reconcile.reads import expectations, source_of
from connector_assets.integrations.jde_bill.reconcile.report import close_totals, new_report, supplier_totals
from connector_assets.jde.payment_postings import posted_to_reverse
from connector_assets.jde.reconcile_documents import journal_debits, paid_on_vouchers
from connector_resources.ledger import Ledger

REFUSED = "refused by the payments flow, not queued yet"


@dataclass(frozen=True)
class PaidPart:
    """One bill a BILL payment pays: what the payments flow writes to JDE once (its source key
    ``<payment id>:<bill id>``), and the voucher it posts against (None: a journal entry)."""

    payment: dict[str, Any]
    bill_id: str
    amount: Decimal
    origin: BillOrigin | None
    voucher: tuple[str, int, str] | None

    @property
    def key(self) -> str:
        return f"{self.payment['id']}:{self.bill_id}"

    @property
    def words(self) -> str:
        return f"BILL payment {self.payment['id']} of {money(self.amount)} on bill {self.bill_id}"

    @property
    def journal(self) -> Any:
        return journal_key(str(self.payment["id"]), self.bill_id)

    @property
    def jde_label(self) -> str:
        """The JDE document the part posts to, in words (``-`` for a bill not from JDE)."""
        if self.voucher is not None:
            return f"voucher {self.voucher[0]}/{self.voucher[1]}/{self.voucher[2]}"
        return f"journal batch {self.journal.target_id}" if self.origin is not None else "-"


def _parts(
    payments: list[dict[str, Any]], ledger: Ledger, origins: dict, journal_only: bool
) -> list[PaidPart]:
    parts = []
    for payment in payments:
        for bill_id, raw in paid_bills(payment):
            if bill_id not in origins:
                origins[bill_id] = bill_origin(ledger, bill_id)
            origin = origins[bill_id]
            v = origin.voucher if origin is not None and not journal_only else None
            voucher = (v.company, v.number, v.doc_type) if v is not None else None
            parts.append(PaidPart(payment, bill_id, amount(raw), origin, voucher))
    return parts


def reconcile_payments(staging: Any, jde: Any, bill: Any, ledger: Ledger, day: str) -> Report:
    """The day's BILL payments compared with JDE (see the module's docstring)."""
    report, totals = new_report(), supplier_totals()
    start, end = day_window(day)
    queue = expectations(ledger, "payments")
    statuses, origins = paid_statuses(), {}
    with counted(bill, report, "bill") as session:
        of_day = in_window(session, "payments", start, end)
        ours = sorted(
            (p for p in of_day.values() if made_by_bill(p)),
            key=lambda p: (str(p.get("processDate") or ""), str(p["id"])),
        )
        paid = [p for p in ours if payment_status(p) in statuses]
        journal_only = posting() == "journal"
        parts = _parts(paid, ledger, origins, journal_only)
        undone = [
            (part, posted)
            for part in _parts([p for p in ours if p not in paid], ledger, origins, journal_only)
            if (posted := posted_to_reverse(ledger, INTEGRATION, "payment", "bill", part.key))
        ]
        bills = bill_by_id(session, "bills", [p.bill_id for p in parts if p.voucher is not None])
    report.counts["bill_payments_of_the_day"] = len(of_day)
    report.counts["bill_payments_paid"] = len(paid)
    jde_paid, journals = _jde_side(CountedJde(jde, report), parts + [part for part, _ in undone])
    # JDE shows a voucher's BILL payments oldest first, up to what it has as paid on the voucher beyond
    # what BILL had paid on its bill(s) before the day.
    shown_left = dict(jde_paid)
    for part in {p.bill_id: p for p in parts if p.voucher is not None}.values():
        shown_left[part.voucher] = shown_left.get(part.voucher, Decimal(0)) - _paid_before(
            bills.get(part.bill_id), parts, part.bill_id
        )
    reversed_vouchers = {part.voucher for part, _ in undone}
    _paid_twice(report, [p for p in parts if p.voucher not in reversed_vouchers], bills, jde_paid)
    for part in parts:
        supplier = source_of(ledger, str(part.payment.get("vendorId") or ""), "vendor") or ""
        shown = None if _refused(part) else _shown(part, shown_left, jde_paid, journals)
        _paid(report, queue, totals, part, supplier, shown)
    for part, posted in undone:
        supplier = source_of(ledger, str(part.payment.get("vendorId") or ""), "vendor") or ""
        _undone(report, queue, part, supplier, posted, jde_paid, journals)
    close_totals(report, totals)
    return report


def _paid(
    report: Report, queue: Expectations, totals: SideTotals, part: PaidPart, supplier: str, shown: Any
) -> None:
    """One paid part against JDE: refused by rule, shown, or missing / another amount in JDE."""
    payment_id = str(part.payment["id"])
    if _refused(part):
        if not queue.account_for(report, part.words, part.key):
            why = (
                f"bill {part.bill_id} did not come from JDE (no cross-reference), so there is no JDE document"
                if part.origin is None
                else "JDE payments are amounts paid, greater than zero"
            )
            report.expect(REFUSED, part.words, why)
        return
    report.compared += 1
    totals.add((supplier,), "bill", part.amount)
    if shown is None:
        totals.add((supplier,), "jde", part.amount)
        return
    if queue.account_for(report, part.words, part.key):
        return
    kind, in_jde, where = shown
    vendor = part.payment.get("vendorName") or part.payment.get("vendorId")
    report.differ(
        kind,
        part.jde_label,
        supplier,
        in_jde,
        money(part.amount),
        f"{part.words} to vendor {vendor} (supplier {supplier or '?'}) does not show in JDE as paid: {where}",
        counterpart=payment_id,
        field="paid amount",
    )


def _refused(part: PaidPart) -> bool:
    """A part the payments flow refuses by rule: its bill did not come from JDE, or it pays nothing."""
    return part.origin is None or part.amount <= 0


def _shown(
    part: PaidPart, shown_left: dict[tuple, Decimal], jde_paid: dict[tuple, Decimal], journals: dict
) -> tuple[str, str, str] | None:
    """None when JDE shows this part; else the kind (``missing in JDE`` / ``amount``), what JDE shows, and
    where it looked, in words."""
    voucher = part.voucher
    if voucher is not None:
        left = shown_left.get(voucher, Decimal(0))
        if left >= part.amount:
            shown_left[voucher] = left - part.amount
            return None
        paid = jde_paid.get(voucher, Decimal(0))
        kind = "missing in JDE" if left <= 0 else "amount"
        return kind, money(max(left, Decimal(0))), f"{part.jde_label} shows {money(paid)} paid in JDE (F0411)"
    key = part.journal
    debit = journals.get(key.target_id)
    if debit == part.amount:
        return None
    assert part.origin is not None
    if debit is None:
        where = f"bill {part.bill_id} came from {part.origin.jde_key}, which has no voucher, and JDE has no "
        return "missing in JDE", "-", where + f"journal batch {key.target_id} in F0911Z1"
    return "amount", money(debit), f"its journal batch {key.target_id} in F0911Z1 debits {money(debit)}"


def _undone(
    report: Report,
    queue: Expectations,
    part: PaidPart,
    supplier: str,
    posted: str,
    jde_paid: dict[tuple, Decimal],
    journals: dict,
) -> None:
    """A payment the flow posted to JDE that BILL no longer counts as paid: a difference while JDE still
    shows it and no queue item says a person is on it."""
    still = jde_paid.get(part.voucher, Decimal(0)) > 0 if part.voucher else part.journal.target_id in journals
    if not still:
        return  # reversed in JDE already
    report.compared += 1
    if queue.account_for(report, part.words, part.key):
        return
    status = payment_status(part.payment) or "no longer paid"
    report.differ(
        "status",
        part.jde_label,
        supplier,
        "paid",
        status,
        f"{part.words} is {status} in BILL, but JDE still holds it as paid ({posted}): reverse it in JDE",
        counterpart=str(part.payment["id"]),
        field="status",
    )


def _paid_twice(report: Report, parts: list[PaidPart], bills: dict, jde_paid: dict[tuple, Decimal]) -> None:
    """A voucher JDE shows as paid beyond what BILL paid on its bill(s): money went out of JDE too (a
    check run on a voucher BILL was also paying), the double payment a finance user must look at. Needs
    BILL's due amount (unconfirmed in v3): without it nothing is claimed."""
    by_voucher: dict[tuple, set[str]] = defaultdict(set)
    for part in parts:
        if part.voucher is not None:
            by_voucher[part.voucher].add(part.bill_id)
    for voucher, bill_ids in sorted(by_voucher.items()):
        paid = [paid_on_bill(bills.get(b)) for b in sorted(bill_ids)]
        if None in paid:
            continue
        in_bill = sum(paid, Decimal(0))
        in_jde = jde_paid.get(voucher, Decimal(0))
        if in_jde > in_bill:
            label = f"voucher {voucher[0]}/{voucher[1]}/{voucher[2]}"
            report.differ(
                "paid in JDE beyond BILL",
                label,
                "",
                money(in_jde),
                money(in_bill),
                f"{label} shows {money(in_jde)} paid in JDE but BILL paid {money(in_bill)} on bill(s) "
                f"{', '.join(sorted(bill_ids))}: paid outside BILL as well? Check for a double payment",
            )


def _paid_before(found: dict | None, parts: list[PaidPart], bill_id: str) -> Decimal:
    """What BILL had paid on a bill before the day's counted payments: its amount less its due amount, less
    the day's payments on it (the due amount is unconfirmed in v3; without it, nothing before is assumed)."""
    paid_total = paid_on_bill(found)
    if paid_total is None:
        return Decimal(0)
    today = sum((p.amount for p in parts if p.bill_id == bill_id), Decimal(0))
    return max(paid_total - today, Decimal(0))


def _jde_side(jde: Any, parts: list[PaidPart]) -> tuple[dict, dict[str, Decimal]]:
    """JDE's paid amount per voucher (F0411 gross less open amount over its pay items, read by voucher
    number, 100 to a call) and, for parts posted as journal entries, the debit total of the journal batch
    the payments flow's key names in F0911Z1 (one read per batch: found by key, not by voucher)."""
    vouchers = {p.voucher for p in parts if p.voucher is not None}
    keyed = {p.journal for p in parts if p.origin is not None and p.voucher is None}
    if not vouchers and not keyed:
        return defaultdict(Decimal), {}
    with jde.session() as session:
        return paid_on_vouchers(session, vouchers), journal_debits(session, keyed)
