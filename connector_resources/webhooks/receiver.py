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
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from connector_resources.ledger import Ledger, LedgerInputError
from connector_resources.ledger.ledger import InboxDelivery
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

    async def receive(request: Request) -> JSONResponse:
        name = request.path_params["source"]
        source = sources.get(name)
        if source is None:
            return JSONResponse({"error": f"unknown webhook source {name}"}, status_code=404)
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            return JSONResponse({"error": "body too large"}, status_code=413)
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                return JSONResponse({"error": "body too large"}, status_code=413)
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            source.verify(headers, body)
        except WebhookRejected as exc:
            log.warning(
                "rejected %s delivery from %s: %s", name, request.client.host if request.client else "?", exc
            )
            return JSONResponse({"error": "signature verification failed"}, status_code=401)
        try:
            payload = parse_json(body)
            event_id = source.event_id(headers, payload)
        except (ValueError, UnicodeDecodeError) as exc:
            return JSONResponse({"error": f"malformed event: {exc}"}, status_code=400)
        if source.occurred_at is not None:
            try:
                occurred = source.occurred_at(headers, payload)
            except EventTimeMissing as exc:
                log.warning("refused %s event %s: %s", name, event_id, exc)
                return JSONResponse({"error": f"event {event_id}: {exc}"}, status_code=400)
            refusal = source.freshness.refusal(occurred, datetime.now(UTC))
            if refusal:
                log.warning("refused %s event %s: %s", name, event_id, refusal)
                return JSONResponse({"error": f"event {event_id}: {refusal}"}, status_code=422)
        kept = {h: headers[h] for h in source.headers_of_interest if h in headers}
        try:
            delivery = InboxDelivery.of(source=name, event_id=event_id, body=body, headers=kept)
        except LedgerInputError as exc:  # an event ID the inbox cannot hold (too long, empty)
            log.warning("refused %s delivery: %s", name, exc)
            return JSONResponse({"error": f"unusable event: {exc}"}, status_code=400)
        try:
            stored = await writer.put(delivery)
        except InboxWriteFailed as exc:
            answer = {"error": f"event {event_id} {exc}; retry later"}
            return JSONResponse(answer, status_code=503, headers={"Retry-After": "5"})
        return JSONResponse({"stored": stored, "event_id": event_id}, status_code=200)

    async def health(_request: Request) -> JSONResponse:
        return JSONResponse({"ok": True, "sources": sorted(sources)})

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        writer.start()
        try:
            yield
        finally:
            await writer.aclose()

    app = Starlette(
        routes=[Route("/webhooks/{source}", receive, methods=["POST"]), Route("/health", health)],
        lifespan=lifespan,
    )
    app.state.inbox_writer = writer
    return app
