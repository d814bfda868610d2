"""Which Fusion payables invoices a day's payments and invoice changes touch, for a flow that tells another
system an invoice it sent to Fusion was paid; the day's invoices are read too, since paying an invoice
changes it. docs/integrations/fusion_procurify.md, "Payments -> paid marks".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dagster import AssetKey

from connector_assets.fusion.payments import invoice_refs, related_rows
from connector_assets.fusion.values import attribute_text


def staged_records(staging: Any, asset: AssetKey, partition: str | None) -> list[dict[str, Any]]:
    """The partition's staged records of ``asset``, latest copy per id (rows come in staging order)."""
    latest: dict[str, dict[str, Any]] = {}
    for row in staging.read_rows(asset, partition):
        latest[str(row["id"])] = json.loads(row["record"])
    return list(latest.values())


@dataclass
class PaidCandidate:
    """One of the flow's Fusion invoices touched on the day, its source key (the document it was written
    for), and the day's staged payments naming it."""

    invoice_id: str
    source_key: str
    payments: list[dict[str, Any]] = field(default_factory=list)


def candidates(
    fusion: Any,
    payments: Iterable[Mapping[str, Any]],
    invoices: Iterable[Mapping[str, Any]],
    ours: Callable[[str], str | None],
    log: Any = None,
) -> dict[str, PaidCandidate]:
    """InvoiceId -> candidate, for the day's payments' invoices and the day's invoices that are ``ours``."""
    found: dict[str, PaidCandidate] = {}
    by_number: dict[str, list[str]] = {}  # invoice number -> InvoiceIds of that number (searched once)
    unnamed = 0

    def add(invoice_id: str, payment: Mapping[str, Any] | None) -> None:
        if invoice_id not in found:
            source_key = ours(invoice_id)
            if source_key is None:
                return
            found[invoice_id] = PaidCandidate(invoice_id, source_key)
        if payment is not None:
            found[invoice_id].payments.append(dict(payment))

    for payment in payments:
        refs = invoice_refs(payment)
        unnamed += len(related_rows(payment)) - len(refs)
        for ref in refs:
            if ref.invoice_id:
                add(ref.invoice_id, payment)
                continue
            if ref.invoice_number not in by_number:
                matches = fusion.search("invoices", {"InvoiceNumber": ref.invoice_number})
                by_number[ref.invoice_number] = [attribute_text(m.get("InvoiceId")) for m in matches]
            for invoice_id in by_number[ref.invoice_number]:
                add(invoice_id, payment)
    for invoice in invoices:
        invoice_id = attribute_text(invoice.get("InvoiceId"))
        if invoice_id:
            add(invoice_id, None)
    if log is not None and unnamed:
        log.info(
            f"{unnamed} related invoice row(s) of the day's payments name no invoice (only "
            "InvoicePaymentId): their invoices are found among the day's changed invoices"
        )
    return found


def explicitly_unpaid(invoice: Mapping[str, Any]) -> bool:
    """Fusion says the invoice is unpaid (``PaidStatus`` Unpaid, or without it ``AmountPaid`` 0)."""
    status = attribute_text(invoice.get("PaidStatus")).lower()
    if status:
        return status == "unpaid"
    paid = invoice.get("AmountPaid")
    return paid is not None and attribute_text(paid) in ("0", "0.0", "0.00")
