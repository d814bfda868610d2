"""Oracle Fusion read back for a reconciliation: payables invoices, purchase orders, suppliers, and the
records changed (or created) in a day. By change window without children, then by key in lists (fifty keys
a query under framework version 2 and later, reference §2.2), or by order number; nothing reads a whole
history. Which records are an integration's own stays the integration's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connector_assets.flows import amounts
from connector_assets.flows.reconciliation import day_window
from connector_assets.flows.values import text
from connector_assets.fusion.payments import State, invoice_payments, paid_state
from connector_assets.fusion.values import canceled, order_status
from connector_resources.fusion.errors import FusionNotFoundError
from connector_resources.fusion.query import parse_timestamp

INVOICE_LINES = ("invoiceLines",)
ORDER_LINES = ("lines", "lines.schedules", "lines.schedules.distributions")


def changed(fusion: Any, entity: str, day: str) -> Iterator[dict[str, Any]]:
    """Fusion's ``entity`` records (purchase orders: drafts among them on most pods) changed in the UTC day,
    without their children: every record created that day is among them (its ``LastUpdateDate`` is at or
    after its ``CreationDate``)."""
    start, end = day_window(day)
    yield from fusion.iter_changed(entity, start, end, expand=())


def created_on(record: Mapping[str, Any], day: str) -> bool:
    """Whether ``record`` was created in the UTC day (its ``CreationDate``, a WHO column every Fusion object
    carries); a record without one counts as not created that day (only changed)."""
    created = parse_timestamp(record.get("CreationDate"))
    start, end = day_window(day)
    return created is not None and start <= created < end


def _money(value: Any) -> Decimal:
    """An amount as Fusion holds it, exactly: in its document's currency, whose decimals it keeps (a KWD
    invoice's fils are not rounded to cents before they are compared)."""
    found = amounts.amount(value)
    return found if found is not None else Decimal(0)


def _number(value: Any) -> Decimal | None:
    found = amounts.amount(value)
    return found.normalize() if found is not None else None


def _day(value: Any) -> str:
    return text(value)[:10]


# -- payables invoices ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FusionInvoiceLine:
    """One line of a Fusion invoice: its number, type (Item, Tax, Freight ...), amount and the order it
    matches (blank: none)."""

    number: int
    line_type: str
    amount: Decimal
    order_number: str = ""
    canceled: bool = False


@dataclass(frozen=True)
class FusionInvoice:
    """A Fusion payables invoice as Fusion holds it now (``found`` False: Fusion has no such invoice any
    more). ``lines`` is None when they were not read."""

    invoice_id: str
    found: bool
    number: str = ""
    supplier: str = ""
    amount: Decimal = Decimal(0)
    canceled: bool = False
    paid: State = "unknown"
    paid_how: str = ""  # which attribute decided: PaidStatus, AmountPaid, payments
    amount_paid: Decimal | None = None
    supplier_number: str = ""
    invoice_date: str = ""
    currency: str = ""
    business_unit: str = ""
    status: str = ""  # ValidationStatus as Fusion names it
    lines: tuple[FusionInvoiceLine, ...] | None = None

    @property
    def label(self) -> str:
        return f"Fusion invoice {self.number or '?'} (InvoiceId {self.invoice_id})"


def _lines(record: Mapping[str, Any], children: str, line: Callable[[Mapping[str, Any]], Any]) -> Any:
    """A record's ``children`` rows read by ``line``, in line-number order; None when they were not read."""
    rows = record.get(children)
    if not isinstance(rows, list):
        return None
    return tuple(sorted((line(row) for row in rows if isinstance(row, Mapping)), key=lambda it: it.number))


def _invoice_line(row: Mapping[str, Any]) -> FusionInvoiceLine:
    return FusionInvoiceLine(
        number=int(_number(row.get("LineNumber")) or 0),
        line_type=text(row.get("LineType")) or "Item",
        amount=_money(row.get("LineAmount")),
        order_number=text(row.get("PurchaseOrderNumber")),
        canceled=canceled(row),
    )


def invoice_of(fusion: Any, invoice_id: str, invoice: Mapping[str, Any] | None) -> FusionInvoice:
    """Invoice ``invoice_id`` from a record read (None: Fusion has none). Its paid state is
    ``fusion.payments.paid_state``'s: ``PaidStatus``, else ``AmountPaid`` (both unconfirmed names); only
    when the pod gives neither are its payments read (``PaidInvoicesFinder``)."""
    if invoice is None:
        return FusionInvoice(invoice_id, False)
    has_status = text(invoice.get("PaidStatus")) or invoice.get("AmountPaid") not in (None, "")
    payments = [] if has_status else invoice_payments(fusion, invoice, [])
    state = paid_state(invoice, payments)
    return FusionInvoice(
        invoice_id=invoice_id,
        found=True,
        number=text(invoice.get("InvoiceNumber")),
        supplier=text(invoice.get("Supplier")),
        amount=_money(invoice.get("InvoiceAmount")),
        canceled=canceled(invoice),
        paid=state.state,
        paid_how=state.how,
        amount_paid=state.amount_paid,
        supplier_number=text(invoice.get("SupplierNumber")),
        invoice_date=_day(invoice.get("InvoiceDate")),
        currency=text(invoice.get("InvoiceCurrency")).upper(),
        business_unit=text(invoice.get("BusinessUnit")),
        status=text(invoice.get("ValidationStatus")),
        lines=_lines(invoice, "invoiceLines", _invoice_line),
    )


def fusion_invoices(fusion: Any, invoice_ids: Iterable[str]) -> dict[str, FusionInvoice]:
    """InvoiceId -> the invoice as Fusion holds it now, with its lines, read in lists of keys
    (``iter_in``); an id Fusion does not answer for is not found."""
    wanted = sorted({str(i) for i in invoice_ids if str(i).strip()})
    rows = {
        text(r.get("InvoiceId")): r
        for r in fusion.iter_in("invoices", "InvoiceId", wanted, expand=INVOICE_LINES)
    }
    return {invoice_id: invoice_of(fusion, invoice_id, rows.get(invoice_id)) for invoice_id in wanted}


# -- purchase orders ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FusionPoLine:
    """One line of a Fusion order: number, quantity, price, amount, description, unit and the charge
    account of its (first) distribution."""

    number: int
    quantity: Decimal | None
    price: Decimal | None
    amount: Decimal
    description: str = ""
    uom: str = ""
    account: str = ""


@dataclass(frozen=True)
class FusionPo:
    """A Fusion purchase order (or draft) of an integration (``found`` False: none). ``lines`` is None when
    they were not read."""

    order_number: str
    found: bool
    header_id: str = ""
    status: str = ""  # StatusCode / Status, upper case ("OPEN", "INCOMPLETE", "CANCELED" ...)
    supplier: str = ""
    supplier_id: str = ""
    currency: str = ""
    business_unit: str = ""
    total: Decimal | None = None  # Ordered (an unconfirmed name), else the lines' amounts when read
    lines: tuple[FusionPoLine, ...] | None = None

    @property
    def label(self) -> str:
        header = f", POHeaderId {self.header_id}" if self.header_id else ""
        return f"Fusion order {self.order_number}{header}"


def _account(line: Mapping[str, Any]) -> str:
    for schedule in line.get("schedules") or []:
        for distribution in (schedule or {}).get("distributions") or []:
            account = text((distribution or {}).get("POChargeAccount"))
            if account:
                return account
    return ""


def _order_line(row: Mapping[str, Any]) -> FusionPoLine:
    return FusionPoLine(
        number=int(_number(row.get("LineNumber")) or 0),
        quantity=_number(row.get("Quantity")),
        price=_number(row.get("Price")),
        amount=_money(row.get("Amount")),
        description=text(row.get("Description")) or text(row.get("Item")),
        uom=text(row.get("UOM")),
        account=_account(row),
    )


def fusion_po_of(order: Mapping[str, Any] | None, number: str) -> FusionPo:
    """An order record (a change-window row or a read) as the comparison sees it; None: Fusion has none."""
    if order is None:
        return FusionPo(number, False)
    lines = _lines(order, "lines", _order_line)
    ordered = amounts.amount(order.get("Ordered"))
    if ordered is None and lines is not None:
        ordered = sum((line.amount for line in lines), Decimal(0))
    return FusionPo(
        order_number=text(order.get("OrderNumber")) or number,
        found=True,
        header_id=text(order.get("POHeaderId")),
        status=order_status(order),
        supplier=text(order.get("Supplier")),
        supplier_id=text(order.get("SupplierId")),
        currency=text(order.get("CurrencyCode")).upper(),
        business_unit=text(order.get("ProcurementBU")) or text(order.get("BillToBU")),
        total=ordered.quantize(amounts.CENT) if ordered is not None else None,
        lines=lines,
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


def fusion_orders(fusion: Any, header_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """POHeaderId -> the order (or draft) as Fusion holds it now, its lines, schedules and distributions
    inline, read in lists of keys; drafts a pod keeps apart from the orders are read among the drafts.
    An id Fusion has in neither is left out."""
    wanted = sorted({str(i) for i in header_ids if str(i).strip()})
    found = {
        text(r.get("POHeaderId")): r
        for r in fusion.iter_in("purchase_orders", "POHeaderId", wanted, expand=ORDER_LINES)
    }
    missing = [i for i in wanted if i not in found]
    if missing:
        for row in fusion.iter_in("draft_purchase_orders", "POHeaderId", missing, expand=ORDER_LINES):
            found[text(row.get("POHeaderId"))] = row
    return found


# -- suppliers ------------------------------------------------------------------------------------------


def fusion_suppliers(fusion: Any, supplier_ids: Iterable[str]) -> dict[str, dict[str, Any] | None]:
    """SupplierId -> the supplier as Fusion holds it now (no children), None when Fusion has none; read
    in lists of keys."""
    wanted = sorted({str(i) for i in supplier_ids if str(i).strip().isdigit()})
    rows = {text(r.get("SupplierId")): r for r in fusion.iter_in("suppliers", "SupplierId", wanted)}
    return {supplier_id: rows.get(supplier_id) for supplier_id in wanted}


def suppliers_by_number(fusion: Any, numbers: Iterable[str]) -> dict[str, dict[str, Any]]:
    """SupplierNumber -> the supplier (no children) for the numbers Fusion holds, read in lists: how an
    invoice (which names its supplier by name and number, not id) is taken to its supplier's id."""
    wanted = sorted({text(n) for n in numbers if text(n)})
    return {text(r.get("SupplierNumber")): r for r in fusion.iter_in("suppliers", "SupplierNumber", wanted)}
