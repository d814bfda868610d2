"""The breaches the simulators served in this process saw, so the test that caused one fails naming it.

Simulators run in threads of the test process (``serve_in_thread``); a run's child processes talk to them
over HTTP, so whatever sent the request, the breach lands here. ``tests/conftest.py`` fails a test that
leaves new ones unless it asks for ``contract_breaches`` (a test that sends a known-bad request on purpose).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from connector_sandbox.contracts.checking import Violation


@dataclass(frozen=True)
class Breach:
    # "request": the client sent what the vendor refuses; "answer": the simulator said what no vendor says
    side: str
    violation: Violation

    @property
    def words(self) -> str:
        who = "client request" if self.side == "request" else "simulator answer"
        return f"{who}: {self.violation.words}"


_LOCK = threading.Lock()
_BREACHES: list[Breach] = []


def record(side: str, violations: list[Violation]) -> None:
    with _LOCK:
        _BREACHES.extend(Breach(side, v) for v in violations)


def recorded_breaches(since: int = 0) -> list[Breach]:
    """Breaches recorded in this process from position ``since`` on (``len(recorded_breaches())`` is now)."""
    with _LOCK:
        return list(_BREACHES[since:])
