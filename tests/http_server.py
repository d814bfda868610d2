"""A real, scriptable HTTP/1.1 server on 127.0.0.1 for tests that must not mock ``requests``.

``ScriptedServer`` runs ``http.server.ThreadingHTTPServer`` on an ephemeral port in a background
thread (the standard library gives byte-level control: delays, abrupt resets, keep-alive). Each test
scripts it:

* ``enqueue(CannedResponse(...), ..., path=None)``: answers served in order, per path or globally;
* ``route(path, responder)``: a function ``RecordedRequest -> CannedResponse`` for dynamic answers
  (a token endpoint, an echo), used when the path's queue is empty;
* ``CannedResponse(delay=...)`` waits before answering (read timeouts), ``reset=True`` closes the
  connection with a TCP RST after reading the request (connection reset);
* ``requests`` is the log of what arrived (method, path, query, headers, body, timestamps) and
  ``max_concurrency`` the high-water mark of requests being handled at once.

``OAuthTokenEndpoint`` is a small client-credentials token endpoint (form, Basic or JSON client
authentication) plus a ``protected`` wrapper that answers 401 unless the bearer token is current.

Use it from a test module with ``pytest_plugins = ["http_server"]`` and the ``http_server`` /
``http_server_factory`` fixtures, or directly as a context manager: ``with ScriptedServer() as s:``.

PYTEST_DONT_REWRITE: test modules import this before pytest loads it as a plugin, and it holds
no assertions, so pytest is told not to try (and not to warn about) rewriting it.
"""

from __future__ import annotations

import base64
import itertools
import json
import secrets
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import KW_ONLY, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
from requests.structures import CaseInsensitiveDict

Body = bytes | str | dict | list | None


@dataclass
class CannedResponse:
    """One scripted answer. A dict/list body is sent as JSON."""

    status: int = 200
    body: Body = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    reset: bool = False

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        headers = dict(self.headers)
        if isinstance(self.body, dict | list):
            headers.setdefault("Content-Type", "application/json")
            return json.dumps(self.body).encode(), headers
        if isinstance(self.body, str):
            headers.setdefault("Content-Type", "text/plain; charset=utf-8")
            return self.body.encode(), headers
        return self.body or b"", headers


@dataclass
class RecordedRequest:
    """What the server received. ``headers`` is case-insensitive."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: CaseInsensitiveDict
    body: bytes
    started_at: float
    finished_at: float | None = None

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))


Responder = Callable[[RecordedRequest], CannedResponse]


class ScriptedServer:
    """See module docstring. Thread-safe: handlers run on the server's threads."""

    def __init__(self, default: CannedResponse | None = None, *, port: int = 0) -> None:
        self.default = default or CannedResponse(404, {"error": "nothing scripted for this request"})
        self._lock = threading.Lock()
        self._queues: dict[str | None, deque[CannedResponse]] = {}
        self._routes: dict[str, Responder] = {}
        self._log: list[RecordedRequest] = []
        self._active = 0
        self.max_concurrency = 0
        self._stopping = threading.Event()
        self._httpd = _Server(("127.0.0.1", port), _Handler)
        self._httpd.scripted = self
        self.port = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> ScriptedServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.daemon = True
        self._thread.start()
        return self

    def close(self) -> None:
        self._stopping.set()  # wakes handlers sleeping in a delay
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()

    def __enter__(self) -> ScriptedServer:
        return self.start() if self._thread is None else self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- scripting --------------------------------------------------------------------------------

    def url_for(self, path: str) -> str:
        return f"{self.url}/{path.lstrip('/')}"

    def enqueue(self, *responses: CannedResponse, path: str | None = None) -> None:
        """Queue answers for ``path`` (exact, without query) or, with ``path=None``, for any path."""
        with self._lock:
            self._queues.setdefault(path, deque()).extend(responses)

    def route(self, path: str, responder: Responder | CannedResponse) -> None:
        """Answer ``path`` with ``responder`` (a function, or the same response every time)."""
        fixed = responder
        self._routes[path] = (lambda _req: fixed) if isinstance(fixed, CannedResponse) else fixed

    def _next_response(self, request: RecordedRequest) -> CannedResponse:
        with self._lock:
            for key in (request.path, None):
                queue = self._queues.get(key)
                if queue:
                    return queue.popleft()
        responder = self._routes.get(request.path)
        return responder(request) if responder is not None else self.default

    # -- observation ------------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._log)

    def hits(self, path: str | None = None, method: str | None = None) -> list[RecordedRequest]:
        """Recorded requests, optionally only those for ``path`` and/or ``method``."""
        return [
            r
            for r in self.requests
            if (path is None or r.path == path) and (method is None or r.method == method.upper())
        ]

    def _begin(self, request: RecordedRequest) -> None:
        with self._lock:
            self._log.append(request)
            self._active += 1
            self.max_concurrency = max(self.max_concurrency, self._active)

    def _end(self, request: RecordedRequest) -> None:
        with self._lock:
            self._active -= 1
            request.finished_at = time.monotonic()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog of 5 drops SYNs when a test opens 10+ connections at once (1 s retransmit).
    request_queue_size = 128
    scripted: ScriptedServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out or see a reset leave broken pipes behind; that is the test's point.
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so the client's connection pool is exercised
    timeout = 10  # an idle kept-alive connection must not pin a thread forever
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without NODELAY, Nagle + delayed ACK add ~40 ms each.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        scripted = self.server.scripted
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        request = RecordedRequest(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers=CaseInsensitiveDict(self.headers.items()),
            body=body,
            started_at=time.monotonic(),
        )
        scripted._begin(request)
        ended = False
        try:
            canned = scripted._next_response(request)
            if canned.delay and scripted._stopping.wait(canned.delay):
                self.close_connection = True
                return
            if canned.reset:
                # SO_LINGER 0 turns close() into a TCP RST: the client sees "connection reset".
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True
                return
            payload, headers = canned.encoded()
            # Counted as finished before the first byte goes out: a client that has read its answer
            # may send its next request at once, and that must not overlap this one in the count.
            scripted._end(request)
            ended = True
            self.send_response(canned.status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
        finally:
            if not ended:
                scripted._end(request)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve


@dataclass(eq=False)
class OAuthTokenEndpoint:
    """A client-credentials token endpoint for one client, mounted on a ``ScriptedServer``.

    ``auth_method`` is what it accepts: "client_secret_post" (form), "client_secret_basic" or
    "client_secret_json". Issued tokens are remembered; ``expire_all()`` makes them stale, as a
    server-side session expiry would. ``token_requests`` records every parsed token request.
    """

    server: ScriptedServer
    _: KW_ONLY
    client_id: str
    client_secret: str
    auth_method: str = "client_secret_post"
    path: str = "/oauth/token"
    expires_in: float | None = 3600
    audience: str | None = None
    valid_tokens: set[str] = field(default_factory=set, init=False)
    issued: list[str] = field(default_factory=list, init=False)
    token_requests: list[dict[str, str]] = field(default_factory=list, init=False)
    _counter: Iterator[int] = field(default_factory=lambda: itertools.count(1), init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        self.server.route(self.path, self._issue)

    @property
    def url(self) -> str:
        return self.server.url_for(self.path)

    def expire_all(self) -> None:
        with self._lock:
            self.valid_tokens.clear()

    def _credentials(self, request: RecordedRequest) -> tuple[dict[str, str], str | None, str | None]:
        if self.auth_method == "client_secret_json":
            if "application/json" not in request.headers.get("Content-Type", ""):
                return {}, None, None
            fields = {k: str(v) for k, v in request.json().items()}
            return fields, fields.get("client_id"), fields.get("client_secret")
        fields = request.form()
        if self.auth_method == "client_secret_basic":
            header = request.headers.get("Authorization", "")
            if not header.startswith("Basic "):
                return fields, None, None
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            return fields, client_id, secret
        return fields, fields.get("client_id"), fields.get("client_secret")

    def _issue(self, request: RecordedRequest) -> CannedResponse:
        fields, client_id, secret = self._credentials(request)
        self.token_requests.append(fields)
        if fields.get("grant_type") != "client_credentials":
            return CannedResponse(400, {"error": "unsupported_grant_type"})
        if (client_id, secret) != (self.client_id, self.client_secret):
            return CannedResponse(401, {"error": "invalid_client"})
        if self.audience is not None and fields.get("audience") != self.audience:
            return CannedResponse(403, {"error": "access_denied", "error_description": "wrong audience"})
        token = f"tok{next(self._counter)}-{secrets.token_hex(12)}"
        with self._lock:
            self.valid_tokens.add(token)
            self.issued.append(token)
        body: dict[str, Any] = {"access_token": token, "token_type": "bearer"}
        if self.expires_in is not None:
            body["expires_in"] = self.expires_in
        if fields.get("scope"):
            body["scope"] = fields["scope"]
        return CannedResponse(200, body)

    def is_valid(self, request: RecordedRequest) -> bool:
        header = request.headers.get("Authorization", "")
        with self._lock:
            return header.startswith("Bearer ") and header[7:] in self.valid_tokens

    def protected(self, responder: Responder | CannedResponse, *, expired_status: int = 401) -> Responder:
        """Wrap ``responder`` so requests without a current bearer token get ``expired_status``."""

        def guarded(request: RecordedRequest) -> CannedResponse:
            if not self.is_valid(request):
                return CannedResponse(expired_status, {"error": "invalid_token"})
            return responder(request) if callable(responder) else responder

        return guarded


def closed_port() -> int:
    """A loopback port nothing listens on (bound then released), for connection-refused tests."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def http_server_factory() -> Iterator[Callable[..., ScriptedServer]]:
    """Start as many ``ScriptedServer``s as a test needs; all are closed afterwards."""
    started: list[ScriptedServer] = []

    def make(default: CannedResponse | None = None) -> ScriptedServer:
        server = ScriptedServer(default).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.close()


@pytest.fixture
def http_server(http_server_factory: Callable[..., ScriptedServer]) -> ScriptedServer:
    """One running ``ScriptedServer``."""
    return http_server_factory()
