"""Vendors on one side only: Procore vendors with no JDE supplier, JDE suppliers whose vendor is gone.

Procore's side: the vendors the day concerns (changed that day, the staged ``procore/vendors``, and the
vendors of the commitments the day's requisitions and change orders bill), each read from Procore. An
active one needs a JDE supplier: its address number is the vendors flow's cross-reference, else the one
its ``origin_id`` spells (``vendors.vendor_an8``); with none, or with one JDE does not hold (F0401), it is
named. An inactive vendor never synced is not one the flow adds, so it is only counted.

JDE's side: every supplier the vendors flow linked to a Procore vendor (the cross-references with an
address number) whose vendor Procore no longer has (a read by id answers 404), while JDE still holds
the supplier: someone deleted the vendor in Procore, and JDE keeps paying a supplier Procore no longer
knows. These are read every day (100 vendors to a call), since a deletion changes nothing a day's keys
would show.
"""

from collections.abc import Mapping
from typing import Any

from connector_assets.flows.reconciliation import Report
from connector_assets.integrations.procore_jde.vendor_mappers import is_active
from connector_assets.integrations.procore_jde.vendors import vendor_an8
from connector_resources.ledger import Ledger


def vendor_name(vendor: Mapping[str, Any] | None, vendor_id: str) -> str:
    """``vendor Granite Supply Co (Procore 5512098)``."""
    name = str((vendor or {}).get("name") or "").strip()
    return f"vendor {name} (Procore {vendor_id})" if name else f"Procore vendor {vendor_id}"


def compare_vendors(
    report: Report,
    ledger: Ledger,
    scope: set[str],
    vendors: Mapping[str, dict[str, Any] | None],
    linked: Mapping[str, str],
    suppliers: Mapping[str, str],
    queued: Mapping[str, str],
) -> None:
    """``scope``: the day's vendor ids; ``vendors``: id -> Procore record (None: Procore has none);
    ``linked``: vendor id -> AN8 of every linked pair; ``suppliers``: AN8 -> name of those JDE holds;
    ``queued``: why each waits in the vendors flow's retry queue (``flows.retry_reasons``)."""
    for vendor_id in sorted(scope, key=lambda v: (len(v), v)):
        vendor = vendors.get(vendor_id)
        if vendor is None:
            continue  # named below when it was linked; otherwise there is nothing on either side
        report.counts["procore_vendors"] += 1
        an8 = vendor_an8(ledger, vendor_id, vendor)
        name = vendor_name(vendor, vendor_id)
        why = queued.get(vendor_id, "")
        if an8 is None:
            if not is_active(vendor):
                report.counts["procore_vendors_inactive_not_in_jde"] += 1
                continue
            why = why or "not written yet, and not in the retry queue either"
            report.differ(
                "vendor without supplier", name, name, vendor_id, "-", f"{name} has no JDE supplier ({why})"
            )
        elif an8 not in suppliers:
            linked_by = (
                f"is linked to JDE supplier {an8}"
                if vendor_id in linked
                else f"says it is JDE supplier {an8} (origin_id {vendor.get('origin_id')!r})"
            )
            report.differ(
                "vendor without supplier",
                name,
                name,
                vendor_id,
                an8,
                f"{name} {linked_by}, which JDE does not hold (no F0401 row)" + (f" ({why})" if why else ""),
            )
        else:
            report.counts["procore_vendors_in_jde"] += 1
    for vendor_id, an8 in sorted(linked.items()):
        if vendors.get(vendor_id) is not None or vendor_id not in vendors:
            continue
        if an8 not in suppliers:
            report.counts["vendor_pairs_gone_on_both_sides"] += 1
            continue
        supplier = f"JDE supplier {an8}" + (f" ({suppliers[an8]})" if suppliers[an8] else "")
        report.differ(
            "supplier without vendor",
            f"supplier {an8}",
            supplier,
            "-",
            an8,
            f"JDE supplier {an8} (added from Procore vendor {vendor_id}) no longer exists in Procore",
        )
