"""The receiver's group commit, on SQLite and PostgreSQL: many deliveries share one transaction, each
answer still says whether its own event was stored, a batch that does not commit answers no 200, and
a kill -9 never loses an event that was answered 200.

Deliveries are genuine Coupa call-outs (HMAC-SHA256 of the body in ``X-Coupa-Signature``) over real HTTP
into the real receiver, or straight into its ``InboxWriter`` where the test must know which deliveries
shared a batch. Commit failures are real database failures: a trigger refuses one event (on PostgreSQL a
deferred constraint trigger, so the failure comes at COMMIT itself).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import pytest
import requests
import sqlalchemy as sa
from receiver_process import receiver_port, start_receiver

from connector_resources.ledger import Ledger
from connector_resources.ledger.inbox import InboxDelivery
from connector_resources.webhooks import coupa_source, create_receiver
from connector_resources.webhooks.inbox_writer import InboxWriteFailed, InboxWriter
from connector_sandbox.serve import serve_in_thread

SECRET = "whsec-group-7c3e"
SOURCE = "coupa_invoices"
NOW = datetime.now(UTC).isoformat()


def _callout(record_id: int | str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"id": record_id, "invoice-number": f"INV-{record_id}", "updated-at": NOW}).encode()
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return body, {"X-Coupa-Signature": signature, "Content-Type": "application/json"}


def _event_id(record_id: int | str) -> str:
    return f"invoices:{record_id}:{NOW}"


def _delivery(record_id: int | str) -> InboxDelivery:
    body, headers = _callout(record_id)
    return InboxDelivery.of(source=SOURCE, event_id=_event_id(record_id), body=body, headers=headers)


def _stored_ids(ledger: Ledger) -> list[str]:
    return [event.event_id for event in ledger.inbox_pending(source=SOURCE, limit=10_000)]


def _refuse_poison(ledger: Ledger) -> None:
    """A real database failure for any event whose id holds 'poison'; at COMMIT on PostgreSQL."""
    with ledger.transaction() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(
                sa.text(
                    "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                    " IF NEW.event_id ~ 'poison' THEN RAISE EXCEPTION 'poisoned event'; END IF;"
                    " RETURN NULL; END $$"
                )
            )
            conn.execute(
                sa.text(
                    "CREATE CONSTRAINT TRIGGER refuse_poison AFTER INSERT ON mlc_webhook_inbox"
                    " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_poison()"
                )
            )
        else:
            conn.execute(
                sa.text(
                    "CREATE TRIGGER refuse_poison BEFORE INSERT ON mlc_webhook_inbox"
                    " WHEN instr(NEW.event_id, 'poison') > 0 BEGIN SELECT RAISE(ABORT, 'poisoned event'); END"
                )
            )


@pytest.fixture
def ledger(db_url):
    made = Ledger(db_url)
    yield made
    made.dispose()


# -- straight into the writer: the test knows what shares a batch ----------------------------------------


def test_one_batch_stores_each_event_once_and_answers_each_delivery_for_itself(ledger):
    ledger.inbox_put(source=SOURCE, event_id=_event_id(1), body=_callout(1)[0], headers={})
    # 1 is already in the inbox; 2 and 3 arrive twice inside the same batch; 4 once.
    order = [1, 2, 3, 2, 4, 3, 1]

    async def deliver() -> tuple[list[bool], InboxWriter]:
        writer = InboxWriter(ledger)
        # All puts queue before the writer task first runs (asyncio runs ready tasks in order), so one batch.
        answers = await asyncio.gather(*(writer.put(_delivery(n)) for n in order))
        await writer.aclose()
        return answers, writer

    answers, writer = asyncio.run(deliver())
    assert answers == [False, True, True, False, True, False, False]
    assert (writer.stats.batches, writer.stats.largest_batch) == (1, len(order))
    assert sorted(_stored_ids(ledger)) == sorted(_event_id(n) for n in (1, 2, 3, 4))


def test_a_batch_that_fails_to_commit_answers_no_delivery_and_stores_nothing(ledger):
    _refuse_poison(ledger)

    async def deliver() -> tuple[list[object], bool, InboxWriter]:
        writer = InboxWriter(ledger)
        batch = [_delivery(n) for n in (10, 11, "poison-12", 13)]
        failed = await asyncio.gather(*(writer.put(d) for d in batch), return_exceptions=True)
        after = await writer.put(_delivery(14))  # the writer goes on with the next batch
        await writer.aclose()
        return failed, after, writer

    failed, after, writer = asyncio.run(deliver())
    assert all(isinstance(answer, InboxWriteFailed) for answer in failed), failed
    assert after is True and writer.stats.batches == 1
    assert _stored_ids(ledger) == [_event_id(14)]


def test_shutdown_commits_what_is_queued_then_refuses(ledger):
    async def deliver() -> tuple[list[bool], InboxWriter]:
        writer = InboxWriter(ledger, batch_cap=2)
        pending = [asyncio.ensure_future(writer.put(_delivery(n))) for n in range(20, 25)]
        await asyncio.sleep(0)  # they are queued; close before the writer has committed them
        await writer.aclose()
        with pytest.raises(InboxWriteFailed, match="shutting down"):
            await writer.put(_delivery(99))
        return [p.result() for p in pending], writer

    answers, writer = asyncio.run(deliver())
    assert answers == [True] * 5 and writer.stats.largest_batch == 2
    assert sorted(_stored_ids(ledger)) == sorted(_event_id(n) for n in range(20, 25))


# -- over HTTP: the receiver --------------------------------------------------------------------------


def _burst(url: str, record_ids: list[int | str]) -> list[httpx.Response]:
    async def send() -> list[httpx.Response]:
        # A connection each: a kept-alive one the server closes after its idle timeout (a pause a loaded
        # machine makes) would be reused at that moment and fail with ReadError, before any delivery.
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=0)
        async with httpx.AsyncClient(timeout=60, limits=limits) as client:
            return await asyncio.gather(
                *(
                    client.post(url, content=body, headers=headers)
                    for body, headers in map(_callout, record_ids)
                )
            )

    return asyncio.run(send())


def test_a_burst_of_concurrent_deliveries_is_stored_exactly_once_with_right_flags(ledger):
    app = create_receiver({SOURCE: coupa_source(SOURCE, "invoices", secret=SECRET)}, ledger)
    url, stop = serve_in_thread(app)
    try:
        ledger.inbox_put(source=SOURCE, event_id=_event_id(0), body=_callout(0)[0], headers={})
        record_ids: list[int | str] = [n for n in range(120) for _ in range(2)]  # each delivered twice
        answers = _burst(f"{url}/webhooks/{SOURCE}", record_ids)
    finally:
        stop()
    assert [a.status_code for a in answers] == [200] * len(record_ids)
    stored_flags: dict[str, list[bool]] = {}
    for answer in answers:
        stored_flags.setdefault(answer.json()["event_id"], []).append(answer.json()["stored"])
    assert stored_flags[_event_id(0)] == [False, False]  # stored before the burst
    assert all(sorted(flags) == [False, True] for key, flags in stored_flags.items() if key != _event_id(0))
    assert sorted(_stored_ids(ledger)) == sorted(_event_id(n) for n in range(120))
    stats = app.state.inbox_writer.stats
    assert stats.events == len(record_ids) and stats.batches < stats.events  # commits were shared


def test_a_failed_commit_answers_503_to_its_deliveries_and_stores_none_of_them(ledger):
    _refuse_poison(ledger)
    app = create_receiver({SOURCE: coupa_source(SOURCE, "invoices", secret=SECRET)}, ledger)
    url, stop = serve_in_thread(app)
    try:
        record_ids: list[int | str] = [*range(40), "poison-1", *range(40, 80), "poison-2"]
        answers = _burst(f"{url}/webhooks/{SOURCE}", record_ids)
    finally:
        stop()
    stored = set(_stored_ids(ledger))
    refused = {_event_id(n) for n, a in zip(record_ids, answers, strict=True) if a.status_code == 503}
    accepted = {_event_id(n) for n, a in zip(record_ids, answers, strict=True) if a.status_code == 200}
    assert {_event_id("poison-1"), _event_id("poison-2")} <= refused
    assert accepted | refused == {_event_id(n) for n in record_ids}
    assert stored == accepted and not stored & refused
    assert all(a.headers.get("retry-after") for a in answers if a.status_code == 503)


def test_an_event_id_the_inbox_cannot_hold_is_refused_alone(ledger):
    """Checked before it joins a batch: the other deliveries of the moment are stored as usual."""
    app = create_receiver({SOURCE: coupa_source(SOURCE, "invoices", secret=SECRET)}, ledger)
    url, stop = serve_in_thread(app)
    try:
        record = {"event-id": "e" * 300, "resource": "invoices", "data": {"id": 5, "updated-at": NOW}}
        body = json.dumps(record).encode()
        signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        refused = requests.post(
            f"{url}/webhooks/{SOURCE}", data=body, headers={"X-Coupa-Signature": signature}, timeout=30
        )
        accepted = _burst(f"{url}/webhooks/{SOURCE}", [6, 7])
    finally:
        stop()
    assert refused.status_code == 400 and "event_id" in refused.json()["error"]
    assert [a.status_code for a in accepted] == [200, 200]
    assert sorted(_stored_ids(ledger)) == [_event_id(6), _event_id(7)]


# -- kill -9 --------------------------------------------------------------------------------------------


def test_kill_9_mid_burst_loses_no_event_that_was_answered_200(db_url):
    Ledger(db_url).dispose()  # migrated before the child starts
    child = start_receiver(SOURCE, SECRET, db_url)
    acknowledged: set[str] = set()
    lock = threading.Lock()
    try:
        url = f"http://127.0.0.1:{receiver_port(child)}/webhooks/{SOURCE}"

        def send(n: int) -> None:
            body, headers = _callout(n)
            for _ in range(50):  # until the server is up, or has been killed
                try:
                    answer = requests.post(url, data=body, headers=headers, timeout=10)
                except requests.RequestException:
                    # Not up yet, or killed: refused, reset, or an answer cut off mid-body
                    # (ChunkedEncodingError); none of these is an acknowledgement.
                    if child.poll() is not None:
                        return
                    time.sleep(0.05)
                    continue
                if answer.status_code == 200:
                    with lock:
                        acknowledged.add(_event_id(n))
                return

        with ThreadPoolExecutor(max_workers=16) as pool:
            futures = [pool.submit(send, n) for n in range(3000)]
            deadline = time.monotonic() + 60
            while len(acknowledged) < 300:
                assert time.monotonic() < deadline and child.poll() is None, "the receiver did not answer"
                time.sleep(0.005)
            os.kill(child.pid, signal.SIGKILL)
            for future in futures:
                future.result()
    finally:
        child.kill()
        child.wait(timeout=30)
    ledger = Ledger(db_url)
    try:
        stored = _stored_ids(ledger)
    finally:
        ledger.dispose()
    assert 300 <= len(acknowledged) < 3000  # killed mid-burst
    assert acknowledged <= set(stored)
    assert len(stored) == len(set(stored))
