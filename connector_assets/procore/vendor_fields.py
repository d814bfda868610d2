"""A Procore vendor's fields as any ERP's supplier takes them: its tax number, its one ``address`` field as
lines, whether it is active, how a finance user recognises it, and its bank numbers (read from the fields
an integration's setting names, since Procore documents none) with what may be shown of them. Pure, no I/O."""

import re
from collections.abc import Mapping
from typing import Any


def bank_field_names(text: str) -> tuple[str, str] | None:
    """The (routing field, account field) a setting names as ``routing,account``; None when it names none
    (banking is not moved)."""
    if not text:
        return None
    parts = [p.strip() for p in text.split(",")]
    return parts[0], parts[1]


def bank_numbers(vendor: Mapping[str, Any], fields: tuple[str, str] | None) -> tuple[str, str]:
    """The vendor's (routing, account) as digits and letters only ("" when absent or not moved)."""
    if fields is None:
        return "", ""
    return tuple(re.sub(r"[^0-9A-Za-z]", "", str(vendor.get(f) or "")) for f in fields)  # type: ignore[return-value]


def bank_fingerprint(routing: str, account: str) -> str:
    """What may be shown of bank numbers: their length and last four (``account of 10 ending 3210``)."""
    shown = [
        f"{label} of {len(number)} ending {number[-4:]}"
        for label, number in (("routing", routing), ("account", account))
        if number
    ]
    return ", ".join(shown)


def tax_id(vendor: Mapping[str, Any]) -> str | None:
    """The vendor's registered tax number (``business_register.identifier``), as Procore holds it."""
    register = vendor.get("business_register")
    if isinstance(register, Mapping):
        identifier = str(register.get("identifier") or "").strip()
        return identifier or None
    return None


def text(value: Any) -> str:
    return " ".join(str(value or "").split())


def address_lines(address: Any) -> list[str]:
    """Procore's one ``address`` field as up to four lines (it may hold line breaks)."""
    lines = [" ".join(line.split()) for line in str(address or "").splitlines()]
    return [line for line in lines if line]


def is_active(vendor: Mapping[str, Any]) -> bool:
    return vendor.get("is_active") not in (False, 0, "false", "0")


def label(vendor: Mapping[str, Any]) -> str:
    """How a finance user recognises the vendor: ``vendor 5512098 (Granite Supply Co)``."""
    return f"Procore vendor {vendor.get('id')} ({text(vendor.get('name'))})"
