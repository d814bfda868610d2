"""Reading both sides for a day's reconciliation, through the clients, bounded and streamed.

The day's keys come from what changed in that UTC day on either side, read by change window: Procurify
bills (``last_modified_datetime``) and purchase orders (``modified_date``) through
``ProcurifySession.iter_changed``, Fusion invoices and purchase orders (``LastUpdateDate``) through
``FusionSession.iter_changed`` without children. From there each record is read by key: a vendor's bill
register for one month by the documented list filters (``vendor``, ``invoice_date_0/_1``), a Fusion
invoice or order by its id (``get``) or our order number (``find_purchase_order``). Nothing reads a whole
history.

Each side is read from the system itself, never from the ledger alone (which could share a bug with the
writers): the ledger only says which record on one side is the counterpart of which on the other (the
flows' cross-references, ``vendor_pairs``) and why a missing one is missing (the retry queue's reason).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from connector_assets.flows import amounts, retry_reasons
from connector_assets.fusion.payments import invoice_payments, paid_state
from connector_assets.integrations.fusion_procurify import invoices as invoice_flow
from connector_assets.integrations.fusion_procurify.integration import INTEGRATION
from connector_assets.integrations.fusion_procurify.payment_mappers import has_payment
from connector_assets.integrations.fusion_procurify.po_numbers import fusion_order_number
from connector_assets.integrations.fusion_procurify.reconcile.bills import (
    FusionInvoice,
    RegisterBill,
    period_of,
)
from connector_assets.integrations.fusion_procurify.reconcile.orders import FusionPo, ProcurifyPo
from connector_assets.procurify.bill_register import bills_in_period, status_name
from connector_resources.fusion.errors import FusionNotFoundError
from connector_resources.ledger import Ledger
from connector_resources.procurify.errors import ProcurifyNotFoundError

INVOICE_ENTITY = invoice_flow.ENTITY  # "invoice": bill uuid -> Fusion InvoiceId
ORDER_ENTITY = "purchase_order"  # the purchase orders flow's: "PO<n>" -> Fusion POHeaderId
FUSION, PROCURIFY = "fusion", "procurify"
PAID = 4  # Procurify bill status 4 Paid (reference 2.6)
PO_CANCELLED = 1  # Procurify PO state 1 (reference 2.5)


def day_window(day: str) -> tuple[datetime, datetime]:
    """``[day 00:00, next day 00:00)`` in UTC: the partition's change window."""
    start = datetime.combine(date.fromisoformat(day), datetime.min.time(), tzinfo=UTC)
    return start, start + timedelta(days=1)


def text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def queued_reasons(ledger: Ledger, flow: str) -> dict[str, str]:
    """Source key -> why it waits in the flow's retry queue (``flows.retry_reasons``)."""
    return retry_reasons.queued_reasons(ledger, INTEGRATION, flow)


def vendor_id_of(bill: Mapping[str, Any]) -> str:
    vendor = bill.get("vendor")
    value = vendor.get("id") if isinstance(vendor, Mapping) else vendor
    return text(value) if text(value).isdigit() else ""


def vendor_name_of(bill: Mapping[str, Any]) -> str:
    vendor = bill.get("vendor")
    return text(vendor.get("name")) if isinstance(vendor, Mapping) else ""


def sent_invoice(ledger: Ledger, bill_uuid: str) -> str | None:
    """The Fusion InvoiceId the invoices flow wrote (or adopted) for the bill, None when none."""
    xref = ledger.get_xref(INTEGRATION, INVOICE_ENTITY, PROCURIFY, bill_uuid, FUSION)
    return xref.target_id if xref is not None and xref.target_id else None


def bill_of_invoice(ledger: Ledger, invoice_id: str) -> str | None:
    """The bill uuid whose Fusion invoice ``invoice_id`` is, None for an invoice that is not ours."""
    xref = ledger.find_xref_by_target(INTEGRATION, INVOICE_ENTITY, FUSION, invoice_id)
    return xref.source_key if xref is not None else None


# -- bills ----------------------------------------------------------------------------------------------


def changed_bills(session: Any, day: str) -> Iterator[dict[str, Any]]:
    """Procurify's bills changed in the day (slim list rows), streamed."""
    start, end = day_window(day)
    yield from session.iter_changed("bills", start, end)


def changed_invoices(fusion: Any, ledger: Ledger, day: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(bill uuid, invoice) of the Fusion invoices changed in the day that this integration wrote;
    Fusion's own invoices are passed over."""
    start, end = day_window(day)
    for invoice in fusion.iter_changed("invoices", start, end, expand=()):
        uuid = bill_of_invoice(ledger, text(invoice.get("InvoiceId")))
        if uuid is not None:
            yield uuid, invoice


def register_bill(bill: Mapping[str, Any], statuses: frozenset[int], sent: bool) -> RegisterBill:
    status = invoice_flow.status_code(bill)
    total = amounts.amount(bill.get("total_cost_with_tax"))
    return RegisterBill(
        uuid=text(bill.get("uuid")),
        invoice=text(bill.get("invoice_number")),
        period=period_of(bill.get("invoice_date")),
        amount=(total if total is not None else Decimal(0)).quantize(amounts.CENT),
        status=status_name(bill, status),
        approved=status in statuses,
        paid=status == PAID,
        payment_under_way=status != PAID and has_payment(bill),
        exported_elsewhere=bool(bill.get("last_export_date")) and not sent,
    )


def register(
    session: Any, ledger: Ledger, vendor_id: str, period: str, statuses: frozenset[int]
) -> list[RegisterBill]:
    """The vendor's Procurify bills dated (``invoice_date``) in the period, any status, each once."""
    found = bills_in_period(session, vendor_id, period, ("invoice_date",), _invoice_period)
    return [
        register_bill(found[uuid], statuses, sent_invoice(ledger, uuid) is not None) for uuid in sorted(found)
    ]


def _invoice_period(bill: Mapping[str, Any]) -> str | None:
    return period_of(bill.get("invoice_date"))


def bill_now(session: Any, uuid: str) -> dict[str, Any] | None:
    """The bill as Procurify has it now (full read), None when Procurify has no such bill."""
    try:
        return session.get("bills", uuid)
    except ProcurifyNotFoundError:
        return None


def _canceled(invoice: Mapping[str, Any]) -> bool:
    flag = invoice.get("CanceledFlag")
    return (
        flag is True
        or text(flag).lower() in ("true", "y", "1")
        or text(invoice.get("ValidationStatus")).lower() in ("canceled", "cancelled")
    )


def fusion_invoice(fusion: Any, invoice_id: str, known: Mapping[str, Any] | None = None) -> FusionInvoice:
    """Invoice ``invoice_id`` as Fusion holds it (``known``: a copy already read this run). Its paid state
    is ``fusion.payments.paid_state``'s: ``PaidStatus``, else ``AmountPaid`` (both unconfirmed names);
    only when the pod gives neither are its payments read (``PaidInvoicesFinder``)."""
    try:
        invoice = dict(known) if known is not None else fusion.get("invoices", invoice_id)
    except FusionNotFoundError:
        return FusionInvoice(invoice_id, False)
    has_status = text(invoice.get("PaidStatus")) or invoice.get("AmountPaid") not in (None, "")
    payments = [] if has_status else invoice_payments(fusion, invoice, [])
    state = paid_state(invoice, payments)
    total = amounts.amount(invoice.get("InvoiceAmount"))
    return FusionInvoice(
        invoice_id=invoice_id,
        found=True,
        number=text(invoice.get("InvoiceNumber")),
        supplier=text(invoice.get("Supplier")),
        amount=(total if total is not None else Decimal(0)).quantize(amounts.CENT),
        canceled=_canceled(invoice),
        paid=state.state,
        paid_how=state.how,
        amount_paid=state.amount_paid,
    )


# -- purchase orders ------------------------------------------------------------------------------------


def changed_pos(session: Any, day: str) -> Iterator[dict[str, Any]]:
    """Procurify's purchase orders changed in the day (list rows), streamed."""
    start, end = day_window(day)
    yield from session.iter_changed("purchase_orders", start, end)


def changed_orders(fusion: Any, day: str) -> Iterator[dict[str, Any]]:
    """Fusion's purchase orders (drafts among them on most pods) changed in the day, without lines."""
    start, end = day_window(day)
    yield from fusion.iter_changed("purchase_orders", start, end, expand=())


def _status(order: Mapping[str, Any]) -> str:
    return (text(order.get("StatusCode")) or text(order.get("Status"))).upper()


def fusion_po_of(order: Mapping[str, Any] | None, number: str) -> FusionPo:
    if order is None:
        return FusionPo(number, False)
    return FusionPo(
        order_number=text(order.get("OrderNumber")) or number,
        found=True,
        header_id=text(order.get("POHeaderId")),
        status=_status(order),
        supplier=text(order.get("Supplier")),
    )


def fusion_order(fusion: Any, ledger: Ledger, source_key: str, prefix: str) -> FusionPo:
    """The Fusion order of a Procurify PO (``PO<n>``): by the cross-reference's POHeaderId, else by our
    order number (an order adopted, or made with our number, counts as there)."""
    number = fusion_order_number(source_key, prefix)
    xref = ledger.get_xref(INTEGRATION, ORDER_ENTITY, PROCURIFY, source_key, FUSION)
    if xref is not None and xref.target_id:
        try:
            return fusion_po_of(fusion.get("purchase_orders", xref.target_id), number)
        except FusionNotFoundError:
            pass  # a draft not listed among orders, or gone: searched by number below
    return fusion_po_of(fusion.find_purchase_order(number), number)


def procurify_po_of(po: Mapping[str, Any] | None, number: str) -> ProcurifyPo:
    if po is None:
        return ProcurifyPo(number, False)
    vendor = po.get("pref_vendor")
    state = po.get("state")
    return ProcurifyPo(
        number=text(po.get("procurify_PO")) or number,
        found=True,
        cancelled=text(state) == str(PO_CANCELLED),
        vendor=text(vendor.get("name")) if isinstance(vendor, Mapping) else "",
    )


def procurify_po(session: Any, number: str) -> ProcurifyPo:
    """Procurify PO ``number`` as Procurify holds it now."""
    try:
        return procurify_po_of(session.get("purchase_orders", number), number)
    except ProcurifyNotFoundError:
        return ProcurifyPo(number, False)
