"""Accounts payable: bills, billable PO items and payments (reference 2.6 and 2.7).

* ``GET /api/v3/ap/bills/``: slim bills with ``summary`` and ``permissions`` beside ``pagination``;
  ``last_modified_datetime_0/_1`` takes date-times (preferred), the deprecated ``modified_date_0/_1``
  whole days.
* ``GET /api/v2/ap/bills/{uuid}/``: the full bill; the path only matches ``^[0-9a-f-]+$`` (a bill UUID
  in lower-case hex, dashes optional), so an integer id is looked up as a UUID and not found.
* ``POST /api/v3/ap/bills/mark-as-paid/``: approved bills without a payment become Paid. It is the
  only documented bill-status write; there is no documented bill create.
* ``GET /api/public/v1/payments/``: the current payments API (``*_after`` / ``*_before`` ISO date-times,
  comma-separated lists, an enumerated ``order_by``); ``GET /api/v2/ap/payments/`` is the deprecated one,
  gone after 2026-06-05 by default.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.responses import Response

from .errors import invalid, not_found
from .factory import PUBLIC_PAYMENT_STATUSES
from .formats import hundredths, stored
from .listing import Filters, fetch_page, ordering
from .representations import ap_item, bill, bill_detail, legacy_payment, public_payment
from .responses import listing, single, wanted_format
from .routes_purchasing import default_order
from .routing import ApiRoute, RequestContext
from .state import SandboxState
from .validation import BodyValidator

_BILL_ID = r"^[0-9a-f-]+$"
V2_PAYMENTS_REMOVAL = dt.date(2026, 6, 5)
PAYMENT_ORDERINGS = ("created_at", "-created_at", "updated_at", "-updated_at")


def _item_ids(ctx: RequestContext, bill_ids: list[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {bill_id: [] for bill_id in bill_ids}
    if bill_ids:
        marks = ", ".join("?" for _ in bill_ids)
        for row in ctx.state.store.all(
            f"SELECT id, bill_id FROM bill_items WHERE bill_id IN ({marks}) ORDER BY id", bill_ids
        ):
            found[row["bill_id"]].append(row["id"])
    return found


# --- bills ---------------------------------------------------------------------------------------------


async def list_bills(ctx: RequestContext) -> Response:
    wanted_format(ctx.request)
    filters = Filters(ctx.request, ctx.state.store)
    filters.datetime_range("last_modified_datetime", "b.last_modified_datetime")
    filters.date_range("modified_date", "b.last_modified_datetime")  # deprecated, whole days
    for name in (
        "invoice_date",
        "due_date",
        "submitted_date",
        "gl_post_date",
        "payment_date",
        "last_export_date",
    ):
        filters.date_range(name, f"b.{name}", datetime_column=False)
    filters.boolean("is_exported", "b.last_export_date IS NOT NULL", "b.last_export_date IS NULL")
    filters.boolean("has_payment", "b.payment_uuid IS NOT NULL", "b.payment_uuid IS NULL")
    filters.foreign_keys(["vendor", "vendor[]"], "b.vendor_id", "vendors")
    filters.choice("type", "b.type", (0, 1, 2))
    filters.foreign_key("approver", "b.approver_id", "users")
    filters.foreign_key("currency", "b.currency_id", "currencies")
    filters.integer("group", "b.group_id")
    filters.choice("sync_status_v2", "b.sync_status", ("synced", "not_synced", "failed"))
    filters.search(["b.invoice_number"])
    filters.check()
    from_where = f"bills b WHERE {filters.sql()}"
    allowed = {
        "last_modified_datetime": "b.last_modified_datetime",
        "invoice_date": "b.invoice_date",
        "due_date": "b.due_date",
        "id": "b.id",
        "invoice_number": "b.invoice_number",
    }
    page = fetch_page(
        ctx.request,
        ctx.state.store,
        ctx.variants,
        select="b.*",
        from_where=from_where,
        args=filters.args,
        order=ordering(ctx.request, allowed, default_order(ctx, "b.id"), "b.id ASC"),
    )
    totals = ctx.state.store.one(
        "SELECT COUNT(DISTINCT b.currency_id) AS currencies, "
        f"COALESCE(SUM(b.subtotal + b.tax_amount), 0) AS total FROM {from_where}",
        filters.args,
    )
    items = _item_ids(ctx, [row["id"] for row in page.rows])
    today = ctx.state.now().date()
    data = [bill(row, ctx.lookups, items[row["id"]], today) for row in page.rows]
    can_edit = "ap" in ctx.principal.application.permissions
    return listing(
        ctx.request,
        page,
        data,
        summary={
            "has_multiple_currency": totals["currencies"] > 1,
            "total_cost": hundredths(totals["total"]),
        },
        permissions={"can_edit": can_edit, "can_delete": can_edit, "can_approve": can_edit},
    )


def _find_bill(ctx: RequestContext, key: str) -> Any:
    return ctx.state.store.one(
        "SELECT * FROM bills WHERE replace(uuid, '-', '') = ?", (key.replace("-", "").lower(),)
    )


async def get_bill(ctx: RequestContext) -> Response:
    row = _find_bill(ctx, ctx.request.path_params["id"])
    if row is None:
        raise not_found()
    store = ctx.state.store
    items = store.all("SELECT * FROM bill_items WHERE bill_id = ? ORDER BY id", (row["id"],))
    purchase_orders = store.all(
        'SELECT DISTINCT p.uuid, p."procurify_PO" FROM bill_items bi '
        "JOIN order_items i ON i.id = bi.order_item_id "
        'JOIN purchase_orders p ON p."procurify_PO" = i.po_id WHERE bi.bill_id = ? ORDER BY p."procurify_PO"',
        (row["id"],),
    )
    payment = (
        store.one("SELECT * FROM payments WHERE uuid = ?", (row["payment_uuid"],))
        if row["payment_uuid"]
        else None
    )
    return single(bill_detail(row, ctx.lookups, items, purchase_orders, payment, ctx.state.now().date()))


async def mark_bills_paid(ctx: RequestContext) -> Response:
    """Approved bills without a payment -> Paid (status 4) on ``payment_date``."""
    body = await ctx.json_body()
    check = BodyValidator(body)
    payment_date = check.date("payment_date", required=True, allow_null=False)
    uuids = body.get("bill_uuids")
    bills: list[Any] = []
    if uuids is None:
        check.error("bill_uuids", "This field is required.")
    elif not isinstance(uuids, list) or not all(isinstance(u, str) for u in uuids):
        check.error("bill_uuids", "Expected a list of bill UUID strings.")
    elif not uuids:
        check.error("bill_uuids", "This list may not be empty.")
    else:
        for value in uuids:
            row = _find_bill(ctx, value)
            if row is None:
                check.error("bill_uuids", f"Bill {value} does not exist.")
            else:
                bills.append(row)
    check.check()
    problems = {row["uuid"]: _unpayable(row) for row in bills if _unpayable(row)}
    if problems and ctx.variants.mark_as_paid == "all_or_nothing":
        raise invalid(
            {
                "bill_uuids": [
                    f"Bill {uuid} (invoice {row_invoice(bills, uuid)}) {why}."
                    for uuid, why in problems.items()
                ]
            }
        )
    now = stored(ctx.state.now())
    paid = []
    with ctx.state.store.transaction():
        for row in bills:
            if row["uuid"] in problems or row["uuid"] in paid:
                continue
            ctx.state.store.update(
                "bills",
                row["id"],
                {
                    "status": 4,
                    "locked": 1,
                    "payment_date": payment_date.isoformat(),
                    "last_modified_datetime": now,
                    "version": row["version"] + 1,
                },
            )
            paid.append(row["uuid"])
    skipped = [{"uuid": uuid, "reason": why} for uuid, why in problems.items()]
    return single({"paid": paid, "skipped": skipped})


def _unpayable(row: Any) -> str | None:
    if row["payment_uuid"] is not None:
        return "already has a payment"
    if row["status"] != 2:
        return "is not approved"
    return None


def row_invoice(bills: list[Any], uuid: str) -> str:
    return next(row["invoice_number"] for row in bills if row["uuid"] == uuid)


async def list_ap_items(ctx: RequestContext) -> Response:
    wanted_format(ctx.request)
    filters = Filters(ctx.request, ctx.state.store)
    billed = "EXISTS (SELECT 1 FROM bill_items bi WHERE bi.order_item_id = i.id)"
    filters.boolean("billed", billed, f"NOT {billed}")
    filters.foreign_key(
        "bill",
        None,
        "bills",
        clause="EXISTS (SELECT 1 FROM bill_items bi WHERE bi.order_item_id = i.id AND bi.bill_id = ?)",
    )
    if filters.value("bill_uuid") is not None:
        filters.add(
            "EXISTS (SELECT 1 FROM bill_items bi JOIN bills b ON b.id = bi.bill_id "
            "WHERE bi.order_item_id = i.id "
            "AND replace(b.uuid, '-', '') = ?)",
            filters.value("bill_uuid").replace("-", "").lower(),
        )
    filters.foreign_key("vendor", "i.vendor_id", "vendors")
    filters.date_range("created_at", "i.po_created_date")
    filters.date_range("received_on", "i.received_on", datetime_column=False)
    filters.check()
    select = (
        "i.*, (SELECT bi.bill_id FROM bill_items bi WHERE bi.order_item_id = i.id ORDER BY bi.id LIMIT 1) "
        "AS bill_id, "
        "(SELECT b.uuid FROM bill_items bi JOIN bills b ON b.id = bi.bill_id WHERE bi.order_item_id = i.id "
        "ORDER BY bi.id LIMIT 1) AS bill_uuid"
    )
    page = fetch_page(
        ctx.request,
        ctx.state.store,
        ctx.variants,
        select=select,
        from_where=f"order_items i WHERE i.po_id IS NOT NULL AND {filters.sql()}",
        args=filters.args,
        order=ordering(ctx.request, {"id": "i.id"}, default_order(ctx, "i.id"), "i.id ASC"),
        key="i.id",
    )
    return listing(ctx.request, page, [ap_item(row, ctx.lookups) for row in page.rows])


# --- payments ------------------------------------------------------------------------------------------


def _groups(ctx: RequestContext, payment_ids: list[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {payment_id: [] for payment_id in payment_ids}
    if payment_ids:
        marks = ", ".join("?" for _ in payment_ids)
        for row in ctx.state.store.all(
            f"SELECT payment_id, group_id FROM payment_groups WHERE payment_id IN ({marks}) "
            "ORDER BY group_id",
            payment_ids,
        ):
            found[row["payment_id"]].append(row["group_id"])
    return found


async def list_public_payments(ctx: RequestContext) -> Response:
    wanted_format(ctx.request)
    filters = Filters(ctx.request, ctx.state.store)
    filters.iso_range("updated_at", "y.updated_at")
    filters.iso_range("created_at", "y.created_at")
    filters.iso_range("processing_date", "y.processing_date", date_column=True)
    filters.csv("status", "y.status", integers=False, choices=PUBLIC_PAYMENT_STATUSES)
    filters.foreign_key("vendor", "y.vendor_id", "vendors")
    filters.foreign_key("currency", "y.currency_id", "currencies")
    filters.csv("ids", "y.id", integers=True)
    groups = filters.value("bill_groups")
    if groups is not None:
        parts = [part.strip() for part in groups.split(",") if part.strip()]
        if not all(part.isdigit() for part in parts):
            filters.error("bill_groups", "Enter a whole number for every bill group.")
        elif parts:
            marks = ", ".join("?" for _ in parts)
            filters.add(
                "EXISTS (SELECT 1 FROM payment_groups g WHERE g.payment_id = y.id "
                f"AND g.group_id IN ({marks}))",
                *map(int, parts),
            )
    invoice = filters.value("invoice_number")
    if invoice is not None:
        filters.add(
            "EXISTS (SELECT 1 FROM payment_groups g JOIN bills b ON b.group_id = g.group_id "
            "WHERE g.payment_id = y.id AND b.invoice_number = ?)",
            invoice,
        )
    amount = filters.value("payment_amount")
    if amount is not None:
        try:
            filters.add("y.amount = ?", round(float(amount) * 100))
        except ValueError:
            filters.error("payment_amount", "Enter a number.")
    order_value = ctx.request.query_params.get("order_by")
    if order_value and order_value not in PAYMENT_ORDERINGS:
        filters.error(
            "order_by", f"Select a valid choice. {order_value} is not one of the available choices."
        )
    filters.check()
    page = fetch_page(
        ctx.request,
        ctx.state.store,
        ctx.variants,
        select="y.*",
        from_where=f"payments y WHERE {filters.sql()}",
        args=filters.args,
        order=ordering(
            ctx.request,
            {"created_at": "y.created_at", "updated_at": "y.updated_at"},
            default_order(ctx, "y.created_at"),
            "y.id ASC",
        ),
    )
    groups_by_payment = _groups(ctx, [row["id"] for row in page.rows])
    data = [public_payment(row, ctx.lookups, groups_by_payment[row["id"]], ctx.variants) for row in page.rows]
    return listing(ctx.request, page, data)


def legacy_payments_removed(state: SandboxState) -> bool:
    variant = state.variants.v2_payments
    return variant == "removed" or (variant == "until_removal" and state.now().date() > V2_PAYMENTS_REMOVAL)


async def list_legacy_payments(ctx: RequestContext) -> Response:
    wanted_format(ctx.request)
    filters = Filters(ctx.request, ctx.state.store)
    filters.date_range("payment_date", "y.processing_date", datetime_column=False)
    filters.choice("payment_method__type", "y.method_type", range(0, 9))
    filters.foreign_key("approver", "y.approver_id", "users")
    filters.foreign_key("currency", "y.currency_id", "currencies")
    filters.check()
    page = fetch_page(
        ctx.request,
        ctx.state.store,
        ctx.variants,
        select="y.*",
        from_where=f"payments y WHERE {filters.sql()}",
        args=filters.args,
        order=ordering(
            ctx.request,
            {"payment_date": "y.processing_date", "id": "y.id"},
            default_order(ctx, "y.id"),
            "y.id ASC",
        ),
    )
    groups_by_payment = _groups(ctx, [row["id"] for row in page.rows])
    return listing(
        ctx.request,
        page,
        [legacy_payment(row, ctx.lookups, groups_by_payment[row["id"]]) for row in page.rows],
    )


def ap_routes() -> list[ApiRoute]:
    return [
        ApiRoute("/api/v3/ap/bills/", {"GET": list_bills}, family="ap", is_list=True),
        ApiRoute("/api/v3/ap/bills/mark-as-paid/", {"POST": mark_bills_paid}, family="ap"),
        # The URL pattern only takes lower-case hex and dashes; anything else is Django's 404 page.
        ApiRoute("/api/v2/ap/bills/{id}/", {"GET": get_bill}, family="ap", param_patterns={"id": _BILL_ID}),
        ApiRoute("/api/v2/ap/items/", {"GET": list_ap_items}, family="ap", is_list=True),
        ApiRoute("/api/public/v1/payments/", {"GET": list_public_payments}, family="payments", is_list=True),
        ApiRoute(
            "/api/v2/ap/payments/",
            {"GET": list_legacy_payments},
            family="payments",
            is_list=True,
            removed_when=legacy_payments_removed,
        ),
    ]
