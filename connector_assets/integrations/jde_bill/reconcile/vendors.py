"""Vendors reconciliation (JDE day): the day's JDE suppliers against their BILL vendors, and BILL's vendors
of the day against JDE.

The suppliers compared (the day's changed ones and those of the day's BILL vendors) are completed from JDE
as the vendors flow reads them and mapped by its own ``map_vendor``, so each is compared on what the flow
writes (``compare.vendor_drift``). Depth: docs/integrations/jde_bill.md, "Reconciliation".
"""

from typing import Any

from connector_assets.bill.reads import bill_by_id, in_window
from connector_assets.flows.core import Rejected
from connector_assets.flows.reconciliation import Report
from connector_assets.flows.reconciliation_calls import counted
from connector_assets.jde.assets import supplier_addresses_staged
from connector_assets.jde.documents import JdeSupplier, changed_suppliers
from connector_assets.jde.reconcile_documents import InSession
from connector_assets.runtime.session_source import SessionSource
from connector_assets.runtime.staging import StagingResource
from connector_resources.bill.session import BillSession
from connector_resources.jde import optional_tables
from connector_resources.jde.session import JdeSession
from connector_resources.ledger import Ledger

from ..bill_keys import VENDOR, target_id_of
from ..integration import Own
from ..vendors import default_country, map_vendor
from . import reads
from .compare import vendor_drift

REFUSED = "refused by the vendors flow, not queued yet"


def reconcile_vendors(
    own: Own,
    staging: StagingResource,
    jde: SessionSource[JdeSession],
    bill: SessionSource[BillSession],
    ledger: Ledger,
    day: str,
) -> Report:
    """The day's suppliers and BILL vendors compared (see the module's docstring)."""
    report = reads.new_report()
    start, end = reads.jde_day_window(day)
    queue = reads.expectations(ledger, own.instance, own.vendors.name)
    with counted(bill, report, "bill") as session:
        of_day = in_window(session, "vendors", start, end)
        linked = {vid: reads.source_of(ledger, own.instance, vid, VENDOR) for vid in of_day}
        also = {int(key) for key in linked.values() if key and key.isdigit()}
        with counted(jde, report, "jde") as jde_session:  # one JDE session for all the day's reads
            suppliers = {s.number: s for s in _suppliers(staging, InSession(jde_session), day, also)}
        vendor_ids = {n: target_id_of(ledger, own.instance, VENDOR, str(n)) for n in suppliers}
        vendors = {
            **of_day,
            **bill_by_id(session, "vendors", [v for v in vendor_ids.values() if v not in of_day]),
        }
    report.counts["jde_suppliers"] = len(suppliers)
    report.counts["bill_vendors_of_the_day"] = len(of_day)
    country = default_country(own.it)
    for number, supplier in sorted(suppliers.items()):
        _supplier(report, queue, supplier, map_vendor(supplier, country), vendor_ids[number], vendors)
    for vid, vendor in sorted(of_day.items()):
        source = linked[vid]
        if source is None:
            why = (
                "comes from no JDE supplier (no cross-reference): added in BILL directly, or matched by hand "
                "and not recorded"
            )
        elif not source.isdigit() or int(source) not in suppliers:
            why = f"comes from JDE supplier {source}, which JDE no longer has as a supplier (F0401)"
        else:
            continue
        _only_in_bill(report, vid, vendor, source or "", why)
    return report


def _suppliers(
    staging: StagingResource, jde: SessionSource[JdeSession], day: str, also: set[int]
) -> list[JdeSupplier]:
    """The day's changed suppliers and ``also``, read as the vendors flow reads them (address in effect
    and send-to party, when F0116 is read)."""
    with optional_tables.refusal_explained():
        return changed_suppliers(
            staging, jde, day, also, addresses=supplier_addresses_staged(), remit_to=True
        )


def _supplier(
    report: Report, queue: Any, supplier: JdeSupplier, mapped: Any, vendor_id: str | None, vendors: dict
) -> None:
    """One supplier against its BILL vendor: refused, missing, or compared field by field."""
    number, key = supplier.number, str(supplier.number)
    name = str((supplier.address or {}).get("ALPH") or "").strip()
    label = f"supplier {number} ({name or 'no name in F0101'})"
    if isinstance(mapped, Rejected):
        if not queue.account_for(report, label, key):
            report.expect(REFUSED, label, mapped.reason)
        return
    vendor = vendors.get(vendor_id or "")
    if vendor is None:
        if queue.account_for(report, label, key):
            return
        why = (
            "not written yet, and not in the retry queue"
            if vendor_id is None
            else (f"written as BILL vendor {vendor_id}, which BILL no longer has")
        )
        report.differ(
            "missing in BILL",
            f"supplier {number}",
            number,
            name or "-",
            "-",
            f"{label} is in JDE but not in BILL ({why})",
            counterpart=vendor_id or "",
            field="vendor",
        )
        return
    report.compared += 1
    drifts = vendor_drift(mapped.body, vendor)
    if not drifts or queue.account_for(report, label, key):
        return  # the same, or a change the flow has queued (its write waits or failed)
    for drift in drifts:
        report.differ(
            drift.kind,
            f"supplier {number}",
            number,
            drift.jde,
            drift.bill,
            f"{label}: {drift.field} {drift.jde!r} in JDE but {drift.bill!r} on BILL vendor {vendor_id}",
            counterpart=vendor_id,
            field=drift.field,
        )


def _only_in_bill(report: Report, vendor_id: str, vendor: dict, supplier: str, why: str) -> None:
    name = str(vendor.get("name") or "").strip()
    state = " (archived)" if vendor.get("archived") is True else ""
    report.differ(
        "only in BILL",
        f"supplier {supplier}" if supplier else "-",
        supplier,
        "-",
        name,
        f"BILL vendor {name!r}{state} ({vendor_id}) {why}",
        counterpart=vendor_id,
        field="vendor",
    )
