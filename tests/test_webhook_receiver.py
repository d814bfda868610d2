"""The webhook receiver over real HTTP: genuine events are stored once; anything else stores nothing."""

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
