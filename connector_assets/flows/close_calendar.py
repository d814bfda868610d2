"""The month-end close an operator declares per integration: money into the ERP waits while it runs
(``CloseInProgress``, released by ``close_checks``; master data keeps running). Syntax and what an operator
sees: docs/operations.md, "Month end: accounting periods and the close".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connector_assets.flows import instance
from connector_resources.held_outside import Kind, OutsideCheck, Said, outside_key
from connector_resources.refusals import close_window
from connector_resources.replay import WaitsFor
from connector_resources.setting_declarations import integration_variable
from connector_resources.settings import SettingError

T = TypeVar("T")

KIND = ("CLOSE", "window", "until")  # what records held during a close wait on
_BUSINESS = re.compile(r"business days? (\d{1,2})\s*-\s*(\d{1,2})")
_DAYS = re.compile(r"(\d{4}-\d{2}-\d{2})(?:\s*\.\.\s*(\d{4}-\d{2}-\d{2}))?")


# The integration's two settings of its close (``integration_variable``: ML_<INTEGRATION>_CLOSE_CALENDAR ...).
CALENDAR = "CLOSE_CALENDAR"
TIMEZONE = "CLOSE_TIMEZONE"


@dataclass(frozen=True)
class CloseCalendar:
    """A parsed close declaration: business-day ranges of every month, and explicit day ranges."""

    text: str
    zone: ZoneInfo
    business_days: tuple[tuple[int, int], ...] = ()
    days: tuple[tuple[date, date], ...] = ()

    def closing(self, day: date) -> bool:
        """Whether ``day`` (in the ERP's zone) is a close day."""
        if any(first <= day <= last for first, last in self.days):
            return True
        if not self.business_days or day.weekday() >= 5:
            return False
        nth = sum(1 for d in range(1, day.day + 1) if day.replace(day=d).weekday() < 5)
        return any(first <= nth <= last for first, last in self.business_days)

    def until(self, now: datetime) -> datetime | None:
        """When the close ``now`` falls in ends (the start of the first day after it that is no close day),
        None when ``now`` is outside every close."""
        day = now.astimezone(self.zone).date()
        if not self.closing(day):
            return None
        while self.closing(day):
            day += timedelta(days=1)
        return datetime.combine(day, time.min, tzinfo=self.zone)


def parse(text: str, zone: ZoneInfo, setting: str = "the close calendar") -> CloseCalendar:
    """``text`` as a ``CloseCalendar``; a ``SettingError`` naming ``setting`` and the entry it cannot read."""
    business: list[tuple[int, int]] = []
    days: list[tuple[date, date]] = []
    for entry in (part.strip().lower() for part in text.split(";")):
        if not entry:
            continue
        if match := _BUSINESS.fullmatch(entry):
            first, last = int(match.group(1)), int(match.group(2))
            if not 1 <= first <= last <= 23:
                raise SettingError(f"{setting}: {entry!r}: business days run from 1 to 23, first <= last")
            business.append((first, last))
        elif match := _DAYS.fullmatch(entry):
            first_day = date.fromisoformat(match.group(1))
            last_day = date.fromisoformat(match.group(2) or match.group(1))
            if last_day < first_day:
                raise SettingError(f"{setting}: {entry!r}: the range ends before it starts")
            days.append((first_day, last_day))
        else:
            raise SettingError(
                f"{setting}: cannot read {entry!r}; say e.g. 'business days 1-3' or "
                "'2026-11-30..2026-12-02', entries separated by ';'"
            )
    return CloseCalendar(text, zone, tuple(business), tuple(days))


def close_of(integration: str) -> CloseCalendar | None:
    """The integration's declared close, None when it declares none."""
    calendar = integration_variable(integration, CALENDAR)
    timezone = integration_variable(integration, TIMEZONE)
    text = instance.read(calendar)
    if not text:
        return None
    zone_name = instance.read(timezone) or "UTC"
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingError(
            f"{timezone}={zone_name!r}: expected a time zone name such as America/Chicago"
        ) from None
    return parse(text, zone, calendar)


class CloseInProgress(WaitsFor):  # noqa: N818 - a state: the record waits for the close to end
    """A money record met during its integration's close: held until the close ends."""

    def __init__(self, integration: str, until: datetime, erp: str) -> None:
        local = until.strftime("%Y-%m-%d %H:%M %Z")
        reason = (
            f"period close in progress, until {local} ({integration_variable(integration, CALENDAR)}): money "
            f"into {erp} "
            "waits for the close to end and is sent by itself after it"
        )
        end = until.astimezone(UTC).isoformat()
        super().__init__(outside_key(KIND, f"{end}@{integration}"), reason, close_window(reason, until=end))


def hold_during_close(integration: str, erp: str, now: datetime | None = None) -> None:
    """Raise ``CloseInProgress`` when ``integration``'s close is in progress at ``now``."""
    close = close_of(integration)
    until = close.until(now or datetime.now(UTC)) if close is not None else None
    if until is not None:
        raise CloseInProgress(integration, until, erp)


def held_idents(held: Iterable[str], parse: Callable[[str], T]) -> Iterator[tuple[str, T, str]]:
    """(ident, what it is held until, integration) of each ``<until>@<integration>`` of ``held``, ``parse``
    reading the first part; an ident it cannot read (``ValueError``) is passed over, as not ready."""
    for ident in held:
        text, _, integration = ident.partition("@")
        try:
            until = parse(text)
        except ValueError:
            continue
        yield ident, until, integration


def ended(held: list[str], now: datetime | None = None) -> dict[str, str]:
    """Of ``held`` (``<until>@<integration>``), those whose close has ended (or is no longer declared)."""
    now = now or datetime.now(UTC)
    ready: dict[str, str] = {}
    for ident, until, integration in held_idents(held, datetime.fromisoformat):
        close = close_of(integration) if integration else None
        if now >= until or close is None or close.until(now) is None:
            ready[ident] = f"the period close of {integration} has ended"
    return ready


CLOSE_SAID = "wait for a declared period close to end: a replay after it sends them"


def close_checks(resources: Callable[[], Mapping[str, object]] | None = None) -> dict[Kind, OutsideCheck]:
    """The replay sweep's check releasing what a declared close held once it has ended, with its words, for
    a money flow's ``Replay.outside`` (it reads the clock and the settings, never ``resources``)."""
    return {KIND: Said(ended, CLOSE_SAID)}
