"""Pure mapping between a Procore company vendor and a JD Edwards supplier, both ways: ``map_vendor``
(``ML_AddUpdateSupplier``), ``map_supplier`` (a PATCH); bank numbers only as their fingerprint (the payload
is queued and hashed). Field by field: docs/integrations/procore_jde.md, "The flows" (vendors)."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connector_assets.flows.core import Mapped, Rejected
from connector_assets.flows.instance import Instance
from connector_assets.flows.record_models import Column, matching, record_model, string

# ML_AddUpdateSupplier's limits and F0116 / F0115 / F01151 column lengths, shared by every supplier flow.
from connector_assets.jde.supplier_inputs import (
    ALKY_MAX,
    TAX_MAX,
    SupplierContactColumns,
    address_inputs,
    contact_fields,
)
from connector_assets.procore.vendor_fields import (
    address_lines,
    bank_field_names,
    bank_fingerprint,
    bank_numbers,
    is_active,
    label,
    tax_id,
    text,
)
from connector_resources.refusals import source_invalid

BANK_KEY = "Bank_Fingerprint"  # in the body instead of the numbers; the target swaps it for them


def origin_format(it: Instance) -> str:
    """``it``'s ``vendor_origin_format``: how an origin_id spells the address number (``{an8}``)."""
    return it.setting("vendor_origin_format")


def format_origin(an8: int | str, fmt: str) -> str:
    return fmt.replace("{an8}", str(int(an8)))


def parse_origin(origin_id: Any, fmt: str) -> int | None:
    """The address number an origin_id names (``JDE-V-10442`` or ``10442``), None when it names none."""
    text = str(origin_id or "").strip()
    if not text:
        return None
    if text.isdigit():
        return int(text) or None
    prefix, suffix = fmt.split("{an8}")
    match = re.fullmatch(re.escape(prefix) + r"0*(\d{1,8})" + re.escape(suffix), text)
    return int(match.group(1)) or None if match else None


def bank_fields(it: Instance) -> tuple[str, str] | None:
    """``it``'s ``vendor_bank_fields``: (routing field, account field), or None (banking not moved)."""
    return bank_field_names(it.setting("vendor_bank_fields"))


def long_address_number(vendor_id: str) -> str | None:
    """F0101 ALKY of a supplier added from Procore: ``PC`` + the vendor id, when it fits 20 characters."""
    text = f"PC{vendor_id}"
    return text if len(text) <= ALKY_MAX else None


JdeSupplierRecord = record_model(
    "JdeSupplierRecord",
    "A Procore vendor JDE can take as a supplier: a name within 40 characters, a tax ID within 20, and the "
    "address, phone and e-mail within the lengths F0116 / F0115 / F01151 hold (``SupplierContactColumns``).",
    base=SupplierContactColumns,
    vendor_id=matching(r"^\d+$"),
    tax_id=string(max_length=TAX_MAX, nullable=True),
    active=Column(bool),
    # Never the numbers: "routing of 9 ending 0021, account of 10 ending 3210" at most.
    bank=Column(str, nullable=True),
)


@dataclass(frozen=True)
class VendorMatch:
    """What the flow knows of the vendor's JDE supplier before mapping (read by ``vendors.map_vendors``):
    ``an8`` the address number its origin_id names, and whether JDE holds it; ``linked`` whether the ledger
    already links it to a supplier."""

    an8: int | None = None
    an8_in_jde: bool = False
    linked: bool = False


def map_vendor(
    vendor: Mapping[str, Any],
    *,
    company: str,
    match: VendorMatch = VendorMatch(),
    bank: tuple[str, str] | None = None,
    origin_fmt: str = "JDE-V-{an8}",
) -> Mapped | Rejected | None:
    """One Procore vendor -> the ``ML_AddUpdateSupplier`` inputs, why it cannot be sent, or None when there
    is nothing to send (an inactive vendor JDE never had)."""
    vendor_id = str(vendor.get("id") or "").strip()
    who = label(vendor)
    active = is_active(vendor)
    if match.an8 is not None and not match.an8_in_jde and not match.linked:
        origin = vendor.get("origin_id")
        sentence = (
            f"{who} says it is JDE supplier {match.an8} (origin_id {origin!r}), but JDE's "
            f"address book (F0101) has no supplier {match.an8}; correct or clear origin_id in Procore, then "
            "replay"
        )
        return Rejected.of(vendor_id, source_invalid(sentence, field="origin_id", value=origin))
    if not active and not match.linked and match.an8 is None:
        return None
    name = text(vendor.get("name"))
    tax = tax_id(vendor)
    body: dict[str, Any] = {"Alpha_Name": name, "Company": company}
    if tax:
        body["Tax_ID"] = tax
    alky = long_address_number(vendor_id)
    if alky:
        body["Long_Address_Number"] = alky
    body.update(address_inputs(address_lines(vendor.get("address"))))
    place = {
        "City": text(vendor.get("city")),
        "State": text(vendor.get("state_code")),
        "Postal_Code": text(vendor.get("zip")),
        "Country": text(vendor.get("country_code")).upper(),
        "Phone_Number": text(vendor.get("business_phone")),
        "Email_Address": text(vendor.get("email_address")),
    }
    body.update({k: v for k, v in place.items() if v})
    if not active:
        body["Hold_Payment"] = "Y"
    routing, account = bank_numbers(vendor, bank)
    fingerprint = bank_fingerprint(routing, account)
    if fingerprint:
        body[BANK_KEY] = fingerprint
    return Mapped(
        source_key=vendor_id,
        body=body,
        fields={
            "vendor_id": vendor_id,
            "name": name,
            "tax_id": tax,
            **contact_fields(body),
            "active": active,
            "bank": fingerprint or None,
        },
        natural_key={
            "an8": match.an8 if match.an8_in_jde else None,
            "origin_id": format_origin(match.an8, origin_fmt) if match.an8 else None,
            "active": active,
        },
    )


# -- JDE -> Procore ------------------------------------------------------------------------------------------


ProcoreVendorRecord = record_model(
    "ProcoreVendorRecord",
    "A JDE supplier's changes as a Procore vendor PATCH: the supplier and its linked vendor, a name.",
    supplier_number=matching(r"^\d{1,8}$"),
    vendor_id=matching(r"^\d+$"),
    name=string(1),
    country_code=matching(r"^[A-Z]{2}$", nullable=True),  # ISO 3166-1 alpha-2; None: JDE keeps no country
)


def map_supplier(
    an8: int, vendor_id: str, book: Mapping[str, Any] | None, details: Any = None
) -> Mapped | Rejected:
    """A JDE supplier (its F0101 ``book`` row, and ``details``: a ``jde.supplier_details.SupplierDetails``
    with the F0116 address in effect, F0115 phone, F01151 e-mail) -> the PATCH of its linked Procore
    vendor. Only what JDE holds is sent: a blank part leaves Procore's value."""
    key = str(an8)
    if book is None:
        sentence = f"JDE supplier {an8}: no address book record (F0101) for this supplier number"
        return Rejected.of(key, source_invalid(sentence, field="F0101 address book record", value=key))
    name = text(book.get("ALPH"))
    changes: dict[str, Any] = {"name": name}
    if details is not None:
        lines = [text(line) for line in details.address_lines]
        parts = {
            "address": "\n".join(line for line in lines if line),
            "city": text(details.city),
            "state_code": text(details.state),
            "zip": text(details.postal_code),
            "country_code": text(details.country).upper(),
            "business_phone": text(details.phone),
            "email_address": text(details.email),
        }
        changes.update({k: v for k, v in parts.items() if v})
    country = changes.get("country_code")
    fields = {"supplier_number": key, "vendor_id": vendor_id, "name": name, "country_code": country}
    return Mapped(key, changes, fields, natural_key={"vendor_id": vendor_id})
