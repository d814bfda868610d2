"""Requisitions (the UI calls them Subcontractor Invoices): pay applications against commitments.

Rules from the reference: only the latest open invoice of a commitment can be updated or deleted; once
``origin_id`` is set ("synced with ERP") the invoice is immutable; a service account that is not an
admin of the tool may only set ``draft`` or ``under_review``. Money is strings; ``summary`` holds the
G702-style totals computed from the line items.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from starlette.requests import Request
from starlette.responses import Response

from . import render
from .api_commitments import COMMITMENT
from .clock import now_stamp
from .errors import ValidationFailed, forbidden, not_found, unprocessable
from .listing import STAMPS, ListSpec, eq
from .resource import (
    Entity,
    Resource,
    Scope,
    changes,
    in_project,
    list_handler,
    project_in_path,
    project_param,
)
from .routing import Caller, JsonResponse, int_param, json_body, param, path_id
from .store import Store
from .validation import Attr, Fields, expect_object
from .vocabulary import APPROVED_REQUISITION_STATUSES, NON_ADMIN_REQUISITION_STATUSES, REQUISITION_STATUSES
from .writes import origin_taken, taken

REQUISITIONS = ListSpec(
    table="requisitions",
    filters=(
        *eq("id", "commitment_id", "period_id", integer=True),
        *eq("status"),
        *STAMPS,
        *eq("origin_id"),
    ),
)
ITEMS = ListSpec(table="requisition_items")
REQUISITION_FIELDS = Fields(
    (
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
    ),
    read_only=(
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
    ),
)
# What an ERP writes back; see the requisition_erp_fields_always_writable variant.
ERP_FIELDS = frozenset({"origin_id", "origin_data", "erp_status", "payment_date"})
ITEM_FIELDS = Fields(
    (
        Attr("work_completed_this_period", "money", nullable=False),
        Attr("materials_presently_stored", "money", nullable=False),
        Attr("retainage_percent", "percent", nullable=False),
    ),
    read_only=(
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
    ),
)
SYNCED_MESSAGE = "This invoice is synced with ERP (origin_id is set) and cannot be changed"


REQUISITION = Entity("requisitions", "project_id", "Requisition not found", soft_delete=True)
ITEM = Entity("requisition_items", "requisition_id", "Contract item not found")
REQUISITIONS_API = Resource(entity=REQUISITION, parent=project_param, render=render.requisitions)
list_requisitions = list_handler(
    REQUISITIONS, in_project("project_id = ? AND deleted_at IS NULL"), render.requisitions
)


async def invoice_configuration(request: Request, caller: Caller) -> Response:
    """A contract's invoice configuration (SDK model): whether materials stored on earlier invoices move
    into work completed before (the ``move_materials_to_previous_work_completed`` variant)."""
    project = project_in_path(request, caller, {})
    contract_id = path_id(request, "contract_id")
    row = caller.state.store.get("commitments", contract_id)
    if row is None or row["project_id"] != project["id"] or row["deleted_at"] is not None:
        raise not_found("Contract not found")
    moved = caller.state.variants.move_materials_to_previous_work_completed
    return JsonResponse(
        {
            "id": contract_id,
            "contract_id": contract_id,
            "project_id": project["id"],
            "company_id": project["company_id"],
            "separate_billing_for_stored_materials": True,
            "move_materials_to_previous_work_completed": moved,
        }
    )


async def requisition_detail(request: Request, caller: Caller) -> Response:
    row = REQUISITIONS_API.get(caller, project_param(request, caller, {}), path_id(request))
    items = caller.state.store.all(
        "SELECT * FROM requisition_items WHERE requisition_id = ? ORDER BY id", (row["id"],)
    )
    return JsonResponse(render.requisition_detail(caller.state.store, items))


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
    commitment = COMMITMENT.get(store, project["id"], commitment_id)
    payload = expect_object(body.get("requisition"), "requisition")
    values = REQUISITION_FIELDS.coerce(payload, creating=True, variants=state.variants)
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
            store.insert("requisition_items", contract_item(store, requisition_id, commitment, line, now))
    caller.emit("requisition", "create", requisition_id, project["id"])
    return REQUISITIONS_API.one(caller, store.get("requisitions", requisition_id), 201)


def contract_item(
    store: Store, requisition_id: int, commitment: dict, line: dict, now: str
) -> dict[str, Any]:
    """A new invoice's contract item for one line of its commitment: the line's scheduled value and the
    work billed on it by the commitment's other live invoices; nothing billed yet this period."""
    previous = store.scalar(
        "SELECT COALESCE(SUM(i.work_completed_this_period_cents), 0) FROM requisition_items i "
        "JOIN requisitions r ON r.id = i.requisition_id "
        "WHERE i.line_item_id = ? AND r.deleted_at IS NULL AND r.id != ?",
        (line["id"], requisition_id),
    )
    return {
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
    }


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
    project = project_param(request, caller, body)
    existing = REQUISITIONS_API.get(caller, project, path_id(request))
    payload = expect_object(body.get("requisition"), "requisition")
    values = REQUISITION_FIELDS.coerce(payload, creating=False, variants=state.variants)
    changed = changes(existing, values)
    if not changed:
        return REQUISITIONS_API.one(caller, existing)
    _writable(caller, existing, set(changed))
    _check_status(caller, changed)
    if "period_id" in changed:
        period = state.store.get("billing_periods", changed["period_id"])
        if period is None or period["project_id"] != project["id"]:
            raise ValidationFailed({"period_id": ["is not a billing period of this project"]})
    if changed.get("origin_id"):
        origin = (existing["company_id"], changed["origin_id"])
        if taken(state.store, "requisitions", "company_id = ? AND origin_id = ?", origin, existing):
            raise origin_taken(state.variants)
        changed["origin_owner"] = caller.client.client_id
    now = now_stamp()
    changed["updated_at"] = now
    if changed.get("status") not in (None, "draft") and not existing["submitted_at"]:
        changed["submitted_at"] = now
    state.store.update("requisitions", existing["id"], changed)
    caller.emit("requisition", "update", existing["id"], project["id"])
    return REQUISITIONS_API.one(caller, state.store.get("requisitions", existing["id"]))


async def delete_requisition(request: Request, caller: Caller) -> Response:
    project = project_param(request, caller, {})
    existing = REQUISITIONS_API.get(caller, project, path_id(request))
    _writable(caller, existing, {"deleted_at"})
    REQUISITION.deleted(caller, existing, "requisition", project["id"])
    return Response(status_code=204)


# -- line items ---------------------------------------------------------------------------------------


class OnRequisition(NamedTuple):
    """The project a call names and the path's requisition on it."""

    project: dict[str, Any]
    requisition: dict[str, Any]


def _on_requisition(request: Request, caller: Caller, body: dict[str, Any]) -> OnRequisition:
    project = project_param(request, caller, body)
    requisition_id = int_param(request.path_params.get("requisition_id"), "id")
    return OnRequisition(project, REQUISITIONS_API.get(caller, project, requisition_id))


def _items_scope(request: Request, caller: Caller) -> Scope:
    return "requisition_id = ?", [_on_requisition(request, caller, {}).requisition["id"]]


ITEMS_API = Resource(
    entity=ITEM,
    parent=_on_requisition,
    key=lambda parent: (parent.requisition["id"], {}),
    render=render.requisition_items,
)
list_contract_items = list_handler(ITEMS, _items_scope, render.requisition_items)


async def patch_contract_item(request: Request, caller: Caller) -> Response:
    body = await json_body(request)
    state = caller.state
    parent = _on_requisition(request, caller, body)
    project, requisition = parent
    existing = ITEMS_API.get(caller, parent, path_id(request))
    payload = expect_object(body.get("requisition_contract_item"), "requisition_contract_item")  # SDK Body23
    values = ITEM_FIELDS.coerce(payload, creating=False, variants=state.variants)
    changed = changes(existing, values)
    if changed:
        _writable(caller, requisition, {"items"})
        for name in ("work_completed_this_period_cents", "materials_presently_stored_cents"):
            if changed.get(name, 0) < 0:
                raise ValidationFailed({name.removesuffix("_cents"): ["must be greater than or equal to 0"]})
        now = now_stamp()
        changed["updated_at"] = now
        state.store.update("requisition_items", existing["id"], changed)
        state.store.update("requisitions", requisition["id"], {"updated_at": now})
        caller.emit("requisition", "update", requisition["id"], project["id"])
    return ITEMS_API.one(caller, state.store.get("requisition_items", existing["id"]))


async def list_change_order_items(request: Request, caller: Caller) -> Response:
    """Change-order lines on an invoice are not simulated: the list is always empty."""
    _on_requisition(request, caller, {})
    return JsonResponse([], headers={"Total": "0", "Per-Page": str(caller.state.variants.default_per_page)})
