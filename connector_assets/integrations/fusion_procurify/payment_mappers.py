"""Fusion payables payments -> Procurify paid marks, the pure part: which invoices a payment pays, whether an
invoice is fully paid (and on which day), and what that means for its Procurify bill. No I/O here:
``payment_status`` reads the staging, the ledger, Fusion and Procurify and calls these.

What the reference confirms, and what is tolerated. A payment (``payablesPayments``, reference §2.8) is keyed
by ``CheckId`` and carries ``PaymentNumber``, ``PaymentAmount``, ``PaymentDate`` and ``VoidDate``; its
``relatedInvoices`` child is keyed by ``InvoicePaymentId`` and "carries the invoice reference and amount
paid", names unconfirmed: ``InvoiceId``, ``InvoiceNumber`` and ``AmountPaid`` are read when present and
never required. An invoice's ``InvoiceAmount`` is confirmed; its paid status (``PaidStatus``: Paid /
Partially paid / Unpaid) and ``AmountPaid`` are likely names, unconfirmed: read when present.

Whether an invoice is fully paid, in this order (Fusion's own word first):

1. ``PaidStatus`` when the invoice carries it (``Paid``; ``Partially paid``; ``Unpaid``);
2. else ``AmountPaid`` against ``InvoiceAmount``;
3. else the non-void payments' amounts on this invoice (the ``relatedInvoices`` row's ``AmountPaid``, or
   the payment's ``PaymentAmount`` when it pays this one invoice alone), when every one is known;
4. else it cannot be told, and a person is asked.

The payment date sent to Procurify is the latest ``PaymentDate`` of the invoice's non-void payments: the day
Fusion finished paying it. A payment with a ``VoidDate`` counts for nothing.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from connector_assets.flows import amounts
from connector_assets.flows.core import Mapped, Rejected, Skipped
from connector_assets.flows.lazy_model import lazy_model
from connector_assets.procurify.bill_mark_records import ProcurifyPaidMark
from connector_assets.procurify.bill_marks import has_payment
from connector_assets.procurify.bill_status import BILL_STATUS_NAMES

RELATED = "relatedInvoices"
PAID_STATUSES = {"paid": "paid", "partially paid": "partial", "unpaid": "unpaid"}
APPROVED_BILL, PAID_BILL = 2, 4  # Procurify bill status codes (reference 2.6, confirmed)

State = Literal["paid", "partial", "unpaid", "unknown"]


# -- payments and the invoices they pay -------------------------------------------------------------------


def text(value: Any) -> str:
    """A Fusion attribute as trimmed text ('' for null); whole numbers without a trailing ``.0``."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


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
        ref = InvoiceRef(text(row.get("InvoiceId")), text(row.get("InvoiceNumber")))
        if ref.invoice_id or ref.invoice_number:
            refs.append(ref)
    return refs


def is_void(payment: Mapping[str, Any]) -> bool:
    """Whether Fusion voided the payment (``VoidDate`` set)."""
    return bool(text(payment.get("VoidDate")))


def day(value: Any) -> date | None:
    """An ISO date (or date-time) as a day; None when absent or unreadable."""
    raw = text(value)[:10]
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
    row_id, row_number = text(row.get("InvoiceId")), text(row.get("InvoiceNumber"))
    if row_id:
        return row_id == invoice_id
    return bool(row_number) and row_number == invoice_number


def invoice_payment(payment: Mapping[str, Any], invoice_id: str, invoice_number: str) -> InvoicePayment:
    """``payment`` as a payment of invoice ``invoice_id`` (number ``invoice_number``). Its amount on the
    invoice: the matching ``relatedInvoices`` row's ``AmountPaid``, else ``PaymentAmount`` when the payment
    has exactly one related row (it pays this invoice alone), else unknown."""
    rows = related_rows(payment)
    amount: Decimal | None = None
    matching = [r for r in rows if _same_invoice(r, invoice_id, invoice_number)]
    if matching and all(r.get("AmountPaid") is not None for r in matching):
        amount = sum((amounts.amount(r.get("AmountPaid")) or Decimal(0) for r in matching), Decimal(0))
    elif len(rows) == 1:
        amount = amounts.amount(payment.get("PaymentAmount"))
    check_id = text(payment.get("CheckId"))
    return InvoicePayment(
        check_id=check_id,
        number=text(payment.get("PaymentNumber")) or check_id,
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
            key = text(payment.get("CheckId"))
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
    invoice_id, number = text(invoice.get("InvoiceId")), text(invoice.get("InvoiceNumber"))
    mine = tuple(invoice_payment(p, invoice_id, number) for p in payments)
    live = [p for p in mine if not p.voided]
    dates = [p.paid_on for p in live if p.paid_on is not None]
    paid_on = max(dates) if dates else None
    invoice_amount = amounts.amount(invoice.get("InvoiceAmount"))
    reported = amounts.amount(invoice.get("AmountPaid")) if invoice.get("AmountPaid") is not None else None
    status = PAID_STATUSES.get(text(invoice.get("PaidStatus")).lower())
    facts = {"invoice_amount": invoice_amount, "paid_on": paid_on, "payments": mine}
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


# -- what it means for the Procurify bill -----------------------------------------------------------------


@lazy_model
def ProcurifyPaidMarkRecord() -> type:
    """A mark-as-paid Procurify accepts: one bill uuid, a day, and the Fusion invoice it stands for."""
    import pandera.pandas as pa
    from pandera.typing import Series

    class ProcurifyPaidMarkRecord(ProcurifyPaidMark.model):
        invoice_id: Series[str] = pa.Field(str_matches=r"^\d{1,20}$")

    return ProcurifyPaidMarkRecord


def status_name(bill: Mapping[str, Any]) -> str:
    status = bill.get("status")
    return BILL_STATUS_NAMES.get(int(status), str(status)) if text(status).isdigit() else str(status)


def invoice_label(invoice: Mapping[str, Any]) -> str:
    number, supplier = text(invoice.get("InvoiceNumber")), text(invoice.get("Supplier"))
    of = f" of {supplier}" if supplier else ""
    return f"Fusion invoice {number or '?'}{of} (InvoiceId {text(invoice.get('InvoiceId'))})"


def _paid_figures(state: PaidState) -> str:
    paid = amounts.money(state.amount_paid) if state.amount_paid is not None else "an unknown amount"
    whole = amounts.money(state.invoice_amount) if state.invoice_amount is not None else "?"
    return f"{paid} of {whole} paid"


def _payments_text(payments: Iterable[InvoicePayment]) -> str:
    return ", ".join(
        f"payment {p.number}" + (f" of {p.paid_on.isoformat()}" if p.paid_on else "") for p in payments
    )


def map_paid_mark(
    invoice: Mapping[str, Any],
    state: PaidState,
    bill_uuid: str,
    *,
    marked: bool,
    bill: Mapping[str, Any] | None,
) -> Mapped | Rejected | Skipped | None:
    """One of our Fusion invoices (its Procurify bill ``bill_uuid``) -> what to do about the bill (pure).

    ``marked``: the ledger says this flow marked the bill paid already. ``bill``: the bill as Procurify has
    it now (None when not read: marked already, or nothing to send). None: nothing to do and nothing worth
    an audit line (an unpaid invoice never marked).
    """
    invoice_id = text(invoice.get("InvoiceId"))
    label = invoice_label(invoice)
    if state.state == "paid":
        if state.paid_on is None:
            return Rejected(
                invoice_id,
                f"{label} is paid in Fusion ({state.how}), but no payment of it that is not voided was found "
                "(PaidInvoicesFinder), so there is no payment date to give Procurify; check the invoice's "
                "payments in Fusion, then replay (or mark the bill paid in Procurify by hand and replay: it "
                "is then adopted)",
            )
        paid_on = state.paid_on.isoformat()
        mapped = Mapped(
            invoice_id,
            {"bill_uuids": [bill_uuid], "payment_date": paid_on},
            {"bill_uuid": bill_uuid, "payment_date": paid_on, "invoice_id": invoice_id},
            natural_key={"bill_uuid": bill_uuid},
        )
        if marked or bill is None:
            return mapped
        if has_payment(bill):
            return Skipped(
                invoice_id,
                f"{label} is paid in Fusion, but Procurify bill {bill.get('invoice_number') or bill_uuid} "
                "already has a payment in Procurify: it is paid there, so it is not marked paid again",
            )
        if str(bill.get("status")) in (str(APPROVED_BILL), str(PAID_BILL)):
            return mapped  # a bill Paid already (by a person) is adopted by the target's find
        return Rejected(
            invoice_id,
            f"{label} was paid in Fusion on {paid_on}, but Procurify bill "
            f"{bill.get('invoice_number') or bill_uuid} is {status_name(bill)} and Procurify marks only "
            "approved bills paid (mark-as-paid); approve the bill in Procurify, then replay (or abandon this "
            "item if it should stay as it is)",
        )
    if marked:
        # Marked paid before; Fusion now says otherwise (a payment voided, the invoice reopened).
        voided = state.voided
        cause = f"{_payments_text(voided)} voided" if voided else f"Fusion now shows it {state.state}"
        return Rejected(
            invoice_id,
            f"{label}: its Procurify bill {bill_uuid} was marked paid from Fusion, but {cause} "
            f"({_paid_figures(state)}). Procurify's API cannot un-pay a bill: set the bill back in Procurify "
            "by hand (or record the payment again in Fusion), then abandon this item",
        )
    if state.state == "partial":
        return Skipped(
            invoice_id,
            f"{label} is partially paid in Fusion ({_paid_figures(state)}): Procurify's API cannot record a "
            "partial payment (mark-as-paid sets the whole bill Paid), so bill "
            f"{bill_uuid} is left as it is until Fusion shows the invoice fully paid",
        )
    if state.state == "unknown":
        return Rejected(
            invoice_id,
            f"{label} has payments ({_payments_text(state.live)}) but Fusion gives neither its paid status "
            "(PaidStatus), nor its amount paid (AmountPaid), nor each payment's amount on it, so whether it "
            "is fully paid cannot be told; check it in Fusion and mark the Procurify bill paid by hand if it "
            "is, then replay (it is then adopted)",
        )
    if state.voided:
        return Skipped(
            invoice_id,
            f"{label}: {_payments_text(state.voided)} voided before the Procurify bill was marked paid; the "
            "invoice is unpaid in Fusion, so nothing is sent",
        )
    return None
