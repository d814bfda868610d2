"""Operator and test routes under ``/sandbox`` (not part of Fusion; never faulted, counted or authenticated).

Reseed, change behaviour variants and faults live, change users and OAuth clients, create business
activity, have the AP team pay a named invoice or void a payment (``ap_team``), have a buyer change an open
order (``buyers``), close and open accounting
periods (``periods``), move the pod's clock,
revoke or expire every token, and inspect state: row counts, calls per endpoint, answers per status
(429s included), stored records by id.
"""

from __future__ import annotations

import json
import random
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connector_sandbox.admin import Operator, Refused, object_body, record_query, seed_summary, traffic

from .activity import ActivityRequest, make_activity
from .ap_team import pay_invoice, void_payment
from .buyers import change_order
from .catalog import RESOURCES, Resource
from .periods import PeriodRefused, calendar, roll, set_status
from .settings import BehaviourSettings, FaultSettings, FusionSandboxSettings, PeriodSettings
from .state import SandboxState
from .store import quote
from .supplier_admins import enter_suppliers
from .values import to_json

_RESEED_FIELDS = ("scale", "seed", "anchor_date")


def _json(body: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False, default=str).encode("utf-8"),
        status_code=status,
        media_type="application/json",
    )


# Refusals (and any pydantic ValidationError) are answered as plain JSON ``{"error": ...}`` with 400.
_OPERATOR = Operator(respond=_json, refuse_with=JSONResponse, refuse=(ValidationError,))


def state_summary(state: SandboxState) -> dict[str, Any]:
    now = state.now()
    return {
        **traffic(state),
        "statuses": dict(state.statuses),
        "throttled": state.limiter.throttled,
        "faults_injected": state.injector.injected,
        "tokens": {"issued": state.tokens.issued, "active": state.tokens.active_count(now)},
        "clock": {
            "now": now.isoformat(timespec="milliseconds"),
            "offset_seconds": state.clock_offset.total_seconds(),
        },
        "faults": state.faults.model_dump(),
        "behaviour": state.behaviour.model_dump(mode="json"),
        "seed": seed_summary(
            state.seed_report,
            *("seconds", "anchor_date", "scale", "seed"),
            scale=state.settings.scale,
            seed=state.settings.seed,
        ),
        "users": [
            {
                "username": user.username,
                "privileges": list(user.privileges),
                "business_units": user.business_units,
            }
            for user in state.settings.users
        ],
        "clients": [
            {"client_id": client.client_id, "acts_as": client.acts_as} for client in state.settings.clients
        ],
    }


async def reset(request: Request, state: SandboxState) -> Response:
    """Reseed: ``{"scale", "seed", "anchor_date"}`` optional; everything live returns to the settings."""
    changes = await object_body(request)
    unknown = set(changes) - set(_RESEED_FIELDS)
    if unknown:
        raise Refused(f"reset takes only {', '.join(_RESEED_FIELDS)}; got {sorted(unknown)}")
    settings = FusionSandboxSettings.model_validate({**state.settings.model_dump(), **changes})
    state.reseed(settings)
    return _json(seed_summary(state.seed_report, "row_counts", "seconds"))


def _change_behaviour(state: SandboxState, changes: dict[str, Any]) -> None:
    """Merge variant switches into the live behaviour (validated; unknown fields refused)."""
    state.behaviour = BehaviourSettings.model_validate({**state.behaviour.model_dump(), **changes})
    state.limiter.reset()


def _reset_behaviour(state: SandboxState) -> None:
    state.behaviour = state.settings.behaviour.model_copy(deep=True)
    state.limiter.reset()


async def set_identities(request: Request, state: SandboxState) -> Response:
    """Replace ``users`` and/or ``clients`` (e.g. a user missing a role, a client trusting a certificate)."""
    changes = await object_body(request)
    unknown = set(changes) - {"users", "clients"}
    if unknown:
        raise Refused(f"identities takes users and clients; got {sorted(unknown)}")
    current = state.settings.model_dump()
    state.settings = FusionSandboxSettings.model_validate({**current, **changes})
    return _json(
        {
            "users": [user.username for user in state.settings.users],
            "clients": [client.client_id for client in state.settings.clients],
        }
    )


def _make_activity(state: SandboxState, wanted: Any) -> dict[str, Any]:
    rng = random.Random(f"{state.settings.seed}:{state.now().isoformat()}")
    return make_activity(state.store, rng, state.now(), wanted)


async def advance_clock(request: Request, state: SandboxState) -> Response:
    """``{"advance_seconds": n}``: move the pod's clock forward (token expiry, rate windows, stamps)."""
    body = await object_body(request)
    seconds = body.get("advance_seconds")
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
        raise Refused("advance_seconds must be a non-negative number")
    state.advance_clock(seconds)
    return _json({"now": state.now().isoformat(timespec="milliseconds")})


def _reset_calls(state: SandboxState) -> dict[str, Any]:
    state.calls.clear()
    state.statuses.clear()
    state.limiter.throttled = 0
    return {"calls": {}}


def _record(resource: Resource, row: dict[str, Any]) -> dict[str, Any]:
    return {attr.name: to_json(attr, row.get(attr.name)) for attr in resource.table.attributes}


def _with_children(state: SandboxState, resource: Resource, row: dict[str, Any]) -> dict[str, Any]:
    record = _record(resource, row)
    record["_sandbox"] = {"row_id": row["sbx_id"], "version": row["sbx_version"]}
    for name, child in resource.children_by_name.items():
        rows = state.store.fetch(
            f"SELECT * FROM {quote(child.table.name)} WHERE sbx_parent = ? ORDER BY sbx_id", (row["sbx_id"],)
        )
        record[name] = [_with_children(state, child, child_row) for child_row in rows]
    return record


async def stored_record(request: Request, state: SandboxState) -> Response:
    """One stored object by resource and numeric id, with all its children (canonical names)."""
    resource = RESOURCES.get(request.path_params["resource"])
    if resource is None:
        raise Refused(f"unknown resource; one of {sorted(RESOURCES)}", 404)
    raw = request.path_params["id"]
    if not raw.isdigit():
        raise Refused("the id must be the numeric id (e.g. InvoiceId)")
    row = state.store.row(resource.table.name, int(raw))
    if row is None:
        raise Refused(f"no {resource.name} row with id {raw}", 404)
    return _json(_with_children(state, resource, row))


async def stored_records(request: Request, state: SandboxState) -> Response:
    """Stored rows of a resource's table filtered by ``Attribute=value`` (text equality), ``limit``."""
    resource = RESOURCES.get(request.path_params["resource"])
    if resource is None:
        raise Refused(f"unknown resource; one of {sorted(RESOURCES)}", 404)

    def equal(name: str, value: str) -> tuple[str, Any]:
        if name not in resource.table.names:
            raise Refused(f"{name!r} is not an attribute of {resource.table.name}")
        return f"CAST({quote(name)} AS TEXT) = ?", value

    query = record_query(request.query_params, equal, most=10_000, default=100)
    rows = state.store.fetch(*query.select(quote(resource.table.name), "sbx_id"))
    return _json(
        {"resource": resource.name, "count": len(rows), "records": [_record(resource, row) for row in rows]}
    )


def _period_scope(body: dict[str, Any]) -> tuple[int | None, int | None]:
    """The ``LedgerId`` / ``ApplicationId`` a period change is limited to (each optional)."""
    values = []
    for name in ("LedgerId", "ApplicationId"):
        value = body.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise Refused(f"{name} must be a number")
        values.append(value)
    return values[0], values[1]


def _changing_periods(change: Any) -> Any:
    """Run a period change; a request the calendar cannot take is a 400, a move it forbids a 409."""
    try:
        return change()
    except PeriodRefused as refusal:
        raise Refused(str(refusal), 409) from None
    except LookupError as missing:
        raise Refused(str(missing), 404) from None
    except ValueError as bad:
        raise Refused(str(bad)) from None


async def list_periods(request: Request, state: SandboxState) -> Response:
    """Every period of every ledger and application, with its status."""
    return _json({"periods": calendar(state.store)})


async def roll_periods(request: Request, state: SandboxState) -> Response:
    """Month end: ``{"LedgerId"?, "ApplicationId"?}``; the Open period closes and the next one opens."""
    body = await object_body(request)
    unknown = set(body) - {"LedgerId", "ApplicationId"}
    if unknown:
        raise Refused(f"roll takes LedgerId and ApplicationId; got {sorted(unknown)}")
    ledger, application = _period_scope(body)
    opened = _changing_periods(lambda: roll(state.store, state.settings.periods, ledger, application))
    return _json({"opened": opened})


async def put_period(request: Request, state: SandboxState) -> Response:
    """``{"ClosingStatus": "O|F|C|P|N", "LedgerId"?, "ApplicationId"?}`` for one period by name."""
    body = await object_body(request)
    unknown = set(body) - {"ClosingStatus", "LedgerId", "ApplicationId"}
    if unknown or "ClosingStatus" not in body:
        raise Refused("a period takes ClosingStatus (and LedgerId, ApplicationId to limit it)")
    ledger, application = _period_scope(body)
    name = request.path_params["PeriodName"]
    changed = _changing_periods(
        lambda: set_status(
            state.store, state.settings.periods, name, str(body["ClosingStatus"]), ledger, application
        )
    )
    return _json({"PeriodName": name, "ClosingStatus": body["ClosingStatus"], "rows": changed})


async def reopen_calendar(request: Request, state: SandboxState) -> Response:
    """``{"open_period"?: "YYYY-MM", "open_from"?: "YYYY-MM"}``: the calendar built anew, as at the start,
    with that month Open (default: the settings' ``periods``, else the month of the pod's today)."""
    body = await object_body(request)
    unknown = set(body) - {"open_period", "open_from"}
    if unknown:
        raise Refused(f"periods/reset takes open_period and open_from; got {sorted(unknown)}")
    periods = PeriodSettings.model_validate({**state.settings.periods.model_dump(), **body})
    rows = state.open_calendar(periods)
    return _json({"rows": rows, "open_month": periods.open_month(state.now().date()).isoformat()[:7]})


def admin_routes() -> list[Route]:
    op = _OPERATOR
    return [
        *op.common(state_summary, reset, _reset_calls, ActivityRequest, _make_activity),
        # The faults answer in Starlette's compact JSON, like every simulator's.
        *Operator().faults(FaultSettings, initial=lambda state: state.settings.faults),
        *op.live(
            "/sandbox/behaviour",
            read=lambda state: state.behaviour.model_dump(mode="json"),
            change=_change_behaviour,
            reset=_reset_behaviour,
        ),
        op.route("/sandbox/identities", set_identities, ["POST"]),
        op.route("/sandbox/clock", advance_clock, ["POST"]),
        *op.tokens(clocked=True),
        op.route("/sandbox/records/{resource}", stored_records),
        op.route("/sandbox/records/{resource}/{id}", stored_record),
        op.route("/sandbox/suppliers", enter_suppliers, ["POST"]),
        op.route("/sandbox/invoices/{InvoiceId}/pay", pay_invoice, ["POST"]),
        op.route("/sandbox/payments/{CheckId}/void", void_payment, ["POST"]),
        op.route("/sandbox/purchase_orders/{POHeaderId}/change", change_order, ["POST"]),
        op.route("/sandbox/periods", list_periods),
        op.route("/sandbox/periods/roll", roll_periods, ["POST"]),
        op.route("/sandbox/periods/reset", reopen_calendar, ["POST"]),
        op.route("/sandbox/periods/{PeriodName}", put_period, ["PUT"]),
    ]
