"""The bills flow's mappers (pure: a JDE document and the checked tables in, a BILL bill body out).

An approved purchase order: one line per open order line at its extended cost, due after the net days of
its terms. A voucher: one line per pay item on the account of its order's first line, or its F0911
distribution line by line (which must add up to the gross less tax). Which documents are mapped, and
whether a voucher takes its order's bill over, is ``bill_plan``'s rule; these only map.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from connector_assets.flows.amounts import CENT
from connector_assets.flows.core import Mapped, Rejected
from connector_assets.integrations.jde_bill.bill_eligibility import open_lines
from connector_assets.integrations.jde_bill.bill_keys import (
    OrderRef,
    order_invoice_number,
    order_ref,
    order_source_key,
    parse_key,
    takeover_description,
    voucher_order,
    voucher_source_key,
)
from connector_assets.integrations.jde_bill.bill_mappings import BillPolicy, LineCoder, net_days
from connector_assets.integrations.jde_bill.vendors import VENDORS_FLOW
from connector_assets.jde.documents import JdePurchaseOrder, JdeVoucher

# -- small readers of JDE values ---------------------------------------------------------------------------


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    return date.fromisoformat(text[:10]) if len(text) >= 10 else None


def _money(value: Any) -> Decimal:
    return Decimal(str(value if value not in (None, "") else 0))


def _cents(amount: Decimal) -> str:
    return str(amount.quantize(CENT))


def _lnid(line: dict) -> str:
    return f"{Decimal(str(line.get('LNID') or 0)).normalize():f}"


# -- the mappers ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Books:
    """What a mapper needs beside the JDE document: the checked classifications, the terms table, the
    policy, and the BILL vendor ids known (supplier number -> vendor id, from the vendors flow)."""

    coder: LineCoder
    terms: Mapping[str, str]
    policy: BillPolicy
    vendors: Mapping[int, str]


def _record(
    key: str,
    supplier: int,
    invoice: tuple[str, date | None],
    due: date | None,
    lines: list[dict],
    books: Books,
    *,
    order_number: int | None,
    description: str,
    invoice_numbers: list[str],
    voucher: str | None = None,
    taken_over_by: Mapping[str, str] | None = None,
) -> Mapped:
    number, invoice_date = invoice
    body: dict[str, Any] = {
        "invoice": {"invoiceNumber": number, "invoiceDate": invoice_date.isoformat() if invoice_date else ""},
        "dueDate": due.isoformat() if due else "",
        "description": description[:1000],
        "billLineItems": lines,
    }
    vendor_id = books.vendors.get(supplier)
    if vendor_id:
        body["vendorId"] = vendor_id
    if order_number is not None:
        body["purchaseOrderNumber"] = str(order_number)
    natural: dict[str, Any] = {"supplier": supplier, "invoice_numbers": invoice_numbers}
    if voucher:
        natural["voucher"] = voucher
    if taken_over_by:
        natural["taken_over_by"] = dict(taken_over_by)
        natural["order"] = list(parse_key(key)[1:])  # type: ignore[index]
    return Mapped(
        source_key=key,
        body=body,
        fields={
            "source_key": key,
            "supplier_number": str(supplier),
            "invoice_number": number,
            "invoice_date": body["invoice"]["invoiceDate"],
            "due_date": body["dueDate"],
            "lines": len(lines),
            "total": float(sum((Decimal(line["amount"]) for line in lines), Decimal(0))),
        },
        natural_key=natural,
        depends_on=VENDORS_FLOW.dependency_key(str(supplier)),
    )


def _line(amount: Decimal, description: str, classifications: dict[str, str]) -> dict[str, Any]:
    return {"amount": _cents(amount), "description": description[:1000], "classifications": classifications}


def map_order_bill(
    order: JdePurchaseOrder,
    books: Books,
    supplier_terms: str | None = None,
    vouchers_on_it: Mapping[str, str] | None = None,
) -> Mapped | Rejected:
    """An approved purchase order -> a BILL bill (open lines at their extended cost).

    ``vouchers_on_it`` (supplier invoice number -> ``PV:...`` key of each voucher on the order, whatever
    its pay status) are the invoice numbers the order's bill may carry since a voucher took it over: its
    natural-key search looks for them too (``BillsFromJde.find``), so a ledger that lost the bill (or a fresh
    one) adopts it instead of creating a second bill."""
    ref = order_ref(order)
    key = order_source_key(ref)
    label = f"purchase order {ref[0]}/{ref[1]}/{ref[2]}"
    header = order.header
    if header is None:
        return Rejected(key, f"{label}: lines changed but no F4301 header was found")
    lines, problems = [], []
    for line in open_lines(order, books.policy):
        where = f"{label} line {_lnid(line)}"
        typed = str(line.get("ANI") or "").strip()
        stock = str(line.get("LNTY") or "").strip() == "S" and not typed
        if not typed and not stock:
            problems.append(f"{where} has no account (F4311 ANI)")
            continue
        unit = str(line.get("MCU") or "").strip() if stock else typed.split(".")[0]
        coded = books.coder.classify(None if stock else typed, unit, where)
        if isinstance(coded, str):
            problems.append(coded)
            continue
        quantity, price = _money(line.get("UORG")), _money(line.get("PRRC"))
        amount = _money(line.get("AEXP")) if line.get("AEXP") not in (None, "") else quantity * price
        text = str(line.get("DSC1") or "").strip() or str(line.get("LITM") or "").strip() or "-"
        if quantity:
            text = f"{text} ({quantity.normalize():f} x {price.normalize():f})"
        lines.append(_line(amount, text, coded))
    if problems:
        return Rejected(key, f"{label}: " + "; ".join(problems))
    if not lines:
        return Rejected(key, f"{label}: no open lines to bill")
    ordered = _day(header.get("TRDJ"))
    days = net_days((header.get("PTC"), supplier_terms), books.terms, books.policy)
    if isinstance(days, str):
        return Rejected(key, f"{label}: {days}")
    if ordered is None:
        return Rejected(key, f"{label}: no order date (F4301 TRDJ) to date the bill from")
    total = sum((Decimal(line["amount"]) for line in lines), Decimal(0))
    if total <= 0:
        return Rejected(
            key, f"{label}: its open lines total {_cents(total)}; BILL takes bills above zero only"
        )
    number = order_invoice_number(ref)
    return _record(
        key,
        int(header["AN8"]),
        (number, ordered),
        ordered + timedelta(days=days),
        lines,
        books,
        order_number=ref[1],
        description=f"JDE purchase order {ref[0]}/{ref[1]}/{ref[2]}",
        invoice_numbers=[number, *(n for n in (vouchers_on_it or {}) if n != number)],
        taken_over_by=vouchers_on_it,
    )


def _order_lines_for(voucher: JdeVoucher, order: JdePurchaseOrder | None) -> tuple[str | None, str] | str:
    """The account (None: stock) and business unit a voucher on an order is charged to: the order's
    first line (as the voucher's own lines in JDE are distributed to the order's accounts)."""
    line = order.lines[0] if order is not None and order.lines else voucher.order_line
    if line is None:
        return f"purchase order {voucher.order} has no lines in F4311 to take the GL account from"
    typed = str(line.get("ANI") or "").strip()
    if typed:
        return typed, typed.split(".")[0]
    if str(line.get("LNTY") or "").strip() == "S":
        unit = str(line.get("MCU") or voucher.pay_items[0].get("MCU") or "").strip()
        return None, unit
    return f"the first line of purchase order {voucher.order} has no account (F4311 ANI)"


def _distribution_lines(voucher: JdeVoucher, books: Books, label: str) -> list[dict] | str:
    """A voucher without an order: its F0911 distribution, which must equal the pay items' gross less
    tax; the tax (if any) is one more line on the first distribution line's account."""
    if not voucher.distribution:
        return (
            "it has no purchase order and no G/L distribution (ledger AA) in F0911 to take the GL "
            "account from"
        )
    items = voucher.pay_items
    tax = sum((_money(i.get("STAM")) for i in items), Decimal(0))
    expected = sum((_money(i.get("AG")) for i in items), Decimal(0)) - tax
    distributed = sum((_money(row.get("AA")) for row in voucher.distribution), Decimal(0))
    if distributed != expected:
        return (
            f"its G/L distribution in F0911 totals {_cents(distributed)} but its pay items total "
            f"{_cents(expected)} (gross less tax); correct the voucher in JDE"
        )
    lines, problems, first = [], [], None
    for row in voucher.distribution:
        typed = str(row.get("ANI") or "").strip()
        if not typed:
            parts = [str(row.get(k) or "").strip() for k in ("MCU", "OBJ", "SUB")]
            typed = ".".join(p for p in parts if p) if parts[1] else ""
        where = f"{label} G/L line {row.get('JELN')}"
        if not typed:
            problems.append(f"{where} has no account")
            continue
        coded = books.coder.classify(typed, typed.split(".")[0], where)
        if isinstance(coded, str):
            problems.append(coded)
            continue
        first = first or coded
        lines.append(_line(_money(row.get("AA")), str(row.get("EXA") or "").strip() or where, coded))
    if problems:
        return "; ".join(problems)
    if tax and first:
        lines.append(_line(tax, f"Tax ({label})", first))
    return lines


def map_voucher_bill(
    voucher: JdeVoucher,
    books: Books,
    order: JdePurchaseOrder | None = None,
    *,
    takes_over: OrderRef | None = None,
    first_on_order: bool = False,
) -> Mapped | Rejected:
    """A voucher -> a BILL bill of its own (``PV:...``), or, with ``takes_over``, the content of that
    order's bill (``PO:...``): the same bill, now the supplier's invoice.

    ``first_on_order``: the voucher is its order's first payable voucher, written as a bill of its own
    because the ledger knows no bill of the order (a fresh ledger, or an order no longer approved). Its
    search looks for the order's invoice number too: a bill the order made is then adopted (and becomes
    the voucher's), not doubled."""
    own_key = voucher_source_key(voucher.key)
    key = order_source_key(takes_over) if takes_over else own_key
    label = f"voucher {voucher.label}"
    first = voucher.pay_items[0]
    number = str(first.get("VINV") or "").strip()
    if not number:
        return Rejected(key, f"{label}: no supplier invoice number (F0411 VINV)")
    label = f"{label} (invoice {number})"
    dues = [d for d in (_day(item.get("DDJ")) for item in voucher.pay_items) if d]
    if not dues:
        return Rejected(key, f"{label}: no due date (F0411 DDJ)")
    if voucher.order is not None:
        charged = _order_lines_for(voucher, order)
        if isinstance(charged, str):
            return Rejected(key, f"{label}: {charged}")
        account, unit = charged
        lines = []
        for item in voucher.pay_items:
            where = f"{label} pay item {item.get('SFX')}"
            coded = books.coder.classify(account, unit, where)
            if isinstance(coded, str):
                return Rejected(key, f"{label}: {coded}")
            text = str(item.get("RMK") or "").strip() or where
            lines.append(_line(_money(item.get("AG")), text, coded))
    else:
        planned = _distribution_lines(voucher, books, label)
        if isinstance(planned, str):
            return Rejected(key, f"{label}: {planned}")
        lines = planned
    total = sum((Decimal(line["amount"]) for line in lines), Decimal(0))
    if total <= 0:
        return Rejected(
            key,
            f"{label}: totals {_cents(total)}; a credit is entered in BILL as a vendor credit, not a bill",
        )
    numbers = [number]
    if takes_over:
        numbers.append(order_invoice_number(takes_over))  # what a crashed create of the order's bill made
    elif first_on_order and (on := voucher_order(voucher)) is not None:
        numbers.append(order_invoice_number(on))  # the order's bill, not taken over yet
    return _record(
        key,
        int(first["AN8"]),
        (number, _day(first.get("DIVJ"))),
        min(dues),
        lines,
        books,
        order_number=voucher.order,
        description=takeover_description(voucher.label, takes_over)
        if takes_over
        else f"JDE voucher {voucher.label}",
        invoice_numbers=numbers,
        voucher=own_key if takes_over else None,
    )
