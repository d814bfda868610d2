"""Shared pieces of the Coupa client tests (no tests here): the simulator and how to drive it.

The simulator (``connector_sandbox.coupa``) is only driven the way its README documents: the Coupa
routes, and the operator routes under ``/sandbox/...`` (``faults``, ``settings``, ``records``,
``state``, ``activity``, ``tokens/expire``). Its code is not read by these tests or by the client.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from http_server import CannedResponse, RecordedRequest, ScriptedServer
from sandbox.serving import served

from connector_resources.coupa import CoupaResource, forget_tokens
from connector_sandbox.coupa import CoupaSandboxSettings, run_in_thread

CLIENT_ID = "ml-connector-sandbox"
CLIENT_SECRET = "sandbox-coupa-secret"


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@dataclass
class CoupaBox:
    """A running simulator and its operator routes."""

    url: str

    def admin(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        response = requests.request(method, f"{self.url}/sandbox/{path}", timeout=30, **kwargs)
        response.raise_for_status()
        return response

    def state(self) -> dict[str, Any]:
        return self.admin("GET", "state").json()

    def faults(self, **values: Any) -> None:
        self.admin("POST", "faults", json=values)

    def settings(self, **values: Any) -> None:
        self.admin("POST", "settings", json=values)

    def records(self, resource: str) -> list[dict[str, Any]]:
        """Every stored record of ``resource`` as the API renders it (the simulator's own view)."""
        out: list[dict[str, Any]] = []
        while True:
            page = self.admin("GET", f"records/{resource}", params={"limit": 5000, "offset": len(out)}).json()
            out.extend(page["records"])
            if len(out) >= page["total"] or not page["records"]:
                return out

    def changed_ids(self, resource: str, start: datetime, end: datetime) -> set[int]:
        """Ids whose updated-at is in [start, end), by the simulator's stored records."""
        return {r["id"] for r in self.records(resource) if start <= parse_time(r["updated-at"]) < end}

    def tied_time(self, resource: str) -> tuple[datetime, int]:
        """The most shared updated-at of ``resource`` and how many records share it."""
        counts = Counter(parse_time(r["updated-at"]) for r in self.records(resource))
        return counts.most_common(1)[0]

    def tokens_minted(self) -> int:
        return self.state()["tokens"]["minted"]

    def calls(self, route: str) -> int:
        return self.state()["calls"].get(route, 0)


class LosingProxy(ScriptedServer):
    """A real HTTP proxy in front of the simulator that can lose answers: after forwarding the next
    ``count`` requests matching ``method`` and ``path`` it resets the connection instead of answering,
    so the write happened and the client never hears of it (a read timeout or reset in real life)."""

    def __init__(self, target: str) -> None:
        super().__init__()
        self.target = target.rstrip("/")
        self._lose: list[tuple[str, str]] = []

    def lose_next(self, method: str, path: str, count: int = 1) -> None:
        self._lose.extend([(method.upper(), path)] * count)

    def _next_response(self, request: RecordedRequest) -> CannedResponse:
        skip = {"host", "content-length", "connection", "accept-encoding"}
        headers = {k: v for k, v in request.headers.items() if k.lower() not in skip}
        answer = requests.request(
            request.method,
            f"{self.target}{request.path}",
            params=[(k, v) for k, values in request.query.items() for v in values],
            headers=headers,
            data=request.body or None,
            timeout=30,
        )
        if (request.method, request.path) in self._lose:
            self._lose.remove((request.method, request.path))
            return CannedResponse(reset=True)
        kept = {k: v for k, v in answer.headers.items() if k.lower() in ("content-type", "www-authenticate")}
        return CannedResponse(answer.status_code, answer.content, kept)


def start_box(**settings: Any) -> tuple[CoupaBox, Any]:
    url, stop = run_in_thread(CoupaSandboxSettings(**{"scale": 0.1, **settings}))
    return CoupaBox(url), stop


def coupa(box: CoupaBox, **fields: Any) -> CoupaResource:
    """A resource for ``box``. Client-side pacing and the token warm-up are off unless a test turns
    them on: they are exercised by the tests about them, and would only slow the others down."""
    values: dict[str, Any] = {
        "base_url": box.url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "token_warmup_seconds": 0,
        "rate_per_second": 0,
        "backoff_base": 0.05,
        "backoff_cap": 0.5,
        **fields,
    }
    return CoupaResource(**values)


@pytest.fixture(scope="module")
def box() -> Iterator[CoupaBox]:
    yield from served(start_box())


@pytest.fixture(autouse=True)
def _fresh_state(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test starts with no shared token and (when it uses the simulator) default faults with
    the simulator's rate limit off; tests about the limit turn it back on."""
    forget_tokens()
    sandbox = request.getfixturevalue("box") if "box" in request.fixturenames else None
    if sandbox is not None:
        sandbox.admin("POST", "settings/reset")
        sandbox.admin("POST", "faults/reset")
        sandbox.faults(rate_limit_enabled=False)
    yield
    forget_tokens()
