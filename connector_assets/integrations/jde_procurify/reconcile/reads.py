"""Reading both sides for a day's reconciliation: the day's keys from staging, then each record read from
its system by key, every API call counted (``flows.reconciliation_calls``: ``CountedJde`` and ``counted``).

Each side is read from the system itself, never from our ledger alone (which could share a bug with the
writers): the ledger only says which record on one side is the counterpart of which on the other (the
flows' cross-references and ``vendor_pairs``), and why a missing one is missing (the retry queue's
reason). JDE is read by key, 100 keys to a call (``browse_in``); Procurify by id, or by the list filters
the reference documents (bills by ``vendor`` and date range, §2.6).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from connector_assets.flows import retry_reasons
from connector_assets.integrations.jde_procurify import bills as bill_flow
from connector_assets.integrations.jde_procurify.bill_mappers import BATCH_PREFIX, bill_vendor_id
from connector_assets.integrations.jde_procurify.integration import INTEGRATION
from connector_assets.integrations.jde_procurify.order_mappers import (
    decimal,
    live_lines,
    order_description,
    order_source_key,
    text,
)
from connector_assets.integrations.jde_procurify.po_origins import (
    LINK_ENTITY,
    ORDER_ENTITY,
    linked_pos,
    requisition_sent,
)
from connector_assets.integrations.jde_procurify.purchase_orders import order_policy
from connector_assets.integrations.jde_procurify.reconcile.bills import (
    JdeBatch,
    RegisterBill,
    bill_uuid_of,
    period_of,
)
from connector_assets.integrations.jde_procurify.reconcile.orders import JdeOrderTotal, ProcurifyOrderTotal
from connector_assets.integrations.jde_procurify.reconcile.vendors import JdeSupplier
from connector_assets.integrations.jde_procurify.supplier_mappers import SupplierDocument, inactive_reason
from connector_assets.integrations.jde_procurify.vendor_pairs import an8_key
from connector_assets.jde.documents import purchase_orders_by_number
from connector_assets.jde.lookup import browse_in
from connector_assets.jde.tables import ADDRESS_BOOK, AP_LEDGER, PO_HEADERS, PO_LINES, SUPPLIERS
from connector_assets.jde.targets import BATCH_TABLE, JOURNAL_TABLE
from connector_assets.procurify.bill_register import bills_in_period, status_name
from connector_assets.procurify.po_origins import order_of
from connector_resources.jde import Condition
from connector_resources.ledger import Ledger
from connector_resources.procurify.errors import ProcurifyNotFoundError

STAGED_BILLS = bill_flow.BILLS_ASSET  # procurify_bills
STAGED_POS = "procurify_purchase_orders"
STAGED_REQUISITIONS = "procurify_requisitions"
STAGED_VENDORS = "procurify_vendors"
REQUISITION_SLACK = timedelta(days=1)  # the requisition's creation day against the ledger's clock
# A Z-file row's batch key (EDUS / EDBT / EDTN / EDLN), whether R04110ZA processed it, and its document.
BATCH_KEY_COLUMNS = ["EDUS", "EDBT", "EDTN", "EDLN", "EDSP", "KCO", "DOC", "DCT"]
BATCH_COLUMNS = [*BATCH_KEY_COLUMNS, "AN8", "VINV", "DGJ", "AG", "ACR", "CRRM"]  # F0411Z1
JOURNAL_COLUMNS = [*BATCH_KEY_COLUMNS, "DGJ", "AA", "EXA", "SBL", "SBLT"]  # F0911Z1
VOUCHER_COLUMNS = ["KCO", "DOC", "DCT", "SFX", "AG", "ACR", "CRRM"]


def queued_reasons(ledger: Ledger, flow: str) -> dict[str, str]:
    """Source key -> why it waits in the flow's retry queue (``flows.retry_reasons``)."""
    return retry_reasons.queued_reasons(ledger, INTEGRATION, flow)


def staged_records(staging: Any, asset: str, day: str) -> list[dict[str, Any]]:
    """The API records a Procurify source asset staged for the day (JSON documents)."""
    return [json.loads(row["record"]) for row in staging.read_rows(asset, day)]


def _day(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raw = str(value or "").strip()
    return raw[:10] if len(raw) >= 10 else None


def _amount(value: Any) -> Decimal:
    found = decimal(value)
    return found if found is not None else Decimal(0)


# -- the day's keys -------------------------------------------------------------------------------------


def day_orders(staging: Any, ledger: Ledger, day: str) -> set[str]:
    """JDE orders (``KCOO:DOCO:DCTO``) sent to Procurify that changed on either side this day: a staged
    F4301 / F4311 row of the JDE day, a staged PO linked to one, a staged requisition made for one."""
    changed = {
        order_source_key(row)
        for asset in (PO_HEADERS.asset, PO_LINES.asset)
        for row in staging.read_rows(asset, day)
    }
    keys: set[str] = set()
    for key in changed:  # each order once, however many of its lines changed
        xref = ledger.get_xref(INTEGRATION, ORDER_ENTITY, "JDE", key, "procurify")
        if xref is not None and xref.target_id:
            keys.add(key)
    for po in staged_records(staging, STAGED_POS, day):
        link = ledger.find_xref_by_target(INTEGRATION, LINK_ENTITY, "procurify", str(po.get("procurify_PO")))
        if link is not None:
            keys.add(order_of(link.source_key))
    for requisition in staged_records(staging, STAGED_REQUISITIONS, day):
        sent = ledger.find_xref_by_target(
            INTEGRATION, ORDER_ENTITY, "procurify", str(requisition.get("uuid"))
        )
        if sent is not None:
            keys.add(sent.source_key)
    return keys


def day_bills(staging: Any, day: str) -> list[dict[str, Any]]:
    """The bills staged for the day, latest version each (as the bills flow reads them)."""
    return [bill for bill, _stamp in bill_flow.staged_bills(staging, day)]


def day_vendor_ids(staging: Any, day: str, bills: Iterable[Mapping[str, Any]]) -> set[str]:
    """Procurify vendors the day concerns: changed that day, and those of the day's bills and POs."""
    ids = {str(v.get("id")) for v in staged_records(staging, STAGED_VENDORS, day) if v.get("id") is not None}
    ids |= {vendor_id for vendor_id in (bill_vendor_id(bill) for bill in bills) if vendor_id}
    for po in staged_records(staging, STAGED_POS, day):
        vendor = po.get("pref_vendor") if isinstance(po.get("pref_vendor"), Mapping) else {}
        if vendor.get("id") is not None:
            ids.add(str(vendor["id"]))
    return ids


def day_suppliers(staging: Any, day: str) -> set[str]:
    """JDE suppliers whose F0401 row, or F0101 row as a supplier (search type V), changed that day."""
    numbers = {an8_key(r["AN8"]) for r in staging.read_rows(SUPPLIERS.asset, day)}
    numbers |= {
        an8_key(r["AN8"])
        for r in staging.read_rows(ADDRESS_BOOK.asset, day)
        if str(r.get("AT1") or "").strip() == "V"
    }
    return numbers


# -- orders ---------------------------------------------------------------------------------------------


def _key_header(key: str) -> dict[str, Any]:
    parts = key.split(":")
    return {
        "KCOO": parts[0],
        "DOCO": int(parts[1]),
        "DCTO": parts[2],
        "SFXO": parts[3] if len(parts) > 3 else "",
    }


def order_label(key: str) -> str:
    """``4011 OP 00001``: the order's number, type and company, as its PO_Num and JDE's screens show it."""
    header = _key_header(key)
    suffix = f"-{header['SFXO']}" if header["SFXO"] not in ("", "000") else ""
    return f"{header['DOCO']} {header['DCTO']}{suffix} {header['KCOO']}"


def jde_orders(jde: Any, keys: Iterable[str]) -> dict[str, JdeOrderTotal]:
    """Each order as JDE holds it now: the AEXP total of its lines not cancelled (``orders``)."""
    wanted = set(keys)
    policy = order_policy()
    found: dict[str, JdeOrderTotal] = {}
    docos = {int(k.split(":")[1]) for k in wanted}
    for order in purchase_orders_by_number(jde, docos) if docos else []:
        if order.header is None:
            continue
        key = order_source_key(order.header)
        if key not in wanted:
            continue
        live = live_lines(order.lines, policy)
        found[key] = JdeOrderTotal(
            key,
            order_label(key),
            True,
            sum((_amount(line.get("AEXP")) for line in live), Decimal(0)),
            len(live),
            len(order.lines) - len(live),
        )
    for key in wanted - set(found):
        found[key] = JdeOrderTotal(key, order_label(key), False)
    return found


def procurify_order(session: Any, ledger: Ledger, key: str) -> ProcurifyOrderTotal | None:
    """What the order is in Procurify: every PO linked to it (a cancelled one counts nothing), else its
    requisition while not purchased; None when the ledger names no requisition for it."""
    numbers = linked_pos(ledger, key)
    if numbers:
        subtotal = total = Decimal(0)
        missing, cancelled = [], []
        for number in numbers:
            try:
                po = session.get("purchase_orders", number)
            except ProcurifyNotFoundError:
                missing.append(str(number))
                continue
            if str(po.get("state")) == "1":
                cancelled.append(str(number))
                continue
            subtotal += _amount(po.get("subtotal"))
            total += _amount(po.get("total"))
        what = f"PO{'s' if len(numbers) > 1 else ''} {', '.join(str(n) for n in numbers)}"
        if cancelled:
            what += f" (cancelled: {', '.join(cancelled)})"
        if missing:
            return ProcurifyOrderTotal(what, False, problem=f"PO {', '.join(missing)} not found")
        return ProcurifyOrderTotal(what, True, subtotal, total)
    xref = ledger.get_xref(INTEGRATION, ORDER_ENTITY, "JDE", key, "procurify")
    if xref is None or not xref.target_id:
        return None
    sent = requisition_sent(ledger, key) or date.today()
    found = [
        r
        for r in session.find_requisitions(
            description=order_description(_key_header(key)), created_since=sent - REQUISITION_SLACK
        )
        if str(r.get("uuid")) == xref.target_id
    ]
    if not found:
        return ProcurifyOrderTotal(
            f"requisition {xref.target_id}", False, problem="not found by its description"
        )
    requisition = found[0]
    state = (
        " (purchased, PO not linked yet)" if str(requisition.get("status")) == "3" else " (not purchased yet)"
    )
    amount = _amount(requisition.get("totalPrice"))
    return ProcurifyOrderTotal(f"requisition {requisition.get('num')}{state}", True, amount, amount)


# -- bills ----------------------------------------------------------------------------------------------


def bill_period(bill: Mapping[str, Any]) -> str | None:
    """The month the bills flow posts a bill in: its ``gl_post_date``, else its ``invoice_date``."""
    return period_of(_day(bill.get("gl_post_date")) or _day(bill.get("invoice_date")))


def register(
    session: Any, ledger: Ledger, vendor_id: str, period: str, statuses: frozenset[int]
) -> list[RegisterBill]:
    """The vendor's Procurify bills dated in the period, any status: one list read by GL date and one by
    invoice date (a bill without a GL date is dated by its invoice), each bill once."""
    found = bills_in_period(session, vendor_id, period, ("gl_post_date", "invoice_date"), bill_period)
    bills = []
    for uuid, bill in sorted(found.items()):
        status = bill_flow.status_code(bill)
        posted = ledger.get_xref(INTEGRATION, bill_flow.ENTITY, "procurify", uuid, "JDE")
        bills.append(
            RegisterBill(
                uuid=uuid,
                invoice=str(bill.get("invoice_number") or "").strip(),
                period=period,
                amount=_amount(bill.get("total_cost_with_tax")).quantize(Decimal("0.01")),
                status=status_name(bill, status),
                approved=status in statuses,
                exported_elsewhere=bool(bill.get("last_export_date")) and not (posted and posted.target_id),
            )
        )
    return bills


def jde_batches(jde: Any, an8: str, posting: str, user: str) -> list[JdeBatch]:
    """Every batch the bills flow wrote for supplier ``an8`` (any period), read from JDE: voucher batches
    (F0411Z1 pay items, at the F0411 voucher's gross once processed) or journal batches (the F0911Z1 AP
    credit line with the supplier as subledger, negated)."""
    with jde.session() as session:
        if posting == "journal":
            return _journal_batches(session, an8, user)
        return _voucher_batches(session, an8, user)


def _voucher_batches(session: Any, an8: str, user: str) -> list[JdeBatch]:
    rows = session.browse(
        BATCH_TABLE,
        columns=BATCH_COLUMNS,
        conditions=[
            Condition(f"{BATCH_TABLE}.EDUS", "EQUAL", user),
            Condition(f"{BATCH_TABLE}.AN8", "EQUAL", int(an8)),
            Condition(f"{BATCH_TABLE}.EDBT", "STR_START_WITH", BATCH_PREFIX),
        ],
    )
    by_batch: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_batch[(text(row.get("EDBT")), text(row.get("EDTN")))].append(row)
    vouchers = _vouchers(session, [r for group in by_batch.values() for r in group])
    found = []
    for (batch, transaction), group in sorted(by_batch.items()):
        uuid = bill_uuid_of(batch, transaction)
        if uuid is None:
            continue
        first = group[0]
        document = _document(first)
        amount = vouchers.get(document) if document else None
        found.append(
            JdeBatch(
                bill_uuid=uuid,
                batch=f"{user}/{batch}/{transaction}",
                invoice=text(first.get("VINV")),
                period=period_of(_day(first.get("DGJ"))),
                amount=amount if amount is not None else sum((_gross(r) for r in group), Decimal(0)),
                document=" ".join(document) if document and amount is not None else "",
            )
        )
    return found


def _document(row: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """(KCO, DOC, DCT) of the voucher R04110ZA made from a processed batch row, None before."""
    doc = str(row.get("DOC") or "").strip()
    if text(row.get("EDSP")) != "1" or not doc.isdigit() or not int(doc):
        return None
    return text(row.get("KCO")), str(int(doc)), text(row.get("DCT")) or "PV"


def _gross(row: Mapping[str, Any]) -> Decimal:
    """A pay item's gross in the voucher's own currency (foreign when entered in foreign mode)."""
    if text(row.get("CRRM")).upper() == "F" and decimal(row.get("ACR")):
        return _amount(row.get("ACR"))
    return _amount(row.get("AG"))


def _vouchers(session: Any, rows: list[dict[str, Any]]) -> dict[tuple[str, str, str], Decimal]:
    """(KCO, DOC, DCT) -> the F0411 voucher's gross (its pay items summed), for the processed batches."""
    wanted = {d for d in (_document(r) for r in rows) if d}
    if not wanted:
        return {}
    totals: dict[tuple[str, str, str], Decimal] = {}
    numbers = sorted({int(doc) for _kco, doc, _dct in wanted})
    for row in browse_in(session, AP_LEDGER.table, "DOC", numbers, VOUCHER_COLUMNS):
        key = (text(row.get("KCO")), str(int(row["DOC"])), text(row.get("DCT")))
        if key in wanted:
            totals[key] = totals.get(key, Decimal(0)) + _gross(row)
    return totals


def _journal_batches(session: Any, an8: str, user: str) -> list[JdeBatch]:
    rows = session.browse(
        JOURNAL_TABLE,
        columns=JOURNAL_COLUMNS,
        conditions=[
            Condition(f"{JOURNAL_TABLE}.EDUS", "EQUAL", user),
            Condition(f"{JOURNAL_TABLE}.EDBT", "STR_START_WITH", BATCH_PREFIX),
            Condition(f"{JOURNAL_TABLE}.SBL", "EQUAL", str(int(an8))),
            Condition(f"{JOURNAL_TABLE}.SBLT", "EQUAL", "A"),
        ],
    )
    found = []
    for row in rows:
        batch, transaction = text(row.get("EDBT")), text(row.get("EDTN"))
        uuid = bill_uuid_of(batch, transaction)
        if uuid is None:
            continue
        found.append(
            JdeBatch(
                bill_uuid=uuid,
                batch=f"{user}/{batch}/{transaction}",
                invoice=text(row.get("EXA")).removeprefix("Inv ").strip(),
                period=period_of(_day(row.get("DGJ"))),
                amount=-_amount(row.get("AA")),
                document="",
            )
        )
    return found


def bills_by_uuid(session: Any, uuids: Iterable[str]) -> dict[str, str]:
    """Bill uuid -> where Procurify has it now (``Approved, dated 2026-10``), for batches whose bill is not
    in their period's register; ``not found`` when Procurify has no such bill."""
    found = {}
    for uuid in sorted(set(uuids)):
        try:
            bill = session.get("bills", uuid)
        except ProcurifyNotFoundError:
            found[uuid] = "not found"
            continue
        found[uuid] = (
            f"{status_name(bill, bill_flow.status_code(bill))}, dated {bill_period(bill) or 'without a date'}"
        )
    return found


# -- vendors --------------------------------------------------------------------------------------------


def jde_suppliers(jde: Any, an8s: Iterable[str]) -> dict[str, JdeSupplier]:
    """AN8 -> the supplier as JDE holds it (F0401 + F0101), ``found`` False when JDE has no F0401 row."""
    wanted = sorted({int(a) for a in an8s})
    if not wanted:
        return {}
    with jde.session() as session:
        suppliers = {
            int(r["AN8"]): r
            for r in browse_in(session, SUPPLIERS.table, "AN8", wanted, ["AN8", "HDPY", "HOLD"])
        }
        book = {
            int(r["AN8"]): r
            for r in browse_in(session, ADDRESS_BOOK.table, "AN8", sorted(suppliers), ["AN8", "ALPH", "AT1"])
        }
    found = {}
    for number in wanted:
        key = str(number)
        if number not in suppliers:
            found[key] = JdeSupplier(key, False)
            continue
        document = SupplierDocument(number, suppliers[number], book.get(number))
        name = text((book.get(number) or {}).get("ALPH"))
        found[key] = JdeSupplier(key, True, name, inactive_reason(document))
    return found


def procurify_vendors(session: Any, vendor_ids: Iterable[str]) -> dict[str, dict[str, Any] | None]:
    """Vendor id -> Procurify's record, None when Procurify has no such vendor (404)."""
    found: dict[str, dict[str, Any] | None] = {}
    for vendor_id in sorted({v for v in vendor_ids if str(v).isdigit()}, key=int):
        try:
            found[vendor_id] = session.get("vendors", vendor_id)
        except ProcurifyNotFoundError:
            found[vendor_id] = None
    return found


class RowsRead:
    """Rows already read, served to a function that reads through ``session.iter_all`` (``orphan_codes``),
    so Procurify's account codes are read once per run."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows

    def iter_all(self, entity: str, **_filters: Any) -> Iterator[dict[str, Any]]:
        return iter(self.rows)
