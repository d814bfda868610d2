"""The body of a PO revision (``PUT /api/v3/purchase-orders/{procurify_PO}/``): the PO as read, with the
changes laid over it.

Procurify's OpenAPI (operation ``Purchaseorders_updateOrder``, request ``PurchaseOrderUpdateRequest``)
makes the PUT a full update: it requires ``version``, ``promise_date``, ``tax``, ``discount``,
``order_items``, the ``buyer_*`` and ``receiver_*`` name / contact / address fields and the address ids
``buyer_address`` / ``receiver_address``, and each line (``OrderItemPurchaseEditRequest``) requires
``id``, ``name``, ``unit``, ``quantity``, ``price`` and ``custom_fields``. None of those can be made up,
so the body is built from the PO as ``GET /api/v2/purchase_orders/{id}/`` renders it
(``ApiNestedEditDeletePurchaseOrderDetail``): each field the update takes, as read, with the change laid
over it; output-only fields (``procurify_PO``, ``uuid``, totals, ``state``, ...) and fields the update
does not take (``payment_terms``, ``shipping_terms``, ``shipping_method``: the update sets terms by
``*_ref`` ids the read does not show) are left out.

Written back as the update takes them: the address objects by their ``id``, ``contract`` by its id,
line quantities (a JSON number in the read) as decimal strings, ``tax`` / ``discount`` values as decimal
strings (never a binary float on the wire), each line's custom field values as ``{"field": id,
"value": v}``. ``promise_date`` stays the date-time it was read as (the update's field is a date-time).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

# The flat address block the PO carries for each of buyer and receiver (the address itself: ``_address``).
PARTY_FIELDS = (
    "name",
    "contact",
    "addressLineOne",
    "postalCode",
    "city",
    "state_province",
    "country",
    "address",
)

# PurchaseOrderUpdateRequest's header fields, sent back as read (output-only and unknown ones never).
HEADER_FIELDS = (
    "version",
    "PO_Num",
    *(f"{role}_{name}" for role in ("buyer", "receiver") for name in PARTY_FIELDS),
    "comment",
    "promise_date",
    "freight",
    "discount",
    "tax",
    "other",
    "disclaimer_description",
    "disclaimer_text",
    "expiry_date",
    "contract",
)
# OrderItemPurchaseEditRequest: what each line carries, addressed by ``id``.
LINE_FIELDS = ("name", "sku", "unit", "quantity", "price", "po_note", "tax_amount", "shipping_amount")
NULLABLE = frozenset({"tax_amount", "shipping_amount"})


def _written(name: str, value: Any) -> Any:
    """``value`` as read -> as the update takes it (see the module docstring)."""
    if name.endswith("_address") or name == "contract":
        return value.get("id") if isinstance(value, Mapping) else value
    if name in ("tax", "discount") and isinstance(value, Mapping):
        return {key: _number(item) for key, item in value.items()}
    if name == "quantity" and isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(_number(value))
    return _number(value)


def _number(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


def _custom_fields(values: Any) -> list[dict[str, Any]]:
    """A line's custom field values as read (``CustomFieldValueRead``: ``id``, ``value``, ``field``) ->
    as written: the field by its id and the value, the value record's own ``id`` being output-only."""
    written: list[dict[str, Any]] = []
    for item in values or ():
        if not isinstance(item, Mapping):
            continue
        field = item.get("field")
        written.append(
            {"field": field.get("id") if isinstance(field, Mapping) else field, "value": item.get("value")}
        )
    return written


def _line_id(item: Mapping[str, Any]) -> int | None:
    raw = item.get("id")
    if isinstance(raw, bool) or raw is None or not str(raw).strip().isdigit():
        return None
    return int(str(raw))


def full_revision(current: Mapping[str, Any], changes: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """(body, PO_Num only re-sent): the PO ``current`` (as ``GET /api/v2/purchase_orders/{id}/`` renders
    it) with ``changes`` laid over it. Fields the read does not carry are not invented (the server names
    a required one that is missing); every line of the PO is listed, a changed line (by ``id``) with its
    changes laid over it."""
    body: dict[str, Any] = {name: _written(name, current[name]) for name in HEADER_FIELDS if name in current}
    body.update({k: v for k, v in changes.items() if k != "order_items"})
    changed_lines = {
        _line_id(item): item for item in changes.get("order_items") or () if isinstance(item, Mapping)
    }
    lines: list[dict[str, Any]] = []
    for item in current.get("order_items") or ():
        line_id = _line_id(item)
        if line_id is None:
            continue
        # A field the read shows as null is left out unless the update takes null for it (sku, po_note).
        line = {
            "id": line_id,
            **{
                n: _written(n, item[n])
                for n in LINE_FIELDS
                if n in item and (item[n] is not None or n in NULLABLE)
            },
        }
        line["custom_fields"] = _custom_fields(item.get("custom_fields"))
        line.update(
            {k: _written(k, v) for k, v in (changed_lines.pop(line_id, None) or {}).items() if k != "id"}
        )
        lines.append(line)
    # A changed line the read did not show is sent as given: the server names it if it is not the PO's.
    lines.extend({"custom_fields": [], **dict(item)} for item in changed_lines.values())
    body["order_items"] = lines
    resent = "PO_Num" not in changes and bool(str(current.get("PO_Num") or "").strip())
    return body, resent
