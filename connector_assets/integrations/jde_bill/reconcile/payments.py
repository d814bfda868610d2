"""Payments reconciliation (UTC day, as BILL's payments are polled): the day's BILL payments against what
JDE shows.

Each paid part (``<payment id>:<bill id>``, what the payments flow posts once) against the voucher's paid
amount in F0411 or the journal batch in F0911Z1 by its batch key (``jde.reconcile_documents``), in the
document's currency. Kinds, expected gaps and currency: docs/integrations/jde_bill.md, "Reconciliation".
"""

from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from connector_assets.bill.payment_fields import made_by_bill, paid_bills, paid_on_bill, payment_status
from connector_assets.bill.reads import bill_by_id, in_window
from connector_assets.flows.instance import Instance
from connector_assets.flows.reconciliation import (
    CURRENCY_MISMATCH,
    Report,
    amount,
    currencies_differ,
    day_window,
    money,
)
from connector_assets.flows.reconciliation_calls import CountedJde, counted
from connector_assets.flows.reconciliation_expected import Expectations
from connector_assets.flows.reconciliation_totals import SideTotals
from connector_assets.jde.payment_postings import JdeOrigin, posted_to_reverse
from connector_assets.jde.reconcile_documents import InCurrency, journal_debits, paid_on_vouchers
from connector_assets.runtime.session_source import SessionSource
from connector_resources.jde.session import JdeSession
from connector_resources.ledger import Ledger

from ..payments import (
    bill_currency,
    bill_origin,
    journal_key,
)
from .reads import (
    close_totals,
    expectations,
    new_report,
    source_of,
    supplier_totals,
)

REFUSED = "refused by the payments flow, not queued yet"
# A payment of a bill that did not come from JDE: left alone, never queued (``flows.out_of_scope``).
OUT_OF_SCOPE = "out of the integration's scope"


@dataclass(frozen=True)
class PaidPart:
    """One bill a BILL payment pays: what the payments flow writes to JDE once (its source key
    ``<payment id>:<bill id>``), and the voucher it posts against (None: a journal entry)."""

    payment: dict[str, Any]
    bill_id: str
    amount: Decimal
    origin: JdeOrigin | None
    voucher: tuple[str, int, str] | None
    currency: str = ""  # its vendor's billCurrency; blank when BILL does not show the vendor

    @property
    def key(self) -> str:
        return f"{self.payment['id']}:{self.bill_id}"

    @property
    def money(self) -> str:
        """Its amount as a finance user reads it: ``1,000.00 EUR`` (no code when the currency is unknown)."""
        return in_words(self.amount, self.currency)

    @property
    def words(self) -> str:
        return f"BILL payment {self.payment['id']} of {self.money} on bill {self.bill_id}"

    @property
    def journal(self) -> Any:
        return journal_key(str(self.payment["id"]), self.bill_id)

    @property
    def jde_label(self) -> str:
        """The JDE document the part posts to, in words (``-`` for a bill not from JDE)."""
        if self.voucher is not None:
            return f"voucher {self.voucher[0]}/{self.voucher[1]}/{self.voucher[2]}"
        return f"journal batch {self.journal.target_id}" if self.origin is not None else "-"


@dataclass(frozen=True)
class Unshown:
    """Why JDE does not show a paid part as BILL paid it: the difference's kind, both values, the field,
    and the rest of the sentence naming it (after the payment and its vendor)."""

    kind: str
    in_jde: str
    in_bill: str
    field: str
    says: str


def in_words(value: Decimal | None, currency: str) -> str:
    """``1,000.00 EUR``: an amount with its currency's decimals and code (``-`` for none; no code when the
    currency is unknown)."""
    text = money(value, currency or None)
    return f"{text} {currency}" if currency and value is not None else text


def _in_currency(part: PaidPart, currencies: dict[str, str]) -> PaidPart:
    """The part in its vendor's currency (``currencies``: BILL vendor id -> billCurrency)."""
    return replace(part, currency=currencies.get(str(part.payment.get("vendorId") or "").strip(), ""))


def _parts(
    payments: list[dict[str, Any]],
    ledger: Ledger,
    integration: str,
    origins: dict,
    journal_only: bool,
    currencies: dict[str, str],
) -> list[PaidPart]:
    parts = []
    for payment in payments:
        currency = currencies.get(str(payment.get("vendorId") or "").strip(), "")
        for bill_id, raw in paid_bills(payment):
            if bill_id not in origins:
                origins[bill_id] = bill_origin(ledger, integration, bill_id)
            origin = origins[bill_id]
            v = origin.voucher if origin is not None and not journal_only else None
            voucher = (v.company, v.number, v.doc_type) if v is not None else None
            parts.append(PaidPart(payment, bill_id, amount(raw), origin, voucher, currency))
    return parts


def reconcile_payments(
    it: Instance,
    staging: Any,
    jde: Any,
    bill: Any,
    ledger: Ledger,
    day: str,
) -> Report:
    """The day's BILL payments compared with JDE (see the module's docstring)."""
    report, totals = new_report(), supplier_totals()
    start, end = day_window(day)
    queue = expectations(ledger, it.instance, "payments")
    statuses, origins = it.setting("paid_statuses"), {}
    with counted(bill, report, "bill") as session:
        of_day = in_window(session, "payments", start, end)
        ours = sorted(
            (p for p in of_day.values() if made_by_bill(p)),
            key=lambda p: (str(p.get("processDate") or ""), str(p["id"])),
        )
        paid = [p for p in ours if payment_status(p) in statuses]
        journal_only = it.setting("payment_posting") == "journal"
        unpaid = [p for p in ours if p not in paid]
        undone = [
            (part, posted)
            for part in _parts(unpaid, ledger, it.instance, origins, journal_only, {})
            if (posted := posted_to_reverse(ledger, it.instance, "payment", "bill", part.key))
        ]
        # The currency each payment is in: its vendor's (read by id, the paid and the undone ones' alone).
        payers = {str(p.get("vendorId") or "").strip() for p in paid + [part.payment for part, _ in undone]}
        vendors = bill_by_id(session, "vendors", payers - {""})
        currencies = {vendor_id: bill_currency(vendor) for vendor_id, vendor in vendors.items()}
        parts = _parts(paid, ledger, it.instance, origins, journal_only, currencies)
        undone = [(_in_currency(part, currencies), posted) for part, posted in undone]
        bills = bill_by_id(session, "bills", [p.bill_id for p in parts if p.voucher is not None])
    report.counts["bill_payments_of_the_day"] = len(of_day)
    report.counts["bill_payments_paid"] = len(paid)
    on_vouchers, journals = _jde_side(CountedJde(jde, report), parts + [part for part, _ in undone])
    jde_paid = defaultdict(Decimal, {voucher: shown.amount for voucher, shown in on_vouchers.items()})
    held_in = {voucher: shown.currency for voucher, shown in on_vouchers.items()}
    # JDE shows a voucher's BILL payments oldest first, up to what it has as paid on the voucher beyond
    # what BILL had paid on its bill(s) before the day.
    shown_left = dict(jde_paid)
    for part in {p.bill_id: p for p in parts if p.voucher is not None}.values():
        shown_left[part.voucher] = shown_left.get(part.voucher, Decimal(0)) - _paid_before(
            bills.get(part.bill_id), parts, part.bill_id
        )
    reversed_vouchers = {part.voucher for part, _ in undone}
    mismatched = {
        p.voucher for p in parts if p.voucher and currencies_differ(p.currency, held_in.get(p.voucher))
    }
    twice = [p for p in parts if p.voucher not in reversed_vouchers | mismatched]
    _paid_twice(report, twice, bills, jde_paid, held_in)
    for part in parts:
        supplier = source_of(ledger, it.instance, str(part.payment.get("vendorId") or ""), "vendor") or ""
        shown = None if _refused(part) else _shown(part, shown_left, jde_paid, held_in, journals)
        _paid(report, queue, totals, part, supplier, shown)
    for part, posted in undone:
        supplier = source_of(ledger, it.instance, str(part.payment.get("vendorId") or ""), "vendor") or ""
        _undone(report, queue, part, supplier, posted, jde_paid, journals)
    close_totals(report, totals)
    return report


def _paid(
    report: Report,
    queue: Expectations,
    totals: SideTotals,
    part: PaidPart,
    supplier: str,
    shown: Unshown | None,
) -> None:
    """One paid part against JDE: refused by rule, shown, or missing / another amount / another currency
    in JDE."""
    payment_id = str(part.payment["id"])
    if _refused(part):
        if part.origin is None:  # whether or not an item queued before the rule is still open
            why = (
                f"bill {part.bill_id} did not come from JDE (no cross-reference), so there is no JDE document"
            )
            report.expect(OUT_OF_SCOPE, part.words, why)
        elif not queue.account_for(report, part.words, part.key):
            report.expect(REFUSED, part.words, "JDE payments are amounts paid, greater than zero")
        return
    report.compared += 1
    totals.add((supplier,), "bill", part.amount)
    if shown is None:
        totals.add((supplier,), "jde", part.amount)
        return
    if queue.account_for(report, part.words, part.key):
        return
    vendor = part.payment.get("vendorName") or part.payment.get("vendorId")
    report.differ(
        shown.kind,
        part.jde_label,
        supplier,
        shown.in_jde,
        shown.in_bill,
        f"{part.words} to vendor {vendor} (supplier {supplier or '?'}) {shown.says}",
        counterpart=payment_id,
        field=shown.field,
    )


def _refused(part: PaidPart) -> bool:
    """A part the payments flow refuses by rule."""
    return part.origin is None or part.amount <= 0


def _shown(
    part: PaidPart,
    shown_left: dict[tuple, Decimal],
    jde_paid: dict[tuple, Decimal],
    held_in: dict[tuple, str],
    journals: dict[str, InCurrency],
) -> Unshown | None:
    """None when JDE shows this part; else how it differs: JDE holds its document in another currency
    (amounts not compared), does not show it (``missing in JDE``) or shows another amount."""
    voucher = part.voucher
    if voucher is not None:
        currency = held_in.get(voucher, "")
        if currencies_differ(part.currency, currency):
            return _mismatch(part, currency, f"{part.jde_label} (F0411 CRCD)")
        left = shown_left.get(voucher, Decimal(0))
        if left >= part.amount:
            shown_left[voucher] = left - part.amount
            return None
        paid = in_words(jde_paid.get(voucher, Decimal(0)), currency or part.currency)
        kind = "missing in JDE" if left <= 0 else "amount"
        shown = money(max(left, Decimal(0)), currency or part.currency or None)
        return _unpaid(kind, shown, part, f"{part.jde_label} shows {paid} paid in JDE (F0411)")
    key = part.journal
    debit = journals.get(key.target_id)
    if debit is not None and currencies_differ(part.currency, debit.currency):
        return _mismatch(part, debit.currency, f"its journal batch {key.target_id} (F0911Z1 CRCD)")
    if debit is not None and debit.amount == part.amount:
        return None
    assert part.origin is not None
    if debit is None:
        where = f"bill {part.bill_id} came from {part.origin.jde_key}, which has no voucher, and JDE has no "
        return _unpaid("missing in JDE", "-", part, where + f"journal batch {key.target_id} in F0911Z1")
    debits = in_words(debit.amount, debit.currency or part.currency)
    shown = money(debit.amount, debit.currency or part.currency or None)
    return _unpaid("amount", shown, part, f"its journal batch {key.target_id} in F0911Z1 debits {debits}")


def _unpaid(kind: str, in_jde: str, part: PaidPart, where: str) -> Unshown:
    """JDE does not show the part's amount paid: ``where`` says what it shows instead."""
    in_bill = money(part.amount, part.currency or None)
    return Unshown(kind, in_jde, in_bill, "paid amount", f"does not show in JDE as paid: {where}")


def _mismatch(part: PaidPart, currency: str, where: str) -> Unshown:
    """JDE holds the part's document in another currency than BILL paid it in: named, amounts not compared."""
    says = (
        f"is in {part.currency} in BILL (its vendor's billCurrency) but JDE holds {where} in {currency}: "
        "amounts in two currencies are not compared"
    )
    return Unshown(CURRENCY_MISMATCH, currency, part.currency, "currency", says)


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


def _paid_twice(
    report: Report,
    parts: list[PaidPart],
    bills: dict,
    jde_paid: dict[tuple, Decimal],
    held_in: dict[tuple, str],
) -> None:
    """A voucher JDE shows as paid beyond what BILL paid on its bill(s) (a check run on a voucher BILL was
    also paying?): named as a possible double payment only when BILL gives its due amount (unconfirmed in
    v3). ``parts`` are in their voucher's currency (the caller leaves out a voucher held in another)."""
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
            currency = held_in.get(voucher, "")
            report.differ(
                "paid in JDE beyond BILL",
                label,
                "",
                money(in_jde, currency or None),
                money(in_bill, currency or None),
                f"{label} shows {in_words(in_jde, currency)} paid in JDE but BILL paid "
                f"{in_words(in_bill, currency)} on bill(s) {', '.join(sorted(bill_ids))}: paid outside BILL "
                "as well? Check for a double payment",
            )


def _paid_before(found: dict | None, parts: list[PaidPart], bill_id: str) -> Decimal:
    """What BILL had paid on a bill before the day's counted payments: its amount less its due amount, less
    the day's payments on it (the due amount is unconfirmed in v3; without it, nothing before is assumed)."""
    paid_total = paid_on_bill(found)
    if paid_total is None:
        return Decimal(0)
    today = sum((p.amount for p in parts if p.bill_id == bill_id), Decimal(0))
    return max(paid_total - today, Decimal(0))


def _jde_side(
    jde: SessionSource[JdeSession], parts: list[PaidPart]
) -> tuple[dict[tuple, InCurrency], dict[str, InCurrency]]:
    """JDE's paid amount per voucher (F0411, 100 vouchers to a call) and the debit total of each journal batch
    the payments flow's key names (F0911Z1, one read per batch: found by key, not by voucher), in currency."""
    vouchers = {p.voucher for p in parts if p.voucher is not None}
    keyed = {p.journal for p in parts if p.origin is not None and p.voucher is None}
    if not vouchers and not keyed:
        return {}, {}
    with jde.session() as session:
        return paid_on_vouchers(session, vouchers), journal_debits(session, keyed)
