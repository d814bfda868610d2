"""Pure mapping of a vendor made in Procurify to a JD Edwards supplier (``ML_AddUpdateSupplier``) and the
fingerprint the ``vendors`` flow notices changes by; never matched by name, never cut to fit
(``jde.supplier_lengths`` refuses). docs/integrations/jde_procurify.md, "The flows" (vendors).
"""

from collections.abc import Mapping

from connector_assets.flows.core import Mapped, Rejected
from connector_assets.flows.instance import Instance
from connector_assets.flows.lazy_model import lazy_model
from connector_assets.jde.address_numbers import LongAddressNumbers
from connector_assets.jde.supplier_inputs import ALKY_MAX, COMPANY_MAX, SupplierContactColumns, contact_fields
from connector_assets.jde.supplier_lengths import CONTACT_INPUTS, length_problems
from connector_assets.procurify.order_fields import words
from connector_assets.procurify.vendor_fields import (
    content_fingerprint,
    first_email,
    is_active,
    not_purchasable_why,
)
from connector_assets.procurify.vendor_fields import vendor_label as label
from connector_resources.refusals import source_invalid

# Procurify vendor field -> the ML_AddUpdateSupplier 1.1 input it is sent as (``jde.supplier_lengths``).
SENT_FIELDS = {
    "name": "Alpha_Name",
    "addressLineOne": "Address_Line_1",
    "addressLineTwo": "Address_Line_2",
    "city": "City",
    "state_province": "State",
    "postalCode": "Postal_Code",
    "country": "Country",
    "phoneOne": "Phone_Number",
    "email": "Email_Address",
}
# What the flow decides and maps by: the fields sent, and those that say whether the vendor is sent.
FINGERPRINT_FIELDS = ("id", "active", "type", "external_id", *SENT_FIELDS)


def sent_value(vendor: Mapping[str, object], field: str) -> str:
    """The value of one sent Procurify field as JDE gets it: words joined by single spaces; country and
    state in capitals (UDC codes); the first e-mail."""
    if field == "email":
        return first_email(vendor)
    value = words(vendor.get(field))
    return value.upper() if field in ("country", "state_province") else value


def never_sent(vendor: Mapping[str, object], it: Instance) -> str | None:
    """Why the vendor itself says it is not for JDE (not purchasable, or it carries an ERP key, or it is
    older than ``it``'s go-live), None when it may be: what is decided without the ledger, so the ledger is
    asked only about the rest."""
    purchasable = not_purchasable_why(vendor)
    if purchasable is not None:
        return purchasable
    if external_id := str(vendor.get("external_id") or "").strip():
        return f"it carries an ERP key (external_id {external_id!r})"
    first = first_vendor_id(it)
    if first is not None and _vendor_id(vendor) < first:
        return f"its id is below {it.variable('vendor_first_id')} ({first}): it existed before go-live"
    return None


def first_vendor_id(it: Instance) -> int | None:
    """``it``'s ``vendor_first_id``: the go-live floor. Without it the first poll makes a JDE supplier for
    every vendor Procurify already holds without an ERP key; with it, only vendors made in Procurify from
    then on are sent (the ones both sides already hold are matched by hand, their AN8 set as external_id)."""
    text = it.setting("vendor_first_id")
    return int(text) if text else None


def _vendor_id(vendor: Mapping[str, object]) -> int:
    try:
        return int(vendor.get("id"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0


def not_sent(
    vendor: Mapping[str, object], paired_an8: str | None, it: Instance, *, ours: bool = False
) -> str | None:
    """Why this vendor is not one to make a JDE supplier for in ``it`` (None: it is one).

    ``paired_an8``: the JDE supplier the ledger pairs it with; ``ours``: that pair is this flow's own (a
    supplier made from this vendor whose AN8 is not on the vendor yet: still sent, so the AN8 is written)."""
    itself = never_sent(vendor, it)
    if itself is not None:
        return itself
    if paired_an8 and not ours:
        return f"it is already the vendor of JDE supplier {paired_an8}"
    if not is_active(vendor) and not ours:
        return "it is inactive"
    return None


def fingerprint(vendor: Mapping[str, object]) -> str:
    """A hash of what the flow maps and decides by (``FINGERPRINT_FIELDS``): equal when nothing the flow
    cares about changed, whatever ``dateModified`` says (16 hex digits: a vendor's own history, not a
    security digest)."""
    return content_fingerprint(vendor, FINGERPRINT_FIELDS)


@lazy_model
def JdeSupplierRecord() -> type:
    """A Procurify vendor JDE can take as a supplier: a name within ALPH's 40 characters, the address,
    phone and e-mail within F0116 / F0115 / F01151 (``SupplierContactColumns``), the deterministic long
    address number."""
    import pandera.pandas as pa
    from pandera.typing import Series

    class JdeSupplierRecord(SupplierContactColumns.model):
        vendor_id: Series[str] = pa.Field(str_matches=r"^\d+$")
        long_address_number: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": ALKY_MAX})
        company: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": COMPANY_MAX})

    return JdeSupplierRecord


def map_vendor(
    vendor: Mapping[str, object], *, company: str, addresses: LongAddressNumbers
) -> Mapped | Rejected:
    """One vendor made in Procurify -> the ``ML_AddUpdateSupplier`` inputs of its new JDE supplier (its long
    address number one of ``addresses``), or why JDE cannot take it as it is (the caller has already
    decided it is to be sent: ``not_sent``)."""
    vendor_id = str(vendor.get("id") or "").strip()
    who = label(vendor)
    if not vendor_id.isdigit():
        said = f"{who}: the vendor has no numeric id; it cannot be keyed"
        return Rejected.of(vendor_id or "?", source_invalid(said, field="id", value=vendor_id))
    values = {jde_input: sent_value(vendor, field) for field, jde_input in SENT_FIELDS.items()}
    problems = length_problems(values, {jde_input: field for field, jde_input in SENT_FIELDS.items()})
    if not words(vendor.get("name")):
        problems.insert(0, "name is empty, and JDE needs a supplier name (F0101 ALPH)")
    if problems:
        said = (
            f"{who} cannot become a JDE supplier as it is: {'; '.join(problems)}. The integration does not "
            "cut values (that would change them); correct the vendor in Procurify and the next poll sends "
            "it (or replay it)"
        )
        too_long = [
            field
            for field, jde_input in SENT_FIELDS.items()
            if len(values[jde_input] or "") > CONTACT_INPUTS[jde_input].limit
        ]
        field = "name" if not words(vendor.get("name")) else next(iter(too_long), "vendor")
        return Rejected.of(vendor_id, source_invalid(said, field=field))
    alky = addresses.of_id(vendor_id)
    body: dict[str, object] = {"Long_Address_Number": alky, "Company": company}
    body.update({name: value for name, value in values.items() if value})
    return Mapped(
        source_key=vendor_id,
        body=body,
        fields={
            "vendor_id": vendor_id,
            "name": values["Alpha_Name"],
            "long_address_number": alky,
            "company": company,
            **contact_fields(values),
        },
        natural_key={"long_address_number": alky},
    )
