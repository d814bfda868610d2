"""JD Edwards' accounting periods as ``ml-connector periods`` shows them (``flows.period_views``): each
company's A/P and G/L calendars (F0010 / F0008), read as the money flows read them."""

from __future__ import annotations

from collections.abc import Iterator

from connector_assets.flows.period_views import PeriodsView
from connector_assets.jde.periods import COMPANY_CONSTANTS, FiscalPeriod, JdeCalendar, read_calendars
from connector_resources.jde.session import JdeSession

Calendars = list[tuple[str, dict[str, JdeCalendar] | None]]  # company -> its calendars (None: no F0010 row)


def read(companies: tuple[str, ...] = ()) -> Calendars:
    """Each company's A/P and G/L calendars (None: no F0010 row), read as the money flows read them."""
    from connector_assets.flows.replay_resources import jde_from_settings

    with jde_from_settings().session() as session:
        return [(company, read_calendars(session, company)) for company in companies or _companies(session)]


def _companies(session: JdeSession) -> list[str]:
    rows = session.browse(COMPANY_CONSTANTS, columns=["CO"])
    return sorted({str(row.get("CO") or "").strip() for row in rows} - {"", "00000"})


def shown(calendars: Calendars) -> Iterator[str]:
    for company, found in calendars:
        if found is None:
            yield f"JDE company {company}: no F0010 row (money goes as dated; JDE's own edit applies)"
            continue
        for calendar in found.values():
            window, current = calendar.open_periods(), calendar.current
            said = "no period open"
            if window and current is not None:
                first, last = window[0].start, window[-1].end
                said = f"open from {first} to {last} (period {current.number} current)"
            yield f"{calendar.where}: {said}"


def rolled(before: Calendars, after: Calendars) -> Iterator[str]:
    """Which period each calendar closed and which one is now current."""
    was = {company: calendars for company, calendars in before}
    for company, calendars in after:
        if calendars is None:
            continue
        for ledger, calendar in calendars.items():
            earlier = (was.get(company) or {}).get(ledger)
            closed = earlier.current if earlier is not None else None
            yield f"{calendar.where}: closed {_named(closed)}; now current {_named(calendar.current)}"


def _named(period: FiscalPeriod | None) -> str:
    if period is None:
        return "no period (F0010's current period is in no F0008 pattern)"
    return (
        f"period {period.number} of the fiscal year starting {period.year_start} "
        f"({period.start} to {period.end})"
    )


VIEW = PeriodsView("jde", "jde_ais", "JD Edwards", read, shown, rolled)
