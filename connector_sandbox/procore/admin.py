"""Operator and test routes under ``/sandbox`` (not part of Procore's API; never faulted, limited or counted).

Reset / reseed, change live settings and faults, make business activity, inspect state (row counts,
stored records, calls per endpoint, statuses such as 429), expire or revoke every token, uninstall the
app from a company or withdraw a project permission, register a webhook destination in one call, and
run a webhook delivery round now.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connector_sandbox.admin import problem
from connector_sandbox.serve import json_object_body

from .activity import ActivityRequest, make_activity
from .clock import now_stamp
from .state import SandboxState
from .store import SCHEMA

_MAX_ROWS = 1000


def _state(request: Request) -> SandboxState:
    return request.app.state.sandbox


async def state_summary(request: Request) -> Response:
    state = _state(request)
    store = state.store
    settings = state.settings
    return JSONResponse(
        {
            "row_counts": store.row_counts(),
            "calls": dict(state.calls),
            "statuses": dict(state.statuses),
            "rate_limited": state.statuses.get("429", 0),
            "active_tokens": state.tokens.active_count(),
            "settings": state.live_settings(),
            "seed": {
                "seconds": round(state.seed_report.seconds, 3),
                "scale": state.seed_report.scale,
                "anchor_date": state.seed_report.anchor_date,
                "seed": settings.seed,
            },
            "company_id": settings.company_id,
            "companies": store.all("SELECT id, name, connected FROM companies ORDER BY id"),
            "clients": [
                {
                    "client_id": c.client_id,
                    "application_id": c.application_id,
                    "service_account_user_id": c.service_account_user_id,
                }
                for c in settings.clients
            ],
            "webhooks": {
                "hooks": store.scalar("SELECT COUNT(*) FROM hooks"),
                "deliveries": {
                    row["status"]: row["n"]
                    for row in store.all("SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status")
                },
            },
        }
    )


async def reset(request: Request) -> Response:
    """Fresh data (optionally ``scale`` / ``seed``), startup settings, no tokens unless ``keep_tokens``."""
    state = _state(request)
    try:
        body = await json_object_body(request)
        report = state.reseed(scale=body.get("scale"), seed_value=body.get("seed"))
    except (ValueError, ValidationError) as exc:
        return problem(str(exc))
    state.reset_live()
    if not body.get("keep_tokens"):
        state.tokens.clear()
    return JSONResponse({"seconds": round(report.seconds, 3), "row_counts": report.row_counts})


async def get_settings(request: Request) -> Response:
    return JSONResponse(_state(request).live_settings())


async def set_settings(request: Request) -> Response:
    """Merge ``{"faults": {...}, "rate_limits": {...}, "webhooks": {...}, "variants": {...}}`` (validated)."""
    state = _state(request)
    try:
        state.update_live(await json_object_body(request))
    except (ValueError, ValidationError) as exc:
        return problem(str(exc))
    return JSONResponse(state.live_settings())


async def reset_settings(request: Request) -> Response:
    state = _state(request)
    state.reset_live()
    return JSONResponse(state.live_settings())


async def set_faults(request: Request) -> Response:
    """Shortcut for ``POST /sandbox/settings {"faults": {...}}``."""
    state = _state(request)
    try:
        state.update_live({"faults": await json_object_body(request)})
    except (ValueError, ValidationError) as exc:
        return problem(str(exc))
    return JSONResponse(state.live_settings()["faults"])


async def activity(request: Request) -> Response:
    state = _state(request)
    try:
        wanted = ActivityRequest.model_validate(await json_object_body(request))
    except (ValueError, ValidationError) as exc:
        return problem(str(exc))
    return JSONResponse(make_activity(state, wanted))


async def record(request: Request) -> Response:
    """One stored row as kept (cents, JSON text, deleted rows too)."""
    table = request.path_params["table"]
    if table not in SCHEMA:
        return problem(f"unknown table {table!r}; one of {sorted(SCHEMA)}", 404)
    try:
        record_id = int(request.path_params["id"])
    except ValueError:
        return problem("id must be an integer")
    row = _state(request).store.get(table, record_id)
    if row is None:
        return problem(f"{table} {record_id} does not exist", 404)
    return JSONResponse(row)


async def records(request: Request) -> Response:
    """Stored rows of a table filtered by ``column=value`` (equality), at most ``limit`` (1000)."""
    table = request.path_params["table"]
    if table not in SCHEMA:
        return problem(f"unknown table {table!r}; one of {sorted(SCHEMA)}", 404)
    store = _state(request).store
    columns = {row["name"] for row in store.all(f"PRAGMA table_info({table})")}
    clauses, params, limit = [], [], _MAX_ROWS
    for name, value in request.query_params.multi_items():
        if name == "limit":
            limit = max(1, min(int(value), _MAX_ROWS)) if value.isdigit() else _MAX_ROWS
            continue
        if name not in columns:
            return problem(f"{name!r} is not a column of {table}; one of {sorted(columns)}")
        clauses.append(f"{name} = ?")
        params.append(int(value) if value.lstrip("-").isdigit() else value)
    where = " AND ".join(clauses) or "1=1"
    rows = store.all(f"SELECT * FROM {table} WHERE {where} ORDER BY id LIMIT ?", [*params, limit])
    return JSONResponse({"table": table, "rows": rows, "count": len(rows)})


async def expire_tokens(request: Request) -> Response:
    return JSONResponse({"expired": _state(request).tokens.expire_all()})


async def revoke_tokens(request: Request) -> Response:
    return JSONResponse({"revoked": _state(request).tokens.revoke_all()})


async def reset_calls(request: Request) -> Response:
    state = _state(request)
    state.calls.clear()
    state.statuses.clear()
    return JSONResponse({"calls": {}, "statuses": {}})


async def reset_rate_limits(request: Request) -> Response:
    _state(request).limiter.reset()
    return JSONResponse({"reset": True})


async def company_connection(request: Request) -> Response:
    """``{"connected": false}`` plays a company admin uninstalling the app (then 403 everywhere)."""
    state = _state(request)
    try:
        body = await json_object_body(request)
        company_id = int(request.path_params["company_id"])
    except ValueError as exc:
        return problem(str(exc))
    if not isinstance(body.get("connected"), bool):
        return problem("connected: true or false")
    if not state.store.execute(
        "UPDATE companies SET connected = ? WHERE id = ?", (int(body["connected"]), company_id)
    ):
        return problem(f"company {company_id} does not exist", 404)
    return JSONResponse(state.store.get("companies", company_id))


async def project_permission(request: Request) -> Response:
    """``{"permitted": false}`` removes a project from the DMSA's permitted projects (then 403)."""
    state = _state(request)
    try:
        body = await json_object_body(request)
        project_id = int(request.path_params["project_id"])
    except ValueError as exc:
        return problem(str(exc))
    if not isinstance(body.get("permitted"), bool):
        return problem("permitted: true or false")
    if not state.store.execute(
        "UPDATE projects SET permitted = ? WHERE id = ?", (int(body["permitted"]), project_id)
    ):
        return problem(f"project {project_id} does not exist", 404)
    row = state.store.get("projects", project_id)
    return JSONResponse({"id": row["id"], "name": row["name"], "permitted": bool(row["permitted"])})


async def register_webhook(request: Request) -> Response:
    """One call for a company hook with triggers for every simulated resource and event type.

    The same rows the real API would create (so ``/rest/v1.0/webhooks/hooks`` shows them); headers
    default to the settings' ``default_destination_headers``.
    """
    state = _state(request)
    try:
        body = await json_object_body(request)
    except ValueError as exc:
        return problem(str(exc))
    url = body.get("destination_url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return problem("destination_url: an absolute http(s) URL")
    headers = body.get("destination_headers", state.settings.default_destination_headers)
    if not isinstance(headers, dict):
        return problem("destination_headers: an object of header names to values")
    version = str(body.get("api_version", "v2"))
    if version not in {"v2", "v3", "v4"}:
        return problem("api_version: one of v2, v3, v4")
    names = body.get("resource_names") or list(state.variants.resource_names.values())
    event_types = body.get("event_types") or ["create", "update", "delete"]
    client = state.settings.clients[0]
    now = now_stamp()
    with state.store.transaction():
        hook_id = state.store.insert(
            "hooks",
            {
                "company_id": state.settings.company_id,
                "project_id": None,
                "owner_client_id": client.client_id,
                "owned_by_user_id": client.service_account_user_id,
                "api_version": version,
                "namespace": body.get("namespace", "ml-connector"),
                "destination_url": url,
                "destination_headers": json.dumps(headers),
                "created_at": now,
                "updated_at": now,
            },
        )
        for name in names:
            for event in event_types:
                state.store.insert(
                    "triggers",
                    {
                        "hook_id": hook_id,
                        "resource_name": name,
                        "event_type": event,
                        "created_at": now,
                        "updated_at": now,
                    },
                )
    triggers = state.store.all(
        "SELECT id, resource_name, event_type FROM triggers WHERE hook_id = ?", (hook_id,)
    )
    return JSONResponse({"hook_id": hook_id, "triggers": triggers}, status_code=201)


async def deliver(request: Request) -> Response:
    """Run a delivery round now (ignoring backoff unless ``force`` is false); ``wait`` reports it."""
    state = _state(request)
    try:
        body = await json_object_body(request)
    except ValueError as exc:
        return problem(str(exc))
    timeout = float(body.get("timeout", 30))
    wanted = state.sender.request_round(force=bool(body.get("force", True)))
    if not body.get("wait", True):
        return JSONResponse({"round": wanted.number, "waited": False}, status_code=202)
    deadline = time.monotonic() + timeout
    while not wanted.done.is_set() and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    return JSONResponse(
        {
            "round": wanted.number,
            "waited": True,
            "completed": wanted.done.is_set(),
            "attempts": wanted.attempts,
        }
    )


async def webhook_log(request: Request) -> Response:
    """Every delivery with its attempts (including duplicate sends) as the sender recorded them."""
    store = _state(request).store
    deliveries = store.all("SELECT * FROM deliveries ORDER BY id")
    attempts: dict[int, list[dict[str, Any]]] = {}
    for row in store.all("SELECT * FROM delivery_attempts ORDER BY id"):
        attempts.setdefault(row["delivery_id"], []).append(row)
    for row in deliveries:
        row["sends"] = attempts.get(row["id"], [])
    events = store.all(
        "SELECT id, ulid, resource_name, event_type, resource_id, project_id FROM events ORDER BY id"
    )
    return JSONResponse({"deliveries": deliveries, "events": events})


def admin_routes() -> list[Route]:
    return [
        Route("/sandbox/state", state_summary, methods=["GET"]),
        Route("/sandbox/reset", reset, methods=["POST"]),
        Route("/sandbox/settings", get_settings, methods=["GET"]),
        Route("/sandbox/settings", set_settings, methods=["POST"]),
        Route("/sandbox/settings/reset", reset_settings, methods=["POST"]),
        Route("/sandbox/faults", set_faults, methods=["POST"]),
        Route("/sandbox/activity", activity, methods=["POST"]),
        Route("/sandbox/records/{table}", records, methods=["GET"]),
        Route("/sandbox/records/{table}/{id}", record, methods=["GET"]),
        Route("/sandbox/tokens/expire", expire_tokens, methods=["POST"]),
        Route("/sandbox/tokens/revoke", revoke_tokens, methods=["POST"]),
        Route("/sandbox/calls/reset", reset_calls, methods=["POST"]),
        Route("/sandbox/rate-limits/reset", reset_rate_limits, methods=["POST"]),
        Route("/sandbox/companies/{company_id}/connection", company_connection, methods=["POST"]),
        Route("/sandbox/projects/{project_id}/permission", project_permission, methods=["POST"]),
        Route("/sandbox/webhooks/register", register_webhook, methods=["POST"]),
        Route("/sandbox/webhooks/deliver", deliver, methods=["POST"]),
        Route("/sandbox/webhooks/log", webhook_log, methods=["GET"]),
    ]
