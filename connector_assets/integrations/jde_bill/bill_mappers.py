"""The bills flow's mappers (pure: a JDE document and the checked tables in, a BILL bill body out, or a
refusal as data); which documents are mapped, and whether a voucher takes its order's bill over, is
``bill_plan``'s rule. Amounts stay in the document's currency, which the record's natural key names for
``bill_target`` to check. Line by line: docs/integrations/jde_bill.md, "The flows" ("bills").
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from connector_assets.bill.bodies import bill_line, bill_parts
from connector_assets.flows.amounts import money
from connector_assets.flows.core import FlowSpec, Mapped, Rejected
from connector_assets.jde.charges import (
    jde_amount,
    jde_day,
    line_number,
    order_line_charge,
    order_line_cost,
    typed_account,
    voucher_order_charge,
    voucher_totals,
)
from connector_assets.jde.document_statuses import open_lines
from connector_assets.jde.documents import JdePurchaseOrder, JdeVoucher, own_amount
from connector_assets.jde.order_vouchers import (
    OrderRef,
    order_ref,
    order_source_key,
    parse_source_key,
    voucher_order,
    voucher_source_key,
)
from connector_resources.refusals import Refusal, refusal_of, refused, source_invalid
from connector_resources.said import refusal_for, said

from .bill_keys import order_invoice_number, takeover_description
from .bill_mappings import BillPolicy, LineCoder, net_days

# -- the mappers ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Books:
    """What a mapper needs beside the JDE document: the checked classifications, the terms table, the
    policy, the BILL vendor ids known (supplier number -> vendor id, from the vendors flow) and that flow
    (what a bill of a vendor not synced yet waits for)."""

    coder: LineCoder
    terms: Mapping[str, str]
    policy: BillPolicy
    vendors: Mapping[int, str]
    vendor_flow: FlowSpec


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
    currency: str,
    voucher: str | None = None,
    taken_over_by: Mapping[str, str] | None = None,
) -> Mapped:
    body, fields = bill_parts(invoice, due, description, lines, books.vendors.get(supplier), order_number)
    natural: dict[str, object] = {
        "supplier": supplier,
        "invoice_numbers": invoice_numbers,
        "currency": currency,
    }
    if voucher:
        natural["voucher"] = voucher
    if taken_over_by:
        natural["taken_over_by"] = dict(taken_over_by)
        natural["order"] = list(parse_source_key(key)[1:])  # type: ignore[index]
    return Mapped(
        source_key=key,
        body=body,
        fields={"source_key": key, "supplier_number": str(supplier), **fields},
        natural_key=natural,
        depends_on=books.vendor_flow.dependency_key(str(supplier)),
    )


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
        text = f"{label}: lines changed but no F4301 header was found"
        return Rejected.of(key, source_invalid(text, field="F4301 header"))
    lines: list[dict] = []
    problems: list[str] = []
    foreign = order.currency if order.foreign else None  # its amounts keep that currency's decimals
    for line in open_lines(order, books.policy):
        where = f"{label} line {line_number(line)}"
        charge = order_line_charge(line)
        if charge is None:
            problems.append(said(source_invalid(f"{where} has no account (F4311 ANI)", field="F4311 ANI")))
            continue
        coded = books.coder.classify(*charge, where)
        if isinstance(coded, Refusal):
            problems.append(said(coded))
            continue
        try:
            lines.append(bill_line(*order_line_cost(line), coded, foreign))
        except ValueError as exc:  # an extended cost finer than the order's currency has
            problems.append(said(refusal_of(exc, f"{where}: {exc}")))
    if problems:
        return _refused(key, f"{label}: " + "; ".join(problems), problems)
    if not lines:
        return Rejected.of(key, refused(f"{label}: no open lines to bill", rule="no open lines"))
    ordered = jde_day(header.get("TRDJ"))
    terms = books.coder.tables.payment_terms  # the table a missing code is refused naming
    days = net_days((header.get("PTC"), supplier_terms), books.terms, books.policy, terms)
    if isinstance(days, Refusal):
        return Rejected.of(key, Refusal(days.kind, f"{label}: {days.sentence}", days.params))
    if ordered is None:
        text = f"{label}: no order date (F4301 TRDJ) to date the bill from"
        return Rejected.of(key, source_invalid(text, field="F4301 TRDJ"))
    total = sum((Decimal(line["amount"]) for line in lines), Decimal(0))
    if total <= 0:
        text = f"{label}: its open lines total {money(total)}; BILL takes bills above zero only"
        return Rejected.of(key, refused(text, rule="bill not above zero"))
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
        currency=order.currency,
        taken_over_by=vouchers_on_it,
    )


def _distribution_lines(voucher: JdeVoucher, books: Books, label: str) -> list[dict] | Refusal:
    """A voucher without an order: its F0911 distribution lines, the tax one more (in the voucher's currency;
    ``ValueError`` for an amount in it missing or finer than it has)."""
    foreign = voucher.currency if voucher.foreign else None
    ledger = "CA" if foreign else "AA"
    if not voucher.distribution:
        text = (
            f"it has no purchase order and no G/L distribution (ledger {ledger}) in F0911 to take the GL "
            "account from"
        )
        return source_invalid(text, field=f"F0911 ledger {ledger}")
    tax, expected, distributed = voucher_totals(voucher)
    if distributed != expected:
        text = (
            f"its G/L distribution in F0911 totals {money(distributed)} but its pay items total "
            f"{money(expected)} (gross less tax); correct the voucher in JDE"
        )
        return source_invalid(text, field="F0911 AA", value=money(distributed))
    lines: list[dict] = []
    problems: list[str] = []
    first = None
    for row in voucher.distribution:
        typed = typed_account(row)
        where = f"{label} G/L line {row.get('JELN')}"
        if not typed:
            problems.append(said(source_invalid(f"{where} has no account", field="F0911 ANI")))
            continue
        coded = books.coder.classify(typed, typed.split(".")[0], where)
        if isinstance(coded, Refusal):
            problems.append(said(coded))
            continue
        first = first or coded
        text = str(row.get("EXA") or "").strip() or where
        lines.append(bill_line(jde_amount(row.get("AA")), text, coded, foreign))
    if problems:
        return refusal_for("; ".join(problems), problems, rule="G/L distribution")
    if tax and first:
        lines.append(bill_line(tax, f"Tax ({label})", first, foreign))
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
        text = f"{label}: no supplier invoice number (F0411 VINV)"
        return Rejected.of(key, source_invalid(text, field="F0411 VINV"))
    label = f"{label} (invoice {number})"
    dues = [d for d in (jde_day(item.get("DDJ")) for item in voucher.pay_items) if d]
    if not dues:
        return Rejected.of(key, source_invalid(f"{label}: no due date (F0411 DDJ)", field="F0411 DDJ"))
    try:
        lines = _voucher_lines(voucher, books, order, label)
    except ValueError as exc:  # an amount in the voucher's currency missing, or finer than it has
        return Rejected.of(key, refusal_of(exc, f"{label}: {exc}"))
    if isinstance(lines, Refusal):
        return Rejected.of(key, Refusal(lines.kind, f"{label}: {lines.sentence}", lines.params))
    total = sum((Decimal(line["amount"]) for line in lines), Decimal(0))
    if total <= 0:
        text = f"{label}: totals {money(total)}; a credit is entered in BILL as a vendor credit, not a bill"
        return Rejected.of(key, refused(text, rule="credit, not a bill"))
    numbers = [number]
    if takes_over:
        numbers.append(order_invoice_number(takes_over))  # what a crashed create of the order's bill made
    elif first_on_order and (on := voucher_order(voucher)) is not None:
        numbers.append(order_invoice_number(on))  # the order's bill, not taken over yet
    return _record(
        key,
        int(first["AN8"]),
        (number, jde_day(first.get("DIVJ"))),
        min(dues),
        lines,
        books,
        order_number=voucher.order,
        description=takeover_description(voucher.label, takes_over)
        if takes_over
        else f"JDE voucher {voucher.label}",
        invoice_numbers=numbers,
        currency=voucher.currency,
        voucher=own_key if takes_over else None,
    )


def _voucher_lines(
    voucher: JdeVoucher, books: Books, order: JdePurchaseOrder | None, label: str
) -> list[dict] | Refusal:
    """A voucher's bill lines in its currency: one per pay item (its gross, ACR when foreign) on its
    order's account, else its distribution (``_distribution_lines``); or why there can be none."""
    if voucher.order is None:
        return _distribution_lines(voucher, books, label)
    charged = voucher_order_charge(voucher, order)
    if isinstance(charged, str):  # no order line to charge, or the first has no account
        lined = (order is not None and order.lines) or voucher.order_line is not None
        return source_invalid(charged, field="F4311 ANI" if lined else "F4311", value=str(voucher.order))
    account, unit = charged
    foreign = voucher.currency if voucher.foreign else None
    lines = []
    for item in voucher.pay_items:
        where = f"{label} pay item {item.get('SFX')}"
        coded = books.coder.classify(account, unit, where)
        if isinstance(coded, Refusal):
            return coded
        text = str(item.get("RMK") or "").strip() or where
        lines.append(bill_line(own_amount(item), text, coded, foreign))
    return lines


def _refused(key: str, sentence: str, problems: list[str]) -> Rejected:
    """``key`` refused for all of ``problems`` at once, worded ``sentence`` (``said.refusal_for``)."""
    return Rejected.of(key, refusal_for(sentence, problems, rule="order lines not billable"))
