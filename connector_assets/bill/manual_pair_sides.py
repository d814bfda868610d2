"""A BILL vendor as one side of a pairing matched by hand (``flows.manual_pairs``), read by the BILL id a
person types (``00901...``, as BILL's vendor page shows it). An archived vendor is refused: the flows never
pair with one (``targets.VendorIndex`` drops it), so a match with it would update a vendor nobody pays."""

from __future__ import annotations

from connector_assets.flows.manual_pairs import Found, MatchRefused, Side, Systems
from connector_resources.bill.errors import BillNotFoundError
from connector_resources.ledger import Ledger


def find_vendor(systems: Systems, ledger: Ledger, vendor_id: str) -> Found:
    """BILL vendor ``vendor_id``; ``MatchRefused`` when BILL has none, or only an archived one."""
    vendor = systems.read(
        "bill", "vendors", vendor_id, BillNotFoundError, f"BILL has no vendor with id {vendor_id}"
    )
    name = str(vendor.get("name") or "").strip()
    label = f"BILL vendor {name} ({vendor_id})" if name else f"BILL vendor {vendor_id}"
    if vendor.get("archived") is True:
        raise MatchRefused(f"{label} is archived in BILL: restore it there first, or match a live vendor")
    tax = str((vendor.get("additionalInfo") or {}).get("taxId") or "").strip()
    return Found(vendor_id, label, {"tax_id": tax} if tax else {}, vendor)


def vendor_side(system: str = "bill") -> Side:
    """A BILL vendor as a side of a pairing (``system``: how the integration's ledger names BILL)."""
    return Side(system, "BILL vendor", "bill", "its BILL id (as BILL's vendor page shows it)", find_vendor)
