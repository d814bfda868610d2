"""Every webhook source refuses stale, future and time-less events, reading the time its reference documents.

Deliveries are built as each reference documents them (Coupa: the record with its ``updated-at``, HMAC in
``X-Coupa-Signature``; BILL: ``{"metadata": {...}, "bill": {..., "updatedTime"}}`` signed in
``x-bill-sha-signature``; Procore: the v2 payload with its ``timestamp`` and the registered bearer header)
and POSTed over real HTTP to the receiver, which stores into a real SQLite ledger. A refused delivery
stores nothing; a genuine one inside its source's window is stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
import requests
from sandbox_logins import on_simulator, unthrottled_procore

from connector_resources.ledger import Ledger
from connector_resources.webhooks import bill_source, coupa_source, create_receiver, procore_source
from connector_sandbox.coupa import CoupaSandboxSettings, run_in_thread
from connector_sandbox.coupa.settings import FaultSettings
from connector_sandbox.serve import serve_in_thread

COUPA_SECRET = "whsec-fresh-5b1e"
BILL_KEY = "bill-key-fresh-77d0"
PROCORE_TOKEN = "procore-hook-fresh-c4a9"
SOURCES = ("coupa_invoices", "bill", "procore")
PACIFIC = timezone(timedelta(hours=-8))  # Coupa shows times with the instance's offset


def _sources() -> dict:
    return {
        "coupa_invoices": coupa_source("coupa_invoices", "invoices", secret=COUPA_SECRET),
        "bill": bill_source("bill", security_key=BILL_KEY),
        "procore": procore_source("procore", token=PROCORE_TOKEN),
    }


@pytest.fixture
def receiver(tmp_path) -> Iterator[Callable[[dict], tuple[str, Ledger]]]:
    """Start a receiver over given sources (default: the three above) on a fresh ledger."""
    stops = []

    def start(sources: dict | None = None) -> tuple[str, Ledger]:
        ledger = Ledger(f"sqlite:///{tmp_path / f'ledger{len(stops)}.sqlite'}")
        url, stop = serve_in_thread(create_receiver(sources or _sources(), ledger))
        stops.append(stop)
        return url, ledger

    yield start
    for stop in stops:
        stop()


# -- deliveries as each reference documents them --------------------------------------------------------


def coupa(when: datetime | None, *, envelope: bool = False, extra: dict | None = None) -> tuple[bytes, dict]:
    """A call-out: the invoice record itself (the default payload), or the envelope variant."""
    record: dict = {"id": 4711, "invoice-number": "INV-4711", "status": "approved"}
    if when is not None:
        record["updated-at"] = when.astimezone(PACIFIC).isoformat()
    content = (
        {"event-id": f"evt-{uuid.uuid4().hex}", "resource": "invoices", "data": record}
        if envelope
        else record
    )
    content.update(extra or {})
    body = json.dumps(content).encode()
    signature = hmac.new(COUPA_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return body, {"X-Coupa-Signature": signature, "Content-Type": "application/json"}


def bill(when: datetime | None, *, as_string: bool = False) -> tuple[bytes, dict]:
    """A ``bill.updated`` notification (reference 2.10): metadata without a time, the bill with its times."""
    entity = {"id": "00n02BILL0000000001", "vendorId": "00902GRANITESUPPLY01", "amount": 245.0}
    if when is not None:
        entity["createdTime"] = "2025-03-10T15:00:00.000+00:00"
        entity["updatedTime"] = when.astimezone(UTC).isoformat(timespec="milliseconds")
    metadata = {
        "eventId": str(uuid.uuid4()),
        "subscriptionId": "b3e1c0de-0000-4a4a-9a9a-123456789abc",
        "organizationId": "00802ABCDEFGHIJKLmno",
        "eventType": "bill.updated",
        "version": "1",
    }
    text = json.dumps({"metadata": metadata, "bill": entity}, separators=(",", ":"))
    body = (json.dumps(text) if as_string else text).encode()
    signature = base64.b64encode(hmac.new(BILL_KEY.encode(), body, hashlib.sha256).digest()).decode()
    return body, {"x-bill-sha-signature": signature, "Content-Type": "application/json"}


def procore(when: datetime | None) -> tuple[bytes, dict]:
    """A v2 delivery (reference 2.10) with the registered destination header."""
    payload: dict = {
        "id": 987650001,
        "ulid": uuid.uuid4().hex[:26].upper(),
        "metadata": {"source_user_id": 123, "source_company_id": 4000, "source_application_id": "app-7"},
        "user_id": 123,
        "company_id": 4000,
        "api_version": "v2.0",
        "event_type": "update",
        "resource_name": "Company Vendors",
        "resource_id": 5512098,
    }
    if when is not None:
        payload["timestamp"] = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    headers = {"Authorization": f"Bearer {PROCORE_TOKEN}", "Content-Type": "application/json"}
    return json.dumps(payload).encode(), headers


def delivery(source: str, when: datetime | None) -> tuple[bytes, dict]:
    if source == "coupa_invoices":
        # Without updated-at the record payload has no event ID either; the envelope has one of its own,
        # so it is the case where only the time is missing.
        return coupa(when, envelope=when is None)
    return bill(when) if source == "bill" else procore(when)


def post(url: str, source: str, body: bytes, headers: dict) -> requests.Response:
    return requests.post(f"{url}/webhooks/{source}", data=body, headers=headers, timeout=30)


NOW = datetime.now  # read at each use: deliveries are stamped the moment a test builds them

# How old a genuine delivery can be: Procore retries for 12 hours (reference 2.10), BILL's retry span is
# undocumented (the window is wide), Coupa documents none (a day).
STALE = {"coupa_invoices": timedelta(days=2), "bill": timedelta(days=4), "procore": timedelta(hours=14)}
RETRIED = {"coupa_invoices": timedelta(hours=20), "bill": timedelta(days=2), "procore": timedelta(hours=11)}


# -- refused: nothing stored ---------------------------------------------------------------------------


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize(
    "case", ["stale", "ten minutes ahead", "a year ahead", "no timestamp", "not a time", "a bare date"]
)
def test_a_delivery_outside_its_window_or_without_its_time_stores_nothing(receiver, caplog, source, case):
    url, ledger = receiver()
    now = NOW(UTC)
    when = {
        "stale": now - STALE[source],
        "ten minutes ahead": now + timedelta(minutes=10),
        "a year ahead": now + timedelta(days=365),
    }.get(case)
    body, headers = delivery(source, when if case in ("stale", "ten minutes ahead", "a year ahead") else None)
    if case in ("not a time", "a bare date"):
        value = "soon" if case == "not a time" else now.date().isoformat()
        field = {"coupa_invoices": "updated-at", "bill": "updatedTime", "procore": "timestamp"}[source]
        body, headers = _with_time(source, field, value)
    with caplog.at_level(logging.WARNING, logger="ml_connector"):
        response = post(url, source, body, headers)
    expected = 422 if case in ("stale", "ten minutes ahead", "a year ahead") else 400
    assert response.status_code == expected, response.text
    reason = response.json()["error"]
    if case == "stale":
        assert "older than" in reason
    elif "ahead" in case:
        assert "in the future" in reason
    else:
        assert {"coupa_invoices": "updated-at", "bill": "bill.updatedTime", "procore": "timestamp"}[
            source
        ] in reason
    assert ledger.inbox_pending(limit=100) == []
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert refusals and reason.split(": ", 1)[1] in refusals[0]
    for secret in (COUPA_SECRET, BILL_KEY, PROCORE_TOKEN):
        assert secret not in caplog.text and secret not in response.text


def _with_time(source: str, field: str, value: str) -> tuple[bytes, dict]:
    """A genuine delivery whose documented time field holds ``value`` (re-signed after the change)."""
    now = NOW(UTC)
    if source == "coupa_invoices":
        return coupa(None, extra={field: value})
    if source == "bill":
        body, _ = bill(now)
        content = json.loads(body)
        content["bill"][field] = value
        text = json.dumps(content, separators=(",", ":")).encode()
        signature = base64.b64encode(hmac.new(BILL_KEY.encode(), text, hashlib.sha256).digest()).decode()
        return text, {"x-bill-sha-signature": signature, "Content-Type": "application/json"}
    body, headers = procore(now)
    content = json.loads(body)
    content[field] = value
    return json.dumps(content).encode(), headers


# -- accepted: stored once -------------------------------------------------------------------------------


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("case", ["just now", "being retried", "two minutes ahead (clock skew)"])
def test_a_genuine_delivery_inside_its_window_is_stored(receiver, source, case):
    url, ledger = receiver()
    now = NOW(UTC)
    when = {
        "just now": now,
        "being retried": now - RETRIED[source],
        "two minutes ahead (clock skew)": now + timedelta(minutes=2),
    }[case]
    body, headers = delivery(source, when)
    response = post(url, source, body, headers)
    assert response.status_code == 200, response.text
    assert response.json()["stored"] is True
    [stored] = ledger.inbox_pending(limit=100)
    assert stored.source == source and stored.body == body


def test_bill_body_sent_as_a_json_string_is_age_checked_too(receiver):
    url, ledger = receiver()
    stale_body, stale_headers = bill(NOW(UTC) - timedelta(days=4), as_string=True)
    assert post(url, "bill", stale_body, stale_headers).status_code == 422
    assert ledger.inbox_pending(limit=100) == []
    fresh_body, fresh_headers = bill(NOW(UTC), as_string=True)
    assert post(url, "bill", fresh_body, fresh_headers).status_code == 200
    assert len(ledger.inbox_pending(limit=100)) == 1


def test_a_forged_delivery_is_refused_before_its_time_is_read(receiver):
    url, ledger = receiver()
    for source in SOURCES:
        body, headers = delivery(source, NOW(UTC))
        forged = {
            k: ("Bearer guessed" if k == "Authorization" else "AAAA") for k in headers if k != "Content-Type"
        }
        assert post(url, source, body, {**headers, **forged}).status_code == 401
    assert ledger.inbox_pending(limit=100) == []


# -- the settings -------------------------------------------------------------------------------------------


def test_windows_and_time_fields_are_settings(receiver):
    from connector_resources.webhooks.configured import configured_sources

    environ = {
        "ML_COUPA_WEBHOOK_AUTH": "hmac",
        "ML_COUPA_WEBHOOK_SECRET": COUPA_SECRET,
        "ML_COUPA_WEBHOOK_TIME_FIELD": "occurred-at",
        "ML_BILL_WEBHOOK_KEY": BILL_KEY,
        "ML_BILL_WEBHOOK_MAX_AGE_MINUTES": "30",
        "ML_PROCORE_WEBHOOK_TOKEN": PROCORE_TOKEN,
        "ML_WEBHOOK_FUTURE_SKEW_SECONDS": "0",
    }
    url, ledger = receiver(configured_sources(environ))
    now = NOW(UTC)
    # Coupa: the time is read from the configured envelope field, not the record's updated-at.
    body, headers = coupa(now - timedelta(days=30), envelope=True, extra={"occurred-at": now.isoformat()})
    assert post(url, "coupa_invoices", body, headers).status_code == 200
    body, headers = coupa(now, envelope=True)
    assert post(url, "coupa_invoices", body, headers).status_code == 400  # no occurred-at
    # BILL: a 30-minute window refuses an hour-old event.
    assert post(url, "bill", *bill(now - timedelta(hours=1))).status_code == 422
    # No skew allowed: a minute ahead is refused.
    assert post(url, "procore", *procore(now + timedelta(minutes=1))).status_code == 422
    assert len(ledger.inbox_pending(limit=100)) == 1


def test_the_setting_defaults_are_the_documented_windows():
    from connector_resources.webhooks.configured import configured_sources

    built = configured_sources({})
    plain = {
        "coupa_invoices": coupa_source("coupa_invoices", "invoices", secret="x"),
        "bill": bill_source("bill", security_key="x"),
        "procore": procore_source("procore", token="x"),
    }
    for name, source in plain.items():
        assert built[name].freshness == source.freshness, name
    assert built["procore"].freshness.max_age >= timedelta(hours=12)  # Procore's retry span


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ML_PROCORE_WEBHOOK_MAX_AGE_MINUTES", "soon"),
        ("ML_BILL_WEBHOOK_MAX_AGE_MINUTES", "0"),
        ("ML_WEBHOOK_FUTURE_SKEW_SECONDS", "-5"),
    ],
)
def test_a_bad_window_setting_names_the_variable(variable, value):
    from connector_resources.settings import SettingError
    from connector_resources.webhooks.configured import configured_sources

    with pytest.raises(SettingError, match=variable):
        configured_sources({variable: value})


# -- the Coupa simulator's call-outs ------------------------------------------------------------------------


def test_coupa_sandbox_callouts_of_fresh_changes_are_stored_and_of_old_ones_refused(receiver):
    """The simulator sends what the reference documents (the record with its ``updated-at``)."""
    url, ledger = receiver(
        {
            "coupa_invoices": coupa_source(
                "coupa_invoices",
                "invoices",
                scheme="basic",
                basic_username="ml-connector-callouts",
                basic_password="sandbox-coupa-callout",
            )
        }
    )
    base, stop = run_in_thread(
        CoupaSandboxSettings(scale=0.05, faults=FaultSettings(rate_limit_enabled=False))
    )
    try:
        admin = f"{base}/sandbox"
        requests.post(
            f"{admin}/callouts",
            json={"url": f"{url}/webhooks/coupa_invoices", "resource": "invoices"},
            timeout=10,
        ).raise_for_status()
        changed = requests.post(f"{admin}/activity", json={"updated_invoices": 2}, timeout=30).json()
        assert requests.post(f"{admin}/callouts/wait", json={"timeout_seconds": 10}, timeout=30).json()[
            "finished"
        ]
        fresh = changed["updated"]["invoices"]
        stored = ledger.inbox_pending(source="coupa_invoices", limit=100)
        assert len(stored) == len(fresh) >= 1
        assert {json.loads(e.body)["id"] for e in stored} == set(fresh)

        records = requests.get(f"{admin}/records/invoices", timeout=30).json()["records"]
        old = [r for r in records if _age(r["updated-at"]) > timedelta(days=2)][0]
        answer = requests.post(
            f"{admin}/callouts/deliver",
            json={"resource": "invoices", "ids": [old["id"]], "wait_seconds": 10},
            timeout=30,
        ).json()
        assert [d["status_code"] for d in answer["deliveries"]] == [422]
        assert len(ledger.inbox_pending(source="coupa_invoices", limit=100)) == len(fresh)
    finally:
        stop()


def _age(stamp: str) -> timedelta:
    return NOW(UTC) - datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def test_a_source_that_documents_no_event_time_still_dedupes_on_its_event_id(receiver):
    """``occurred_at=None`` is the explicit opt-out (no source uses it today): signature + event ID."""
    from connector_resources.webhooks import WebhookSource
    from connector_resources.webhooks.freshness import Freshness

    plain = procore_source("procore", token=PROCORE_TOKEN)
    timeless = WebhookSource("timeless", plain.verify, plain.event_id, None, Freshness(timedelta(minutes=1)))
    url, ledger = receiver({"timeless": timeless})
    body, headers = procore(NOW(UTC) - timedelta(days=400))
    assert post(url, "timeless", body, headers).json()["stored"] is True
    assert post(url, "timeless", body, headers).json()["stored"] is False
    assert post(url, "timeless", body, {"Content-Type": "application/json"}).status_code == 401
    assert len(ledger.inbox_pending(limit=100)) == 1


# -- the BILL and Procore simulators: every event they emit carries the documented time and is kept ----


def test_every_bill_sandbox_event_is_accepted_payments_included(receiver):
    from connector_sandbox.bill import BillSandboxSettings, create_app

    url, ledger = receiver({"bill": bill_source("bill", security_key="sandbox-bill-webhook")})
    base, stop = serve_in_thread(create_app(BillSandboxSettings(scale=0.05)), path="/connect")
    root = base.removesuffix("/connect")
    try:
        for path, body in (
            ("settings", {"webhooks": {"auto_deliver": False}}),
            ("webhooks/subscriptions", {"notificationUrl": f"{url}/webhooks/bill"}),
            ("activity", {"new_vendors": 1, "updated_bills": 2, "cleared_payments": 1, "failed_payments": 1}),
            ("webhooks/deliver", {}),
        ):
            requests.post(f"{root}/sandbox/{path}", json=body, timeout=30).raise_for_status()
        outcomes = requests.get(f"{root}/sandbox/webhooks/deliveries", timeout=30).json()["outcomes"]
        kinds = {o["eventType"] for o in outcomes}
        assert {"vendor.created", "bill.updated", "payment.updated", "payment.failed"} <= kinds
        assert [o for o in outcomes if o["statusCode"] != 200] == []
        stored = ledger.inbox_pending(source="bill", limit=1000)
        assert {e.event_id for e in stored} == {o["eventId"] for o in outcomes}
    finally:
        stop()


@pytest.mark.parametrize("api_version", ["v2", "v3", "v4"])
def test_every_procore_sandbox_payload_version_is_accepted(receiver, api_version):
    from connector_resources.procore import ProcoreResource
    from connector_sandbox.procore import create_app

    url, ledger = receiver()
    settings = unthrottled_procore(0.05)
    sandbox, stop = serve_in_thread(create_app(settings))
    resource = on_simulator(ProcoreResource, sandbox, auth_url=sandbox, webhook_token=PROCORE_TOKEN)
    try:
        with resource.session() as s:
            hook = s.webhooks.ensure_hook("ml-connector", f"{url}/webhooks/procore", api_version=api_version)
            s.webhooks.ensure_triggers(hook.id, ["Company Vendors"], ["create", "update"])
            vendor = s.create_vendor(
                {"name": f"Fresh Timber {api_version}", "origin_id": f"JDE-{api_version}"}
            )
            s.update_vendor(vendor["id"], {"city": "Salem"})
            requests.post(
                f"{sandbox}/sandbox/webhooks/deliver", json={"wait": True, "force": True}, timeout=30
            ).raise_for_status()
            assert list(s.webhooks.deliveries(hook.id, "failing")) == []
            delivered = list(s.webhooks.deliveries(hook.id, "successful"))
        stored = ledger.inbox_pending(source="procore", limit=100)
        assert len(stored) == len(delivered) >= 2
        assert {json.loads(e.body)["api_version"] for e in stored} == {f"{api_version}.0"}
    finally:
        stop()
