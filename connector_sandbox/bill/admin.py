"""Operator and test routes under ``/sandbox`` (not part of BILL; never authenticated, faulted,
rate-limited or counted).

Reset / re-seed, change settings and faults live, make business activity, inspect state (row counts,
stored records, calls per endpoint, answers per status and BDC code, in-flight high-water marks),
expire every session, reset rate windows, and drive webhook delivery.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connector_sandbox.admin import live_model_routes
from connector_sandbox.serve import json_object_body

from .activity import ActivityRequest, make_activity
from .formats import now_ms
from .settings import BillSandboxSettings, FaultSettings
from .state import SandboxState
from .webhooks import EVENT_CATALOG, EVENT_VERSION, Subscription

# Event types the sandbox actually emits (the catalog lists more).
EMITTED_EVENTS = (
    "vendor.created",
    "vendor.updated",
    "vendor.archived",
    "vendor.restored",
    "bill.created",
    "bill.updated",
    "bill.archived",
    "bill.restored",
    "payment.updated",
    "payment.failed",
)
_TABLES = {
    "vendors": "vendors",
    "bills": "bills",
    "payments": "payments",
    "classifications": "classifications",
}


def _state(request: Request) -> SandboxState:
    return request.app.state.sandbox


class _Json(JSONResponse):
    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, indent=None, separators=(",", ":")).encode("utf-8")


def _problem(message: str, status: int = 400) -> Response:
    return _Json({"error": message}, status_code=status)


def _deep_merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in changes.items():
        merged[key] = (
            _deep_merge(base[key], value)
            if isinstance(value, dict) and isinstance(base.get(key), dict)
            else value
        )
    return merged


def _public_settings(settings: BillSandboxSettings) -> dict[str, Any]:
    """Live settings minus the credentials (they are sandbox defaults, but still never echoed)."""
    dump = settings.model_dump(mode="json", exclude={"password", "dev_key", "mfa_code"})
    dump["webhooks"].pop("fixed_security_key", None)
    dump["webhooks"]["fixed_security_key_set"] = settings.webhooks.fixed_security_key is not None
    return dump


async def state_summary(request: Request) -> Response:
    state = _state(request)
    hub = state.hub
    return _Json(
        {
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
            "seed": {
                "seconds": round(state.seed_report.seconds, 3),
                "anchor_date": state.seed_report.anchor_date,
                "scale": state.settings.scale,
                "seed": state.settings.seed,
            },
        }
    )


async def reset(request: Request) -> Response:
    state = _state(request)
    try:
        changes = await json_object_body(request)
        report = state.reset(changes)  # on the event loop: no request sees a half-swapped store
    except (ValueError, ValidationError) as exc:
        return _problem(str(exc))
    return _Json(
        {
            "seconds": round(report.seconds, 3),
            "row_counts": report.row_counts,
            "anchor_date": report.anchor_date,
        }
    )


async def get_settings(request: Request) -> Response:
    return _Json(_public_settings(_state(request).settings))


async def set_settings(request: Request) -> Response:
    """Merge changes (nested objects merge) into the live settings; validated, unknown keys refused."""
    state = _state(request)
    try:
        changes = await json_object_body(request)
        merged = _deep_merge(state.settings.model_dump(), changes)
        state.settings = BillSandboxSettings.model_validate(merged)
    except (ValueError, ValidationError) as exc:
        return _problem(str(exc))
    return _Json(_public_settings(state.settings))


async def reset_settings(request: Request) -> Response:
    state = _state(request)
    state.settings = state.initial_settings.model_copy(deep=True)
    return _Json(_public_settings(state.settings))


async def activity(request: Request) -> Response:
    state = _state(request)
    try:
        wanted = ActivityRequest.model_validate(await json_object_body(request))
        return _Json(make_activity(state, wanted))
    except (ValueError, ValidationError) as exc:
        return _problem(str(exc))


async def record(request: Request) -> Response:
    """A stored object by id, in any organization, with the internal bookkeeping fields."""
    table = _TABLES.get(request.path_params["kind"])
    if table is None:
        return _problem(f"kind must be one of {sorted(_TABLES)}", 404)
    found = _state(request).store.get_any(table, request.path_params["id"])
    if found is None:
        return _problem(f"no {request.path_params['kind']} with id {request.path_params['id']!r}", 404)
    org, doc = found
    return _Json({"organizationId": org, "record": doc})


async def expire_sessions(request: Request) -> Response:
    return _Json({"expired": _state(request).sessions.expire_all()})


async def reset_limits(request: Request) -> Response:
    _state(request).limits.reset()
    return _Json({"reset": True})


async def reset_calls(request: Request) -> Response:
    _state(request).stats.clear()
    return _Json({"reset": True})


async def webhooks(request: Request) -> Response:
    hub = _state(request).hub
    return _Json(
        {
            "subscriptions": [
                {**sub.body(), "disabledReason": sub.disabled_reason} for sub in hub.subscriptions.values()
            ],
            "pending": hub.pending_count(),
        }
    )


async def deliver(request: Request) -> Response:
    """Deliver everything pending now (one attempt each) and report the attempts."""
    hub = _state(request).hub
    outcomes = await asyncio.to_thread(hub.flush)
    return _Json({"outcomes": [outcome.body() for outcome in outcomes]})


async def deliveries(request: Request) -> Response:
    return _Json({"outcomes": [outcome.body() for outcome in list(_state(request).hub.outcomes)]})


async def register(request: Request) -> Response:
    """Register a destination without the API (``make dev``): all emitted events, fixed or random key."""
    state = _state(request)
    try:
        body = await json_object_body(request)
    except ValueError as exc:
        return _problem(str(exc))
    url = body.get("notificationUrl")
    org_id = body.get("organization_id") or state.settings.organizations[0].id
    events = body.get("events") or list(EMITTED_EVENTS)
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return _problem("notificationUrl: an http(s) URL is required")
    if state.settings.organization(org_id) is None or not all(kind in EVENT_CATALOG for kind in events):
        return _problem("organization_id or events are not known to the sandbox")
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
    return _Json({**subscription.body(), "securityKey": subscription.security_key}, status_code=201)


def admin_routes() -> list[Route]:
    return [
        Route("/sandbox/state", state_summary, methods=["GET"]),
        Route("/sandbox/reset", reset, methods=["POST"]),
        Route("/sandbox/settings", get_settings, methods=["GET"]),
        Route("/sandbox/settings", set_settings, methods=["POST"]),
        Route("/sandbox/settings/reset", reset_settings, methods=["POST"]),
        *live_model_routes(
            "/sandbox/faults",
            FaultSettings,
            holder=lambda request: _state(request).settings,
            name="faults",
            initial=lambda request: _state(request).initial_settings.faults,
        ),
        Route("/sandbox/activity", activity, methods=["POST"]),
        Route("/sandbox/records/{kind}/{id}", record, methods=["GET"]),
        Route("/sandbox/sessions/expire", expire_sessions, methods=["POST"]),
        Route("/sandbox/rate-limits/reset", reset_limits, methods=["POST"]),
        Route("/sandbox/calls/reset", reset_calls, methods=["POST"]),
        Route("/sandbox/webhooks", webhooks, methods=["GET"]),
        Route("/sandbox/webhooks/deliver", deliver, methods=["POST"]),
        Route("/sandbox/webhooks/deliveries", deliveries, methods=["GET"]),
        Route("/sandbox/webhooks/subscriptions", register, methods=["POST"]),
    ]
