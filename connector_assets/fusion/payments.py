"""Whether Fusion has paid an invoice, and on which day, judged one way for every integration.
``invoice_payments`` reads an invoice's payments (``payablesPayments``, reference §2.8); the rest is pure.
The order of the evidence and the currency rule: docs/integrations/fusion_procurify.md, "Payments -> paid
marks".
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from connector_assets.flows import amounts
from connector_assets.fusion.values import attribute_text

RELATED = "relatedInvoices"
PAID_STATUSES = {"paid": "paid", "partially paid": "partial", "unpaid": "unpaid"}

State = Literal["paid", "partial", "unpaid", "unknown"]


# -- payments and the invoices they pay -------------------------------------------------------------------


def related_rows(payment: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The payment's ``relatedInvoices`` rows as staged (expanded inline); [] when not expanded."""
    rows = payment.get(RELATED)
    return [r for r in rows if isinstance(r, Mapping)] if isinstance(rows, list) else []


@dataclass(frozen=True)
class InvoiceRef:
    """How a ``relatedInvoices`` row names its invoice: by id, by number, or (only ``InvoicePaymentId``
    present) not at all."""

    invoice_id: str
    invoice_number: str


def invoice_refs(payment: Mapping[str, Any]) -> list[InvoiceRef]:
    """The invoices a staged payment names (rows naming none are left out: the staged invoices, changed by
    the payment, find those)."""
    refs = []
    for row in related_rows(payment):
        ref = InvoiceRef(attribute_text(row.get("InvoiceId")), attribute_text(row.get("InvoiceNumber")))
        if ref.invoice_id or ref.invoice_number:
            refs.append(ref)
    return refs


def is_void(payment: Mapping[str, Any]) -> bool:
    """Whether Fusion voided the payment (``VoidDate`` set)."""
    return bool(attribute_text(payment.get("VoidDate")))


def day(value: Any) -> date | None:
    """An ISO date (or date-time) as a day; None when absent or unreadable."""
    raw = attribute_text(value)[:10]
    try:
        return date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        return None


@dataclass(frozen=True)
class InvoicePayment:
    """One payment of one invoice as Fusion shows it: what a paid status and a payment date are made of."""

    check_id: str
    number: str  # PaymentNumber (else CheckId): how a person finds it in Fusion
    paid_on: date | None
    voided: bool
    amount: Decimal | None  # paid on this invoice, when Fusion says so


def _same_invoice(row: Mapping[str, Any], invoice_id: str, invoice_number: str) -> bool:
    row_id, row_number = attribute_text(row.get("InvoiceId")), attribute_text(row.get("InvoiceNumber"))
    if row_id:
        return row_id == invoice_id
    return bool(row_number) and row_number == invoice_number


def _same_currency(payment: Mapping[str, Any], currency: str) -> bool:
    """Whether ``payment`` is in ``currency`` as far as it says (a payment naming no currency, or an invoice
    whose currency is not known, is taken as the same: the reference confirms no payment currency)."""
    paid_in = attribute_text(payment.get("PaymentCurrency")).upper()
    return not paid_in or not currency or paid_in == currency.upper()


def invoice_payment(
    payment: Mapping[str, Any], invoice_id: str, invoice_number: str, currency: str = ""
) -> InvoicePayment:
    """``payment`` as a payment of invoice ``invoice_id`` (number ``invoice_number``, in ``currency``). Its
    amount on the invoice: the matching ``relatedInvoices`` row's ``AmountPaid``, else ``PaymentAmount``
    when the payment has exactly one related row (it pays this invoice alone) and is in the invoice's
    currency, else unknown."""
    rows = related_rows(payment)
    amount: Decimal | None = None
    matching = [r for r in rows if _same_invoice(r, invoice_id, invoice_number)]
    if matching and all(r.get("AmountPaid") is not None for r in matching):
        amount = sum((amounts.amount(r.get("AmountPaid")) or Decimal(0) for r in matching), Decimal(0))
    elif len(rows) == 1 and _same_currency(payment, currency):
        amount = amounts.amount(payment.get("PaymentAmount"))
    check_id = attribute_text(payment.get("CheckId"))
    return InvoicePayment(
        check_id=check_id,
        number=attribute_text(payment.get("PaymentNumber")) or check_id,
        paid_on=day(payment.get("PaymentDate")),
        voided=is_void(payment),
        amount=amount,
    )


def merge_payments(*sources: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Payments from several reads (today's staged rows, the PaidInvoicesFinder search), one per
    ``CheckId``: a later source's copy wins (it is newer), but keeps an earlier copy's ``relatedInvoices``
    when it has none (a finder search does not expand children)."""
    merged: dict[str, dict[str, Any]] = {}
    for source in sources:
        for payment in source:
            key = attribute_text(payment.get("CheckId"))
            if not key:
                continue
            copy = dict(payment)
            if not related_rows(copy) and key in merged and related_rows(merged[key]):
                copy[RELATED] = merged[key][RELATED]
            merged[key] = copy
    return [merged[k] for k in sorted(merged)]


# -- is the invoice paid ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaidState:
    """An invoice's paid state, and the facts a message names."""

    state: State
    invoice_amount: Decimal | None
    amount_paid: Decimal | None  # as Fusion (or the payments) say; None when unknown
    paid_on: date | None  # latest PaymentDate of the non-void payments
    payments: tuple[InvoicePayment, ...] = field(default=())
    how: str = ""  # which rule decided: "PaidStatus", "AmountPaid", "payments"
    currency: str = ""  # the invoice's InvoiceCurrency: what every amount here is in

    def figure(self, value: Decimal | None) -> str:
        """An amount of this invoice as a finance user reads it: ``1000 JPY``, ``12.345 KWD`` (its currency's
        own decimals), ``an unknown amount`` for none."""
        if value is None:
            return "an unknown amount"
        return f"{amounts.shown(value, self.currency or None)} {self.currency}".rstrip()

    @property
    def live(self) -> list[InvoicePayment]:
        return [p for p in self.payments if not p.voided]

    @property
    def voided(self) -> list[InvoicePayment]:
        return [p for p in self.payments if p.voided]


def _by_amount(paid: Decimal, invoice_amount: Decimal | None) -> State:
    if invoice_amount is not None and invoice_amount > 0 and paid >= invoice_amount:
        return "paid"
    return "partial" if paid > 0 else "unpaid"


def paid_state(invoice: Mapping[str, Any], payments: Iterable[Mapping[str, Any]]) -> PaidState:
    """Whether ``invoice`` is fully paid, partly or not, from its own attributes first and its payments
    (any copies: staged and searched) otherwise; see the module docstring for the order."""
    invoice_id, number = (
        attribute_text(invoice.get("InvoiceId")),
        attribute_text(invoice.get("InvoiceNumber")),
    )
    currency = attribute_text(invoice.get("InvoiceCurrency"))
    mine = tuple(invoice_payment(p, invoice_id, number, currency) for p in payments)
    live = [p for p in mine if not p.voided]
    dates = [p.paid_on for p in live if p.paid_on is not None]
    paid_on = max(dates) if dates else None
    invoice_amount = amounts.amount(invoice.get("InvoiceAmount"))
    reported = amounts.amount(invoice.get("AmountPaid")) if invoice.get("AmountPaid") is not None else None
    status = PAID_STATUSES.get(attribute_text(invoice.get("PaidStatus")).lower())
    facts = {"invoice_amount": invoice_amount, "paid_on": paid_on, "payments": mine, "currency": currency}
    if status is not None:
        return PaidState(status, amount_paid=reported, how="PaidStatus", **facts)  # type: ignore[arg-type]
    if reported is not None:
        return PaidState(
            _by_amount(reported, invoice_amount), amount_paid=reported, how="AmountPaid", **facts
        )
    if not live:
        return PaidState("unpaid", amount_paid=Decimal(0), how="payments", **facts)
    if all(p.amount is not None for p in live):
        total = sum((p.amount for p in live if p.amount is not None), Decimal(0))
        return PaidState(_by_amount(total, invoice_amount), amount_paid=total, how="payments", **facts)
    return PaidState("unknown", amount_paid=None, how="payments", **facts)


def invoice_payments(
    fusion: Any, invoice: Mapping[str, Any], staged_payments: list[dict[str, Any]]
) -> list[Mapping[str, Any]]:
    """Every payment of ``invoice`` as Fusion has it now: the PaidInvoicesFinder search (no children), each
    with its ``relatedInvoices`` (the staged copy's, else read through the child), keeping only payments
    whose related rows name this invoice or name none (the finder searches by number, which another
    supplier's invoice may share)."""
    invoice_id, number = (
        attribute_text(invoice.get("InvoiceId")),
        attribute_text(invoice.get("InvoiceNumber")),
    )
    searched = fusion.payments_for_invoice(number) if number else []
    payments = merge_payments(staged_payments, searched)
    kept = []
    for payment in payments:
        if not related_rows(payment) and payment.get("links"):
            payment[RELATED] = list(fusion.iter_children("payments", payment, RELATED))
        rows = related_rows(payment)
        named = [
            r for r in rows if attribute_text(r.get("InvoiceId")) or attribute_text(r.get("InvoiceNumber"))
        ]
        if named and not any(_same_invoice(r, invoice_id, number) for r in named):
            continue
        kept.append(payment)
    return kept
