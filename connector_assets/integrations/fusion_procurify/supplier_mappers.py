"""Pure mapping of an Oracle Fusion supplier to a Procurify vendor (no I/O; the PATCH of what differs is the
Procurify side's ``vendor_target.NamedVendors``). A name longer than Procurify's 150 characters is refused,
never cut (a cut name is another name on every order); ``type`` and addresses are never sent. Field by
field, with the reasons: docs/integrations/fusion_procurify.md, "Suppliers -> vendors".
"""

from collections.abc import Mapping
from typing import Any

from connector_assets.flows.core import Mapped, Rejected
from connector_assets.flows.record_models import matching, record_model, string
from connector_assets.fusion.supplier_sites import (
    supplier_inactive_reason,
    supplier_label,
)
from connector_assets.procurify.vendor_fields import (
    EXTERNAL_ID_MAX,
    NAME_MAX,
    ProcurifyVendorColumns,
    vendor_record,
)
from connector_resources.refusals import Refusal, source_invalid
from connector_resources.said import refusal_for, said


def _text(value: Any) -> str:
    return "" if value is None else " ".join(str(value).split())


ProcurifyVendorRecord = record_model(
    "ProcurifyVendorRecord",
    "What is sent as a Procurify vendor: the Fusion supplier it comes from, a name Procurify takes, the "
    "supplier number as ``external_id``, the e-mail when one is sent, and whether it is active.",
    base=ProcurifyVendorColumns,
    supplier_id=matching(r"^\d+$"),
    external_id=string(1, EXTERNAL_ID_MAX),
)


def map_supplier(
    supplier: Mapping[str, Any], *, fallback_email: str = "", paired: bool = False, fallback_setting: str
) -> Mapped | Rejected:
    """One Fusion supplier -> a Procurify vendor body, or why it cannot be one. ``fallback_email``: the
    setting's (``fallback_setting``, named when it is needed); ``paired``: the ledger knows its vendor (then
    no e-mail is needed: it has its own)."""
    key = _text(supplier.get("SupplierId"))
    record = dict(supplier)
    who = supplier_label(record)
    if not key.isdigit():
        sentence = f"{who}: the supplier has no numeric SupplierId; it cannot be keyed"
        return Rejected.of(key or "?", source_invalid(sentence, field="SupplierId", value=key))
    name = _text(supplier.get("Supplier"))
    number = _text(supplier.get("SupplierNumber"))
    problems: list[str] = []
    if not name:
        problems.append(
            said(
                source_invalid(
                    "its name (Supplier) is empty, and Procurify needs a vendor name", field="Supplier"
                )
            )
        )
    elif len(name) > NAME_MAX:
        sentence = (
            f"its name is {len(name)} characters ({name[:60]!r}...) but Procurify's vendor name holds "
            f"{NAME_MAX}; the integration does not cut names (a cut name is another name on every order). "
            "Give the supplier a shorter name in Fusion, or pair it by hand with an existing vendor "
            "(`ml-connector xref set <vendor id> <supplier number>`)"
        )
        problems.append(said(source_invalid(sentence, field="Supplier", value=name)))
    if not number:
        sentence = "it has no SupplierNumber to key the Procurify vendor by (external_id)"
        problems.append(said(source_invalid(sentence, field="SupplierNumber")))
    elif len(number) > EXTERNAL_ID_MAX:
        sentence = f"its SupplierNumber is longer than Procurify's external_id ({EXTERNAL_ID_MAX})"
        problems.append(said(source_invalid(sentence, field="SupplierNumber", value=number)))
    if not fallback_email and not paired:
        sentence = (
            "Procurify requires an e-mail address on every vendor and Fusion's supplier carries none; set "
            f"{fallback_setting} (e.g. ap@yourcompany.com) and replay"
        )
        setting = {"system": "Procurify", "setting": fallback_setting}
        problems.append(said(Refusal("configuration", sentence, setting)))
    if problems:
        sentence = f"{who} cannot become a Procurify vendor: {'; '.join(problems)}"
        return Rejected.of(key, refusal_for(sentence, problems, rule="supplier not a vendor"))
    return vendor_record(
        key,
        "supplier_id",
        name=name,
        external_id=number,
        email=fallback_email,
        active=supplier_inactive_reason(record) is None,
        natural_key={"external_id": number, "name": name},
    )
