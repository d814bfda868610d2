"""What a Procurify vendor is, as both Procurify integrations read and write it (reference §2.3): its limits,
which vendors one buys from, how a refusal names one, the content fingerprint a poll notices changes by,
and the columns every vendor record sent to Procurify has. One copy, whatever the other system is.

No ``from __future__ import annotations`` here: pandera resolves the model's ``Series[str]`` through this
module's globals (``flows.lazy_model``).
"""

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from connector_assets.flows.core import Mapped
from connector_assets.flows.lazy_model import lazy_model
from connector_assets.procurify.order_fields import words

NAME_MAX = 150  # reference §2.3
EXTERNAL_ID_MAX = 100  # reference §2.3
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
# Reference §2.3 vendor type codes one orders from. 1 OTHER is Procurify's "non-vendor" bucket, 2 HIDDEN a
# system vendor (punch-out), 5 EMPLOYEE, 6 CC_PROVIDER and 7 checkout are not suppliers.
PURCHASABLE_TYPES = {3: "PREFERRED", 4: "REGULAR"}


def address_fields(
    lines: Iterable[object], city: object, state: object, postal_code: object, country: object
) -> dict[str, str | None] | None:
    """An address as a Procurify vendor's fields (``addressLineOne`` the first non-blank line,
    ``addressLineTwo`` the others joined, ``city``, ``state_province``, ``postalCode``, ``country`` upper
    case; a blank part as None), or None when every part is blank."""

    def text(value: object) -> str:
        return "" if value is None else " ".join(str(value).split())

    given = [line for line in (text(line) for line in lines) if line]
    parts = {
        "addressLineOne": given[0] if given else "",
        "addressLineTwo": ", ".join(given[1:]),
        "city": text(city),
        "state_province": text(state),
        "postalCode": text(postal_code),
        "country": text(country).upper(),
    }
    if not any(parts.values()):
        return None
    return {key: value or None for key, value in parts.items()}


def vendor_label(vendor: Mapping[str, object]) -> str:
    """How a finance user recognises the vendor: ``Procurify vendor 812 (Granite Supply Co)``."""
    return f"Procurify vendor {vendor.get('id')} ({words(vendor.get('name'))})"


def first_email(vendor: Mapping[str, object]) -> str:
    """The vendor's first e-mail (``email`` is an array; a bare string is taken as one address)."""
    emails = vendor.get("email")
    if isinstance(emails, str):
        return words(emails)
    if isinstance(emails, list | tuple):
        return next((words(e) for e in emails if words(e)), "")
    return ""


def is_active(vendor: Mapping[str, object]) -> bool:
    """Whether the vendor is active (absent counts as active: Procurify's default)."""
    return vendor.get("active") not in (False, 0, "false", "False", "0")


def vendor_type(vendor: Mapping[str, object]) -> int | None:
    """The vendor's type code, None when it has none a number can be read from."""
    try:
        return int(vendor.get("type"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def not_purchasable_why(vendor: Mapping[str, object]) -> str | None:
    """Why the vendor is no supplier one orders from (its type), None when it is one."""
    if vendor_type(vendor) not in PURCHASABLE_TYPES:
        return f"type {vendor.get('type')} is not a purchasable vendor (3 PREFERRED or 4 REGULAR)"
    return None


def content_fingerprint(vendor: Mapping[str, object], fields: Iterable[str]) -> str:
    """A hash of the vendor's ``fields`` (what a flow maps and decides by): equal when nothing the flow
    cares about changed, whatever ``dateModified`` says (16 hex digits: a vendor's own history, not a
    security digest)."""
    shown = {name: vendor.get(name) for name in fields}
    text = json.dumps(shown, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def vendor_record(
    source_key: str,
    source_field: str,
    *,
    name: str,
    external_id: str,
    email: str,
    active: bool,
    natural_key: dict[str, Any],
    more: Mapping[str, Any] | None = None,
) -> Mapped:
    """A Procurify vendor as every "ERP supplier -> Procurify vendor" flow sends it: ``name``,
    ``external_id``, ``active``, the e-mail as a one-address list when there is one (none: the vendor keeps
    its own), then what the flow adds (``more``: an address, a phone); its fields are the
    ``ProcurifyVendorColumns`` and the supplier's key as ``source_field``."""
    body: dict[str, Any] = {"name": name, "external_id": external_id, "active": active}
    if email:
        body["email"] = [email]
    body.update(more or {})
    return Mapped(
        source_key=source_key,
        body=body,
        fields={
            source_field: source_key,
            "name": name,
            "external_id": external_id,
            "email": email or None,
            "active": active,
        },
        natural_key=natural_key,
    )


@lazy_model
def ProcurifyVendorColumns() -> type:
    """What every vendor sent to Procurify has: a name Procurify takes, an e-mail address when one is sent
    (None: the vendor exists already and keeps its own addresses), and whether it is active. An
    integration's record subclasses it and adds the supplier it comes from and its ``external_id``."""
    import pandera.pandas as pa
    from pandera.typing import Series

    class ProcurifyVendorColumns(pa.DataFrameModel):
        name: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": NAME_MAX})
        email: Series[str] = pa.Field(nullable=True, str_matches=EMAIL_PATTERN)
        active: Series[bool]

        class Config:
            strict = True
            coerce = True

    return ProcurifyVendorColumns
