"""Several receiver processes on one PostgreSQL ledger: each event stored exactly once.

A production deployment runs the webhook receiver with replicas behind one Service, all on the same
PostgreSQL ledger, and a sender may deliver the same event twice at once (Coupa retries a call-out it
thinks timed out, and the two copies can land on different replicas). Here two real receivers run as
separate uvicorn processes and every event is sent to both of them at the same moment, in opposite
orders for the two receivers so their group-commit batches overlap with the same keys in different
orders: exactly the case where two transactions inserting into one unique index can deadlock.

The two receivers meet in the middle of the burst, where both hold the same events at once whatever the
burst's length; the test checks that many events had both copies in flight together, so a short burst
still proves the concurrent case. How fast replicas get through a long burst is measured by
``bench/webhook_receivers_scale_out.py``, not here.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime

import httpx
from receiver_process import receiver_port, start_receiver

from connector_resources.ledger import Ledger

SECRET = "whsec-scale-out-41d"
SOURCE = "coupa_invoices"
NOW = datetime.now(UTC).isoformat()
EVENTS = 100
IN_FLIGHT = 64  # deliveries on the wire at once, over both receivers
TOGETHER = 10  # events at least whose two copies were both on the wire at one moment


def _callout(record_id: int) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"id": record_id, "invoice-number": f"INV-{record_id}", "updated-at": NOW}).encode()
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return body, {"X-Coupa-Signature": signature, "Content-Type": "application/json"}


def _event_id(record_id: int) -> str:
    return f"invoices:{record_id}:{NOW}"


Delivery = tuple[httpx.Response, float, float]  # the answer, when it was sent and when it came back


async def _deliver_to_both(urls: list[str]) -> dict[int, list[Delivery]]:
    """Each event to both receivers at once; receiver 0 gets them in ascending order, receiver 1 in
    descending order, so concurrent batches hold the same keys in opposite orders."""
    limits = httpx.Limits(max_connections=IN_FLIGHT)
    # Taken in the interleaved order, so ``sent`` is when a delivery goes out (and httpx's pool never holds
    # hundreds of waiting requests, which cost the client more CPU than the receivers spend).
    gate = asyncio.Semaphore(IN_FLIGHT)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:

        async def post(url: str, n: int) -> tuple[int, Delivery]:
            body, headers = _callout(n)
            async with gate:
                sent = time.monotonic()
                answer = await client.post(url, content=body, headers=headers)
                return n, (answer, sent, time.monotonic())

        ascending = [post(urls[0], n) for n in range(EVENTS)]
        descending = [post(urls[1], n) for n in reversed(range(EVENTS))]
        interleaved = [call for pair in zip(ascending, descending, strict=True) for call in pair]
        deliveries: dict[int, list[Delivery]] = {}
        for n, delivery in await asyncio.gather(*interleaved):
            deliveries.setdefault(n, []).append(delivery)
        return deliveries


def test_two_receivers_given_the_same_events_at_once_store_each_exactly_once(pg_schema_url):
    Ledger(pg_schema_url).dispose()  # migrated before the receivers start
    children = []
    try:
        urls = []
        for _ in range(2):
            child = start_receiver(SOURCE, SECRET, pg_schema_url)
            children.append(child)
            urls.append(f"http://127.0.0.1:{receiver_port(child)}/webhooks/{SOURCE}")
        deliveries = asyncio.run(_deliver_to_both(urls))
    finally:
        for child in children:
            child.kill()
            child.wait(timeout=30)

    answers = {n: [answer for answer, _, _ in pair] for n, pair in deliveries.items()}
    statuses = sorted({a.status_code for pair in answers.values() for a in pair})
    assert statuses == [200], f"every delivery is acknowledged (a 503 here is a refused batch): {statuses}"
    for n, pair in answers.items():
        flags = sorted(a.json()["stored"] for a in pair)
        assert flags == [False, True], f"event {n}: one receiver stores it, the other sees a redelivery"
    # The concurrent case happened: both copies of these events were on the wire at one moment (sent to
    # both before either answered), so both receivers had them to store at the same time.
    together = [n for n, ((_, a0, a1), (_, b0, b1)) in deliveries.items() if max(a0, b0) < min(a1, b1)]
    print(f"{len(together)} of {EVENTS} events had both copies on the wire at once")
    assert len(together) >= TOGETHER, together
    ledger = Ledger(pg_schema_url)
    try:
        stored = [e.event_id for e in ledger.inbox_pending(source=SOURCE, limit=10 * EVENTS)]
    finally:
        ledger.dispose()
    assert len(stored) == len(set(stored)) == EVENTS
    assert set(stored) == {_event_id(n) for n in range(EVENTS)}
