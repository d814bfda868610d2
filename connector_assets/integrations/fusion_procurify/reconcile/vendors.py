"""Vendors and suppliers: each pair the day concerns compared field by field (name and ``external_id`` only
where the suppliers flow wrote the vendor), each unpaired record named, what the flows left out an expected
gap. Pure: ``day`` reads. Kinds: docs/integrations/fusion_procurify.md, "Reconciliation".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connector_assets.flows.queued_differences import Queue, queued_differences
from connector_assets.flows.reconciliation import Report
from connector_assets.flows.values import text
from connector_assets.fusion.supplier_sites import supplier_inactive_reason
from connector_assets.procurify.vendor_fields import PURCHASABLE_TYPES, is_active, vendor_type

from .reads import GapsLike

SCOPE = "vendors"
NOT_SENT = "not written yet, and not in the {flow} flow's retry queue either"


def folded(value: Any) -> str:
    """A name as the suppliers flow sends it: whitespace folded."""
    return " ".join(text(value).split())


def vendor_label(vendor_id: str, vendor: dict[str, Any] | None) -> str:
    name = folded((vendor or {}).get("name"))
    return f"Procurify vendor {vendor_id}" + (f" ({name})" if name else "")


def supplier_label(supplier_id: str, supplier: dict[str, Any] | None) -> str:
    supplier = supplier or {}
    name, number = folded(supplier.get("Supplier")), text(supplier.get("SupplierNumber"))
    named = f" {name}" if name else ""
    return f"Fusion supplier{named} ({f'number {number}, ' if number else ''}SupplierId {supplier_id})"


def _active_words(active: bool) -> str:
    return "active" if active else "inactive"


@dataclass(frozen=True)
class Pair:
    """A vendor and its supplier, each as its system holds it now (None: gone), and what the flows keep of
    the pair: ``manual`` (matched by hand: names are the person's), ``synced`` (the suppliers flow wrote
    this vendor for this supplier)."""

    vendor_id: str
    supplier_id: str
    vendor: dict[str, Any] | None
    supplier: dict[str, Any] | None
    manual: bool = False
    synced: bool = False


def compare_pair(report: Report, pair: Pair, queue: Queue | None = None) -> None:
    """One pair, field by field (module docstring); its field differences are one expected gap when the
    suppliers flow's ``queue`` holds the supplier (an update of the vendor refused, held or abandoned)."""
    report.compared += 1
    vendor, supplier = pair.vendor, pair.supplier
    who, whom = vendor_label(pair.vendor_id, vendor), supplier_label(pair.supplier_id, supplier)
    if vendor is None:
        report.differ(
            "vendor missing in Procurify",
            who,
            SCOPE,
            "-",
            folded((supplier or {}).get("Supplier")) or pair.supplier_id,
            f"{whom} is paired with Procurify vendor {pair.vendor_id}, which Procurify no longer has",
            counterpart=whom,
            field="vendor",
        )
        return
    if supplier is None:
        _supplier_missing(
            report,
            who,
            vendor,
            f"{who} is paired with Fusion supplier {pair.supplier_id}, which Fusion no longer has",
            counterpart=f"Fusion SupplierId {pair.supplier_id}",
        )
        return
    with queued_differences(report, queue, who, pair.supplier_id):
        _compare_fields(report, pair, vendor, supplier)


def _compare_fields(report: Report, pair: Pair, vendor: dict[str, Any], supplier: dict[str, Any]) -> None:
    who, whom = vendor_label(pair.vendor_id, vendor), supplier_label(pair.supplier_id, supplier)
    same = True
    vendor_active, supplier_active = is_active(vendor), supplier_inactive_reason(dict(supplier)) is None
    if vendor_active != supplier_active:
        same = False
        report.differ(
            "vendor status",
            who,
            SCOPE,
            _active_words(vendor_active),
            _active_words(supplier_active),
            f"{who} is {_active_words(vendor_active)} in Procurify but {whom} is "
            f"{_active_words(supplier_active)} in Fusion"
            + ("" if supplier_active else f" ({supplier_inactive_reason(dict(supplier))})"),
            counterpart=whom,
            field="active / Status",
        )
    if pair.synced and not pair.manual and folded(vendor.get("name")) != folded(supplier.get("Supplier")):
        same = False
        report.differ(
            "vendor name",
            who,
            SCOPE,
            folded(vendor.get("name")),
            folded(supplier.get("Supplier")),
            f"{who} is named {folded(vendor.get('name'))!r} in Procurify but the suppliers flow keeps it as "
            f"{whom}'s name {folded(supplier.get('Supplier'))!r}",
            counterpart=whom,
            field="name / Supplier",
        )
    number = text(supplier.get("SupplierNumber"))
    if pair.synced and text(vendor.get("external_id")) != number:
        same = False
        report.differ(
            "supplier number",
            who,
            SCOPE,
            text(vendor.get("external_id")) or "-",
            number or "-",
            f"{who} carries external_id {text(vendor.get('external_id')) or '(none)'} in Procurify but its "
            f"supplier's number is {number or '(none)'} in Fusion ({whom})",
            counterpart=whom,
            field="external_id / SupplierNumber",
        )
    if same:
        report.counts["vendor_pairs_in_agreement"] += 1


def supplier_without_vendor(
    report: Report, supplier_id: str, supplier: dict[str, Any], gaps: GapsLike
) -> None:
    """A Fusion supplier changed that day that no Procurify vendor is paired with."""
    report.compared += 1
    whom = supplier_label(supplier_id, supplier)
    inactive = supplier_inactive_reason(dict(supplier))
    if inactive is not None:
        report.counts["fusion_suppliers_inactive_not_in_procurify"] += 1  # left out on purpose
        return
    if gaps.account_for(report, "suppliers", whom, supplier_id):
        return
    report.differ(
        "vendor missing in Procurify",
        "-",
        SCOPE,
        "-",
        folded(supplier.get("Supplier")),
        f"{whom} is active in Fusion but Procurify has no vendor for it "
        f"({NOT_SENT.format(flow='suppliers')})",
        counterpart=whom,
        field="vendor",
    )


def vendor_without_supplier(report: Report, vendor_id: str, vendor: dict[str, Any], gaps: GapsLike) -> None:
    """A Procurify vendor the day concerns that no Fusion supplier is paired with."""
    if vendor_type(vendor) not in PURCHASABLE_TYPES:
        return  # employees, card providers, the OTHER bucket: not vendors either flow pairs
    report.compared += 1
    who = vendor_label(vendor_id, vendor)
    if not is_active(vendor):
        report.counts["procurify_vendors_inactive_unpaired"] += 1
        return
    if gaps.account_for(report, "vendors", who, vendor_id):
        return
    _supplier_missing(
        report,
        who,
        vendor,
        f"{who} is active in Procurify but is paired with no Fusion supplier "
        f"({NOT_SENT.format(flow='vendors')}): create the supplier in Fusion or match it by hand "
        "(`ml-connector xref set`)",
    )


def _supplier_missing(report: Report, who: str, vendor: dict[str, Any], words: str, **more: Any) -> None:
    """Procurify vendor ``who`` has no Fusion supplier (``words``: how it came to have none)."""
    report.differ(
        "supplier missing in Fusion",
        who,
        SCOPE,
        folded(vendor.get("name")),
        "-",
        words,
        field="supplier",
        **more,
    )
