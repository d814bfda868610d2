"""Writing another system's supplier to Procurify as a vendor, one copy for both Procurify integrations: the
fallback e-mail setting, the two e-mail rules (``primary_email_first`` for JDE, ``email_when_none`` for
Fusion) and a PATCH of only what differs, so an unchanged vendor is not written (no ``dateModified`` moves
for nothing) and a buyer's values in fields the other system does not send stay.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from connector_assets.flows import instance

# The vendor's held ``email`` and the body's addresses -> the new ``email`` array, None when none is due.
EmailRule = Callable[[Any, list[str]], list[str] | None]
# A record's ``natural_key`` flags: its ``email`` is the fallback setting's address, not the other system's;
# the other system changed only by the ``vendors`` flow's own write (nothing to send back).
FALLBACK_KEY = "email_is_fallback"
ONLY_OURS_KEY = "only_ours"


def fallback_email(setting: str) -> str:
    """The address ``setting`` gives a new vendor when the other system has none ("" = none)."""
    return instance.read(setting)


def _words(value: object) -> str:
    return "" if value is None else " ".join(str(value).split())


def vendor_changes(vendor: Mapping[str, Any], body: Mapping[str, Any], email: EmailRule) -> dict[str, Any]:
    """The part of ``body`` the Procurify ``vendor`` does not hold already: text compared on its words
    (``None`` and ``""`` alike), ``active`` as a flag, ``email`` as the ``email`` rule says. An unchanged
    vendor gives {} and is not written."""
    changes: dict[str, Any] = {}
    for field, value in body.items():
        if field == "email":
            emails = email(vendor.get("email"), list(value))
            if emails is not None:
                changes["email"] = emails
        elif field == "active":
            if (vendor.get("active") is not False) != bool(value):
                changes["active"] = bool(value)
        elif _words(vendor.get(field)) != _words(value):
            changes[field] = value
    return changes


def _same_email(left: object, right: object) -> bool:
    return _words(left).casefold() == _words(right).casefold()


def primary_email_first(held: object, wanted: list[str], fallback: bool) -> list[str] | None:
    """The vendor's new ``email`` array, or None when it needs none: the other system's primary address
    first, addresses a buyer added after it kept. A ``fallback`` address never replaces real ones."""
    addresses = [a for a in held if _words(a)] if isinstance(held, list) else []
    if fallback and addresses:
        return None
    if addresses and _same_email(addresses[0], wanted[0]):
        return None
    rest = [a for a in addresses[1:] if not _same_email(a, wanted[0])]
    return [wanted[0], *rest]


def email_when_none(held: object, wanted: list[str]) -> list[str] | None:
    """The vendor's new ``email`` array: the (fallback) address only when the vendor has no address at all
    (it never replaces real ones); None otherwise."""
    addresses = held if isinstance(held, list) else [held]
    return None if any(_words(a) for a in addresses) else wanted
