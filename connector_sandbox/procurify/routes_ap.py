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
import sqlite3
from collections.abc import Callable
from typing import Any

from starlette.responses import Response

from connector_sandbox.serve import CompactJSONResponse

from .endpoints import ListEndpoint, ListQuery, RenderRows, children_by_parent, per_row, read_filters
from .errors import invalid, not_found
from .factory import PUBLIC_PAYMENT_STATUSES
from .formats import in_thousandths, money, parse_decimal, stored, to_minor
from .listing import Filters
from .representations import Json, ap_item, bill, bill_detail, legacy_payment, public_payment
from .responses import listing, single
from .routing import ApiRoute, RequestContext
from .state import SandboxState
from .validation import Attributes, BodyValidator

_BILL_ID = r"^[0-9a-f-]+$"
V2_PAYMENTS_REMOVAL = dt.date(2026, 6, 5)
# A bill's date columns (days, not date-times): each filter has the column's name.
BILL_DAYS = ("invoice_date", "due_date", "submitted_date", "gl_post_date", "payment_date", "last_export_date")
PAYMENT_ORDERINGS = ("created_at", "-created_at", "updated_at", "-updated_at")


def _item_ids(ctx: RequestContext, bill_ids: list[int]) -> dict[int, list[int]]:
    return children_by_parent(
        ctx,
        "SELECT id, bill_id FROM bill_items WHERE bill_id IN ({marks}) ORDER BY id",
        bill_ids,
        "bill_id",
        "id",
    )


# --- bills ---------------------------------------------------------------------------------------------


def _bill_filters(filters: Filters) -> None:
    filters.datetime_range("last_modified_datetime", "b.last_modified_datetime")
    filters.date_range("modified_date", "b.last_modified_datetime")  # deprecated, whole days
    for name in BILL_DAYS:
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


BILLS = ListQuery(
    source="bills b",
    orderings={
        "last_modified_datetime": "b.last_modified_datetime",
        "invoice_date": "b.invoice_date",
        "due_date": "b.due_date",
        "id": "b.id",
        "invoice_number": "b.invoice_number",
    },
)


async def list_bills(ctx: RequestContext) -> Response:
    """Slim bills, with a ``summary`` of every filtered bill and the user's ``permissions``."""
    filters = read_filters(ctx, _bill_filters)
    page = BILLS.page(ctx, filters)
    # Bills in currencies of 0, 2 and 3 decimals add up in thousandths, shown with the most decimals among
    # them (sandbox assumption: the reference names the summary's fields only).
    decimals = "(SELECT c.decimals FROM currencies c WHERE c.id = b.currency_id)"
    totals = ctx.state.store.one(
        f"SELECT COUNT(DISTINCT b.currency_id) AS currencies, COALESCE(MAX({decimals}), 2) AS places, "
        f"COALESCE(SUM({in_thousandths('b.subtotal + b.tax_amount', decimals)}), 0) AS total "
        f"FROM {BILLS.where(filters)}",
        filters.args,
    )
    places = int(totals["places"])
    items = _item_ids(ctx, [row["id"] for row in page.rows])
    today = ctx.state.now().date()
    data = [_grouped(ctx, bill(row, ctx.lookups, items[row["id"]], today)) for row in page.rows]
    can_edit = "ap" in ctx.principal.application.permissions
    return listing(
        ctx.request,
        page,
        data,
        summary={
            "has_multiple_currency": totals["currencies"] > 1,
            "total_cost": money(int(totals["total"]) // 10 ** (3 - places), places),
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
    return single(
        _grouped(ctx, bill_detail(row, ctx.lookups, items, purchase_orders, payment, ctx.state.now().date()))
    )


def _grouped(ctx: RequestContext, body: Json) -> Json:
    """The bill's ``group`` as the ``bill_group`` variant renders it (an id, or ``{"id": ...}``), and a full
    bill's ``added_purchase_orders`` as the ``added_purchase_orders`` variant does (summaries or UUIDs)."""
    if ctx.variants.bill_group == "object" and body.get("group") is not None:
        body["group"] = {"id": body["group"]}
    if ctx.variants.added_purchase_orders == "uuids" and isinstance(body.get("added_purchase_orders"), list):
        body["added_purchase_orders"] = [po["uuid"] for po in body["added_purchase_orders"]]
    return body


# Reference 2.6: the mark-as-paid body.
MARK_AS_PAID_ATTRIBUTES = Attributes.of(("payment_date", "bill_uuids"))


async def mark_bills_paid(ctx: RequestContext) -> Response:
    """Approved bills without a payment -> Paid (status 4) on ``payment_date``."""
    body = await ctx.json_body()
    check = BodyValidator(
        body, attributes=MARK_AS_PAID_ATTRIBUTES, refuse_unknown=ctx.variants.refuses_unknown
    )
    payment_date = check.date("payment_date", required=True, allow_null=False)
    uuids = check.non_empty_list(
        "bill_uuids",
        wrong_type="Expected a list of bill UUID strings.",
        items_valid=lambda items: all(isinstance(item, str) for item in items),
    )
    bills: list[Any] = []
    if uuids is not None:
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
    if ctx.variants.mark_as_paid_answer == "no_content":
        return Response(status_code=204)
    if ctx.variants.mark_as_paid_answer == "echo":
        return CompactJSONResponse({"bill_uuids": body["bill_uuids"], "payment_date": body["payment_date"]})
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


def _ap_item_filters(filters: Filters) -> None:
    billed = "EXISTS (SELECT 1 FROM bill_items bi WHERE bi.order_item_id = i.id)"
    filters.boolean("billed", billed, f"NOT {billed}")
    filters.related(
        "bill",
        "bills",
        "EXISTS (SELECT 1 FROM bill_items bi WHERE bi.order_item_id = i.id AND bi.bill_id = ?)",
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


list_ap_items = ListEndpoint(
    ListQuery(
        select="i.*, (SELECT bi.bill_id FROM bill_items bi WHERE bi.order_item_id = i.id "
        "ORDER BY bi.id LIMIT 1) AS bill_id, "
        "(SELECT b.uuid FROM bill_items bi JOIN bills b ON b.id = bi.bill_id WHERE bi.order_item_id = i.id "
        "ORDER BY bi.id LIMIT 1) AS bill_uuid",
        source="order_items i",
        conditions=("i.po_id IS NOT NULL",),
        orderings={"id": "i.id"},
        read_keys_first=True,
    ),
    _ap_item_filters,
    per_row(ap_item),
)


# --- payments ------------------------------------------------------------------------------------------


def _with_groups(render: Callable[[sqlite3.Row, RequestContext, list[int]], Json]) -> RenderRows:
    """Payments rendered with the bill groups each pays (one query for the page)."""

    def render_rows(ctx: RequestContext, rows: list[sqlite3.Row]) -> list[Json]:
        groups = children_by_parent(
            ctx,
            "SELECT payment_id, group_id FROM payment_groups WHERE payment_id IN ({marks}) ORDER BY group_id",
            [row["id"] for row in rows],
            "payment_id",
            "group_id",
        )
        return [render(row, ctx, groups[row["id"]]) for row in rows]

    return render_rows


def _public_payment_filters(filters: Filters) -> None:
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
        exact = parse_decimal(amount)
        if exact is None:
            filters.error("payment_amount", "Enter a number.")
        else:  # compared in thousandths, so "3704" finds a yen payment and "7.534" a dinar one
            decimals = "(SELECT c.decimals FROM currencies c WHERE c.id = y.currency_id)"
            filters.add(f"{in_thousandths('y.amount', decimals)} = ?", to_minor(exact, 3))
    # The public API's order_by is a choice filter: an unknown value is a 400, not ignored.
    order_value = filters.request.query_params.get("order_by")
    if order_value and order_value not in PAYMENT_ORDERINGS:
        filters.error(
            "order_by", f"Select a valid choice. {order_value} is not one of the available choices."
        )


list_public_payments = ListEndpoint(
    ListQuery(
        source="payments y",
        orderings={"created_at": "y.created_at", "updated_at": "y.updated_at"},
        default="y.created_at",
    ),
    _public_payment_filters,
    _with_groups(lambda row, ctx, groups: public_payment(row, ctx.lookups, groups, ctx.variants)),
)


def legacy_payments_removed(state: SandboxState) -> bool:
    variant = state.variants.v2_payments
    return variant == "removed" or (variant == "until_removal" and state.now().date() > V2_PAYMENTS_REMOVAL)


def _legacy_payment_filters(filters: Filters) -> None:
    filters.date_range("payment_date", "y.processing_date", datetime_column=False)
    filters.choice("payment_method__type", "y.method_type", range(0, 9))
    filters.foreign_key("approver", "y.approver_id", "users")
    filters.foreign_key("currency", "y.currency_id", "currencies")


list_legacy_payments = ListEndpoint(
    ListQuery(
        source="payments y",
        orderings={"payment_date": "y.processing_date", "id": "y.id"},
    ),
    _legacy_payment_filters,
    _with_groups(lambda row, ctx, groups: legacy_payment(row, ctx.lookups, groups)),
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
