"""JD Edwards suppliers as a flow pairing them with another system's vendors reads them: which address
numbers JDE holds as suppliers, when each last changed, and which changed on a staged day.
"""

from collections.abc import Iterable
from datetime import datetime

from connector_assets.jde.lookup import browse_in
from connector_assets.jde.supplier_details import supplier_details
from connector_assets.jde.supplier_documents import changed_suppliers
from connector_assets.jde.tables import SUPPLIERS
from connector_assets.runtime.staging import StagingResource
from connector_resources.jde.session import JdeSession


def suppliers_among(session: JdeSession, an8s: Iterable[int]) -> set[int]:
    """Which of these address numbers JDE holds as suppliers (an F0401 row)."""
    return {int(r["AN8"]) for r in browse_in(session, SUPPLIERS.table, "AN8", sorted(set(an8s)), ["AN8"])}


def changed_at(session: JdeSession, an8s: Iterable[int]) -> dict[int, datetime]:
    """Each supplier's latest change in JDE (``supplier_details``' stamp over F0101, F0401, F0116, F0115 and
    F01151, as UTC; bank rows left out, since bank details are never sent back to the other system)."""
    details = supplier_details(session, sorted(set(an8s)), bank=False)
    return {an8: d.changed_at for an8, d in details.items() if d.changed_at is not None}


def staged_supplier_numbers(staging: StagingResource, partition: str | None) -> set[int]:
    """Address numbers of the suppliers whose F0401, F0101 (search type V) or F0116 row changed that day."""
    return changed_suppliers(staging, partition, synced=lambda _other_types: set())
