"""A simulator's own request log: every HTTP request its server received, as sent and as answered.

"Written exactly once" is a claim about the target, so a test should count on the target's side what it
was asked to create, per record, not read it back from our ledger (which is what is under test). The
simulators count calls per endpoint only (``/sandbox/state``), which cannot tell a record POSTed twice from
two records POSTed once; this log can. It is an ASGI wrapper around the simulator's app, in the test
process: what a child process sends over loopback is logged too, and a request whose client was killed
-9 mid-way is logged with the answer the server gave (the server finishes it; nobody reads it).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import sandbox_world

from connector_sandbox.bill import BillSandboxSettings, create_app
from connector_sandbox.serve import serve_in_thread


@dataclass(frozen=True)
class Logged:
    """One request the server received: its method, path, body and the answer's status and body."""

    method: str
    path: str
    sent: bytes
    status: int | None  # None: the server gave no answer (the request never reached a handler's end)
    answered: bytes

    @property
    def body(self) -> Any:
        """The request's JSON body (None when there was none)."""
        return json.loads(self.sent) if self.sent else None

    @property
    def answer(self) -> Any:
        """The answer's JSON body (None when there was none)."""
        return json.loads(self.answered) if self.answered else None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class RequestLog:
    """ASGI middleware keeping a ``Logged`` per HTTP request to ``app``; safe to read from any thread."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._entries: list[Logged] = []
        self._in_flight = 0

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":  # lifespan: the simulator's start-up and shutdown, not a request
            await self.app(scope, receive, send)
            return
        with self._lock:  # before any await: counted from the moment the server hands the request over
            self._in_flight += 1
        sent: list[bytes] = []
        answered: list[bytes] = []
        status: list[int] = []

        async def receiving() -> dict:
            message = await receive()
            if message["type"] == "http.request":
                sent.append(message.get("body", b""))
            return message

        async def sending(message: dict) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            elif message["type"] == "http.response.body":
                answered.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receiving, sending)
        finally:
            answer = status[0] if status else None
            entry = Logged(scope["method"], scope["path"], b"".join(sent), answer, b"".join(answered))
            with self._lock:
                self._entries.append(entry)
                self._in_flight -= 1

    def in_flight(self) -> int:
        """Requests the server has handed over and not yet ended."""
        with self._lock:
            return self._in_flight

    def entries(self, method: str, path: str) -> list[Logged]:
        """The requests ``method path`` received so far, in the order they ended."""
        with self._lock:
            return [e for e in self._entries if e.method == method and e.path == path]

    def entries_all(self) -> list[Logged]:
        """Every request received so far, in the order they ended."""
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        """Forget what was logged: a test's later phase is counted alone."""
        with self._lock:
            self._entries.clear()


def _closing_connections(port: int) -> int:
    """The server's sockets on 127.0.0.1:``port`` whose client has closed and which the server has not yet
    read to the end (TCP state CLOSE_WAIT, in ``/proc/net/tcp``)."""
    local = f"0100007F:{port:04X}"
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for line in lines if line.split()[1] == local and line.split()[3] == "08")


def settled(log: RequestLog, url: str) -> bool:
    """Whether the server at ``url`` (logged by ``log``) has ended every request a killed client sent it:
    it has read each connection that client left to its end (none still waits to be closed), so every
    request on them was handed over, and none of those is still in flight. A request the kill cut off
    has then done at the target whatever it was going to do."""
    port = urlsplit(url).port
    assert port is not None, url
    return _closing_connections(port) == 0 and log.in_flight() == 0


@contextmanager
def logged_bill() -> Iterator[list[RequestLog]]:
    """While the block runs, each BILL simulator a world starts (``sandbox_world.serve_simulator``) keeps a
    ``RequestLog``; the list holds them in the order the simulators started."""
    logs: list[RequestLog] = []
    served = sandbox_world.serve_simulator

    def serve(package: str, settings: Any) -> tuple[str, Callable[[], None]]:
        if package != "bill":
            return served(package, settings)
        settings = settings or BillSandboxSettings()
        log = RequestLog(create_app(settings))
        logs.append(log)
        return serve_in_thread(log, host=settings.host, port=0, path="/connect")

    with mock.patch.object(sandbox_world, "serve_simulator", serve):
        yield logs


# Where each simulator's API is mounted (``connector_sandbox.<package>.run_in_thread``).
_MOUNTS = {"jde_ais": "/jderest", "bill": "/connect"}


@contextmanager
def logged_simulators() -> Iterator[dict[str, list[RequestLog]]]:
    """While the block runs, every simulator a world starts keeps a ``RequestLog``: by package, in the order
    they started."""
    import importlib

    logs: dict[str, list[RequestLog]] = {}

    def serve(package: str, settings: Any) -> tuple[str, Callable[[], None]]:
        module = importlib.import_module(f"connector_sandbox.{package}")
        log = RequestLog(module.create_app(settings))
        logs.setdefault(package, []).append(log)
        return serve_in_thread(log, host=settings.host, port=0, path=_MOUNTS.get(package, ""))

    with mock.patch.object(sandbox_world, "serve_simulator", serve):
        yield logs
