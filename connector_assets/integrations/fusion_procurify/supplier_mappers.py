"""Pure mapping of an Oracle Fusion supplier to a Procurify vendor (no I/O here), and the PATCH of what
differs.

What Procurify receives, in its own names (reference §2.3), from the Fusion supplier (§2.7):

=================  =====================================================================================
``name``           ``Supplier`` (Fusion holds up to 360 characters, Procurify 150: a longer name is refused
                   naming both lengths, never cut: a cut name is another name on every order)
``external_id``    ``SupplierNumber``: the ERP key Procurify documents for matching, the one a finance user
                   sees on both sides (the ``SupplierId`` is in the ledger's ``supplier`` cross-reference)
``active``         False when Fusion says the supplier is inactive (``Status`` INACTIVE or an ``InactiveDate``
                   reached; both unconfirmed names, absent = active): the vendor is deactivated, never deleted
``email``          ``[ML_FUSION_PROCURIFY_VENDOR_FALLBACK_EMAIL]``: Procurify requires an e-mail on every
                   vendor and Fusion's supplier resource carries none (contacts are a child the reference
                   does not describe). Sent on create; on an update it never replaces the vendor's own
                   addresses. Blank setting: a supplier with no vendor yet is refused naming the setting.
=================  =====================================================================================

``type`` is never sent: Procurify makes a new vendor PREFERRED, and a buyer's later choice is not Fusion's
to undo. Addresses are not sent: the supplier's addresses belong to its sites (one per business unit),
and Procurify's vendor has one address; which one would be a guess.
"""

from collections.abc import Mapping
from typing import Any

from connector_assets.flows.core import Mapped, Rejected
from connector_assets.flows.lazy_model import lazy_model
from connector_assets.integrations.fusion_procurify.supplier_sites import (
    supplier_inactive_reason,
    supplier_label,
)

NAME_MAX = 150  # reference §2.3
EXTERNAL_ID_MAX = 100  # reference §2.3
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
FALLBACK_SETTING = "ML_FUSION_PROCURIFY_VENDOR_FALLBACK_EMAIL"


def _text(value: Any) -> str:
    return "" if value is None else " ".join(str(value).split())


@lazy_model
def ProcurifyVendorRecord() -> type:
    """What is sent as a Procurify vendor: the Fusion supplier it comes from, a name Procurify takes, the
    supplier number as ``external_id``, the e-mail when one is sent, and whether it is active."""
    import pandera.pandas as pa
    from pandera.typing import Series

    class ProcurifyVendorRecord(pa.DataFrameModel):
        supplier_id: Series[str] = pa.Field(str_matches=r"^\d+$")
        name: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": NAME_MAX})
        external_id: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": EXTERNAL_ID_MAX})
        email: Series[str] = pa.Field(nullable=True, str_matches=EMAIL_PATTERN)
        active: Series[bool]

        class Config:
            strict = True
            coerce = True

    return ProcurifyVendorRecord


def map_supplier(
    supplier: Mapping[str, Any], *, fallback_email: str = "", paired: bool = False
) -> Mapped | Rejected:
    """One Fusion supplier -> a Procurify vendor body, or why it cannot be one.

    ``fallback_email``: ``ML_FUSION_PROCURIFY_VENDOR_FALLBACK_EMAIL``. ``paired``: the ledger knows its vendor
    already (then no e-mail is needed: the vendor keeps its own)."""
    key = _text(supplier.get("SupplierId"))
    record = dict(supplier)
    who = supplier_label(record)
    if not key.isdigit():
        return Rejected(key or "?", f"{who}: the supplier has no numeric SupplierId; it cannot be keyed")
    name = _text(supplier.get("Supplier"))
    number = _text(supplier.get("SupplierNumber"))
    problems = []
    if not name:
        problems.append("its name (Supplier) is empty, and Procurify needs a vendor name")
    elif len(name) > NAME_MAX:
        problems.append(
            f"its name is {len(name)} characters ({name[:60]!r}...) but Procurify's vendor name holds "
            f"{NAME_MAX}; the integration does not cut names (a cut name is another name on every order). "
            "Give the supplier a shorter name in Fusion, or pair it by hand with an existing vendor "
            "(`ml-connector xref set <vendor id> <supplier number>`)"
        )
    if not number:
        problems.append("it has no SupplierNumber to key the Procurify vendor by (external_id)")
    elif len(number) > EXTERNAL_ID_MAX:
        problems.append(f"its SupplierNumber is longer than Procurify's external_id ({EXTERNAL_ID_MAX})")
    if not fallback_email and not paired:
        problems.append(
            "Procurify requires an e-mail address on every vendor and Fusion's supplier carries none; set "
            f"{FALLBACK_SETTING} (e.g. ap@yourcompany.com) and replay"
        )
    if problems:
        return Rejected(key, f"{who} cannot become a Procurify vendor: {'; '.join(problems)}")
    active = supplier_inactive_reason(record) is None
    body: dict[str, Any] = {"name": name, "external_id": number, "active": active}
    if fallback_email:
        body["email"] = [fallback_email]
    return Mapped(
        source_key=key,
        body=body,
        fields={
            "supplier_id": key,
            "name": name,
            "external_id": number,
            "email": fallback_email or None,
            "active": active,
        },
        natural_key={"external_id": number, "name": name},
    )


def vendor_changes(vendor: Mapping[str, Any], body: Mapping[str, Any]) -> dict[str, Any]:
    """The part of ``body`` the Procurify ``vendor`` does not hold already: text compared on its words,
    ``active`` as a flag; ``email`` only when the vendor has no address at all (the fallback address never
    replaces real ones). An unchanged vendor gives {} and is not written."""
    changes: dict[str, Any] = {}
    for field, value in body.items():
        if field == "email":
            held = vendor.get("email")
            addresses = held if isinstance(held, list) else [held]
            if not any(_text(a) for a in addresses):
                changes["email"] = list(value)
        elif field == "active":
            if (vendor.get("active") is not False) != bool(value):
                changes["active"] = bool(value)
        elif _text(vendor.get(field)) != _text(value):
            changes[field] = value
    return changes
