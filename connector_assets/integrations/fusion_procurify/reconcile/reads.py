"""How an Oracle Fusion <-> Procurify reconciliation reads both sides and the ledger: the day's changes in
per-day windows, then each record by key through the sides' reads, and why a record the other side lacks is
no difference (``Gaps``: the retry queue, a skip's audit).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from connector_assets.flows.reconciliation import Report, period_of
from connector_assets.flows.reconciliation_expected import Expectations
from connector_assets.flows.values import text
from connector_assets.procurify import reconcile_reads as procurify_reads
from connector_assets.procurify.reconcile_reads import RegisterBill, bills_in_period
from connector_resources.ledger import Ledger
from connector_resources.procurify.errors import ProcurifyNotFoundError

from .. import invoices as invoice_flow

INVOICE_ENTITY = invoice_flow.ENTITY  # "invoice": bill uuid -> Fusion InvoiceId
ORDER_ENTITY = "purchase_order"  # the purchase orders flow's: "PO<n>" -> Fusion POHeaderId
SUPPLIER_ENTITY = "supplier"  # the suppliers flow's: Fusion SupplierId -> Procurify vendor id
FUSION, PROCURIFY = "fusion", "procurify"
# The flows whose records a reconciliation may find missing on purpose, each keyed as the flow keys them:
# account codes by code, suppliers by SupplierId, vendors by vendor id, purchase orders by PO<n>, invoices
# by bill uuid, payment status by Fusion InvoiceId.
FLOWS = ("account_codes", "suppliers", "vendors", "purchase_orders", "invoices", "payment_status")
SKIPPED = "skipped by rule"


def vendor_name_of(bill: Mapping[str, Any]) -> str:
    vendor = bill.get("vendor")
    return text(vendor.get("name")) if isinstance(vendor, Mapping) else ""


def _target_of(instance: str, ledger: Ledger, entity: str, key: str, source: str = PROCURIFY) -> str | None:
    target = FUSION if source == PROCURIFY else PROCURIFY
    xref = ledger.get_xref(instance, entity, source, key, target)
    return xref.target_id if xref is not None and xref.target_id else None


def sent_invoice(instance: str, ledger: Ledger, bill_uuid: str) -> str | None:
    """The Fusion InvoiceId ``instance``'s invoices flow wrote (or adopted) for the bill, None when none."""
    return _target_of(instance, ledger, INVOICE_ENTITY, bill_uuid)


def sent_order(instance: str, ledger: Ledger, source_key: str) -> str | None:
    """The Fusion POHeaderId the purchase orders flow wrote (or adopted) for ``PO<n>``, None when none."""
    return _target_of(instance, ledger, ORDER_ENTITY, source_key)


def bill_of_invoice(instance: str, ledger: Ledger, invoice_id: str) -> str | None:
    """The bill uuid whose Fusion invoice ``invoice_id`` is, None for an invoice this integration did not
    write."""
    xref = ledger.find_xref_by_target(instance, INVOICE_ENTITY, FUSION, invoice_id)
    return xref.source_key if xref is not None else None


def order_key_of(instance: str, ledger: Ledger, header_id: str) -> str | None:
    """The Procurify order key (``PO<n>``, ``REQ<n>``) whose Fusion order ``header_id`` is, None for an
    order this integration did not write."""
    xref = ledger.find_xref_by_target(instance, ORDER_ENTITY, FUSION, header_id)
    return xref.source_key if xref is not None else None


def written_by_suppliers_flow(instance: str, ledger: Ledger, supplier_id: str) -> str | None:
    """The Procurify vendor id the suppliers flow wrote (or adopted) for Fusion supplier ``supplier_id``:
    the pairs whose name, ``external_id`` and active flag that flow keeps."""
    return _target_of(instance, ledger, SUPPLIER_ENTITY, supplier_id, FUSION)


def invoice_period(bill: Mapping[str, Any]) -> str | None:
    return period_of(bill.get("invoice_date"))


@dataclass(frozen=True)
class RegisterRow:
    """A bill of a vendor's register: as the register walk sees it, and the list row it was read from
    (currency, invoice date and number as Procurify holds them)."""

    bill: RegisterBill
    row: Mapping[str, Any]


def register(
    instance: str, session: Any, ledger: Ledger, vendor_id: str, period: str, statuses: frozenset[int]
) -> list[RegisterRow]:
    """The vendor's Procurify bills dated (``invoice_date``) in the period, any status, each once (one list
    read, ``procurify.reconcile_reads.bills_in_period``)."""
    found = bills_in_period(session, vendor_id, period, ("invoice_date",), invoice_period)
    return [
        RegisterRow(
            procurify_reads.register_bill(
                found[uuid], period, statuses, sent_invoice(instance, ledger, uuid) is not None
            ),
            found[uuid],
        )
        for uuid in sorted(found)
    ]


def procurify_po_now(session: Any, number: str) -> dict[str, Any] | None:
    """Procurify PO ``number`` in full (its ``order_items``), None when Procurify has no such PO."""
    try:
        return session.get("purchase_orders", number)
    except ProcurifyNotFoundError:
        return None


class GapsLike(Protocol):
    """What the comparisons ask of ``Gaps`` (a test gives them its own)."""

    def account_for(self, report: Report, flow: str, record: str, *keys: str) -> bool: ...


class Gaps:
    """Why a record one side lacks (or holds otherwise) is not a difference: the flow's retry queue
    (``flows.reconciliation_expected.Expectations``, one per flow, so a vendor id and an account code of
    the same digits are never taken for one another), else the audit of a record the flow skipped by rule
    (an order another system's integration made, a PO cancelled before it was sent)."""

    def __init__(self, ledger: Ledger, instance: str) -> None:
        self.ledger, self.instance = ledger, instance
        self.queues = {flow: Expectations(ledger, instance, [flow]) for flow in FLOWS}

    def account_for(self, report: Report, flow: str, record: str, *keys: str) -> bool:
        """Count ``record`` as an expected gap when ``flow`` queued, held or skipped it under one of
        ``keys``; True then, False when it is a real difference."""
        if self.queues[flow].account_for(report, record, *keys):
            return True
        reason = self.skipped(flow, keys)
        if reason is None:
            return False
        report.expect(SKIPPED, record, reason)
        return True

    def why(self, flow: str, *keys: str) -> str | None:
        """The queue's words on a record (``<kind>: <reason>``), None when it has none."""
        gap = self.queues[flow].why(*keys)
        return f"{gap.kind}: {gap.reason}" if gap is not None else None

    def skipped(self, flow: str, keys: Iterable[str]) -> str | None:
        """The reason of the latest audit event saying ``flow`` skipped the record, None when none did (or a
        later event wrote it)."""
        for key in keys:
            events = [
                e
                for e in self.ledger.history(str(key))
                if e.integration == self.instance and e.flow == flow and e.source_id == str(key)
            ]
            if events and events[-1].action == "skip":
                return events[-1].reason
        return None
