"""Operator and test routes under ``/sandbox`` (not part of Fusion; never faulted, counted or authenticated).

Reseed, change behaviour variants and faults live, change users and OAuth clients, create business
activity, move the pod's clock, revoke or expire every token, and inspect state: row counts, calls
per endpoint, answers per status (429s included), stored records by id.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connector_sandbox.admin import live_model_routes
from connector_sandbox.serve import json_object_body

from .activity import ActivityRequest, make_activity
from .catalog import RESOURCES, Resource
from .settings import BehaviourSettings, FaultSettings, FusionSandboxSettings
from .state import SandboxState
from .store import quote
from .values import to_json

_RESEED_FIELDS = ("scale", "seed", "anchor_date")


def _state(request: Request) -> SandboxState:
    return request.app.state.sandbox


class _Problem(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _json(body: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False, default=str).encode("utf-8"),
        status_code=status,
        media_type="application/json",
    )


async def _object(request: Request) -> dict[str, Any]:
    """The operator body (``json_object_body``, shared by the simulators), its refusal as a 400."""
    try:
        return await json_object_body(request)
    except ValueError as exc:
        raise _Problem(str(exc)) from None


def _admin(handler: Any) -> Any:
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request, _state(request))
        except _Problem as problem:
            return JSONResponse({"error": str(problem)}, status_code=problem.status)
        except ValidationError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)

    return endpoint


async def state_summary(request: Request, state: SandboxState) -> Response:
    now = state.now()
    return _json(
        {
            "row_counts": state.store.row_counts(),
            "calls": dict(state.calls),
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
            "seed": {
                "seconds": round(state.seed_report.seconds, 3),
                "anchor_date": state.seed_report.anchor_date,
                "scale": state.settings.scale,
                "seed": state.settings.seed,
            },
            "users": [
                {
                    "username": user.username,
                    "privileges": list(user.privileges),
                    "business_units": user.business_units,
                }
                for user in state.settings.users
            ],
            "clients": [
                {"client_id": client.client_id, "acts_as": client.acts_as}
                for client in state.settings.clients
            ],
        }
    )


async def reset(request: Request, state: SandboxState) -> Response:
    """Reseed: ``{"scale", "seed", "anchor_date"}`` optional; everything live returns to the settings."""
    changes = await _object(request)
    unknown = set(changes) - set(_RESEED_FIELDS)
    if unknown:
        raise _Problem(f"reset takes only {', '.join(_RESEED_FIELDS)}; got {sorted(unknown)}")
    settings = FusionSandboxSettings.model_validate({**state.settings.model_dump(), **changes})
    state.reseed(settings)
    return _json({"row_counts": state.seed_report.row_counts, "seconds": round(state.seed_report.seconds, 3)})


async def get_behaviour(request: Request, state: SandboxState) -> Response:
    return _json(state.behaviour.model_dump(mode="json"))


async def set_behaviour(request: Request, state: SandboxState) -> Response:
    """Merge variant switches into the live behaviour (validated; unknown fields refused)."""
    changes = await _object(request)
    state.behaviour = BehaviourSettings.model_validate({**state.behaviour.model_dump(), **changes})
    state.limiter.reset()
    return _json(state.behaviour.model_dump(mode="json"))


async def reset_behaviour(request: Request, state: SandboxState) -> Response:
    state.behaviour = state.settings.behaviour.model_copy(deep=True)
    state.limiter.reset()
    return _json(state.behaviour.model_dump(mode="json"))


async def set_identities(request: Request, state: SandboxState) -> Response:
    """Replace ``users`` and/or ``clients`` (e.g. a user missing a role, a client trusting a certificate)."""
    changes = await _object(request)
    unknown = set(changes) - {"users", "clients"}
    if unknown:
        raise _Problem(f"identities takes users and clients; got {sorted(unknown)}")
    current = state.settings.model_dump()
    state.settings = FusionSandboxSettings.model_validate({**current, **changes})
    return _json(
        {
            "users": [user.username for user in state.settings.users],
            "clients": [client.client_id for client in state.settings.clients],
        }
    )


async def activity(request: Request, state: SandboxState) -> Response:
    wanted = ActivityRequest.model_validate(await _object(request))
    rng = random.Random(f"{state.settings.seed}:{state.now().isoformat()}")
    return _json(make_activity(state.store, rng, state.now(), wanted))


async def advance_clock(request: Request, state: SandboxState) -> Response:
    """``{"advance_seconds": n}``: move the pod's clock forward (token expiry, rate windows, stamps)."""
    body = await _object(request)
    seconds = body.get("advance_seconds")
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
        raise _Problem("advance_seconds must be a non-negative number")
    state.clock_offset += dt.timedelta(seconds=seconds)
    return _json({"now": state.now().isoformat(timespec="milliseconds")})


async def revoke_tokens(request: Request, state: SandboxState) -> Response:
    return _json({"revoked": state.tokens.revoke_all()})


async def expire_tokens(request: Request, state: SandboxState) -> Response:
    return _json({"expired": state.tokens.expire_all(state.now())})


async def reset_calls(request: Request, state: SandboxState) -> Response:
    state.calls.clear()
    state.statuses.clear()
    state.limiter.throttled = 0
    return _json({"calls": {}})


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
        raise _Problem(f"unknown resource; one of {sorted(RESOURCES)}", 404)
    raw = request.path_params["id"]
    if not raw.isdigit():
        raise _Problem("the id must be the numeric id (e.g. InvoiceId)")
    row = state.store.row(resource.table.name, int(raw))
    if row is None:
        raise _Problem(f"no {resource.name} row with id {raw}", 404)
    return _json(_with_children(state, resource, row))


async def stored_records(request: Request, state: SandboxState) -> Response:
    """Stored rows of a resource's table filtered by ``Attribute=value`` (text equality), ``limit``."""
    resource = RESOURCES.get(request.path_params["resource"])
    if resource is None:
        raise _Problem(f"unknown resource; one of {sorted(RESOURCES)}", 404)
    clauses, params, limit = [], [], 100
    for name, value in request.query_params.multi_items():
        if name == "limit":
            limit = max(1, min(int(value), 10_000)) if value.isdigit() else 100
            continue
        if name not in resource.table.names:
            raise _Problem(f"{name!r} is not an attribute of {resource.table.name}")
        clauses.append(f"CAST({quote(name)} AS TEXT) = ?")
        params.append(value)
    where = " AND ".join(clauses) or "1=1"
    rows = state.store.fetch(
        f"SELECT * FROM {quote(resource.table.name)} WHERE {where} ORDER BY sbx_id LIMIT ?", [*params, limit]
    )
    return _json(
        {"resource": resource.name, "count": len(rows), "records": [_record(resource, row) for row in rows]}
    )


def admin_routes() -> list[Route]:
    return [
        Route("/sandbox/state", _admin(state_summary), methods=["GET"]),
        Route("/sandbox/reset", _admin(reset), methods=["POST"]),
        *live_model_routes(
            "/sandbox/faults",
            FaultSettings,
            holder=_state,
            name="faults",
            initial=lambda request: _state(request).settings.faults,
        ),
        Route("/sandbox/behaviour", _admin(get_behaviour), methods=["GET"]),
        Route("/sandbox/behaviour", _admin(set_behaviour), methods=["POST"]),
        Route("/sandbox/behaviour/reset", _admin(reset_behaviour), methods=["POST"]),
        Route("/sandbox/identities", _admin(set_identities), methods=["POST"]),
        Route("/sandbox/activity", _admin(activity), methods=["POST"]),
        Route("/sandbox/clock", _admin(advance_clock), methods=["POST"]),
        Route("/sandbox/tokens/revoke", _admin(revoke_tokens), methods=["POST"]),
        Route("/sandbox/tokens/expire", _admin(expire_tokens), methods=["POST"]),
        Route("/sandbox/calls/reset", _admin(reset_calls), methods=["POST"]),
        Route("/sandbox/records/{resource}", _admin(stored_records), methods=["GET"]),
        Route("/sandbox/records/{resource}/{id}", _admin(stored_record), methods=["GET"]),
    ]
