"""Test harness: start a sandbox on a loopback port and drive its operator routes.

For tests (ours, and client tests that need a BILL to talk to). It never wraps the BILL API itself
beyond a login convenience: tests call the API with plain ``requests``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests

from . import run_in_thread
from .settings import BillSandboxSettings

TIMEOUT = 15


class SandboxHandle:
    def __init__(self, base: str, settings: BillSandboxSettings) -> None:
        self.base = base  # http://127.0.0.1:<port>/connect
        self.root = base.removesuffix("/connect")
        self.events = self.root + "/connect-events"
        self.admin = self.root + "/sandbox"
        self.initial = settings

    # -- BILL conveniences --------------------------------------------------------------------------

    def login_body(self, org: str | None = None, **extra: Any) -> dict[str, Any]:
        return {
            "devKey": self.initial.dev_key,
            "username": self.initial.username,
            "password": self.initial.password,
            "organizationId": org or self.initial.organizations[0].id,
            **extra,
        }

    def login(self, org: str | None = None, **extra: Any) -> str:
        response = requests.post(f"{self.base}/v3/login", json=self.login_body(org, **extra), timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        return response.json()["sessionId"]

    def headers(self, session_id: str) -> dict[str, str]:
        return {"devKey": self.initial.dev_key, "sessionId": session_id}

    # -- operator routes ----------------------------------------------------------------------------

    def _post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        response = requests.post(f"{self.admin}{path}", json=body or {}, timeout=60)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def settings(self, **changes: Any) -> dict[str, Any]:
        return self._post("/settings", changes)

    def faults(self, **changes: Any) -> dict[str, Any]:
        return self._post("/faults", changes)

    def activity(self, **counts: Any) -> dict[str, Any]:
        return self._post("/activity", counts)

    def deliver(self) -> list[dict[str, Any]]:
        return self._post("/webhooks/deliver")["outcomes"]

    def state(self) -> dict[str, Any]:
        return requests.get(f"{self.admin}/state", timeout=TIMEOUT).json()

    def record(self, kind: str, record_id: str) -> dict[str, Any]:
        response = requests.get(f"{self.admin}/records/{kind}/{record_id}", timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        return response.json()["record"]

    def restore_defaults(self) -> None:
        """Settings and faults back to the start values, fresh rate windows, no pending events."""
        self._post("/settings/reset")
        self._post("/rate-limits/reset")


@contextmanager
def running(settings: BillSandboxSettings | None = None) -> Iterator[SandboxHandle]:
    settings = settings or BillSandboxSettings()
    base, stop = run_in_thread(settings)
    try:
        yield SandboxHandle(base, settings)
    finally:
        stop()
