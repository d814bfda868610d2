"""Operator and test routes under ``/sandbox`` (not part of Procore's API; never faulted, limited or counted).

Reset / reseed, change live settings and faults, make business activity, inspect state (row counts,
stored records, calls per endpoint, statuses such as 429), expire or revoke every token, uninstall the
app from a company or withdraw a project permission, register a webhook destination in one call,
run a webhook delivery round now, and point the seeded vendors' ERP links at the ERP's real numbers.
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

from connector_sandbox.admin import (
    Operator,
    Refused,
    object_body,
    record_query,
    refusing,
    seed_summary,
    traffic,
)
from connector_sandbox.serve import json_object_body

from .activity import ActivityRequest, make_activity
from .clock import now_stamp
from .erp_links import repoint_vendor_links, targets_from_body
from .state import SandboxState
from .store import SCHEMA

_MAX_ROWS = 1000
_OPERATOR = Operator()


def state_summary(state: SandboxState) -> dict[str, Any]:
    store = state.store
    settings = state.settings
    return {
        **traffic(state),
        "statuses": dict(state.statuses),
        # Calls per Procore-Company-Id header value ("none" without one), then per endpoint.
        "calls_by_company": state.calls_by_company(),
        "rate_limited": state.statuses.get("429", 0),
        "active_tokens": state.tokens.active_count(),
        "settings": state.live_settings(),
        "seed": seed_summary(
            state.seed_report, "seconds", "scale", "anchor_date", "seed", seed=settings.seed
        ),
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


async def reset(request: Request, state: SandboxState) -> dict[str, Any]:
    """Fresh data (optionally ``scale`` / ``seed``), startup settings, no tokens unless ``keep_tokens``."""
    with refusing(ValueError, ValidationError):
        body = await json_object_body(request)
        report = state.reseed(scale=body.get("scale"), seed_value=body.get("seed"))
    state.reset_live()
    if body.get("keep_tokens"):
        state.tokens.keep()  # written again into the reseeded store
    else:
        state.tokens.clear()
    return seed_summary(report, "seconds", "row_counts")


def _check_table(table: str) -> None:
    if table not in SCHEMA:
        raise Refused(f"unknown table {table!r}; one of {sorted(SCHEMA)}", 404)


async def record(request: Request, state: SandboxState) -> dict[str, Any]:
    """One stored row as kept (cents, JSON text, deleted rows too)."""
    table = request.path_params["table"]
    _check_table(table)
    try:
        record_id = int(request.path_params["id"])
    except ValueError:
        raise Refused("id must be an integer") from None
    row = state.store.get(table, record_id)
    if row is None:
        raise Refused(f"{table} {record_id} does not exist", 404)
    return row


async def records(request: Request, state: SandboxState) -> dict[str, Any]:
    """Stored rows of a table filtered by ``column=value`` (equality), at most ``limit`` (1000)."""
    table = request.path_params["table"]
    _check_table(table)
    columns = {row["name"] for row in state.store.all(f"PRAGMA table_info({table})")}

    def equal(name: str, value: str) -> tuple[str, Any]:
        if name not in columns:
            raise Refused(f"{name!r} is not a column of {table}; one of {sorted(columns)}")
        return f"{name} = ?", int(value) if value.lstrip("-").isdigit() else value

    query = record_query(request.query_params, equal, most=_MAX_ROWS)
    rows = state.store.all(*query.select(table, "id"))
    return {"table": table, "rows": rows, "count": len(rows)}


def _reset_calls(state: SandboxState) -> dict[str, Any]:
    state.calls.clear()
    state.company_calls.clear()
    state.statuses.clear()
    return {"calls": {}, "statuses": {}}


def _reset_rate_limits(state: SandboxState) -> dict[str, Any]:
    state.limiter.reset()
    return {"reset": True}


def _set_flag(
    state: SandboxState, body: dict[str, Any], *, table: str, noun: str, row_id: int, flag: str
) -> None:
    """Set the boolean ``flag`` (``{"<flag>": true|false}``) on the row ``row_id`` of ``table``."""
    if not isinstance(body.get(flag), bool):
        raise Refused(f"{flag}: true or false")
    if not state.store.execute(f"UPDATE {table} SET {flag} = ? WHERE id = ?", (int(body[flag]), row_id)):
        raise Refused(f"{noun} {row_id} does not exist", 404)


def company_connection(path: dict[str, Any], body: dict[str, Any], state: SandboxState) -> dict[str, Any]:
    """``{"connected": false}`` plays a company admin uninstalling the app (then 403 everywhere)."""
    company_id = int(path["company_id"])
    _set_flag(state, body, table="companies", noun="company", row_id=company_id, flag="connected")
    return state.store.get("companies", company_id)


def project_permission(path: dict[str, Any], body: dict[str, Any], state: SandboxState) -> dict[str, Any]:
    """``{"permitted": false}`` removes a project from the DMSA's permitted projects (then 403)."""
    project_id = int(path["project_id"])
    _set_flag(state, body, table="projects", noun="project", row_id=project_id, flag="permitted")
    row = state.store.get("projects", project_id)
    return {"id": row["id"], "name": row["name"], "permitted": bool(row["permitted"])}


async def register_webhook(request: Request, state: SandboxState) -> Response:
    """One call for a company hook with triggers for every simulated resource and event type.

    The same rows the real API would create (so ``/rest/v1.0/webhooks/hooks`` shows them); headers
    default to the settings' ``default_destination_headers``.
    """
    body = await object_body(request)
    url = body.get("destination_url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise Refused("destination_url: an absolute http(s) URL")
    headers = body.get("destination_headers", state.settings.default_destination_headers)
    if not isinstance(headers, dict):
        raise Refused("destination_headers: an object of header names to values")
    version = str(body.get("api_version", "v2"))
    if version not in {"v2", "v3", "v4"}:
        raise Refused("api_version: one of v2, v3, v4")
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


async def deliver(request: Request, state: SandboxState) -> Response:
    """Run a delivery round now (ignoring backoff unless ``force`` is false); ``wait`` reports it."""
    body = await object_body(request)
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


async def vendor_erp_links(request: Request, state: SandboxState) -> dict[str, Any]:
    """Re-point the seeded vendors' ERP links (``JDE-V-<an8>``) to the ERP's real numbers, in vendor id
    order, without restamping ``updated_at`` or emitting webhook events (see ``erp_links``).

    Body: ``{"numbers": [an8, ...], "format"?: "JDE-V-{n}", "company_id"?}`` or
    ``{"origin_ids": ["JDE-V-1191", ...], ...}``. Calling it again with the same numbers changes nothing.
    """
    body = await object_body(request)
    with refusing(ValueError):
        link_format, targets = targets_from_body(body)
    company_id = body.get("company_id")
    if company_id is not None and company_id not in state.settings.seeded_company_ids:
        raise Refused(f"company_id: one of the seeded companies {list(state.settings.seeded_company_ids)}")
    owners = {client.client_id for client in state.settings.clients}
    return repoint_vendor_links(state.store, link_format, targets, owners, company_id)


async def vendor_business_register(request: Request, state: SandboxState) -> dict[str, Any]:
    """A person sets a vendor's tax registration in Procore's web app: Procore's API shows
    ``business_register`` on a vendor but its vendor body takes none (SDK CompanyVendor), so a test that
    needs one sets it here, as a user would. Body: ``{"type": "EIN", "identifier": "93-7654321"}``;
    stamps ``updated_at`` and sends the vendor's update event by a person."""
    body = await object_body(request)
    try:
        vendor_id = int(request.path_params["vendor_id"])
    except ValueError:
        raise Refused("vendor_id must be an integer") from None
    row = state.store.get("vendors", vendor_id)
    if row is None:
        raise Refused(f"vendor {vendor_id} does not exist", 404)
    register = {"type": body.get("type"), "identifier": str(body.get("identifier") or "")}
    register["verification_status"] = None  # not checked yet
    state.store.update(
        "vendors", vendor_id, {"business_register": json.dumps(register), "updated_at": now_stamp()}
    )
    state.emit(
        "vendor",
        "update",
        vendor_id,
        project_id=None,
        origin=state.human_origin(),
        company_id=row["company_id"],
    )
    return state.store.get("vendors", vendor_id)


def webhook_log(state: SandboxState) -> dict[str, Any]:
    """Every delivery with its attempts (including duplicate sends) as the sender recorded them."""
    store = state.store
    deliveries = store.all("SELECT * FROM deliveries ORDER BY id")
    attempts: dict[int, list[dict[str, Any]]] = {}
    for row in store.all("SELECT * FROM delivery_attempts ORDER BY id"):
        attempts.setdefault(row["delivery_id"], []).append(row)
    for row in deliveries:
        row["sends"] = attempts.get(row["id"], [])
    events = store.all(
        "SELECT id, ulid, resource_name, event_type, resource_id, project_id FROM events ORDER BY id"
    )
    return {"deliveries": deliveries, "events": events}


def admin_routes() -> list[Route]:
    op = _OPERATOR
    return [
        *op.common(
            state_summary, reset, _reset_calls, ActivityRequest, make_activity, refuse_make_errors=True
        ),
        *op.settings(
            lambda state: state.live_settings(),
            lambda state, changes: state.update_live(changes),
            lambda state: state.reset_live(),
        ),
        # Shortcut for ``POST /sandbox/settings {"faults": {...}}``.
        *op.live(
            "/sandbox/faults",
            read=lambda state: state.live_settings()["faults"],
            change=lambda state, changes: state.update_live({"faults": changes}),
            get=False,
        ),
        op.route("/sandbox/records/{table}", records),
        op.route("/sandbox/records/{table}/{id}", record),
        *op.tokens(),
        op.post("/sandbox/rate-limits/reset", _reset_rate_limits),
        op.act("/sandbox/companies/{company_id}/connection", company_connection),
        op.act("/sandbox/projects/{project_id}/permission", project_permission),
        op.route("/sandbox/webhooks/register", register_webhook, ["POST"]),
        op.route("/sandbox/webhooks/deliver", deliver, ["POST"]),
        op.get("/sandbox/webhooks/log", webhook_log),
        op.route("/sandbox/vendors/erp-links", vendor_erp_links, ["POST"]),
        op.route("/sandbox/vendors/{vendor_id}/business-register", vendor_business_register, ["POST"]),
    ]
