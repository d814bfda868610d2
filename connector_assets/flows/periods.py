"""Money dated into an ERP's accounting periods: which G/L date a write carries, or why it waits.

Every money write asks its target's ``Calendar`` first and ``post_on`` decides by ``gl_date_policy``
(``refuse`` holds the record, ``PeriodClosed``; ``first_open_day`` re-dates it and says so). Policies and
what an operator sees: docs/operations.md, "Month end: accounting periods and the close".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from connector_assets.flows import instance
from connector_assets.flows.close_calendar import held_idents
from connector_resources import settings
from connector_resources.held_outside import Kind, OutsideCheck, Said, outside_key
from connector_resources.refusals import code_of, period_closed
from connector_resources.replay import WaitsFor
from connector_resources.setting_declarations import integration_variable

POLICY_ENV = "ML_GL_DATE_POLICY"
FIRST_OPEN_DAY = "first_open_day"
# Every reason a closed period gives (a hold, a re-dated posting, JDE's own refusal) says these words, so a
# person reads them alike; what counts them is data: the ``period_closed`` kind of a hold, the ``redated``
# mark of a create (``REDATED``).
CLOSED_PERIOD = "a closed accounting period"
PERIOD = "period"  # the ``what`` of an ERP's hold kind: ``(<system>, "period", "ledger")``
# What ``replay`` says of the records held on one.
PERIOD_SAID = (
    "are dated in a closed accounting period: a replay sends them once the period opens, or once "
    f"{POLICY_ENV} (or the integration's own) is {FIRST_OPEN_DAY}"
)


@dataclass(frozen=True)
class Period:
    """One accounting period: its name as the ERP's users say it, its days, and whether money may post."""

    name: str  # "period 11 of fiscal year 2026", "Nov-26"
    start: date
    end: date
    open: bool
    status: str  # in words: "open", "closed: before the current period (PBCO)", "Closed", ...

    def said(self) -> str:
        """``period 10 of fiscal year 2026 (2026-10-01 to 2026-10-31), closed: ...``"""
        return f"{self.name} ({self.start.isoformat()} to {self.end.isoformat()}), {self.status}"


class Calendar(Protocol):
    """An ERP ledger's periods as read for one run: ``where`` names the ledger in words ("JDE company 00001,
    A/P periods"), ``ledger_id`` in a hold's key (``00001.AP``: no ``:``, ``/`` or ``@``)."""

    where: str
    ledger_id: str

    def period_of(self, day: date) -> Period | None:
        """The period holding ``day``; None when the ERP has no period there (outside every pattern)."""

    def first_open_day(self) -> date | None:
        """The first day of the earliest open period; None when no period is open."""


def gl_date_policy(integration: str) -> str:
    """The integration's ``ML_<INTEGRATION>_GL_DATE_POLICY`` when set, else ``ML_GL_DATE_POLICY``."""
    return instance.read(policy_setting(integration)) or settings.read(POLICY_ENV)


def policy_setting(integration: str) -> str:
    """The variable that sets the integration's policy, as an operator sets it."""
    return integration_variable(integration, "GL_DATE_POLICY")


@dataclass(frozen=True)
class Posting:
    """The G/L date a money write carries: the source's own (``moved`` False) or the first open day, with
    the words that say so (``note``, for the audit trail)."""

    day: date
    source_day: date
    note: str = ""

    @property
    def moved(self) -> bool:
        return self.day != self.source_day


REDATED = "redated"  # the day's figures' mark of a write posted on another date than the source's


def redated(posting: Posting | None) -> tuple[list[str], list[str]]:
    """What a money write's audit reason and the day's figures keep of its posting (``Created.reason`` /
    ``marks``): the note and ``redated`` when the date moved, nothing when it did not."""
    if posting is None or not posting.moved:
        return [], []
    return [posting.note], [REDATED]


class PeriodClosed(WaitsFor):  # noqa: N818 - a state: the record waits for its period to open
    """A money record dated in a period its ERP does not post into: held on the calendar, not failed and not
    sent again, until the period opens or the policy says to re-date it (``period_checks``)."""

    def __init__(self, kind: Kind, ledger_id: str, integration: str, day: date, reason: str) -> None:
        refusal = period_closed(reason, system=kind[0], ledger=ledger_id, day=day.isoformat())
        super().__init__(outside_key(kind, f"{ledger_id}/{day.isoformat()}@{integration}"), reason, refusal)


def post_on(
    kind: Kind, calendar: Calendar, *, integration: str, document: str, field: str, day: date
) -> Posting:
    """The date ``document`` (its ``field``, e.g. "G/L date") posts on, by the integration's policy; raises
    ``PeriodClosed`` when it must wait, before anything is written."""
    period = calendar.period_of(day)
    if period is not None and period.open:
        return Posting(day, day)
    policy = gl_date_policy(integration)
    first = calendar.first_open_day()
    where = calendar.where
    at = f"{period.said()} of {where}" if period is not None else f"no period of {where} holds that day"
    dated = f"{document} is dated {day.isoformat()} ({field}), in {CLOSED_PERIOD}: {at}"
    if policy == FIRST_OPEN_DAY and first is not None:
        note = (
            f"posted on {first.isoformat()}, the first day of the earliest open period of {where}: {dated} "
            f"({policy_setting(integration)} or {POLICY_ENV} = {FIRST_OPEN_DAY}); the source date "
            f"{day.isoformat()} is kept"
        )
        return Posting(first, day, note)
    if first is None:
        todo = f"no period of {where} is open: open one in the ERP; the record is sent by itself once one is"
    else:
        todo = (
            f"either re-date it in the source system, have the accountants reopen that period, or post it on "
            f"the first open day ({first.isoformat()}) by setting {policy_setting(integration)}="
            f"{FIRST_OPEN_DAY}; held, not sent again until the period opens or the policy changes (the next "
            "replay after that sends it)"
        )
    raise PeriodClosed(kind, calendar.ledger_id, integration, day, f"{dated}: {todo}")


def period_checks(kind: Kind, calendar_of: Callable[[str], Calendar | None]) -> dict[Kind, OutsideCheck]:
    """The replay sweep's check releasing the records an ERP's side held on closed periods (``kind``:
    ``("JDE", "period", "ledger")``), with its words, for a flow's ``Replay.outside``: a record is ready
    once its day's period is open, or once its integration's policy re-dates it and a period is open.
    ``calendar_of(ledger_id)`` reads that ledger's periods now (None: it cannot be read; its records stay
    held)."""

    def check(held: list[str]) -> Mapping[str, str]:
        by_ledger: dict[str, list[str]] = {}
        for ident in held:
            ledger_id, _, rest = ident.partition("/")
            by_ledger.setdefault(ledger_id, []).append(rest)
        ready: dict[str, str] = {}
        for ledger_id, rests in by_ledger.items():
            calendar = calendar_of(ledger_id)
            if calendar is not None:
                ready.update({f"{ledger_id}/{r}": why for r, why in ready_to_post(calendar, rests).items()})
        return ready

    return {kind: Said(check, PERIOD_SAID)}


def ready_to_post(calendar: Calendar, held: list[str]) -> dict[str, str]:
    """Of ``held`` (``<day>@<integration>``), those that may go now, with why."""
    ready: dict[str, str] = {}
    first = calendar.first_open_day()
    for ident, day, integration in held_idents(held, date.fromisoformat):
        period = calendar.period_of(day)
        if period is not None and period.open:
            ready[ident] = f"{period.name} of {calendar.where} is open now"
        elif integration and first is not None and gl_date_policy(integration) == FIRST_OPEN_DAY:
            ready[ident] = f"{policy_setting(integration)} is now {FIRST_OPEN_DAY}: posted on {first}"
    return ready


def is_period_hold(depends_on: str | None, kind: str | None = None) -> bool:
    """Whether a held record waits on an accounting period: its refusal's kind (``period_closed``), or its
    dependency key's second part (an item queued before kinds were kept)."""
    if kind and code_of(kind) == "period_closed":
        return True
    return bool(depends_on) and (depends_on or "").split(":", 2)[1:2] == [PERIOD]
