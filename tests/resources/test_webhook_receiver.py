"""The webhook receiver over real HTTP: genuine events are stored once; anything else stores nothing."""

import gc
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest
import requests

from connector_resources.ledger import Ledger
from connector_resources.webhooks import coupa_source, create_receiver
from connector_sandbox.serve import serve_in_thread

SECRET = "whsec-test-2f9a"


@pytest.fixture
def receiver(tmp_path):
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    sources = {"coupa_invoices": coupa_source("coupa_invoices", "invoices", secret=SECRET)}
    url, stop = serve_in_thread(create_receiver(sources, ledger))
    yield url, ledger
    stop()


def _invoice(updated: datetime, number: str = "INV-1") -> bytes:
    return json.dumps({"id": 4711, "invoice-number": number, "updated-at": updated.isoformat()}).encode()


def _sign(body: bytes, secret: str = SECRET) -> dict[str, str]:
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Coupa-Signature": signature, "Content-Type": "application/json"}


def _inbox(ledger: Ledger) -> list:
    return ledger.inbox_pending(limit=100)


def test_a_genuine_event_is_stored_once(receiver):
    url, ledger = receiver
    body = _invoice(datetime.now(UTC))
    first = requests.post(f"{url}/webhooks/coupa_invoices", data=body, headers=_sign(body), timeout=10)
    again = requests.post(f"{url}/webhooks/coupa_invoices", data=body, headers=_sign(body), timeout=10)
    assert first.status_code == again.status_code == 200
    assert first.json()["stored"] is True and again.json()["stored"] is False
    [event] = _inbox(ledger)
    assert event.body == body and event.event_id.startswith("invoices:4711:")
    assert event.headers["x-coupa-signature"] == _sign(body)["X-Coupa-Signature"]


@pytest.mark.parametrize(
    "case",
    ["wrong secret", "no signature", "tampered body", "stale", "malformed", "oversized", "unknown source"],
)
def test_anything_not_genuine_stores_nothing(receiver, case):
    url, ledger = receiver
    body = _invoice(datetime.now(UTC))
    headers = _sign(body)
    target = f"{url}/webhooks/coupa_invoices"
    expected = 401
    if case == "wrong secret":
        headers = _sign(body, "guessed")
    elif case == "no signature":
        headers = {"Content-Type": "application/json"}
    elif case == "tampered body":
        body = body.replace(b"INV-1", b"INV-9")
    elif case == "stale":
        body = _invoice(datetime.now(UTC) - timedelta(days=30))
        headers, expected = _sign(body), 422
    elif case == "malformed":
        body = b"{not json"
        headers, expected = _sign(body), 400
    elif case == "oversized":
        body = b"{" + b" " * 2_000_000 + b"}"
        headers, expected = _sign(body), 413
    elif case == "unknown source":
        target, expected = f"{url}/webhooks/nobody", 404
    response = requests.post(target, data=body, headers=headers, timeout=30)
    assert response.status_code == expected, response.text
    assert _inbox(ledger) == []
    assert SECRET not in response.text


def test_source_without_any_verification_is_refused():
    with pytest.raises(ValueError, match="nothing is verified"):
        coupa_source("coupa_payments", "payments", secret=None)


def test_a_body_sent_in_chunks_is_verified_and_stored_whole(receiver):
    """The receiver reads the ASGI body messages itself: every chunk counts, for the HMAC and the store."""
    url, ledger = receiver
    body = _invoice(datetime.now(UTC), number="INV-CHUNKED")
    pieces = [body[:7], body[7:30], body[30:]]
    response = requests.post(
        f"{url}/webhooks/coupa_invoices", data=iter(pieces), headers=_sign(body), timeout=10
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    [event] = _inbox(ledger)
    assert event.body == body


def test_an_oversized_body_without_a_declared_length_is_refused_while_read(receiver):
    url, ledger = receiver
    chunk = b" " * 100_000
    body_chunks = iter([b"{"] + [chunk] * 12 + [b"}"])  # chunked: no Content-Length to refuse up front
    response = requests.post(
        f"{url}/webhooks/coupa_invoices", data=body_chunks, headers={"X-Coupa-Signature": "x"}, timeout=30
    )
    assert response.status_code == 413
    assert _inbox(ledger) == []


def test_only_post_is_answered_on_the_webhook_path(receiver):
    url, ledger = receiver
    response = requests.get(f"{url}/webhooks/coupa_invoices", timeout=10)
    assert response.status_code == 405
    assert _inbox(ledger) == []


def test_the_startup_objects_are_frozen_out_of_the_collector(receiver):
    """Full collections would walk the import-time objects mid-burst (tens of ms, GIL held): frozen."""
    assert gc.get_freeze_count() > 0
