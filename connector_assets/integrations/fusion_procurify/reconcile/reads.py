"""How an Oracle Fusion <-> Procurify reconciliation reads both sides: the day's changes on either side
(``procurify.reconcile_reads.changed``, ``fusion.reconcile_reads.changed``: per-day change windows), then
each record by key through the sides' reads, with this integration's ledger keys and rules.

The ledger only says which record on one side is the counterpart of which on the other (the flows'
cross-references, ``vendor_pairs``) and why a missing one is missing (the retry queue's reason); each side is
read from the system itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from connector_assets.flows.reconciliation import period_of
from connector_assets.flows.values import text
from connector_assets.fusion import reconcile_reads as fusion_reads
from connector_assets.fusion.reconcile_reads import FusionPo
from connector_assets.integrations.fusion_procurify import invoices as invoice_flow
from connector_assets.integrations.fusion_procurify.integration import INTEGRATION
from connector_assets.integrations.fusion_procurify.po_numbers import fusion_order_number
from connector_assets.procurify import reconcile_reads as procurify_reads
from connector_assets.procurify.reconcile_reads import RegisterBill
from connector_resources.ledger import Ledger

INVOICE_ENTITY = invoice_flow.ENTITY  # "invoice": bill uuid -> Fusion InvoiceId
ORDER_ENTITY = "purchase_order"  # the purchase orders flow's: "PO<n>" -> Fusion POHeaderId
FUSION, PROCURIFY = "fusion", "procurify"


def vendor_name_of(bill: Mapping[str, Any]) -> str:
    vendor = bill.get("vendor")
    return text(vendor.get("name")) if isinstance(vendor, Mapping) else ""


def _target_of(ledger: Ledger, entity: str, source_key: str) -> str | None:
    xref = ledger.get_xref(INTEGRATION, entity, PROCURIFY, source_key, FUSION)
    return xref.target_id if xref is not None and xref.target_id else None


def sent_invoice(ledger: Ledger, bill_uuid: str) -> str | None:
    """The Fusion InvoiceId the invoices flow wrote (or adopted) for the bill, None when none."""
    return _target_of(ledger, INVOICE_ENTITY, bill_uuid)


def changed_invoices(fusion: Any, ledger: Ledger, day: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(bill uuid, invoice) of the Fusion invoices changed in the day that this integration wrote;
    Fusion's own invoices are passed over."""
    for invoice in fusion_reads.changed(fusion, "invoices", day):
        xref = ledger.find_xref_by_target(INTEGRATION, INVOICE_ENTITY, FUSION, text(invoice.get("InvoiceId")))
        if xref is not None:
            yield xref.source_key, invoice


def _invoice_period(bill: Mapping[str, Any]) -> str | None:
    return period_of(bill.get("invoice_date"))


def register(
    session: Any, ledger: Ledger, vendor_id: str, period: str, statuses: frozenset[int]
) -> list[RegisterBill]:
    """The vendor's Procurify bills dated (``invoice_date``) in the period, any status, each once."""

    def sent(uuid: str) -> bool:
        return sent_invoice(ledger, uuid) is not None

    return procurify_reads.register(
        session, vendor_id, period, ("invoice_date",), _invoice_period, statuses, sent
    )


def fusion_order(fusion: Any, ledger: Ledger, source_key: str, prefix: str) -> FusionPo:
    """The Fusion order of a Procurify PO (``PO<n>``): by the cross-reference's POHeaderId, else by our
    order number (an order adopted, or made with our number, counts as there)."""
    number = fusion_order_number(source_key, prefix)
    return fusion_reads.fusion_order(fusion, _target_of(ledger, ORDER_ENTITY, source_key), number)
