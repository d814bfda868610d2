"""Operator and test routes under ``/sandbox``: not Procurify's; never faulted, counted or authenticated.

Reseed, change faults and behaviour variants live, move the sandbox clock, expire or revoke every token,
play business activity and the humans behind it (approve and purchase, receive, bill), and inspect
state: row counts, stored records as the API renders them, calls and answers per endpoint, 429s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.routing import Route

from connector_sandbox.admin import Operator, Refused, refusing, seed_summary, traffic
from connector_sandbox.serve import CompactJSONResponse, json_object_body

from .activity import (
    ActivityError,
    ActivityRequest,
    bill_purchase_order,
    cancel_purchase_order,
    enter_expense_bill,
    make_activity,
    purchase_requisition,
    receive_purchase_order,
    set_account_code_active,
    set_bill_status,
)
from .erp_links import numbers_from_body, repoint_vendor_keys
from .formats import render_datetime, stored
from .payment_desk import pay_bills, set_payment_status
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

_OPERATOR = Operator(respond=CompactJSONResponse)


def state_summary(state: SandboxState) -> dict[str, Any]:
    throttled = sum(count for key, count in state.statuses.items() if key.endswith(" 429"))
    return {
        "domain": state.settings.domain,
        **traffic(state),
        "answers": dict(state.statuses),
        "throttled_429": throttled,
        "injected_failures": state.gate.injected,
        "gateway_timeouts": dict(state.gate.timeouts),
        "suspended_applications": sorted(state.gate.suspended),
        "tokens": {"minted": state.tokens.minted, "active": state.tokens.active(state.now())},
        "clock": _clock(state),
        "faults": state.gate.settings.model_dump(),
        "variants": state.variants.model_dump(),
        "seed": seed_summary(state.seed_report, "seconds", "scale", "seed", "anchor_date"),
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


class ResetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scale: float | None = Field(default=None, gt=0, le=1000)
    seed: int | None = None
    anchor_date: dt.date | None = None


async def reset(request: Request, state: SandboxState) -> dict[str, Any]:
    """Reseed (optionally with another scale/seed/anchor); tokens, counters, faults and variants reset too."""
    with refusing(ValueError, ValidationError):
        wanted = ResetRequest.model_validate(await json_object_body(request))
    changes = {k: v for k, v in wanted.model_dump().items() if v is not None}
    report = state.reseed(state.settings.model_copy(update=changes))
    return seed_summary(report, "seconds", "row_counts")


def _change_faults(state: SandboxState, changes: dict[str, Any]) -> None:
    """Merge the given fields into the live fault settings (validated; unknown fields refused)."""
    state.gate.replace(FaultSettings.model_validate({**state.gate.settings.model_dump(), **changes}))


def _reset_faults(state: SandboxState) -> None:
    state.gate.replace(state.settings.faults.model_copy())
    state.gate.api_window.clear()
    state.gate.token_window.clear()


def _reset_calls(state: SandboxState) -> dict[str, Any]:
    state.calls.clear()
    state.statuses.clear()
    return {"calls": {}}


def _clock(state: SandboxState) -> dict[str, Any]:
    return {"now": render_datetime(stored(state.now())), "offset_seconds": state.clock_offset.total_seconds()}


async def clock(request: Request, state: SandboxState) -> dict[str, Any]:
    """GET: the sandbox time. POST ``{"advance_seconds": 86400}`` or ``{"reset": true}``."""
    if request.method == "POST":
        try:
            body = await json_object_body(request)
            if body.get("reset"):
                state.reset_clock()
            else:
                state.advance_clock(float(body["advance_seconds"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise Refused(f"send advance_seconds (a number) or reset: true ({exc})") from None
    return _clock(state)


def purchase(path: dict[str, Any], body: dict[str, Any], state: SandboxState) -> Any:
    return purchase_requisition(state, path["uuid"], body.get("PO_Num"))


def receive(path: dict[str, Any], body: dict[str, Any], state: SandboxState) -> Any:
    return receive_purchase_order(state, path["number"], float(body.get("fraction", 1.0)))


def cancel(path: dict[str, Any], _body: dict[str, Any], state: SandboxState) -> Any:
    return cancel_purchase_order(state, path["number"])


def enter_bill(path: dict[str, Any], body: dict[str, Any], state: SandboxState) -> Any:
    return bill_purchase_order(state, path["number"], int(body.get("status", 1)))


def expense_bill(_path: dict[str, Any], body: dict[str, Any], state: SandboxState) -> Any:
    vendor = body.get("vendor")
    if vendor is None and not body.get("currency"):
        raise ValueError("name a vendor (id) or a currency (code)")
    vendor_id = None if vendor is None else int(vendor)
    return enter_expense_bill(state, vendor_id, body.get("currency"), int(body.get("status", 1)))


def bill_status(path: dict[str, Any], body: dict[str, Any], state: SandboxState) -> Any:
    return set_bill_status(state, path["uuid"], int(body["status"]))


def pay(_path: dict[str, Any], body: dict[str, Any], state: SandboxState) -> Any:
    return pay_bills(state, list(body["bill_uuids"]), body.get("status", "paid"), body.get("amount"))


def account_code_active(path: dict[str, Any], body: dict[str, Any], state: SandboxState) -> Any:
    return set_account_code_active(state, path["id"], body.get("active"))


def payment_status(path: dict[str, Any], body: dict[str, Any], state: SandboxState) -> Any:
    return set_payment_status(state, path["uuid"], body["status"])


# Kinds whose record is one row by key, rendered from the row alone (with the lookups).
_ROW_KINDS: dict[str, Callable[[Any, Lookups], dict[str, Any]]] = {
    "vendors": vendor,
    "account_codes": lambda row, _lookups: account_code(row),
    "departments": department,
    "accounts": account,
    "locations": lambda row, _lookups: location(row),
    "order_items": order_item,
}


def _render_record(state: SandboxState, kind: str, key: str) -> dict[str, Any] | None:
    store, lookups = state.store, Lookups(state.store)
    today = state.now().date()
    if kind in _ROW_KINDS:
        row = store.get(kind, key)
        return None if row is None else {"row": dict(row), "api": _ROW_KINDS[kind](row, lookups)}
    if kind == "orders":
        row = store.one(f"SELECT {ORDER_SELECT} FROM orders o WHERE o.num = ? OR o.uuid = ?", (key, key))
        return None if row is None else {"row": dict(row), "api": order(row, lookups)}
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


async def record(request: Request, state: SandboxState) -> dict[str, Any]:
    """One stored record: the raw row (hundredths, UTC text) and the API rendering of it."""
    kind, key = request.path_params["kind"], request.path_params["key"]
    if kind not in RECORD_KINDS:
        raise Refused(f"unknown kind {kind!r}; one of {', '.join(RECORD_KINDS)}", 404)
    found = _render_record(state, kind, key)
    if found is None:
        raise Refused(f"no {kind} record {key!r}", 404)
    return found


async def vendor_erp_links(request: Request, state: SandboxState) -> dict[str, Any]:
    """Re-point the seeded vendors' ERP keys at an ERP sandbox's supplier numbers (``erp_links``).

    Body: ``{"numbers": [an8, ...], "format"?: "{n}"}``; calling it again with the same numbers changes
    nothing."""
    with refusing(ValueError):
        numbers, link_format = numbers_from_body(await json_object_body(request))
        done = repoint_vendor_keys(state.store, numbers, link_format)
    state.master_data_changed()
    return done


# Procurify publishes no webhooks (reference 1 and quirk 6): nothing to register, nothing delivered.
_NO_WEBHOOKS = {"supported": False, "reason": "Procurify offers no webhooks; clients poll with date filters."}


def admin_routes() -> list[Route]:
    op = _OPERATOR
    play = partial(op.act, refusal=ActivityError)  # a person's action on a record named in the path
    return [
        *op.common(state_summary, reset, _reset_calls, ActivityRequest, make_activity),
        *op.live(
            "/sandbox/faults",
            read=lambda state: state.gate.settings.model_dump(),
            change=_change_faults,
            reset=_reset_faults,
        ),
        *op.live_model(
            "/sandbox/variants",
            BehaviourVariants,
            name="variants",
            initial=lambda state: state.settings.variants,
        ),
        op.route("/sandbox/clock", clock, ["GET", "POST"]),
        *op.tokens(clocked=True),
        op.post("/sandbox/suspensions/clear", lambda state: {"cleared": state.gate.clear_suspensions()}),
        play("/sandbox/requisitions/{uuid}/purchase", purchase),
        play("/sandbox/purchase-orders/{number:int}/receive", receive),
        play("/sandbox/purchase-orders/{number:int}/cancel", cancel),
        play("/sandbox/purchase-orders/{number:int}/bill", enter_bill),
        play("/sandbox/bills", expense_bill),
        play("/sandbox/bills/{uuid}/status", bill_status),
        play("/sandbox/payments", pay),
        play("/sandbox/payments/{uuid}/status", payment_status),
        play("/sandbox/account-codes/{id:int}/active", account_code_active),
        op.route("/sandbox/records/{kind}/{key}", record),
        op.route("/sandbox/vendors/erp-links", vendor_erp_links, ["POST"]),
        op.get("/sandbox/webhooks", lambda _state: _NO_WEBHOOKS),
    ]
