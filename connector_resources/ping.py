"""``ml-connector ping``: one check per configured system, each proving reachability and credentials.

Checks are registered by name; each API resource module registers its own when it is built, so the CLI
needs no list of systems. A check returns a short plain-words detail or raises; any exception becomes a
failed result with a redacted message, so one broken system never hides the others.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from connector_resources.redaction import redact


@dataclass(frozen=True)
class PingResult:
    name: str
    ok: bool
    detail: str
    seconds: float


PingCheck = Callable[[], str]
_checks: dict[str, PingCheck] = {}


def register_ping(name: str, check: PingCheck) -> None:
    """Register (or replace) the check called ``name``; it returns a detail string or raises."""
    _checks[name] = check


def registered_pings() -> list[str]:
    return sorted(_checks)


def run_pings(names: Iterable[str] | None = None) -> list[PingResult]:
    """Run the named checks (all when ``names`` is None) and return one result each, never raising."""
    wanted = list(names) if names is not None else registered_pings()
    unknown = [n for n in wanted if n not in _checks]
    if unknown:
        raise KeyError(f"no ping check named {', '.join(unknown)}; known: {', '.join(registered_pings())}")
    results = []
    for name in wanted:
        started = time.monotonic()
        try:
            detail = _checks[name]()
            ok = True
        except Exception as exc:  # a failing system is a result, not a crash
            detail = redact(f"{type(exc).__name__}: {exc}")
            ok = False
        results.append(PingResult(name, ok, detail, round(time.monotonic() - started, 3)))
    return results
