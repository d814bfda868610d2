"""Vendors reconciliation (JDE day): the day's changed JDE suppliers against their BILL vendors.

The suppliers (staged F0401 / F0101 keys, completed from JDE) against the BILL vendor the cross-reference
names, read from BILL by id: missing, archived, name, tax ID; and the BILL vendors changed that day
(staged ``bill/vendors``) that no JDE supplier accounts for. A BILL vendor of the day whose supplier did
not change in JDE has its supplier read too, so a vendor renamed in BILL alone is caught.
"""

from typing import Any

from connector_assets.asset_keys import asset_key
from connector_assets.bill.reads import bill_by_id
from connector_assets.bill.targets import comparable_name, comparable_tax_id
from connector_assets.flows.reconciliation import Report
from connector_assets.flows.reconciliation_calls import CountedJde, counted
from connector_assets.integrations.jde_bill.bill_keys import target_id_of
from connector_assets.integrations.jde_bill.reconcile.reads import (
    queued_reasons,
    source_of,
    staged_in_jde_day,
    why_missing,
)
from connector_assets.integrations.jde_bill.reconcile.report import new_report
from connector_assets.jde.documents import changed_suppliers, suppliers_by_number
from connector_resources.ledger import Ledger


def reconcile_vendors(staging: Any, jde: Any, bill: Any, ledger: Ledger, day: str) -> Report:
    """The day's suppliers and BILL vendors compared (see the module's docstring)."""
    report = new_report()
    counted_jde = CountedJde(jde, report)
    queued = queued_reasons(ledger, "vendors")
    suppliers = {s.number: s for s in changed_suppliers(staging, counted_jde, day)}
    staged_vendors = staged_in_jde_day(staging, asset_key("bill", "vendors"), day)
    # BILL vendors of the day the cross-reference gives to a JDE supplier not changed in JDE that day:
    # their supplier is read too, so a vendor renamed in BILL alone is caught.
    linked = {
        str(vendor["id"]): source
        for vendor in staged_vendors
        if (source := source_of(ledger, str(vendor["id"]), "vendor")) is not None
    }
    extra = {int(k) for k in linked.values() if k.isdigit() and int(k) not in suppliers}
    suppliers.update({s.number: s for s in suppliers_by_number(counted_jde, extra)} if extra else {})
    vendor_ids = {str(s.number): target_id_of(ledger, "vendor", str(s.number)) for s in suppliers.values()}
    with counted(bill, report, "bill") as session:
        vendors = bill_by_id(session, "vendors", [v for v in vendor_ids.values() if v])
    for number, supplier in sorted(suppliers.items()):
        report.counts["jde_suppliers"] += 1
        name = (supplier.address or {}).get("ALPH") or ""
        label = f"supplier {number} ({name.strip() or 'no name in F0101'})"
        vendor_id = vendor_ids[str(number)]
        vendor = vendors.get(vendor_id or "")
        if vendor_id is None or vendor is None:
            why = why_missing(queued, str(number)) if vendor_id is None else f"BILL has no vendor {vendor_id}"
            report.differ(
                "missing in BILL",
                f"supplier {number}",
                number,
                name.strip(),
                "-",
                f"{label} is in JDE but not in BILL ({why})",
            )
            continue
        report.counts["bill_vendors_matched"] += 1
        _compare_vendor(report, number, label, supplier.address or {}, vendor)
    for vendor in staged_vendors:
        vid = str(vendor["id"])
        report.counts["bill_vendors_changed"] += 1
        source = linked.get(vid)
        if source is None:
            report.differ(
                "missing in JDE",
                f"vendor {vid}",
                "",
                "-",
                vendor.get("name"),
                f"BILL vendor {vendor.get('name')!r} ({vid}) comes from no JDE supplier (no "
                "cross-reference): added in BILL directly, or matched by hand and not recorded",
            )
        elif not source.isdigit() or int(source) not in suppliers:
            report.differ(
                "missing in JDE",
                f"vendor {vid}",
                source,
                "-",
                vendor.get("name"),
                f"BILL vendor {vendor.get('name')!r} ({vid}) comes from JDE supplier {source}, which "
                "JDE no longer has as a supplier (F0401)",
            )
    return report


def _compare_vendor(report: Report, number: int, label: str, book: dict, vendor: dict) -> None:
    if vendor.get("archived") is True:
        report.differ(
            "archived in BILL",
            f"supplier {number}",
            number,
            "active",
            "archived",
            f"{label}: its BILL vendor {vendor['id']} is archived",
        )
    jde_name, bill_name = (book.get("ALPH") or "").strip(), str(vendor.get("name") or "").strip()
    if comparable_name(jde_name) != comparable_name(bill_name):
        report.differ(
            "name",
            f"supplier {number}",
            number,
            jde_name,
            bill_name,
            f"supplier {number}: named {jde_name!r} in JDE but {bill_name!r} in BILL ({vendor['id']})",
        )
    jde_tax = (book.get("TAX") or "").strip()
    bill_tax = str((vendor.get("additionalInfo") or {}).get("taxId") or "").strip()
    if comparable_tax_id(jde_tax) != comparable_tax_id(bill_tax):
        report.differ(
            "tax ID",
            f"supplier {number}",
            number,
            jde_tax or "-",
            bill_tax or "-",
            f"supplier {number}: tax ID {jde_tax or 'none'} in JDE but {bill_tax or 'none'} in BILL",
        )
