"""The ASGI webhook receiver (``ml-connector webhooks``).

``POST /webhooks/{source}``: the body is read (bounded size), verified by the source, parsed, given its
event ID and stored in the ledger's webhook inbox; only then is 200 returned. The store is a group
commit (``inbox_writer.py``): one writer per process puts every delivery that arrived while the
previous transaction committed into the next one, and answers each request only after that commit; a
failed commit answers 503 to every request in it (the sender retries), never 200. A forged delivery
gets 401, a malformed one (or one without the event time its source documents, or with an event ID the
inbox cannot hold) 400, an oversized one 413, and one whose event time is outside the source's window
(stale, or in the future beyond the clock skew; ``freshness.py``) 422; none of them stores anything,
and each refusal is logged with its reason (never the body or a header value). A redelivery answers
200 (so the sender stops retrying) and stores nothing new. The slow work (calling the ERP) happens
later in a Dagster run started by the inbox sensor, well inside Procore's 5-second answer budget.
``POST /webhooks/{source}/token`` is the token URL of a source whose sender fetches an OAuth bearer before
delivering (Coupa's call-outs configured with OAuth 2.0): it issues tokens and stores nothing.
"""

from __future__ import annotations

import gc
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from connector_resources.ledger import Ledger, LedgerInputError
from connector_resources.ledger.inbox import InboxDelivery
from connector_resources.redaction import get_logger
from connector_resources.webhooks.freshness import EventTimeMissing
from connector_resources.webhooks.inbox_writer import DEFAULT_BATCH_CAP, InboxWriteFailed, InboxWriter
from connector_resources.webhooks.sources import WebhookRejected, WebhookSource, parse_json

log = get_logger(__name__)

MAX_BODY_BYTES = 1_000_000


def create_receiver(
    sources: dict[str, WebhookSource], ledger: Ledger, *, batch_cap: int = DEFAULT_BATCH_CAP
) -> Starlette:
    """The receiver app for ``sources`` (path name -> source); each source carries its own age window.

    ``batch_cap`` bounds how many deliveries share one commit. The writer is ``app.state.inbox_writer``;
    it starts with the app and, on shutdown, commits what is queued before the process ends.
    """
    writer = InboxWriter(ledger, batch_cap=batch_cap)

    async def receive(scope: Scope, receive_message: Receive, send: Send) -> None:
        """``POST /webhooks/{source}`` as a plain ASGI endpoint (no Request, no Response object).

        This is the hot path: under a burst it runs once per delivery on the event loop, beside the
        writer. Starlette's request/response wrapping cost more CPU per delivery than verifying,
        parsing and checking the event together; here the body, the headers and the answer are handled
        directly, with the same answers and the same order of checks (verify before anything else).
        """
        body = await _read_body(scope, receive_message)
        if body is None:  # the sender went away before the whole body arrived: nothing to answer
            return
        if isinstance(body, _Answer):
            await body.send(send)
            return
        answer = await handle(scope, body)
        await answer.send(send)

    async def handle(scope: Scope, body: bytes) -> _Answer:
        name = scope["path_params"]["source"]
        source = sources.get(name)
        if source is None:
            return _Answer(404, {"error": f"unknown webhook source {name}"})
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            source.verify(headers, body)
        except WebhookRejected as exc:
            client = scope.get("client")
            log.warning("rejected %s delivery from %s: %s", name, client[0] if client else "?", exc)
            return _Answer(401, {"error": "signature verification failed"})
        try:
            payload = parse_json(body)
            event_id = source.event_id(headers, payload)
        except (ValueError, UnicodeDecodeError) as exc:
            return _Answer(400, {"error": f"malformed event: {exc}"})
        if source.occurred_at is not None:
            try:
                occurred = source.occurred_at(headers, payload)
            except EventTimeMissing as exc:
                log.warning("refused %s event %s: %s", name, event_id, exc)
                return _Answer(400, {"error": f"event {event_id}: {exc}"})
            refusal = source.freshness.refusal(occurred, datetime.now(UTC))
            if refusal:
                log.warning("refused %s event %s: %s", name, event_id, refusal)
                return _Answer(422, {"error": f"event {event_id}: {refusal}"})
        kept = {h: headers[h] for h in source.headers_of_interest if h in headers}
        try:
            delivery = InboxDelivery.of(source=name, event_id=event_id, body=body, headers=kept)
        except LedgerInputError as exc:  # an event ID the inbox cannot hold (too long, empty)
            log.warning("refused %s delivery: %s", name, exc)
            return _Answer(400, {"error": f"unusable event: {exc}"})
        try:
            stored = await writer.put(delivery)
        except InboxWriteFailed as exc:
            return _Answer(503, {"error": f"event {event_id} {exc}; retry later"}, retry_after=5)
        return _Answer(200, {"stored": stored, "event_id": event_id})

    async def token(request: Request) -> JSONResponse:
        """``POST /webhooks/{source}/token``: the token URL of a source whose sender fetches a bearer first
        (Coupa's OAuth 2.0 call-outs); 404 for a source that issues none. Never stores anything."""
        name = request.path_params["source"]
        source = sources.get(name)
        if source is None or source.token is None:
            return JSONResponse({"error": f"no token endpoint for webhook source {name}"}, status_code=404)
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return JSONResponse({"error": "body too large"}, status_code=413)
        headers = {k.lower(): v for k, v in request.headers.items()}
        answer = source.token(headers, body)
        if answer.status != 200:
            client = request.client
            log.warning(
                "refused %s token request from %s: %s", name, client.host if client else "?", answer.status
            )
        return JSONResponse(
            answer.content,
            status_code=answer.status,
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    async def health(_request: Request) -> JSONResponse:
        return JSONResponse({"ok": True, "sources": sorted(sources)})

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        _freeze_startup_objects()
        writer.start()
        try:
            yield
        finally:
            await writer.aclose()

    app = _Receiver(
        receive,
        routes=[
            Route("/webhooks/{source}", _AsgiEndpoint(receive), methods=["POST"]),
            Route("/webhooks/{source}/token", token, methods=["POST"]),
            Route("/health", health),
        ],
        lifespan=lifespan,
    )
    app.state.inbox_writer = writer
    return app


def _freeze_startup_objects() -> None:
    """Move every object alive at startup (modules, classes, settings) out of the garbage collector's reach.

    A full (generation 2) collection walks every tracked object and holds the GIL while it does: the
    event loop and the writer both stop, and every request in flight waits. Under a burst the receiver
    measured two such pauses of 46-112 ms in 8 s, enough to set the p99 by themselves; with the ~78,000
    import-time objects frozen (``gc.freeze``, what CPython documents for long-lived servers) they took
    under 5 ms. Only objects already alive are frozen; what requests allocate is collected as before.
    The collection first keeps startup garbage from being frozen with them. Process-wide, and harmless
    when the receiver shares its process (``make dev``, tests): those objects were long-lived anyway.
    """
    gc.collect()
    gc.freeze()


_WEBHOOK_PREFIX = "/webhooks/"


class _Receiver(Starlette):
    """The Starlette app, except that ``POST /webhooks/<source>`` goes straight to the hot path.

    Starlette sends every request through its error and exception middleware and its router before
    the endpoint; under a wrk burst the event loop's thread spent 136-150 us of CPU per delivery with
    that walk and 114-117 us without it. A POST to a webhook path is answered by the same
    endpoint the route names, with the same ``path_params``; everything else (health, lifespan,
    404/405, a ``root_path`` mount) goes through Starlette as before. An exception the endpoint does
    not handle reaches uvicorn, which answers 500 and logs it, as Starlette's error middleware would.
    """

    def __init__(self, webhook: Callable[[Scope, Receive, Send], Awaitable[None]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._webhook = webhook

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and not scope.get("root_path"):
            path: str = scope["path"]
            source = path[len(_WEBHOOK_PREFIX) :]
            if path.startswith(_WEBHOOK_PREFIX) and source and "/" not in source:
                scope["app"] = self
                scope["path_params"] = {"source": source}
                await self._webhook(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


class _AsgiEndpoint:
    """Wraps an ASGI function so Starlette's ``Route`` calls it as an app (a plain function it would wrap
    in its Request/Response machinery, which is what the hot path avoids)."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)


@dataclass(frozen=True, slots=True)
class _Answer:
    """A JSON answer, sent as two ASGI messages (what ``JSONResponse`` sends, without its machinery)."""

    status: int
    content: dict[str, object]
    retry_after: int | None = None

    async def send(self, send: Send) -> None:
        body = json.dumps(self.content, separators=(",", ":")).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        if self.retry_after is not None:
            headers.append((b"retry-after", str(self.retry_after).encode()))
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def _read_body(scope: Scope, receive: Receive) -> bytes | _Answer | None:
    """The request body, a 413 answer past ``MAX_BODY_BYTES`` (declared or sent), None on disconnect."""
    for name, value in scope["headers"]:
        if name.lower() == b"content-length" and value.isdigit() and int(value) > MAX_BODY_BYTES:
            return _Answer(413, {"error": "body too large"})
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return _Answer(413, {"error": "body too large"})
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
