"""Operator and test routes under ``/sandbox`` — not part of Coupa's API, never faulted, rate limited
or counted, and unauthenticated (the sandbox binds to loopback by default).

Reset and reseed, change settings and faults live, move the clock, make business activity, read stored
records, count calls and statuses, expire or revoke tokens, register call-out receivers and trigger, wait
for and inspect deliveries.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connector_sandbox.admin import Operator, Refused, object_body, refusing, seed_summary, traffic
from connector_sandbox.serve import json_object_body

from .callouts import new_event
from .erp_numbers import numbers_from_body, repoint_supplier_numbers
from .schema import CALLOUT_RESOURCES, RESOURCES
from .settings import CalloutSubscription, FaultSettings
from .state import SandboxState
from .timefmt import render_datetime, utc_stamp

_MAX_RECORDS = 5_000
_OPERATOR = Operator()


def state_summary(state: SandboxState) -> dict[str, Any]:
    return {
        **traffic(state),
        "statuses": dict(state.statuses),
        "calls_by_status": dict(state.calls_by_status),
        "rate_limited": state.statuses.get("429", 0),
        "tokens": {"minted": state.tokens.minted, "active": state.tokens.active_count()},
        "callouts": {
            "subscriptions": len(state.callouts.subscriptions()),
            "pending": state.callouts.pending(),
            "deliveries": len(state.callouts.deliveries()),
        },
        "seed": seed_summary(
            state.seed_report,
            *("seconds", "reused", "anchor_date", "scale", "seed"),
            scale=state.settings.scale,
            seed=state.settings.seed,
        ),
        "now": state.now().isoformat(),
    }


def _clock(state: SandboxState) -> dict[str, Any]:
    return {
        "now": render_datetime(utc_stamp(state.now()), state.settings.time_zone),
        "offset_seconds": state.clock_offset.total_seconds(),
    }


async def clock(request: Request, state: SandboxState) -> dict[str, Any]:
    """GET: the sandbox time. POST ``{"advance_seconds": -86400}`` (either way) or ``{"reset": true}``:
    the stamps of every record written afterwards (created-at, updated-at) follow it."""
    if request.method == "POST":
        body = await object_body(request)
        if body.get("reset"):
            state.reset_clock()
        else:
            try:
                state.advance_clock(float(body["advance_seconds"]))
            except (KeyError, TypeError, ValueError):
                raise Refused(
                    "send advance_seconds (a number of seconds, negative to go back) or reset: true"
                ) from None
    return _clock(state)


async def reset(request: Request, state: SandboxState) -> dict[str, Any]:
    """Reseed (optionally with a new ``scale``/``seed``/``anchor_date``); ``revoke_tokens`` too."""
    with refusing(ValueError, ValidationError):
        body = await object_body(request)
        revoke = bool(body.pop("revoke_tokens", False))
        unknown = set(body) - {"scale", "seed", "anchor_date"}
        if unknown:
            raise Refused(f"reset takes scale, seed, anchor_date and revoke_tokens, not {sorted(unknown)}")
        # In the event loop on purpose: no API call may read the store while it is rebuilt.
        report = state.reset(body, revoke_tokens=revoke)
    return seed_summary(report, "seconds", "row_counts", "anchor_date")


def _change_settings(state: SandboxState, changes: dict[str, Any]) -> None:
    """Merge fields into the live settings (validated as a whole; unknown fields refused)."""
    if "callouts" in changes and "subscriptions" in (changes["callouts"] or {}):
        raise ValueError("register call-out receivers with POST /sandbox/callouts")
    state.update_settings(changes)


def _reset_settings(state: SandboxState) -> None:
    state.settings = state.initial_settings.model_copy(deep=True)


def reset_calls(state: SandboxState) -> dict[str, Any]:
    """Zero the call and status counters and refill every rate-limit bucket."""
    state.calls.clear()
    state.statuses.clear()
    state.calls_by_status.clear()
    state.limiter.reset()
    return {"calls": {}}


async def supplier_erp_numbers(request: Request, state: SandboxState) -> dict[str, Any]:
    """``{"numbers": [...]}``: the seeded suppliers' ERP numbers re-pointed at them (``erp_numbers``)."""
    with refusing(ValueError):
        numbers = numbers_from_body(await object_body(request))
    done = repoint_supplier_numbers(state.store, numbers)
    state.point_at_erp(numbers)
    return done


def _resource(request: Request) -> Any:
    return RESOURCES.get(request.path_params["resource"])


async def records(request: Request, state: SandboxState) -> dict[str, Any]:
    """Stored records of one resource as the API renders them in JSON (no paging cap, no faults)."""
    resource = _resource(request)
    if resource is None:
        raise Refused(
            f"unknown resource {request.path_params['resource']!r}; one of {sorted(RESOURCES)}", 404
        )
    try:
        limit = min(int(request.query_params.get("limit", _MAX_RECORDS)), _MAX_RECORDS)
        offset = int(request.query_params.get("offset", 0))
    except ValueError:
        raise Refused("limit and offset must be whole numbers") from None
    docs = state.store.select(resource, limit=limit, offset=offset)
    renderer = state.renderer(show_deleted_lines=True)
    return {
        "resource": resource.key,
        "total": state.store.count(resource),
        "records": [renderer.full(resource, doc) for doc in docs],
    }


async def record(request: Request, state: SandboxState) -> dict[str, Any]:
    resource = _resource(request)
    if resource is None:
        raise Refused(f"unknown resource {request.path_params['resource']!r}", 404)
    doc = state.store.get(resource, request.path_params["record_id"])
    if doc is None:
        raise Refused(f"no {resource.key} record with id {request.path_params['record_id']}", 404)
    return state.renderer(show_deleted_lines=True).full(resource, doc)


# --- call-outs -------------------------------------------------------------------------------------


def _subscriptions_body(state: SandboxState) -> dict[str, Any]:
    return {
        "subscriptions": [
            {"id": sid, **sub.public_dump()} for sid, sub in state.callouts.subscriptions().items()
        ]
    }


async def add_callout(request: Request, state: SandboxState) -> Response:
    with refusing(ValueError, ValidationError):
        subscription = CalloutSubscription.model_validate(await object_body(request))
    subscription_id = state.register_callout(subscription)
    return JSONResponse({"id": subscription_id, **subscription.public_dump()}, status_code=201)


async def remove_callout(request: Request, state: SandboxState) -> Response:
    removed = state.unregister_callout(request.path_params["subscription_id"])
    return JSONResponse({"removed": removed}, status_code=200 if removed else 404)


async def deliver(request: Request, state: SandboxState) -> Response:
    """Send events now: ``{"resource": "invoices", "ids": [..], "event_type": "updated", "wait_seconds": 5}``.

    Without ``ids`` the most recently updated record is sent. With ``wait_seconds`` the answer waits
    for the deliveries and includes their outcomes.
    """
    body = await object_body(request)
    resource_key = body.get("resource", "invoices")
    if resource_key not in CALLOUT_RESOURCES:
        raise Refused(f"resource must be one of {list(CALLOUT_RESOURCES)}")
    resource = RESOURCES[resource_key]
    ids = body.get("ids")
    if ids is None:
        latest = state.store.select(resource, order='t."updated_at" DESC, t."id" DESC', limit=1)
        ids = [doc["id"] for doc in latest]
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise Refused("ids must be a list of record ids")
    renderer = state.renderer()
    events = []
    for record_id in ids:
        doc = state.store.get(resource, record_id)
        if doc is None:
            raise Refused(f"no {resource_key} record with id {record_id}", 404)
        occurred = render_datetime(doc["updated-at"], state.settings.time_zone)
        events.append(
            new_event(
                resource_key, renderer.full(resource, doc), str(body.get("event_type", "updated")), occurred
            )
        )
    if not state.callouts.wants(resource_key):
        raise Refused(f"no call-out receiver is registered for {resource_key}", 409)
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


async def deliveries(request: Request, state: SandboxState) -> dict[str, Any]:
    found = state.callouts.deliveries()
    subscription = request.query_params.get("subscription_id")
    if subscription:
        found = [item for item in found if str(item["subscription_id"]) == subscription]
    return {"deliveries": found, "pending": state.callouts.pending()}


async def wait_deliveries(request: Request, state: SandboxState) -> dict[str, Any]:
    """Block until queued call-outs are done (``{"timeout_seconds": 10}``)."""
    with refusing(ValueError, TypeError):
        timeout = float((await json_object_body(request)).get("timeout_seconds", 10))
    finished = await asyncio.to_thread(state.callouts.wait_idle, min(timeout, 120.0))
    return {"finished": finished, "pending": state.callouts.pending()}


def _reset_deliveries(state: SandboxState) -> dict[str, Any]:
    state.callouts.clear_deliveries()
    return {"deliveries": []}


def admin_routes() -> list[Route]:
    from .activity import ActivityRequest, make_activity  # imported late: activity needs the writers

    op = _OPERATOR
    return [
        *op.common(state_summary, reset, reset_calls, ActivityRequest, make_activity),
        *op.settings(lambda state: state.settings.public_dump(), _change_settings, _reset_settings),
        *op.faults(FaultSettings, initial=lambda state: state.initial_settings.faults),
        op.route("/sandbox/clock", clock, ["GET", "POST"]),
        op.route("/sandbox/suppliers/erp-numbers", supplier_erp_numbers, ["POST"]),
        op.route("/sandbox/records/{resource}", records),
        op.route("/sandbox/records/{resource}/{record_id:int}", record),
        *op.tokens(),
        op.get("/sandbox/callouts", _subscriptions_body),
        op.route("/sandbox/callouts", add_callout, ["POST"]),
        op.route("/sandbox/callouts/{subscription_id:int}", remove_callout, ["DELETE"]),
        op.route("/sandbox/callouts/deliver", deliver, ["POST"]),
        op.route("/sandbox/callouts/deliveries", deliveries),
        op.post("/sandbox/callouts/deliveries/reset", _reset_deliveries),
        op.route("/sandbox/callouts/wait", wait_deliveries, ["POST"]),
    ]
