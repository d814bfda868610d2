"""Purchase orders: only external orders may be created; supplier-facing revisions bump the version and
reset ``exported``; state actions (issue, cancel, close, reopen, ...)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..formats import CoupaError
from ..schema import RESOURCES
from ..validation import Errors
from .actions import Actions, action_target
from .common import WriteContext, address, begin, custom_fields, money_text, resolve, shipping_term, unique
from .documents import apply_currency, apply_payment_term
from .lines import active_account, given_uom, line_number, line_total, priced_fields


def _order_lines(
    ctx: WriteContext, errors: Errors, lines: list[dict[str, Any]], doc: dict[str, Any], decimals: int
) -> bool:
    """Apply ``order-lines`` (update by id, add without id, ``_delete``); True when lines changed."""
    existing = {line["id"]: line for line in doc.get("order-lines", [])}
    result = list(doc.get("order-lines", []))
    used_numbers = {line["line-num"] for line in result if line.get("deleted-at") is None}
    changed = False
    for position, given in enumerate(lines, start=1):
        line_errors = errors.sub(f"Order line {given.get('line-num') or position}: ")
        line_id = given.get("id")
        if line_id is not None:
            line = existing.get(
                line_id if isinstance(line_id, int) else int(str(line_id)) if str(line_id).isdigit() else -1
            )
            if line is None:
                line_errors.add("id", f"{line_id} is not a line of this order")
                continue
            if given.get("_delete") in (True, "true", 1, "1"):
                if line.get("received") not in (None, "0", "0.00") and Decimal(line["received"]) != 0:
                    line_errors.add("line", "has receipts and cannot be deleted")
                    continue
                line["deleted-at"] = ctx.now
                line["updated-at"] = ctx.now
                used_numbers.discard(line["line-num"])
                changed = True
                continue
            updated = _order_line(ctx, line_errors, given, line, decimals, used_numbers)
            if _without_stamp(updated) != _without_stamp(line):
                line.clear()  # the same object sits in the order's line list
                line.update(updated)
                changed = True
        else:
            line = _order_line(ctx, line_errors, given, None, decimals, used_numbers)
            line.update(
                {
                    "id": ctx.store.next_id("order_lines"),
                    "created-at": ctx.now,
                    "order-header-id": doc.get("id"),
                }
            )
            result.append(line)
            changed = True
    doc["order-lines"] = result
    return changed


def _without_stamp(line: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in line.items() if key != "updated-at"}


def _order_line(
    ctx: WriteContext,
    errors: Errors,
    given: dict[str, Any],
    current: dict[str, Any] | None,
    decimals: int,
    used_numbers: set[int],
) -> dict[str, Any]:
    line = dict(current or {})
    creating = current is None
    line_type = priced_fields(errors, given, line, creating=creating, prefix="Order", positive_quantity=True)
    line_number(errors, given, line, used_numbers, creating=creating)
    if "account" in given:
        account = active_account(ctx, errors, given, required=False)
        line["account"] = {"id": account["id"]} if account else line.get("account")
    if not given_uom(given, line) and creating:
        line["uom"] = {"id": None, "code": "EA", "name": "Each"}
    if "need-by-date" in given:
        day = errors.date(given, "need-by-date", ctx.zone)
        line["need-by-date"] = day.isoformat() if day else None
    commodity = given.get("commodity")
    if isinstance(commodity, dict):
        line["commodity"] = {"id": commodity.get("id"), "name": commodity.get("name")}
    line_total(line, decimals)
    if creating:
        line.update(
            {
                "received": money_text(Decimal(0), decimals),
                "invoiced": money_text(Decimal(0), decimals),
                "match-type": "three_way" if line_type == "OrderQuantityLine" else "two_way",
                "status": "created",
                "version": 1,
                "account-allocations": [],
            }
        )
    line["updated-at"] = ctx.now
    return line


def purchase_order_write(
    ctx: WriteContext, body: dict[str, Any], current: dict[str, Any] | None
) -> dict[str, Any]:
    draft = begin(ctx, "purchase_orders", current)
    resource, errors, doc, creating = draft.resource, draft.errors, draft.doc, draft.creating
    if creating:
        if body.get("type") != "ExternalOrderHeader":
            raise CoupaError(
                ctx.settings.validation_error_status,
                [
                    "Type must be ExternalOrderHeader: only external purchase orders can be created "
                    "through the API"
                ],
                resource.element,
            )
        doc["type"] = "ExternalOrderHeader"
    elif doc.get("status") in ("cancelled", "closed"):
        changes = [key for key in body if key not in ("custom-fields",)]
        if changes:
            errors.add("status", f"is {doc['status']}: the order cannot be changed ({', '.join(changes)})")
            errors.raise_if_any()
    po_number = errors.text(body, "po-number", required=creating, max_length=20)
    if po_number is not None:
        unique(ctx, draft, "po-number", po_number)
        doc["po-number"] = po_number
    if "supplier" in body or creating:
        supplier = resolve(ctx, errors, body, "supplier", "suppliers", ("number", "name"), required=creating)
        if supplier is not None:
            if not creating and supplier["id"] != doc["supplier"]["id"] and doc.get("status") != "draft":
                errors.add("supplier", "cannot be changed once the order is issued")
            elif ctx.settings.po_requires_active_supplier and supplier.get("status") != "active":
                errors.add("supplier", f"is {supplier.get('status')}; orders need an active supplier")
            else:
                doc["supplier"] = {"id": supplier["id"]}
    revision, decimals = apply_currency(ctx, draft, body)
    revision |= apply_payment_term(ctx, draft, body)
    shipping = errors.obj(body, "shipping-term")
    if shipping is not None:
        doc["shipping-term"] = shipping_term(shipping)
        revision = True
    if "ship-to-address" in body:
        doc["ship-to-address"] = address(
            errors, errors.obj(body, "ship-to-address"), doc.get("ship-to-address"), ctx, "ship-to-address"
        )
        revision = True
    for key in ("ship-to-user", "requester"):
        person = errors.obj(body, key)
        if person is not None:
            doc[key] = {"id": person.get("id"), "login": person.get("login"), "email": person.get("email")}
    if creating:
        status = errors.choice(body, "status", ("issued", "draft", "buyer_hold"))
        doc["status"] = status or ctx.settings.external_po_default_status
    lines = errors.items(body, "order-lines")
    if lines is None and creating:
        errors.add("order-lines", "can't be blank")
    elif lines is not None:
        if creating and not lines:
            errors.add("order-lines", "can't be blank")
        revision |= _order_lines(ctx, errors, lines, doc, decimals)
    doc["custom-fields"] = custom_fields(ctx, resource, body, doc.get("custom-fields") or {})
    errors.raise_if_any()
    if creating:
        doc["id"] = ctx.store.next_id("purchase_orders")
        for line in doc["order-lines"]:
            line["order-header-id"] = doc["id"]
        doc.update(
            {
                "created-at": ctx.now,
                "version": 1,
                "internal-revision": 1,
                "exported": False,
                "last-exported-at": None,
                "invoice-total": money_text(Decimal(0), decimals),
                "transmission-status": "pending" if doc["status"] == "draft" else "transmitted",
                "acknowledged-flag": False,
            }
        )
    elif revision:
        doc["internal-revision"] = doc.get("internal-revision", 1) + 1
        if doc.get("status") in ("issued", "supplier_hold", "soft_closed", "supplier_window_hold"):
            # A supplier-facing revision is re-sent, which resets exported (reference 2.4).
            doc["version"] = doc.get("version", 1) + 1
            doc["exported"] = False
            for line in doc["order-lines"]:
                if line.get("updated-at") == ctx.now:
                    line["version"] = doc["version"]
    doc["total"] = money_text(
        sum(
            (Decimal(line["total"]) for line in doc["order-lines"] if line.get("deleted-at") is None),
            Decimal(0),
        ),
        decimals,
    )
    doc["updated-at"] = ctx.now
    return doc


_PO_ACTIONS: Actions[str] = {
    # action: (statuses it applies to, resulting status)
    "issue": (("draft", "buyer_hold", "currency_hold", "supplier_window_hold"), "issued"),
    "issue_without_send": (("draft", "buyer_hold", "currency_hold", "supplier_window_hold"), "issued"),
    "ignore_window_and_issue": (("supplier_window_hold",), "issued"),
    "cancel": (
        (
            "draft",
            "issued",
            "buyer_hold",
            "supplier_hold",
            "currency_hold",
            "supplier_window_hold",
            "soft_closed",
        ),
        "cancelled",
    ),
    "close": (("issued", "soft_closed", "supplier_hold"), "closed"),
    "reopen": (("soft_closed",), "issued"),
    "release_from_buyer_hold": (("buyer_hold",), "issued"),
}


def purchase_order_action(ctx: WriteContext, doc: dict[str, Any], action: str) -> dict[str, Any]:
    target = action_target(
        ctx,
        RESOURCES["purchase_orders"],
        _PO_ACTIONS,
        doc,
        action,
        f"{action} is not a purchase order action",
    )
    doc = dict(doc)
    doc["status"] = target
    if target in ("cancelled", "closed"):
        for line in doc["order-lines"]:
            line["status"] = target
    # Issue, cancel, close and reopen go to the supplier and into the ERP export queue again.
    doc["exported"] = False
    if action in ("issue", "ignore_window_and_issue", "release_from_buyer_hold"):
        doc["transmission-status"] = "transmitted"
    doc["updated-at"] = ctx.now
    return doc
