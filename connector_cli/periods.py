"""``ml-connector periods``: the accounting periods money is judged by, and a month end rehearsed.

Why: at month end an operator wants to know, before the flows run, which periods the ERP will post into:
``periods`` reads them exactly as the money flows do (JDE's F0010 / F0008 per company, Fusion's Payables
period statuses) and says what the policy does with a date outside them. On the embedded sandboxes
``periods roll`` closes the current period and opens the next, in JDE and Fusion together, so ``make dev``
can rehearse the first day of a month: the next runs hold (or re-date) what is dated in the month just closed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import click
import requests

from connector_assets.flows.periods import POLICY_ENV
from connector_assets.fusion.periods import FusionCalendar, FusionPeriod
from connector_assets.jde.periods import COMPANY_CONSTANTS, FiscalPeriod, JdeCalendar, read_calendars
from connector_resources import settings

SANDBOXES = {"jde": ("jde_ais", "JD Edwards"), "fusion": ("fusion", "Oracle Fusion")}


SYSTEM_OPTION = click.option(
    "--system", "systems", multiple=True, type=click.Choice(sorted(SANDBOXES)), help="default: both"
)


@click.group()
def periods() -> None:
    """The accounting periods money flows post into (`show`), and a month end rehearsed on the sandboxes
    (`roll`)."""


@periods.command()
@click.option("--company", "companies", multiple=True, help="JDE company (default: every F0010 row's)")
@SYSTEM_OPTION
def show(companies: tuple[str, ...], systems: tuple[str, ...]) -> None:
    """Each JDE company's A/P and G/L open window (F0010 / F0008) and the Fusion ledger's open Payables
    periods, read as the money flows read them, and the ML_GL_DATE_POLICY that decides a date outside them."""
    click.echo(f"{POLICY_ENV}={settings.read(POLICY_ENV)} (an integration's own setting overrides it)")
    chosen = systems or tuple(sorted(SANDBOXES))
    if "fusion" in chosen:
        for line in _fusion_lines():
            click.echo(line)
    if "jde" in chosen:
        for line in _jde_lines(companies):
            click.echo(line)


def _jde_lines(companies: tuple[str, ...]) -> Iterator[str]:
    for company, calendars in _jde_calendars(companies):
        if calendars is None:
            yield f"JDE company {company}: no F0010 row (money goes as dated; JDE's own edit applies)"
            continue
        for calendar in calendars.values():
            window, current = calendar.open_periods(), calendar.current
            said = "no period open"
            if window and current is not None:
                first, last = window[0].start, window[-1].end
                said = f"open from {first} to {last} (period {current.number} current)"
            yield f"{calendar.where}: {said}"


def _jde_calendars(companies: tuple[str, ...] = ()) -> list[tuple[str, dict[str, JdeCalendar] | None]]:
    """Each company's A/P and G/L calendars (None: no F0010 row), read as the money flows read them."""
    from connector_assets.flows.replay_resources import jde_from_settings

    with jde_from_settings().session() as session:
        return [(company, read_calendars(session, company)) for company in companies or _companies(session)]


def _companies(session: Any) -> list[str]:
    rows = session.browse(COMPANY_CONSTANTS, columns=["CO"])
    return sorted({str(row.get("CO") or "").strip() for row in rows} - {"", "00000"})


def _fusion_lines() -> Iterator[str]:
    calendar = _fusion_calendar()
    names = [p.name for p in calendar.periods if p.open]
    first = calendar.first_open_day()
    said = f"open {', '.join(names)} (from {first})" if names else "no period open"
    yield f"{calendar.where}: {said}"


def _fusion_calendar() -> FusionCalendar:
    """The Fusion ledger's Payables periods, read as the money flows read them."""
    from connector_assets.flows.replay_resources import resources_from_settings
    from connector_assets.fusion.periods import FusionPeriods

    with resources_from_settings(("fusion",))["fusion"].session() as session:
        return FusionPeriods(session).calendar()


@periods.command()
@SYSTEM_OPTION
def roll(systems: tuple[str, ...]) -> None:
    """Rehearse a month end on the running make dev's sandboxes: the current period closes and the next one
    opens, in JD Edwards (every company, every ledger) and Oracle Fusion. Refused against a configured
    (real) system: its periods are the accountants' to move."""
    for name in systems or tuple(sorted(SANDBOXES)):
        key, title = SANDBOXES[name]
        system = settings.system(key)
        if system.is_configured():
            raise click.ClickException(
                f"{title} is a configured system, not a sandbox: roll its periods in {title}"
            )
        base = system.values()["base_url"]
        root = base.split("/jderest")[0] if key == "jde_ais" else base.split("/fscmRestApi")[0]
        before = _read_periods(name)
        try:
            answer = requests.post(f"{root}/sandbox/periods/roll", json={}, timeout=10)
            answer.raise_for_status()
        except requests.RequestException as exc:
            raise click.ClickException(f"{title} sandbox at {root} did not roll its periods: {exc}") from None
        click.echo(f"{title} sandbox: the current period closed, the next one open ({root})")
        for line in _rolled_lines(name, before, _read_periods(name)):
            click.echo(f"  {line}")


def _read_periods(name: str) -> Any:
    """What ``roll`` compares before and after: JDE's calendars per company, or Fusion's one calendar."""
    return _jde_calendars() if name == "jde" else _fusion_calendar()


def _rolled_lines(name: str, before: Any, after: Any) -> Iterator[str]:
    """Which period each calendar closed and which one is now open, read back as the flows will read it
    (an operator rehearsing a month end wants to know which month their next runs judge dates by)."""
    if name == "fusion":
        closed = [p for p in before.periods if p.open and not _still_open(p, after)]
        now_open = [p for p in after.periods if p.open]
        yield (f"{after.where}: closed {_fusion_named(closed)}; now open {_fusion_named(now_open)}")
        return
    was = {company: calendars for company, calendars in before}
    for company, calendars in after:
        if calendars is None:
            continue
        for ledger, calendar in calendars.items():
            earlier = (was.get(company) or {}).get(ledger)
            closed = earlier.current if earlier is not None else None
            yield (
                f"{calendar.where}: closed {_jde_named(closed)}; now current {_jde_named(calendar.current)}"
            )


def _still_open(period: FusionPeriod, calendar: FusionCalendar) -> bool:
    return any(p.open and p.start == period.start for p in calendar.periods)


def _fusion_named(periods: list[FusionPeriod]) -> str:
    return ", ".join(f"{p.name} ({p.start} to {p.end})" for p in periods) or "no period"


def _jde_named(period: FiscalPeriod | None) -> str:
    if period is None:
        return "no period (F0010's current period is in no F0008 pattern)"
    return (
        f"period {period.number} of the fiscal year starting {period.year_start} "
        f"({period.start} to {period.end})"
    )
