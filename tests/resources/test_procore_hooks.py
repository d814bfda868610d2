"""Procore webhook management and delivery authentication, end to end over loopback.

A real receiver (a Starlette app on its own port) authenticates each delivery with
``verify_procore_delivery`` and reads it with ``parse_procore_event``; the simulator delivers to it.
Payload parsing of the other versions (v3, v4) uses the reference's documented shapes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import requests
from sandbox.serving import served
from sandbox_logins import unthrottled_procore
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connector_resources.procore import (
    ProcoreResource,
    ProcoreValidationError,
    delivery_headers,
    parse_procore_event,
    verify_procore_delivery,
)
from connector_sandbox.procore import create_app
from connector_sandbox.serve import serve_in_thread

COMPANY = 4264807
CLIENT_ID, CLIENT_SECRET = "ml-connector-sandbox", "sandbox-procore-secret"
APPLICATION_ID = "3f1c2b7a-ml-connector-sandbox"
HOOK_TOKEN = "hook-token-for-tests-9f2c"
NAMESPACE = "ml-connector"


@dataclass
class Receiver:
    """Accepts a delivery only with the expected destination headers (Procore signs nothing)."""

    expected: dict[str, str]
    url: str = ""
    events: list = field(default_factory=list)
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def endpoint(self, request: Request) -> Response:
        if not verify_procore_delivery(request.headers, self.expected):
            with self.lock:
                self.refused += 1
            return Response(status_code=401)
        event = parse_procore_event(await request.json())
        with self.lock:
            self.events.append(event)
        return Response(status_code=200)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[str]:
    settings = unthrottled_procore(0.05)
    yield from served(serve_in_thread(create_app(settings)))


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    box = Receiver(expected=delivery_headers(HOOK_TOKEN))
    app = Starlette(routes=[Route("/procore", box.endpoint, methods=["POST"])])
    url, stop = serve_in_thread(app)
    box.url = f"{url}/procore"
    yield from served((box, stop))


def procore(url: str, **fields) -> ProcoreResource:
    values = {
        "base_url": url,
        "auth_url": url,
        "company_id": str(COMPANY),
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "webhook_token": HOOK_TOKEN,
        **fields,
    }
    return ProcoreResource(**values)


def deliver(url: str) -> dict:
    response = requests.post(
        f"{url}/sandbox/webhooks/deliver", json={"wait": True, "force": True}, timeout=30
    )
    response.raise_for_status()
    return response.json()


def test_hooks_and_triggers_are_searched_before_they_are_created_and_deliveries_verify(sandbox, receiver):
    with procore(sandbox).session() as s:
        hooks = s.webhooks
        first = hooks.ensure_hook(NAMESPACE, receiver.url)
        again = hooks.ensure_hook(NAMESPACE, receiver.url)
        assert (first.action, again.action) == ("created", "adopted") and first.id == again.id
        assert [h["id"] for h in hooks.list_hooks()] == [first.id]
        assert hooks.list_hooks()[0]["destination_headers"] == {"Authorization": "***"}

        made = hooks.ensure_triggers(first.id, ["Company Vendors"], ["create", "update"])
        remade = hooks.ensure_triggers(first.id, ["Company Vendors"], ["create", "update"])
        assert len(made.created) == 2 and remade.created == [] and len(remade.existing) == 2

        vendor = s.create_vendor({"name": "Webhook Steel Works", "origin_id": "JDE-V-636363"})
        deliver(sandbox)
        mine = [e for e in receiver.events if e.resource_id == vendor["id"]]
        assert [e.event_type for e in mine] == ["create"]
        event = mine[0]
        assert event.entity == "vendors" and event.resource_name == "Company Vendors"
        assert event.is_from(APPLICATION_ID)  # our own write: a flow filters it to avoid loops
        assert event.project_id is None and event.company_id == COMPANY
        assert event.dedupe_key.startswith("ulid:")
        assert s.get(event.entity, event.resource_id)["name"] == "Webhook Steel Works"
        delivered = [d for d in hooks.deliveries(first.id, "successful")]
        assert any(d["event"]["resource_id"] == vendor["id"] for d in delivered)


def test_a_delivery_with_the_wrong_destination_header_is_refused(sandbox, receiver):
    with procore(sandbox).session() as s:
        hooks = s.webhooks
        hook = hooks.ensure_hook(NAMESPACE, receiver.url, {"Authorization": "Bearer not-the-right-token"})
        assert hook.action in ("created", "updated")
        hooks.ensure_triggers(hook.id, ["Company Vendors"], ["update"])
        before = receiver.refused
        vendor = s.create_vendor({"name": "Refused Delivery Co", "origin_id": "JDE-V-474747"})
        s.update_vendor(vendor["id"], {"city": "Salem"})
        deliver(sandbox)
        assert receiver.refused > before
        assert not [e for e in receiver.events if e.resource_id == vendor["id"]]
        assert list(hooks.deliveries(hook.id, "failing"))
        restored = hooks.ensure_hook(NAMESPACE, receiver.url)  # back to the configured token
        assert restored.action == "updated"


def test_duplicated_deliveries_share_one_dedupe_key(sandbox, receiver):
    with procore(sandbox).session() as s:
        hook = s.webhooks.ensure_hook(NAMESPACE, receiver.url)
        s.webhooks.ensure_triggers(hook.id, ["Company Vendors"], ["create"])
        deliver(sandbox)  # drain what earlier tests queued, so the duplicate falls on our event
        requests.post(f"{sandbox}/sandbox/settings", json={"webhooks": {"duplicate_next": 1}}, timeout=10)
        vendor = s.create_vendor({"name": "Twice Told Timber", "origin_id": "JDE-V-252525"})
        deliver(sandbox)
        deliver(sandbox)
    keys = [e.dedupe_key for e in receiver.events if e.resource_id == vendor["id"]]
    assert len(keys) == 2 and len(set(keys)) == 1


def test_bad_hook_and_trigger_requests_fail_by_name(sandbox, receiver):
    with procore(sandbox).session() as s:
        before = s.metrics.snapshot()
        with pytest.raises(ProcoreValidationError, match="namespace"):
            s.webhooks.ensure_hook("ML Connector", receiver.url)
        assert s.metrics.since(before).calls == 0
        hook = s.webhooks.ensure_hook(NAMESPACE, receiver.url)
        with pytest.raises(ProcoreValidationError, match="'Subcontractor Invoices'") as unknown:
            s.webhooks.ensure_triggers(hook.id, ["Subcontractor Invoices"])
        assert "Requisitions" in str(unknown.value)  # the names Procore does offer are listed
        s.webhooks.delete_hook(hook.id)
        s.webhooks.delete_hook(hook.id)  # already gone: fine
        assert s.webhooks.list_hooks() == []


# -- pure functions ----------------------------------------------------------------------------------


def test_verify_procore_delivery_needs_every_expected_header_exactly():
    expected = delivery_headers("s3cret-token")
    assert verify_procore_delivery({"authorization": "Bearer s3cret-token"}, expected)
    assert verify_procore_delivery([("AUTHORIZATION", "Bearer s3cret-token"), ("X-Other", "1")], expected)
    assert not verify_procore_delivery({"Authorization": "Bearer s3cret-tokeN"}, expected)
    assert not verify_procore_delivery({"Authorization": "Bearer s3cret-token "}, expected)
    assert not verify_procore_delivery({}, expected)
    assert not verify_procore_delivery(
        [("Authorization", "Bearer s3cret-token"), ("Authorization", "Bearer other")], expected
    )
    assert not verify_procore_delivery({"Authorization": ""}, {"Authorization": ""})
    assert not verify_procore_delivery({"Authorization": "Bearer s3cret-token"}, {})
    with pytest.raises(ValueError, match="ML_PROCORE_WEBHOOK_TOKEN"):
        delivery_headers("")


def test_every_payload_version_reads_into_one_event():
    v2 = {
        "id": 987650001,
        "ulid": "01JNXQ8M3K5Z2Y7V4T1R0W9E6D",
        "timestamp": "2025-03-05T12:00:03.114522Z",
        "metadata": {"source_project_id": 55, "source_company_id": 4000, "source_application_id": "app-7"},
        "user_id": 123,
        "company_id": 4000,
        "project_id": 55,
        "api_version": "v2.0",
        "event_type": "update",
        "resource_name": "Purchase Order Contracts",
        "resource_id": 5512098,
    }
    v3 = {
        **v2,
        "api_version": "v3.0",
        "resource_name": "Purchase Order Contract Line Items",
        "related_resources": [{"id": 881234, "name": "Purchase Order Contracts"}],
    }
    v4 = {k: v for k, v in v2.items() if k not in ("ulid", "event_type", "resource_name")} | {
        "api_version": "v4.0",
        "reason": "update",
        "resource_type": "Requisitions",
        "resource_id": "1280646",
        "project_id": "55",
    }
    e2, e3, e4 = (parse_procore_event(p) for p in (v2, v3, v4))
    assert (e2.entity, e2.event_type, e2.resource_id, e2.project_id) == ("commitments", "update", 5512098, 55)
    assert e2.dedupe_key == "ulid:01JNXQ8M3K5Z2Y7V4T1R0W9E6D" and e2.timestamp.microsecond == 114522
    assert (e3.entity, e3.parent_id) == ("commitments", 881234)
    assert (e4.entity, e4.event_type, e4.resource_id, e4.project_id) == (
        "requisitions",
        "update",
        1280646,
        55,
    )
    assert e4.dedupe_key == "id:987650001" and e4.is_from("app-7") and not e4.is_from("")
    with pytest.raises(ProcoreValidationError, match="'resource_id' is missing"):
        parse_procore_event({"id": 1, "event_type": "create", "resource_name": "Company Vendors"})
