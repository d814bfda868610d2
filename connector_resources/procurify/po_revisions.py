"""The body of a PO revision (``PUT /api/v3/purchase-orders/{procurify_PO}/``): the PO as read, with the
changes laid over it.

Why the whole PO and not only the change: the reference (§2.5) calls the v3 PUT an "update" and does not
say whether it is partial (absent fields left alone, what the deprecated ``revise`` did and what our
sandbox does by default) or full (DRF's ``PUT`` without ``partial=True``: every writable field must be
sent, ``{"field": ["This field is required."]}`` otherwise; a nested ``order_items`` list may even be
taken as the PO's complete set of lines). A body made of the PO's current writable fields with the
change laid over it is right on both:

* a partial server sets the unchanged fields to the values they already have (nothing moves);
* a full server gets every field it requires, and every line, so none is reset or dropped.

The other way round (send the change alone, and on a 400 naming required fields read the PO and send
it whole) was rejected: it relies on the shape and wording of an error the reference marks unconfirmed
(quirk 12; an enveloped error body, another message, a 422), and a full server that takes a short body
without complaint and resets what is missing, or drops lines missing from ``order_items``, would lose
data silently. The cost of the whole body is one read of the PO before the PUT (the flows read it
anyway and may hand it in) and a window of milliseconds in which a person's edit of another field of
the same PO could be written back over; the reference documents no version check to close it.

Written back as the API takes them, not as it renders them: ``promise_date`` is rendered as a date-time
at midnight (``2025-03-20T00:00:00Z``) and sent as its date (a date field refuses a date-time, a
date-time field takes a bare date); ``tax`` / ``discount`` values, rendered as JSON numbers, are sent as
decimal strings (never a binary float on the wire). A ``PO_Num`` the PO already carries is sent again
with ``confirm_duplicate_external_po_number`` so a PO sharing it with another (a duplicate Procurify
accepted before) can still be revised; a ``PO_Num`` the caller changes is confirmed only when asked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

# The PO header fields a buyer edits and the PUT takes (§2.5 key fields); ``order_items`` separately.
HEADER_FIELDS = (
    "PO_Num",
    "promise_date",
    "payment_terms",
    "shipping_terms",
    "shipping_method",
    "freight",
    "tax",
    "discount",
    "other",
)
# What each line carries in a revision: addressed by ``id``, the fields the PUT changes.
LINE_FIELDS = ("name", "sku", "quantity", "price", "unit")
_DATE_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _written(name: str, value: Any) -> Any:
    """``value`` as read -> as written (see the module docstring)."""
    if name == "promise_date" and isinstance(value, str) and _DATE_PREFIX.match(value):
        return value[:10]
    if name in ("tax", "discount") and isinstance(value, Mapping):
        return {key: _number(item) for key, item in value.items()}
    return _number(value)


def _number(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


def _line_id(item: Mapping[str, Any]) -> int | None:
    raw = item.get("id")
    if isinstance(raw, bool) or raw is None or not str(raw).strip().isdigit():
        return None
    return int(str(raw))


def full_revision(current: Mapping[str, Any], changes: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """(body, PO_Num only re-sent): the PO ``current`` (as ``GET /api/v2/purchase_orders/{id}/`` renders
    it) with ``changes`` laid over it. Header fields the read does not carry are not invented; every line
    of the PO is listed with its fields, a changed line (by ``id``) with its changes laid over it."""
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
        line = {"id": line_id, **{n: _written(n, item[n]) for n in LINE_FIELDS if n in item}}
        line.update({k: v for k, v in (changed_lines.pop(line_id, None) or {}).items() if k != "id"})
        lines.append(line)
    # A changed line the read did not show is sent as given: the server names it if it is not the PO's.
    lines.extend(dict(item) for item in changed_lines.values())
    if lines or "order_items" in current:
        body["order_items"] = lines
    resent = "PO_Num" not in changes and bool(str(current.get("PO_Num") or "").strip())
    return body, resent
