"""Coupa -> JD Edwards payments: Coupa Pay payments recorded against the vouchers the invoices flow wrote
(F0411), through ``ML_RecordPayment`` (``connector_assets.jde.targets.VoucherPayments``). Held until its
invoice is a voucher (an invoice never synced is pulled by the write step: ``flows.parent_pull``); only
Coupa Pay payments go. Depth: docs/integrations/coupa_jde.md, "The flows" (payments).
"""

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from dagster import AssetExecutionContext

from connector_assets.coupa.documents import PAYMENTS, coupa_day, current_versions
from connector_assets.flows import amounts
from connector_assets.flows.assembly import Flow
from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import FlowSpec, Mapped, Rejected
from connector_assets.flows.documents import Version, collect_documents, version_text
from connector_assets.flows.export_marks import ExportMark
from connector_assets.flows.record_models import matching, record_model
from connector_assets.jde import contracts, targets
from connector_assets.jde.batch_bodies import payment_inputs
from connector_assets.jde.tables import AP_LEDGER
from connector_assets.jde.unprocessed_batches import unprocessed_checks
from connector_assets.saas.assets import saas_partitions
from connector_resources.ledger import Ledger, dependency_key
from connector_resources.refusals import refused, source_invalid

from .batch_keys import voucher_remark
from .integration import route
from .invoices import coupa_replay
from .marks import coupa_export_marks
from .own import Own

# Coupa's documented ERP export of Coupa Pay starts at payment_initiated: the money is committed from then
# on. completed_with_errors is not recorded (nor reversed: that stays a person's decision in JDE).
READY_PAYMENT_STATUSES = frozenset({"payment_initiated", "payment_in_progress", "completed_successfully"})


JdePaymentRecord = record_model(
    "JdePaymentRecord",
    "A payment ML_RecordPayment accepts, the Coupa invoice it pays and the version it was mapped from.",
    base=contracts.JdePaymentRecord,
    invoice_id=matching(r"^\d{1,12}$"),
    coupa_updated_at=matching(contracts.VERSION),
)


class VoucherPayments(targets.VoucherPayments):
    source_label = "Coupa"


def map_payment(payment: dict[str, Any], updated_at: datetime, own: Own) -> Iterator[Mapped | Rejected]:
    """One Coupa Pay payment -> one payment per invoice it settles (its ``payment-details``)."""
    payment_id = str(payment["id"])
    reference = f"COUPAPAY-{payment_id}"
    # Coupa Pay has no payment date of its own: the day it was created is when the payment was made.
    paid_on = coupa_day(payment.get("payment-date")) or coupa_day(payment.get("created-at"))
    for detail in payment.get("payment-details") or []:
        if str(detail.get("source-transaction-type") or "InvoiceHeader") != "InvoiceHeader":
            continue  # pays an expense report or the like, not a voucher
        invoice_id = str(detail.get("source-transaction-id") or "")
        key = f"{payment_id}:{invoice_id}"
        amount = amounts.amount(detail.get("payment-total"))
        if not invoice_id.isdigit() or amount is None or paid_on is None:
            sentence = (
                f"payment {payment_id} for invoice {invoice_id or '?'} "
                f"({detail.get('source-transaction-reference')}): its invoice, amount "
                f"{detail.get('payment-total')!r} or date cannot be read"
            )
            field = (
                "source-transaction-id"
                if not invoice_id.isdigit()
                else "payment-total"
                if amount is None
                else "payment-date"
            )
            yield Rejected.of(key, source_invalid(sentence, field=field))
            continue
        if amount <= 0:
            sentence = _not_a_payment(payment_id, invoice_id, detail, amount)
            yield Rejected.of(key, refused(sentence, rule="not a payment"))
            continue
        currency = payment_currency(payment, detail)
        if not amounts.fits(amount, currency):
            invoice = f"invoice {invoice_id} ({detail.get('source-transaction-reference')})"
            places = amounts.minor_units(currency)
            sentence = (
                f"payment {payment_id} for {invoice}: its amount {amount} has more decimals than "
                f"{currency or 'its currency'} has ({places})"
            )
            yield Rejected.of(key, source_invalid(sentence, field="payment-total", value=str(amount)))
            continue
        batch = own.batch_key(invoice_id)
        inputs = payment_inputs(amount, currency=currency, paid_on=paid_on, reference=reference)
        # What the invoice's voucher carries in F0411, to find it by once JDE purged the batch rows.
        marks = {"Voucher_Remark": voucher_remark(invoice_id)}
        if str(detail.get("source-transaction-reference") or "").strip():
            marks["Voucher_Invoice_Number"] = str(detail["source-transaction-reference"]).strip()
        yield Mapped(
            source_key=key,
            body={**batch.body(), **inputs, **marks},
            fields={
                "payment_reference": reference,
                "payment_amount": inputs["Payment_Amount"],
                "currency": currency,
                "payment_date": paid_on,
                "invoice_id": invoice_id,
                "coupa_updated_at": version_text(updated_at),
            },
            natural_key={"Payment_Reference": reference, "invoice_id": invoice_id},
            depends_on=dependency_key(own.name, "invoice", "coupa", invoice_id),  # the invoices flow's record
        )


def payment_currency(payment: dict[str, Any], detail: dict[str, Any]) -> str:
    """The currency a Coupa Pay payment detail is in: its own ``currency``, else the payment's
    ``pay-to-currency`` (what the supplier is paid in); "" when neither names a code."""
    for currency in (detail.get("currency"), payment.get("pay-to-currency")):
        code = str((currency or {}).get("code") or "").strip().upper() if isinstance(currency, dict) else ""
        if code:
            return code
    return ""


def _not_a_payment(payment_id: str, invoice_id: str, detail: dict[str, Any], amount: Decimal) -> str:
    """Why a Coupa Pay amount of zero or less is not recorded in JDE, in a finance user's words: JDE has no
    negative payment (why: docs/integrations/coupa_jde.md, "The flows", payments)."""
    invoice = f"invoice {invoice_id} ({detail.get('source-transaction-reference') or 'no reference'})"
    if amount == 0:
        return f"Coupa payment {payment_id} for {invoice} moves no money (0.00): nothing to record in JDE."
    return (
        f"Coupa payment {payment_id} for {invoice} is {amounts.money(amount)}, a refund or a credit "
        "applied: JDE payments cannot be negative (ML_RecordPayment records amounts paid, greater than "
        "zero). The credit note reaches JDE as a debit memo voucher; apply it to the supplier's open "
        "vouchers in JDE (or record the refund as a receipt), then abandon this item."
    )


def _payment_records(ledger: Ledger, versions: list[Version], own: Own) -> Iterator[Mapped | Rejected]:
    for version in versions:
        payment = version.record
        if str(payment.get("status") or "") not in READY_PAYMENT_STATUSES:
            continue
        records = list(map_payment(payment, version.updated_at, own))
        # As for invoices: exported by our own mark still goes through (skipped unless changed).
        ours = any(
            (x := ledger.get_xref(own.name, "payment", "coupa", r.source_key, "JDE")) and x.target_id
            for r in records
        )
        if ours or not payment.get("exported"):
            yield from records


def payment_records(session: Any, payment_id: str) -> set[str]:
    """The written records a Coupa Pay payment stands for: one per invoice it settles (``map_payment``)."""
    payment = session.get("payments", payment_id)
    return {
        f"{payment_id}:{detail.get('source-transaction-id')}"
        for detail in payment.get("payment-details") or []
        if str(detail.get("source-transaction-type") or "InvoiceHeader") == "InvoiceHeader"
    }


def payments_flow(own: Own, invoices: FlowSpec) -> Flow:
    """``own``'s payments flow, after the staged payments and the ``invoices`` flow's write (a payment and
    its invoice arriving together are both written in one run); replayed as the invoices are, the payments
    held for their invoice's voucher (R04110ZA), a closed period or a JDE record released on the replay's."""

    def map_payments(context: AssetExecutionContext, partition: str | None) -> Iterator[Mapped | Rejected]:
        """The partition's Coupa Pay payments (poll + inbox, latest version each) that committed money."""
        documents = collect_documents(context, partition, source, spec)
        yield from _payment_records(context.resources.ledger.get(), documents.current, own)

    def remap_payments(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
        """The named payments (``payment:invoice``) read from Coupa again and mapped (replay)."""
        versions = current_versions(context.resources.coupa, "payments", [k.split(":", 1)[0] for k in keys])
        yield from _payment_records(context.resources.ledger.get(), versions, own)

    source = own.coupa.source(PAYMENTS)
    spec = route(own.it).flow(
        "payments",
        "payment",
        JdePaymentRecord,
        map_payments,
        remap_payments,
        VoucherPayments,
        # F0414: a payment JDE already holds, recognised by reading (``jde.payment_repeats``)
        reads={"JDE": (targets.BATCH_TABLE, AP_LEDGER.table, targets.PAYMENT_TABLE, *targets.PERIOD_TABLES)},
        writes={"coupa": ("payments",)},  # the export mark, beside the target's payments
    )
    assets = [
        *own.coupa.assets(PAYMENTS.asset),  # an instance on a Coupa tenant of its own stages its payments
        *build_flow_assets(
            spec,
            inbox=source,
            partitions_def=saas_partitions,
            upstream=[invoices.key("written")],
            resource_keys={"jde"},
            # an invoice approved before the first day's window (Coupa Pay pays it later) is pulled here
            parents=[invoices],
        ),
        coupa_export_marks(
            ExportMark(
                spec,
                "payments",
                document_of=lambda source_key: source_key.split(":", 1)[0],
                records_of=payment_records,
            )
        ),
    ]
    replay = coupa_replay(VoucherPayments.for_replay, unprocessed_checks)
    return Flow(spec, assets, replay=replay, inbox=source)
