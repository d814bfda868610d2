"""The day's keys for a JD Edwards <-> Procurify reconciliation, and how this integration reads each side by
key: its ledger's keys and rules handed to the sides' reads (``jde.reconcile_reads``,
``procurify.reconcile_reads``), every API call counted (``flows.reconciliation_calls``).

The ledger only says which record on one side is the counterpart of which on the other (the flows'
cross-references and ``vendor_pairs``) and why a missing one is missing (the retry queue's reason); each
side is read from the system itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from connector_assets.flows.reconciliation import iso_day, period_of
from connector_assets.integrations.jde_procurify import bills as bill_flow
from connector_assets.integrations.jde_procurify.bill_mappers import BATCH_PREFIX
from connector_assets.integrations.jde_procurify.integration import INTEGRATION
from connector_assets.integrations.jde_procurify.order_mappers import order_description
from connector_assets.integrations.jde_procurify.po_origins import (
    LINK_ENTITY,
    ORDER_ENTITY,
    linked_pos,
    requisition_sent,
)
from connector_assets.integrations.jde_procurify.purchase_orders import order_policy
from connector_assets.integrations.jde_procurify.reconcile.bills import bill_uuid_of
from connector_assets.integrations.jde_procurify.supplier_mappers import SupplierDocument, inactive_reason
from connector_assets.jde import reconcile_reads as jde_reads
from connector_assets.jde.order_status import live_lines, order_source_key
from connector_assets.jde.tables import PO_HEADERS, PO_LINES
from connector_assets.procurify import reconcile_reads as procurify_reads
from connector_assets.procurify.po_origins import order_of
from connector_assets.procurify.reconcile_reads import (
    STAGED_POS,
    STAGED_REQUISITIONS,
    ProcurifyOrderTotal,
    RegisterBill,
    staged_records,
)
from connector_resources.ledger import Ledger

REQUISITION_SLACK = timedelta(days=1)  # the requisition's creation day against the ledger's clock


def _sent(ledger: Ledger, entity: str, source: str, key: str, target: str) -> str | None:
    """The id in ``target`` the flow of ``entity`` wrote (or adopted) for ``key`` of ``source``, or None."""
    xref = ledger.get_xref(INTEGRATION, entity, source, key, target)
    return xref.target_id if xref is not None and xref.target_id else None


# -- the day's keys -------------------------------------------------------------------------------------


def day_orders(staging: Any, ledger: Ledger, day: str) -> set[str]:
    """JDE orders (``KCOO:DOCO:DCTO``) sent to Procurify that changed on either side this day: a staged
    F4301 / F4311 row of the JDE day, a staged PO linked to one, a staged requisition made for one."""
    changed = {
        order_source_key(row)
        for asset in (PO_HEADERS.asset, PO_LINES.asset)
        for row in staging.read_rows(asset, day)
    }
    keys = {key for key in changed if _sent(ledger, ORDER_ENTITY, "JDE", key, "procurify")}  # each order once
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


# -- both sides, read by key ----------------------------------------------------------------------------


def jde_orders(jde: Any, keys: Iterable[str]) -> dict[str, jde_reads.JdeOrderTotal]:
    """Each order as JDE holds it now: the AEXP total of its lines not cancelled (``orders``)."""
    policy = order_policy()
    return jde_reads.order_totals(jde, keys, order_source_key, lambda lines: live_lines(lines, policy))


def procurify_order(session: Any, ledger: Ledger, key: str) -> ProcurifyOrderTotal | None:
    """What the order is in Procurify: every PO linked to it (a cancelled one counts nothing), else its
    requisition while not purchased; None when the ledger names no requisition for it."""
    numbers = linked_pos(ledger, key)
    if numbers:
        return procurify_reads.po_total(session, numbers)
    requisition = _sent(ledger, ORDER_ENTITY, "JDE", key, "procurify")
    if requisition is None:
        return None
    since = (requisition_sent(ledger, key) or date.today()) - REQUISITION_SLACK
    description = order_description(jde_reads.order_header(key))
    return procurify_reads.requisition_total(session, requisition, description, since)


def bill_period(bill: Mapping[str, Any]) -> str | None:
    """The month the bills flow posts a bill in: its ``gl_post_date``, else its ``invoice_date``."""
    return period_of(iso_day(bill.get("gl_post_date")) or iso_day(bill.get("invoice_date")))


def register(
    session: Any, ledger: Ledger, vendor_id: str, period: str, statuses: frozenset[int]
) -> list[RegisterBill]:
    """The vendor's Procurify bills dated in the period, any status: one list read by GL date and one by
    invoice date (a bill without a GL date is dated by its invoice), each bill once."""
    fields = ("gl_post_date", "invoice_date")

    def posted(uuid: str) -> bool:
        return posted_batch(ledger, uuid) is not None

    return procurify_reads.register(session, vendor_id, period, fields, bill_period, statuses, posted)


def posted_batch(ledger: Ledger, bill_uuid: str) -> str | None:
    """The batch the bills flow posted the bill as (its ``bill`` cross-reference), None when none."""
    return _sent(ledger, bill_flow.ENTITY, "procurify", bill_uuid, "JDE")


def jde_batches(jde: Any, an8: str, posting: str, user: str) -> list[jde_reads.JdeBatch]:
    """Every batch the bills flow wrote for supplier ``an8`` (any period), each matched back to its bill by
    its keys (``bills.bill_uuid_of``)."""
    return jde_reads.written_batches(jde, an8, posting, user, BATCH_PREFIX, bill_uuid_of)


def jde_suppliers(jde: Any, an8s: Iterable[str]) -> dict[str, jde_reads.JdeSupplier]:
    """AN8 -> the supplier as JDE holds it, inactive as the suppliers flow judges it (``inactive_reason``)."""
    return jde_reads.suppliers_by_number(
        jde, an8s, lambda number, supplier, book: inactive_reason(SupplierDocument(number, supplier, book))
    )
