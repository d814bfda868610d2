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
from .errors import ValidationFailed
from .listing import STAMPS, Filter, ListSpec, eq
from .resource import (
    Entity,
    Scope,
    Writable,
    company_param,
    in_company,
    in_project,
    list_handler,
    project_in_path,
)
from .routing import Caller, JsonResponse, int_param, json_body, path_id
from .validation import Attr, Fields, refuse_read_only, refuse_unknown
from .writes import check_origin

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
        *eq("id", integer=True),
        *eq("origin_id"),
        *STAMPS,
        Filter("by_status", "status", "active"),
    ),
)


# A DMSA sees only the projects an admin permitted it (reference 1).
list_projects = list_handler(PROJECTS, in_company("company_id = ? AND permitted = 1"), render.projects)


async def show_project(request: Request, caller: Caller) -> Response:
    caller.company(request.query_params.get("company_id"))
    project = caller.project(path_id(request), name="id")
    return JsonResponse(render.projects(caller.state.store, [project])[0])


# -- vendors ----------------------------------------------------------------------------------------

VENDOR_FIELDS = Fields(
    (
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
    ),
    # Shown but not writable: refused in bodies (``read_only_fields``).
    read_only=(
        "id",
        "created_at",
        "updated_at",
        "parent",
        "trades",
        "vendor_group",
        "primary_contact",
        "standard_cost_codes",
        "project_ids",
    ),
    # Writable, checked by ``_vendor_values`` itself (a list of trade ids, the register object).
    checked_apart=("trade_ids", "business_register"),
)
REGISTER_TYPES = ("ABN", "EIN")
# business_register: what a write sets, and what Procore shows there but sets itself.
REGISTER_FIELDS = ("type", "identifier")
REGISTER_READ_ONLY = ("verification_status",)

VENDORS = ListSpec(
    table="vendors",
    filters=(
        *eq("origin_id"),
        Filter("search", "search", "name"),
        *STAMPS,
        *eq("id", "parent_id", integer=True),
        Filter("trade_id", "json_in", "trade_ids", integer=True),
        Filter("standard_cost_code_id", "json_in", "standard_cost_code_ids", integer=True),
    ),
    sortable=("id", "name", "created_at", "updated_at", "origin_id"),
)
# The project directory documents fewer filters and sorts than the company one (no origin_id, no stamps).
PROJECT_VENDORS = VENDORS.only(("search", "id"), sortable=("id", "name", "updated_at"))
VENDOR = Entity("vendors", "company_id", "Vendor not found")


def _vendor_scope(request: Request, caller: Caller) -> Scope:
    company_id = caller.company(request.query_params.get("company_id"))
    active = "" if caller.state.variants.vendor_list_includes_inactive else " AND is_active = 1"
    return f"company_id = ?{active}", [company_id]


list_vendors = list_handler(VENDORS, _vendor_scope, render.vendors, view="extended")
list_inactive_vendors = list_handler(
    VENDORS, in_company("company_id = ? AND is_active = 0", from_path=True), render.vendors, view="extended"
)


def _project_vendors(*args: Any, **kwargs: Any) -> list[dict[str, Any]]:
    """A project's vendors as the SDK's v1.1 model has them: no standard cost codes (a company list's)."""
    rows = render.vendors(*args, **kwargs)
    for row in rows:
        row.pop("standard_cost_codes", None)
    return rows


list_project_vendors = list_handler(
    PROJECT_VENDORS,
    in_project("EXISTS (SELECT 1 FROM json_each(project_ids) WHERE value = ?)", from_path=True),
    _project_vendors,
    view="extended",
)


def _vendor_values(
    caller: Caller, company_id: int, payload: dict[str, Any], existing: dict[str, Any] | None
) -> dict[str, Any]:
    store = caller.state.store
    register = payload.get("business_register")
    if isinstance(register, dict):  # the nested object is screened like the body, before any check
        refuse_unknown(register, (*REGISTER_FIELDS, *REGISTER_READ_ONLY), caller.state.variants)
        refuse_read_only(register, REGISTER_READ_ONLY, caller.state.variants, within="business_register")
    values = VENDOR_FIELDS.coerce(payload, creating=existing is None, variants=caller.state.variants)
    errors: dict[str, list[str]] = {}
    if values.get("parent_id") is not None:
        parent = VENDOR.find(store, company_id, values["parent_id"])
        if parent is None:
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
                    "verification_status": None,  # not checked yet (SDK enum: active, cancelled, ...)
                }
            )
    if errors:
        raise ValidationFailed(errors)
    check_origin(store, "vendors", company_id, values, existing, caller)
    return values


def create_vendor(
    caller: Caller, company_id: int, payload: dict[str, Any], project_ids: list[int] | None = None
) -> dict[str, Any]:
    values = _vendor_values(caller, company_id, payload, None)
    row = {
        "company_id": company_id,
        "is_active": 1,
        "trade_ids": "[]",
        "standard_cost_code_ids": "[]",
        "project_ids": json.dumps(sorted(project_ids or [])),
        **values,
    }
    if "name" in values and "legal_name" not in values:
        row["legal_name"] = values["name"]
    row = VENDOR.insert(caller.state.store, row)
    caller.emit("vendor", "create", row["id"], None)
    for project_id in project_ids or []:
        caller.emit("project_vendor", "create", row["id"], project_id)
    return row


def update_vendor(caller: Caller, company_id: int, existing: dict[str, Any], payload: dict[str, Any]) -> dict:
    store = caller.state.store
    if VENDOR.save(store, existing, _vendor_values(caller, company_id, payload, existing)):
        caller.emit("vendor", "update", existing["id"], None)
        for project_id in json.loads(existing["project_ids"]):
            caller.emit("project_vendor", "update", existing["id"], project_id)
    return store.get("vendors", existing["id"])


VENDORS_API = Writable(
    entity=VENDOR,
    parent=company_param,
    key=lambda company_id: (company_id, {}),
    render=render.vendors,
    view="extended",
    body_key="vendor",
    create=create_vendor,
    update=update_vendor,
    by_origin=lambda caller, company_id, origin: VENDOR.by_origin(
        caller.state.store, "company_id", company_id, origin
    ),
)


async def post_project_vendor(request: Request, caller: Caller) -> Response:
    """Add a company vendor to the project directory (``{"vendor": {"id"}}``) or create one there."""
    project = project_in_path(request, caller, {})
    body = await json_body(request)
    payload = VENDORS_API.payload(body)
    store = caller.state.store
    if payload.get("id") is not None and set(payload) == {"id"}:
        existing = VENDOR.get(store, project["company_id"], int_param(payload["id"], "vendor.id"))
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
            caller.emit("project_vendor", "create", existing["id"], project["id"])
        row = store.get("vendors", existing["id"])
    else:
        row = create_vendor(caller, project["company_id"], payload, [project["id"]])
    return VENDORS_API.one(caller, row, 201)
