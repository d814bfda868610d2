"""Requisitions, order items and purchase orders (reference 2.4 and 2.5).

Reads: ``/api/v2/global/orders/`` (requisition headers), ``/api/v2/global/order_items/`` (lines),
``/api/v2/purchase_orders/{role}/{status}/`` (PO headers with per-status counts),
``/api/v2/purchase_orders/{id}/`` (one PO with its lines, by number or UUID).

Writes, as far as documented: ``POST /api/v3/requisitions/`` (everything by *name*), ``PUT
/api/v3/purchase-orders/{procurify_PO}/`` (revise; the deprecated ``PUT
/api/v2/purchase_order/revise/{id}/`` still answers the same way), ``POST .../close/`` and ``.../reopen/``.
There is no documented way to create a purchase order directly: a requisition is approved and
purchased inside Procurify (the sandbox plays that with ``POST /sandbox/requisitions/{uuid}/purchase``).
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid as uuid_module
from decimal import Decimal
from typing import Any

from starlette.responses import Response

from .contract_models import PO_UPDATE_ANSWER, PO_UPDATE_BODY
from .endpoints import ListEndpoint, ListQuery, per_row, read_filters
from .errors import DRF_MESSAGES, detail, invalid, not_found
from .factory import fulfilment, po_totals
from .formats import in_thousandths, stored, to_hundredths, to_minor
from .listing import Filters
from .representations import billing_entry, order, order_item, purchase_order
from .responses import listing, single
from .routing import ApiRoute, RequestContext
from .validation import Attributes, BodyValidator

ORDER_STATUSES = range(0, 7)
ORDER_ITEM_STATUSES = range(0, 9)
PO_ROLES = ("purchased", "receivable")
PO_STATUS_SQL = {
    "all": "1=1",
    "open": "p.state IN (0, 5)",
    "partial": "p.state IN (0, 5) AND p.fulfilment_status = 'partial'",
    "closed": "p.state = 3",
    "cancelled": "p.state = 1",
    "paid": "p.state = 4",
}
# The example's counts object lists these (no "paid"), plus the current page.
PO_COUNT_KEYS = ("all", "open", "partial", "closed", "cancelled")
PO_ROLE_SQL = {"purchased": "1=1", "receivable": "p.state IN (0, 5) AND p.fulfilment_status != 'full'"}
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
_ORDER_TOTAL = (
    "(SELECT COALESCE(SUM(ROUND(COALESCE(i.approved_quantity, i.quantity) "
    "* COALESCE(i.approved_price, i.price)"
    " / 100.0)), 0) FROM order_items i WHERE i.order_num = o.num)"
)
ORDER_SELECT = (
    "o.*, (SELECT COUNT(*) FROM order_items i WHERE i.order_num = o.num) AS line_count, "
    f"{_ORDER_TOTAL} AS total"
)
PO_SELECT = 'p.*, (SELECT COUNT(*) FROM order_items i WHERE i.po_id = p."procurify_PO") AS item_count'


# --- requisition headers and lines --------------------------------------------------------------------


def _order_filters(filters: Filters) -> None:
    filters.choice("status", "o.status", ORDER_STATUSES)
    filters.date_range("date", "o.date")
    filters.date_range("modified_date", "o.date_modified")
    filters.date_range("required_date", "o.date_required", datetime_column=False)
    filters.foreign_key("department", "o.department_id", "departments")
    filters.foreign_key("location", "o.branch_id", "locations")
    filters.foreign_key("branch", "o.branch_id", "locations")
    filters.foreign_key("requester", "o.user_id", "users")
    # A requisition matches when any of its lines prefers that vendor.
    filters.related(
        "pref_vendor",
        "vendors",
        "EXISTS (SELECT 1 FROM order_items i WHERE i.order_num = o.num AND i.vendor_id = ?)",
    )
    filters.search(["o.description", "CAST(o.num AS TEXT)"])


list_orders = ListEndpoint(
    ListQuery(
        source="orders o",
        select=ORDER_SELECT,
        orderings={
            "num": "o.num",
            "date": "o.date",
            "dateModified": "o.date_modified",
            "dateRequired": "o.date_required",
            "status": "o.status",
        },
        tiebreak="o.num ASC",
        read_keys_first=True,
    ),
    _order_filters,
    per_row(order),
)


def _order_item_filters(filters: Filters) -> None:
    filters.date_range("last_modified", "i.last_modified")
    filters.date_range("po_created_date", "i.po_created_date")
    filters.date_range("purchased_date", "i.purchased_date")
    filters.date_range("approved_datetime", "i.approved_datetime")
    filters.date_range("order_created_date", "o.date")
    filters.choice("status", "i.status", ORDER_ITEM_STATUSES)
    filters.integer("orderNum", "i.order_num")
    filters.choice("orderNum__status", "o.status", ORDER_STATUSES)
    filters.related("po_vendor", "vendors", "(i.po_id IS NOT NULL AND i.vendor_id = ?)")
    filters.foreign_key("account_code", "a.account_code_id", "account_codes")
    filters.foreign_key("department", "o.department_id", "departments")
    filters.boolean("is_purchased", "i.po_id IS NOT NULL", "i.po_id IS NULL")
    filters.search(["i.name", "i.sku"])


list_order_items = ListEndpoint(
    ListQuery(
        source="order_items i JOIN orders o ON o.num = i.order_num JOIN accounts a ON a.id = i.account_id",
        orderings={
            "id": "i.id",
            "last_modified": "i.last_modified",
            "orderNum": "i.order_num",
            "status": "i.status",
        },
    ),
    _order_item_filters,
    per_row(order_item),
)


# Reference 2.4: a requisition create (everything by name) and its lines.
REQUISITION = Attributes.of(
    ("required_date", "description", "location_name", "department_name", "line_items")
)
REQUISITION_LINE = Attributes.of(
    (
        "item_name",
        "vendor_name",
        "account_code",
        "unit_price",
        "quantity",
        "unit",
        "currency_code",
        "sku",
        "custom_fields",
    )
)


def _resolve_line(
    ctx: RequestContext, line: Any, department_id: int | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(errors, clean) for one requisition line; names are looked up as the documented body gives them."""
    store = ctx.state.store
    if not isinstance(line, dict):
        return {
            "non_field_errors": [f"Invalid data. Expected a dictionary, but got {type(line).__name__}."]
        }, {}
    check = BodyValidator(line, attributes=REQUISITION_LINE, refuse_unknown=ctx.variants.refuses_unknown)
    name = check.required_string("item_name", max_length=255)
    vendor_name = check.required_string("vendor_name", max_length=150)
    code = check.required_string("account_code", max_length=50)
    price = check.decimal("unit_price", required=True, min_value=Decimal(0))
    quantity = check.decimal("quantity", required=True, min_value=Decimal("0.01"))
    check.string("unit", max_length=50)
    currency = check.string("currency_code", max_length=3)
    check.string("sku", max_length=100)
    custom = line.get("custom_fields", [])
    if not isinstance(custom, list):
        check.error("custom_fields", f'Expected a list of items but got type "{type(custom).__name__}".')
    clean: dict[str, Any] = {"name": name, "price": price, "quantity": quantity, "custom_fields": custom}
    if vendor_name:
        matches = store.all("SELECT id FROM vendors WHERE name = ? AND active = 1", (vendor_name,))
        if not matches:
            check.error("vendor_name", f'Vendor "{vendor_name}" does not exist or is inactive.')
        elif len(matches) > 1:
            check.error("vendor_name", f'More than one active vendor is named "{vendor_name}".')
        else:
            clean["vendor_id"] = matches[0]["id"]
    if code and department_id is not None:
        account = store.one(
            "SELECT a.id FROM accounts a JOIN account_codes c ON c.id = a.account_code_id "
            "WHERE c.code = ? AND a.department_id = ? AND a.active = 1 AND c.active = 1",
            (code, department_id),
        )
        if account is None:
            check.error("account_code", f'Account code "{code}" is not active for this department.')
        else:
            clean["account_id"] = account["id"]
    if currency:
        found = store.one("SELECT id FROM currencies WHERE name = ?", (currency,))
        if found is None:
            check.error("currency_code", f'Currency "{currency}" is not enabled.')
        else:
            clean["currency_id"] = found["id"]
    clean["unit"] = check.clean.get("unit") or "each"
    clean["sku"] = check.clean.get("sku")
    return check.errors, clean


async def create_requisition(ctx: RequestContext) -> Response:
    body = await ctx.json_body()
    store = ctx.state.store
    check = BodyValidator(body, attributes=REQUISITION, refuse_unknown=ctx.variants.refuses_unknown)
    check.date("required_date", "date_required")
    check.string("description", max_length=255)
    location_name = check.required_string("location_name", max_length=150)
    department_name = check.required_string("department_name", max_length=150)
    location = (
        store.one("SELECT id, currency_id FROM locations WHERE name = ? AND active = 1", (location_name,))
        if location_name
        else None
    )
    if location_name and location is None:
        check.error("location_name", f'Location "{location_name}" does not exist.')
    department = None
    if location is not None and department_name:
        department = store.one(
            "SELECT id FROM departments WHERE name = ? AND branch_id = ? AND active = 1",
            (department_name, location["id"]),
        )
        if department is None:
            check.error(
                "department_name", f'Department "{department_name}" does not exist in "{location_name}".'
            )
    lines = check.non_empty_list("line_items")
    cleaned_lines: list[dict[str, Any]] = []
    if lines is not None:
        line_errors = []
        for line in lines:
            errors, clean = _resolve_line(ctx, line, department["id"] if department else None)
            line_errors.append(errors)
            cleaned_lines.append(clean)
        if any(line_errors):
            check.error("line_items", line_errors)  # DRF ListSerializer: one dict per line, {} when fine
    check.check()
    for line in cleaned_lines:  # a line without a currency code is in its location's
        line.setdefault("currency_id", location["currency_id"])
    now = ctx.state.now()
    requester = (
        store.scalar("SELECT id FROM users WHERE email = ?", (ctx.principal.application.user_email,)) or 1
    )
    with store.transaction():
        num = int(store.scalar("SELECT COALESCE(MAX(num), 0) + 1 FROM orders"))
        uuid = str(uuid_module.uuid4())
        store.insert(
            "orders",
            [
                {
                    "num": num,
                    "uuid": uuid,
                    # variant requisition_description=ignored: a server that does not take it
                    "description": (
                        check.clean.get("description") or ""
                        if ctx.variants.requisition_description == "kept"
                        else ""
                    ),
                    "branch_id": location["id"],
                    "user_id": requester,
                    "department_id": department["id"],
                    "currency_id": location["currency_id"],
                    "date": stored(now),
                    "date_required": check.clean.get("date_required"),
                    "date_modified": stored(now),
                    "status": 0,
                    "next_approver_id": store.scalar("SELECT MIN(id) FROM users WHERE id != ?", (requester,)),
                }
            ],
        )
        next_item = int(store.scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM order_items"))
        store.insert(
            "order_items",
            [
                {
                    "id": next_item + offset,
                    "order_num": num,
                    "name": line["name"],
                    "sku": line["sku"] if ctx.variants.requisition_line_sku == "kept" else None,
                    "quantity": to_hundredths(line["quantity"]),
                    "price": to_minor(line["price"], _places(store, line["currency_id"])),
                    "unit": line["unit"],
                    "received_pass": 0,
                    "received_fail": 0,
                    "account_id": line["account_id"],
                    "currency_id": line["currency_id"],
                    "vendor_id": line["vendor_id"],
                    "last_modified": stored(now),
                    "status": 0,
                    "type": 0,
                    "custom_fields": json.dumps(line["custom_fields"], ensure_ascii=False),
                }
                for offset, line in enumerate(cleaned_lines)
            ],
        )
    ctx.state.master_data_changed()  # the activity generator must not reuse these numbers
    return single({"uuid": uuid}, 201)


# --- purchase orders ------------------------------------------------------------------------------------


def _po_filters(filters: Filters) -> None:
    filters.date_range("date", "p.date")
    filters.date_range("modified_date", "p.last_modified")
    filters.date_range("promise_date", "p.promise_date", datetime_column=False)
    filters.date_range("expiry_date", "p.expiry_date", datetime_column=False)
    filters.foreign_key("pref_vendor", "p.vendor_id", "vendors")
    filters.foreign_key("purchaser", "p.purchaser_id", "users")
    filters.foreign_key("contract", "p.contract_id", "contracts")
    filters.foreign_key("currency", "p.currency_id", "currencies")
    filters.related(
        "requester",
        "users",
        "EXISTS (SELECT 1 FROM order_items i JOIN orders o ON o.num = i.order_num "
        'WHERE i.po_id = p."procurify_PO" AND o.user_id = ?)',
    )
    filters.related(
        "account_code",
        "account_codes",
        "EXISTS (SELECT 1 FROM order_items i JOIN accounts a ON a.id = i.account_id "
        'WHERE i.po_id = p."procurify_PO" AND a.account_code_id = ?)',
    )
    decimals = "(SELECT c.decimals FROM currencies c WHERE c.id = p.currency_id)"
    filters.number_range("total", in_thousandths("p.total", decimals), scale=1000)
    filters.search(["p.po_num", 'CAST(p."procurify_PO" AS TEXT)'])


PURCHASE_ORDERS = ListQuery(
    source="purchase_orders p",
    select=PO_SELECT,
    orderings={
        "date": "p.date",
        "last_modified": "p.last_modified",
        "procurify_PO": 'p."procurify_PO"',
        "total": "p.total",
        "promise_date": "p.promise_date",
    },
    tiebreak='p."procurify_PO" ASC',
    read_keys_first=True,
)


async def list_purchase_orders(ctx: RequestContext) -> Response:
    """POs of one role and status; the metadata counts the role's POs per status under the filters."""
    role, status = ctx.request.path_params["role"], ctx.request.path_params["status"]
    if role not in PO_ROLES or status not in PO_STATUS_SQL:
        raise not_found()
    filters = read_filters(ctx, _po_filters)
    page = PURCHASE_ORDERS.page(ctx, filters, PO_ROLE_SQL[role], PO_STATUS_SQL[status])

    def count(status_sql: str) -> int:
        where = PURCHASE_ORDERS.where(filters, PO_ROLE_SQL[role], status_sql)
        return int(ctx.state.store.scalar(f"SELECT COUNT(*) FROM {where}", filters.args))

    counts = {key: count(PO_STATUS_SQL[key]) for key in PO_COUNT_KEYS}
    counts["page"] = page.pagination["current_page"]
    data = [purchase_order(row, ctx.lookups) for row in page.rows]
    return listing(ctx.request, page, data, counts={role: counts})


def find_purchase_order(ctx: RequestContext, key: str) -> sqlite3.Row:
    """By Procurify PO number or by UUID (with or without dashes), as ``/api/v2/purchase_orders/{id}/``."""
    store = ctx.state.store
    if key.isdigit():
        row = store.one(f'SELECT {PO_SELECT} FROM purchase_orders p WHERE p."procurify_PO" = ?', (int(key),))
    elif _UUID.match(key):
        row = store.one(
            f"SELECT {PO_SELECT} FROM purchase_orders p WHERE replace(p.uuid, '-', '') = ?",
            (key.replace("-", "").lower(),),
        )
    else:
        row = None
    if row is None:
        raise not_found()
    return row


def po_lines(ctx: RequestContext, number: int) -> list[sqlite3.Row]:
    return ctx.state.store.all(
        "SELECT * FROM order_items WHERE po_id = ? ORDER BY po_line_num, id", (number,)
    )


def _places(store: Any, currency_id: int) -> int:
    """The decimals money in currency ``currency_id`` is stored with (``formats``)."""
    return int(store.scalar("SELECT decimals FROM currencies WHERE id = ?", (currency_id,)))


def po_detail(ctx: RequestContext, row: sqlite3.Row) -> dict[str, Any]:
    return purchase_order(row, ctx.lookups, po_lines(ctx, row["procurify_PO"]))


async def get_purchase_order(ctx: RequestContext) -> Response:
    return single(po_detail(ctx, find_purchase_order(ctx, ctx.request.path_params["id"])))


def _adjustment(check: BodyValidator, name: str) -> None:
    value = check.body.get(name)
    if value is None:
        if name not in check.body and not check.partial:
            check.error(name, DRF_MESSAGES["required"])
        return
    if not isinstance(value, dict):
        check.error(name, f"Invalid data. Expected a dictionary, but got {type(value).__name__}.")
        return
    inner = BodyValidator(value, attributes=PO_ADJUSTMENT, refuse_unknown=check.refuse_unknown)
    amount = inner.decimal("value", required=True, min_value=Decimal(0))
    inner.choice("type", ("amount", "percentage"), required=True)
    if inner.errors:
        check.error(name, inner.errors)
        return
    # An amount is money in the PO's currency, a percentage is kept in hundredths (update_purchase_order).
    check.clean[f"{name}_value"] = amount
    check.clean[f"{name}_type"] = inner.clean["type"]


# The body PurchaseOrderUpdateRequest documents (Purchaseorders_updateOrder): every field the request
# shape lists, lines by id (OrderItemPurchaseEditRequest). Which are required is the contract's to refuse.
PO_UPDATE = Attributes.of(PO_UPDATE_BODY["properties"])
PO_LINE_UPDATE = Attributes.of(PO_UPDATE_BODY["properties"]["order_items"]["items"]["properties"])
PO_ADJUSTMENT = Attributes.of(("value", "type"))
# The answer (PurchaseOrderUpdateSerializerSingle) shows the same fields back, addresses by id.
PO_UPDATE_SHOWN = tuple(PO_UPDATE_ANSWER["properties"]["data"]["properties"])
PO_LINE_SHOWN = tuple(
    PO_UPDATE_ANSWER["properties"]["data"]["properties"]["order_items"]["items"]["properties"]
)


def _update_view(detail: dict[str, Any]) -> dict[str, Any]:
    """The PO as the PUT answers it: the update serializer's fields only, related records by id."""
    shown = {name: detail.get(name) for name in PO_UPDATE_SHOWN if name in detail}
    for role in ("buyer", "receiver"):
        address = detail.get(f"{role}_address")
        shown[f"{role}_address"] = address.get("id") if isinstance(address, dict) else address
    contract = detail.get("contract")
    shown["contract"] = contract.get("id") if isinstance(contract, dict) else contract
    shown["order_items"] = [
        {
            **{name: line.get(name) for name in PO_LINE_SHOWN if name in line},
            "quantity": str(line.get("quantity")),
        }
        for line in detail.get("order_items") or ()
    ]
    return shown


async def update_purchase_order(ctx: RequestContext) -> Response:
    """PUT (revise) a PO: header fields and, by line id, quantity/price/name/sku/unit. Partial (absent
    fields left alone) or, with variant ``po_put=full``, a full update that must carry every writable field
    and every line."""
    key = str(ctx.request.path_params["id"])
    current = find_purchase_order(ctx, key)
    number = current["procurify_PO"]
    if current["state"] in (1, 3, 4):
        state_name = {1: "cancelled", 3: "closed", 4: "paid"}[current["state"]]
        raise invalid(
            {"non_field_errors": [f"Purchase order {number} is {state_name} and cannot be revised."]}
        )
    body = await ctx.json_body()
    if isinstance(body, dict) and isinstance(body.get("promise_date"), str) and "T" in body["promise_date"]:
        # The field is a date-time (PurchaseOrderUpdateRequest); the sandbox keeps the PO's day.
        body = {**body, "promise_date": body["promise_date"][:10]}
    full = ctx.variants.po_put == "full"
    check = BodyValidator(
        body, partial=not full, attributes=PO_UPDATE, refuse_unknown=ctx.variants.refuses_unknown
    )
    po_num = check.string("PO_Num", "po_num", max_length=30, required=True)
    check.date("promise_date", allow_null=True, required=True)
    check.decimal("freight", min_value=Decimal(0), required=True)
    check.decimal("other", required=True)
    _adjustment(check, "tax")
    _adjustment(check, "discount")
    if full and "order_items" not in body:
        check.error("order_items", DRF_MESSAGES["required"])
    # Documented as a query parameter of the (deprecated) revise path, "True" / "False".
    confirm = ctx.request.query_params.get("confirm_duplicate_external_po_number") == "True"
    if po_num and not confirm:
        clash = ctx.state.store.scalar(
            'SELECT "procurify_PO" FROM purchase_orders WHERE po_num = ? AND "procurify_PO" != ?',
            (po_num, number),
        )
        if clash is not None:
            check.error(
                "PO_Num",
                f"PO number {po_num} is already used by purchase order {clash}. "
                "Send confirm_duplicate_external_po_number=true to save it anyway.",
            )
    lines = {line["id"]: dict(line) for line in po_lines(ctx, number)}
    places = _places(ctx.state.store, current["currency_id"])
    line_changes = _line_changes(check, body.get("order_items"), lines, places, full=full)
    check.check()
    clean = dict(check.clean)
    for name in ("freight", "other"):
        if name in clean:
            clean[name] = to_minor(clean[name], places)
    for name in ("tax", "discount"):
        if f"{name}_value" in clean:
            amount, kind = clean[f"{name}_value"], clean[f"{name}_type"]
            clean[f"{name}_value"] = to_minor(amount, places) if kind == "amount" else to_hundredths(amount)
    now = stored(ctx.state.now())
    store = ctx.state.store
    with store.transaction():
        for line_id, changes in line_changes.items():
            lines[line_id].update(changes)
            store.update("order_items", line_id, {**changes, "last_modified": now})
        header = {**dict(current), **clean}
        subtotal, total = po_totals(list(lines.values()), header)
        store.update(
            "purchase_orders",
            number,
            {
                **clean,
                "subtotal": subtotal,
                "total": total,
                "fulfilment_status": fulfilment(list(lines.values())),
                "version": current["version"] + 1,
                "last_modified": now,
            },
        )
    revised = po_detail(ctx, find_purchase_order(ctx, str(number)))
    if ctx.request.url.path.startswith("/api/v3/"):
        return single(_update_view(revised))
    return single(revised)


def _line_changes(
    check: BodyValidator, value: Any, lines: dict[int, dict[str, Any]], places: int, *, full: bool = False
) -> dict[int, dict[str, Any]]:
    """Line changes by order-item id; ``full``: every line listed, each with all its writable fields."""
    if value is None:
        return {}
    if not isinstance(value, list):
        check.error("order_items", f'Expected a list of items but got type "{type(value).__name__}".')
        return {}
    changes: dict[int, dict[str, Any]] = {}
    errors: list[dict[str, Any]] = []
    for item in value:
        inner = BodyValidator(
            item, partial=not full, attributes=PO_LINE_UPDATE, refuse_unknown=check.refuse_unknown
        )
        line_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(line_id, int) or isinstance(line_id, bool) or line_id not in lines:
            inner.error("id", f"Order item {line_id!r} is not a line of this purchase order.")
        quantity = inner.decimal("quantity", min_value=Decimal("0.01"), required=True)
        price = inner.decimal("price", min_value=Decimal(0), required=True)
        inner.string("name", max_length=255, allow_null=False, allow_blank=False, required=True)
        inner.string("sku", max_length=100)  # not required (OrderItemPurchaseEditRequest)
        inner.string("unit", max_length=30, required=True)
        line = lines.get(line_id) if isinstance(line_id, int) else None
        if line is not None and quantity is not None and to_hundredths(quantity) < line["received_pass"]:
            inner.error("quantity", "Ensure this value is not below the quantity already received.")
        errors.append(inner.errors)
        if not inner.errors and line is not None:
            update = {k: v for k, v in inner.clean.items() if k in ("name", "sku", "unit")}
            if quantity is not None:
                update["quantity"] = update["approved_quantity"] = to_hundredths(quantity)
            if price is not None:
                update["price"] = update["approved_price"] = to_minor(price, places)
            changes[line_id] = update
    if any(errors):
        check.error("order_items", errors)
    listed = {item.get("id") for item in value if isinstance(item, dict)}
    missing = sorted(line_id for line_id in lines if line_id not in listed)
    if full and missing and not any(errors):
        check.error(
            "order_items",
            f"Order item(s) {', '.join(map(str, missing))} of this purchase order are missing; "
            "an update lists every line.",
        )
    return changes


async def _change_state(
    ctx: RequestContext, from_states: tuple[int, ...], to_state: int, refusal: str, closed: bool
) -> Response:
    """Close or reopen: only from ``from_states`` (else 400 ``refusal`` with the PO number)."""
    current = find_purchase_order(ctx, str(ctx.request.path_params["id"]))
    number = current["procurify_PO"]
    if current["state"] not in from_states:
        raise detail(400, refusal.format(number=number))
    now = stored(ctx.state.now())
    changes = {"state": to_state, "closed_date": now if closed else None, "last_modified": now}
    ctx.state.store.update("purchase_orders", number, changes)
    return single(po_detail(ctx, find_purchase_order(ctx, str(number))))


async def close_purchase_order(ctx: RequestContext) -> Response:
    refusal = "Purchase order {number} cannot be closed in its current state."
    return await _change_state(ctx, (0, 5), 3, refusal, closed=True)


async def reopen_purchase_order(ctx: RequestContext) -> Response:
    return await _change_state(ctx, (3,), 5, "Purchase order {number} is not closed.", closed=False)


# Bills per PO (the reference names the endpoint only; the row shape is a sandbox assumption).
billing_history = ListEndpoint(
    ListQuery(
        select='p.uuid AS po_uuid, p."procurify_PO" AS number, b.*',
        source="(SELECT DISTINCT i.po_id AS po, b.id AS bill_id FROM bill_items bi "
        "JOIN order_items i ON i.id = bi.order_item_id "
        'JOIN bills b ON b.id = bi.bill_id) h JOIN purchase_orders p ON p."procurify_PO" = h.po '
        "JOIN bills b ON b.id = h.bill_id",
        orderings={},
        default="b.id",
        tiebreak='p."procurify_PO" ASC',
    ),
    lambda filters: filters.integer("purchase_order", 'p."procurify_PO"'),
    per_row(billing_entry),
)


def purchasing_routes() -> list[ApiRoute]:
    return [
        ApiRoute("/api/v2/global/orders/", {"GET": list_orders}, family="requisitions", is_list=True),
        ApiRoute(
            "/api/v2/global/order_items/", {"GET": list_order_items}, family="requisitions", is_list=True
        ),
        ApiRoute("/api/v3/requisitions/", {"POST": create_requisition}, family="requisitions"),
        ApiRoute(
            "/api/v2/purchase_orders/{role}/{status}/",
            {"GET": list_purchase_orders},
            family="purchase_orders",
            is_list=True,
        ),
        ApiRoute("/api/v2/purchase_orders/{id}/", {"GET": get_purchase_order}, family="purchase_orders"),
        ApiRoute(
            "/api/v3/purchase-orders/billing-history/",
            {"GET": billing_history},
            family="purchase_orders",
            is_list=True,
        ),
        ApiRoute(
            "/api/v3/purchase-orders/{id:int}/", {"PUT": update_purchase_order}, family="purchase_orders"
        ),
        ApiRoute(
            "/api/v3/purchase-orders/{id:int}/close/",
            {"POST": close_purchase_order},
            family="purchase_orders",
        ),
        ApiRoute(
            "/api/v3/purchase-orders/{id:int}/reopen/",
            {"POST": reopen_purchase_order},
            family="purchase_orders",
        ),
        ApiRoute(
            "/api/v2/purchase_order/revise/{id}/", {"PUT": update_purchase_order}, family="purchase_orders"
        ),
    ]
