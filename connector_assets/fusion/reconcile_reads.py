"""Oracle Fusion read back for a reconciliation: a payables invoice with its paid state, a purchase order by
its header id or its order number, and the records changed in a day, each as a comparison sees it.

Used by the Oracle Fusion <-> Procurify reconciliation (``fusion_procurify.reconcile``); any integration that
compares what it wrote to Fusion reads Fusion this way: by change window without children
(``FusionSession.iter_changed``), then by key (``get``) or order number (``find_purchase_order``); nothing
reads a whole history. Which records are the integration's own (its ledger's cross-references) stays the
integration's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connector_assets.flows import amounts
from connector_assets.flows.reconciliation import day_window
from connector_assets.flows.values import text
from connector_assets.fusion.payments import State, invoice_payments, paid_state
from connector_resources.fusion.errors import FusionNotFoundError


def changed(fusion: Any, entity: str, day: str) -> Iterator[dict[str, Any]]:
    """Fusion's ``entity`` records (purchase orders: drafts among them on most pods) changed in the UTC day,
    without their children."""
    start, end = day_window(day)
    yield from fusion.iter_changed(entity, start, end, expand=())


# -- payables invoices ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FusionInvoice:
    """A Fusion payables invoice as Fusion holds it now (``found`` False: Fusion has no such invoice any
    more)."""

    invoice_id: str
    found: bool
    number: str = ""
    supplier: str = ""
    amount: Decimal = Decimal(0)
    canceled: bool = False
    paid: State = "unknown"
    paid_how: str = ""  # which attribute decided: PaidStatus, AmountPaid, payments
    amount_paid: Decimal | None = None

    @property
    def label(self) -> str:
        return f"Fusion invoice {self.number or '?'} (InvoiceId {self.invoice_id})"


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


@dataclass(frozen=True)
class FusionPo:
    """A Fusion purchase order (or draft) with an integration's order number (``found`` False: none)."""

    order_number: str
    found: bool
    header_id: str = ""
    status: str = ""  # StatusCode / Status, upper case ("OPEN", "INCOMPLETE", "CANCELED" ...)
    supplier: str = ""

    @property
    def label(self) -> str:
        header = f", POHeaderId {self.header_id}" if self.header_id else ""
        return f"Fusion order {self.order_number}{header}"


def fusion_po_of(order: Mapping[str, Any] | None, number: str) -> FusionPo:
    """An order record (a change-window row or a read) as the comparison sees it; None: Fusion has none."""
    if order is None:
        return FusionPo(number, False)
    return FusionPo(
        order_number=text(order.get("OrderNumber")) or number,
        found=True,
        header_id=text(order.get("POHeaderId")),
        status=(text(order.get("StatusCode")) or text(order.get("Status"))).upper(),
        supplier=text(order.get("Supplier")),
    )


def fusion_order(fusion: Any, header_id: str | None, number: str) -> FusionPo:
    """The Fusion order with our order ``number``: by its ``POHeaderId`` when the integration knows it, else
    (or when that read finds nothing: a draft not listed among orders, or gone) searched by the number, so
    an order adopted, or made with our number, counts as there."""
    if header_id:
        try:
            return fusion_po_of(fusion.get("purchase_orders", header_id), number)
        except FusionNotFoundError:
            pass
    return fusion_po_of(fusion.find_purchase_order(number), number)
