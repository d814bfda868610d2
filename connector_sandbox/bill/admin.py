"""Operator and test routes under ``/sandbox`` (not part of BILL; never authenticated, faulted,
rate-limited or counted).

Reset / re-seed, change settings and faults live, make business activity, inspect state (row counts,
stored records, calls per endpoint, answers per status and BDC code, in-flight high-water marks),
expire every session, reset rate windows, and drive webhook delivery.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connector_sandbox.admin import Operator, Refused, object_body, refusing, seed_summary
from connector_sandbox.serve import CompactJSONResponse, json_object_body

from .activity import ActivityRequest, make_activity
from .formats import now_ms
from .settings import BillSandboxSettings, FaultSettings
from .state import SandboxState
from .webhooks import EMITTED_EVENTS, EVENT_CATALOG, EVENT_VERSION, Subscription

_TABLES = {
    "vendors": "vendors",
    "bills": "bills",
    "payments": "payments",
    "classifications": "classifications",
}


_OPERATOR = Operator(respond=CompactJSONResponse)


def _deep_merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in changes.items():
        merged[key] = (
            _deep_merge(base[key], value)
            if isinstance(value, dict) and isinstance(base.get(key), dict)
            else value
        )
    return merged


def _public_settings(state: SandboxState) -> dict[str, Any]:
    """Live settings minus the credentials (they are sandbox defaults, but still never echoed)."""
    settings = state.settings
    dump = settings.model_dump(mode="json", exclude={"password", "dev_key", "mfa_code"})
    dump["webhooks"].pop("fixed_security_key", None)
    dump["webhooks"]["fixed_security_key_set"] = settings.webhooks.fixed_security_key is not None
    return dump


def state_summary(state: SandboxState) -> dict[str, Any]:
    hub = state.hub
    return {
        "row_counts": state.store.row_counts(),
        **state.stats.snapshot(),
        "limits": state.limits.snapshot(),
        "active_sessions": state.sessions.active_count(),
        "logins": state.sessions.logins,
        "organizations": [org.model_dump() for org in state.settings.organizations],
        "funding_accounts": {
            org.id: state.store.funding_accounts(org.id) for org in state.settings.organizations
        },
        "webhooks": {
            "subscriptions": len(hub.subscriptions),
            "pending": hub.pending_count(),
            "attempts": len(hub.outcomes),
        },
        "seed": seed_summary(
            state.seed_report,
            *("seconds", "anchor_date", "scale", "seed"),
            scale=state.settings.scale,
            seed=state.settings.seed,
        ),
    }


async def reset(request: Request, state: SandboxState) -> dict[str, Any]:
    with refusing(ValueError, ValidationError):
        changes = await json_object_body(request)
        report = state.reset(changes)  # on the event loop: no request sees a half-swapped store
    return seed_summary(report, "seconds", "row_counts", "anchor_date")


def _change_settings(state: SandboxState, changes: dict[str, Any]) -> None:
    """Merge changes (nested objects merge) into the live settings; validated, unknown keys refused."""
    state.settings = BillSandboxSettings.model_validate(_deep_merge(state.settings.model_dump(), changes))


def _reset_settings(state: SandboxState) -> None:
    state.settings = state.initial_settings.model_copy(deep=True)


async def record(request: Request, state: SandboxState) -> dict[str, Any]:
    """A stored object by id, in any organization, with the internal bookkeeping fields."""
    table = _TABLES.get(request.path_params["kind"])
    if table is None:
        raise Refused(f"kind must be one of {sorted(_TABLES)}", 404)
    found = state.store.get_any(table, request.path_params["id"])
    if found is None:
        raise Refused(f"no {request.path_params['kind']} with id {request.path_params['id']!r}", 404)
    org, doc = found
    return {"organizationId": org, "record": doc}


def _reset_limits(state: SandboxState) -> dict[str, Any]:
    state.limits.reset()
    return {"reset": True}


def _reset_calls(state: SandboxState) -> dict[str, Any]:
    state.stats.clear()
    return {"reset": True}


def webhooks(state: SandboxState) -> dict[str, Any]:
    hub = state.hub
    return {
        "subscriptions": [
            {**sub.body(), "disabledReason": sub.disabled_reason} for sub in hub.subscriptions.values()
        ],
        "pending": hub.pending_count(),
    }


async def deliver(_request: Request, state: SandboxState) -> dict[str, Any]:
    """Deliver everything pending now (one attempt each) and report the attempts."""
    outcomes = await asyncio.to_thread(state.hub.flush)
    return {"outcomes": [outcome.body() for outcome in outcomes]}


def deliveries(state: SandboxState) -> dict[str, Any]:
    return {"outcomes": [outcome.body() for outcome in list(state.hub.outcomes)]}


async def register(request: Request, state: SandboxState) -> Response:
    """Register a destination without the API (``make dev``): all emitted events, fixed or random key."""
    body = await object_body(request)
    url = body.get("notificationUrl")
    org_id = body.get("organization_id") or state.settings.organizations[0].id
    events = body.get("events") or list(EMITTED_EVENTS)
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise Refused("notificationUrl: an http(s) URL is required")
    if state.settings.organization(org_id) is None or not all(kind in EVENT_CATALOG for kind in events):
        raise Refused("organization_id or events are not known to the sandbox")
    ms = now_ms()
    subscription = Subscription(
        id=str(uuid.uuid4()),
        org_id=org_id,
        name=str(body.get("name") or "sandbox operator subscription"),
        enabled=True,
        events=[{"type": kind, "version": EVENT_VERSION} for kind in events],
        notification_url=url,
        created_ms=ms,
        updated_ms=ms,
        security_key=state.hub.new_key(),
    )
    state.hub.add(subscription)
    state.keep_webhooks()
    return CompactJSONResponse(
        {**subscription.body(), "securityKey": subscription.security_key}, status_code=201
    )


def admin_routes() -> list[Route]:
    op = _OPERATOR
    return [
        *op.common(
            state_summary, reset, _reset_calls, ActivityRequest, make_activity, refuse_make_errors=True
        ),
        *op.settings(_public_settings, _change_settings, _reset_settings),
        *op.faults(
            FaultSettings,
            initial=lambda state: state.initial_settings.faults,
            holder=lambda state: state.settings,
        ),
        op.route("/sandbox/records/{kind}/{id}", record),
        op.post("/sandbox/sessions/expire", lambda state: {"expired": state.sessions.expire_all()}),
        op.post("/sandbox/rate-limits/reset", _reset_limits),
        op.get("/sandbox/webhooks", webhooks),
        op.route("/sandbox/webhooks/deliver", deliver, ["POST"]),
        op.get("/sandbox/webhooks/deliveries", deliveries),
        op.route("/sandbox/webhooks/subscriptions", register, ["POST"]),
    ]
