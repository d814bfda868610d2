"""The Webhooks management API: hooks, triggers, the delivery log and the resource list.

A hook is owned by a company (``company_id``) or a project (``project_id``); every call names that
owner. Namespaces are lowercase letters, digits and dashes, one per app. Triggers pair a
``resource_name`` from ``/webhooks/resources`` with an ``event_type`` (create / update / delete); bulk
calls take up to 500. The delivery log filters with ``filters[status]`` (the SDK's parameter) over any /
successful / discarded / failing.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from . import render
from .clock import now_stamp
from .errors import ApiError, ValidationFailed, bad_request, not_found
from .events import render_payload
from .listing import ListSpec, paging_headers, run_list
from .routing import Caller, JsonResponse, int_param, json_body, param, path_id
from .validation import refuse_unknown
from .vocabulary import WEBHOOK_RESOURCES_DOCUMENTED

NAMESPACE = re.compile(r"^[a-z0-9-]+$")
API_VERSIONS = ("v2", "v3", "v4")
EVENT_TYPES = ("create", "update", "delete")
MAX_BULK_TRIGGERS = 500
DELIVERY_STATUSES = {"any": None, "successful": "successful", "discarded": "discarded", "failing": "failing"}
DELIVERIES = ListSpec(table="deliveries", default_order="id DESC")


def resource_names(caller: Caller) -> list[str]:
    names = list(WEBHOOK_RESOURCES_DOCUMENTED)
    for name in caller.state.variants.resource_names.values():
        if name not in names:
            names.append(name)
    return names


def _owner(caller: Caller, request: Request, body: dict[str, Any]) -> tuple[int | None, int | None]:
    """(company_id, project_id) of the hook owner named by the call; exactly one is set."""
    project_raw = param(request, body, "project_id")
    if project_raw is not None:
        return None, caller.project(project_raw)["id"]
    return caller.company(param(request, body, "company_id")), None


def _hook(caller: Caller, request: Request, body: dict[str, Any], hook_id: int) -> dict[str, Any]:
    company_id, project_id = _owner(caller, request, body)
    row = caller.state.store.get("hooks", hook_id)
    if row is None or row["company_id"] != company_id or row["project_id"] != project_id:
        raise not_found("Hook not found")
    return row


def _api_version(value: Any) -> str:
    text = str(value or "v2").strip().lower()
    text = text if text.startswith("v") else f"v{text}"
    return text.split(".")[0]


def _hook_values(caller: Caller, payload: dict[str, Any], existing: dict | None) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    variants = caller.state.variants
    shown = {"id", "owned_by_company_id", "owned_by_project_id", "owned_by_user_id"}
    refuse_unknown(
        payload, {"api_version", "namespace", "destination_url", "destination_headers", *shown}, variants
    )
    if "api_version" in payload or existing is None:
        version = _api_version(payload.get("api_version"))
        if version not in API_VERSIONS:
            errors["api_version"] = [f"is not included in the list ({', '.join(API_VERSIONS)})"]
        values["api_version"] = version
    if "namespace" in payload or existing is None:
        namespace = payload.get("namespace")
        if not isinstance(namespace, str) or not namespace:
            errors["namespace"] = ["can't be blank"]
        elif not NAMESPACE.match(namespace):
            errors["namespace"] = ["may only contain lowercase letters, digits and dashes"]
        else:
            other = caller.state.store.one(
                "SELECT namespace FROM hooks "
                "WHERE owner_client_id = ? AND namespace != ? AND id != ? LIMIT 1",
                (caller.client.client_id, namespace, existing["id"] if existing else -1),
            )
            if other is not None:
                errors["namespace"] = [f"must be this app's one namespace ({other['namespace']!r})"]
            values["namespace"] = namespace
    if "destination_url" in payload or existing is None:
        url = payload.get("destination_url")
        parts = urlsplit(url) if isinstance(url, str) else None
        allowed = ("https",) if caller.state.webhooks.require_https else ("http", "https")
        if parts is None or parts.scheme not in allowed or not parts.netloc:
            errors["destination_url"] = [f"must be an absolute {' or '.join(allowed)} URL"]
        values["destination_url"] = url
    if "destination_headers" in payload:
        headers = payload["destination_headers"] or {}
        if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and k.strip() for k, v in headers.items()
        ):
            errors["destination_headers"] = ["must be an object of header names to string values"]
        values["destination_headers"] = json.dumps(headers)
    elif existing is None:
        values["destination_headers"] = "{}"
    if errors:
        raise ValidationFailed(errors)
    return values


def _hook_payload(body: dict[str, Any]) -> dict[str, Any]:
    payload = body.get("hook")
    if not isinstance(payload, dict) or not payload:
        raise bad_request("param is missing or the value is empty: hook")
    return payload


async def create_hook(request: Request, caller: Caller) -> Response:
    body = await json_body(request)
    company_id, project_id = _owner(caller, request, body)
    values = _hook_values(caller, _hook_payload(body), None)
    now = now_stamp()
    hook_id = caller.state.store.insert(
        "hooks",
        {
            "company_id": company_id,
            "project_id": project_id,
            "owner_client_id": caller.client.client_id,
            "owned_by_user_id": caller.client.service_account_user_id,
            "created_at": now,
            "updated_at": now,
            **values,
        },
    )
    return JsonResponse(render.hook(caller.state.store.get("hooks", hook_id)), status_code=201)


async def list_hooks(request: Request, caller: Caller) -> Response:
    company_id, project_id = _owner(caller, request, {})
    namespace = request.query_params.get("namespace")
    if not namespace:
        raise bad_request("param is missing or the value is empty: namespace")
    clauses = ["company_id IS ?", "project_id IS ?"]
    params: list[Any] = [company_id, project_id]
    if namespace != "*":
        clauses.append("namespace = ?")
        params.append(namespace)
    rows = caller.state.store.all(f"SELECT * FROM hooks WHERE {' AND '.join(clauses)} ORDER BY id", params)
    return JsonResponse([render.hook(row) for row in rows])


async def show_hook(request: Request, caller: Caller) -> Response:
    return JsonResponse(render.hook(_hook(caller, request, {}, path_id(request))))


async def patch_hook(request: Request, caller: Caller) -> Response:
    body = await json_body(request)
    existing = _hook(caller, request, body, path_id(request))
    values = _hook_values(caller, _hook_payload(body), existing)
    values["updated_at"] = now_stamp()
    caller.state.store.update("hooks", existing["id"], values)
    return JsonResponse(render.hook(caller.state.store.get("hooks", existing["id"])))


async def delete_hook(request: Request, caller: Caller) -> Response:
    existing = _hook(caller, request, {}, path_id(request))
    store = caller.state.store
    with store.transaction() as conn:
        conn.execute("DELETE FROM triggers WHERE hook_id = ?", (existing["id"],))
        conn.execute(
            "UPDATE deliveries SET status = 'discarded', outcome = 'discarded' WHERE hook_id = ? "
            "AND status IN ('pending', 'failing')",
            (existing["id"],),
        )
        conn.execute("DELETE FROM hooks WHERE id = ?", (existing["id"],))
    return Response(status_code=204)


# -- triggers -----------------------------------------------------------------------------------------


def _trigger_values(caller: Caller, hook: dict, payload: Any) -> tuple[str, str]:
    if not isinstance(payload, dict):
        raise ValidationFailed({"trigger": ["must be an object"]})
    errors: dict[str, list[str]] = {}
    name, event = payload.get("resource_name"), payload.get("event_type")
    if name not in resource_names(caller):
        errors["resource_name"] = ["is not included in the list (see /rest/v1.0/webhooks/resources)"]
    if event not in EVENT_TYPES:
        errors["event_type"] = [f"is not included in the list ({', '.join(EVENT_TYPES)})"]
    if not errors and caller.state.store.one(
        "SELECT id FROM triggers WHERE hook_id = ? AND resource_name = ? AND event_type = ?",
        (hook["id"], name, event),
    ):
        errors["resource_name"] = ["has already been taken (this hook already has this trigger)"]
    if errors:
        raise ValidationFailed(errors)
    return name, event


def _insert_trigger(caller: Caller, hook: dict, name: str, event: str) -> dict:
    now = now_stamp()
    trigger_id = caller.state.store.insert(
        "triggers",
        {
            "hook_id": hook["id"],
            "resource_name": name,
            "event_type": event,
            "created_at": now,
            "updated_at": now,
        },
    )
    return render.trigger(caller.state.store.get("triggers", trigger_id))


def _parent_hook(request: Request, caller: Caller, body: dict) -> dict:
    return _hook(caller, request, body, int_param(request.path_params.get("hook_id"), "hook_id"))


async def create_trigger(request: Request, caller: Caller) -> Response:
    body = await json_body(request)
    hook = _parent_hook(request, caller, body)
    name, event = _trigger_values(caller, hook, body.get("trigger"))
    return JsonResponse(_insert_trigger(caller, hook, name, event), status_code=201)


async def list_triggers(request: Request, caller: Caller) -> Response:
    hook = _parent_hook(request, caller, {})
    rows = caller.state.store.all("SELECT * FROM triggers WHERE hook_id = ? ORDER BY id", (hook["id"],))
    return JsonResponse([render.trigger(row) for row in rows])


async def delete_trigger(request: Request, caller: Caller) -> Response:
    hook = _parent_hook(request, caller, {})
    trigger_id = path_id(request)
    if not caller.state.store.execute(
        "DELETE FROM triggers WHERE id = ? AND hook_id = ?", (trigger_id, hook["id"])
    ):
        raise not_found("Trigger not found")
    return Response(status_code=204)


def _bulk_items(body: dict) -> list[Any]:
    items = body.get("triggers")
    if not isinstance(items, list) or not items:
        raise bad_request("param is missing or the value is empty: triggers")
    if len(items) > MAX_BULK_TRIGGERS:  # the SDK's 413 for a bulk call over the limit
        raise ApiError(413, f"triggers: at most {MAX_BULK_TRIGGERS} per request, got {len(items)}")
    return items


async def bulk_create_triggers(request: Request, caller: Caller) -> Response:
    body = await json_body(request)
    hook = _parent_hook(request, caller, body)
    success, failed = [], []
    for item in _bulk_items(body):
        try:
            name, event = _trigger_values(caller, hook, item)
        except ValidationFailed as refused:
            named = item.get("resource_name") if isinstance(item, dict) else None
            message = "; ".join(f"{k} {' '.join(v)}" for k, v in refused.fields.items())
            failed.append(
                {"code": "unprocessable_entity", "message": message, "trigger": {"resource_name": named}}
            )
            continue
        success.append(_insert_trigger(caller, hook, name, event))
    # The SDK's answers: 200 {success} when every trigger was made, 207 {success, failed} otherwise.
    if failed:
        return JsonResponse({"success": success, "failed": failed}, status_code=207)
    return JsonResponse({"success": success})


async def bulk_delete_triggers(request: Request, caller: Caller) -> Response:
    body = await json_body(request)
    hook = _parent_hook(request, caller, body)
    store = caller.state.store
    success: list[int] = []
    failed: list[dict[str, Any]] = []
    # The SDK's bulk delete names triggers by id: {"triggers": [id, ...]}.
    for item in _bulk_items(body):
        row = store.one("SELECT * FROM triggers WHERE id = ? AND hook_id = ?", (item, hook["id"]))
        if row is None:
            failed.append({"code": "not_found", "trigger": item})
            continue
        store.execute("DELETE FROM triggers WHERE id = ?", (row["id"],))
        success.append(row["id"])
    if failed:
        return JsonResponse({"success": success, "failed": failed}, status_code=207)
    return JsonResponse({"success": success})


# -- deliveries, resources ----------------------------------------------------------------------------


async def list_deliveries(request: Request, caller: Caller) -> Response:
    hook = _parent_hook(request, caller, {})
    wanted = request.query_params.get("filters[status]", "any")
    if wanted not in DELIVERY_STATUSES:
        raise bad_request(f"filters[status]: {wanted!r} is not one of {list(DELIVERY_STATUSES)}")
    clauses, params = ["hook_id = ?"], [hook["id"]]
    if DELIVERY_STATUSES[wanted]:
        clauses.append("status = ?")
        params.append(DELIVERY_STATUSES[wanted])
    state = caller.state
    result = run_list(
        state.store, DELIVERIES, request, (" AND ".join(clauses), params), state.variants, state.faults
    )
    events = {
        row["id"]: row
        for row in state.store.all(
            f"SELECT * FROM events WHERE id IN ({', '.join('?' for _ in result.rows) or 'NULL'})",
            [row["event_id"] for row in result.rows],
        )
    }
    body = [
        {
            "event_id": row["event_id"],
            "outcome": row["outcome"],
            "started_at": row["first_attempt_at"],
            "completed_at": row["completed_at"],
            "response_status": row["response_status"],
            "response_error": row["response_error"],
            "event": render_payload(events[row["event_id"]], hook["api_version"])
            if row["event_id"] in events
            else None,
        }
        for row in result.rows
    ]
    return JsonResponse(body, headers=paging_headers(request, result))


async def list_resources(request: Request, caller: Caller) -> Response:
    _owner(caller, request, {})
    # Procore's WebhooksResource (SDK model): the resource's name is under ``tools``, and each event type
    # it takes is named by its own key.
    return JsonResponse(
        [
            {"api_version": "v2", "tools": name, "except": [], **{event: event for event in EVENT_TYPES}}
            for name in resource_names(caller)
        ]
    )
