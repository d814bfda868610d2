"""Commitments: purchase order and work order contracts, their schedule of values, and change orders.

Both kinds share one table and one set of handlers; ``KINDS`` maps the path segment to the stored kind
and the webhook resource. Record locking follows the reference: an Approved / Complete commitment keeps
its vendor and schedule of values and cannot be deleted; an approved change order is locked.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from . import render
from .clock import now_stamp
from .errors import ValidationFailed, not_found, unprocessable
from .generator import cents
from .listing import Filter, ListSpec, paging_headers, run_list
from .routing import Caller, JsonResponse, int_param, json_body, param, path_id
from .validation import Attr, coerce, expect_object
from .vocabulary import (
    ACCOUNTING_METHODS,
    LOCKED_CHANGE_ORDER_STATUSES,
    LOCKED_COMMITMENT_STATUSES,
    PO_STATUSES,
)
from .writes import check_origin, run_sync


@dataclass(frozen=True)
class Kind:
    path: str  # purchase_order_contracts
    stored: str  # PurchaseOrderContract
    body_key: str  # purchase_order_contract
    resource: str  # webhook resource key
    line_resource: str


KINDS = {
    "purchase_order_contracts": Kind(
        "purchase_order_contracts",
        "PurchaseOrderContract",
        "purchase_order_contract",
        "purchase_order_contract",
        "purchase_order_contract_line_item",
    ),
    "work_order_contracts": Kind(
        "work_order_contracts",
        "WorkOrderContract",
        "work_order_contract",
        "work_order_contract",
        "work_order_contract_line_item",
    ),
}

COMMITMENT_ATTRS = (
    Attr("number"),
    Attr("title"),
    Attr("description", max_length=10_000),
    Attr("status", "enum", nullable=False),
    Attr("executed", "bool", nullable=False),
    Attr("vendor_id", "int"),
    Attr("contract_date", "date"),
    Attr("delivery_date", "date"),
    Attr("issued_on_date", "date"),
    Attr("execution_date", "date"),
    Attr("retainage_percent", "percent"),
    Attr("payment_terms"),
    Attr("ship_to_address", max_length=1000),
    Attr("bill_to_address", max_length=1000),
    Attr("ship_via"),
    Attr("private", "bool", nullable=False),
    Attr("requisitions_are_enabled", "bool", nullable=False),
    Attr("accounting_method", "enum", nullable=False, choices=ACCOUNTING_METHODS),
    Attr("origin_id"),
    Attr("origin_code"),
    Attr("origin_data", max_length=10_000),
)
COMMITMENT_READ_ONLY = (
    "id",
    "vendor",
    "project",
    "grand_total",
    "revised_contract",
    "approved_change_orders",
    "pending_change_orders",
    "draft_change_orders_amount",
    "total_payments",
    "total_requisitions_amount",
    "remaining_balance_outstanding",
    "percentage_paid",
    "currency_configuration",
    "created_at",
    "updated_at",
    "deleted_at",
)
LINE_ATTRS = (
    Attr("description", max_length=10_000),
    Attr("amount", "money"),
    Attr("quantity", "float"),
    Attr("unit_cost", "money"),
    Attr("uom"),
    Attr("position", "int"),
    Attr("cost_code_id", "int"),
    Attr("line_item_type_id", "int"),
    Attr("origin_id"),
    Attr("origin_data", max_length=10_000),
)
LINE_READ_ONLY = ("id", "cost_code", "line_item_type", "commitment_id", "created_at", "updated_at")

COMMITMENTS = ListSpec(
    table="commitments",
    filters=(
        Filter("id", "eq", "id", integer=True),
        Filter("status", "eq", "status"),
        Filter("created_at", "range", "created_at"),
        Filter("updated_at", "range", "updated_at"),
        Filter("origin_id", "eq", "origin_id"),
    ),
    soft_delete=True,
)
LINES = ListSpec(table="commitment_line_items", default_order="position")


def _kind(request: Request) -> Kind:
    return KINDS[request.url.path.split("/")[3]]


def _statuses(caller: Caller, kind: Kind) -> tuple[str, ...]:
    return (
        PO_STATUSES if kind.stored == "PurchaseOrderContract" else caller.state.variants.work_order_statuses
    )


def _view(request: Request, default: str) -> str:
    view = request.query_params.get("view", default)
    return view if view in {"compact", "normal", "extended"} else default


def _commitment(
    caller: Caller, project: dict[str, Any], commitment_id: int, stored: str | None
) -> dict[str, Any]:
    row = caller.state.store.get("commitments", commitment_id)
    if row is None or row["project_id"] != project["id"] or (stored and row["kind"] != stored):
        raise not_found("Commitment not found")
    return row


# -- list / show ----------------------------------------------------------------------------------------


async def list_commitments(request: Request, caller: Caller) -> Response:
    kind = _kind(request)
    project = caller.project(request.query_params.get("project_id"))
    state = caller.state
    scope = ("project_id = ? AND kind = ?", [project["id"], kind.stored])
    result = run_list(state.store, COMMITMENTS, request, scope, state.variants, state.faults)
    body = render.commitments(state.store, result.rows, _view(request, "compact"))
    return JsonResponse(body, headers=paging_headers(request, result))


async def list_all_commitments(request: Request, caller: Caller) -> Response:
    """``/commitments``: both kinds, each with its ``type``."""
    project = caller.project(request.query_params.get("project_id"))
    state = caller.state
    result = run_list(
        state.store, COMMITMENTS, request, ("project_id = ?", [project["id"]]), state.variants, state.faults
    )
    body = render.commitments(state.store, result.rows, _view(request, "compact"), with_type=True)
    return JsonResponse(body, headers=paging_headers(request, result))


async def show_commitment(request: Request, caller: Caller) -> Response:
    kind = _kind(request)
    project = caller.project(request.query_params.get("project_id"))
    row = _commitment(caller, project, path_id(request), kind.stored)
    if row["deleted_at"] is not None:
        raise not_found("Commitment not found")
    return JsonResponse(render.commitments(caller.state.store, [row], "extended")[0])


# -- writes ---------------------------------------------------------------------------------------------


def _commitment_values(
    caller: Caller,
    kind: Kind,
    project: dict[str, Any],
    payload: dict[str, Any],
    existing: dict[str, Any] | None,
) -> dict[str, Any]:
    store = caller.state.store
    values = coerce(
        payload,
        COMMITMENT_ATTRS,
        creating=existing is None,
        read_only=COMMITMENT_READ_ONLY,
        variants=caller.state.variants,
        choices={"status": _statuses(caller, kind)},
    )
    errors: dict[str, list[str]] = {}
    if (
        existing is not None
        and existing["status"] in LOCKED_COMMITMENT_STATUSES
        and "vendor_id" in values
        and values["vendor_id"] != existing["vendor_id"]
    ):
        errors["vendor_id"] = [f"cannot be changed once the commitment is {existing['status']}"]
    if errors.get("vendor_id") is None and values.get("vendor_id") is not None:
        vendor = store.get("vendors", values["vendor_id"])
        if vendor is None or vendor["company_id"] != project["company_id"]:
            errors["vendor_id"] = ["does not exist in the company directory"]
        elif not vendor["is_active"] and (existing is None or existing["vendor_id"] != vendor["id"]):
            errors["vendor_id"] = ["is not an active vendor"]
    if values.get("number"):
        clash = store.one(
            "SELECT id FROM commitments WHERE project_id = ? AND kind = ? AND number = ? AND id != ? "
            "AND deleted_at IS NULL",
            (project["id"], kind.stored, values["number"], existing["id"] if existing else -1),
        )
        if clash:
            errors["number"] = ["has already been taken"]
    if errors:
        raise ValidationFailed(errors)
    check_origin(store, "commitments", project["company_id"], values, existing, caller)
    return values


def create_commitment(caller: Caller, kind: Kind, project: dict[str, Any], payload: dict[str, Any]) -> dict:
    store = caller.state.store
    values = _commitment_values(caller, kind, project, payload, None)
    if not values.get("number"):
        count = store.scalar(
            "SELECT COUNT(*) FROM commitments WHERE project_id = ? AND kind = ?", (project["id"], kind.stored)
        )
        prefix = "PO" if kind.stored == "PurchaseOrderContract" else "SC"
        values["number"] = f"{prefix}-{project['project_number']}-{count + 1:04d}"
    now = now_stamp()
    row = {
        "company_id": project["company_id"],
        "project_id": project["id"],
        "kind": kind.stored,
        "status": "Draft",
        "accounting_method": "amount",
        "currency_iso_code": project["currency_iso_code"],
        "retainage_percent": "0.0",
        "created_at": now,
        "updated_at": now,
        **values,
    }
    commitment_id = store.insert("commitments", row)
    caller.state.emit(kind.resource, "create", commitment_id, project_id=project["id"], origin=caller.origin)
    return store.get("commitments", commitment_id)


def update_commitment(caller: Caller, kind: Kind, project: dict, existing: dict, payload: dict) -> dict:
    store = caller.state.store
    values = _commitment_values(caller, kind, project, payload, existing)
    changed = {k: v for k, v in values.items() if existing.get(k) != v}
    if changed:
        changed["updated_at"] = now_stamp()
        store.update("commitments", existing["id"], changed)
        caller.state.emit(
            kind.resource, "update", existing["id"], project_id=project["id"], origin=caller.origin
        )
    return store.get("commitments", existing["id"])


async def post_commitment(request: Request, caller: Caller) -> Response:
    kind = _kind(request)
    body = await json_body(request)
    project = caller.project(param(request, body, "project_id"))
    row = create_commitment(caller, kind, project, expect_object(body.get(kind.body_key), kind.body_key))
    return JsonResponse(render.commitments(caller.state.store, [row])[0], status_code=201)


async def patch_commitment(request: Request, caller: Caller) -> Response:
    kind = _kind(request)
    body = await json_body(request)
    project = caller.project(param(request, body, "project_id"))
    existing = _commitment(caller, project, path_id(request), kind.stored)
    if existing["deleted_at"] is not None:
        raise not_found("Commitment not found")
    row = update_commitment(
        caller, kind, project, existing, expect_object(body.get(kind.body_key), kind.body_key)
    )
    return JsonResponse(render.commitments(caller.state.store, [row])[0])


async def delete_commitment(request: Request, caller: Caller) -> Response:
    kind = _kind(request)
    project = caller.project(request.query_params.get("project_id"))
    existing = _commitment(caller, project, path_id(request), kind.stored)
    if existing["deleted_at"] is not None:
        raise not_found("Commitment not found")
    if existing["status"] in LOCKED_COMMITMENT_STATUSES:
        raise unprocessable(f"A commitment that is {existing['status']} cannot be deleted")
    now = now_stamp()
    caller.state.store.update("commitments", existing["id"], {"deleted_at": now, "updated_at": now})
    caller.state.emit(kind.resource, "delete", existing["id"], project_id=project["id"], origin=caller.origin)
    return Response(status_code=204)


async def sync_commitments(request: Request, caller: Caller) -> Response:
    kind = _kind(request)
    body = await json_body(request)
    project = caller.project(param(request, body, "project_id"))
    store = caller.state.store

    def by_id(commitment_id: int) -> dict | None:
        row = store.get("commitments", commitment_id)
        ok = (
            row
            and row["project_id"] == project["id"]
            and row["kind"] == kind.stored
            and not row["deleted_at"]
        )
        return row if ok else None

    def by_origin(origin: str) -> dict | None:
        row = store.one(
            "SELECT * FROM commitments WHERE company_id = ? AND origin_id = ?",
            (project["company_id"], origin),
        )
        if row is not None and (row["project_id"] != project["id"] or row["kind"] != kind.stored):
            # Unique per company: the same origin id on another project is a conflict, not an upsert.
            raise ValidationFailed(
                {"origin_id": ["has already been taken"]},
                status=caller.state.variants.origin_id_conflict_status,
            )
        return row

    return run_sync(
        body,
        find_by_id=by_id,
        find_by_origin=by_origin,
        create=lambda row: create_commitment(caller, kind, project, row),
        update=lambda existing, row: update_commitment(caller, kind, project, existing, row),
        render=lambda rows: render.commitments(store, rows),
    )


# -- schedule of values (line items) --------------------------------------------------------------------


def _open_commitment(request: Request, caller: Caller, project: dict) -> tuple[Kind, dict]:
    kind = _kind(request)
    commitment = _commitment(
        caller, project, int_param(request.path_params.get("commitment_id"), "id"), kind.stored
    )
    if commitment["deleted_at"] is not None:
        raise not_found("Commitment not found")
    return kind, commitment


def _sov_locked(commitment: dict) -> None:
    if commitment["status"] in LOCKED_COMMITMENT_STATUSES:
        raise unprocessable(
            f"The schedule of values of a commitment that is {commitment['status']} cannot be changed"
        )


def _line_values(
    caller: Caller, project: dict, commitment: dict, payload: dict, existing: dict | None
) -> dict:
    store = caller.state.store
    values = coerce(
        payload,
        LINE_ATTRS,
        creating=existing is None,
        read_only=LINE_READ_ONLY,
        variants=caller.state.variants,
    )
    errors: dict[str, list[str]] = {}
    if values.get("cost_code_id") is not None:
        code = store.get("cost_codes", values["cost_code_id"])
        if code is None or code["project_id"] != project["id"] or code["deleted_at"]:
            errors["cost_code_id"] = ["does not exist on this project"]
    elif existing is None:
        errors["cost_code_id"] = ["can't be blank"]
    if values.get("line_item_type_id") is not None:
        kind_row = store.get("line_item_types", values["line_item_type_id"])
        if kind_row is None or kind_row["company_id"] != project["company_id"]:
            errors["line_item_type_id"] = ["does not exist"]
    if commitment["accounting_method"] == "unit":
        quantity = values.get(
            "quantity", float(existing["quantity"]) if existing and existing["quantity"] else None
        )
        unit = values.get("unit_cost_cents", _cents(existing["unit_cost"]) if existing else None)
        if quantity is None or unit is None:
            errors.setdefault("quantity", []).append("and unit_cost are required on a unit-based commitment")
        else:
            values["amount_cents"] = round(quantity * unit)
    elif "amount_cents" not in values and existing is None:
        errors["amount"] = ["can't be blank"]
    if errors:
        raise ValidationFailed(errors)
    if "quantity" in values and values["quantity"] is not None:
        values["quantity"] = f"{values['quantity']:.1f}"
    if "unit_cost_cents" in values:
        unit_cents = values.pop("unit_cost_cents")
        values["unit_cost"] = cents(unit_cents) if unit_cents is not None else None
    if "amount_cents" in values and values["amount_cents"] is None:
        raise ValidationFailed({"amount": ["can't be blank"]})
    check_origin(store, "commitment_line_items", project["company_id"], values, existing, caller)
    return values


def _cents(text: str | None) -> int | None:
    return None if text is None else round(float(text) * 100)


def _line_event(caller: Caller, kind: Kind, event: str, line_id: int, commitment: dict) -> None:
    parent = caller.state.variants.resource_names[kind.resource]
    caller.state.emit(
        kind.line_resource,
        event,
        line_id,
        project_id=commitment["project_id"],
        origin=caller.origin,
        related=[{"id": commitment["id"], "name": parent}],
    )


def create_line(caller: Caller, kind: Kind, project: dict, commitment: dict, payload: dict) -> dict:
    _sov_locked(commitment)
    store = caller.state.store
    values = _line_values(caller, project, commitment, payload, None)
    now = now_stamp()
    position = store.scalar(
        "SELECT COALESCE(MAX(position), 0) + 1 FROM commitment_line_items WHERE commitment_id = ?",
        (commitment["id"],),
    )
    row = {
        "company_id": project["company_id"],
        "project_id": project["id"],
        "commitment_id": commitment["id"],
        "position": position,
        "created_at": now,
        "updated_at": now,
        **values,
    }
    line_id = store.insert("commitment_line_items", row)
    store.update("commitments", commitment["id"], {"updated_at": now})
    _line_event(caller, kind, "create", line_id, commitment)
    return store.get("commitment_line_items", line_id)


def update_line(
    caller: Caller, kind: Kind, project: dict, commitment: dict, existing: dict, payload: dict
) -> dict:
    _sov_locked(commitment)
    store = caller.state.store
    values = _line_values(caller, project, commitment, payload, existing)
    changed = {k: v for k, v in values.items() if existing.get(k) != v}
    if changed:
        now = now_stamp()
        changed["updated_at"] = now
        store.update("commitment_line_items", existing["id"], changed)
        store.update("commitments", commitment["id"], {"updated_at": now})
        _line_event(caller, kind, "update", existing["id"], commitment)
    return store.get("commitment_line_items", existing["id"])


async def list_lines(request: Request, caller: Caller) -> Response:
    project = caller.project(request.query_params.get("project_id"))
    _, commitment = _open_commitment(request, caller, project)
    state = caller.state
    scope = ("commitment_id = ? AND deleted_at IS NULL", [commitment["id"]])
    result = run_list(state.store, LINES, request, scope, state.variants, state.faults)
    return JsonResponse(
        render.commitment_line_items(state.store, result.rows), headers=paging_headers(request, result)
    )


async def post_line(request: Request, caller: Caller) -> Response:
    body = await json_body(request)
    project = caller.project(param(request, body, "project_id"))
    kind, commitment = _open_commitment(request, caller, project)
    row = create_line(caller, kind, project, commitment, expect_object(body.get("line_item"), "line_item"))
    return JsonResponse(render.commitment_line_items(caller.state.store, [row])[0], status_code=201)


def _line(caller: Caller, commitment: dict, line_id: int) -> dict:
    row = caller.state.store.get("commitment_line_items", line_id)
    if row is None or row["commitment_id"] != commitment["id"] or row["deleted_at"]:
        raise not_found("Line item not found")
    return row


async def patch_line(request: Request, caller: Caller) -> Response:
    body = await json_body(request)
    project = caller.project(param(request, body, "project_id"))
    kind, commitment = _open_commitment(request, caller, project)
    existing = _line(caller, commitment, path_id(request))
    row = update_line(
        caller, kind, project, commitment, existing, expect_object(body.get("line_item"), "line_item")
    )
    return JsonResponse(render.commitment_line_items(caller.state.store, [row])[0])


async def sync_lines(request: Request, caller: Caller) -> Response:
    body = await json_body(request)
    project = caller.project(param(request, body, "project_id"))
    kind, commitment = _open_commitment(request, caller, project)
    _sov_locked(commitment)
    store = caller.state.store

    def by_id(line_id: int) -> dict | None:
        row = store.get("commitment_line_items", line_id)
        return row if row and row["commitment_id"] == commitment["id"] and not row["deleted_at"] else None

    return run_sync(
        body,
        find_by_id=by_id,
        find_by_origin=lambda origin: store.one(
            "SELECT * FROM commitment_line_items WHERE commitment_id = ? AND origin_id = ? "
            "AND deleted_at IS NULL",
            (commitment["id"], origin),
        ),
        create=lambda row: create_line(caller, kind, project, commitment, row),
        update=lambda existing, row: update_line(caller, kind, project, commitment, existing, row),
        render=lambda rows: render.commitment_line_items(store, rows),
    )


# -- change orders --------------------------------------------------------------------------------------

CHANGE_ORDERS = ListSpec(
    table="commitment_change_orders",
    filters=(
        Filter("id", "eq", "id", integer=True),
        Filter("batch_id", "eq", "batch_id", integer=True),
        Filter("contract_id", "eq", "contract_id", integer=True),
        Filter("legacy_package_id", "eq", "package_id", integer=True),
    ),
    sortable=("id", "number", "status", "due_date", "created_at", "updated_at"),
)
CHANGE_ORDER_ATTRS = (
    Attr("title"),
    Attr("description", max_length=10_000),
    Attr("status", "enum", nullable=False),
    Attr("due_date", "date"),
    Attr("invoiced_date", "date"),
    Attr("paid", "bool", nullable=False),
    Attr("executed", "bool", nullable=False),
    Attr("change_order_change_reason", column="change_reason"),
)
CHANGE_ORDER_READ_ONLY = (
    "id",
    "number",
    "contract_id",
    "batch_id",
    "legacy_package_id",
    "grand_total",
    "reviewed_at",
    "created_at",
    "updated_at",
    "created_by",
    "currency_configuration",
    "change_events",
)
# What may still change on an approved (locked) change order: its payment bookkeeping and status.
CHANGE_ORDER_UNLOCKED = frozenset({"status", "paid", "invoiced_date"})
PACKAGES = ListSpec(
    table="change_order_packages",
    filters=(Filter("updated_at", "range", "updated_at"), Filter("created_at", "range", "created_at")),
    soft_delete=True,
)


async def list_change_orders(request: Request, caller: Caller) -> Response:
    project = caller.project(request.path_params.get("project_id"))
    state = caller.state
    spec = CHANGE_ORDERS
    if not state.variants.paginate_change_orders:
        spec = replace(spec, paginated=False)
    scope = ("project_id = ? AND deleted_at IS NULL", [project["id"]])
    result = run_list(state.store, spec, request, scope, state.variants, state.faults)
    body = render.change_orders(state.store, result.rows, _view(request, "normal"))
    return JsonResponse(body, headers=paging_headers(request, result))


def _change_order(caller: Caller, project: dict, change_order_id: int) -> dict:
    row = caller.state.store.get("commitment_change_orders", change_order_id)
    if row is None or row["project_id"] != project["id"] or row["deleted_at"]:
        raise not_found("Change order not found")
    return row


async def show_change_order(request: Request, caller: Caller) -> Response:
    project = caller.project(request.path_params.get("project_id"))
    row = _change_order(caller, project, path_id(request))
    return JsonResponse(render.change_orders(caller.state.store, [row], _view(request, "normal"))[0])


async def patch_change_order(request: Request, caller: Caller) -> Response:
    project = caller.project(request.path_params.get("project_id"))
    existing = _change_order(caller, project, path_id(request))
    body = await json_body(request)
    payload = expect_object(body.get("commitment_change_order"), "commitment_change_order")
    state = caller.state
    values = coerce(
        payload,
        CHANGE_ORDER_ATTRS,
        creating=False,
        read_only=CHANGE_ORDER_READ_ONLY,
        variants=state.variants,
        choices={"status": state.variants.change_order_statuses},
    )
    changed = {k: v for k, v in values.items() if existing.get(k) != v}
    locked_fields = sorted(
        name for name in changed if name not in CHANGE_ORDER_UNLOCKED and name != "change_reason"
    ) + (["change_order_change_reason"] if "change_reason" in changed else [])
    if existing["status"] in LOCKED_CHANGE_ORDER_STATUSES and locked_fields:
        raise unprocessable(
            "An approved change order is locked", {name: ["cannot be changed"] for name in locked_fields}
        )
    if changed:
        now = now_stamp()
        changed["updated_at"] = now
        if changed.get("status") in {"approved", "rejected"}:
            changed["reviewed_at"] = now
        state.store.update("commitment_change_orders", existing["id"], changed)
        if existing["package_id"] and "status" in changed:
            state.store.update(
                "change_order_packages",
                existing["package_id"],
                {"status": changed["status"], "updated_at": now},
            )
        state.emit(
            "commitment_change_order",
            "update",
            existing["id"],
            project_id=project["id"],
            origin=caller.origin,
        )
    row = state.store.get("commitment_change_orders", existing["id"])
    return JsonResponse(render.change_orders(state.store, [row])[0])


async def delete_change_order(request: Request, caller: Caller) -> Response:
    project = caller.project(request.path_params.get("project_id"))
    existing = _change_order(caller, project, path_id(request))
    if existing["status"] in LOCKED_CHANGE_ORDER_STATUSES:
        raise unprocessable("An approved change order is locked and cannot be deleted")
    now = now_stamp()
    caller.state.store.update(
        "commitment_change_orders", existing["id"], {"deleted_at": now, "updated_at": now}
    )
    if existing["package_id"]:
        caller.state.store.update(
            "change_order_packages", existing["package_id"], {"deleted_at": now, "updated_at": now}
        )
    caller.state.emit(
        "commitment_change_order", "delete", existing["id"], project_id=project["id"], origin=caller.origin
    )
    return Response(status_code=204)


async def list_packages(request: Request, caller: Caller) -> Response:
    project = caller.project(request.query_params.get("project_id"))
    state = caller.state
    clauses, params = ["project_id = ?"], [project["id"]]
    contract = request.query_params.get("contract_id")
    if contract is not None:
        clauses.append("contract_id = ?")
        params.append(int_param(contract, "contract_id"))
    result = run_list(
        state.store, PACKAGES, request, (" AND ".join(clauses), params), state.variants, state.faults
    )
    return JsonResponse(
        render.change_order_packages(state.store, result.rows), headers=paging_headers(request, result)
    )
