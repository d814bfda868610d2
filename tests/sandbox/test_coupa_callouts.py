"""Coupa sandbox call-outs (signed webhook events for invoices and payments) and business activity.

A real HTTP receiver (stdlib ``ThreadingHTTPServer`` on loopback) records what arrives; signatures are
verified here with ``hmac`` independently of the sandbox, and bodies are compared with what the API
returns for the same record.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests

from connector_sandbox.coupa import CoupaSandboxSettings, run_in_thread
from connector_sandbox.coupa.settings import FaultSettings

from .serving import served

pytestmark = pytest.mark.timeout(120)

WEBHOOK_SECRET = b"sandbox-coupa-webhook"
DEFAULT_PAIR = b"ml-connector-callouts:sandbox-coupa-callout"  # the sandbox's call-out credentials
JSON = "application/json"


class Receiver:
    """Records every POST; ``/token`` plays the receiver's OAuth2 token URL for call-out auth."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.token_requests: list[dict[str, Any]] = []
        self.status = 200
        self.delay = 0.0
        self.token_status = 200
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path == "/token":
                    with receiver.lock:
                        receiver.token_requests.append({"headers": dict(self.headers), "body": body.decode()})
                    reply = json.dumps(
                        {"access_token": "receiver-token", "token_type": "bearer", "expires_in": 86399}
                    )
                    self._answer(receiver.token_status, reply.encode())
                    return
                if receiver.delay:
                    time.sleep(receiver.delay)
                with receiver.lock:
                    receiver.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
                self._answer(receiver.status, b"{}")

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", JSON)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def bodies(self) -> list[dict[str, Any]]:
        with self.lock:
            return [json.loads(item["body"]) for item in self.received]

    def reset(self) -> None:
        with self.lock:
            self.received.clear()
            self.token_requests.clear()
        self.status, self.delay, self.token_status = 200, 0.0, 200

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Sandbox:
    def __init__(self, base: str) -> None:
        self.base = base
        self.admin = f"{base}/sandbox"
        self.http = requests.Session()
        form = {
            "client_id": "ml-connector-sandbox",
            "client_secret": "sandbox-coupa-secret",
            "grant_type": "client_credentials",
        }
        self.token = self.http.post(f"{base}/oauth2/token", data=form, timeout=10).json()["access_token"]

    def api(self, method: str, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}", "Accept": JSON, "Content-Type": JSON}
        data = None if body is None else json.dumps(body)
        return self.http.request(
            method, f"{self.base}/api/{path}", data=data, headers=headers, timeout=30, **kwargs
        )

    def post_admin(self, path: str, body: Any = None, status: int = 200) -> Any:
        response = self.http.post(f"{self.admin}/{path}", json=body if body is not None else {}, timeout=30)
        assert response.status_code == status, response.text
        return response.json()

    def subscribe(self, url: str, resource: str = "invoices", **extra: Any) -> int:
        return self.post_admin("callouts", {"url": url, "resource": resource, **extra}, status=201)["id"]

    def wait(self) -> None:
        assert self.post_admin("callouts/wait", {"timeout_seconds": 10})["finished"]

    def deliveries(self) -> list[dict[str, Any]]:
        return self.http.get(f"{self.admin}/callouts/deliveries", timeout=10).json()["deliveries"]

    def records(self, resource: str) -> list[dict[str, Any]]:
        return self.http.get(f"{self.admin}/records/{resource}", timeout=30).json()["records"]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    yield from served(
        run_in_thread(CoupaSandboxSettings(scale=0.05, faults=FaultSettings(rate_limit_enabled=False))),
        Sandbox,
    )


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with closing(Receiver()) as server:
        yield server


@pytest.fixture(autouse=True)
def _clean(sandbox: Sandbox, receiver: Receiver) -> Iterator[None]:
    yield
    sandbox.wait()
    for subscription in sandbox.http.get(f"{sandbox.admin}/callouts", timeout=10).json()["subscriptions"]:
        sandbox.http.delete(f"{sandbox.admin}/callouts/{subscription['id']}", timeout=10)
    sandbox.post_admin("settings/reset")
    sandbox.post_admin("callouts/deliveries/reset")
    receiver.reset()


def expected_signature(body: bytes) -> str:
    return hmac.new(WEBHOOK_SECRET, body, hashlib.sha256).hexdigest()


def approved_invoice(sandbox: Sandbox, index: int = 0) -> dict[str, Any]:
    return [i for i in sandbox.records("invoices") if i["status"] == "approved"][index]


# --- delivery and signing --------------------------------------------------------------------------


def test_invoice_callout_carries_the_api_record_by_basic_auth_unsigned(
    sandbox: Sandbox, receiver: Receiver
) -> None:
    """Coupa's documented call-out: Basic credentials (the sandbox's by default), no signature."""
    subscription = sandbox.subscribe(f"{receiver.url}/coupa/invoices")
    invoice = approved_invoice(sandbox)
    result = sandbox.post_admin(
        "callouts/deliver", {"resource": "invoices", "ids": [invoice["id"]], "wait_seconds": 10}
    )
    assert result["finished"] and len(result["deliveries"]) == 1
    delivery = result["deliveries"][0]
    assert delivery["ok"] and delivery["status_code"] == 200 and delivery["subscription_id"] == subscription
    [arrived] = receiver.received
    assert arrived["path"] == "/coupa/invoices"
    assert arrived["headers"]["Content-Type"] == JSON
    assert arrived["headers"]["Authorization"] == "Basic " + base64.b64encode(DEFAULT_PAIR).decode()
    assert "X-Coupa-Signature" not in arrived["headers"] and delivery["signed"] is False
    assert delivery["body_sha256"] == hashlib.sha256(arrived["body"]).hexdigest()
    assert json.loads(arrived["body"]) == sandbox.api("GET", f"invoices/{invoice['id']}").json()


def test_api_changes_trigger_callouts_but_export_marks_only_when_enabled(
    sandbox: Sandbox, receiver: Receiver
) -> None:
    sandbox.subscribe(f"{receiver.url}/hook")
    invoice = approved_invoice(sandbox, 1)
    assert (
        sandbox.api("PUT", f"invoices/{invoice['id']}", {"payment-notes": "JDE check 1"}).status_code == 200
    )
    sandbox.wait()
    assert [body["payment-notes"] for body in receiver.bodies()] == ["JDE check 1"]
    assert sandbox.api("PUT", f"invoices/{invoice['id']}", params={"exported": "true"}).status_code == 200
    sandbox.wait()
    assert len(receiver.received) == 1
    sandbox.post_admin("settings", {"callouts": {"on_export_mark": True}})
    assert sandbox.api("PUT", f"invoices/{invoice['id']}", params={"exported": "false"}).status_code == 200
    sandbox.wait()
    assert len(receiver.received) == 2 and receiver.bodies()[1]["exported"] is False


def test_no_automatic_callouts_when_auto_delivery_is_off(sandbox: Sandbox, receiver: Receiver) -> None:
    sandbox.subscribe(f"{receiver.url}/hook")
    sandbox.post_admin("settings", {"callouts": {"auto_deliver": False}})
    invoice = approved_invoice(sandbox, 2)
    sandbox.api("PUT", f"invoices/{invoice['id']}", {"payment-notes": "quiet"})
    sandbox.wait()
    assert receiver.received == []


def test_payment_events_come_from_coupa_pay_activity(sandbox: Sandbox, receiver: Receiver) -> None:
    sandbox.subscribe(f"{receiver.url}/payments", resource="payments")
    sandbox.subscribe(f"{receiver.url}/invoices", resource="invoices")
    changed = sandbox.post_admin("activity", {"updated_payments": 2, "new_payments": 1})
    sandbox.wait()
    payment_ids = set(changed["updated"].get("payments", [])) | set(changed["created"].get("payments", []))
    arrived = [json.loads(item["body"]) for item in receiver.received if item["path"] == "/payments"]
    assert {body["id"] for body in arrived} == payment_ids and payment_ids
    assert all("payment-details" in body and body["updated-at"] for body in arrived)
    # A new Coupa Pay payment moves its invoice to the coupa_pay channel, which is an invoice event too.
    invoice_events = [json.loads(item["body"]) for item in receiver.received if item["path"] == "/invoices"]
    assert {body["id"] for body in invoice_events} == set(changed["updated"].get("invoices", []))
    for item in receiver.received:
        assert item["headers"]["Authorization"] == "Basic " + base64.b64encode(DEFAULT_PAIR).decode()


def test_duplicate_delivery_repeats_identical_bodies_after_the_batch(
    sandbox: Sandbox, receiver: Receiver
) -> None:
    sandbox.subscribe(f"{receiver.url}/hook")
    sandbox.post_admin("settings", {"callouts": {"duplicate_rate": 1.0}})
    first, second = approved_invoice(sandbox, 3), approved_invoice(sandbox, 4)
    sandbox.post_admin("callouts/deliver", {"ids": [first["id"], second["id"]], "wait_seconds": 10})
    assert [body["id"] for body in receiver.bodies()] == [
        first["id"],
        second["id"],
        first["id"],
        second["id"],
    ]
    assert receiver.received[0]["body"] == receiver.received[2]["body"]
    assert [d["duplicate"] for d in sandbox.deliveries()] == [False, False, True, True]


def test_out_of_order_delivery_sends_an_older_version_after_a_newer_one(
    sandbox: Sandbox, receiver: Receiver
) -> None:
    sandbox.subscribe(f"{receiver.url}/hook")
    sandbox.post_admin("settings", {"callouts": {"out_of_order": True, "batch_window_seconds": 0.5}})
    invoice = approved_invoice(sandbox, 5)
    for note in ("first change", "second change"):
        assert sandbox.api("PUT", f"invoices/{invoice['id']}", {"payment-notes": note}).status_code == 200
    sandbox.wait()
    assert [body["payment-notes"] for body in receiver.bodies()] == ["second change", "first change"]
    assert receiver.bodies()[0]["lock-version-key"] > receiver.bodies()[1]["lock-version-key"]
    receiver.reset()
    ids = [approved_invoice(sandbox, n)["id"] for n in (6, 7, 8)]
    sandbox.post_admin("callouts/deliver", {"ids": ids, "wait_seconds": 10})
    assert [body["id"] for body in receiver.bodies()] == list(reversed(ids))


@pytest.mark.parametrize(
    ("settings", "header", "encode"),
    [
        (
            {"signature_header": "X-Signature-256", "signature_prefix": "sha256="},
            "X-Signature-256",
            lambda digest: "sha256=" + digest.hex(),
        ),
        (
            {"signature_encoding": "base64"},
            "X-Coupa-Signature",
            lambda digest: base64.b64encode(digest).decode(),
        ),
        ({"signing_secret": "rotated-secret"}, "X-Coupa-Signature", None),
    ],
    ids=["header-and-prefix", "base64", "other-secret"],
)
def test_signature_header_encoding_and_secret_are_settings(
    sandbox: Sandbox, receiver: Receiver, settings: dict[str, Any], header: str, encode: Any
) -> None:
    sandbox.subscribe(f"{receiver.url}/hook")
    sandbox.post_admin("settings", {"callouts": {"sign": True, **settings}})  # the signed (relay) variant
    sandbox.post_admin("callouts/deliver", {"wait_seconds": 10})
    [arrived] = receiver.received
    secret = settings.get("signing_secret", "sandbox-coupa-webhook").encode()
    digest = hmac.new(secret, arrived["body"], hashlib.sha256).digest()
    expected = encode(digest) if encode else digest.hex()
    assert arrived["headers"][header] == expected


def test_unsigned_variant_with_basic_auth(sandbox: Sandbox, receiver: Receiver) -> None:
    sandbox.subscribe(f"{receiver.url}/hook", auth="basic", username="coupa", password="callout-pass")
    sandbox.post_admin("settings", {"callouts": {"sign": False}})
    sandbox.post_admin("callouts/deliver", {"wait_seconds": 10})
    [arrived] = receiver.received
    assert "X-Coupa-Signature" not in arrived["headers"]
    assert arrived["headers"]["Authorization"] == "Basic " + base64.b64encode(b"coupa:callout-pass").decode()
    listed = sandbox.http.get(f"{sandbox.admin}/callouts", timeout=10).text
    assert "callout-pass" not in listed


def oauth2_subscription(
    sandbox: Sandbox, receiver: Receiver, client_id: str, secret: str, **extra: Any
) -> int:
    """A call-out to the receiver's /hook that authenticates with a token from the receiver's /token."""
    oauth2 = {"auth": "oauth2", "token_url": f"{receiver.url}/token", "client_id": client_id}
    return sandbox.subscribe(f"{receiver.url}/hook", **oauth2, client_secret=secret, **extra)


def test_oauth2_callout_auth_fetches_a_token_from_the_receiver(sandbox: Sandbox, receiver: Receiver) -> None:
    oauth2_subscription(sandbox, receiver, "coupa-caller", "s3cret~?", scope="webhooks.write")
    ids = [approved_invoice(sandbox, n)["id"] for n in (0, 1)]
    sandbox.post_admin("callouts/deliver", {"ids": ids, "wait_seconds": 10})
    [token_request] = receiver.token_requests  # fetched once, then reused
    expected = base64.urlsafe_b64encode(b"coupa-caller:s3cret~?").decode()
    assert token_request["headers"]["Authorization"] == f"Basic {expected}"
    assert parse_qs(token_request["body"]) == {
        "grant_type": ["client_credentials"],
        "scope": ["webhooks.write"],
    }
    assert [item["headers"]["Authorization"] for item in receiver.received] == ["Bearer receiver-token"] * 2


def test_oauth2_token_failure_is_recorded_and_nothing_is_posted(sandbox: Sandbox, receiver: Receiver) -> None:
    receiver.token_status = 500
    oauth2_subscription(sandbox, receiver, "a", "b")
    result = sandbox.post_admin("callouts/deliver", {"wait_seconds": 10})
    [delivery] = result["deliveries"]
    assert delivery["ok"] is False and "token URL answered 500" in delivery["error"]
    assert receiver.received == []


def test_failed_deliveries_are_recorded_and_retried_when_configured(
    sandbox: Sandbox, receiver: Receiver
) -> None:
    receiver.status = 500
    sandbox.subscribe(f"{receiver.url}/hook")
    first = sandbox.post_admin("callouts/deliver", {"wait_seconds": 10})["deliveries"]
    assert [(d["attempt"], d["status_code"], d["ok"]) for d in first] == [(1, 500, False)]
    sandbox.post_admin("settings", {"callouts": {"retry_attempts": 2, "retry_backoff_seconds": 0.05}})
    retried = sandbox.post_admin("callouts/deliver", {"wait_seconds": 10})["deliveries"]
    assert [d["attempt"] for d in retried] == [1, 2, 3]
    assert len(receiver.received) == 4


def test_slow_receiver_times_out(sandbox: Sandbox, receiver: Receiver) -> None:
    receiver.delay = 1.0
    sandbox.subscribe(f"{receiver.url}/hook")
    sandbox.post_admin("settings", {"callouts": {"delivery_timeout_seconds": 0.2}})
    [delivery] = sandbox.post_admin("callouts/deliver", {"wait_seconds": 10})["deliveries"]
    # A timeout, not the receiver's answer a second later: the 0.2 s applied (however long the call took).
    assert delivery["ok"] is False and "Timeout" in delivery["error"] and delivery["status_code"] is None


def test_envelope_payload_variant(sandbox: Sandbox, receiver: Receiver) -> None:
    sandbox.subscribe(f"{receiver.url}/hook")
    sandbox.post_admin("settings", {"callouts": {"payload": "envelope"}})
    invoice = approved_invoice(sandbox)
    sandbox.post_admin("callouts/deliver", {"ids": [invoice["id"]], "wait_seconds": 10})
    [body] = receiver.bodies()
    assert body["event-type"] == "invoice.updated" and body["resource"] == "invoices"
    assert body["id"] == invoice["id"] and body["data"]["invoice-number"] == invoice["invoice-number"]
    assert body["event-id"].startswith("evt-") and body["occurred-at"] == body["data"]["updated-at"]


def test_subscription_rules(sandbox: Sandbox, receiver: Receiver) -> None:
    bad = sandbox.http.post(
        f"{sandbox.admin}/callouts",
        json={"url": f"{receiver.url}/x", "resource": "invoices", "auth": "basic", "password": ""},
        timeout=10,
    )
    assert bad.status_code == 400 and "username and password" in bad.text
    wrong = sandbox.http.post(
        f"{sandbox.admin}/callouts", json={"url": f"{receiver.url}/x", "resource": "suppliers"}, timeout=10
    )
    assert wrong.status_code == 400
    subscription = sandbox.subscribe(f"{receiver.url}/x")
    assert (
        sandbox.http.delete(f"{sandbox.admin}/callouts/{subscription}", timeout=10).json()["removed"] is True
    )
    assert sandbox.http.post(f"{sandbox.admin}/callouts/deliver", json={}, timeout=10).status_code == 409


# --- business activity -----------------------------------------------------------------------------


def _watermark(sandbox: Sandbox, resources: list[str]) -> str:
    return max(record["updated-at"] for resource in resources for record in sandbox.records(resource))


def test_activity_creates_and_changes_records_stamped_now(sandbox: Sandbox) -> None:
    resources = {
        "suppliers": "suppliers",
        "purchase_orders": "purchase_orders",
        "invoices": "invoices",
        "payments": "coupa_pay/payments",
        "accounts": "accounts",
    }
    before = {key: {r["id"]: r for r in sandbox.records(key)} for key in resources}
    watermark = _watermark(sandbox, list(resources))
    time.sleep(1.0)  # stamps have whole seconds; the activity must land after the watermark's second
    changed = sandbox.post_admin(
        "activity",
        {
            "new_suppliers": 2,
            "updated_suppliers": 2,
            "new_purchase_orders": 2,
            "updated_purchase_orders": 2,
            "new_invoices": 3,
            "updated_invoices": 2,
            "new_payments": 1,
            "updated_payments": 1,
            "new_accounts": 1,
            "updated_accounts": 1,
        },
    )
    stamps = set()
    for key, path in resources.items():
        expected = set(changed["created"].get(key, [])) | set(changed["updated"].get(key, []))
        response = sandbox.api("GET", path, params={"updated_at[gt]": watermark})
        found = response.json()
        assert {r["id"] for r in found} == expected and expected, key
        stamps |= {r["updated-at"] for r in found}
        assert not set(changed["created"].get(key, [])) & set(before[key]), f"{key}: new ids must be new"
    assert len(stamps) == 1  # one shared "now"
    new_suppliers = [sandbox.api("GET", f"suppliers/{i}").json() for i in changed["created"]["suppliers"]]
    assert len({s["name"] for s in new_suppliers}) == 2
    for order_id in changed["updated"]["purchase_orders"]:
        order = sandbox.api("GET", f"purchase_orders/{order_id}").json()
        assert order["exported"] is False
        old = before["purchase_orders"][order_id]
        assert order["version"] > old["version"] or order["status"] == "closed"
    for order_id in changed["created"]["purchase_orders"]:
        assert sandbox.api("GET", f"purchase_orders/{order_id}").json()["exported"] is False


def test_ui_changes_reset_exported_only_when_support_enabled_it(sandbox: Sandbox) -> None:
    def updated_exported_flags() -> list[bool]:
        changed = sandbox.post_admin("activity", {"updated_invoices": 12})["updated"]["invoices"]
        return [sandbox.api("GET", f"invoices/{i}").json()["exported"] for i in changed]

    assert any(updated_exported_flags())  # by default a UI change leaves exported alone
    sandbox.post_admin("settings", {"ui_changes_reset_exported": True})
    assert not any(updated_exported_flags())


def test_reset_reseeds_the_same_data(sandbox: Sandbox) -> None:
    sandbox.post_admin("reset")
    first = [(r["id"], r["invoice-number"], r["gross-total"]) for r in sandbox.records("invoices")]
    sandbox.post_admin("activity", {"new_invoices": 3})
    assert len(sandbox.records("invoices")) == len(first) + 3
    counts = sandbox.post_admin("reset")["row_counts"]
    assert counts["invoices"] == len(first)
    assert [(r["id"], r["invoice-number"], r["gross-total"]) for r in sandbox.records("invoices")] == first
    state = sandbox.http.get(f"{sandbox.admin}/state", timeout=10).json()
    assert state["calls"] == {} and state["seed"]["scale"] == 0.05
