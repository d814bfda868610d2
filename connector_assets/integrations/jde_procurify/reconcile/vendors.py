"""Vendors on one side only: active JDE suppliers with no Procurify vendor, Procurify vendors with no JDE
supplier, and pairs whose other half is gone.

A pair is what ``vendor_pairs`` says (whichever flow made it). JDE's side of the day: the suppliers whose
F0401 / F0101 row changed that day and the suppliers of the day's Procurify vendors; each is read from
JDE. An active one (``supplier_mappers.inactive_reason`` is blank: search type V, no payment or order hold)
needs a Procurify vendor; an inactive one without a vendor is one the suppliers flow leaves out on purpose,
so it is only counted.

Procurify's side of the day: the vendors changed that day (staged ``procurify/vendors``) and the vendors of
the day's bills and POs, each read from Procurify. An active purchasable vendor (type 3 PREFERRED or 4
REGULAR) needs a JDE supplier, unless it carries another system's key (an ``external_id`` that is not an
address number): the vendors flow never sends such a vendor, since its ERP is another one, so it is only
counted. A vendor whose ``external_id`` is an address number belongs to that JDE supplier: it is named
while no pair says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connector_assets.flows.reconciliation import Report
from connector_assets.integrations.jde_procurify.vendor_mappers import (
    PURCHASABLE_TYPES,
    is_active,
    vendor_type,
)
from connector_assets.jde.reconcile_reads import JdeSupplier


def vendor_label(vendor: Mapping[str, Any] | None, vendor_id: str) -> str:
    name = str((vendor or {}).get("name") or "").strip()
    return f"Procurify vendor {vendor_id}" + (f" ({name})" if name else "")


def _why(queued: str | None) -> str:
    return queued or "not written yet, and not in the retry queue either"


def compare_suppliers(
    report: Report,
    suppliers: Mapping[str, JdeSupplier],
    pairs: Mapping[str, str | None],
    vendors: Mapping[str, dict[str, Any] | None],
    queued: Mapping[str, str],
) -> None:
    """``suppliers``: AN8 -> JDE's record; ``pairs``: AN8 -> paired vendor id (None: no pair); ``vendors``:
    vendor id -> Procurify's record (None: Procurify has none); ``queued``: the suppliers flow's reasons."""
    for an8, supplier in sorted(suppliers.items(), key=lambda s: int(s[0])):
        if not supplier.found:
            continue  # a vendor's pair JDE does not hold: named on the vendor's side
        report.counts["jde_suppliers_compared"] += 1
        vendor_id = pairs.get(an8)
        if vendor_id is None:
            if supplier.inactive:
                report.counts["jde_suppliers_inactive_not_in_procurify"] += 1
                continue
            report.differ(
                "supplier without vendor",
                supplier.label,
                supplier.label,
                an8,
                "-",
                f"{supplier.label} is active in JDE but has no Procurify vendor ({_why(queued.get(an8))})",
            )
        elif vendors.get(vendor_id) is None and vendor_id in vendors:
            report.differ(
                "supplier without vendor",
                supplier.label,
                supplier.label,
                an8,
                vendor_id,
                f"{supplier.label} is paired with Procurify vendor {vendor_id}, which Procurify no longer "
                "has",
            )
        else:
            report.counts["jde_suppliers_paired"] += 1


def compare_vendors(
    report: Report,
    vendors: Mapping[str, dict[str, Any] | None],
    pairs: Mapping[str, str | None],
    suppliers: Mapping[str, JdeSupplier],
    queued: Mapping[str, str],
) -> None:
    """``vendors``: vendor id -> Procurify's record (None: gone); ``pairs``: vendor id -> paired AN8;
    ``suppliers``: AN8 -> JDE's record of the paired (or named) suppliers; ``queued``: the vendors flow's
    retry-queue reasons."""
    for vendor_id, vendor in sorted(vendors.items(), key=lambda v: (len(v[0]), v[0])):
        if vendor is None:
            continue  # gone from Procurify: named on the supplier's side when it was paired
        if vendor_type(vendor) not in PURCHASABLE_TYPES:
            continue  # employees, card providers, the OTHER bucket: not vendors either flow syncs
        report.counts["procurify_vendors_compared"] += 1
        label = vendor_label(vendor, vendor_id)
        an8 = pairs.get(vendor_id)
        external = str(vendor.get("external_id") or "").strip()
        if an8 is None:
            if not is_active(vendor):
                report.counts["procurify_vendors_inactive_not_in_jde"] += 1
                continue
            if external and not external.isdigit():
                report.counts["procurify_vendors_of_another_system"] += 1
                continue
            named = f" (its external_id says JDE supplier {external})" if external else ""
            report.differ(
                "vendor without supplier",
                label,
                label,
                "-",
                vendor_id,
                f"{label} is active in Procurify but has no JDE supplier{named} "
                f"({_why(queued.get(vendor_id))})",
            )
            continue
        supplier = suppliers.get(an8)
        if supplier is not None and not supplier.found:
            report.differ(
                "vendor without supplier",
                label,
                label,
                an8,
                vendor_id,
                f"{label} is paired with JDE supplier {an8}, which JDE no longer holds (no F0401 row)",
            )
        else:
            report.counts["procurify_vendors_paired"] += 1
