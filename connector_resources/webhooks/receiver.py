"""The ASGI webhook receiver (``ml-connector webhooks``).

``POST /webhooks/{source}``: the body is read (bounded size), verified by the source, parsed, given its
event ID and stored in the ledger's webhook inbox in one insert; only then is 200 returned. A forged
delivery gets 401, a malformed one (or one without the event time its source documents) 400, an
oversized one 413, and one whose event time is outside the source's window (stale, or in the future
beyond the clock skew; ``freshness.py``) 422; none of them stores anything, and each refusal is logged
with its reason (never the body or a header value). A redelivery answers 200 (so the sender stops
retrying) and stores nothing new. The slow work (calling the ERP) happens later in a Dagster run
started by the inbox sensor, well inside Procore's 5-second answer budget.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from connector_resources.ledger import Ledger
from connector_resources.redaction import get_logger
from connector_resources.webhooks.freshness import EventTimeMissing
from connector_resources.webhooks.sources import WebhookRejected, WebhookSource, parse_json

log = get_logger(__name__)

MAX_BODY_BYTES = 1_000_000


def create_receiver(sources: dict[str, WebhookSource], ledger: Ledger) -> Starlette:
    """The receiver app for ``sources`` (path name -> source); each source carries its own age window."""

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
        stored = await run_in_threadpool(
            ledger.inbox_put, source=name, event_id=event_id, body=body, headers=kept
        )
        return JSONResponse({"stored": stored, "event_id": event_id}, status_code=200)

    async def health(_request: Request) -> JSONResponse:
        return JSONResponse({"ok": True, "sources": sorted(sources)})

    return Starlette(
        routes=[Route("/webhooks/{source}", receive, methods=["POST"]), Route("/health", health)]
    )
