"""Commitments: purchase order and work order contracts, their schedule of values, and change orders.

Both kinds share one table and one set of handlers; ``KINDS`` maps the path segment to the stored kind
and the webhook resource. Record locking follows the reference: an Approved / Complete commitment keeps
its vendor and schedule of values and cannot be deleted; an approved change order is locked.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple

from starlette.requests import Request
from starlette.responses import Response

from . import render
from .api_costs import COST_CODE, LINE_ITEM_TYPE
from .api_directory import VENDOR
from .clock import now_stamp
from .errors import ValidationFailed, unprocessable
from .generator import cents
from .listing import STAMPS, Filter, ListSpec, eq, ranges
from .resource import (
    Entity,
    Resource,
    Scope,
    Writable,
    changes,
    in_project,
    list_handler,
    project_in_path,
    project_param,
    soft_delete,
)
from .routing import Caller, int_param, json_body, path_id
from .validation import Attr, Fields, expect_object
from .vocabulary import (
    ACCOUNTING_METHODS,
    LOCKED_CHANGE_ORDER_STATUSES,
    LOCKED_COMMITMENT_STATUSES,
    PO_STATUSES,
)
from .writes import check_origin, origin_taken, taken


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

COMMITMENT_FIELDS = Fields(
    (
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
    ),
    read_only=(
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
    ),
)
LINE_FIELDS = Fields(
    (
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
    ),
    read_only=("id", "cost_code", "line_item_type", "commitment_id", "created_at", "updated_at"),
)

COMMITMENTS = ListSpec(
    table="commitments",
    filters=(*eq("id", integer=True), *eq("status"), *STAMPS, *eq("origin_id")),
    soft_delete=True,
)
LINES = ListSpec(table="commitment_line_items", default_order="position")


class InProject(NamedTuple):
    """The commitments of one kind on one project (a ``/purchase_order_contracts`` call)."""

    kind: Kind
    project: dict[str, Any]


class OnCommitment(NamedTuple):
    """One commitment's schedule of values (a ``.../{commitment_id}/line_items`` call)."""

    kind: Kind
    project: dict[str, Any]
    commitment: dict[str, Any]


COMMITMENT = Entity("commitments", "project_id", "Commitment not found", soft_delete=True)
LINE = Entity("commitment_line_items", "commitment_id", "Line item not found", soft_delete=True)
CHANGE_ORDER = Entity("commitment_change_orders", "project_id", "Change order not found", soft_delete=True)


def _kind(request: Request) -> Kind:
    return KINDS[request.url.path.split("/")[3]]


def _statuses(caller: Caller, kind: Kind) -> tuple[str, ...]:
    return (
        PO_STATUSES if kind.stored == "PurchaseOrderContract" else caller.state.variants.work_order_statuses
    )


def _in_project(request: Request, caller: Caller, body: dict[str, Any]) -> InProject:
    return InProject(_kind(request), project_param(request, caller, body))


def _on_commitment(request: Request, caller: Caller, body: dict[str, Any]) -> OnCommitment:
    """The live commitment of the path's kind and ``commitment_id`` on the project the call names."""
    kind, project = _in_project(request, caller, body)
    commitment_id = int_param(request.path_params.get("commitment_id"), "id")
    return OnCommitment(
        kind, project, COMMITMENT.get(caller.state.store, project["id"], commitment_id, kind=kind.stored)
    )


# -- list / show / writes -------------------------------------------------------------------------------


def _kind_scope(request: Request, caller: Caller) -> Scope:
    kind, project = _in_project(request, caller, {})
    return "project_id = ? AND kind = ?", [project["id"], kind.stored]


list_commitments = list_handler(COMMITMENTS, _kind_scope, render.commitments, view="compact")
# ``/commitments``: both kinds, each with its ``type``.
list_all_commitments = list_handler(
    COMMITMENTS, in_project(), partial(render.commitments, with_type=True), view="compact"
)


def _commitment_values(
    caller: Caller,
    kind: Kind,
    project: dict[str, Any],
    payload: dict[str, Any],
    existing: dict[str, Any] | None,
) -> dict[str, Any]:
    store = caller.state.store
    values = COMMITMENT_FIELDS.coerce(
        payload,
        creating=existing is None,
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
        vendor = VENDOR.find(store, project["company_id"], values["vendor_id"])
        if vendor is None:
            errors["vendor_id"] = ["does not exist in the company directory"]
        elif not vendor["is_active"] and (existing is None or existing["vendor_id"] != vendor["id"]):
            errors["vendor_id"] = ["is not an active vendor"]
    if values.get("number"):
        numbered = "project_id = ? AND kind = ? AND number = ? AND deleted_at IS NULL"
        if taken(store, "commitments", numbered, (project["id"], kind.stored, values["number"]), existing):
            errors["number"] = ["has already been taken"]
    if errors:
        raise ValidationFailed(errors)
    check_origin(store, "commitments", project["company_id"], values, existing, caller)
    return values


def create_commitment(caller: Caller, parent: InProject, payload: dict[str, Any]) -> dict:
    kind, project = parent
    store = caller.state.store
    values = _commitment_values(caller, kind, project, payload, None)
    if not values.get("number"):
        count = store.scalar(
            "SELECT COUNT(*) FROM commitments WHERE project_id = ? AND kind = ?", (project["id"], kind.stored)
        )
        prefix = "PO" if kind.stored == "PurchaseOrderContract" else "SC"
        values["number"] = f"{prefix}-{project['project_number']}-{count + 1:04d}"
    row = {
        "company_id": project["company_id"],
        "project_id": project["id"],
        "kind": kind.stored,
        "status": "Draft",
        "accounting_method": "amount",
        "currency_iso_code": project["currency_iso_code"],
        "retainage_percent": "0.0",
        **values,
    }
    return COMMITMENT.created(caller, row, kind.resource, project["id"])


def update_commitment(caller: Caller, parent: InProject, existing: dict, payload: dict) -> dict:
    kind, project = parent
    values = _commitment_values(caller, kind, project, payload, existing)
    return COMMITMENT.updated(caller, existing, values, kind.resource, project["id"])


def _commitment_by_origin(caller: Caller, parent: InProject, origin: str) -> dict | None:
    kind, project = parent
    row = COMMITMENT.by_origin(caller.state.store, "company_id", project["company_id"], origin)
    if row is not None and (row["project_id"] != project["id"] or row["kind"] != kind.stored):
        # Unique per company: the same origin id on another project is a conflict, not an upsert.
        raise origin_taken(caller.state.variants)
    return row


# One per kind, for the object a body names the record under ({"purchase_order_contract": {...}}).
COMMITMENTS_API = {
    path: Writable(
        entity=COMMITMENT,
        parent=_in_project,
        key=lambda parent: (parent.project["id"], {"kind": parent.kind.stored}),
        render=render.commitments,
        body_key=kind.body_key,
        create=create_commitment,
        update=update_commitment,
        by_origin=_commitment_by_origin,
    )
    for path, kind in KINDS.items()
}


async def delete_commitment(request: Request, caller: Caller) -> Response:
    kind, project = _in_project(request, caller, {})
    existing = COMMITMENT.get(caller.state.store, project["id"], path_id(request), kind=kind.stored)
    if existing["status"] in LOCKED_COMMITMENT_STATUSES:
        raise unprocessable(f"A commitment that is {existing['status']} cannot be deleted")
    COMMITMENT.deleted(caller, existing, kind.resource, project["id"])
    return Response(status_code=204)


# -- schedule of values (line items) --------------------------------------------------------------------


def _sov_locked(commitment: dict) -> None:
    if commitment["status"] in LOCKED_COMMITMENT_STATUSES:
        raise unprocessable(
            f"The schedule of values of a commitment that is {commitment['status']} cannot be changed"
        )


def _line_values(
    caller: Caller, project: dict, commitment: dict, payload: dict, existing: dict | None
) -> dict:
    store = caller.state.store
    values = LINE_FIELDS.coerce(payload, creating=existing is None, variants=caller.state.variants)
    errors: dict[str, list[str]] = {}
    if values.get("cost_code_id") is not None:
        if COST_CODE.find(store, project["id"], values["cost_code_id"]) is None:
            errors["cost_code_id"] = ["does not exist on this project"]
    elif existing is None:
        errors["cost_code_id"] = ["can't be blank"]
    type_id = values.get("line_item_type_id")
    if type_id is not None and LINE_ITEM_TYPE.find(store, project["company_id"], type_id) is None:
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


def _line_event(caller: Caller, parent: OnCommitment, event: str, line_id: int) -> None:
    kind, _, commitment = parent
    name = caller.state.variants.resource_names[kind.resource]
    caller.emit(
        kind.line_resource,
        event,
        line_id,
        commitment["project_id"],
        related=[{"id": commitment["id"], "name": name}],
    )


def create_line(caller: Caller, parent: OnCommitment, payload: dict) -> dict:
    _, project, commitment = parent
    _sov_locked(commitment)
    store = caller.state.store
    values = _line_values(caller, project, commitment, payload, None)
    position = store.scalar(
        "SELECT COALESCE(MAX(position), 0) + 1 FROM commitment_line_items WHERE commitment_id = ?",
        (commitment["id"],),
    )
    row = LINE.insert(
        store,
        {
            "company_id": project["company_id"],
            "project_id": project["id"],
            "commitment_id": commitment["id"],
            "position": position,
            **values,
        },
    )
    store.update("commitments", commitment["id"], {"updated_at": row["created_at"]})
    _line_event(caller, parent, "create", row["id"])
    return row


def update_line(caller: Caller, parent: OnCommitment, existing: dict, payload: dict) -> dict:
    _, project, commitment = parent
    _sov_locked(commitment)
    store = caller.state.store
    changed = LINE.save(store, existing, _line_values(caller, project, commitment, payload, existing))
    if changed:
        store.update("commitments", commitment["id"], {"updated_at": changed["updated_at"]})
        _line_event(caller, parent, "update", existing["id"])
    return store.get("commitment_line_items", existing["id"])


LINES_API = Writable(
    entity=LINE,
    parent=_on_commitment,
    key=lambda parent: (parent.commitment["id"], {}),
    render=render.commitment_line_items,
    body_key="line_item",
    create=create_line,
    update=update_line,
    by_origin=lambda caller, parent, origin: LINE.by_origin(
        caller.state.store, "commitment_id", parent.commitment["id"], origin, live=True
    ),
    before_sync=lambda parent: _sov_locked(parent.commitment),
)


def _line_scope(request: Request, caller: Caller) -> Scope:
    return "commitment_id = ? AND deleted_at IS NULL", [_on_commitment(request, caller, {}).commitment["id"]]


list_lines = list_handler(LINES, _line_scope, render.commitment_line_items)


# -- change orders --------------------------------------------------------------------------------------

CHANGE_ORDERS = ListSpec(
    table="commitment_change_orders",
    filters=(
        *eq("id", "batch_id", "contract_id", integer=True),
        Filter("legacy_package_id", "eq", "package_id", integer=True),
    ),
    sortable=("id", "number", "status", "due_date", "created_at", "updated_at"),
)
CHANGE_ORDER_FIELDS = Fields(
    (
        Attr("title"),
        Attr("description", max_length=10_000),
        Attr("status", "enum", nullable=False),
        Attr("due_date", "date"),
        Attr("invoiced_date", "date"),
        Attr("paid", "bool", nullable=False),
        Attr("executed", "bool", nullable=False),
        Attr("change_order_change_reason", column="change_reason"),
    ),
    read_only=(
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
    ),
)
# What may still change on an approved (locked) change order: its payment bookkeeping and status.
CHANGE_ORDER_UNLOCKED = frozenset({"status", "paid", "invoiced_date"})
PACKAGES = ListSpec(
    table="change_order_packages",
    filters=ranges("updated_at", "created_at"),
    soft_delete=True,
)


CHANGE_ORDERS_API = Resource(
    entity=CHANGE_ORDER, parent=project_in_path, render=render.change_orders, view="normal"
)
list_change_orders = list_handler(
    lambda variants: CHANGE_ORDERS.paged(variants.paginate_change_orders),
    in_project("project_id = ? AND deleted_at IS NULL", from_path=True),
    render.change_orders,
    view="normal",
)


async def patch_change_order(request: Request, caller: Caller) -> Response:
    project = project_in_path(request, caller, {})
    existing = CHANGE_ORDERS_API.get(caller, project, path_id(request))
    body = await json_body(request)
    payload = expect_object(body.get("change_order"), "change_order")  # the SDK's Body46
    state = caller.state
    values = CHANGE_ORDER_FIELDS.coerce(
        payload,
        creating=False,
        variants=state.variants,
        choices={"status": state.variants.change_order_statuses},
    )
    changed = changes(existing, values)
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
        caller.emit("commitment_change_order", "update", existing["id"], project["id"])
    return CHANGE_ORDERS_API.one(caller, state.store.get("commitment_change_orders", existing["id"]))


async def delete_change_order(request: Request, caller: Caller) -> Response:
    project = project_in_path(request, caller, {})
    existing = CHANGE_ORDERS_API.get(caller, project, path_id(request))
    if existing["status"] in LOCKED_CHANGE_ORDER_STATUSES:
        raise unprocessable("An approved change order is locked and cannot be deleted")
    now = CHANGE_ORDER.deleted(caller, existing, "commitment_change_order", project["id"])
    if existing["package_id"]:
        soft_delete(caller.state.store, "change_order_packages", existing["package_id"], now)
    return Response(status_code=204)


list_packages = list_handler(PACKAGES, in_project(contract_id="contract_id"), render.change_order_packages)
