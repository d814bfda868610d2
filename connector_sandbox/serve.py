"""Run any sandbox ASGI app in a background thread on a loopback port (tests, ``ml-connector dev``).

Binding the socket ourselves (port 0 = ephemeral) means the caller learns the real port before the
server starts and two simulators can never race for the same one. Shared by every simulator, with the
HTTP pieces they all use: the application around a state, the compact JSON response and the operator
routes' JSON body.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute

from connector_sandbox.contracts import Contract, ContractMiddleware


class ClosableState(Protocol):
    """A simulator's state: whatever it holds open (a database, threads) ``close`` lets go of."""

    def close(self) -> None: ...


def sandbox_app(
    state: ClosableState,
    routes: Sequence[BaseRoute],
    *,
    start: Callable[[], None] | None = None,
    contract: Contract | None = None,
    **options: Any,
) -> Starlette:
    """A simulator's Starlette application over ``state`` (``app.state.sandbox``).

    ``start`` (a background sender, say) runs when the server starts; the state is closed when it
    stops. ``contract`` (the vendor's, ``connector_sandbox/<system>/contract.py``) puts the contract check
    in front of every route: the simulator refuses what the vendor refuses. ``options`` go to ``Starlette``
    (``exception_handlers``, ...).
    """

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if start is not None:
            start()
        try:
            yield
        finally:
            state.close()

    middleware = [Middleware(ContractMiddleware, contract=contract)] if contract is not None else []
    app = Starlette(
        routes=list(routes),
        lifespan=lifespan,
        middleware=[*middleware, *options.pop("middleware", [])],
        **options,
    )
    app.state.sandbox = state
    return app


def serve_in_thread(
    app: Any,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    path: str = "",
    startup_timeout: float = 30.0,
    log_level: str = "warning",
) -> tuple[str, Callable[[], None]]:
    """Start ``app``; return (base URL + ``path``, stop). ``stop`` is idempotent and waits for shutdown."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level=log_level, access_log=False, lifespan="on", timeout_graceful_shutdown=5
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"sandbox-{bound_port}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            thread.join(timeout=5)
            sock.close()
            raise RuntimeError(
                f"sandbox server on {host}:{bound_port} did not start within {startup_timeout} s"
            )
        time.sleep(0.01)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()

    return f"http://{host}:{bound_port}{path}", stop


async def json_object_body(request: Any, *, not_json: str = "the body is not JSON") -> dict[str, Any]:
    """An operator request's JSON object body ({} when empty); ``ValueError`` naming what is wrong.

    Shared by the simulators' ``/sandbox/...`` routes, which answer a ValueError with 400, and by
    JDE's AIS routes (which word the not-JSON case their own way: ``not_json``).
    """
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{not_json}: {exc}") from None
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


class CompactJSONResponse(JSONResponse):
    """JSON as most vendors send it: UTF-8, non-ASCII characters unescaped, no spaces."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
