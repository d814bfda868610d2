"""Checks on what the connector writes to Procurify, done before anything is sent.

Only rules the reference states are enforced here (§2.3-§2.8: lengths, required fields, types);
everything else is left to the server, whose field messages come back as a
``ProcurifyValidationError`` just like these. The point is a clear error that names the record
and the field *without* a round trip, and never a binary float on the wire.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from connector_resources.procurify.errors import ProcurifyValidationError, invalid
from connector_resources.procurify.values import json_body

BILL_UUID = re.compile(r"^[0-9a-f-]+$")  # the v2 bill path only matches lower-case hex (§2.6)
VENDOR_TYPES = range(1, 8)  # 1 OTHER ... 7 checkout (§2.3)
ACCOUNT_TYPES = range(0, 6)  # int enum 0-5 (§2.8; meanings unconfirmed)


def _text(value: Any) -> str:
    return "" if value is None else " ".join(str(value).split())


def _named(kind: str, name: Any, unnamed: str) -> str:
    """``<kind> '<name>'`` (the name on one line), or ``unnamed`` when the record has none."""
    text = _text(name)
    return f"{kind} {text!r}" if text else unnamed


def vendor_label(vendor: Mapping[str, Any]) -> str:
    external = _text(vendor.get("external_id"))
    name = _text(vendor.get("name"))
    if external and name:
        return f"vendor {external!r} ({name})"
    return f"vendor {external or name!r}" if (external or name) else "vendor (no name, no external_id)"


def _max_length(record: str, data: Mapping[str, Any], field: str, limit: int) -> None:
    value = data.get(field)
    if value is not None and len(str(value)) > limit:
        raise invalid(record, field, f"is {len(str(value))} characters; Procurify takes at most {limit}")


def _required_text(record: str, data: Mapping[str, Any], field: str) -> None:
    value = data.get(field)
    if not isinstance(value, str) or not value.strip():
        raise invalid(record, field, "is required (a non-empty string)")


def _code(record: str, data: Mapping[str, Any], field: str, codes: range, what: str) -> None:
    """``field``, when present, is one of the integer ``codes`` (a bool is not a code, though an int)."""
    value = data.get(field)
    if value is not None and (isinstance(value, bool) or value not in codes):
        raise invalid(record, field, f"{value!r} is not {what} ({codes.start}-{codes.stop - 1})")


def _listed(value: Any) -> bool:
    """Whether ``value`` goes out as a JSON array (a sequence, but not text, which is one too)."""
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def _mapping(record: str, data: Any) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ProcurifyValidationError(
            f"{record}: expected a mapping of field names, got {type(data).__name__}",
            record=record,
            from_server=False,
        )
    return data


def vendor_body(vendor: Mapping[str, Any], *, partial: bool = False) -> tuple[str, dict[str, Any]]:
    """(record label, JSON body) for a vendor create (``partial=False``) or PATCH (``True``)."""
    record = vendor_label(_mapping("vendor", vendor))
    if not partial or "name" in vendor:
        _required_text(record, vendor, "name")
        _max_length(record, vendor, "name", 150)
    if not partial or "email" in vendor:
        emails = vendor.get("email")
        # The API takes an *array* of addresses (§2.3), required; a bare string is a common slip.
        if not _listed(emails) or not emails:
            raise invalid(record, "email", "is required as a non-empty list of addresses (an array)")
        for index, address in enumerate(emails):
            if not isinstance(address, str) or "@" not in address:
                raise invalid(record, f"email[{index}]", f"{address!r} is not an e-mail address")
    _max_length(record, vendor, "external_id", 100)
    _code(record, vendor, "type", VENDOR_TYPES, "a vendor type code")
    return record, json_body(dict(vendor), record)


def account_code_label(account_code: Mapping[str, Any]) -> str:
    return _named("account code", account_code.get("code"), "account code (no code)")


# AccountCodeCreateRequest has no ``active``: Procurify (DRF) would drop it silently, so the client refuses
# to send it on a create (a new code is active). The update has neither ``active`` nor ``departments``; the
# flows still send them there, tolerated by the sandbox, and read the answer (docs/reference/procurify.md
# §5.7).
ACCOUNT_CODE_NOT_TAKEN: dict[str, tuple[str, ...]] = {"create": ("active",), "update": ()}


def account_code_body(account_code: Mapping[str, Any], *, update: bool = False) -> tuple[str, dict[str, Any]]:
    """(record label, JSON body) for an account-code create or full update (PUT sends code again)."""
    record = account_code_label(_mapping("account code", account_code))
    for name in ACCOUNT_CODE_NOT_TAKEN["update" if update else "create"]:
        if name in account_code:
            raise invalid(
                record,
                name,
                f"is not a field of Procurify's account code {'update' if update else 'create'}: "
                "its API cannot set it (a Procurify admin does, by hand)",
            )
    _required_text(record, account_code, "code")
    _max_length(record, account_code, "code", 50)
    _max_length(record, account_code, "description", 200)
    _code(record, account_code, "account_type", ACCOUNT_TYPES, "an account type")
    departments = account_code.get("departments")
    if departments is not None and (
        not _listed(departments) or any(isinstance(d, bool) or not isinstance(d, int) for d in departments)
    ):
        raise invalid(record, "departments", "must be a list of department ids")
    return record, json_body(dict(account_code), record)


def requisition_label(requisition: Mapping[str, Any]) -> str:
    return _named("requisition", requisition.get("description"), "requisition")


def requisition_body(requisition: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """(record label, JSON body) for ``POST /api/v3/requisitions/`` (everything by name, §2.4)."""
    record = requisition_label(_mapping("requisition", requisition))
    lines = requisition.get("line_items")
    if not _listed(lines) or not lines:
        raise invalid(record, "line_items", "is required as a non-empty list of lines")
    for index, line in enumerate(lines):
        if not isinstance(line, Mapping):
            raise invalid(record, f"line_items[{index}]", "must be a mapping of line fields")
    # RequisitionLineCreateRequest requires each line's ``custom_fields`` (a list, empty when none).
    lined = [{"custom_fields": [], **line} for line in lines]
    return record, json_body({**requisition, "line_items": lined}, record)


def po_revision_body(procurify_po: int, changes: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """(record label, JSON body) for ``PUT /api/v3/purchase-orders/{procurify_PO}/``."""
    record = f"purchase order {procurify_po}"
    _mapping(record, changes)
    if not changes:
        raise invalid(record, "body", "no changes to send")
    _max_length(record, changes, "PO_Num", 30)
    items = changes.get("order_items")
    if items is not None:
        if not _listed(items):
            raise invalid(record, "order_items", "must be a list of lines")
        for index, item in enumerate(items):
            if not isinstance(item, Mapping) or item.get("id") is None:
                raise invalid(
                    record, f"order_items[{index}].id", "each line to revise needs its order-item id"
                )
    return record, json_body(dict(changes), record)


def bill_uuid(value: Any, record: str = "bill") -> str:
    """A bill UUID as the v2 path wants it: lower-case hex, with or without dashes."""
    text = str(value or "").strip().lower()
    if not text or not BILL_UUID.match(text):
        raise invalid(record, "uuid", f"{value!r} is not a bill UUID (hex digits and dashes)")
    return text
