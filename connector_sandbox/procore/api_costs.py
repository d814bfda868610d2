"""Cost codes (project and company standard lists) and the budget, read through budget views.

There is no v1.0 "list budget line items" endpoint: budget lines are listed through
``/budget_views/{id}/detail_rows`` (one row per line) and grouped in ``summary_rows``. Budget money is
floats, unlike commitments. ``POST /budget_line_items/sync`` is a POST (not a PATCH like the other sync
actions), as the reference lists it.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from . import render
from .errors import ValidationFailed, unprocessable
from .listing import ListSpec, eq, paging_headers, run_list
from .resource import Entity, Writable, in_company, in_project, list_handler, project_param
from .routing import Caller, Handler, JsonResponse, int_param
from .validation import Attr, Fields
from .writes import check_origin, origin_taken, taken

# -- cost codes -----------------------------------------------------------------------------------------

COST_CODES = ListSpec(table="cost_codes", filters=eq("origin_id"))
COST_CODE_FIELDS = Fields(
    (
        Attr("code", required=True, nullable=False, max_length=50),
        Attr("name", required=True, nullable=False),
        Attr("parent_id", "int"),
        Attr("position", "int"),
        Attr("standard_cost_code_id", "int"),
        Attr("origin_id"),
        Attr("origin_data", max_length=10_000),
    ),
    read_only=(
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
    ),
)


COST_CODE = Entity("cost_codes", "project_id", "Cost code not found", soft_delete=True)
LINE_ITEM_TYPE = Entity(
    "line_item_types", "company_id", "Line item type not found"
)  # the company's cost types


def _cost_code_values(caller: Caller, project: dict, payload: dict, existing: dict | None) -> dict[str, Any]:
    store = caller.state.store
    values = COST_CODE_FIELDS.coerce(payload, creating=existing is None, variants=caller.state.variants)
    errors: dict[str, list[str]] = {}
    parent_id = values["parent_id"] if "parent_id" in values else (existing or {}).get("parent_id")
    parent = None
    if parent_id is not None:
        parent = COST_CODE.find(store, project["id"], parent_id)
        if parent is None:
            errors["parent_id"] = ["does not exist on this project"]
        elif existing is not None and parent_id == existing["id"]:
            errors["parent_id"] = ["can't be the cost code itself"]
    code = values.get("code", (existing or {}).get("code"))
    if code and not errors:
        siblings = "project_id = ? AND code = ? AND parent_id IS ? AND deleted_at IS NULL"
        if taken(store, "cost_codes", siblings, (project["id"], code, parent_id), existing):
            errors["code"] = ["has already been taken"]
    if errors:
        raise ValidationFailed(errors)
    if "code" in values or "parent_id" in values:
        values["full_code"] = f"{parent['full_code']}-{code}" if parent else code
    check_origin(store, "cost_codes", project["company_id"], values, existing, caller)
    return values


def create_cost_code(caller: Caller, project: dict, payload: dict) -> dict:
    values = _cost_code_values(caller, project, payload, None)
    row = {"company_id": project["company_id"], "project_id": project["id"], **values}
    return COST_CODE.created(caller, row, "cost_code", project["id"])


def update_cost_code(caller: Caller, project: dict, existing: dict, payload: dict) -> dict:
    values = _cost_code_values(caller, project, payload, existing)
    return COST_CODE.updated(caller, existing, values, "cost_code", project["id"])


def _cost_code_by_origin(caller: Caller, project: dict, origin: str) -> dict | None:
    row = COST_CODE.by_origin(caller.state.store, "company_id", project["company_id"], origin)
    if row is not None and row["project_id"] != project["id"]:
        raise origin_taken(caller.state.variants)
    return row


COST_CODES_API = Writable(
    entity=COST_CODE,
    parent=project_param,
    render=render.cost_codes,
    body_key="cost_code",
    create=create_cost_code,
    update=update_cost_code,
    by_origin=_cost_code_by_origin,
)
list_cost_codes = list_handler(
    COST_CODES,
    in_project("project_id = ? AND deleted_at IS NULL", sub_job_id="sub_job_id"),
    render.cost_codes,
    view="normal",
)


STANDARD_CODES = ListSpec(table="standard_cost_codes", filters=eq("origin_id"))


list_standard_cost_codes = list_handler(
    STANDARD_CODES,
    in_company(standard_cost_code_list_id="list_id"),
    lambda store, rows: render.standard_cost_codes(rows),
)


async def list_standard_cost_code_lists(request: Request, caller: Caller) -> Response:
    company_id = caller.company(request.query_params.get("company_id"))
    rows = caller.state.store.all(
        "SELECT * FROM standard_cost_code_lists WHERE company_id = ? ORDER BY id", (company_id,)
    )
    return JsonResponse(render.fields(rows, "id", "name"))


# -- budget ---------------------------------------------------------------------------------------------

DETAIL_ROWS = ListSpec(
    table="budget_line_items",
    filters=eq("cost_code_id", integer=True),
)
BUDGET_FIELDS = Fields(
    (
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
    ),
    read_only=(
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
    ),
)


BUDGET_VIEW = Entity("budget_views", "project_id", "Budget view not found")
BUDGET_LINE = Entity("budget_line_items", "project_id", "Budget line item not found")


async def list_budget_views(request: Request, caller: Caller) -> Response:
    project = caller.project(request.query_params.get("project_id"))
    rows = caller.state.store.all(
        "SELECT * FROM budget_views WHERE project_id = ? ORDER BY id", (project["id"],)
    )
    return JsonResponse(render.fields(rows, "id", "name", "description", "created_at", "updated_at"))


def _view_for(request: Request, caller: Caller) -> tuple[dict, dict]:
    project = caller.project(request.query_params.get("project_id"))
    view_id = int_param(request.path_params.get("budget_view_id"), "budget_view_id")
    return project, BUDGET_VIEW.get(caller.state.store, project["id"], view_id)


async def detail_rows(request: Request, caller: Caller) -> Response:
    project, view = _view_for(request, caller)
    state = caller.state
    spec = DETAIL_ROWS.paged(state.variants.paginate_budget_detail_rows)
    result = run_list(
        state.store, spec, request, ("project_id = ?", [project["id"]]), state.variants, state.faults
    )
    rows = render.budget_line_items(state.store, result.rows)
    body = [_detail_row(view["id"], row, raw) for row, raw in zip(rows, result.rows, strict=True)]
    return JsonResponse(body, headers=paging_headers(request, result))


def _detail_row(view_id: int, row: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    """A budget line as a view's detail row (SDK model of detail_rows): the view's columns are open, but
    the named ones have Procore's types: amounts as strings, the cost code as its code, the forecast an
    object (not simulated, so left out)."""
    out = {"budget_view_id": view_id, "budget_line_item_id": row["id"], **row}
    code = out.get("cost_code")
    out["cost_code"] = code.get("full_code") if isinstance(code, dict) else code
    out["cost_code_id"] = code.get("id") if isinstance(code, dict) else None
    out["original_budget_amount"] = f"{float(out['original_budget_amount']):.2f}"
    out.pop("budget_forecast", None)
    for name in ("origin_id", "origin_data", "created_at", "updated_at"):  # a view's own columns
        out[name] = raw[name]
    return out


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
        division = line["division"]
        key = f"{division['full_code']} - {division['name']}" if division else "Unassigned"
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
    return JsonResponse([_summary_row(group) for group in groups.values()])


def _summary_row(group: dict[str, Any]) -> dict[str, Any]:
    """A view's summary row with the SDK's types for the columns it names: the original budget a string,
    the forecast an object (not simulated, so left out); the view's other columns are open."""
    out = dict(group)
    out["original_budget_amount"] = f"{out['original_budget_amount']:.2f}"
    out.pop("budget_forecast", None)
    return out


def _budget_values(caller: Caller, project: dict, payload: dict, existing: dict | None) -> dict[str, Any]:
    store = caller.state.store
    values = BUDGET_FIELDS.coerce(payload, creating=existing is None, variants=caller.state.variants)
    currency = values.pop("currency_iso_code", None)
    if currency is not None and currency.upper() != project["currency_iso_code"]:
        raise unprocessable("Unprocessable Currency")
    errors: dict[str, list[str]] = {}
    cost_code_id = values.get("cost_code_id", (existing or {}).get("cost_code_id"))
    type_id = values.get("line_item_type_id", (existing or {}).get("line_item_type_id"))
    if "cost_code_id" in values and COST_CODE.find(store, project["id"], cost_code_id) is None:
        errors["cost_code_id"] = ["does not exist on this project"]
    if "line_item_type_id" in values and LINE_ITEM_TYPE.find(store, project["company_id"], type_id) is None:
        errors["line_item_type_id"] = ["does not exist"]
    if not errors and ("cost_code_id" in values or "line_item_type_id" in values):
        pair = "project_id = ? AND cost_code_id = ? AND line_item_type_id = ?"
        if taken(store, "budget_line_items", pair, (project["id"], cost_code_id, type_id), existing):
            errors["cost_code_id"] = ["already has a budget line item with this cost type"]
    if errors:
        raise ValidationFailed(errors)
    if values.get("quantity") is not None and values.get("unit_cost") is not None:
        values.setdefault("original_budget_amount", round(values["quantity"] * values["unit_cost"], 2))
    check_origin(store, "budget_line_items", project["company_id"], values, existing, caller)
    return values


def create_budget_line(caller: Caller, project: dict, payload: dict) -> dict:
    values = _budget_values(caller, project, payload, None)
    row = {
        "company_id": project["company_id"],
        "project_id": project["id"],
        "original_budget_amount": 0.0,
        "calculation_strategy": "automatic",
        "currency_iso_code": project["currency_iso_code"],
        **values,
    }
    row = BUDGET_LINE.created(caller, row, "budget_line_item", project["id"])
    caller.state.store.update("cost_codes", row["cost_code_id"], {"budgeted": 1})
    return row


def update_budget_line(caller: Caller, project: dict, existing: dict, payload: dict) -> dict:
    values = _budget_values(caller, project, payload, existing)
    return BUDGET_LINE.updated(caller, existing, values, "budget_line_item", project["id"])


BUDGET_LINES_API = Writable(
    entity=BUDGET_LINE,
    parent=project_param,
    render=render.budget_line_items,
    body_key="budget_line_item",
    create=create_budget_line,
    update=update_budget_line,
    by_origin=lambda caller, project, origin: BUDGET_LINE.by_origin(
        caller.state.store, "project_id", project["id"], origin
    ),
)


# The v1.1 budget line item (SDK RestV11BudgetLineItemsPost201Response): the line's own figures only.
_V11_BUDGET_FIELDS = ("id", "original_budget_amount", "uom", "quantity", "unit_cost", "calculation_strategy")


def v11_budget_line(handler: Handler) -> Handler:
    """The v1.0 show / update, answered in v1.1's smaller shape."""

    async def answer(request: Request, caller: Caller) -> Response:
        response = await handler(request, caller)
        if response.status_code != 200:
            return response
        full = json.loads(response.body)
        kept = {name: full.get(name) for name in _V11_BUDGET_FIELDS}
        kept["currency_configuration"] = full.get("currency_configuration")
        return JsonResponse(kept, headers={k: v for k, v in response.headers.items() if k.startswith("x-")})

    return answer
