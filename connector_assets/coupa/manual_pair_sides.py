"""A Coupa supplier as one side of a pairing matched by hand (``flows.manual_pairs``), read by the Coupa id a
person types (the number in its address, ``/suppliers/17``). Shared by JD Edwards -> Coupa and Coupa ->
JD Edwards."""

from __future__ import annotations

from connector_assets.flows.manual_pairs import Found, Side, Systems, number_key
from connector_resources.coupa.errors import CoupaNotFoundError
from connector_resources.ledger import Ledger


def find_supplier(systems: Systems, ledger: Ledger, supplier_id: str) -> Found:
    """Coupa supplier ``supplier_id``; ``MatchRefused`` when Coupa has none."""
    supplier = systems.read(
        "coupa", "suppliers", supplier_id, CoupaNotFoundError, f"Coupa has no supplier with id {supplier_id}"
    )
    name = str(supplier.get("name") or "").strip()
    number = str(supplier.get("number") or "").strip()
    said = f"{supplier_id}, number {number}" if number else supplier_id
    label = f"Coupa supplier {name} ({said})" if name else f"Coupa supplier {said}"
    return Found(supplier_id, label, {"number": number} if number else {}, supplier)


def supplier_side(system: str = "coupa") -> Side:
    """A Coupa supplier as a side of a pairing (``system``: how the integration's ledger names Coupa)."""
    return Side(system, "Coupa supplier", "coupa", "its Coupa id (a number)", find_supplier, number_key)
