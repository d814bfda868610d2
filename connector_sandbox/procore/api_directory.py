"""Company-level routes: ``/me``, companies, projects, and the company / project vendor directory.

Vendors are what the JD Edwards side writes (suppliers from F0101/F0401 become Procore vendors, keyed
by ``origin_id``), so their create / update / sync carry the full validation: Rails-worded field errors
(422), ``origin_id`` uniqueness and ownership (409), unknown attributes (406).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from . import render
from .clock import now_stamp
from .errors import ValidationFailed, not_found
from .listing import Filter, ListSpec, paging_headers, run_list
from .routing import Caller, JsonResponse, int_param, json_body, param, path_id
from .validation import Attr, coerce, expect_object
from .writes import check_origin, run_sync

# -- me, companies, projects ------------------------------------------------------------------------


async def me(request: Request, caller: Caller) -> Response:
    user = caller.state.store.get("users", caller.client.service_account_user_id)
    return JsonResponse(
        {
            "id": caller.client.service_account_user_id,
            "login": user["login"] if user else None,
            "name": caller.client.service_account_name,
        }
    )


async def companies(request: Request, caller: Caller) -> Response:
    rows = caller.state.store.all("SELECT * FROM companies WHERE connected = 1 ORDER BY id")
    return JsonResponse([render.company(row) for row in rows])


PROJECTS = ListSpec(
    table="projects",
    filters=(
        Filter("id", "eq", "id", integer=True),
        Filter("origin_id", "eq", "origin_id"),
        Filter("created_at", "range", "created_at"),
        Filter("updated_at", "range", "updated_at"),
        Filter("active", "bool", "active"),
    ),
)


async def list_projects(request: Request, caller: Caller) -> Response:
    company_id = caller.company(request.query_params.get("company_id"))
    state = caller.state
    # A DMSA sees only the projects an admin permitted it (reference 1).
    scope = ("company_id = ? AND permitted = 1", [company_id])
    result = run_list(state.store, PROJECTS, request, scope, state.variants, state.faults)
    return JsonResponse(render.projects(state.store, result.rows), headers=paging_headers(request, result))


async def show_project(request: Request, caller: Caller) -> Response:
    caller.company(request.query_params.get("company_id"))
    project = caller.project(path_id(request), name="id")
    return JsonResponse(render.projects(caller.state.store, [project])[0])


# -- vendors ----------------------------------------------------------------------------------------

VENDOR_ATTRS = (
    Attr("name", required=True, nullable=False),
    Attr("abbreviated_name"),
    Attr("trade_name"),
    Attr("legal_name"),
    Attr("address"),
    Attr("city"),
    Attr("state_code", max_length=10),
    Attr("zip"),
    Attr("country_code", "country"),
    Attr("business_phone"),
    Attr("mobile_phone"),
    Attr("fax_number"),
    Attr("email_address", "email"),
    Attr("website"),
    Attr("is_active", "bool", nullable=False),
    Attr("license_number"),
    Attr("union_member", "bool", nullable=False),
    Attr("labor_union"),
    Attr("prequalified", "bool", nullable=False),
    Attr("authorized_bidder", "bool", nullable=False),
    Attr("notes", max_length=10_000),
    Attr("origin_id"),
    Attr("origin_code"),
    Attr("origin_data", max_length=10_000),
    Attr("synced_to_erp", "bool", nullable=False),
    Attr("parent_id", "int"),
)
# Shown but not writable: ignored in bodies. trade_ids / business_register are checked separately.
VENDOR_READ_ONLY = (
    "id",
    "created_at",
    "updated_at",
    "parent",
    "trades",
    "vendor_group",
    "primary_contact",
    "standard_cost_codes",
    "project_ids",
    "trade_ids",
    "business_register",
)
REGISTER_TYPES = ("ABN", "EIN")

VENDORS = ListSpec(
    table="vendors",
    filters=(
        Filter("origin_id", "eq", "origin_id"),
        Filter("search", "search", "name"),
        Filter("created_at", "range", "created_at"),
        Filter("updated_at", "range", "updated_at"),
        Filter("id", "eq", "id", integer=True),
        Filter("parent_id", "eq", "parent_id", integer=True),
        Filter("trade_id", "json_in", "trade_ids", integer=True),
        Filter("standard_cost_code_id", "json_in", "standard_cost_code_ids", integer=True),
    ),
    sortable=("id", "name", "created_at", "updated_at", "origin_id"),
)


def _vendor_view(request: Request) -> str:
    view = request.query_params.get("view", "extended")
    return view if view in {"compact", "normal", "extended"} else "extended"


async def list_vendors(request: Request, caller: Caller) -> Response:
    company_id = caller.company(request.query_params.get("company_id"))
    state = caller.state
    active = "" if state.variants.vendor_list_includes_inactive else " AND is_active = 1"
    result = run_list(
        state.store, VENDORS, request, (f"company_id = ?{active}", [company_id]), state.variants, state.faults
    )
    body = render.vendors(state.store, result.rows, _vendor_view(request))
    return JsonResponse(body, headers=paging_headers(request, result))


async def list_inactive_vendors(request: Request, caller: Caller) -> Response:
    company_id = caller.company(request.path_params.get("company_id"))
    state = caller.state
    result = run_list(
        state.store,
        VENDORS,
        request,
        ("company_id = ? AND is_active = 0", [company_id]),
        state.variants,
        state.faults,
    )
    body = render.vendors(state.store, result.rows, _vendor_view(request))
    return JsonResponse(body, headers=paging_headers(request, result))


def _company_vendor(caller: Caller, vendor_id: int, company_id: int) -> dict[str, Any]:
    row = caller.state.store.get("vendors", vendor_id)
    if row is None or row["company_id"] != company_id:
        raise not_found("Vendor not found")
    return row


async def show_vendor(request: Request, caller: Caller) -> Response:
    company_id = caller.company(request.query_params.get("company_id"))
    row = _company_vendor(caller, path_id(request), company_id)
    return JsonResponse(render.vendors(caller.state.store, [row], _vendor_view(request))[0])


def _vendor_values(
    caller: Caller, company_id: int, payload: dict[str, Any], existing: dict[str, Any] | None
) -> dict[str, Any]:
    store = caller.state.store
    values = coerce(
        payload,
        VENDOR_ATTRS,
        creating=existing is None,
        read_only=VENDOR_READ_ONLY,
        variants=caller.state.variants,
    )
    errors: dict[str, list[str]] = {}
    if values.get("parent_id") is not None:
        parent = store.get("vendors", values["parent_id"])
        if parent is None or parent["company_id"] != company_id:
            errors["parent_id"] = ["does not exist"]
        elif existing is not None and parent["id"] == existing["id"]:
            errors["parent_id"] = ["can't be the vendor itself"]
    if "trade_ids" in payload:
        trade_ids = payload["trade_ids"]
        known = {row["id"] for row in store.all("SELECT id FROM trades WHERE company_id = ?", (company_id,))}
        if not isinstance(trade_ids, list) or not all(isinstance(t, int) and t in known for t in trade_ids):
            errors["trade_ids"] = ["must be an array of existing trade ids"]
        else:
            values["trade_ids"] = json.dumps(sorted(set(trade_ids)))
    if "business_register" in payload:
        register = payload["business_register"]
        if register is None:
            values["business_register"] = None
        elif (
            not isinstance(register, dict)
            or register.get("type") not in REGISTER_TYPES
            or not str(register.get("identifier") or "").strip()
        ):
            errors["business_register"] = [f"must have type ({', '.join(REGISTER_TYPES)}) and identifier"]
        else:
            values["business_register"] = json.dumps(
                {
                    "type": register["type"],
                    "identifier": str(register["identifier"]),
                    "verification_status": "unverified",
                }
            )
    if errors:
        raise ValidationFailed(errors)
    check_origin(store, "vendors", company_id, values, existing, caller)
    return values


def create_vendor(
    caller: Caller, company_id: int, payload: dict[str, Any], project_ids: list[int] | None = None
) -> dict[str, Any]:
    store = caller.state.store
    values = _vendor_values(caller, company_id, payload, None)
    now = now_stamp()
    row = {
        "company_id": company_id,
        "is_active": 1,
        "trade_ids": "[]",
        "standard_cost_code_ids": "[]",
        "project_ids": json.dumps(sorted(project_ids or [])),
        "created_at": now,
        "updated_at": now,
        **values,
    }
    if "name" in values and "legal_name" not in values:
        row["legal_name"] = values["name"]
    vendor_id = store.insert("vendors", row)
    caller.state.emit("vendor", "create", vendor_id, project_id=None, origin=caller.origin)
    for project_id in project_ids or []:
        caller.state.emit("project_vendor", "create", vendor_id, project_id=project_id, origin=caller.origin)
    return store.get("vendors", vendor_id)


def update_vendor(caller: Caller, existing: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    store = caller.state.store
    values = _vendor_values(caller, existing["company_id"], payload, existing)
    changed = {k: v for k, v in values.items() if existing.get(k) != v}
    if changed:
        changed["updated_at"] = now_stamp()
        store.update("vendors", existing["id"], changed)
        caller.state.emit("vendor", "update", existing["id"], project_id=None, origin=caller.origin)
        for project_id in json.loads(existing["project_ids"]):
            caller.state.emit(
                "project_vendor", "update", existing["id"], project_id=project_id, origin=caller.origin
            )
    return store.get("vendors", existing["id"])


async def post_vendor(request: Request, caller: Caller) -> Response:
    body = await json_body(request)
    company_id = caller.company(param(request, body, "company_id"))
    row = create_vendor(caller, company_id, expect_object(body.get("vendor"), "vendor"))
    return JsonResponse(render.vendors(caller.state.store, [row])[0], status_code=201)


async def patch_vendor(request: Request, caller: Caller) -> Response:
    body = await json_body(request)
    company_id = caller.company(param(request, body, "company_id"))
    existing = _company_vendor(caller, path_id(request), company_id)
    row = update_vendor(caller, existing, expect_object(body.get("vendor"), "vendor"))
    return JsonResponse(render.vendors(caller.state.store, [row])[0])


async def sync_vendors(request: Request, caller: Caller) -> Response:
    body = await json_body(request)
    company_id = caller.company(param(request, body, "company_id"))
    store = caller.state.store

    def by_id(vendor_id: int) -> dict[str, Any] | None:
        row = store.get("vendors", vendor_id)
        return row if row and row["company_id"] == company_id else None

    return run_sync(
        body,
        find_by_id=by_id,
        find_by_origin=lambda origin: store.one(
            "SELECT * FROM vendors WHERE company_id = ? AND origin_id = ?", (company_id, origin)
        ),
        create=lambda row: create_vendor(caller, company_id, row),
        update=lambda existing, row: update_vendor(caller, existing, row),
        render=lambda rows: render.vendors(store, rows),
    )


PROJECT_VENDORS = ListSpec(
    table="vendors",
    filters=(
        Filter("origin_id", "eq", "origin_id"),
        Filter("search", "search", "name"),
        Filter("updated_at", "range", "updated_at"),
        Filter("id", "eq", "id", integer=True),
    ),
    sortable=("id", "name", "updated_at"),
)


async def list_project_vendors(request: Request, caller: Caller) -> Response:
    project = caller.project(request.path_params.get("project_id"))
    state = caller.state
    scope = ("EXISTS (SELECT 1 FROM json_each(project_ids) WHERE value = ?)", [project["id"]])
    result = run_list(state.store, PROJECT_VENDORS, request, scope, state.variants, state.faults)
    body = render.vendors(state.store, result.rows, _vendor_view(request))
    return JsonResponse(body, headers=paging_headers(request, result))


async def post_project_vendor(request: Request, caller: Caller) -> Response:
    """Add a company vendor to the project directory (``{"vendor": {"id"}}``) or create one there."""
    project = caller.project(request.path_params.get("project_id"))
    body = await json_body(request)
    payload = expect_object(body.get("vendor"), "vendor")
    store = caller.state.store
    if payload.get("id") is not None and set(payload) == {"id"}:
        existing = _company_vendor(caller, int_param(payload["id"], "vendor.id"), project["company_id"])
        projects = set(json.loads(existing["project_ids"]))
        if project["id"] not in projects:
            store.update(
                "vendors",
                existing["id"],
                {
                    "project_ids": json.dumps(sorted(projects | {project["id"]})),
                    "updated_at": now_stamp(),
                },
            )
            caller.state.emit(
                "project_vendor", "create", existing["id"], project_id=project["id"], origin=caller.origin
            )
        row = store.get("vendors", existing["id"])
    else:
        row = create_vendor(caller, project["company_id"], payload, [project["id"]])
    return JsonResponse(render.vendors(store, [row])[0], status_code=201)
