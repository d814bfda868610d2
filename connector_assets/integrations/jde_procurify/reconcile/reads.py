"""What a JD Edwards <-> Procurify reconciliation reads and how it keys it: each day's records on both sides,
the pairs and links the flows recorded, each record by key through the sides' reads, every call counted
(``flows.reconciliation_calls``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from connector_assets.flows.reconciliation import iso_day, period_of
from connector_assets.jde import reconcile_reads as jde_reads
from connector_assets.jde.account_codes import AccountMap
from connector_assets.jde.documents import JdePurchaseOrder, purchase_orders_by_number
from connector_assets.jde.order_status import (
    OrderPolicy,
    all_done,
    decimal,
    line_account,
    live_lines,
    not_approved,
    order_source_key,
)
from connector_assets.jde.tables import PO_HEADERS, PO_LINES
from connector_assets.procurify import reconcile_reads as procurify_reads
from connector_assets.procurify.order_fields import po_day
from connector_assets.procurify.po_origins import order_of
from connector_assets.runtime.session_source import SessionSource
from connector_assets.runtime.staging import StagingResource
from connector_resources.jde.session import JdeSession
from connector_resources.ledger import Ledger, schema

from ..bill_mappers import BATCH_KEYS, BATCH_PREFIX
from ..order_mappers import order_description, requisition_lines
from ..order_records import sent_requisition
from ..own import ORDER_ENTITY, Own
from ..payment_mappers import journal_key
from ..po_links import po_num_text
from ..vendor_pairs import JDE, PROCURIFY, SUPPLIER_ENTITY, VENDOR_ENTITY, an8_key
from .bills import bill_uuid_of
from .orders import JdeOrder, ProcurifyOrder

PAYMENT_BATCH_PREFIX = "PMT"  # EDBT of the payments flow's journal entries (``payment_mappers.journal_key``)
REQUISITION_SLACK = timedelta(days=1)  # the requisition's creation day against the ledger's clock
BILL_DATE_FIELDS = ("gl_post_date", "invoice_date")  # a bill without a GL date is dated by its invoice


# -- pairs ----------------------------------------------------------------------------------------------


def vendor_pairs(own: Own, ledger: Ledger) -> dict[str, str]:
    """Procurify vendor id -> the JDE supplier (AN8) it is paired with, every pair either of ``own``'s flows
    made, in two queries: the ``vendors`` flow's pair (or an operator's match) wins over the ``suppliers``
    flow's, as ``VendorPairing.paired_supplier`` answers for one vendor."""
    x = schema.xref

    def pairs(entity: str, source: str, target: str) -> sa.Select:
        return sa.select(x.c.source_key, x.c.target_id).where(
            x.c.integration == own.name,
            x.c.entity == entity,
            x.c.source_system == source,
            x.c.target_system == target,
            x.c.target_id.is_not(None),
        )

    with ledger.read_transaction() as conn:
        written = {
            str(vendor): str(an8) for an8, vendor in conn.execute(pairs(SUPPLIER_ENTITY, JDE, PROCURIFY))
        }
        matched = {
            str(vendor): str(an8) for vendor, an8 in conn.execute(pairs(VENDOR_ENTITY, PROCURIFY, JDE))
        }
    return {**written, **matched}


# -- orders ---------------------------------------------------------------------------------------------


def staged_orders(staging: StagingResource, day: str, policy: OrderPolicy) -> set[str]:
    """The JDE orders (``KCOO:DOCO:DCTO``) of the flow's order types whose header or a line changed on the
    JDE day (staged F4301 / F4311)."""
    keys = set()
    for asset in (PO_HEADERS.asset, PO_LINES.asset):
        for row in staging.read_rows(asset, day):
            if str(row.get("DCTO") or "").strip().upper() in policy.order_types:
                keys.add(order_source_key(row))
    return keys


def jde_orders(jde: SessionSource[JdeSession], keys: Iterable[str]) -> dict[str, JdePurchaseOrder]:
    """Key -> the order as JDE holds it now (header and every line), read by number, 100 to a call; an
    order JDE no longer holds is absent."""
    wanted = set(keys)
    docos = {int(k.split(":")[1]) for k in wanted}
    found = {}
    for order in purchase_orders_by_number(jde, docos) if docos else []:
        if order.header is not None and order_source_key(order.header) in wanted:
            found[order_source_key(order.header)] = order
    return found


def jde_order(
    own: Own, key: str, order: JdePurchaseOrder | None, policy: OrderPolicy, codes: AccountMap, ledger: Ledger
) -> JdeOrder:
    """What ``own``'s purchase orders flow sends for the order now (``orders.JdeOrder``)."""
    label = jde_reads.order_label(key)
    if order is None or order.header is None:
        return JdeOrder(key, label, False)
    header, lines = order.header, order.lines
    live = live_lines(lines, policy)
    accounts = {a for a in (line_account(line, policy) for line in live) if a}
    mapped = requisition_lines(
        header, lines, policy, {a: codes.code_for(a) for a in accounts}, None, it=own.it
    )
    total = sum((decimal(line.get("AEXP")) or Decimal(0) for line in live), Decimal(0))
    try:
        vendor_id = own.pairing.paired_vendor(ledger, an8_key(str(header.get("AN8"))))
    except ValueError:  # no address number
        vendor_id = None
    return JdeOrder(
        key=key,
        label=label,
        found=True,
        open=bool(live),
        lines=mapped.lines,
        total=total,
        vendor_id=vendor_id,
        po_num=po_num_text(key),
    )


def to_send(order: JdePurchaseOrder, policy: OrderPolicy) -> bool:
    """Whether the purchase orders flow sends an order it has not sent yet: approved, not on hold, not every
    line done (``order_records.order_record``'s rules)."""
    header = order.header
    if header is None:
        return False
    return not_approved(header, order.lines, policy) is None and not all_done(order.lines, policy)


def procurify_order(own: Own, session: object, ledger: Ledger, key: str) -> ProcurifyOrder | None:
    """What the order is in Procurify: every PO linked to it, read by number, else its requisition and the
    requisition's lines; None when the ledger names no requisition for it (never sent)."""
    numbers = own.links.linked_pos(ledger, key)
    if numbers:
        return ProcurifyOrder(pos=procurify_reads.po_details(session, numbers))
    requisition = sent_requisition(own, ledger, key)
    if requisition is None:
        return None
    since = (own.links.requisition_sent(ledger, key) or date.today()) - REQUISITION_SLACK
    description = order_description(jde_reads.order_header(key))
    found, items = procurify_reads.requisition_and_items(session, requisition, description, since)
    return ProcurifyOrder(requisition=found, requisition_uuid=requisition, requisition_items=items)


def procurify_day_orders(
    own: Own, session: Any, ledger: Ledger, day: str
) -> tuple[set[str], dict[str, dict[str, Any]]]:
    """Read from Procurify itself: the JDE orders whose PO or requisition changed on the UTC day (their
    link or the purchase orders flow's cross-reference names them), and the POs made that day that no
    link names (number -> list row)."""
    keys: set[str] = set()
    unlinked: dict[str, dict[str, Any]] = {}
    for po in procurify_reads.changed(session, "purchase_orders", day):
        number = str(po.get("procurify_PO") or "").strip()
        if not number:
            continue
        link = own.links.link_of(ledger, int(number)) if number.isdigit() else None
        if link is not None:
            keys.add(order_of(link))
        elif (made := po_day(po)) is not None and made.isoformat() == day:
            unlinked[number] = po
    for requisition in procurify_reads.changed(session, "requisitions", day):
        sent = ledger.find_xref_by_target(own.name, ORDER_ENTITY, "procurify", str(requisition.get("uuid")))
        if sent is not None and sent.source_system == "JDE":
            keys.add(sent.source_key)
    return keys, unlinked


def origins(
    own: Own, session: Any, staging: StagingResource, ledger: Ledger, day: str, pos: Iterable[str]
) -> dict[str, tuple]:
    """PO number -> (the PO read by number, or None when gone; the JDE orders whose requisitions its lines
    came from, ``po_origins``): one read per PO."""
    finder = own.links.origin_finder(ledger, session, staging, day)
    found: dict[str, tuple] = {}
    for number, po in procurify_reads.po_details(session, pos).items():
        found[number] = (po, finder.origin(po).orders if po is not None else [])
    return found


# -- bills ----------------------------------------------------------------------------------------------


def bill_period(bill: Mapping[str, object]) -> str | None:
    """The month the bills flow posts a bill in: its ``gl_post_date``, else its ``invoice_date``."""
    return period_of(iso_day(bill.get("gl_post_date")) or iso_day(bill.get("invoice_date")))


def register(session: Any, vendor_id: str, period: str) -> dict[str, dict[str, Any]]:
    """Bill uuid -> every bill of the vendor dated in the period, any status (one list read per date
    field: ``procurify.reconcile_reads.bills_in_period``)."""
    return procurify_reads.bills_in_period(session, vendor_id, period, BILL_DATE_FIELDS, bill_period)


def batches(
    jde: SessionSource[JdeSession], uuids: Iterable[str], posting: str, user: str
) -> dict[str, jde_reads.JdeBatch]:
    """Bill uuid -> the batch the bills flow wrote for it, found in JDE by the batch keys the flow derives
    from the uuid (EDTN), 100 bills to a call, with its voucher field by field."""
    transactions = {BATCH_KEYS.for_uuid(user, uuid).transaction for uuid in uuids}
    found = jde_reads.batches_by_transaction(jde, transactions, posting, user, BATCH_PREFIX, bill_uuid_of)
    return {batch.source_key: batch for batch in found}


def payment_journals(
    jde: SessionSource[JdeSession], uuids: Iterable[str], user: str
) -> dict[str, tuple[Decimal, str]]:
    """Bill uuid -> what the payments flow's journal entries for it debit (amount, currency), under journal
    posting: F0911Z1 by the transaction number the payments flow derives from the bill alone
    (``payment_mappers.journal_key``: ``BILL`` + the uuid's first 18 hex digits; its batch number ``PMT``
    + the payment's), 100 bills to a call. A bill with no payment journal is absent."""
    by_transaction = {journal_key(user, uuid, uuid).transaction: uuid for uuid in uuids}
    found = jde_reads.journal_payments(jde, by_transaction, user, PAYMENT_BATCH_PREFIX)
    return {by_transaction[t]: paid for t, paid in found.items() if t in by_transaction}


def our_vouchers(
    jde: SessionSource[JdeSession], states: Iterable[jde_reads.JdeVoucherState], user: str
) -> dict[tuple[str, str, str], str]:
    """(KCO, DOC, DCT) -> the bill uuid, of the vouchers R04110ZA made from the bills flow's batches."""
    found = jde_reads.batch_sources(jde, [s.document for s in states], user, BATCH_PREFIX, bill_uuid_of)
    return {document: source for document, (source, _batch) in found.items()}
