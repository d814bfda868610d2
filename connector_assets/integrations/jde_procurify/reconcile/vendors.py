"""Suppliers and vendors: every pair compared field by field every day (the vendor list has no change
filter), each field the ``suppliers`` flow would PATCH now one difference, and the one-sided records named.
docs/integrations/jde_procurify.md, "Reconciliation".
"""

from __future__ import annotations

from collections.abc import Mapping

from connector_assets.flows.core import Rejected
from connector_assets.flows.instance import Instance
from connector_assets.flows.reconciliation import Report
from connector_assets.flows.reconciliation_expected import Expectations
from connector_assets.jde.supplier_documents import SupplierDocument, inactive_reason, supplier_label
from connector_assets.procurify import vendor_writes
from connector_assets.procurify.order_fields import words
from connector_assets.procurify.vendor_fields import first_email, is_active

from ..supplier_mappers import map_supplier
from ..vendor_mappers import never_sent

SCOPE = "suppliers and vendors"
# A vendor field the suppliers flow sends -> (kind, the field in both systems' words).
FIELDS = {
    "name": ("vendor name", "ALPH / name"),
    "external_id": ("vendor external ID", "AN8 / external_id"),
    "active": ("vendor status", "AT1, HDPY, HOLD / active"),
    "email": ("vendor e-mail", "F01151 EMAL / email"),
    "addressLineOne": ("vendor address", "F0116 / addressLineOne"),
    "addressLineTwo": ("vendor address", "F0116 / addressLineTwo"),
    "city": ("vendor address", "F0116 CTY1 / city"),
    "state_province": ("vendor address", "F0116 ADDS / state_province"),
    "postalCode": ("vendor address", "F0116 ADDZ / postalCode"),
    "country": ("vendor address", "F0116 CTR / country"),
    "phoneOne": ("vendor phone", "F0115 AR1 PH1 / phoneOne"),
}
CODES = ("country", "state_province")  # UDC codes: the same in any case (JDE gets them in capitals)


def vendor_label(vendor: Mapping[str, object] | None, vendor_id: str) -> str:
    name = words((vendor or {}).get("name"))
    return f"Procurify vendor {vendor_id}" + (f" ({name})" if name else "")


def _shown(field: str, value: object, document: SupplierDocument | None = None) -> str:
    """A vendor field's value as a finance user reads it (``active`` as active / inactive with JDE's
    reason, an e-mail array as its first address, blank as ``-``)."""
    if field == "active":
        if value:
            return "active"
        why = inactive_reason(document) if document is not None else ""
        return f"inactive ({why})" if why else "inactive"
    if field == "email":
        return first_email({"email": value}) or "-"
    return words(value) or "-"


def compare_pair(
    report: Report,
    vendor_id: str,
    an8: str,
    vendor: Mapping[str, object] | None,
    document: SupplierDocument | None,
    fallback_email: str,
    it: Instance,
    queues: tuple[Expectations, Expectations] | None = None,
) -> None:
    """One pair: the vendor as Procurify holds it against what ``it``'s ``suppliers`` sends for the supplier
    now (``fallback_email``: its ``vendor_fallback_email``).
    ``queues``: the suppliers and the vendors flows' (a pair one of them holds in its retry queue, an update
    refused or a write-back of the AN8 that failed, is one expected gap with the queue's reason)."""
    report.compared += 1
    label = vendor_label(vendor, vendor_id)
    supplier = supplier_label(document) if document is not None else f"JDE supplier {an8}"
    if vendor is None:
        report.differ(
            "vendor missing in Procurify",
            supplier,
            SCOPE,
            an8,
            "-",
            f"{supplier} is paired with Procurify vendor {vendor_id}, which Procurify no longer has",
            counterpart=f"Procurify vendor {vendor_id}",
            field="vendor",
        )
        return
    mapped = (
        map_supplier(
            document,
            fallback_email=fallback_email,
            fallback_setting=it.variable("vendor_fallback_email"),
            paired=True,
        )
        if document is not None
        else None
    )
    if mapped is None or isinstance(mapped, Rejected):
        why = mapped.reason if isinstance(mapped, Rejected) else "no F0401 row"
        report.differ(
            "supplier missing in JDE",
            supplier,
            SCOPE,
            "-",
            vendor_id,
            f"{label} is paired with {supplier}, which JDE no longer holds ({why})",
            counterpart=label,
            field="supplier",
        )
        return
    fallback = bool(mapped.natural_key.get(vendor_writes.FALLBACK_KEY))
    changes = vendor_writes.vendor_changes(
        vendor, mapped.body, lambda held, wanted: vendor_writes.primary_email_first(held, wanted, fallback)
    )
    differing = [
        field
        for field in changes
        if field not in CODES or words(vendor.get(field)).upper() != words(mapped.body.get(field)).upper()
    ]
    if not differing:
        report.counts["vendors_in_balance"] += 1
        return
    if queues is not None and (
        queues[0].account_for(report, supplier, an8) or queues[1].account_for(report, supplier, vendor_id)
    ):
        return
    for field in differing:
        kind, named = FIELDS.get(field, (f"vendor {field}", field))
        ours = _shown(field, mapped.body.get(field), document)
        theirs = _shown(field, vendor.get(field))
        said = "status" if field == "active" else named.split(" / ")[-1]
        report.differ(
            kind,
            supplier,
            SCOPE,
            ours,
            theirs,
            f"{supplier}: {said} is {ours} in JDE but {theirs} on {label}",
            counterpart=label,
            field=named,
        )


def compare_unpaired_supplier(
    report: Report, an8: str, document: SupplierDocument | None, expectations: Expectations
) -> None:
    """A JDE supplier changed that day with no Procurify vendor."""
    if document is None:
        return  # not a supplier (no F0401 row): nothing to send
    report.compared += 1
    label = supplier_label(document)
    why = inactive_reason(document)
    if why:
        report.counts["jde_suppliers_inactive_not_in_procurify"] += 1
        return
    if expectations.account_for(report, label, an8):
        return
    report.differ(
        "supplier missing in Procurify",
        label,
        SCOPE,
        an8,
        "-",
        f"{label} is active in JDE but has no Procurify vendor (not written yet, and not in the retry "
        "queue either)",
        field="vendor",
    )


def compare_unpaired_vendor(
    report: Report,
    vendor_id: str,
    vendor: Mapping[str, object],
    expectations: Expectations,
    it: Instance,
    named_supplier: SupplierDocument | None = None,
) -> None:
    """A vendor changed in Procurify that day with no JDE supplier (in ``it``). ``named_supplier``: the JDE
    supplier its ``external_id`` names, when JDE holds one (the suppliers flow adopts the vendor by that
    address number when the supplier next changes in JDE: not one-sided, counted)."""
    label = vendor_label(vendor, vendor_id)
    external = words(vendor.get("external_id"))
    itself = never_sent(vendor, it)
    if external.isdigit():
        if named_supplier is not None:
            report.counts["procurify_vendors_keyed_to_a_jde_supplier_not_paired_yet"] += 1
            return
        itself = None  # it names a JDE supplier JDE does not hold
    elif itself is not None:
        report.counts["procurify_vendors_not_for_jde"] += 1  # another ERP's, not purchasable, before go-live
        return
    report.compared += 1
    if not is_active(vendor):
        report.counts["procurify_vendors_inactive_not_in_jde"] += 1
        return
    if expectations.account_for(report, label, vendor_id):
        return
    named = (
        f"its external_id says JDE supplier {external}, which JDE does not hold"
        if external
        else "not written yet, and not in the retry queue either"
    )
    report.differ(
        "vendor only in Procurify",
        "-",
        SCOPE,
        "-",
        vendor_id,
        f"{label} is active in Procurify but has no JDE supplier ({named})",
        counterpart=label,
        field="supplier",
    )
