"""BILL v3 sandbox webhooks: the subscription API under /connect-events and signed delivery to a real
HTTP receiver on loopback (tests/http_server.py), verified here independently with ``hmac``.

Delivery runs on the sandbox's background thread; tests trigger it with the operator's
``POST /sandbox/webhooks/deliver`` instead of sleeping (auto delivery has its own test).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from http_server import CannedResponse, RecordedRequest, ScriptedServer
from waiting import wait_until

from connector_sandbox.bill.settings import WebhookSettings
from connector_sandbox.bill.testing import SandboxHandle

pytestmark = pytest.mark.timeout(120)

# The `bill` fixture's (tests/sandbox/conftest.py): real behaviour (random one-time keys), deliveries
# only when a test asks, quick retries.
BILL_SETTINGS = {
    "scale": 0.02,
    "webhooks": WebhookSettings(
        fixed_security_key=None,
        auto_deliver=False,
        retry_base_seconds=0,
        max_attempts=3,
        timeout_seconds=2,
    ),
}
ORG_2 = "00801SANDBOXORG00002"


@pytest.fixture(autouse=True)
def _restore(bill: SandboxHandle) -> Iterator[None]:
    """Overrides the conftest's: the defaults, and no subscriptions nor queued events either."""
    yield
    bill.restore_defaults()
    for org in (None, ORG_2):  # every test starts without subscriptions and without queued events
        session = bill.login(org)
        for subscription in events_call(bill, session, "GET", "/v3/subscriptions").json()["results"]:
            events_call(bill, session, "DELETE", f"/v3/subscriptions/{subscription['id']}")
    bill.deliver()


@pytest.fixture
def session(bill: SandboxHandle) -> str:
    return bill.login()


@pytest.fixture
def receiver() -> Iterator[ScriptedServer]:
    with ScriptedServer(CannedResponse(200, {"received": True})) as server:
        yield server


def events_call(
    bill: SandboxHandle, session: str, method: str, path: str, **kwargs: Any
) -> requests.Response:
    headers = {**bill.headers(session), **kwargs.pop("headers", {})}
    return requests.request(method, f"{bill.events}{path}", headers=headers, timeout=15, **kwargs)


def api(bill: SandboxHandle, session: str, method: str, path: str, **kwargs: Any) -> Any:
    response = requests.request(
        method, f"{bill.base}{path}", headers=bill.headers(session), timeout=15, **kwargs
    )
    assert response.status_code in (200, 201), response.text
    return response.json()


def subscribe(
    bill: SandboxHandle,
    session: str,
    url: str,
    events: list[str],
    *,
    key: str | None = None,
    name: str = "erp sync",
) -> requests.Response:
    body = {
        "name": name,
        "status": {"enabled": True},
        "notificationUrl": url,
        "events": [{"type": kind, "version": "1"} for kind in events],
    }
    headers = {"X-Idempotent-Key": key or str(uuid.uuid4())}
    return events_call(bill, session, "POST", "/v3/subscriptions", json=body, headers=headers)


def subscribed(bill: SandboxHandle, session: str, url: str, events: list[str]) -> dict[str, Any]:
    response = subscribe(bill, session, url, events)
    assert response.status_code == 201, response.text
    return response.json()


def signature_ok(request: RecordedRequest, key: str) -> bool:
    """The documented check: base64(HMAC-SHA256(securityKey, raw body)) == x-bill-sha-signature."""
    expected = base64.b64encode(hmac.new(key.encode(), request.body, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, request.headers["x-bill-sha-signature"])


def a_vendor(bill: SandboxHandle, session: str, name: str = "Webhook Vendor") -> dict[str, Any]:
    return api(bill, session, "POST", "/v3/vendors", json={"name": name})


# -- management API ---------------------------------------------------------------------------------


def test_event_catalog_lists_types_and_versions(bill: SandboxHandle, session: str) -> None:
    catalog = events_call(bill, session, "GET", "/v3/events/catalog").json()
    kinds = {entry["type"] for entry in catalog}
    assert {"vendor.created", "bill.updated", "payment.updated", "payment.failed"} <= kinds
    assert {version for entry in catalog for version in entry["versions"]} == {"1"}


def test_management_api_wants_dev_key_and_session_headers(bill: SandboxHandle, session: str) -> None:
    url = f"{bill.events}/v3/subscriptions"
    missing = requests.get(url, headers={"devKey": bill.initial.dev_key}, timeout=15)
    assert missing.status_code == 400
    invalid = requests.get(url, headers={"devKey": bill.initial.dev_key, "sessionId": "!gone"}, timeout=15)
    assert invalid.status_code == 401 and invalid.json()[0]["code"] == "BDC_1109"
    wrong_key = requests.get(url, headers={"devKey": "nope", "sessionId": session}, timeout=15)
    assert wrong_key.status_code == 401 and wrong_key.json()[0]["code"] == "BDC_1102"


def test_subscription_creation_requires_a_uuid4_idempotent_key(
    bill: SandboxHandle, session: str, receiver: ScriptedServer, contract_breaches
) -> None:  # type: ignore[no-untyped-def]
    body = {
        "name": "x",
        "status": {"enabled": True},
        "notificationUrl": receiver.url_for("/hook"),
        "events": [{"type": "bill.created", "version": "1"}],
    }
    for headers in ({}, {"X-Idempotent-Key": "not-a-uuid"}, {"X-Idempotent-Key": str(uuid.uuid1())}):
        response = events_call(bill, session, "POST", "/v3/subscriptions", json=body, headers=headers)
        assert response.status_code == 400 and "x-idempotent-key" in response.json()[0]["message"].lower()
    # Refused by BILL's contract, which names the header each time.
    assert [(b.violation.where, b.violation.field) for b in contract_breaches.seen()] == [
        ("header", "x-idempotent-key")
    ] * 3


def test_security_key_is_shown_once_and_a_repeated_key_replays_the_answer(
    bill: SandboxHandle, session: str, receiver: ScriptedServer
) -> None:
    key = str(uuid.uuid4())
    first = subscribe(bill, session, receiver.url_for("/hook"), ["bill.created"], key=key)
    assert first.status_code == 201
    created = first.json()
    assert created["securityKey"] and created["status"] == {"enabled": True}
    assert created["organizationId"] == "00801SANDBOXORG00001"
    fetched = events_call(bill, session, "GET", f"/v3/subscriptions/{created['id']}").json()
    assert "securityKey" not in fetched and fetched["id"] == created["id"]
    replay = subscribe(bill, session, receiver.url_for("/hook"), ["bill.created"], key=key)
    assert replay.status_code == 201 and replay.json() == created
    bill.settings(variants={"idempotent_key_replay": False})
    repeated = subscribe(bill, session, receiver.url_for("/hook"), ["bill.created"], key=key)
    assert repeated.status_code == 400 and repeated.json()[0]["code"] == "BDC_1005"


def test_duplicate_subscriptions_are_refused_and_the_per_org_cap_holds(
    bill: SandboxHandle, session: str, receiver: ScriptedServer
) -> None:
    bill.settings(webhooks={"max_subscriptions_per_org": 2})
    first = subscribed(bill, session, receiver.url_for("/a"), ["bill.created", "bill.updated"])
    twin = subscribe(bill, session, receiver.url_for("/a"), ["bill.updated", "bill.created"])
    assert twin.status_code == 400 and first["id"] in twin.json()[0]["message"]
    subscribed(bill, session, receiver.url_for("/a"), ["bill.created"])  # other events: not a duplicate
    third = subscribe(bill, session, receiver.url_for("/b"), ["vendor.created"])
    assert third.status_code == 400 and third.json()[0]["code"] == "BDC_1006"
    assert events_call(bill, session, "DELETE", f"/v3/subscriptions/{first['id']}").status_code == 204
    assert subscribe(bill, session, receiver.url_for("/b"), ["vendor.created"]).status_code == 201


def test_subscription_validation_names_fields(bill: SandboxHandle, session: str) -> None:
    body = {
        "name": " ",
        "status": {"enabled": True},
        "notificationUrl": "ftp://example.invalid/x",
        "events": [{"type": "bill.paid", "version": "2"}],
    }
    response = events_call(
        bill, session, "POST", "/v3/subscriptions", json=body, headers={"X-Idempotent-Key": str(uuid.uuid4())}
    )
    text = " | ".join(entry["message"] for entry in response.json())
    assert response.status_code == 400
    for expected in (
        "name: is required",
        "notificationUrl: 'ftp://",
        "events[0].type: 'bill.paid'",
        "events[0].version",
    ):
        assert expected in text
    bill.settings(webhooks={"require_https": True})
    plain = subscribe(bill, session, "http://127.0.0.1:9/hook", ["bill.created"])
    assert plain.status_code == 400 and "https" in plain.json()[0]["message"]
    assert subscribe(bill, session, "https://hooks.example.invalid/bill", ["bill.created"]).status_code == 201


# -- delivery ---------------------------------------------------------------------------------------


def test_deliveries_are_signed_with_the_one_time_security_key(
    bill: SandboxHandle, session: str, receiver: ScriptedServer
) -> None:
    created = subscribed(bill, session, receiver.url_for("/hook"), ["bill.created", "vendor.created"])
    vendor = a_vendor(bill, session)
    body = {
        "vendorId": vendor["id"],
        "dueDate": "2031-01-31",
        "invoice": {"invoiceNumber": "WH-1", "invoiceDate": "2031-01-01"},
        "billLineItems": [{"amount": 12.5}],
    }
    new_bill = api(bill, session, "POST", "/v3/bills", json=body)
    outcomes = bill.deliver()
    assert [outcome["statusCode"] for outcome in outcomes] == [200, 200]
    deliveries = receiver.hits("/hook", "POST")
    assert len(deliveries) == 2
    for delivery in deliveries:
        assert signature_ok(delivery, created["securityKey"])
        assert not signature_ok(delivery, "sandbox-bill-webhook")
        assert delivery.headers["Content-Type"] == "application/json"
    payloads = {delivery.json()["metadata"]["eventType"]: delivery.json() for delivery in deliveries}
    bill_event = payloads["bill.created"]
    assert bill_event["metadata"]["subscriptionId"] == created["id"]
    assert bill_event["metadata"]["organizationId"] == "00801SANDBOXORG00001"
    assert bill_event["metadata"]["version"] == "1" and uuid.UUID(bill_event["metadata"]["eventId"])
    assert bill_event["bill"]["id"] == new_bill["id"] and bill_event["bill"]["amount"] == 12.5
    assert (
        bill_event["bill"]["invoice"]["invoiceDate"] == "2031-01-01T00:00:00.000Z"
    )  # as in the reference example
    assert payloads["vendor.created"]["vendor"]["id"] == vendor["id"]
    history = events_call(bill, session, "GET", f"/v3/events/subscription/{created['id']}").json()["results"]
    assert {entry["type"] for entry in history} == {"bill.created", "vendor.created"}
    assert all(entry["statusCode"] == 200 and json.loads(entry["payload"])["metadata"] for entry in history)


def test_invoice_date_in_bill_events_is_a_variant(
    bill: SandboxHandle, session: str, receiver: ScriptedServer
) -> None:
    bill.settings(variants={"webhook_invoice_date_as_timestamp": False})
    subscribed(bill, session, receiver.url_for("/hook"), ["bill.archived"])
    target = api(
        bill, session, "GET", "/v3/bills", params={"filters": "archived:eq:false,paymentStatus:eq:UNPAID"}
    )
    api(bill, session, "POST", f"/v3/bills/{target['results'][0]['id']}/archive")
    bill.deliver()
    event = receiver.hits("/hook")[0].json()
    assert event["bill"]["invoice"]["invoiceDate"] == target["results"][0]["invoice"]["invoiceDate"]


def test_fixed_security_key_setting_for_make_dev(
    bill: SandboxHandle, session: str, receiver: ScriptedServer
) -> None:
    bill.settings(webhooks={"fixed_security_key": "sandbox-bill-webhook"})
    created = subscribed(bill, session, receiver.url_for("/hook"), ["vendor.created"])
    assert created["securityKey"] == "sandbox-bill-webhook"
    a_vendor(bill, session)
    bill.deliver()
    assert signature_ok(receiver.hits("/hook")[0], "sandbox-bill-webhook")


def test_rotating_the_security_key_signs_later_deliveries_with_the_new_one(
    bill: SandboxHandle, session: str, receiver: ScriptedServer
) -> None:
    created = subscribed(bill, session, receiver.url_for("/hook"), ["vendor.created"])
    keys = [created["securityKey"]]
    for _ in range(2):  # ``security_key``: the collection's and the changelog's spelling
        answer = events_call(
            bill,
            session,
            "POST",
            f"/v3/subscriptions/{created['id']}/security_key",
            headers={"X-Idempotent-Key": str(uuid.uuid4())},
        )
        assert answer.status_code == 200
        keys.append(answer.json()["securityKey"])
    assert len(set(keys)) == 3
    a_vendor(bill, session)
    bill.deliver()
    delivery = receiver.hits("/hook")[0]
    assert signature_ok(delivery, keys[-1]) and not signature_ok(delivery, keys[0])


def test_duplicate_deliveries_repeat_the_event_id_and_bytes(
    bill: SandboxHandle, session: str, receiver: ScriptedServer
) -> None:
    bill.settings(webhooks={"duplicate_rate": 1.0})
    subscribed(bill, session, receiver.url_for("/hook"), ["vendor.created"])
    for number in range(3):
        a_vendor(bill, session, f"Duplicate Test {number}")
    outcomes = bill.deliver()
    assert sum(outcome["duplicate"] for outcome in outcomes) == 3
    bodies = [delivery.body for delivery in receiver.hits("/hook")]
    ids = Counter(json.loads(body)["metadata"]["eventId"] for body in bodies)
    assert len(ids) == 3 and set(ids.values()) == {2}
    assert len(set(bodies)) == 3  # each duplicate is byte-identical to its original


def test_out_of_order_delivery(bill: SandboxHandle, session: str, receiver: ScriptedServer) -> None:
    bill.settings(webhooks={"out_of_order": True})
    subscribed(bill, session, receiver.url_for("/hook"), ["vendor.created"])
    created = [a_vendor(bill, session, f"Order Test {number}")["id"] for number in range(5)]
    bill.deliver()
    received = [delivery.json()["vendor"]["id"] for delivery in receiver.hits("/hook")]
    assert sorted(received) == sorted(created) and received != created


def test_failed_deliveries_are_retried_then_the_subscription_is_disabled(
    bill: SandboxHandle, session: str
) -> None:
    with ScriptedServer(CannedResponse(500, {"error": "down"})) as failing:
        created = subscribed(bill, session, failing.url_for("/hook"), ["vendor.created"])
        a_vendor(bill, session)
        attempts = [bill.deliver() for _ in range(3)]  # max_attempts = 3, retry backoff 0 s
        assert [len(batch) for batch in attempts] == [1, 1, 1]
        assert [batch[0]["attempt"] for batch in attempts] == [1, 2, 3]
        assert all(batch[0]["statusCode"] == 500 and not batch[0]["ok"] for batch in attempts)
        status = events_call(bill, session, "GET", f"/v3/subscriptions/{created['id']}").json()["status"]
        assert status == {"enabled": False}
        a_vendor(bill, session)
        assert bill.deliver() == [] and len(failing.hits("/hook")) == 3  # nothing until re-enabled
        operator_view = requests.get(f"{bill.admin}/webhooks", timeout=15).json()["subscriptions"]
        assert "failed 3 times" in operator_view[0]["disabledReason"]
        attempts_seen = requests.get(f"{bill.admin}/webhooks/deliveries", timeout=15).json()["outcomes"]
        assert [outcome["statusCode"] for outcome in attempts_seen[-3:]] == [500, 500, 500]
    with ScriptedServer(CannedResponse(200)) as healthy:
        patch = {"status": {"enabled": True}, "notificationUrl": healthy.url_for("/hook")}
        assert events_call(bill, session, "PATCH", f"/v3/subscriptions/{created['id']}", json=patch).ok
        a_vendor(bill, session)
        assert [outcome["ok"] for outcome in bill.deliver()] == [True]


@pytest.mark.parametrize("any_2xx", [False, True])
def test_only_http_200_acknowledges_unless_the_variant_accepts_any_2xx(
    bill: SandboxHandle, session: str, any_2xx: bool
) -> None:
    bill.settings(variants={"webhook_accept_any_2xx": any_2xx})
    with ScriptedServer(CannedResponse(204)) as server:
        subscribed(bill, session, server.url_for("/hook"), ["vendor.created"])
        a_vendor(bill, session)
        outcome = bill.deliver()[0]
    assert outcome["statusCode"] == 204 and outcome["ok"] is any_2xx


def test_a_slow_receiver_times_out(bill: SandboxHandle, session: str) -> None:
    bill.settings(webhooks={"timeout_seconds": 0.3})
    with ScriptedServer(CannedResponse(200, delay=1.0)) as slow:
        subscribed(bill, session, slow.url_for("/hook"), ["vendor.created"])
        a_vendor(bill, session)
        outcome = bill.deliver()[0]
    assert outcome["statusCode"] is None and outcome["error"] == "ReadTimeout"


def test_payload_as_a_json_string_variant(
    bill: SandboxHandle, session: str, receiver: ScriptedServer
) -> None:
    bill.settings(variants={"webhook_payload_as_string": True})
    created = subscribed(bill, session, receiver.url_for("/hook"), ["vendor.created"])
    vendor = a_vendor(bill, session)
    bill.deliver()
    delivery = receiver.hits("/hook")[0]
    assert signature_ok(delivery, created["securityKey"])  # signed over the bytes actually sent
    outer = json.loads(delivery.body)
    assert isinstance(outer, str) and json.loads(outer)["vendor"]["id"] == vendor["id"]


def test_events_follow_subscription_types_and_organization(
    bill: SandboxHandle, session: str, receiver: ScriptedServer
) -> None:
    subscribed(bill, session, receiver.url_for("/mine"), ["payment.updated"])
    other = bill.login(ORG_2)
    subscribed(bill, other, receiver.url_for("/theirs"), ["vendor.created"])
    a_vendor(bill, session)  # org 1 vendor: nobody in org 1 asked for vendor events
    bills = api(
        bill, session, "GET", "/v3/bills", params={"filters": "paymentStatus:eq:UNPAID,archived:eq:false"}
    )
    target = bills["results"][0]
    record = {
        "vendorId": target["vendorId"],
        "processDate": "2031-01-02",
        "payments": [{"billId": target["id"], "amount": target["dueAmount"]}],
    }
    payment = api(bill, session, "POST", "/v3/bills/record-payment", json=record)
    bill.deliver()
    assert receiver.hits("/theirs") == []
    [event] = [delivery.json() for delivery in receiver.hits("/mine")]
    assert event["metadata"]["eventType"] == "payment.updated"
    assert event["payment"]["id"] == payment["id"] and event["payment"]["billIds"] == [target["id"]]
    assert event["payment"]["status"] == "CLEARED" and event["payment"]["processDate"] == "2031-01-02"


def test_business_activity_emits_failure_events(
    bill: SandboxHandle, session: str, receiver: ScriptedServer
) -> None:
    subscribed(bill, session, receiver.url_for("/hook"), ["payment.failed", "vendor.updated"])
    summary = bill.activity(failed_payments=1, updated_vendors=2)
    bill.deliver()
    kinds = Counter(delivery.json()["metadata"]["eventType"] for delivery in receiver.hits("/hook"))
    assert kinds == {
        "payment.failed": len(summary["changed"].get("payments.failed", [])),
        "vendor.updated": 2,
    }
    assert kinds["payment.failed"] == 1


def test_the_test_endpoint_sends_one_signed_event_now(
    bill: SandboxHandle, session: str, receiver: ScriptedServer
) -> None:
    created = subscribed(bill, session, receiver.url_for("/hook"), ["bill.created"])
    body = {"eventType": "bill.created", "version": "1", "id": "00n02SAMPLE000000001", "amount": 1.5}
    answer = events_call(bill, session, "POST", f"/v3/subscriptions/{created['id']}/test", json=body).json()
    assert answer["statusCode"] == 200 and answer["delivered"] is True
    delivery = receiver.hits("/hook")[0]
    assert signature_ok(delivery, created["securityKey"])
    assert delivery.json()["bill"] == {"id": "00n02SAMPLE000000001", "amount": 1.5}


def test_automatic_delivery_from_the_background_thread(
    bill: SandboxHandle, session: str, receiver: ScriptedServer
) -> None:
    bill.settings(webhooks={"auto_deliver": True, "batch_delay_seconds": 0.05})
    subscribed(bill, session, receiver.url_for("/hook"), ["vendor.created"])
    vendor = a_vendor(bill, session)
    [delivery] = wait_until(
        lambda: receiver.hits("/hook"), phase="the BILL sender delivers the new vendor's event by itself"
    )
    assert delivery.json()["vendor"]["id"] == vendor["id"]


def test_operator_can_register_a_destination_without_the_api(
    bill: SandboxHandle, receiver: ScriptedServer
) -> None:
    bill.settings(webhooks={"fixed_security_key": "sandbox-bill-webhook"})
    registered = requests.post(
        f"{bill.admin}/webhooks/subscriptions", json={"notificationUrl": receiver.url_for("/dev")}, timeout=15
    ).json()
    assert registered["securityKey"] == "sandbox-bill-webhook"
    assert "sandbox-bill-webhook" not in requests.get(f"{bill.admin}/webhooks", timeout=15).text
    bill.activity(new_bills=1)
    bill.deliver()
    [delivery] = receiver.hits("/dev")
    assert (
        signature_ok(delivery, "sandbox-bill-webhook")
        and delivery.json()["metadata"]["eventType"] == "bill.created"
    )
