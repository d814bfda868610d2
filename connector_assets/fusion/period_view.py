"""Oracle Fusion's accounting periods as ``ml-connector periods`` shows them (``flows.period_views``): the
ledger's Payables period statuses, read as the money flows read them."""

from __future__ import annotations

from collections.abc import Iterator

from connector_assets.flows.period_views import PeriodsView
from connector_assets.fusion.periods import FusionCalendar, FusionPeriod


def read(_companies: tuple[str, ...] = ()) -> FusionCalendar:
    """The Fusion ledger's Payables periods (one ledger: companies are JDE's)."""
    from connector_assets.flows.replay_resources import resources_from_settings
    from connector_assets.fusion.periods import FusionPeriods

    with resources_from_settings(("fusion",))["fusion"].session() as session:
        return FusionPeriods(session).calendar()


def shown(calendar: FusionCalendar) -> Iterator[str]:
    names = [p.name for p in calendar.periods if p.open]
    first = calendar.first_open_day()
    said = f"open {', '.join(names)} (from {first})" if names else "no period open"
    yield f"{calendar.where}: {said}"


def rolled(before: FusionCalendar, after: FusionCalendar) -> Iterator[str]:
    """Which periods closed and which are now open."""
    closed = [p for p in before.periods if p.open and not _still_open(p, after)]
    now_open = [p for p in after.periods if p.open]
    yield f"{after.where}: closed {_named(closed)}; now open {_named(now_open)}"


def _still_open(period: FusionPeriod, calendar: FusionCalendar) -> bool:
    return any(p.open and p.start == period.start for p in calendar.periods)


def _named(periods: list[FusionPeriod]) -> str:
    return ", ".join(f"{p.name} ({p.start} to {p.end})" for p in periods) or "no period"


VIEW = PeriodsView("fusion", "fusion", "Oracle Fusion", read, shown, rolled)
