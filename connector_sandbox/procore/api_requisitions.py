"""Requisitions (the UI calls them Subcontractor Invoices): pay applications against commitments.

Rules from the reference: only the latest open invoice of a commitment can be updated or deleted; once
``origin_id`` is set ("synced with ERP") the invoice is immutable; a service account that is not an
admin of the tool may only set ``draft`` or ``under_review``. Money is strings; ``summary`` holds the
G702-style totals computed from the line items.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from . import render
from .clock import now_stamp
from .errors import ValidationFailed, forbidden, not_found, unprocessable
from .listing import Filter, ListSpec, paging_headers, run_list
from .routing import Caller, JsonResponse, int_param, json_body, param, path_id
from .validation import Attr, coerce, expect_object
from .vocabulary import APPROVED_REQUISITION_STATUSES, NON_ADMIN_REQUISITION_STATUSES, REQUISITION_STATUSES

REQUISITIONS = ListSpec(
    table="requisitions",
    filters=(
        Filter("id", "eq", "id", integer=True),
        Filter("commitment_id", "eq", "commitment_id", integer=True),
        Filter("period_id", "eq", "period_id", integer=True),
        Filter("status", "eq", "status"),
        Filter("created_at", "range", "created_at"),
        Filter("updated_at", "range", "updated_at"),
        Filter("origin_id", "eq", "origin_id"),
    ),
)
ITEMS = ListSpec(table="requisition_items")
REQUISITION_ATTRS = (
    Attr("period_id", "int"),
    Attr("requisition_start", "date"),
    Attr("requisition_end", "date"),
    Attr("billing_date", "date"),
    Attr("invoice_number"),
    Attr("status", "enum", nullable=False, choices=REQUISITION_STATUSES),
    Attr("erp_status", max_length=50),
    Attr("payment_date", "date"),
    Attr("final", "bool", nullable=False),
    Attr("origin_id"),
    Attr("origin_data", max_length=10_000),
)
REQUISITION_READ_ONLY = (
    "id",
    "number",
    "commitment_id",
    "commitment_type",
    "contract_name",
    "vendor_name",
    "submitted_at",
    "percent_complete",
    "total_claimed_amount",
    "summary",
    "created_at",
    "updated_at",
    "contract_items",
)
# What an ERP writes back; see the requisition_erp_fields_always_writable variant.
ERP_FIELDS = frozenset({"origin_id", "origin_data", "erp_status", "payment_date"})
ITEM_ATTRS = (
    Attr("work_completed_this_period", "money", nullable=False),
    Attr("materials_presently_stored", "money", nullable=False),
    Attr("retainage_percent", "percent", nullable=False),
)
ITEM_READ_ONLY = (
    "id",
    "line_item_id",
    "cost_code",
    "description",
    "scheduled_value",
    "work_completed_from_previous_application",
    "total_completed_and_stored_to_date",
    "percent_complete",
    "balance_to_finish",
    "total_retainage",
    "created_at",
    "updated_at",
)
SYNCED_MESSAGE = "This invoice is synced with ERP (origin_id is set) and cannot be changed"


def _requisition(caller: Caller, project: dict, requisition_id: int) -> dict[str, Any]:
    row = caller.state.store.get("requisitions", requisition_id)
    if row is None or row["project_id"] != project["id"] or row["deleted_at"]:
        raise not_found("Requisition not found")
    return row


async def list_requisitions(request: Request, caller: Caller) -> Response:
    project = caller.project(request.query_params.get("project_id"))
    state = caller.state
    scope = ("project_id = ? AND deleted_at IS NULL", [project["id"]])
    result = run_list(state.store, REQUISITIONS, request, scope, state.variants, state.faults)
    return JsonResponse(
        render.requisitions(state.store, result.rows), headers=paging_headers(request, result)
    )


async def show_requisition(request: Request, caller: Caller) -> Response:
    project = caller.project(request.query_params.get("project_id"))
    row = _requisition(caller, project, path_id(request))
    return JsonResponse(render.requisitions(caller.state.store, [row])[0])


async def requisition_detail(request: Request, caller: Caller) -> Response:
    project = caller.project(request.query_params.get("project_id"))
    row = _requisition(caller, project, path_id(request))
    return JsonResponse(render.requisitions(caller.state.store, [row], with_items=True)[0])


def _check_status(caller: Caller, values: dict[str, Any]) -> None:
    status = values.get("status")
    if (
        status is not None
        and not caller.state.variants.service_account_is_invoice_admin
        and status not in NON_ADMIN_REQUISITION_STATUSES
    ):
        raise forbidden(f"status: only an admin may set {status!r}; you may set draft or under_review")


async def post_requisition(request: Request, caller: Caller) -> Response:
    body = await json_body(request)
    state = caller.state
    store = state.store
    project = caller.project(param(request, body, "project_id"))
    commitment_id = int_param(param(request, body, "commitment_id"), "commitment_id")
    commitment = store.get("commitments", commitment_id)
    if commitment is None or commitment["project_id"] != project["id"] or commitment["deleted_at"]:
        raise not_found("Commitment not found")
    payload = expect_object(body.get("requisition"), "requisition")
    values = coerce(
        payload, REQUISITION_ATTRS, creating=True, read_only=REQUISITION_READ_ONLY, variants=state.variants
    )
    _check_status(caller, values)
    errors: dict[str, list[str]] = {}
    if not commitment["requisitions_are_enabled"]:
        raise unprocessable("Invoicing is not enabled for this commitment")
    period = store.get("billing_periods", values["period_id"]) if values.get("period_id") else None
    if period is None or period["project_id"] != project["id"]:
        errors["period_id"] = ["is not a billing period of this project"]
    elif store.one(
        "SELECT id FROM requisitions WHERE commitment_id = ? AND period_id = ? AND deleted_at IS NULL",
        (commitment_id, period["id"]),
    ):
        errors["period_id"] = ["already has an invoice for this commitment"]
    if errors:
        raise ValidationFailed(errors)
    now = now_stamp()
    number = store.scalar(
        "SELECT COALESCE(MAX(number), 0) + 1 FROM requisitions WHERE commitment_id = ?", (commitment_id,)
    )
    origin_owner = caller.client.client_id if values.get("origin_id") else None
    row = {
        "company_id": project["company_id"],
        "project_id": project["id"],
        "commitment_id": commitment_id,
        "number": number,
        "status": "draft",
        "requisition_start": period["start_date"],
        "requisition_end": period["end_date"],
        "billing_date": period["end_date"],
        "origin_owner": origin_owner,
        "created_at": now,
        "updated_at": now,
        **values,
    }
    if row["status"] != "draft":
        row["submitted_at"] = now
    with store.transaction():
        requisition_id = store.insert("requisitions", row)
        lines = store.all(
            "SELECT * FROM commitment_line_items WHERE commitment_id = ? AND deleted_at IS NULL "
            "ORDER BY position",
            (commitment_id,),
        )
        for line in lines:
            previous = store.scalar(
                "SELECT COALESCE(SUM(i.work_completed_this_period_cents), 0) FROM requisition_items i "
                "JOIN requisitions r ON r.id = i.requisition_id "
                "WHERE i.line_item_id = ? AND r.deleted_at IS NULL AND r.id != ?",
                (line["id"], requisition_id),
            )
            store.insert(
                "requisition_items",
                {
                    "requisition_id": requisition_id,
                    "line_item_id": line["id"],
                    "cost_code_id": line["cost_code_id"],
                    "description": line["description"],
                    "scheduled_value_cents": line["amount_cents"],
                    "previous_work_cents": previous,
                    "work_completed_this_period_cents": 0,
                    "materials_presently_stored_cents": 0,
                    "retainage_percent": commitment["retainage_percent"] or "0.0",
                    "created_at": now,
                    "updated_at": now,
                },
            )
    state.emit("requisition", "create", requisition_id, project_id=project["id"], origin=caller.origin)
    return JsonResponse(
        render.requisitions(store, [store.get("requisitions", requisition_id)])[0], status_code=201
    )


def _latest_open(caller: Caller, row: dict) -> bool:
    latest = caller.state.store.one(
        "SELECT id, status FROM requisitions WHERE commitment_id = ? AND deleted_at IS NULL "
        "ORDER BY number DESC LIMIT 1",
        (row["commitment_id"],),
    )
    return (
        latest is not None
        and latest["id"] == row["id"]
        and row["status"] not in APPROVED_REQUISITION_STATUSES
    )


def _writable(caller: Caller, row: dict, fields: set[str]) -> None:
    if row["origin_id"]:
        raise unprocessable(SYNCED_MESSAGE)
    erp_only = fields <= ERP_FIELDS and caller.state.variants.requisition_erp_fields_always_writable
    if not erp_only and not _latest_open(caller, row):
        raise unprocessable("Only the latest open invoice of a commitment can be updated or deleted")


async def patch_requisition(request: Request, caller: Caller) -> Response:
    body = await json_body(request)
    state = caller.state
    project = caller.project(param(request, body, "project_id"))
    existing = _requisition(caller, project, path_id(request))
    payload = expect_object(body.get("requisition"), "requisition")
    values = coerce(
        payload, REQUISITION_ATTRS, creating=False, read_only=REQUISITION_READ_ONLY, variants=state.variants
    )
    changed = {k: v for k, v in values.items() if existing.get(k) != v}
    if not changed:
        return JsonResponse(render.requisitions(state.store, [existing])[0])
    _writable(caller, existing, set(changed))
    _check_status(caller, changed)
    if "period_id" in changed:
        period = state.store.get("billing_periods", changed["period_id"])
        if period is None or period["project_id"] != project["id"]:
            raise ValidationFailed({"period_id": ["is not a billing period of this project"]})
    if changed.get("origin_id"):
        clash = state.store.one(
            "SELECT id FROM requisitions WHERE company_id = ? AND origin_id = ? AND id != ?",
            (existing["company_id"], changed["origin_id"], existing["id"]),
        )
        if clash:
            raise ValidationFailed(
                {"origin_id": ["has already been taken"]}, status=state.variants.origin_id_conflict_status
            )
        changed["origin_owner"] = caller.client.client_id
    now = now_stamp()
    changed["updated_at"] = now
    if changed.get("status") not in (None, "draft") and not existing["submitted_at"]:
        changed["submitted_at"] = now
    state.store.update("requisitions", existing["id"], changed)
    state.emit("requisition", "update", existing["id"], project_id=project["id"], origin=caller.origin)
    return JsonResponse(
        render.requisitions(state.store, [state.store.get("requisitions", existing["id"])])[0]
    )


async def delete_requisition(request: Request, caller: Caller) -> Response:
    project = caller.project(request.query_params.get("project_id"))
    existing = _requisition(caller, project, path_id(request))
    _writable(caller, existing, {"deleted_at"})
    now = now_stamp()
    caller.state.store.update("requisitions", existing["id"], {"deleted_at": now, "updated_at": now})
    caller.state.emit("requisition", "delete", existing["id"], project_id=project["id"], origin=caller.origin)
    return Response(status_code=204)


# -- line items ---------------------------------------------------------------------------------------


def _parent(request: Request, caller: Caller) -> tuple[dict, dict]:
    project = caller.project(request.query_params.get("project_id"))
    requisition = _requisition(caller, project, int_param(request.path_params.get("requisition_id"), "id"))
    return project, requisition


async def list_contract_items(request: Request, caller: Caller) -> Response:
    _, requisition = _parent(request, caller)
    state = caller.state
    result = run_list(
        state.store, ITEMS, request, ("requisition_id = ?", [requisition["id"]]), state.variants, state.faults
    )
    return JsonResponse(
        render.requisition_items(state.store, result.rows), headers=paging_headers(request, result)
    )


def _item(caller: Caller, requisition: dict, item_id: int) -> dict:
    row = caller.state.store.get("requisition_items", item_id)
    if row is None or row["requisition_id"] != requisition["id"]:
        raise not_found("Contract item not found")
    return row


async def show_contract_item(request: Request, caller: Caller) -> Response:
    _, requisition = _parent(request, caller)
    row = _item(caller, requisition, path_id(request))
    return JsonResponse(render.requisition_items(caller.state.store, [row])[0])


async def patch_contract_item(request: Request, caller: Caller) -> Response:
    body = await json_body(request)
    project = caller.project(param(request, body, "project_id"))
    state = caller.state
    requisition = _requisition(caller, project, int_param(request.path_params.get("requisition_id"), "id"))
    existing = _item(caller, requisition, path_id(request))
    payload = expect_object(body.get("contract_item"), "contract_item")
    values = coerce(payload, ITEM_ATTRS, creating=False, read_only=ITEM_READ_ONLY, variants=state.variants)
    changed = {k: v for k, v in values.items() if existing.get(k) != v}
    if changed:
        _writable(caller, requisition, {"items"})
        for name in ("work_completed_this_period_cents", "materials_presently_stored_cents"):
            if changed.get(name, 0) < 0:
                raise ValidationFailed({name.removesuffix("_cents"): ["must be greater than or equal to 0"]})
        now = now_stamp()
        changed["updated_at"] = now
        state.store.update("requisition_items", existing["id"], changed)
        state.store.update("requisitions", requisition["id"], {"updated_at": now})
        state.emit("requisition", "update", requisition["id"], project_id=project["id"], origin=caller.origin)
    return JsonResponse(
        render.requisition_items(state.store, [state.store.get("requisition_items", existing["id"])])[0]
    )


async def list_change_order_items(request: Request, caller: Caller) -> Response:
    """Change-order lines on an invoice are not simulated: the list is always empty."""
    _parent(request, caller)
    return JsonResponse([], headers={"Total": "0", "Per-Page": str(caller.state.variants.default_per_page)})
