"""Operator and test routes under ``/sandbox`` — not part of Coupa's API, never faulted, rate limited
or counted, and unauthenticated (the sandbox binds to loopback by default).

Reset and reseed, change settings and faults live, make business activity, read stored records,
count calls and statuses, expire or revoke tokens, register call-out receivers and trigger, wait
for and inspect deliveries.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connector_sandbox.admin import live_model_routes, problem
from connector_sandbox.serve import json_object_body

from .callouts import new_event
from .schema import CALLOUT_RESOURCES, RESOURCES
from .settings import CalloutSubscription, CoupaSandboxSettings, FaultSettings
from .state import SandboxState
from .timefmt import render_datetime

_MAX_RECORDS = 5_000


def _state(request: Request) -> SandboxState:
    return request.app.state.sandbox


async def state_summary(request: Request) -> Response:
    state = _state(request)
    return JSONResponse(
        {
            "row_counts": state.store.row_counts(),
            "calls": dict(state.calls),
            "statuses": dict(state.statuses),
            "calls_by_status": dict(state.calls_by_status),
            "rate_limited": state.statuses.get("429", 0),
            "tokens": {"minted": state.tokens.minted, "active": state.tokens.active_count()},
            "callouts": {
                "subscriptions": len(state.callouts.subscriptions()),
                "pending": state.callouts.pending(),
                "deliveries": len(state.callouts.deliveries()),
            },
            "seed": {
                "seconds": round(state.seed_report.seconds, 3),
                "reused": state.seed_report.reused,
                "anchor_date": state.seed_report.anchor_date,
                "scale": state.settings.scale,
                "seed": state.settings.seed,
            },
            "now": state.now().isoformat(),
        }
    )


async def reset(request: Request) -> Response:
    """Reseed (optionally with a new ``scale``/``seed``/``anchor_date``); ``revoke_tokens`` too."""
    state = _state(request)
    try:
        body = await json_object_body(request)
        revoke = bool(body.pop("revoke_tokens", False))
        unknown = set(body) - {"scale", "seed", "anchor_date"}
        if unknown:
            return problem(f"reset takes scale, seed, anchor_date and revoke_tokens, not {sorted(unknown)}")
        # In the event loop on purpose: no API call may read the store while it is rebuilt.
        report = state.reset(body, revoke_tokens=revoke)
    except (ValueError, ValidationError) as exc:
        return problem(str(exc))
    return JSONResponse(
        {
            "seconds": round(report.seconds, 3),
            "row_counts": report.row_counts,
            "anchor_date": report.anchor_date,
        }
    )


async def get_settings(request: Request) -> Response:
    return JSONResponse(_state(request).settings.public_dump())


async def set_settings(request: Request) -> Response:
    """Merge fields into the live settings (validated as a whole; unknown fields refused)."""
    state = _state(request)
    try:
        changes = await json_object_body(request)
        if "callouts" in changes and "subscriptions" in (changes["callouts"] or {}):
            return problem("register call-out receivers with POST /sandbox/callouts")
        state.update_settings(changes)
    except (ValueError, ValidationError) as exc:
        return problem(str(exc))
    return JSONResponse(state.settings.public_dump())


async def reset_settings(request: Request) -> Response:
    state = _state(request)
    initial: CoupaSandboxSettings = request.app.state.initial_settings
    state.settings = initial.model_copy(deep=True)
    return JSONResponse(state.settings.public_dump())


async def reset_calls(request: Request) -> Response:
    """Zero the call and status counters and refill every rate-limit bucket."""
    state = _state(request)
    state.calls.clear()
    state.statuses.clear()
    state.calls_by_status.clear()
    state.limiter.reset()
    return JSONResponse({"calls": {}})


async def activity(request: Request) -> Response:
    from .activity import ActivityRequest, make_activity

    state = _state(request)
    try:
        wanted = ActivityRequest.model_validate(await json_object_body(request))
    except (ValueError, ValidationError) as exc:
        return problem(str(exc))
    return JSONResponse(make_activity(state, wanted))


def _resource(request: Request) -> Any:
    return RESOURCES.get(request.path_params["resource"])


async def records(request: Request) -> Response:
    """Stored records of one resource as the API renders them in JSON (no paging cap, no faults)."""
    state = _state(request)
    resource = _resource(request)
    if resource is None:
        return problem(
            f"unknown resource {request.path_params['resource']!r}; one of {sorted(RESOURCES)}", 404
        )
    try:
        limit = min(int(request.query_params.get("limit", _MAX_RECORDS)), _MAX_RECORDS)
        offset = int(request.query_params.get("offset", 0))
    except ValueError:
        return problem("limit and offset must be whole numbers")
    docs = state.store.select(resource, limit=limit, offset=offset)
    renderer = state.renderer(show_deleted_lines=True)
    return JSONResponse(
        {
            "resource": resource.key,
            "total": state.store.count(resource),
            "records": [renderer.full(resource, doc) for doc in docs],
        }
    )


async def record(request: Request) -> Response:
    state = _state(request)
    resource = _resource(request)
    if resource is None:
        return problem(f"unknown resource {request.path_params['resource']!r}", 404)
    doc = state.store.get(resource, request.path_params["record_id"])
    if doc is None:
        return problem(f"no {resource.key} record with id {request.path_params['record_id']}", 404)
    return JSONResponse(state.renderer(show_deleted_lines=True).full(resource, doc))


async def expire_tokens(request: Request) -> Response:
    return JSONResponse({"expired": _state(request).tokens.expire_all()})


async def revoke_tokens(request: Request) -> Response:
    return JSONResponse({"revoked": _state(request).tokens.revoke_all()})


# --- call-outs -------------------------------------------------------------------------------------


def _subscriptions_body(state: SandboxState) -> dict[str, Any]:
    return {
        "subscriptions": [
            {"id": sid, **sub.public_dump()} for sid, sub in state.callouts.subscriptions().items()
        ]
    }


async def list_callouts(request: Request) -> Response:
    return JSONResponse(_subscriptions_body(_state(request)))


async def add_callout(request: Request) -> Response:
    state = _state(request)
    try:
        subscription = CalloutSubscription.model_validate(await json_object_body(request))
    except (ValueError, ValidationError) as exc:
        return problem(str(exc))
    subscription_id = state.callouts.subscribe(subscription)
    return JSONResponse({"id": subscription_id, **subscription.public_dump()}, status_code=201)


async def remove_callout(request: Request) -> Response:
    removed = _state(request).callouts.unsubscribe(request.path_params["subscription_id"])
    return JSONResponse({"removed": removed}, status_code=200 if removed else 404)


async def deliver(request: Request) -> Response:
    """Send events now: ``{"resource": "invoices", "ids": [..], "event_type": "updated", "wait_seconds": 5}``.

    Without ``ids`` the most recently updated record is sent. With ``wait_seconds`` the answer waits
    for the deliveries and includes their outcomes.
    """
    state = _state(request)
    try:
        body = await json_object_body(request)
    except ValueError as exc:
        return problem(str(exc))
    resource_key = body.get("resource", "invoices")
    if resource_key not in CALLOUT_RESOURCES:
        return problem(f"resource must be one of {list(CALLOUT_RESOURCES)}")
    resource = RESOURCES[resource_key]
    ids = body.get("ids")
    if ids is None:
        latest = state.store.select(resource, order='t."updated_at" DESC, t."id" DESC', limit=1)
        ids = [doc["id"] for doc in latest]
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        return problem("ids must be a list of record ids")
    renderer = state.renderer()
    events = []
    for record_id in ids:
        doc = state.store.get(resource, record_id)
        if doc is None:
            return problem(f"no {resource_key} record with id {record_id}", 404)
        occurred = render_datetime(doc["updated-at"], state.settings.time_zone)
        events.append(
            new_event(
                resource_key, renderer.full(resource, doc), str(body.get("event_type", "updated")), occurred
            )
        )
    if not state.callouts.wants(resource_key):
        return problem(f"no call-out receiver is registered for {resource_key}", 409)
    state.callouts.publish(events)
    event_ids = [event.event_id for event in events]
    wait = float(body.get("wait_seconds", 0) or 0)
    finished = True
    if wait > 0:
        finished = await asyncio.to_thread(state.callouts.wait_idle, min(wait, 120.0))
    return JSONResponse(
        {
            "event_ids": event_ids,
            "finished": finished,
            "deliveries": state.callouts.deliveries(set(event_ids)) if wait > 0 else [],
        },
        status_code=202 if not finished or wait <= 0 else 200,
    )


async def deliveries(request: Request) -> Response:
    state = _state(request)
    found = state.callouts.deliveries()
    subscription = request.query_params.get("subscription_id")
    if subscription:
        found = [item for item in found if str(item["subscription_id"]) == subscription]
    return JSONResponse({"deliveries": found, "pending": state.callouts.pending()})


async def wait_deliveries(request: Request) -> Response:
    """Block until queued call-outs are done (``{"timeout_seconds": 10}``)."""
    state = _state(request)
    try:
        timeout = float((await json_object_body(request)).get("timeout_seconds", 10))
    except (ValueError, TypeError) as exc:
        return problem(str(exc))
    finished = await asyncio.to_thread(state.callouts.wait_idle, min(timeout, 120.0))
    return JSONResponse({"finished": finished, "pending": state.callouts.pending()})


async def reset_deliveries(request: Request) -> Response:
    _state(request).callouts.clear_deliveries()
    return JSONResponse({"deliveries": []})


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
            holder=_state,
            name="faults",
            initial=lambda request: request.app.state.initial_settings.faults,
        ),
        Route("/sandbox/calls/reset", reset_calls, methods=["POST"]),
        Route("/sandbox/activity", activity, methods=["POST"]),
        Route("/sandbox/records/{resource}", records, methods=["GET"]),
        Route("/sandbox/records/{resource}/{record_id:int}", record, methods=["GET"]),
        Route("/sandbox/tokens/expire", expire_tokens, methods=["POST"]),
        Route("/sandbox/tokens/revoke", revoke_tokens, methods=["POST"]),
        Route("/sandbox/callouts", list_callouts, methods=["GET"]),
        Route("/sandbox/callouts", add_callout, methods=["POST"]),
        Route("/sandbox/callouts/{subscription_id:int}", remove_callout, methods=["DELETE"]),
        Route("/sandbox/callouts/deliver", deliver, methods=["POST"]),
        Route("/sandbox/callouts/deliveries", deliveries, methods=["GET"]),
        Route("/sandbox/callouts/deliveries/reset", reset_deliveries, methods=["POST"]),
        Route("/sandbox/callouts/wait", wait_deliveries, methods=["POST"]),
    ]
