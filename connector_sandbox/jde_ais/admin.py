"""Operator and test routes under ``/sandbox`` (not part of AIS, never faulted, never counted).

Restart the server, change faults on the fly, make business activity, run the batch voucher and journal
processors, enter an exchange rate, move the companies' accounting periods (a month end), and inspect
state: row counts, calls per endpoint, rows written by orchestrations (as stored: Julian dates, scaled
amounts).
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.routing import Route

from connector_sandbox.admin import (
    Operator,
    Refused,
    object_body,
    record_query,
    refusing,
    seed_summary,
    traffic,
)

from .activity import (
    ActivityRequest,
    make_activity,
    process_journal_batches,
    process_voucher_batches,
    purge_processed_vouchers,
)
from .ap_clerk import ClerkRefused, change_gross, delete_batch_transaction, enter_voucher, void_voucher
from .currency import RateRefused, set_rate
from .periods import PeriodRefused, companies, periods_summary, roll_period, set_period
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
        "dripping_result_sets": state.result_sets.dripping(),
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

    def equal(name: str, value: str) -> tuple[str, Any]:
        column = table.by_alias.get(name)
        if column is None:
            raise Refused(f"{name!r} is not a column of {table.name}")
        return f"{quote(name)} = ?", value if column.kind.value == "A" else int(value)

    query = record_query(request.query_params, equal, most=_MAX_ROWS)
    order = ", ".join(quote(alias) for alias in table.key)
    found = state.store.fetch_dicts(*query.select(quote(table.name), order))
    return {"table": table.name, "rows": found, "count": len(found)}


def payments(state: SandboxState) -> dict[str, Any]:
    return {"payments": state.store.fetch_dicts('SELECT * FROM "sbx_payments" ORDER BY "payment_number"')}


class PeriodRoll(BaseModel):
    """``POST /sandbox/periods/roll``: close the current period of one company (all when omitted)."""

    model_config = ConfigDict(extra="forbid")
    company: str | None = None
    ledger: Literal["gl", "ap", "ar", "all"] = "all"


class PeriodChange(BaseModel):
    """``PUT /sandbox/periods/{company}``: the period holding ``date``, or ``period`` of ``fiscal_year``."""

    model_config = ConfigDict(extra="forbid")
    ledger: Literal["gl", "ap", "ar", "all"] = "all"
    date: dt.date | None = None
    period: int | None = None
    fiscal_year: int | None = None


async def roll_periods(request: Request, state: SandboxState) -> dict[str, Any]:
    """Month end: each company's (or one's) current period closes and the next one becomes current."""
    with refusing(ValidationError, PeriodRefused):
        roll = PeriodRoll.model_validate(await object_body(request))
        # Every company, 00000 too (it holds the periods of a company without its own constants).
        for company in [roll.company] if roll.company else companies(state.store.conn):
            roll_period(state.store, company, roll.ledger, state.now())
    return periods_summary(state.store.conn)


async def change_period(request: Request, state: SandboxState) -> dict[str, Any]:
    """Set one company's current period (moving it back to post a late document, as users do)."""
    with refusing(ValidationError, PeriodRefused):
        change = PeriodChange.model_validate(await object_body(request))
        if (change.date is None) == (change.period is None or change.fiscal_year is None):
            raise PeriodRefused("give either date, or period and fiscal_year")
        set_period(
            state.store,
            request.path_params["company"],
            change.ledger,
            change.date,
            state.now(),
            period=change.period,
            fiscal_year=change.fiscal_year,
        )
    return periods_summary(state.store.conn)


class RateEntry(BaseModel):
    """``POST /sandbox/exchange-rates``: one F0015 rate, ``from`` -> ``to`` (domestic units per unit of
    ``from``) effective from ``effective`` (default today); the same pair and day again replaces it."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    source: str = Field(alias="from")
    target: str = Field(alias="to")
    rate: str
    effective: dt.date | None = None


async def enter_rate(request: Request, state: SandboxState) -> dict[str, Any]:
    """A treasury user enters an exchange rate in P0015A (how "a rate appears later" is rehearsed)."""
    with refusing(ValidationError, RateRefused):
        entry = RateEntry.model_validate(await object_body(request))
        now = state.now()
        return set_rate(
            state.store, entry.source, entry.target, entry.rate, entry.effective or now.date(), now
        )


def _voucher_key(path: dict[str, Any]) -> tuple[str, int, str]:
    return path["company"], int(path["number"]), path["kind"]


def clerk_enters_voucher(_path: dict[str, Any], body: dict[str, Any], state: SandboxState) -> dict[str, Any]:
    """``POST /sandbox/vouchers``: ``{"supplier", "gross"?, "invoice"?}`` entered today in P0411."""
    return enter_voucher(
        state.store,
        state.factory(),
        state.now(),
        int(body["supplier"]),
        body.get("gross"),
        body.get("invoice", ""),
    )


def clerk_changes_gross(path: dict[str, Any], body: dict[str, Any], state: SandboxState) -> dict[str, Any]:
    """``POST /sandbox/vouchers/{company}/{number}/{kind}/gross``: ``{"gross", "pay_item"?}``."""
    return change_gross(
        state.store, state.now(), *_voucher_key(path), body["gross"], body.get("pay_item", "001")
    )


def clerk_voids(path: dict[str, Any], _body: dict[str, Any], state: SandboxState) -> dict[str, Any]:
    """``POST /sandbox/vouchers/{company}/{number}/{kind}/void``."""
    return void_voucher(state.store, state.now(), *_voucher_key(path))


def clerk_deletes_batch(path: dict[str, Any], _body: dict[str, Any], state: SandboxState) -> dict[str, Any]:
    """``POST /sandbox/batches/{user}/{batch}/{transaction}/delete``: an unprocessed transaction."""
    return delete_batch_transaction(state.store, path["user"], path["batch"], path["transaction"])


def admin_routes() -> list[Route]:
    op = _OPERATOR
    clerk = partial(op.act, refusal=ClerkRefused)
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
        op.post(
            "/sandbox/process-vouchers",
            lambda state: process_voucher_batches(
                state.store, state.now(), state.settings.periods, purge=state.faults.purge_processed_batches
            ),
        ),
        op.post("/sandbox/purge-batches", lambda state: purge_processed_vouchers(state.store)),
        op.post(
            "/sandbox/process-journals",
            lambda state: process_journal_batches(
                state.store, state.now(), state.settings.periods, purge=state.faults.purge_processed_journals
            ),
        ),
        op.route("/sandbox/exchange-rates", enter_rate, ["POST"]),
        op.get("/sandbox/periods", lambda state: periods_summary(state.store.conn)),
        op.route("/sandbox/periods/roll", roll_periods, ["POST"]),
        op.route("/sandbox/periods/{company}", change_period, ["PUT"]),
        op.route("/sandbox/rows/{table}", rows),
        op.get("/sandbox/payments", payments),
        # An A/P clerk's actions (``ap_clerk``): what E1 would not let the clerk do keeps its status.
        clerk("/sandbox/vouchers", clerk_enters_voucher),
        clerk("/sandbox/vouchers/{company}/{number:int}/{kind}/gross", clerk_changes_gross),
        clerk("/sandbox/vouchers/{company}/{number:int}/{kind}/void", clerk_voids),
        clerk("/sandbox/batches/{user}/{batch}/{transaction}/delete", clerk_deletes_batch),
    ]
