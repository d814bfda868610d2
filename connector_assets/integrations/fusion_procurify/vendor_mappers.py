"""Pure pairing of a Procurify vendor with the Fusion supplier of the same name (Fusion has no supplier
create in our reference, §2.7), chosen by ``fusion.supplier_names.match_supplier``, and the fingerprint the
``vendors`` flow notices changes by. docs/integrations/fusion_procurify.md, "Vendors paired by name".
"""

from collections.abc import Mapping
from typing import Any

from connector_assets.flows.core import Mapped, Rejected
from connector_assets.flows.record_models import Column, matching, one_of, record_model, string
from connector_assets.fusion.supplier_names import EXACT, FOLDED, supplier_text
from connector_assets.procurify.vendor_fields import (
    content_fingerprint,
    is_active,
    not_purchasable_why,
)
from connector_assets.procurify.vendor_fields import vendor_label as label
from connector_resources.refusals import Refusal, master_missing, source_invalid

# What the flow decides by: equal fingerprints mean nothing the pairing looks at changed.
FINGERPRINT_FIELDS = ("id", "name", "active", "type")


def _text(value: Any) -> str:
    return " ".join(str(value or "").split())


def skipped_why(vendor: Mapping[str, Any]) -> str | None:
    """Why the vendor itself is not one to pair (its type, inactive), None when it is: what is decided
    without the ledger, so the ledger is asked only about the rest."""
    purchasable = not_purchasable_why(vendor)
    if purchasable is not None:
        return purchasable
    if not is_active(vendor):
        return "it is inactive"
    return None


def not_paired_why(vendor: Mapping[str, Any], paired_supplier: str | None) -> str | None:
    """Why this vendor is not one to pair now (None: it is): ``skipped_why``, or the ledger already pairs
    it with ``paired_supplier``."""
    itself = skipped_why(vendor)
    if itself is not None:
        return itself
    if paired_supplier:
        return f"it is already paired with Fusion supplier {paired_supplier}"
    return None


def fingerprint(vendor: Mapping[str, Any]) -> str:
    """A hash of what the pairing decides by (``FINGERPRINT_FIELDS``): equal when nothing it looks at
    changed, whatever ``dateModified`` says (16 hex digits: a vendor's own history, not a digest)."""
    return content_fingerprint(vendor, FINGERPRINT_FIELDS)


FusionSupplierPairRecord = record_model(
    "FusionSupplierPairRecord",
    "A Procurify vendor paired with an existing Fusion supplier: both ids and names, and how they matched.",
    vendor_id=matching(r"^\d+$"),
    vendor_name=string(1),
    supplier_id=matching(r"^\d+$"),
    supplier=string(1),
    supplier_number=Column(str, nullable=True),
    matched_by=one_of([EXACT, FOLDED]),
)


def _what_to_do(vendor_id: str, xref_setting: str) -> str:
    return (
        "Make the supplier in Fusion with the vendor's name, or enter the match by hand with "
        f"`ml-connector xref set {vendor_id} <Fusion supplier number>` (or a row in "
        f"{xref_setting}), then replay"
    )


def map_vendor(
    vendor: Mapping[str, Any],
    supplier: Mapping[str, Any] | None,
    matched_by: str,
    candidates: list[Mapping[str, Any]],
    *,
    paired_vendor_of_supplier: str | None = None,
    xref_setting: str,
) -> Mapped | Rejected:
    """One vendor to pair and the outcome of ``match_supplier`` for its name -> the pair, or why there is
    none. ``paired_vendor_of_supplier``: the Procurify vendor the ledger already pairs the matched
    supplier with (another vendor: refused, a supplier has one vendor)."""
    vendor_id = str(vendor.get("id") or "").strip()
    who = label(vendor)
    if not vendor_id.isdigit():
        sentence = f"{who}: the vendor has no numeric id; it cannot be keyed"
        return Rejected.of(vendor_id or "?", source_invalid(sentence, field="id", value=vendor_id))
    name = _text(vendor.get("name"))
    if not name:
        sentence = f"{who}: the vendor has no name to find its Fusion supplier by. " + _what_to_do(
            vendor_id, xref_setting
        )
        return Rejected.of(vendor_id, source_invalid(sentence, field="name"))
    if supplier is None and candidates:
        listed = "; ".join(supplier_text(s) for s in candidates[:5])
        more = f" and {len(candidates) - 5} more" if len(candidates) > 5 else ""
        sentence = (
            f"{who}: {len(candidates)} active Fusion suppliers match the name by {matched_by} "
            f"({listed}{more}); choosing one would be a guess. " + _what_to_do(vendor_id, xref_setting)
        )
        found = [str(s.get("SupplierNumber") or s.get("SupplierId") or "") for s in candidates]
        return Rejected.of(
            vendor_id, Refusal("ambiguous", sentence, {"system": "Fusion", "candidates": found})
        )
    if supplier is None:
        sentence = (
            f"{who}: no active Fusion supplier is named {name!r} (compared exactly, then ignoring case and "
            "spacing). " + _what_to_do(vendor_id, xref_setting)
        )
        return Rejected.of(vendor_id, master_missing(sentence, system="Fusion", what="supplier", value=name))
    supplier_id = str(supplier.get("SupplierId"))
    if paired_vendor_of_supplier and paired_vendor_of_supplier != vendor_id:
        sentence = (
            f"{who}: its name matches Fusion supplier {supplier_text(supplier)}, but that supplier is "
            f"already paired with Procurify vendor {paired_vendor_of_supplier}; a supplier has one vendor. "
            "Deactivate the duplicate vendor in Procurify, or enter the right match by hand with "
            f"`ml-connector xref set {vendor_id} <Fusion supplier number>`, then replay"
        )
        return Rejected.of(vendor_id, Refusal("conflict", sentence, {"system": "Procurify"}))
    number = supplier.get("SupplierNumber")
    return Mapped(
        source_key=vendor_id,
        body={"SupplierId": supplier_id},
        fields={
            "vendor_id": vendor_id,
            "vendor_name": name,
            "supplier_id": supplier_id,
            "supplier": str(supplier.get("Supplier") or ""),
            "supplier_number": None if number is None else str(number),
            "matched_by": matched_by,
        },
        natural_key={"SupplierId": supplier_id},
    )
