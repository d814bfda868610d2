"""Pure mapping of a JD Edwards supplier to a Procurify vendor (no I/O here; the PATCH of what differs is the
Procurify side's ``vendor_target.KeyedVendors``, JDE's primary e-mail first).

What a supplier is made of (``jde.supplier_documents.SupplierDocument``): its F0401 Supplier Master row
(hold codes), its F0101 Address Book row (name, search type, long address number) and its contact details
as every JDE flow reads them (``jde.supplier_details``: the F0116 address in effect, the F0115 business
phone, the F01151 primary e-mail). What Procurify receives, in its own mixed camelCase / snake_case
names (reference §2.3):

=================  =====================================================================================
``name``           F0101 ALPH (JDE holds 40 characters; Procurify takes 150)
``external_id``    the address number AN8, digits only: the ERP key Procurify documents for matching
``active``         False when F0101 AT1 is no longer ``V`` (not a supplier any more), F0401 HDPY holds
                   payment (``Y``) or F0401 HOLD holds its orders; True otherwise
``email``          ``[F01151 EMAL]``: an array, required by Procurify. A supplier with none is refused
                   naming F01151, unless ``ML_JDE_PROCURIFY_VENDOR_FALLBACK_EMAIL`` gives an address for
                   new vendors; a vendor Procurify already has keeps its own addresses then
``addressLineOne`` the first non-blank F0116 line (ADD1-ADD4); ``addressLineTwo`` the others, joined
``city`` ...       CTY1, ``state_province`` ADDS, ``postalCode`` ADDZ, ``country`` CTR
``phoneOne``       F0115 AR1 + PH1 (the business phone: who's who line 0, phone type blank)
=================  =====================================================================================

Address parts go together: when JDE has an address, a part it leaves blank is sent as null (a second line
JDE dropped does not linger in Procurify); when JDE has no address at all, nor a phone, Procurify's own
values are left alone (a buyer may have typed them). ``type`` is never sent: Procurify makes a new vendor
PREFERRED by default, and a buyer's choice later is not JDE's to undo.
"""

from typing import Any

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


def _text(value: Any) -> str:
    return "" if value is None else " ".join(str(value).split())


def map_supplier(
    document: SupplierDocument, *, fallback_email: str = "", paired: bool = False, only_ours: bool = False
) -> Mapped | Rejected:
    """One JDE supplier -> a Procurify vendor body, or why it cannot be one.

    ``fallback_email``: ``ML_JDE_PROCURIFY_VENDOR_FALLBACK_EMAIL``. ``paired``: the ledger knows its vendor
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
    natural_key: dict[str, Any] = {"external_id": key}
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
            "ML_JDE_PROCURIFY_VENDOR_FALLBACK_EMAIL, then replay"
        )
        return Rejected.of(key, source_invalid(said, field="F01151 EMAL"))
    more: dict[str, Any] = {}
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
