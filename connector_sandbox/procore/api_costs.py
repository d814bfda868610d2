"""Cost codes (project and company standard lists) and the budget, read through budget views.

There is no v1.0 "list budget line items" endpoint: budget lines are listed through
``/budget_views/{id}/detail_rows`` (one row per line) and grouped in ``summary_rows``. Budget money is
floats, unlike commitments. ``POST /budget_line_items/sync`` is a POST (not a PATCH like the other sync
actions), as the reference lists it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from . import render
from .clock import now_stamp
from .errors import ValidationFailed, not_found, unprocessable
from .listing import Filter, ListSpec, paging_headers, run_list
from .routing import Caller, JsonResponse, int_param, json_body, param, path_id
from .validation import Attr, coerce, expect_object
from .writes import check_origin, run_sync

# -- cost codes -----------------------------------------------------------------------------------------

COST_CODES = ListSpec(table="cost_codes", filters=(Filter("origin_id", "eq", "origin_id"),))
COST_CODE_ATTRS = (
    Attr("code", required=True, nullable=False, max_length=50),
    Attr("name", required=True, nullable=False),
    Attr("parent_id", "int"),
    Attr("position", "int"),
    Attr("standard_cost_code_id", "int"),
    Attr("origin_id"),
    Attr("origin_data", max_length=10_000),
)
COST_CODE_READ_ONLY = (
    "id",
    "full_code",
    "parent",
    "biller",
    "biller_id",
    "biller_type",
    "budgeted",
    "line_item_types",
    "sub_job_id",
    "created_at",
    "updated_at",
    "deleted_at",
)


async def list_cost_codes(request: Request, caller: Caller) -> Response:
    project = caller.project(request.query_params.get("project_id"))
    state = caller.state
    clauses, params = ["project_id = ? AND deleted_at IS NULL"], [project["id"]]
    sub_job = request.query_params.get("sub_job_id")
    if sub_job is not None:
        clauses.append("sub_job_id = ?")
        params.append(int_param(sub_job, "sub_job_id"))
    result = run_list(
        state.store, COST_CODES, request, (" AND ".join(clauses), params), state.variants, state.faults
    )
    view = request.query_params.get("view", "normal")
    return JsonResponse(
        render.cost_codes(state.store, result.rows, view), headers=paging_headers(request, result)
    )


def _cost_code(caller: Caller, project: dict, cost_code_id: int) -> dict[str, Any]:
    row = caller.state.store.get("cost_codes", cost_code_id)
    if row is None or row["project_id"] != project["id"] or row["deleted_at"]:
        raise not_found("Cost code not found")
    return row


async def show_cost_code(request: Request, caller: Caller) -> Response:
    project = caller.project(request.query_params.get("project_id"))
    row = _cost_code(caller, project, path_id(request))
    return JsonResponse(render.cost_codes(caller.state.store, [row])[0])


def _cost_code_values(caller: Caller, project: dict, payload: dict, existing: dict | None) -> dict[str, Any]:
    store = caller.state.store
    values = coerce(
        payload,
        COST_CODE_ATTRS,
        creating=existing is None,
        read_only=COST_CODE_READ_ONLY,
        variants=caller.state.variants,
    )
    errors: dict[str, list[str]] = {}
    parent_id = values["parent_id"] if "parent_id" in values else (existing or {}).get("parent_id")
    parent = None
    if parent_id is not None:
        parent = store.get("cost_codes", parent_id)
        if parent is None or parent["project_id"] != project["id"] or parent["deleted_at"]:
            errors["parent_id"] = ["does not exist on this project"]
            parent = None
        elif existing is not None and parent_id == existing["id"]:
            errors["parent_id"] = ["can't be the cost code itself"]
    code = values.get("code", (existing or {}).get("code"))
    if code and not errors:
        clash = store.one(
            "SELECT id FROM cost_codes WHERE project_id = ? AND code = ? AND parent_id IS ? AND id != ? "
            "AND deleted_at IS NULL",
            (project["id"], code, parent_id, existing["id"] if existing else -1),
        )
        if clash:
            errors["code"] = ["has already been taken"]
    if errors:
        raise ValidationFailed(errors)
    if "code" in values or "parent_id" in values:
        values["full_code"] = f"{parent['full_code']}-{code}" if parent else code
    check_origin(store, "cost_codes", project["company_id"], values, existing, caller)
    return values


def create_cost_code(caller: Caller, project: dict, payload: dict) -> dict:
    store = caller.state.store
    values = _cost_code_values(caller, project, payload, None)
    now = now_stamp()
    row = {
        "company_id": project["company_id"],
        "project_id": project["id"],
        "created_at": now,
        "updated_at": now,
        **values,
    }
    cost_code_id = store.insert("cost_codes", row)
    caller.state.emit("cost_code", "create", cost_code_id, project_id=project["id"], origin=caller.origin)
    return store.get("cost_codes", cost_code_id)


def update_cost_code(caller: Caller, project: dict, existing: dict, payload: dict) -> dict:
    store = caller.state.store
    values = _cost_code_values(caller, project, payload, existing)
    changed = {k: v for k, v in values.items() if existing.get(k) != v}
    if changed:
        changed["updated_at"] = now_stamp()
        store.update("cost_codes", existing["id"], changed)
        caller.state.emit(
            "cost_code", "update", existing["id"], project_id=project["id"], origin=caller.origin
        )
    return store.get("cost_codes", existing["id"])


async def post_cost_code(request: Request, caller: Caller) -> Response:
    body = await json_body(request)
    project = caller.project(param(request, body, "project_id"))
    row = create_cost_code(caller, project, expect_object(body.get("cost_code"), "cost_code"))
    return JsonResponse(render.cost_codes(caller.state.store, [row])[0], status_code=201)


async def patch_cost_code(request: Request, caller: Caller) -> Response:
    body = await json_body(request)
    project = caller.project(param(request, body, "project_id"))
    existing = _cost_code(caller, project, path_id(request))
    row = update_cost_code(caller, project, existing, expect_object(body.get("cost_code"), "cost_code"))
    return JsonResponse(render.cost_codes(caller.state.store, [row])[0])


async def sync_cost_codes(request: Request, caller: Caller) -> Response:
    body = await json_body(request)
    project = caller.project(param(request, body, "project_id"))
    store = caller.state.store

    def by_id(cost_code_id: int) -> dict | None:
        row = store.get("cost_codes", cost_code_id)
        return row if row and row["project_id"] == project["id"] and not row["deleted_at"] else None

    def by_origin(origin: str) -> dict | None:
        row = store.one(
            "SELECT * FROM cost_codes WHERE company_id = ? AND origin_id = ?", (project["company_id"], origin)
        )
        if row is not None and row["project_id"] != project["id"]:
            raise ValidationFailed(
                {"origin_id": ["has already been taken"]},
                status=caller.state.variants.origin_id_conflict_status,
            )
        return row

    return run_sync(
        body,
        find_by_id=by_id,
        find_by_origin=by_origin,
        create=lambda row: create_cost_code(caller, project, row),
        update=lambda existing, row: update_cost_code(caller, project, existing, row),
        render=lambda rows: render.cost_codes(store, rows),
    )


STANDARD_CODES = ListSpec(table="standard_cost_codes", filters=(Filter("origin_id", "eq", "origin_id"),))


async def list_standard_cost_codes(request: Request, caller: Caller) -> Response:
    company_id = caller.company(request.query_params.get("company_id"))
    state = caller.state
    clauses, params = ["company_id = ?"], [company_id]
    list_id = request.query_params.get("standard_cost_code_list_id")
    if list_id is not None:
        clauses.append("list_id = ?")
        params.append(int_param(list_id, "standard_cost_code_list_id"))
    result = run_list(
        state.store, STANDARD_CODES, request, (" AND ".join(clauses), params), state.variants, state.faults
    )
    return JsonResponse(render.standard_cost_codes(result.rows), headers=paging_headers(request, result))


async def list_standard_cost_code_lists(request: Request, caller: Caller) -> Response:
    company_id = caller.company(request.query_params.get("company_id"))
    rows = caller.state.store.all(
        "SELECT * FROM standard_cost_code_lists WHERE company_id = ? ORDER BY id", (company_id,)
    )
    return JsonResponse(
        [
            {"id": r["id"], "name": r["name"], "created_at": r["created_at"], "updated_at": r["updated_at"]}
            for r in rows
        ]
    )


# -- budget ---------------------------------------------------------------------------------------------

DETAIL_ROWS = ListSpec(
    table="budget_line_items",
    filters=(Filter("cost_code_id", "eq", "cost_code_id", integer=True),),
)
BUDGET_ATTRS = (
    Attr("cost_code_id", "int", required=True, nullable=False),
    Attr("line_item_type_id", "int", required=True, nullable=False),
    Attr("original_budget_amount", "float", nullable=False),
    Attr("uom"),
    Attr("quantity", "float"),
    Attr("unit_cost", "float"),
    Attr("calculation_strategy", "enum", nullable=False, choices=("automatic", "manual")),
    Attr("budget_forecast", "float", nullable=False),
    Attr("currency_iso_code", max_length=3),
    Attr("origin_id"),
    Attr("origin_data", max_length=10_000),
)
BUDGET_READ_ONLY = (
    "id",
    "approved_budget_changes",
    "revised_budget",
    "pending_budget_changes",
    "projected_budget",
    "committed_costs",
    "direct_costs",
    "pending_cost_changes",
    "projected_costs",
    "estimated_cost_at_completion",
    "projected_over_under",
    "cost_code",
    "division",
    "line_item_type",
    "currency_configuration",
    "created_at",
    "updated_at",
)


async def list_budget_views(request: Request, caller: Caller) -> Response:
    project = caller.project(request.query_params.get("project_id"))
    rows = caller.state.store.all(
        "SELECT * FROM budget_views WHERE project_id = ? ORDER BY id", (project["id"],)
    )
    return JsonResponse(
        [
            {
                "id": r["id"],
                "name": r["name"],
                "description": r["description"],
                "created_at": r["created_at"],
                "updated_at": r["updated_at"],
            }
            for r in rows
        ]
    )


def _view_for(request: Request, caller: Caller) -> tuple[dict, dict]:
    project = caller.project(request.query_params.get("project_id"))
    view_id = int_param(request.path_params.get("budget_view_id"), "budget_view_id")
    view = caller.state.store.get("budget_views", view_id)
    if view is None or view["project_id"] != project["id"]:
        raise not_found("Budget view not found")
    return project, view


async def detail_rows(request: Request, caller: Caller) -> Response:
    project, view = _view_for(request, caller)
    state = caller.state
    spec = (
        DETAIL_ROWS if state.variants.paginate_budget_detail_rows else replace(DETAIL_ROWS, paginated=False)
    )
    result = run_list(
        state.store, spec, request, ("project_id = ?", [project["id"]]), state.variants, state.faults
    )
    rows = render.budget_line_items(state.store, result.rows)
    body = [{"budget_view_id": view["id"], "budget_line_item_id": row["id"], **row} for row in rows]
    return JsonResponse(body, headers=paging_headers(request, result))


async def summary_rows(request: Request, caller: Caller) -> Response:
    """One row per division (parent cost code) with the ids of its budget lines and their totals."""
    project, view = _view_for(request, caller)
    store = caller.state.store
    lines = render.budget_line_items(
        store, store.all("SELECT * FROM budget_line_items WHERE project_id = ? ORDER BY id", (project["id"],))
    )
    groups: dict[str, dict[str, Any]] = {}
    money = (
        "original_budget_amount",
        "revised_budget",
        "committed_costs",
        "projected_costs",
        "budget_forecast",
        "estimated_cost_at_completion",
        "projected_over_under",
    )
    for line in lines:
        key = line["division"] or "Unassigned"
        group = groups.setdefault(
            key,
            {
                "budget_view_id": view["id"],
                "description": key,
                "budget_line_item_ids": [],
                **dict.fromkeys(money, 0.0),
            },
        )
        group["budget_line_item_ids"].append(line["id"])
        for name in money:
            group[name] = round(group[name] + line[name], 2)
    return JsonResponse(list(groups.values()))


def _budget_line(caller: Caller, project: dict, line_id: int) -> dict:
    row = caller.state.store.get("budget_line_items", line_id)
    if row is None or row["project_id"] != project["id"]:
        raise not_found("Budget line item not found")
    return row


async def show_budget_line(request: Request, caller: Caller) -> Response:
    project = caller.project(request.query_params.get("project_id"))
    row = _budget_line(caller, project, path_id(request))
    return JsonResponse(render.budget_line_items(caller.state.store, [row])[0])


def _budget_values(caller: Caller, project: dict, payload: dict, existing: dict | None) -> dict[str, Any]:
    store = caller.state.store
    values = coerce(
        payload,
        BUDGET_ATTRS,
        creating=existing is None,
        read_only=BUDGET_READ_ONLY,
        variants=caller.state.variants,
    )
    currency = values.pop("currency_iso_code", None)
    if currency is not None and currency.upper() != project["currency_iso_code"]:
        raise unprocessable("Unprocessable Currency")
    errors: dict[str, list[str]] = {}
    cost_code_id = values.get("cost_code_id", (existing or {}).get("cost_code_id"))
    type_id = values.get("line_item_type_id", (existing or {}).get("line_item_type_id"))
    if "cost_code_id" in values:
        code = store.get("cost_codes", cost_code_id)
        if code is None or code["project_id"] != project["id"] or code["deleted_at"]:
            errors["cost_code_id"] = ["does not exist on this project"]
    if "line_item_type_id" in values:
        kind = store.get("line_item_types", type_id)
        if kind is None or kind["company_id"] != project["company_id"]:
            errors["line_item_type_id"] = ["does not exist"]
    if not errors and ("cost_code_id" in values or "line_item_type_id" in values):
        clash = store.one(
            "SELECT id FROM budget_line_items WHERE project_id = ? AND cost_code_id = ? "
            "AND line_item_type_id = ? AND id != ?",
            (project["id"], cost_code_id, type_id, existing["id"] if existing else -1),
        )
        if clash:
            errors["cost_code_id"] = ["already has a budget line item with this cost type"]
    if errors:
        raise ValidationFailed(errors)
    if values.get("quantity") is not None and values.get("unit_cost") is not None:
        values.setdefault("original_budget_amount", round(values["quantity"] * values["unit_cost"], 2))
    check_origin(store, "budget_line_items", project["company_id"], values, existing, caller)
    return values


def create_budget_line(caller: Caller, project: dict, payload: dict) -> dict:
    store = caller.state.store
    values = _budget_values(caller, project, payload, None)
    now = now_stamp()
    row = {
        "company_id": project["company_id"],
        "project_id": project["id"],
        "original_budget_amount": 0.0,
        "calculation_strategy": "automatic",
        "currency_iso_code": project["currency_iso_code"],
        "created_at": now,
        "updated_at": now,
        **values,
    }
    line_id = store.insert("budget_line_items", row)
    store.update("cost_codes", row["cost_code_id"], {"budgeted": 1})
    caller.state.emit("budget_line_item", "create", line_id, project_id=project["id"], origin=caller.origin)
    return store.get("budget_line_items", line_id)


def update_budget_line(caller: Caller, project: dict, existing: dict, payload: dict) -> dict:
    store = caller.state.store
    values = _budget_values(caller, project, payload, existing)
    changed = {k: v for k, v in values.items() if existing.get(k) != v}
    if changed:
        changed["updated_at"] = now_stamp()
        store.update("budget_line_items", existing["id"], changed)
        caller.state.emit(
            "budget_line_item", "update", existing["id"], project_id=project["id"], origin=caller.origin
        )
    return store.get("budget_line_items", existing["id"])


async def post_budget_line(request: Request, caller: Caller) -> Response:
    body = await json_body(request)
    project = caller.project(param(request, body, "project_id"))
    row = create_budget_line(caller, project, expect_object(body.get("budget_line_item"), "budget_line_item"))
    return JsonResponse(render.budget_line_items(caller.state.store, [row])[0], status_code=201)


async def patch_budget_line(request: Request, caller: Caller) -> Response:
    body = await json_body(request)
    project = caller.project(param(request, body, "project_id"))
    existing = _budget_line(caller, project, path_id(request))
    payload = expect_object(body.get("budget_line_item"), "budget_line_item")
    row = update_budget_line(caller, project, existing, payload)
    return JsonResponse(render.budget_line_items(caller.state.store, [row])[0])


async def sync_budget_lines(request: Request, caller: Caller) -> Response:
    body = await json_body(request)
    project = caller.project(param(request, body, "project_id"))
    store = caller.state.store

    def by_id(line_id: int) -> dict | None:
        row = store.get("budget_line_items", line_id)
        return row if row and row["project_id"] == project["id"] else None

    return run_sync(
        body,
        find_by_id=by_id,
        find_by_origin=lambda origin: store.one(
            "SELECT * FROM budget_line_items WHERE project_id = ? AND origin_id = ?", (project["id"], origin)
        ),
        create=lambda row: create_budget_line(caller, project, row),
        update=lambda existing, row: update_budget_line(caller, project, existing, row),
        render=lambda rows: render.budget_line_items(store, rows),
    )
