"""Vendors against suppliers, field by field (name, tax ID, payment hold), and either on one side only;
every linked vendor read every day. Docs: docs/integrations/procore_jde.md, "Reconciliation"."""

from collections.abc import Mapping
from typing import Any, Protocol

from connector_assets.flows.queued_differences import queued_differences
from connector_assets.flows.reconciliation import Report
from connector_assets.jde.documents import JdeSupplier
from connector_assets.procore.vendor_fields import tax_id, text

from ..vendor_mappers import is_active

ON_HOLD = "Y"  # F0401 HDPY of a supplier JDE does not pay


class Expected(Protocol):
    """The vendors flow's queue (``flows.reconciliation_expected.Expectations``)."""

    def account_for(self, report: Report, record: str, *keys: str) -> bool: ...


def vendor_name(vendor: Mapping[str, Any] | None, vendor_id: str) -> str:
    """``vendor Granite Supply Co (Procore 5512098)``."""
    name = str((vendor or {}).get("name") or "").strip()
    return f"vendor {name} (Procore {vendor_id})" if name else f"Procore vendor {vendor_id}"


def compare_vendors(
    report: Report,
    an8s: Mapping[str, str | None],
    scope: set[str],
    vendors: Mapping[str, dict[str, Any] | None],
    linked: Mapping[str, str],
    suppliers: Mapping[str, JdeSupplier],
    expected: Expected,
) -> None:
    """``an8s``: vendor id -> its JDE address number (``vendors.vendor_an8``; None: it has none);
    ``scope``: the day's vendor ids; ``vendors``: id -> Procore record (None: Procore has none);
    ``linked``: vendor id -> AN8 of every linked pair; ``suppliers``: AN8 -> the supplier JDE holds;
    ``expected``: the vendors flow's queue."""
    for vendor_id in sorted(scope | set(linked), key=lambda v: (len(v), v)):
        vendor = vendors.get(vendor_id)
        if vendor is None:
            continue  # named below when it was linked; otherwise there is nothing on either side
        report.counts["procore_vendors"] += 1
        an8 = an8s.get(vendor_id)
        name = vendor_name(vendor, vendor_id)
        if an8 is None:
            if vendor_id not in scope:
                continue
            if not is_active(vendor):
                report.counts["procore_vendors_inactive_not_in_jde"] += 1
                continue
            if not expected.account_for(report, name, vendor_id):
                report.differ(
                    "missing in JDE", name, name, vendor_id, "-",
                    f"{name} has no JDE supplier (not written yet, and not in the retry queue either)",
                    field="supplier",
                )  # fmt: skip
        elif an8 not in suppliers:
            linked_by = (
                f"is linked to JDE supplier {an8}"
                if vendor_id in linked
                else f"says it is JDE supplier {an8} (origin_id {vendor.get('origin_id')!r})"
            )
            if vendor_id in linked or not expected.account_for(report, name, vendor_id):
                report.differ(
                    "missing in JDE", name, name, vendor_id, "-",
                    f"{name} {linked_by}, which JDE does not hold (no F0401 row)",
                    counterpart=f"supplier {an8}", field="supplier",
                )  # fmt: skip
        else:
            report.counts["procore_vendors_in_jde"] += 1
            report.compared += 1
            with queued_differences(report, expected, name, vendor_id):  # an update refused: one gap
                compare_pair(report, name, vendor, suppliers[an8])
    for vendor_id, an8 in sorted(linked.items()):
        if vendors.get(vendor_id) is not None or vendor_id not in vendors:
            continue
        if an8 not in suppliers:
            report.counts["vendor_pairs_gone_on_both_sides"] += 1
            continue
        named = _alpha(suppliers[an8])
        supplier = f"JDE supplier {an8}" + (f" ({named})" if named else "")
        report.differ(
            "only in JDE", "-", supplier, "-", named or an8,
            f"{supplier} (added from Procore vendor {vendor_id}) no longer exists in Procore",
            counterpart=f"supplier {an8}", field="vendor",
        )  # fmt: skip


def compare_pair(report: Report, name: str, vendor: Mapping[str, Any], supplier: JdeSupplier) -> None:
    """One vendor against its supplier: name, tax ID (where Procore has one), status (inactive -> held)."""
    jde = f"supplier {supplier.number}"
    book = supplier.address or {}
    fields = {
        "name": (text(vendor.get("name")), _alpha(supplier)),
        "tax ID": (tax_id(vendor), str(book.get("TAX") or "").strip()),
    }
    for field, (procore, held) in fields.items():
        if procore and procore != held:
            report.differ(
                field, name, name, procore, held or "-",
                f"{name}: the {field} is {procore!r} in Procore but {held or 'blank'!r} on JDE {jde}",
                counterpart=jde, field=field,
            )  # fmt: skip
    hold = str(supplier.supplier.get("HDPY") or "").strip().upper()
    if not is_active(vendor) and hold != ON_HOLD:
        report.differ(
            "status", name, name, "inactive", f"payment hold {hold or 'blank'}",
            f"{name} is inactive in Procore but JDE {jde} is not on payment hold (HDPY {hold or 'blank'})",
            counterpart=jde, field="status",
        )  # fmt: skip
    elif is_active(vendor) and hold == ON_HOLD:
        report.counts["suppliers_on_payment_hold_in_jde"] += 1  # JDE's own hold: the flow never lifts it


def _alpha(supplier: JdeSupplier) -> str:
    return text((supplier.address or {}).get("ALPH"))
