"""The first day of the daily partitions when nobody set one: the sandbox's, or a recent day on real systems.

Why two defaults: the sandbox seeds history from 2024 on, so ``make dev`` and the tests keep their data
with the first day at 2024-01-01. A real ERP holds years of documents; with that first day, "Materialize
all" in the UI (or a backfill without a range) asks for every day since 2024, over a thousand partitions of
reads against production. Against a real system the default is therefore the first day of the month three
months back: the current quarter's open documents (orders still being received, invoices not yet paid) are
within reach of a first backfill, and "all" is about a hundred days. Older days are one setting away
(``ML_JDE_START_DATE`` / ``ML_SAAS_START_DATE``); a deployment that wants a start that never moves sets it.

A system is real when its base URL is set to a host other than this machine's loopback (the sandbox, and
every test, serves on 127.0.0.1).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlparse

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def months_back(today: date, months: int) -> date:
    """The first day of the month ``months`` before ``today``'s (2026-11-26, 3 -> 2026-08-01)."""
    index = today.year * 12 + today.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def is_real(url: str) -> bool:
    """Whether a base URL set for a system points at a real one: set, and not on this machine's loopback."""
    text = url.strip()
    return bool(text) and urlparse(text).hostname not in LOOPBACK_HOSTS


@dataclass(frozen=True)
class RecentOnRealSystems:
    """A first-day setting's default when any of ``urls`` (base URL settings of the systems whose days
    these are, or what names them when asked: the declared systems are found after the settings load) points
    at a real system: the first day of the month ``months`` back (module docstring)."""

    urls: tuple[str, ...] | Callable[[], tuple[str, ...]]
    months: int = 3

    def url_settings(self) -> tuple[str, ...]:
        return self.urls() if callable(self.urls) else self.urls

    def applies(self, environ: Mapping[str, str]) -> bool:
        """Whether ``environ`` (the settings' environment) points any of ``urls`` at a real system."""
        return any(is_real(environ.get(url, "")) for url in self.url_settings())

    def day(self, today: date | None = None) -> str:
        return months_back(today or datetime.now(UTC).date(), self.months).isoformat()

    def note(self) -> str:
        """What the configuration table says about this default."""
        names = " / ".join(self.url_settings())
        return (
            f"; against a real system ({names} set to a host other than 127.0.0.1) the default is the "
            f"first day of the month {self.months} months back"
        )
