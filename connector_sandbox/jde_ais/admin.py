"""Operator and test routes under ``/sandbox`` (not part of AIS, never faulted, never counted).

Restart the server, change faults on the fly, make business activity, run the batch voucher
processor, and inspect state: row counts, calls per endpoint, rows written by orchestrations (as
stored: Julian dates, scaled amounts).
"""

from __future__ import annotations

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connector_sandbox.admin import live_model_routes, problem
from connector_sandbox.serve import json_object_body

from .activity import ActivityRequest, make_activity, process_voucher_batches
from .settings import FaultSettings
from .state import SandboxState
from .store import quote
from .tables import TABLES

_MAX_ROWS = 1000


def _state(request: Request) -> SandboxState:
    return request.app.state.sandbox


async def state_summary(request: Request) -> Response:
    state = _state(request)
    return JSONResponse(
        {
            "row_counts": state.store.row_counts(),
            "calls": dict(state.calls),
            "active_sessions": state.sessions.active_count(),
            "stateless_sessions_created": state.sessions.stateless_sessions_created,
            "open_result_sets": len(state.result_sets),
            "faults": state.faults.model_dump(),
            "seed": {
                "seconds": round(state.seed_report.seconds, 3),
                "reused": state.seed_report.reused,
                "anchor_date": state.seed_report.anchor_date,
                "scale": state.settings.scale,
            },
            "users": [
                {"username": user.username, "simpleDateFormat": user.simple_date_format}
                for user in state.settings.users
            ],
        }
    )


async def restart(request: Request) -> Response:
    return JSONResponse({"invalidated_sessions": _state(request).restart()})


async def reset_calls(request: Request) -> Response:
    _state(request).calls.clear()
    return JSONResponse({"calls": {}})


async def activity(request: Request) -> Response:
    state = _state(request)
    try:
        wanted = ActivityRequest.model_validate(await json_object_body(request))
    except (ValueError, ValidationError) as exc:
        return problem(str(exc))
    return JSONResponse(make_activity(state.store, state.factory(), state.now(), wanted))


async def process_vouchers(request: Request) -> Response:
    state = _state(request)
    return JSONResponse(process_voucher_batches(state.store, state.now()))


async def rows(request: Request) -> Response:
    """Stored rows of one table, filtered by ``ALIAS=value`` query parameters (equality)."""
    state = _state(request)
    table = TABLES.get(request.path_params["table"])
    if table is None:
        return problem(f"unknown table {request.path_params['table']!r}; one of {sorted(TABLES)}", 404)
    clauses, params = [], []
    limit = _MAX_ROWS
    for name, value in request.query_params.multi_items():
        if name == "limit":
            limit = max(1, min(int(value), _MAX_ROWS)) if value.isdigit() else _MAX_ROWS
            continue
        column = table.by_alias.get(name)
        if column is None:
            return problem(f"{name!r} is not a column of {table.name}")
        clauses.append(f"{quote(name)} = ?")
        params.append(value if column.kind.value == "A" else int(value))
    where = " AND ".join(clauses) or "1=1"
    order = ", ".join(quote(alias) for alias in table.key)
    found = state.store.fetch_dicts(
        f"SELECT * FROM {quote(table.name)} WHERE {where} ORDER BY {order} LIMIT ?", [*params, limit]
    )
    return JSONResponse({"table": table.name, "rows": found, "count": len(found)})


async def payments(request: Request) -> Response:
    found = _state(request).store.fetch_dicts('SELECT * FROM "sbx_payments" ORDER BY "payment_number"')
    return JSONResponse({"payments": found})


def admin_routes() -> list[Route]:
    return [
        Route("/sandbox/state", state_summary, methods=["GET"]),
        Route("/sandbox/restart", restart, methods=["POST"]),
        *live_model_routes(
            "/sandbox/faults",
            FaultSettings,
            holder=_state,
            name="faults",
            initial=lambda request: _state(request).settings.faults,
        ),
        Route("/sandbox/calls/reset", reset_calls, methods=["POST"]),
        Route("/sandbox/activity", activity, methods=["POST"]),
        Route("/sandbox/process-vouchers", process_vouchers, methods=["POST"]),
        Route("/sandbox/rows/{table}", rows, methods=["GET"]),
        Route("/sandbox/payments", payments, methods=["GET"]),
    ]
