"""Pure mapping of a JD Edwards supplier (``jde.supplier_documents.SupplierDocument``: F0401, F0101 and the
contact details every JDE flow reads) to a Procurify vendor; the PATCH of what differs is the Procurify
side's ``vendor_target.KeyedVendors``. Field by field: docs/integrations/jde_procurify.md, "The flows"
(suppliers).
"""

from connector_assets.flows.core import Mapped, Rejected
from connector_assets.flows.record_models import Column, matching, record_model
from connector_assets.jde.supplier_documents import SupplierDocument, inactive_reason, supplier_label
from connector_assets.procurify.vendor_fields import (
    EXTERNAL_ID_MAX,
    ProcurifyVendorColumns,
    address_fields,
    vendor_record,
)
from connector_assets.procurify.vendor_writes import FALLBACK_KEY, ONLY_OURS_KEY
from connector_resources.jde import optional_tables
from connector_resources.refusals import source_invalid

ProcurifyVendorRecord = record_model(
    "ProcurifyVendorRecord",
    "What is sent as a Procurify vendor: the supplier it comes from, a name Procurify takes, its "
    "``external_id`` (the AN8), an e-mail address when one is sent, and whether it is active.",
    base=ProcurifyVendorColumns,
    supplier_number=matching(r"^\d{1,8}$"),
    external_id=Column(str, {"str_matches": r"^\d{1,8}$", "str_length": {"max_value": EXTERNAL_ID_MAX}}),
)


def _text(value: object) -> str:
    return "" if value is None else " ".join(str(value).split())


def map_supplier(
    document: SupplierDocument,
    *,
    fallback_email: str = "",
    fallback_setting: str,
    paired: bool = False,
    only_ours: bool = False,
) -> Mapped | Rejected:
    """One JDE supplier -> a Procurify vendor body, or why it cannot be one.

    ``fallback_email``: the instance's ``vendor_fallback_email`` (its variable ``fallback_setting``, named
    when there is none). ``paired``: the ledger knows its vendor
    already (then no e-mail is needed: the vendor keeps its own). ``only_ours``: JDE's last change was the
    ``vendors`` flow writing this very vendor into JDE (the target then sends nothing back).
    """
    key = str(document.number)
    if document.book is None:
        said = f"JDE supplier {key}: no address book record (F0101) for this supplier number"
        return Rejected.of(key, source_invalid(said, field="F0101", value=key))
    who = supplier_label(document)
    name = _text(document.book.get("ALPH"))
    details = document.details
    email = _text(getattr(details, "email", ""))
    natural_key: dict[str, object] = {"external_id": key}
    if not email and fallback_email:
        # Sent whether or not the vendor exists (the body, and so its hash, stays the same once paired);
        # ``vendor_changes`` never lets it replace addresses the vendor has.
        email, natural_key[FALLBACK_KEY] = fallback_email, True
    if not email and not paired:
        emails = optional_tables.EMAILS
        unread = "" if optional_tables.enabled(emails.table) else f" (not read: {emails.setting}=off)"
        said = (
            f"{who}: no e-mail address in F01151 (Electronic Address, who's who line 0, type E){unread}; "
            "Procurify requires one on every vendor. Add it in JDE (P01111), or set "
            f"{fallback_setting}, then replay"
        )
        return Rejected.of(key, source_invalid(said, field="F01151 EMAL"))
    more: dict[str, object] = {}
    if details is not None:  # the F0116 address in effect, as Procurify's address fields
        where = (details.address_lines, details.city, details.state, details.postal_code, details.country)
        more.update(address_fields(*where) or {})
    phone = _text(getattr(details, "phone", ""))
    if phone:
        more["phoneOne"] = phone
    if only_ours:
        natural_key[ONLY_OURS_KEY] = True
    return vendor_record(
        key,
        "supplier_number",
        name=name,
        external_id=key,
        email=email,
        active=not inactive_reason(document),
        natural_key=natural_key,
        more=more,
    )
