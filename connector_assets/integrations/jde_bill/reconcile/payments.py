"""Payments reconciliation (UTC day, like the BILL poll): the day's BILL payments against what JDE shows.

The day's BILL payments that count as paid (staged ``bill/payments``), one part per bill each pays (what
the payments flow writes to JDE once), against JDE itself: the paid amount on the voucher (F0411 gross
minus open amount), or, for a bill with no voucher, the journal batch in F0911Z1 by its batch key. The
payments JDE does not show are listed by payment, bill, vendor and amount; a voucher JDE shows as paid
beyond what BILL paid is named as a possible double payment.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connector_assets.asset_keys import asset_key
from connector_assets.bill.payment_fields import made_by_bill, paid_bills, paid_on_bill, payment_status
from connector_assets.bill.reads import bill_by_id, staged_records
from connector_assets.flows.reconciliation import Report, amount, money
from connector_assets.flows.reconciliation_calls import CountedJde, counted
from connector_assets.integrations.jde_bill.payments import (
    BillOrigin,
    bill_origin,
    journal_key,
    paid_statuses,
)
from connector_assets.integrations.jde_bill.reconcile.reads import (
    queued_reasons,
    source_of,
    why_missing,
)
from connector_assets.integrations.jde_bill.reconcile.report import close_totals, new_report, supplier_totals
from connector_assets.jde.reconcile_documents import journal_debits, paid_on_vouchers
from connector_resources.ledger import Ledger


@dataclass(frozen=True)
class PaidPart:
    """One bill a counted BILL payment pays: what the payments flow writes to JDE once (its source key
    ``<payment id>:<bill id>``)."""

    payment: dict[str, Any]
    bill_id: str
    amount: Decimal
    origin: BillOrigin | None

    @property
    def key(self) -> str:
        return f"{self.payment['id']}:{self.bill_id}"

    @property
    def voucher(self) -> tuple[str, int, str] | None:
        v = self.origin.voucher if self.origin is not None else None
        return (v.company, v.number, v.doc_type) if v is not None else None


def counted_payments(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The payments the payments flow posts to JDE: paid (``ML_JDE_BILL_PAID_STATUSES``) and made by BILL
    (a payment recorded into BILL from outside is JDE's own already)."""
    statuses = paid_statuses()
    return [p for p in records if payment_status(p) in statuses and made_by_bill(p)]


def reconcile_payments(staging: Any, jde: Any, bill: Any, ledger: Ledger, day: str) -> Report:
    """The day's paid BILL payments compared with JDE (see the module's docstring)."""
    report, totals = new_report(), supplier_totals()
    queued = queued_reasons(ledger, "payments")
    payments = staged_records(staging, asset_key("bill", "payments"), day)
    paid = counted_payments(payments)
    report.counts["bill_payments_changed"] = len(payments)
    report.counts["bill_payments_paid"] = len(paid)
    origins: dict[str, BillOrigin | None] = {}
    parts = []
    for payment in paid:
        for bill_id, raw in paid_bills(payment):
            if bill_id not in origins:
                origins[bill_id] = bill_origin(ledger, bill_id)
            parts.append(PaidPart(payment, bill_id, amount(raw), origins[bill_id]))
    vouchers = {p.voucher for p in parts if p.voucher is not None}
    jde_paid, journals = _jde_side(CountedJde(jde, report), parts, vouchers)
    with counted(bill, report, "bill") as session:
        bills = bill_by_id(session, "bills", [p.bill_id for p in parts if p.voucher is not None])
    # JDE shows a voucher's BILL payments oldest first, up to what it has as paid on the voucher beyond
    # what BILL had paid on its bill(s) before the day.
    shown_left = dict(jde_paid)
    for part in {p.bill_id: p for p in parts if p.voucher is not None}.values():
        shown_left[part.voucher] = shown_left.get(part.voucher, Decimal(0)) - _paid_before(
            bills.get(part.bill_id), parts, part.bill_id
        )
    _paid_twice(report, parts, bills, jde_paid)
    ordered = sorted(parts, key=lambda p: (str(p.payment.get("processDate") or ""), str(p.payment["id"])))
    for part in ordered:
        supplier = source_of(ledger, str(part.payment.get("vendorId") or ""), "vendor") or ""
        totals.add((supplier,), "bill", part.amount)
        where = _not_shown(part, shown_left, jde_paid, journals)
        if where is None:
            totals.add((supplier,), "jde", part.amount)
            continue
        payment = part.payment
        report.differ(
            "paid in BILL, not in JDE",
            f"payment {payment['id']} on bill {part.bill_id}",
            supplier,
            "-",
            money(part.amount),
            f"BILL payment {payment['id']} of {money(part.amount)} to vendor "
            f"{payment.get('vendorName') or payment.get('vendorId')} (supplier {supplier or '?'}) on bill "
            f"{part.bill_id} does not show in JDE: {where} ({why_missing(queued, part.key)})",
        )
    close_totals(report, totals, "payments")
    return report


def _not_shown(
    part: PaidPart, shown_left: dict[tuple, Decimal], jde_paid: dict[tuple, Decimal], journals: dict
) -> str | None:
    """Why JDE does not show this payment, None when it does."""
    if part.origin is None:
        return f"bill {part.bill_id} did not come from JDE (no cross-reference), so there is no JDE document"
    voucher = part.voucher
    if voucher is not None:
        if shown_left.get(voucher, Decimal(0)) >= part.amount:
            shown_left[voucher] -= part.amount
            return None
        paid = money(jde_paid.get(voucher, Decimal(0)))
        return f"voucher {voucher[0]}/{voucher[1]}/{voucher[2]} shows {paid} paid in JDE"
    key = journal_key(str(part.payment["id"]), part.bill_id)
    debit = journals.get(key.target_id)
    if debit == part.amount:
        return None
    found = "no journal batch" if debit is None else f"a journal batch of {money(debit)}"
    return (
        f"bill {part.bill_id} came from {part.origin.jde_key}, which has no voucher, and JDE has {found} "
        f"{key.target_id} in F0911Z1"
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


def _jde_side(jde: Any, parts: list[PaidPart], vouchers: set) -> tuple[dict, dict[str, Decimal]]:
    """JDE's paid amount per voucher (F0411 gross less open amount over its pay items, read by voucher
    number, 100 to a call) and, for payments of bills without a voucher, the debit total of the journal
    batch the payments flow's key names in F0911Z1 (one read per batch: found by key, not by voucher)."""
    keyed = {
        journal_key(str(p.payment["id"]), p.bill_id)
        for p in parts
        if p.origin is not None and p.voucher is None
    }
    if not vouchers and not keyed:
        return defaultdict(Decimal), {}
    with jde.session() as session:
        return paid_on_vouchers(session, vouchers), journal_debits(session, keyed)
