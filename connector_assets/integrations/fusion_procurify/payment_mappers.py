"""Fusion payables payments -> Procurify paid marks, the pure part: what a Fusion invoice's paid state means
for its Procurify bill (``payment_status`` does the I/O). Whether an invoice is fully paid, and on which day
(``paid_on``, sent as the payment date), is the Fusion side's (``fusion.payments``); a paid state that
cannot be told is handed to a person here.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from connector_assets.flows.core import Mapped, Rejected, Skipped
from connector_assets.flows.record_models import matching, record_model
from connector_assets.fusion.payments import InvoicePayment, PaidState
from connector_assets.fusion.values import attribute_text
from connector_assets.procurify.bill_mark_records import ProcurifyPaidMark
from connector_assets.procurify.bill_marks import markable
from connector_assets.procurify.bill_paid_marks import status_name
from connector_resources.refusals import Refusal, refused, source_invalid

ProcurifyPaidMarkRecord = record_model(
    "ProcurifyPaidMarkRecord",
    "A mark-as-paid Procurify accepts: one bill uuid, a day, and the Fusion invoice it stands for.",
    base=ProcurifyPaidMark,
    invoice_id=matching(r"^\d{1,20}$"),
)


def invoice_label(invoice: Mapping[str, Any]) -> str:
    number, supplier = attribute_text(invoice.get("InvoiceNumber")), attribute_text(invoice.get("Supplier"))
    of = f" of {supplier}" if supplier else ""
    return f"Fusion invoice {number or '?'}{of} (InvoiceId {attribute_text(invoice.get('InvoiceId'))})"


def _paid_figures(state: PaidState) -> str:
    """``500 of 1000 JPY paid``: both in the invoice's currency, with its own decimals."""
    whole = state.figure(state.invoice_amount) if state.invoice_amount is not None else "?"
    return f"{state.figure(state.amount_paid)} of {whole} paid"


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
    """One of our Fusion invoices (its bill ``bill_uuid``) -> what to do about the bill. ``marked``: this
    flow marked the bill paid already; ``bill``: as Procurify has it now (None when not read: marked
    already, or nothing to send). None: nothing to do, nothing worth an audit line (unpaid, never marked)."""
    invoice_id = attribute_text(invoice.get("InvoiceId"))
    label = invoice_label(invoice)
    if state.state == "paid":
        if state.paid_on is None:
            sentence = (
                f"{label} is paid in Fusion ({state.how}), but no payment of it that is not voided was found "
                "(PaidInvoicesFinder), so there is no payment date to give Procurify; check the invoice's "
                "payments in Fusion, then replay (or mark the bill paid in Procurify by hand and replay: it "
                "is then adopted)"
            )
            return Rejected.of(invoice_id, source_invalid(sentence, field="payment date"))
        paid_on = state.paid_on.isoformat()
        mapped = Mapped(
            invoice_id,
            {"bill_uuids": [bill_uuid], "payment_date": paid_on},
            {"bill_uuid": bill_uuid, "payment_date": paid_on, "invoice_id": invoice_id},
            natural_key={"bill_uuid": bill_uuid},
        )
        markable_bill = markable(bill) if not marked and bill is not None else True
        if markable_bill:
            return mapped  # a bill Paid already (by a person) is adopted by the target's find
        if markable_bill is None:
            return Skipped(
                invoice_id,
                f"{label} is paid in Fusion, but Procurify bill {bill.get('invoice_number') or bill_uuid} "
                "already has a payment in Procurify: it is paid there, so it is not marked paid again",
            )
        sentence = (
            f"{label} was paid in Fusion on {paid_on}, but Procurify bill "
            f"{bill.get('invoice_number') or bill_uuid} is {status_name(bill)} and Procurify marks only "
            "approved bills paid (mark-as-paid); approve the bill in Procurify, then replay (or abandon this "
            "item if it should stay as it is)"
        )
        return Rejected.of(invoice_id, refused(sentence, rule="bill not approved"))
    if marked:
        # Marked paid before; Fusion now says otherwise (a payment voided, the invoice reopened).
        voided = state.voided
        cause = f"{_payments_text(voided)} voided" if voided else f"Fusion now shows it {state.state}"
        sentence = (
            f"{label}: its Procurify bill {bill_uuid} was marked paid from Fusion, but {cause} "
            f"({_paid_figures(state)}). Procurify's API cannot un-pay a bill: set the bill back in Procurify "
            "by hand (or record the payment again in Fusion), then abandon this item"
        )
        return Rejected.of(invoice_id, Refusal("conflict", sentence, {"system": "Procurify"}))
    if state.state == "partial":
        return Skipped(
            invoice_id,
            f"{label} is partially paid in Fusion ({_paid_figures(state)}): Procurify's API cannot record a "
            "partial payment (mark-as-paid sets the whole bill Paid), so bill "
            f"{bill_uuid} is left as it is until Fusion shows the invoice fully paid",
        )
    if state.state == "unknown":
        sentence = (
            f"{label} has payments ({_payments_text(state.live)}) but Fusion gives neither its paid status "
            "(PaidStatus), nor its amount paid (AmountPaid), nor each payment's amount on it, so whether it "
            "is fully paid cannot be told; check it in Fusion and mark the Procurify bill paid by hand if it "
            "is, then replay (it is then adopted)"
        )
        return Rejected.of(invoice_id, source_invalid(sentence, field="PaidStatus"))
    if state.voided:
        return Skipped(
            invoice_id,
            f"{label}: {_payments_text(state.voided)} voided before the Procurify bill was marked paid; the "
            "invoice is unpaid in Fusion, so nothing is sent",
        )
    return None
