"""The two records a manual vendor match names, read from their systems and checked to exist before
anything is stored (``manual_matches`` holds the rules): the Fusion supplier, by number or id (read by the
Fusion side, ``fusion.suppliers``), and the Procurify vendor. A match naming nothing is refused
(``MatchRefused``), never stored, so a typo in ``ml-connector xref set`` or in the matches file never
becomes a pair.
"""

from typing import Any

from connector_assets.fusion.suppliers import FusionSupplier, SupplierNotFound, find_supplier
from connector_resources.procurify.errors import ProcurifyNotFoundError


class MatchRefused(Exception):
    """A manual match that was not stored, with why in an operator's words (nothing was changed)."""


def find_fusion_supplier(session: Any, given: str) -> FusionSupplier:
    """The supplier a match names (``fusion.suppliers.find_supplier``); ``MatchRefused`` with Fusion's
    words when it names none or two."""
    try:
        return find_supplier(session, given)
    except SupplierNotFound as exc:
        raise MatchRefused(str(exc)) from None


def check_procurify_vendor(session: Any, vendor_id: str) -> str:
    """The name of Procurify vendor ``vendor_id``; ``MatchRefused`` when Procurify has no such vendor."""
    try:
        vendor = session.get("vendors", vendor_id)
    except ProcurifyNotFoundError:
        raise MatchRefused(f"Procurify has no vendor with id {vendor_id}") from None
    return str(vendor.get("name") or "").strip()
