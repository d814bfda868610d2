"""Operator and test routes under ``/sandbox``: not Procurify's; never faulted, counted or authenticated.

Reseed, change faults and behaviour variants live, move the sandbox clock, expire or revoke every token,
play business activity and the humans behind it (approve and purchase, receive, bill), and inspect
state: row counts, stored records as the API renders them, calls and answers per endpoint, 429s.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connector_sandbox.admin import live_model_routes
from connector_sandbox.serve import json_object_body

from .activity import (
    ActivityError,
    ActivityRequest,
    bill_purchase_order,
    make_activity,
    purchase_requisition,
    receive_purchase_order,
    set_bill_status,
)
from .errors import JsonResponse
from .formats import render_datetime, stored
from .representations import (
    Lookups,
    account,
    account_code,
    bill,
    department,
    location,
    order,
    order_item,
    public_payment,
    purchase_order,
    vendor,
)
from .routes_purchasing import ORDER_SELECT, PO_SELECT
from .settings import BehaviourVariants, FaultSettings
from .state import SandboxState


def _state(request: Request) -> SandboxState:
    return request.app.state.sandbox


def _problem(message: str, status: int = 400) -> JSONResponse:
    return JsonResponse({"error": message}, status_code=status)


async def state_summary(request: Request) -> Response:
    state = _state(request)
    throttled = sum(count for key, count in state.statuses.items() if key.endswith(" 429"))
    return JsonResponse(
        {
            "domain": state.settings.domain,
            "row_counts": state.store.row_counts(),
            "calls": dict(state.calls),
            "answers": dict(state.statuses),
            "throttled_429": throttled,
            "injected_failures": state.gate.injected,
            "gateway_timeouts": dict(state.gate.timeouts),
            "suspended_applications": sorted(state.gate.suspended),
            "tokens": {"minted": state.tokens.minted, "active": state.tokens.active(state.now())},
            "clock": {
                "now": render_datetime(stored(state.now())),
                "offset_seconds": state.clock_offset.total_seconds(),
            },
            "faults": state.gate.settings.model_dump(),
            "variants": state.variants.model_dump(),
            "seed": {
                "seconds": round(state.seed_report.seconds, 3),
                "scale": state.seed_report.scale,
                "seed": state.seed_report.seed,
                "anchor_date": state.seed_report.anchor_date,
            },
            "applications": [
                {
                    "client_id": app.client_id,
                    "domain": state.settings.application_domain(app),
                    "user_email": app.user_email,
                    "permissions": sorted(app.permissions),
                }
                for app in state.settings.applications
            ],
        }
    )


class ResetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scale: float | None = Field(default=None, gt=0, le=1000)
    seed: int | None = None
    anchor_date: dt.date | None = None


async def reset(request: Request) -> Response:
    """Reseed (optionally with another scale/seed/anchor); tokens, counters, faults and variants reset too."""
    state = _state(request)
    try:
        wanted = ResetRequest.model_validate(await json_object_body(request))
    except (ValueError, ValidationError) as exc:
        return _problem(str(exc))
    changes = {k: v for k, v in wanted.model_dump().items() if v is not None}
    report = state.reseed(state.settings.model_copy(update=changes))
    return JsonResponse({"seconds": round(report.seconds, 3), "row_counts": report.row_counts})


async def get_faults(request: Request) -> Response:
    return JsonResponse(_state(request).gate.settings.model_dump())


async def set_faults(request: Request) -> Response:
    """Merge the given fields into the live fault settings (validated; unknown fields refused)."""
    gate = _state(request).gate
    try:
        changes = await json_object_body(request)
        gate.replace(FaultSettings.model_validate({**gate.settings.model_dump(), **changes}))
    except (ValueError, ValidationError) as exc:
        return _problem(str(exc))
    return JsonResponse(gate.settings.model_dump())


async def reset_faults(request: Request) -> Response:
    state = _state(request)
    state.gate.replace(state.settings.faults.model_copy())
    state.gate.api_window.clear()
    state.gate.token_window.clear()
    return JsonResponse(state.gate.settings.model_dump())


async def reset_calls(request: Request) -> Response:
    state = _state(request)
    state.calls.clear()
    state.statuses.clear()
    return JsonResponse({"calls": {}})


async def clock(request: Request) -> Response:
    """GET: the sandbox time. POST ``{"advance_seconds": 86400}`` or ``{"reset": true}``."""
    state = _state(request)
    if request.method == "POST":
        try:
            body = await json_object_body(request)
            if body.get("reset"):
                state.clock_offset = dt.timedelta(0)
            else:
                state.clock_offset += dt.timedelta(seconds=float(body["advance_seconds"]))
        except (KeyError, TypeError, ValueError) as exc:
            return _problem(f"send advance_seconds (a number) or reset: true ({exc})")
    now = stored(state.now())
    return JsonResponse({"now": render_datetime(now), "offset_seconds": state.clock_offset.total_seconds()})


async def expire_tokens(request: Request) -> Response:
    state = _state(request)
    return JsonResponse({"expired": state.tokens.expire_all(state.now())})


async def revoke_tokens(request: Request) -> Response:
    return JsonResponse({"revoked": _state(request).tokens.revoke_all()})


async def clear_suspensions(request: Request) -> Response:
    return JsonResponse({"cleared": _state(request).gate.clear_suspensions()})


async def activity(request: Request) -> Response:
    state = _state(request)
    try:
        wanted = ActivityRequest.model_validate(await json_object_body(request))
    except (ValueError, ValidationError) as exc:
        return _problem(str(exc))
    return JsonResponse(make_activity(state, wanted))


async def _play(request: Request, action) -> Response:
    try:
        body = await json_object_body(request)
        return JsonResponse(action(_state(request), body))
    except ActivityError as exc:
        return _problem(str(exc), exc.status)
    except (ValueError, TypeError, KeyError) as exc:
        return _problem(f"bad request body: {exc}")


async def purchase(request: Request) -> Response:
    uuid = request.path_params["uuid"]
    return await _play(request, lambda state, body: purchase_requisition(state, uuid, body.get("PO_Num")))


async def receive(request: Request) -> Response:
    number = request.path_params["number"]
    return await _play(
        request, lambda state, body: receive_purchase_order(state, number, float(body.get("fraction", 1.0)))
    )


async def enter_bill(request: Request) -> Response:
    number = request.path_params["number"]
    return await _play(
        request, lambda state, body: bill_purchase_order(state, number, int(body.get("status", 1)))
    )


async def bill_status(request: Request) -> Response:
    uuid = request.path_params["uuid"]
    return await _play(request, lambda state, body: set_bill_status(state, uuid, int(body["status"])))


def _render_record(state: SandboxState, kind: str, key: str) -> dict[str, Any] | None:
    store, lookups = state.store, Lookups(state.store)
    today = state.now().date()
    if kind == "vendors":
        row = store.get("vendors", key)
        return None if row is None else {"row": dict(row), "api": vendor(row, lookups)}
    if kind == "account_codes":
        row = store.get("account_codes", key)
        return None if row is None else {"row": dict(row), "api": account_code(row)}
    if kind == "departments":
        row = store.get("departments", key)
        return None if row is None else {"row": dict(row), "api": department(row, lookups)}
    if kind == "accounts":
        row = store.get("accounts", key)
        return None if row is None else {"row": dict(row), "api": account(row, lookups)}
    if kind == "locations":
        row = store.get("locations", key)
        return None if row is None else {"row": dict(row), "api": location(row)}
    if kind == "orders":
        row = store.one(f"SELECT {ORDER_SELECT} FROM orders o WHERE o.num = ? OR o.uuid = ?", (key, key))
        return None if row is None else {"row": dict(row), "api": order(row, lookups)}
    if kind == "order_items":
        row = store.get("order_items", key)
        return None if row is None else {"row": dict(row), "api": order_item(row, lookups)}
    if kind == "purchase_orders":
        row = store.one(
            f'SELECT {PO_SELECT} FROM purchase_orders p WHERE p."procurify_PO" = ? OR p.uuid = ?', (key, key)
        )
        if row is None:
            return None
        lines = store.all(
            "SELECT * FROM order_items WHERE po_id = ? ORDER BY po_line_num", (row["procurify_PO"],)
        )
        return {"row": dict(row), "api": purchase_order(row, lookups, lines)}
    if kind == "bills":
        row = store.one("SELECT * FROM bills WHERE id = ? OR uuid = ?", (key, key))
        if row is None:
            return None
        items = [r["id"] for r in store.all("SELECT id FROM bill_items WHERE bill_id = ?", (row["id"],))]
        return {"row": dict(row), "api": bill(row, lookups, items, today)}
    if kind == "payments":
        row = store.one("SELECT * FROM payments WHERE id = ? OR uuid = ?", (key, key))
        if row is None:
            return None
        groups = [
            r["group_id"]
            for r in store.all("SELECT group_id FROM payment_groups WHERE payment_id = ?", (row["id"],))
        ]
        return {"row": dict(row), "api": public_payment(row, lookups, groups, state.variants)}
    raise KeyError(kind)


RECORD_KINDS = (
    "vendors",
    "account_codes",
    "departments",
    "accounts",
    "locations",
    "orders",
    "order_items",
    "purchase_orders",
    "bills",
    "payments",
)


async def record(request: Request) -> Response:
    """One stored record: the raw row (hundredths, UTC text) and the API rendering of it."""
    kind, key = request.path_params["kind"], request.path_params["key"]
    if kind not in RECORD_KINDS:
        return _problem(f"unknown kind {kind!r}; one of {', '.join(RECORD_KINDS)}", 404)
    found = _render_record(_state(request), kind, key)
    if found is None:
        return _problem(f"no {kind} record {key!r}", 404)
    return JsonResponse(found)


async def webhooks(request: Request) -> Response:
    # Procurify publishes no webhooks (reference 1 and quirk 6): nothing to register, nothing delivered.
    return JsonResponse(
        {"supported": False, "reason": "Procurify offers no webhooks; clients poll with date filters."}
    )


def admin_routes() -> list[Route]:
    return [
        Route("/sandbox/state", state_summary, methods=["GET"]),
        Route("/sandbox/reset", reset, methods=["POST"]),
        Route("/sandbox/faults", get_faults, methods=["GET"]),
        Route("/sandbox/faults", set_faults, methods=["POST"]),
        Route("/sandbox/faults/reset", reset_faults, methods=["POST"]),
        *live_model_routes(
            "/sandbox/variants",
            BehaviourVariants,
            holder=_state,
            name="variants",
            initial=lambda request: _state(request).settings.variants,
        ),
        Route("/sandbox/calls/reset", reset_calls, methods=["POST"]),
        Route("/sandbox/clock", clock, methods=["GET", "POST"]),
        Route("/sandbox/tokens/expire", expire_tokens, methods=["POST"]),
        Route("/sandbox/tokens/revoke", revoke_tokens, methods=["POST"]),
        Route("/sandbox/suspensions/clear", clear_suspensions, methods=["POST"]),
        Route("/sandbox/activity", activity, methods=["POST"]),
        Route("/sandbox/requisitions/{uuid}/purchase", purchase, methods=["POST"]),
        Route("/sandbox/purchase-orders/{number:int}/receive", receive, methods=["POST"]),
        Route("/sandbox/purchase-orders/{number:int}/bill", enter_bill, methods=["POST"]),
        Route("/sandbox/bills/{uuid}/status", bill_status, methods=["POST"]),
        Route("/sandbox/records/{kind}/{key}", record, methods=["GET"]),
        Route("/sandbox/webhooks", webhooks, methods=["GET"]),
    ]
