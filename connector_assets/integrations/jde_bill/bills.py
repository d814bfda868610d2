"""JD Edwards approved purchase orders (F4301 + F4311) and vouchers (F0411) -> BILL bills.

BILL has no purchase orders, so both JDE documents become bills. What is sent, and when:

* **An approved purchase order** becomes a bill (source key ``PO:<KCOO>:<DOCO>:<DCTO>``) once every open
  line (last status F4311.LTTR below ``ML_JDE_BILL_PO_CLOSED_STATUS``, default 980) has reached
  ``ML_JDE_BILL_PO_APPROVED_STATUS`` (default 220); closed and cancelled lines are left off. One bill line
  per open order line at its extended cost (AEXP). Invoice number ``PO-<KCOO>-<DOCO>-<DCTO>`` (an order
  has no supplier invoice yet; deterministic, so a rerun finds it), invoice date = the order date
  (TRDJ), due date = order date + the net days of its payment terms (F4301 PTC, else the supplier's F0401
  TRAP) from the terms table; no terms at all take ``ML_JDE_BILL_DEFAULT_NET_DAYS`` (30), terms missing
  from the table are refused. ``purchaseOrderNumber`` = the JDE order number (DOCO).
* **A voucher** (pay status in ``ML_JDE_BILL_VOUCHER_PAY_STATUSES``, default A) becomes a bill (source
  key ``PV:<KCO>:<DOC>:<DCT>``): invoice number = the supplier's (VINV), invoice date DIVJ, due date
  the earliest DDJ of its pay items. A voucher on an order: one line per pay item (gross AG) on the
  account of the order's first line; otherwise its F0911 distribution (ledger AA) line by line, which
  must add up to the gross less tax (the tax, if any, is one more line on the first line's account).
* **A voucher on an order that became a bill updates that bill** instead of making a second one. The
  rule: an order's *first voucher* (the one already recorded on the order's bill, else the lowest voucher
  number among its payable vouchers) takes the order's bill over: the bill (still keyed ``PO:...`` in
  the ledger, so one source record per BILL bill) gets the voucher's invoice number, dates, lines and
  amounts, and the ledger records the ``bill_voucher`` cross-reference (``PV:...`` -> the bill) so the
  payments flow finds the voucher. Later vouchers on the order are bills of their own. A bill BILL has
  already paid, partly paid or scheduled is never rewritten: the record is queued for a person. An order
  whose first voucher already has a bill of its own (it came before the order was approved) is not sent:
  that bill stands for it. An order whose bill exists and that was later cancelled in JDE is not
  changed in BILL (no open line is left to send).

Every line carries a BILL GL account and department from the mapping tables, checked on both sides
(``bill_mappings``). A bill is held until its supplier has synced to BILL as a vendor (the vendors flow)
and released when it does; ``vendorId`` is the vendor's cross-reference. Matching before a create: the
ledger first, then BILL's bills by vendor + invoice number (quirk 8: no idempotency keys), only then a
single create (the bulk endpoint rolls a whole batch back for one bad bill, so it is not used).
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Self

import pandera.pandas as pa
from pandera.typing import Series

from connector_assets.flows.amounts import CENT
from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import Mapped, Rejected, replay_handler
from connector_assets.flows.targets import SessionTarget
from connector_assets.integrations.jde_bill.bill_mappings import (
    ACCOUNTS,
    CHART_OF_ACCOUNTS_ASSET,
    DEPARTMENTS,
    DEPARTMENTS_ASSET,
    PAYMENT_TERMS,
    BillPolicy,
    LineCoder,
    jde_bill_mapping_tables,
    net_days,
)
from connector_assets.integrations.jde_bill.integration import INTEGRATION, ROUTE
from connector_assets.integrations.jde_bill.order_vouchers import vouchers_on_orders
from connector_assets.integrations.jde_bill.vendors import VENDORS_FLOW
from connector_assets.jde.assets import jde_partitions
from connector_assets.jde.documents import (
    DISTRIBUTION_TABLE,
    JdePurchaseOrder,
    JdeVoucher,
    changed_purchase_orders,
    changed_vouchers,
    purchase_orders_by_number,
    suppliers_by_number,
    vouchers_by_key,
)
from connector_assets.jde.tables import AP_LEDGER, GL_ACCOUNTS, PO_HEADERS, PO_LINES, SUPPLIERS
from connector_resources.ledger import Ledger
from connector_resources.replay import ReplayHandler, shared_context, shared_value

ENTITY = "bill"
VOUCHER_LINK = "bill_voucher"  # ledger entity: the voucher that took an order's bill over
INVOICE_NUMBER_MAX = 50  # BILL sandbox limit for invoice.invoiceNumber
OrderRef = tuple[str, int, str]  # KCOO, DOCO, DCTO


class BillRecord(pa.DataFrameModel):
    """What is sent as a BILL bill: whose, which invoice, when due, at least one line, a positive total."""

    source_key: Series[str] = pa.Field(str_matches=r"^(PO|PV):[^:]*:\d+:[^:]*$")
    supplier_number: Series[str] = pa.Field(str_matches=r"^\d{1,8}$")
    invoice_number: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": INVOICE_NUMBER_MAX})
    invoice_date: Series[str] = pa.Field(str_matches=r"^\d{4}-\d{2}-\d{2}$")
    due_date: Series[str] = pa.Field(str_matches=r"^\d{4}-\d{2}-\d{2}$")
    lines: Series[int] = pa.Field(ge=1)
    total: Series[float] = pa.Field(gt=0)

    class Config:
        strict = True
        coerce = True


# -- keys and small readers of JDE values ----------------------------------------------------------------


def order_source_key(ref: OrderRef) -> str:
    return f"PO:{ref[0]}:{ref[1]}:{ref[2]}"


def voucher_source_key(key: tuple[str, int, str]) -> str:
    return f"PV:{key[0]}:{key[1]}:{key[2]}"


def order_invoice_number(ref: OrderRef) -> str:
    """The invoice number of a bill made from an order, before any supplier invoice exists."""
    return f"PO-{ref[0]}-{ref[1]}-{ref[2]}"


def order_ref(order: JdePurchaseOrder) -> OrderRef:
    return order.key[0], order.key[1], order.key[2]


def voucher_order(voucher: JdeVoucher) -> OrderRef | None:
    """The order a voucher is matched to (first pay item's PKCO / PO / PDCT), if any."""
    item = voucher.pay_items[0]
    number = str(item.get("PO") or "").strip()
    if not number.isdigit():
        return None
    return str(item.get("PKCO") or "").strip(), int(number), str(item.get("PDCT") or "").strip()


def _parse_key(key: str) -> tuple[str, str, int, str] | None:
    parts = key.split(":")
    if len(parts) != 4 or parts[0] not in ("PO", "PV") or not parts[2].isdigit():
        return None
    return parts[0], parts[1], int(parts[2]), parts[3]


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    return date.fromisoformat(text[:10]) if len(text) >= 10 else None


def _money(value: Any) -> Decimal:
    return Decimal(str(value if value not in (None, "") else 0))


def _status(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


def _cents(amount: Decimal) -> str:
    return str(amount.quantize(CENT))


def _lnid(line: dict) -> str:
    return f"{Decimal(str(line.get('LNID') or 0)).normalize():f}"


# -- which documents become bills (pure) ------------------------------------------------------------------


def open_lines(order: JdePurchaseOrder, policy: BillPolicy) -> list[dict]:
    """The order's lines not closed or cancelled (last status below the closed status)."""
    return [line for line in order.lines if (_status(line.get("LTTR")) or 0) < policy.closed_status]


def order_approved(order: JdePurchaseOrder, policy: BillPolicy) -> bool:
    """Every open line has reached the approved status (and there is one): an order partly in approval
    waits, so its bill is never sent with some lines missing."""
    lines = open_lines(order, policy)
    return bool(lines) and all((_status(line.get("LTTR")) or 0) >= policy.approved_status for line in lines)


def voucher_payable(voucher: JdeVoucher, policy: BillPolicy) -> bool:
    """Every pay item's status (F0411 PST) is one BILL may pay (a paid or held voucher is not offered)."""
    return all(
        str(item.get("PST") or "").strip().upper() in policy.voucher_statuses for item in voucher.pay_items
    )


def first_voucher(vouchers: Iterable[JdeVoucher]) -> JdeVoucher | None:
    """The order's first voucher: the lowest voucher number (then company, type), i.e. entered first."""
    return min(vouchers, key=lambda v: (v.key[1], v.key[0], v.key[2]), default=None)


# -- mappers (pure: documents and tables in, a bill body out) ----------------------------------------------


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
    order: JdePurchaseOrder, books: Books, supplier_terms: str | None = None
) -> Mapped | Rejected:
    """An approved purchase order -> a BILL bill (open lines at their extended cost)."""
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
        invoice_numbers=[number],
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
) -> Mapped | Rejected:
    """A voucher -> a BILL bill of its own (``PV:...``), or, with ``takes_over``, the content of that
    order's bill (``PO:...``): the same bill, now the supplier's invoice."""
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
    return _record(
        key,
        int(first["AN8"]),
        (number, _day(first.get("DIVJ"))),
        min(dues),
        lines,
        books,
        order_number=voucher.order,
        description=f"JDE voucher {voucher.label}"
        + (f" on purchase order {takes_over[0]}/{takes_over[1]}/{takes_over[2]}" if takes_over else ""),
        invoice_numbers=numbers,
        voucher=own_key if takes_over else None,
    )


# -- the partition's bills: documents read, the voucher-on-order rule applied ------------------------------


def _xref_target(ledger: Ledger, entity: str, key: str) -> str | None:
    xref = ledger.get_xref(INTEGRATION, entity, "JDE", key, "bill")
    return xref.target_id if xref is not None else None


def _vendor_ids(ledger: Ledger, suppliers: Iterable[int]) -> dict[int, str]:
    found = {}
    for an8 in set(suppliers):
        target = ledger.get_xref(INTEGRATION, VENDORS_FLOW.entity, "JDE", str(an8), "bill")
        if target is not None and target.target_id:
            found[an8] = target.target_id
    return found


def plan_bills(
    jde: Any,
    ledger: Ledger,
    books: Books,
    orders: Iterable[JdePurchaseOrder],
    vouchers: Iterable[JdeVoucher],
) -> Iterator[Mapped | Rejected]:
    """``orders`` and ``vouchers`` (changed, or named by a replay) as bills, each source key at most once.

    Reads what the rule needs beside them: the orders their vouchers are on, every voucher on those
    orders (to know each order's first voucher), the supplier terms of orders without their own, and
    the ledger (which voucher took which bill over, which bills and vendors exist)."""
    changed_orders = {order_ref(o): o for o in orders}
    changed_vouchers = [v for v in vouchers if voucher_payable(v, books.policy)]
    in_play = dict(changed_orders)
    referenced = {ref for ref in (voucher_order(v) for v in changed_vouchers) if ref and ref not in in_play}
    if referenced:
        for order in purchase_orders_by_number(jde, {ref[1] for ref in referenced}):
            if order_ref(order) in referenced:
                in_play[order_ref(order)] = order
    on_order: dict[OrderRef, dict[tuple, JdeVoucher]] = {}
    found = vouchers_on_orders(jde, list(in_play)) if in_play else []
    for voucher in [*found, *changed_vouchers]:  # the changed ones too: their newest version wins
        ref = voucher_order(voucher)
        if ref in in_play and voucher_payable(voucher, books.policy):
            on_order.setdefault(ref, {})[voucher.key] = voucher
    unterm = [o for o in in_play.values() if o.header and not str(o.header.get("PTC") or "").strip()]
    supplier_terms = {
        s.number: str(s.supplier.get("TRAP") or "").strip()
        for s in (suppliers_by_number(jde, {int(o.header["AN8"]) for o in unterm}) if unterm else [])
    }
    suppliers = [int(o.header["AN8"]) for o in in_play.values() if o.header]
    suppliers += [int(v.pay_items[0]["AN8"]) for group in on_order.values() for v in group.values()]
    suppliers += [int(v.pay_items[0]["AN8"]) for v in changed_vouchers]
    books = Books(books.coder, books.terms, books.policy, {**_vendor_ids(ledger, suppliers), **books.vendors})

    takers: dict[OrderRef, tuple] = {}  # order -> the voucher key whose content its bill holds
    for ref, order in sorted(in_play.items()):
        key = order_source_key(ref)
        candidates = on_order.get(ref, {})
        bill_id = _xref_target(ledger, ENTITY, key)
        recorded = ledger.find_xref_by_target(INTEGRATION, VOUCHER_LINK, "bill", bill_id) if bill_id else None
        if recorded is not None:  # the voucher that took the bill over keeps it
            parsed = _parse_key(recorded.source_key)
            taker_key = (parsed[1], parsed[2], parsed[3]) if parsed else None
            takers[ref] = taker_key
            taker = candidates.get(taker_key)
            if taker is None:  # paid, held or gone in JDE: the bill is settled, nothing more is sent
                continue
        else:
            taker = first_voucher(candidates.values())
            if taker is not None and _xref_target(ledger, ENTITY, voucher_source_key(taker.key)):
                continue  # its first voucher is a bill of its own already: that bill stands for the order
            if not (bill_id or order_approved(order, books.policy)):
                continue  # not approved (yet): its vouchers are bills of their own
            if taker is None and not order_approved(order, books.policy):
                continue  # its bill exists and the order was cancelled since: BILL is not changed
            if taker is not None:
                takers[ref] = taker.key
        taker_changed = taker is not None and any(v.key == taker.key for v in changed_vouchers)
        if ref not in changed_orders and not taker_changed:
            continue  # read only for its vouchers: nothing of it changed
        if taker is not None:
            yield map_voucher_bill(taker, books, order, takes_over=ref)
        else:
            terms = supplier_terms.get(int(order.header["AN8"])) if order.header else None
            yield map_order_bill(order, books, terms)

    for voucher in changed_vouchers:
        ref = voucher_order(voucher)
        if ref is not None and takers.get(ref) == voucher.key:
            continue  # written as its order's bill (above)
        yield map_voucher_bill(voucher, books, in_play.get(ref) if ref else None)


def _books(context: Any, tables: Mapping[str, Mapping[str, str]]) -> Books:
    staging = context.resources.staging
    coder = LineCoder.load(staging, tables[ACCOUNTS.asset], tables[DEPARTMENTS.asset])
    return Books(coder, tables[PAYMENT_TERMS.asset], BillPolicy.from_settings(), {})


def map_bills(context: Any, partition: str | None) -> Iterator[Mapped | Rejected]:
    """The partition's changed orders (header or any line) and vouchers (any pay item) as BILL bills."""
    staging = context.resources.staging
    tables = {table.asset: table.snapshot(staging) for table in (ACCOUNTS, DEPARTMENTS, PAYMENT_TERMS)}
    books = _books(context, tables)
    jde, ledger = context.resources.jde, context.resources.ledger.get()
    orders = changed_purchase_orders(staging, jde, partition)
    vouchers = changed_vouchers(staging, jde, partition)
    yield from _once_each(plan_bills(jde, ledger, books, orders, vouchers))


def remap_bills(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
    """The named bills (``PO:...`` / ``PV:...``) read from JDE again and mapped with today's tables (they
    are staged afresh first, so a fixed table takes effect)."""
    staging = context.resources.staging
    tables = {table.asset: table.restage(staging) for table in (ACCOUNTS, DEPARTMENTS, PAYMENT_TERMS)}
    books = _books(context, tables)
    jde, ledger = context.resources.jde, context.resources.ledger.get()
    parsed = [p for p in (_parse_key(k) for k in keys) if p]
    wanted_orders = {(p[1], p[2], p[3]) for p in parsed if p[0] == "PO"}
    orders = [
        o
        for o in purchase_orders_by_number(jde, {r[1] for r in wanted_orders})
        if order_ref(o) in wanted_orders
    ]
    vouchers = vouchers_by_key(jde, {(p[1], p[2], p[3]) for p in parsed if p[0] == "PV"})
    made = list(_once_each(plan_bills(jde, ledger, books, orders, vouchers)))
    yield from made
    named = {record.source_key for record in made}
    for voucher in vouchers:
        own = voucher_source_key(voucher.key)
        ref = voucher_order(voucher)
        if own in keys and own not in named and ref is not None and order_source_key(ref) in named:
            yield Rejected(
                own,
                f"voucher {voucher.label} is now the first voucher on purchase order "
                f"{ref[0]}/{ref[1]}/{ref[2]}: "
                f"it is written as that order's bill ({order_source_key(ref)}), not as a bill of its own; "
                "abandon this item",
            )


def _once_each(records: Iterable[Mapped | Rejected]) -> Iterator[Mapped | Rejected]:
    seen: set[str] = set()
    for record in records:
        if record.source_key not in seen:
            seen.add(record.source_key)
            yield record


# -- the BILL side ------------------------------------------------------------------------------------------


class BillAlreadyPaid(RuntimeError):
    """BILL has paid (or scheduled) the bill: it is not rewritten from JDE; a person decides."""


UNPAID = {"", "UNPAID"}


class BillBills(SessionTarget):
    """Bills in BILL: found by vendor + invoice number, created one at a time, updated by merge patch
    (lines replaced whole) unless BILL has paid them. Holds the ledger to read vendor ids and to record
    which voucher took an order's bill over."""

    resource = "bill"
    writes = ("bills",)

    def __init__(self, session: Any, ledger: Ledger) -> None:
        super().__init__(session)
        self.ledger = ledger

    @classmethod
    @contextmanager
    def opened(cls, resource: Any, ledger: Ledger) -> Iterator[Self]:  # type: ignore[override]
        with resource.session(**cls.session_options) as session:
            yield cls(session, ledger)

    @classmethod
    def for_run(cls, context: Any):  # type: ignore[override]
        return cls.opened(context.resources.bill, context.resources.ledger.get())

    def _body(self, record: Mapped) -> dict[str, Any]:
        """The body with the vendor's BILL id (looked up now if the record was mapped before it synced)."""
        if record.body.get("vendorId"):
            return record.body
        supplier = record.natural_key["supplier"]
        vendor = _vendor_ids(self.ledger, [int(supplier)]).get(int(supplier))
        if not vendor:
            raise ValueError(f"supplier {supplier} has not synced to BILL as a vendor yet")
        return {**record.body, "vendorId": vendor}

    def find(self, record: Mapped) -> str | None:
        vendor = self._body(record)["vendorId"]
        for number in record.natural_key["invoice_numbers"]:
            found = self.session.find_bills(vendor_id=vendor, invoice_number=number)
            if found:
                return str(found[0]["id"])
        return None

    def create(self, record: Mapped) -> str:
        bill_id = str(self.session.create_bill(self._body(record))["id"])
        self._link(record, bill_id)
        return bill_id

    def update(self, target_id: str, record: Mapped) -> None:
        current = self.session.get("bills", target_id)
        status = str(current.get("paymentStatus") or "").strip().upper()
        if status not in UNPAID:
            number = (current.get("invoice") or {}).get("invoiceNumber")
            raise BillAlreadyPaid(
                f"BILL bill {target_id} (invoice {number}) is {status} in BILL; it is not rewritten from JDE "
                f"({record.fields['invoice_number']} changed). Check the bill and the JDE document by "
                "hand, then abandon this item"
            )
        self.session.update_bill(target_id, self._body(record))
        self._link(record, target_id)

    def _link(self, record: Mapped, bill_id: str) -> None:
        """Record the voucher that took an order's bill over (``bill_voucher``), for the payments flow."""
        voucher = record.natural_key.get("voucher")
        if voucher:
            self.ledger.record_target(
                INTEGRATION,
                VOUCHER_LINK,
                "JDE",
                voucher,
                "bill",
                target_id=bill_id,
                content_hash=record.content_hash(),
            )


# Beside the staged tables (upstream), F0911 (distribution), F0401 (terms) and F0411 by order are read.
BILLS_FLOW = ROUTE.flow(
    "bills",
    ENTITY,
    BillRecord,
    map_bills,
    remap_bills,
    BillBills,
    reads={"JDE": (DISTRIBUTION_TABLE, SUPPLIERS.table)},
)

bill_assets = [
    *jde_bill_mapping_tables,
    *build_flow_assets(
        BILLS_FLOW,
        partitions_def=jde_partitions,
        # After the vendors' write: in one run, a bill's vendor is synced before the bill is mapped.
        upstream=[
            PO_HEADERS.asset,
            PO_LINES.asset,
            AP_LEDGER.asset,
            GL_ACCOUNTS.asset,
            CHART_OF_ACCOUNTS_ASSET,
            DEPARTMENTS_ASSET,
            *(table.asset for table in (ACCOUNTS, DEPARTMENTS, PAYMENT_TERMS)),
            f"{VENDORS_FLOW.flow}_written",
        ],
        resource_keys={"jde", "bill"},
        group=INTEGRATION,
        kinds={"jde", "bill"},
    ),
]


def bill_replay(resources: Callable[[], dict[str, Any]]) -> ReplayHandler:
    """The bills flow's replay handler: remapped with today's tables (``resources()``: jde, bill,
    staging, built once per replay), written through a target that holds the replay's ledger."""

    def handle(item: Any, ledger: Ledger) -> Any:
        built = shared_value(("resources", INTEGRATION, BILLS_FLOW.name, id(resources)), resources)
        key = ("target", INTEGRATION, BILLS_FLOW.name, id(built), id(ledger))

        def opener():
            return shared_context(key, lambda: BillBills.opened(built["bill"], ledger))

        return replay_handler(BILLS_FLOW, opener, lambda: built)(item, ledger)

    return handle
