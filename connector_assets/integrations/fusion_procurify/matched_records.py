"""The two records a manual vendor match names, read from their systems and checked to exist before
anything is stored (``manual_matches`` holds the rules): the Fusion supplier, by number or id, and the
Procurify vendor. A match naming nothing is refused (``MatchRefused``), never stored, so a typo in
``ml-connector xref set`` or in the matches file never becomes a pair.
"""

from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from connector_assets.integrations.fusion_procurify.vendor_pairs import id_key
from connector_resources.fusion.errors import FusionNotFoundError
from connector_resources.procurify.errors import ProcurifyNotFoundError


class MatchRefused(Exception):
    """A manual match that was not stored, with why in an operator's words (nothing was changed)."""


@dataclass(frozen=True, slots=True)
class FusionSupplier:
    """The Fusion supplier a match names, as read from Fusion."""

    supplier_id: str
    number: str
    name: str

    @property
    def label(self) -> str:
        return f"Fusion supplier {self.name} (number {self.number}, SupplierId {self.supplier_id})"


def find_fusion_supplier(session: Any, given: str) -> FusionSupplier:
    """The supplier ``given`` names: its ``SupplierNumber`` or its ``SupplierId`` (``number:`` / ``id:``
    in front says which); ``MatchRefused`` when Fusion has none, or when the number names one supplier
    and the id another (the operator says which with the prefix)."""
    text = given.strip()
    kind, _, value = text.partition(":") if ":" in text else ("", "", text)
    value = value.strip()
    if kind not in ("", "id", "number") or not value:
        raise MatchRefused(
            f"{given!r} is not a Fusion supplier number or id (use 1234, number:1234 or id:300...)"
        )
    found: dict[str, dict[str, Any]] = {}
    if kind in ("", "number"):
        by_number = session.find_supplier(supplier_number=value)
        if by_number is not None:
            found["number"] = by_number
    if kind in ("", "id") and value.isdigit():
        with suppress(FusionNotFoundError):
            found["id"] = session.get("suppliers", value)
    if not found:
        what = {"": "SupplierNumber or SupplierId", "id": "SupplierId", "number": "SupplierNumber"}[kind]
        raise MatchRefused(f"Fusion has no supplier with {what} {value}")
    suppliers = {str(record.get("SupplierId")): _supplier(record) for record in found.values()}
    if len(suppliers) > 1:
        names = " and ".join(s.label for s in suppliers.values())
        raise MatchRefused(f"{value} names two Fusion suppliers, {names}: say number:{value} or id:{value}")
    return next(iter(suppliers.values()))


def _supplier(record: dict[str, Any]) -> FusionSupplier:
    return FusionSupplier(
        supplier_id=id_key(record.get("SupplierId", ""), "Fusion SupplierId"),
        number=str(record.get("SupplierNumber") or "").strip(),
        name=str(record.get("Supplier") or "").strip(),
    )


def check_procurify_vendor(session: Any, vendor_id: str) -> str:
    """The name of Procurify vendor ``vendor_id``; ``MatchRefused`` when Procurify has no such vendor."""
    try:
        vendor = session.get("vendors", vendor_id)
    except ProcurifyNotFoundError:
        raise MatchRefused(f"Procurify has no vendor with id {vendor_id}") from None
    return str(vendor.get("name") or "").strip()
