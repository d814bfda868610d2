"""Operator and test routes under ``/sandbox`` (not part of AIS, never faulted, never counted).

Restart the server, change faults on the fly, make business activity, run the batch voucher
processor, and inspect state: row counts, calls per endpoint, rows written by orchestrations (as
stored: Julian dates, scaled amounts).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from connector_sandbox.admin import Operator, Refused, record_filters, seed_summary, traffic

from .activity import ActivityRequest, make_activity, process_voucher_batches
from .settings import FaultSettings
from .state import SandboxState
from .store import quote
from .tables import TABLES

_MAX_ROWS = 1000
_OPERATOR = Operator()


def state_summary(state: SandboxState) -> dict[str, Any]:
    return {
        **traffic(state),
        "active_sessions": state.sessions.active_count(),
        "stateless_sessions_created": state.sessions.stateless_sessions_created,
        "open_result_sets": len(state.result_sets),
        "faults": state.faults.model_dump(),
        "seed": seed_summary(
            state.seed_report, "seconds", "reused", "anchor_date", "scale", scale=state.settings.scale
        ),
        "users": [
            {"username": user.username, "simpleDateFormat": user.simple_date_format}
            for user in state.settings.users
        ],
    }


def _reset_calls(state: SandboxState) -> dict[str, Any]:
    state.calls.clear()
    return {"calls": {}}


async def rows(request: Request, state: SandboxState) -> dict[str, Any]:
    """Stored rows of one table, filtered by ``ALIAS=value`` query parameters (equality)."""
    table = TABLES.get(request.path_params["table"])
    if table is None:
        raise Refused(f"unknown table {request.path_params['table']!r}; one of {sorted(TABLES)}", 404)
    filters, limit = record_filters(request.query_params, most=_MAX_ROWS)
    clauses, params = [], []
    for name, value in filters:
        column = table.by_alias.get(name)
        if column is None:
            raise Refused(f"{name!r} is not a column of {table.name}")
        clauses.append(f"{quote(name)} = ?")
        params.append(value if column.kind.value == "A" else int(value))
    where = " AND ".join(clauses) or "1=1"
    order = ", ".join(quote(alias) for alias in table.key)
    found = state.store.fetch_dicts(
        f"SELECT * FROM {quote(table.name)} WHERE {where} ORDER BY {order} LIMIT ?", [*params, limit]
    )
    return {"table": table.name, "rows": found, "count": len(found)}


def payments(state: SandboxState) -> dict[str, Any]:
    return {"payments": state.store.fetch_dicts('SELECT * FROM "sbx_payments" ORDER BY "payment_number"')}


def admin_routes() -> list[Route]:
    op = _OPERATOR
    return [
        *op.common(
            state_summary,
            None,
            _reset_calls,
            ActivityRequest,
            lambda state, wanted: make_activity(state.store, state.factory(), state.now(), wanted),
        ),
        op.post("/sandbox/restart", lambda state: {"invalidated_sessions": state.restart()}),
        *op.faults(FaultSettings, initial=lambda state: state.settings.faults),
        op.post("/sandbox/process-vouchers", lambda state: process_voucher_batches(state.store, state.now())),
        op.route("/sandbox/rows/{table}", rows),
        op.get("/sandbox/payments", payments),
    ]
