"""BILL's published contract in front of the BILL simulator, and the client against it (no Dagster run).

What holds here: a request BILL would refuse is refused naming system, endpoint and field; a bill update
leaves exactly the new lines and amount (the lines by their ids, PATCH in place or PUT when lines come or
go, as BILL's ``updatebill`` / ``replacebill`` say), where the old whole-body PATCH doubled the bill; the
simulator's PATCH line rules (a line without ``id`` appended, or refused as a variant; an unknown ``id``
refused); the shapes the client reads (bulk vendors under ``vendors``, the ``security_key`` path).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests
from bill_records import a_bill
from http_server import CannedResponse, ScriptedServer
from jsonschema import Draft202012Validator
from sandbox_logins import LOGINS, on_simulator

from connector_resources.bill import BillResource, BillValidationError, forget_sessions
from connector_sandbox.bill.contract import BILL_ANSWER, CONTRACT
from connector_sandbox.bill.testing import SandboxHandle
from connector_sandbox.contracts import obj, string

ORG = LOGINS[BillResource]["organization_id"]


BILL_SETTINGS = {"scale": 0.02}  # the `bill` fixture's (tests/sandbox/conftest.py)


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    forget_sessions()
    yield
    forget_sessions()


def client(bill: SandboxHandle) -> BillResource:
    return on_simulator(BillResource, bill.base, backoff_base=0.01, backoff_cap=0.2, keep_sessions=False)


def _get(bill: SandboxHandle, session: str, path: str, **params: Any) -> Any:
    answer = requests.get(f"{bill.base}{path}", params=params, headers=bill.headers(session), timeout=15)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _ids(bill: SandboxHandle) -> dict[str, str]:
    """A USD vendor, an expense account and a department of the seeded organization."""
    session = bill.login()
    vendors = _get(bill, session, "/v3/vendors", max="100", filters="archived:eq:false")["results"]
    accounts = _get(bill, session, "/v3/classifications/chart-of-accounts", max="100")["results"]
    departments = _get(bill, session, "/v3/classifications/departments", max="100")["results"]
    return {
        "vendor": next(v["id"] for v in vendors if v.get("billCurrency", "USD") == "USD"),
        "account": next(
            c["id"]
            for c in accounts
            if not c["archived"] and (c.get("account") or {}).get("type") == "EXPENSE"
        ),
        "department": next(d["id"] for d in departments if not d["archived"]),
    }


def _total(bill: dict[str, Any]) -> Decimal:
    return sum((Decimal(str(line["amount"])) for line in bill["billLineItems"]), Decimal(0))


# -- the contract refuses what BILL refuses ---------------------------------------------------------------


def test_a_known_bad_request_is_refused_naming_system_endpoint_and_field(bill, contract_breaches) -> None:  # type: ignore[no-untyped-def]
    session = bill.login()
    body = {
        "vendorId": "00901NOSUCHVENDOR001",
        "invoice": {"invoiceNumber": "INV-BAD", "invoiceDate": "2030-03-10"},
        "billLineItems": [{"amount": 10, "total": 10}],
        "amount": 10,
    }
    answer = requests.post(f"{bill.base}/v3/bills", json=body, headers=bill.headers(session), timeout=15)
    assert answer.status_code == 400
    said = " | ".join(error["message"] for error in answer.json())
    assert "bill POST /connect/v3/bills: body field 'dueDate' required" in said
    assert "body field 'amount' output-only" in said
    assert "body field 'billLineItems[0].total' unknown" in said
    seen = {(b.violation.field, b.violation.problem) for b in contract_breaches.seen()}
    assert seen >= {("dueDate", "required"), ("amount", "output-only"), ("billLineItems[0].total", "unknown")}


def test_an_undocumented_filter_and_an_unpublished_path_are_refused(bill, contract_breaches) -> None:  # type: ignore[no-untyped-def]
    session = bill.login()
    by_number = requests.get(
        f"{bill.base}/v3/bills",
        params={"filters": 'invoice.invoiceNumber:eq:"INV-1"'},
        headers=bill.headers(session),
        timeout=15,
    )
    assert by_number.status_code == 400 and by_number.json()[0]["code"] == "BDC_1000"
    hyphen = requests.post(
        f"{bill.events}/v3/subscriptions/any/security-key", headers=bill.headers(session), timeout=15
    )
    assert hyphen.status_code == 404 and hyphen.json()[0]["code"] == "BDC_1121"
    assert {(b.violation.where, b.violation.problem) for b in contract_breaches.seen()} == {
        ("query", "form"),
        ("path", "no such endpoint"),
    }


def test_the_contract_names_its_artifacts_and_covers_every_endpoint_the_client_calls() -> None:
    assert {a.name.split(" (")[0] for a in CONTRACT.artifacts} >= {"BILL v3 API Postman collection"}
    called = {
        ("POST", "/connect/v3/login"),
        ("POST", "/connect/v3/logout"),
        ("GET", "/connect/v3/vendors"),
        ("POST", "/connect/v3/vendors"),
        ("POST", "/connect/v3/vendors/bulk"),
        ("PATCH", "/connect/v3/vendors/009x"),
        ("GET", "/connect/v3/bills"),
        ("POST", "/connect/v3/bills"),
        ("GET", "/connect/v3/bills/00nx"),
        ("PATCH", "/connect/v3/bills/00nx"),
        ("PUT", "/connect/v3/bills/00nx"),
        ("POST", "/connect/v3/bills/record-payment"),
        ("GET", "/connect/v3/payments"),
        ("GET", "/connect/v3/classifications/chart-of-accounts"),
        ("GET", "/connect/v3/classifications/departments"),
        ("POST", "/connect-events/v3/subscriptions"),
        ("GET", "/connect-events/v3/subscriptions"),
        ("PATCH", "/connect-events/v3/subscriptions/s1"),
        ("DELETE", "/connect-events/v3/subscriptions/s1"),
        ("POST", "/connect-events/v3/subscriptions/s1/security_key"),
    }
    for method, path in called:
        op = CONTRACT.operation(method, path)
        assert op is not None and op.source, (method, path)
    assert CONTRACT.operation("PUT", "/connect/v3/vendors/009x") is None  # BILL publishes no vendor PUT


# -- the named break: a changed voucher updates its bill to exactly the new lines ----------------------------


def test_a_changed_bill_keeps_one_line_at_exactly_the_new_amount(bill) -> None:  # type: ignore[no-untyped-def]
    ids = _ids(bill)
    with client(bill).session() as session:
        created = session.create_bill(a_bill(ids, f"JDE-{uuid.uuid4().hex[:8]}", "57000.22"))
        number = created["invoice"]["invoiceNumber"]
        updated = session.update_bill(created["id"], a_bill(ids, number, "57013.59"))
        # A replay changes nothing.
        again = session.update_bill(created["id"], a_bill(ids, number, "57013.59"))
        stored = session.get("bills", created["id"])
    assert _total(stored) == Decimal("57013.59") and Decimal(str(stored["amount"])) == Decimal("57013.59")
    assert [line["id"] for line in stored["billLineItems"]] == [created["billLineItems"][0]["id"]]
    assert updated["billLineItems"] == again["billLineItems"] == stored["billLineItems"]


def test_lines_added_or_removed_replace_the_bill_by_put(bill) -> None:  # type: ignore[no-untyped-def]
    ids = _ids(bill)
    with client(bill).session() as session:
        created = session.create_bill(a_bill(ids, f"JDE-{uuid.uuid4().hex[:8]}", "100.00"))
        number = created["invoice"]["invoiceNumber"]
        kept = created["billLineItems"][0]["id"]
        puts = bill.state()["calls"].get("PUT /connect/v3/bills/{id}", 0)
        grown = session.update_bill(created["id"], a_bill(ids, number, "60.00", "40.50"))
        assert _total(grown) == Decimal("100.50") and len(grown["billLineItems"]) == 2
        assert grown["billLineItems"][0]["id"] == kept
        shrunk = session.update_bill(created["id"], a_bill(ids, number, "75.25"))
    assert _total(shrunk) == Decimal("75.25") and [line["id"] for line in shrunk["billLineItems"]] == [kept]
    assert bill.state()["calls"]["PUT /connect/v3/bills/{id}"] == puts + 2


def test_a_patch_of_a_line_without_id_is_appended_so_the_old_update_doubled_the_bill(bill) -> None:  # type: ignore[no-untyped-def]
    """What BILL does with a PATCH line without ``id`` is not documented: the simulator appends it by
    default, which is how a changed JD Edwards voucher came out at twice its amount."""
    ids = _ids(bill)
    session = bill.login()
    with client(bill).session() as writer:
        created = writer.create_bill(a_bill(ids, f"JDE-{uuid.uuid4().hex[:8]}", "57000.22"))
    whole_body = {
        "vendorId": ids["vendor"],
        "dueDate": "2030-04-09",
        "invoice": created["invoice"],
        "billLineItems": [{"amount": 57013.59, "description": "pay item 1"}],
    }
    path = f"{bill.base}/v3/bills/{created['id']}"
    patched = requests.patch(path, json=whole_body, headers=bill.headers(session), timeout=15)
    assert patched.status_code == 200, patched.text
    doubled = patched.json()
    assert len(doubled["billLineItems"]) == 2 and _total(doubled) == Decimal("114013.81")


def test_the_refuse_variant_and_an_unknown_line_id_name_the_line(bill, contract_breaches) -> None:  # type: ignore[no-untyped-def]
    ids = _ids(bill)
    session = bill.login()
    with client(bill).session() as writer:
        created = writer.create_bill(a_bill(ids, f"JDE-{uuid.uuid4().hex[:8]}", "10.00"))
    path = f"{bill.base}/v3/bills/{created['id']}"
    unknown = {"billLineItems": [{"id": "bli01NOSUCHLINE00001", "amount": 5}]}
    answer = requests.patch(path, json=unknown, headers=bill.headers(session), timeout=15)
    assert answer.status_code == 400 and "billLineItems[0].id" in answer.json()[0]["message"]
    bill.settings(variants={"patch_line_without_id": "refuse"})
    appended = {"billLineItems": [{"amount": 5, "description": "more"}]}
    answer = requests.patch(path, json=appended, headers=bill.headers(session), timeout=15)
    assert answer.status_code == 400 and "PUT" in answer.json()[0]["message"]
    with client(bill).session() as writer:
        assert _total(writer.get("bills", created["id"])) == Decimal("10.00")
        grown = writer.update_bill(
            created["id"], a_bill(ids, created["invoice"]["invoiceNumber"], "10.00", "5.00")
        )
    assert _total(grown) == Decimal("15.00")  # the client's PUT works under either variant
    assert contract_breaches.seen() == []  # both refusals are the simulator's, not the contract's


# -- other places the contract check found -------------------------------------------------------------------


def test_bulk_vendors_answer_under_vendors_and_the_client_reads_them(bill) -> None:  # type: ignore[no-untyped-def]
    names = [f"Contract vendor {uuid.uuid4().hex[:8]}" for _ in range(2)]
    with client(bill).session() as session:
        made = session.create_vendors([{"name": name, "accountType": "BUSINESS"} for name in names])
    assert [vendor["name"] for vendor in made] == names


def test_a_security_key_rotates_on_the_published_path(bill) -> None:  # type: ignore[no-untyped-def]
    with client(bill).session() as session:
        made = session.create_subscription(
            name="contract", events=["bill.updated"], notification_url="http://127.0.0.1:9/hook"
        )
        try:
            key = session.rotate_security_key(made["id"])
            assert key and key != made["securityKey"]
            listed = session.list_subscriptions()
            assert made["id"] in {row["id"] for row in listed}
        finally:
            session.delete_subscription(made["id"])


def test_the_client_refuses_nothing_it_needs_and_names_a_refused_field(bill) -> None:  # type: ignore[no-untyped-def]
    ids = _ids(bill)
    with client(bill).session() as session:
        broken = a_bill(ids, "INV-CONTRACT-BAD", "10.00")
        broken["billLineItems"][0]["classifications"]["chartOfAccountId"] = "0ca02NOSUCHACCOUNT01"
        with pytest.raises(BillValidationError) as caught:
            session.create_bill(broken)
    assert "billLineItems[0].classifications.chartOfAccountId" in caught.value.fields


# -- webhooks: the signature header and the payload shape BILL documents -----------------------------

# ``bill-webhook-notification-payloads``: ``metadata`` and the entity beside it.
# ``test-with-webhook-security``:
# ``x-bill-sha-signature`` = base64 HMAC-SHA256 of the body with the subscription's ``securityKey``.
METADATA = obj(
    {name: string() for name in ("eventId", "subscriptionId", "organizationId", "eventType", "version")},
    ["eventId", "subscriptionId", "organizationId", "eventType", "version"],
)


def test_a_bill_event_is_signed_and_shaped_as_bill_documents(bill) -> None:  # type: ignore[no-untyped-def]
    ids = _ids(bill)
    bill.settings(webhooks={"auto_deliver": False})
    with ScriptedServer(CannedResponse(200, {})) as receiver, client(bill).session() as session:
        made = session.create_subscription(
            name="shape", events=["bill.created"], notification_url=receiver.url_for("/hook")
        )
        try:
            created = session.create_bill(a_bill(ids, f"JDE-{uuid.uuid4().hex[:8]}", "12.34"))
            bill.deliver()
            [delivery] = [hit for hit in receiver.hits("/hook") if created["id"].encode() in hit.body]
        finally:
            session.delete_subscription(made["id"])
    key = made["securityKey"].encode()
    expected = base64.b64encode(hmac.new(key, delivery.body, hashlib.sha256).digest()).decode()
    assert hmac.compare_digest(expected, delivery.headers["x-bill-sha-signature"])
    body = json.loads(delivery.body)
    assert set(body) == {"metadata", "bill"}
    assert list(Draft202012Validator(METADATA).iter_errors(body["metadata"])) == []
    assert body["metadata"]["eventType"] == "bill.created"
    # The entity carries the bill answer's fields (changelog 2025-02-28); its invoiceDate is a time there.
    assert [e.message for e in Draft202012Validator(BILL_ANSWER).iter_errors(body["bill"])] == []
    assert body["bill"]["id"] == created["id"]


def test_ping_names_the_sessions_mfa_status(bill) -> None:  # type: ignore[no-untyped-def]
    """The one organization setting BILL lets a client read that decides what it may do (payments need a
    trusted session): ``GET /v3/login/session``'s ``mfaStatus``."""
    said = client(bill).ping()
    assert f"to organization {ORG}" in said and ", MFA status " in said
