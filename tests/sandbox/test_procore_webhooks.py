"""Procore sandbox webhooks: the management API and real deliveries to a loopback receiver.

The receiver is a small Starlette app served by uvicorn that records every POST and answers from a
per-test script (status and delay), so retries, timeouts, duplicates and ordering are observed on the
wire, not inferred from the sandbox's own bookkeeping. Procore signs nothing: the registered
``destination_headers`` are the only authentication, and the tests check exactly that.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from waiting import load, named, wait_until

from connector_sandbox.procore import run_in_thread
from connector_sandbox.procore.settings import WebhookSettings
from connector_sandbox.serve import serve_in_thread
from tests.sandbox.test_procore_sandbox import COMPANY, V1, Sandbox, fast_settings, vendors_active

from .serving import served

pytestmark = pytest.mark.timeout(120)

# How long the sandbox waits for a round asked for: a round here sends a few loopback requests, each
# answered at once (a slow receiver's is cut at 0.3 s), so this is ample at load 15, and inside the
# 30 s that ``Sandbox.admin`` waits for the answer.
ROUND_SECONDS = 25.0

HOOK_HEADERS = {"Authorization": "Bearer sandbox-procore-hook"}
V2_KEYS = {
    "id",
    "ulid",
    "timestamp",
    "metadata",
    "user_id",
    "company_id",
    "api_version",
    "event_type",
    "resource_name",
    "resource_id",
}


class Receiver:
    """Records deliveries per path; each path answers from its own script, then 200."""

    def __init__(self) -> None:
        self.base = ""
        self._lock = threading.Lock()
        self._received: dict[str, list[dict[str, Any]]] = {}
        self._scripts: dict[str, deque[tuple[int, float]]] = {}

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        path = request.url.path
        with self._lock:
            self._received.setdefault(path, []).append(
                {
                    "headers": dict(request.headers),
                    "raw": body,
                    "body": json.loads(body),
                    "at": time.monotonic(),
                }
            )
            script = self._scripts.get(path)
            status, delay = script.popleft() if script else (200, 0.0)
        if delay:
            await asyncio.sleep(delay)
        return Response(status_code=status)

    def endpoint(self, *script: tuple[int, float]) -> str:
        """A fresh path (so stray deliveries of other tests never mix in) and its answers."""
        path = f"/hooks/{uuid.uuid4().hex}"
        self._scripts[path] = deque(script)
        return path

    def received(self, path: str) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._received.get(path, []))

    def wait(self, path: str, count: int) -> list[dict[str, Any]]:
        """The deliveries on ``path`` once there are ``count`` of them (the sender's background rounds)."""

        def enough() -> list[dict[str, Any]] | None:
            got = self.received(path)
            return got if len(got) >= count else None

        return wait_until(
            enough,
            phase=f"the Procore sender delivers {count} event(s) to the receiver",
            detail=lambda: f"{len(self.received(path))} received on {path}",
        )


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    recorder = Receiver()
    app = Starlette(routes=[Route("/hooks/{name}", recorder.handle, methods=["POST"])])
    recorder.base, stop = serve_in_thread(app)
    yield from served((recorder, stop))


# A receiver that answers at once is on time even at load 15; the slow-receiver tests set their own.
PROMPT_SECONDS = 10.0


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    hooks = WebhookSettings(
        poll_interval_seconds=0.05, retry_initial_seconds=0.05, timeout_seconds=PROMPT_SECONDS
    )
    yield from served(run_in_thread(fast_settings(webhooks=hooks)), Sandbox)


@pytest.fixture(autouse=True)
def _fresh(sandbox: Sandbox) -> None:
    """Fresh data, once the previous test's round is over: a round still sending when the data is
    replaced would record its outcome on the new test's hook and delivery of the same id."""
    manual_delivery(sandbox)
    sandbox.reset()


def create_hook(sandbox: Sandbox, url: str, version: str = "v2", **extra: Any) -> dict[str, Any]:
    hook = {
        "api_version": version,
        "namespace": "ml-connector",
        "destination_url": url,
        "destination_headers": HOOK_HEADERS,
        **extra,
    }
    response = sandbox.api("POST", f"{V1}/webhooks/hooks", json={"company_id": COMPANY, "hook": hook})
    assert response.status_code == 201, response.text
    return response.json()


def post_trigger(sandbox: Sandbox, hook_id: int, resource: str, event: str) -> requests.Response:
    return sandbox.api(
        "POST",
        f"{V1}/webhooks/hooks/{hook_id}/triggers",
        json={
            "company_id": COMPANY,
            "api_version": "v2",
            "trigger": {"resource_name": resource, "event_type": event},
        },
    )


def add_trigger(sandbox: Sandbox, hook_id: int, resource: str, event: str) -> dict[str, Any]:
    response = post_trigger(sandbox, hook_id, resource, event)
    assert response.status_code == 201, response.text
    return response.json()


def vendor_update_hook(sandbox: Sandbox, url: str) -> dict[str, Any]:
    """A hook to ``url`` triggered by every update of a company vendor: what most delivery tests watch."""
    hook = create_hook(sandbox, url)
    add_trigger(sandbox, hook["id"], "Company Vendors", "update")
    return hook


def update_vendor(sandbox: Sandbox, vendor_id: int, **fields: Any) -> None:
    response = sandbox.api(
        "PATCH", f"{V1}/vendors/{vendor_id}", json={"company_id": COMPANY, "vendor": fields}
    )
    assert response.status_code == 200, response.text


def deliveries(sandbox: Sandbox, hook_id: int, status: str = "any") -> list[dict[str, Any]]:
    response = sandbox.api(
        "GET",
        f"{V1}/webhooks/hooks/{hook_id}/deliveries",
        params={"company_id": COMPANY, "filters[status]": status},
    )
    assert response.status_code == 200, response.text
    return response.json()


def deliver_now(
    sandbox: Sandbox, force: bool = True, *, phase: str = "a delivery round asked for"
) -> list[dict[str, Any]]:
    """The attempts of one round run now, waited for (the sandbox waits up to ``ROUND_SECONDS``)."""
    with named(phase):
        answer = sandbox.admin(
            "POST", "/webhooks/deliver", {"wait": True, "force": force, "timeout": ROUND_SECONDS}
        )
    assert answer["completed"], f"{phase}: not over within {ROUND_SECONDS:.0f} s ({load()})"
    return answer["attempts"]


def manual_delivery(sandbox: Sandbox, **webhooks: Any) -> None:
    """Deliveries only when a test asks (``deliver_now``), with ``webhooks``' other settings, from a
    sender that has ended every round begun before: an automatic round reads the settings once, when
    it starts, so one begun just before this change could still deliver the test's first event under
    the old settings (a 10 s timeout for a receiver meant to be too slow at 0.3 s) and leave the test's
    own round nothing to send. The sender runs one round at a time, so once a round asked for after
    the change is over, so is any round begun before it."""
    sandbox.settings(webhooks={"auto_deliver": False, **webhooks})
    deliver_now(sandbox, force=False, phase="the Procore sender ends the round it began before the change")


# -- deliveries --------------------------------------------------------------------------------------------


def test_delivery_carries_the_registered_headers_and_no_signature(
    sandbox: Sandbox, receiver: Receiver
) -> None:
    path = receiver.endpoint()
    hook = create_hook(sandbox, receiver.base + path)
    assert hook["destination_headers"] == HOOK_HEADERS and hook["owned_by_company_id"] == COMPANY
    add_trigger(sandbox, hook["id"], "Company Vendors", "update")
    vendor = vendors_active(sandbox)[0]
    update_vendor(sandbox, vendor["id"], notes="webhook please")
    [got] = receiver.wait(path, 1)
    headers, body = got["headers"], got["body"]
    assert headers["authorization"] == HOOK_HEADERS["Authorization"]
    assert headers["content-type"] == "application/json"
    # Procore does not sign deliveries: no signature header of any name, only what was registered.
    assert not [
        name for name in headers if "signature" in name or "hmac" in name or name.startswith("x-procore")
    ]
    assert set(body) == V2_KEYS  # Company Directory events carry no project_id key at all
    state = sandbox.admin("GET", "/state")
    assert body["resource_name"] == "Company Vendors" and body["event_type"] == "update"
    assert (
        body["resource_id"] == vendor["id"]
        and body["company_id"] == COMPANY
        and body["api_version"] == "v2.0"
    )
    assert body["metadata"]["source_application_id"] == state["clients"][0]["application_id"]
    assert (
        body["user_id"]
        == body["metadata"]["source_user_id"]
        == state["clients"][0]["service_account_user_id"]
    )
    assert len(body["ulid"]) == 26 and isinstance(body["id"], int)
    logged = deliveries(sandbox, hook["id"], "successful")
    assert [d["event_id"] for d in logged] == [body["id"]] and logged[0]["outcome"] == "ok"
    assert logged[0]["event"] == body


def test_v3_payload_names_the_parent_of_line_items(sandbox: Sandbox, receiver: Receiver) -> None:
    path = receiver.endpoint()
    hook = create_hook(sandbox, receiver.base + path, version="v3")
    add_trigger(sandbox, hook["id"], "Purchase Order Contract Line Items", "create")
    project = sandbox.visible_project()
    po = sandbox.api(
        "POST",
        f"{V1}/purchase_order_contracts",
        json={"project_id": project["id"], "purchase_order_contract": {"title": "Rebar"}},
    ).json()
    code = next(c for c in sandbox.records("cost_codes", project_id=project["id"]) if c["parent_id"])
    line = sandbox.api(
        "POST",
        f"{V1}/purchase_order_contracts/{po['id']}/line_items",
        json={"project_id": project["id"], "line_item": {"amount": "10.00", "cost_code_id": code["id"]}},
    ).json()
    [got] = receiver.wait(path, 1)
    body = got["body"]
    assert body["api_version"] == "v3.0" and body["resource_id"] == line["id"]
    assert body["project_id"] == project["id"]
    assert body["related_resources"] == [{"id": po["id"], "name": "Purchase Order Contracts"}]


def test_v4_payload_uses_string_ids_and_renamed_fields(sandbox: Sandbox, receiver: Receiver) -> None:
    path = receiver.endpoint()
    hook = create_hook(sandbox, receiver.base + path, version="v4")
    add_trigger(sandbox, hook["id"], "Company Vendors", "create")
    created = sandbox.api(
        "POST", f"{V1}/vendors", json={"company_id": COMPANY, "vendor": {"name": "北京建材二厂"}}
    )
    [got] = receiver.wait(path, 1)
    body = got["body"]
    assert body["resource_id"] == str(created.json()["id"]) and body["company_id"] == str(COMPANY)
    assert body["reason"] == "create" and body["resource_type"] == "Company Vendors"
    assert "ulid" not in body and "event_type" not in body and isinstance(body["id"], str)


def test_failed_deliveries_are_retried_with_backoff(sandbox: Sandbox, receiver: Receiver) -> None:
    manual_delivery(sandbox, retry_initial_seconds=60)
    path = receiver.endpoint((500, 0.0), (503, 0.0))
    hook = vendor_update_hook(sandbox, receiver.base + path)
    update_vendor(sandbox, vendors_active(sandbox)[0]["id"], notes="retry me")
    before = time.time()  # the failure is no sooner (a busy machine only moves it later)
    first = deliver_now(sandbox)
    assert [a["response_status"] for a in first] == [500]
    assert [d["outcome"] for d in deliveries(sandbox, hook["id"], "failing")] == ["failed"]
    assert deliver_now(sandbox, force=False) == []  # the hook waits out its backoff
    stored = sandbox.record("hooks", hook["id"])
    assert stored["consecutive_failures"] == 1 and stored["next_attempt_at"] > before + 50
    assert [a["response_status"] for a in deliver_now(sandbox)] == [503]
    assert sandbox.record("hooks", hook["id"])["consecutive_failures"] == 2
    assert [a["response_status"] for a in deliver_now(sandbox)] == [200]
    [done] = deliveries(sandbox, hook["id"], "successful")
    assert done["outcome"] == "retried"  # the attempts are the simulator's own record, not in Procore's log
    [row] = sandbox.records("deliveries", hook_id=hook["id"])
    assert row["attempts"] == 3
    assert sandbox.record("hooks", hook["id"])["consecutive_failures"] == 0  # a success resets the backoff
    assert len(receiver.received(path)) == 3
    assert len({r["body"]["ulid"] for r in receiver.received(path)}) == 1


def test_background_retries_follow_exponential_backoff(sandbox: Sandbox, receiver: Receiver) -> None:
    sandbox.settings(webhooks={"retry_initial_seconds": 0.2, "poll_interval_seconds": 0.02})
    path = receiver.endpoint((500, 0.0), (500, 0.0))
    vendor_update_hook(sandbox, receiver.base + path)
    update_vendor(sandbox, vendors_active(sandbox)[0]["id"], notes="backoff")
    got = receiver.wait(path, 3)
    gaps = [later["at"] - earlier["at"] for earlier, later in zip(got, got[1:], strict=False)]
    assert gaps[0] >= 0.2 and gaps[1] >= 0.4  # 1x then 2x the initial wait


def test_slow_receiver_times_out_and_is_retried(sandbox: Sandbox, receiver: Receiver) -> None:
    manual_delivery(sandbox, timeout_seconds=0.3)
    path = receiver.endpoint((200, 1.0))
    hook = vendor_update_hook(sandbox, receiver.base + path)
    update_vendor(sandbox, vendors_active(sandbox)[0]["id"], notes="slow")
    [attempt] = deliver_now(sandbox)
    assert attempt["error"] == "timeout" and attempt["elapsed_ms"] >= 300
    assert deliveries(sandbox, hook["id"], "failing")[0]["response_error"] == "timeout"
    # The retry meets a receiver that answers at once: given the usual time, as 0.3 s is not a
    # promise a busy machine keeps even for that.
    sandbox.settings(webhooks={"timeout_seconds": PROMPT_SECONDS})
    assert [a["error"] for a in deliver_now(sandbox)] == [None]


def test_refused_connection_is_a_failed_attempt(sandbox: Sandbox) -> None:
    manual_delivery(sandbox)
    vendor_update_hook(sandbox, "http://127.0.0.1:9/unreachable")
    update_vendor(sandbox, vendors_active(sandbox)[0]["id"], notes="nobody home")
    [attempt] = deliver_now(sandbox)
    assert attempt["response_status"] is None and attempt["error"].startswith("connection error")


def test_queue_is_discarded_after_failing_too_long(sandbox: Sandbox, receiver: Receiver) -> None:
    manual_delivery(sandbox, discard_after_seconds=0.3)
    path = receiver.endpoint(*[(500, 0.0)] * 5)
    hook = vendor_update_hook(sandbox, receiver.base + path)
    first, second = vendors_active(sandbox)[:2]
    update_vendor(sandbox, first["id"], notes="one")
    update_vendor(sandbox, second["id"], notes="two")
    assert len(deliver_now(sandbox)) == 1  # the head fails; the rest of the queue waits behind it
    time.sleep(0.35)
    assert deliver_now(sandbox) == []
    discarded = deliveries(sandbox, hook["id"], "discarded")
    assert len(discarded) == 2 and {d["outcome"] for d in discarded} == {"discarded"}
    assert deliveries(sandbox, hook["id"], "failing") == []


def test_duplicate_delivery_repeats_the_same_event(sandbox: Sandbox, receiver: Receiver) -> None:
    manual_delivery(sandbox, duplicate_next=1)
    path = receiver.endpoint()
    vendor_update_hook(sandbox, receiver.base + path)
    first, second = vendors_active(sandbox)[:2]
    update_vendor(sandbox, first["id"], notes="twice")
    update_vendor(sandbox, second["id"], notes="once")
    attempts = deliver_now(sandbox)
    assert [a["duplicate"] for a in attempts] == [False, True, False]
    got = receiver.received(path)
    assert got[0]["raw"] == got[1]["raw"] and got[0]["body"]["ulid"] == got[1]["body"]["ulid"]
    assert got[2]["body"]["resource_id"] == second["id"]
    assert sandbox.admin("GET", "/settings")["webhooks"]["duplicate_next"] == 0


def test_out_of_order_delivery(sandbox: Sandbox, receiver: Receiver) -> None:
    manual_delivery(sandbox, out_of_order=True)
    path = receiver.endpoint()
    vendor_update_hook(sandbox, receiver.base + path)
    for vendor in vendors_active(sandbox)[:3]:
        update_vendor(sandbox, vendor["id"], notes="ordered?")
    deliver_now(sandbox)
    ids = [r["body"]["id"] for r in receiver.received(path)]
    assert len(ids) == 3 and ids == sorted(ids, reverse=True)


def test_activity_events_come_from_people_not_the_app(sandbox: Sandbox, receiver: Receiver) -> None:
    path = receiver.endpoint()
    registered = sandbox.admin(
        "POST", "/webhooks/register", {"destination_url": receiver.base + path}, expect=201
    )
    made = sandbox.admin("POST", "/activity", {"updated_vendors": 1, "new_commitments": 1})
    got = receiver.wait(path, 2)
    by_resource = {r["body"]["resource_name"]: r for r in got}
    vendor_event = by_resource["Company Vendors"]["body"]
    assert vendor_event["resource_id"] == made["records"]["updated_vendors"][0]
    assert vendor_event["metadata"]["source_application_id"] is None
    assert vendor_event["user_id"] not in {
        c["service_account_user_id"] for c in sandbox.admin("GET", "/state")["clients"]
    }
    commitment_event = next(
        r["body"] for r in got if r["body"]["resource_id"] == made["records"]["new_commitments"][0]
    )
    assert commitment_event["event_type"] == "create" and commitment_event["project_id"]
    assert by_resource["Company Vendors"]["headers"]["authorization"] == "Bearer sandbox-procore-hook"
    listed = sandbox.api(
        "GET", f"{V1}/webhooks/hooks", params={"company_id": COMPANY, "namespace": "*"}
    ).json()
    assert [h["id"] for h in listed] == [registered["hook_id"]]


def test_project_vendor_update_events_stop_after_the_deprecation_date(sandbox: Sandbox) -> None:
    import json as _json

    manual_delivery(sandbox)
    sandbox.admin("POST", "/webhooks/register", {"destination_url": "http://127.0.0.1:9/x"}, expect=201)
    vendor = next(v for v in vendors_active(sandbox) if _json.loads(v["project_ids"]))
    sandbox.settings(variants={"project_directory_updates_until": "2999-12-31"})
    update_vendor(sandbox, vendor["id"], notes="before the cut-off")
    sandbox.settings(variants={"project_directory_updates_until": "2000-01-01"})
    update_vendor(sandbox, vendor["id"], notes="after the cut-off")
    events = sandbox.admin("GET", "/webhooks/log")["events"]
    names = [e["resource_name"] for e in events]
    assert names.count("Company Vendors") == 2
    assert names.count("Project Vendors") == len(_json.loads(vendor["project_ids"]))


def test_deleting_a_hook_discards_its_queue(sandbox: Sandbox) -> None:
    manual_delivery(sandbox)
    hook = vendor_update_hook(sandbox, "http://127.0.0.1:9/x")
    update_vendor(sandbox, vendors_active(sandbox)[0]["id"], notes="never delivered")
    deleted = sandbox.api("DELETE", f"{V1}/webhooks/hooks/{hook['id']}", params={"company_id": COMPANY})
    assert deleted.status_code == 204
    assert [d["status"] for d in sandbox.admin("GET", "/webhooks/log")["deliveries"]] == ["discarded"]
    # Procore publishes no GET of one hook (SDK): the hook is gone from the namespace's list
    listed = sandbox.api(
        "GET", f"{V1}/webhooks/hooks", params={"company_id": COMPANY, "namespace": "ml-connector"}
    )
    assert listed.status_code == 200 and listed.json() == []


# -- management API validation -------------------------------------------------------------------------------


def test_hook_validation(sandbox: Sandbox) -> None:
    def post(hook: dict[str, Any]) -> Any:
        return sandbox.api("POST", f"{V1}/webhooks/hooks", json={"company_id": COMPANY, "hook": hook})

    bad = post({"namespace": "ML_Connector", "destination_url": "ftp://x", "api_version": "v9"})
    assert bad.status_code == 422
    assert set(bad.json()["errors"]) == {"namespace", "destination_url", "api_version"}
    create_hook(sandbox, "http://127.0.0.1:9/a")
    second_namespace = post(
        {"namespace": "another-one", "destination_url": "http://127.0.0.1:9/b", "api_version": "v2"}
    )
    assert second_namespace.status_code == 422 and "namespace" in second_namespace.json()["errors"]
    sandbox.settings(webhooks={"require_https": True})
    https_only = {"namespace": "ml-connector", "destination_url": "http://127.0.0.1:9/b", "api_version": "v2"}
    assert post(https_only).status_code == 422
    missing = sandbox.api("GET", f"{V1}/webhooks/hooks", params={"company_id": COMPANY})
    assert missing.status_code == 400 and "namespace" in missing.json()["errors"]
    listed = sandbox.api(
        "GET", f"{V1}/webhooks/hooks", params={"company_id": COMPANY, "namespace": "ml-connector"}
    )
    assert len(listed.json()) == 1


def test_trigger_validation_and_bulk(sandbox: Sandbox, behind_the_contract: Any) -> None:
    # The simulator's own refusals of unknown resources and event types, beneath Procore's contract
    # (which refuses the event type first): the contract only records here.
    hook = create_hook(sandbox, "http://127.0.0.1:9/a")
    base = f"{V1}/webhooks/hooks/{hook['id']}/triggers"
    unknown = post_trigger(sandbox, hook["id"], "Invoices", "upsert")
    assert unknown.status_code == 422 and set(unknown.json()["errors"]) == {"resource_name", "event_type"}
    add_trigger(sandbox, hook["id"], "Company Vendors", "create")
    duplicate = post_trigger(sandbox, hook["id"], "Company Vendors", "create")
    assert duplicate.status_code == 422
    bulk = sandbox.api(
        "POST",
        f"{base}/bulk",
        json={
            "company_id": COMPANY,
            "api_version": "v2",
            "triggers": [
                {"resource_name": "Requisitions", "event_type": "update"},
                {"resource_name": "Company Vendors", "event_type": "create"},
            ],
        },
    )
    assert bulk.status_code == 207  # the SDK's answer when some triggers were made and some not
    assert [t["resource_name"] for t in bulk.json()["success"]] == ["Requisitions"]
    assert [f["trigger"]["resource_name"] for f in bulk.json()["failed"]] == ["Company Vendors"]
    too_many = sandbox.api(
        "POST",
        f"{base}/bulk",
        json={
            "company_id": COMPANY,
            "api_version": "v2",
            "triggers": [{"resource_name": "RFIs", "event_type": "create"}] * 501,
        },
    )
    assert too_many.status_code == 413
    made = bulk.json()["success"][0]["id"]
    removed = sandbox.api("DELETE", f"{base}/bulk", json={"company_id": COMPANY, "triggers": [made]})
    assert removed.status_code == 200 and removed.json()["success"] == [made]
    remaining = sandbox.api("GET", base, params={"company_id": COMPANY}).json()
    assert [(t["resource_name"], t["event_type"]) for t in remaining] == [("Company Vendors", "create")]


def test_resource_names_list_and_variant(sandbox: Sandbox) -> None:
    names = [
        r["tools"]  # the SDK's WebhooksResource names the resource under tools
        for r in sandbox.api("GET", f"{V1}/webhooks/resources", params={"company_id": COMPANY}).json()
    ]
    assert {"Company Vendors", "Project Vendors", "RFIs", "ERP Requests", "Requisitions"} <= set(names)
    renamed = dict(
        sandbox.admin("GET", "/settings")["variants"]["resource_names"], requisition="Subcontractor Invoices"
    )
    sandbox.settings(variants={"resource_names": renamed})
    names = [
        r["tools"]  # the SDK's WebhooksResource names the resource under tools
        for r in sandbox.api("GET", f"{V1}/webhooks/resources", params={"company_id": COMPANY}).json()
    ]
    assert "Subcontractor Invoices" in names and "Requisitions" not in names


def test_delivery_status_filter_is_validated(sandbox: Sandbox) -> None:
    hook = create_hook(sandbox, "http://127.0.0.1:9/a")
    response = sandbox.api(
        "GET",
        f"{V1}/webhooks/hooks/{hook['id']}/deliveries",
        params={"company_id": COMPANY, "filters[status]": "broken"},
    )
    assert response.status_code == 400 and "filters[status]" in response.json()["errors"]


def test_duplicate_rate_sends_every_event_twice(sandbox: Sandbox, receiver: Receiver) -> None:
    manual_delivery(sandbox, duplicate_rate=1.0)
    path = receiver.endpoint()
    hook = vendor_update_hook(sandbox, receiver.base + path)
    for vendor in vendors_active(sandbox)[:2]:
        update_vendor(sandbox, vendor["id"], notes="again and again")
    deliver_now(sandbox)
    ulids = [r["body"]["ulid"] for r in receiver.received(path)]
    assert len(ulids) == 4 and ulids[0] == ulids[1] and ulids[2] == ulids[3] and ulids[0] != ulids[2]
    assert {d["outcome"] for d in deliveries(sandbox, hook["id"], "successful")} == {"ok"}
    assert {row["attempts"] for row in sandbox.records("deliveries", hook_id=hook["id"])} == {1}


def test_hook_update_changes_destination_and_headers(sandbox: Sandbox, receiver: Receiver) -> None:
    first, second = receiver.endpoint(), receiver.endpoint()
    hook = vendor_update_hook(sandbox, receiver.base + first)
    patched = sandbox.api(
        "PATCH",
        f"{V1}/webhooks/hooks/{hook['id']}",
        json={
            "company_id": COMPANY,
            "hook": {
                "destination_url": receiver.base + second,
                "destination_headers": {"Authorization": "Bearer rotated"},
            },
        },
    )
    rotated = {"Authorization": "Bearer rotated"}
    assert patched.status_code == 200 and patched.json()["destination_headers"] == rotated
    update_vendor(sandbox, vendors_active(sandbox)[0]["id"], notes="to the new place")
    [got] = receiver.wait(second, 1)
    assert got["headers"]["authorization"] == "Bearer rotated"
    assert receiver.received(first) == []
