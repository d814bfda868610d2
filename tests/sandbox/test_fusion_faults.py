"""The Oracle Fusion sandbox pod's operator side: injected faults, throttling, business activity,
reseeding, the seeded data itself, and the standalone ``python -m`` entry point.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from collections import Counter
from typing import Any

import pytest
import requests

from connector_sandbox.fusion import FusionSandboxSettings, run_in_thread
from connector_sandbox.fusion import faults as fusion_faults
from connector_sandbox.fusion.faults import FaultSettings as FusionFaultSettings

from .faults import answers_no_sooner_than
from .fusion_pod import ANCHOR, CLIENT, SCOPE, USER, Pod
from .test_fusion_sandbox import self_href

pytestmark = pytest.mark.timeout(120)


# --- faults ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("text", "text/plain"),
        ("html", "text/html"),
        ("structured", "application/vnd.oracle.adf.error+json"),
        ("empty", None),
    ],
)
def test_fail_next_fails_that_many_calls_with_the_chosen_status_and_body(
    pod: Pod, body: str, content_type: str | None
) -> None:
    pod.set("faults", fail_next=2, fail_next_status=502, fail_next_body=body)
    first, second, third = (pod.get("suppliers", limit=1) for _ in range(3))
    assert first.status_code == second.status_code == 502
    if content_type:
        assert first.headers["content-type"].startswith(content_type)
    else:
        assert first.content == b""
    assert third.status_code == 200
    assert pod.set("faults")["fail_next"] == 0


def test_fail_next_scope_chooses_token_endpoint_or_api(pod: Pod) -> None:
    pod.set("faults", fail_next=1, fail_next_status=503, fail_next_scope="token")
    assert pod.get("suppliers", limit=1).status_code == 200
    assert pod.token().status_code == 503
    assert pod.token().status_code == 200
    pod.set("faults", fail_next=1, fail_next_status=500, fail_next_scope="api")
    assert pod.token().status_code == 200
    assert pod.get("suppliers", limit=1).status_code == 500


def test_random_errors_at_the_chosen_rate(pod: Pod) -> None:
    pod.set("faults", random_error_rate=1.0, random_error_status=504)
    assert {pod.get("suppliers", limit=1).status_code for _ in range(5)} == {504}
    pod.set("faults", random_error_rate=0.5)
    statuses = Counter(pod.get("suppliers", limit=1).status_code for _ in range(40))
    assert statuses[504] > 0 and statuses[200] > 0


def test_latency_is_added(pod: Pod) -> None:
    pod.set("faults", latency_ms=300)
    answers_no_sooner_than(0.3, lambda: pod.get("suppliers", limit=1))


def test_maintenance_window_answers_503_html(pod: Pod) -> None:
    pod.set("faults", maintenance=True)
    response = pod.get("invoices")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html") and "maintenance" in response.text
    assert response.headers["Retry-After"] == "300"
    assert pod.token().status_code == 200  # the identity domain is another service


def test_a_request_line_over_the_web_servers_limit_is_answered_414_before_authentication(pod: Pod) -> None:
    """Oracle documents no URL length limit; the pod's web server takes ``request_line_limit`` bytes of
    request line (8,190 by default, Apache's) and refuses a longer one before Fusion checks credentials."""
    assert pod.set("behaviour")["request_line_limit"] == 8190
    ids = ", ".join(str(10**14 + n) for n in range(600))  # about 10 KB once encoded
    q = {"q": f"InvoiceId in ({ids})", "limit": 1}
    long_line = pod.get("invoices", version=3, auth=None, **q)
    assert long_line.status_code == 414 and "8190" in long_line.text, long_line.text
    assert pod.get("invoices", version=3, auth=None, limit=1).status_code == 401  # a short one gets in
    pod.set("behaviour", request_line_limit=None)
    assert pod.get("invoices", version=3, **q).status_code == 200  # no limit: the pod takes it


def test_rate_limit_answers_429_with_retry_after(pod: Pod) -> None:
    requests.post(f"{pod.admin}/calls/reset", timeout=30)
    pod.set("behaviour", rate_limit_requests=3, rate_limit_window_seconds=60)
    pod.set(
        "identities",
        users=[
            {"username": "ml.integration", "password": "sandbox-fusion"},
            {"username": "other", "password": "pw"},
        ],
    )
    assert [pod.get("suppliers", limit=1).status_code for _ in range(3)] == [200, 200, 200]
    throttled = pod.get("suppliers", limit=1)
    assert throttled.status_code == 429
    assert 1 <= int(throttled.headers["Retry-After"]) <= 60
    assert pod.get("suppliers", limit=1, auth=("other", "pw")).status_code == 200  # per user
    state = pod.state()
    assert state["throttled"] == 1 and state["statuses"]["429"] == 1
    pod.set("clock", advance_seconds=61)
    assert pod.get("suppliers", limit=1).status_code == 200
    pod.set("behaviour", rate_limit_requests=1, rate_limit_retry_after=False)
    pod.get("suppliers", limit=1)
    bare = pod.get("suppliers", limit=1)
    assert bare.status_code == 429 and "Retry-After" not in bare.headers


def test_phantom_has_more_needs_an_empty_page_guard(pod: Pod) -> None:
    total = pod.ok("suppliers", limit=1, totalResults="true")["totalResults"]
    pod.set("faults", phantom_has_more=True)
    last = pod.ok("suppliers", limit=500)
    assert last["count"] == total and last["hasMore"] is True
    after = pod.ok("suppliers", limit=500, offset=total)
    assert after["count"] == 0 and after["items"] == [] and after["hasMore"] is False


def test_total_results_is_an_estimate(pod: Pod) -> None:
    exact = pod.ok("invoices", limit=1, totalResults="true")["totalResults"]
    pod.set("faults", total_results_skew=0.5)
    assert pod.ok("invoices", limit=1, totalResults="true")["totalResults"] == int(exact * 1.5)


def _tied_order(pod: Pod) -> list[int]:
    items = pod.all_items("invoices", orderBy="LastUpdateDate:asc")
    stamps = Counter(item["LastUpdateDate"] for item in items)
    shared = max(stamps, key=lambda stamp: stamps[stamp])
    return [item["InvoiceId"] for item in items if item["LastUpdateDate"] == shared]


def test_unstable_tie_order(pod: Pod) -> None:
    stable = _tied_order(pod)
    assert len(stable) >= 3 and all(_tied_order(pod) == stable for _ in range(3))
    pod.set("faults", unstable_tie_order=True)
    orders = [_tied_order(pod) for _ in range(6)]
    assert all(sorted(order) == sorted(stable) for order in orders)
    assert len({tuple(order) for order in orders}) > 1


def test_deep_offsets_are_slow(pod: Pod, monkeypatch) -> None:
    pod.set("faults", deep_offset_threshold=20, deep_offset_ms_per_1000=10_000)
    answers_no_sooner_than(0.3, lambda: pod.get("invoices", limit=5, offset=30))
    # A shallow offset is not slowed at all: the delay the simulator asks for at each offset (a call's own
    # time says nothing of it on a busy machine).
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(fusion_faults.asyncio, "sleep", sleep)
    faults = FusionFaultSettings(deep_offset_threshold=20, deep_offset_ms_per_1000=10_000)
    for offset in (0, 19, 30):
        asyncio.run(fusion_faults.deep_offset_delay(faults, offset))
    assert slept == [pytest.approx(0.3)]


@pytest.mark.parametrize(
    ("what", "body"),
    [("faults", {"nope": 1}), ("faults", {"random_error_rate": 2}), ("behaviour", {"item_keys": "guid"}),
     ("identities", {"users": []}), ("clock", {"advance_seconds": -1}), ("reset", {"port": 1})],
)  # fmt: skip
def test_operator_routes_validate_their_input(pod: Pod, what: str, body: dict[str, Any]) -> None:
    response = requests.post(f"{pod.admin}/{what}", json=body, timeout=30)
    assert response.status_code == 400 and response.json()["error"]


def test_operator_routes_are_not_counted_or_faulted(pod: Pod) -> None:
    requests.post(f"{pod.admin}/calls/reset", timeout=30)
    pod.set("faults", maintenance=True)
    state = pod.state()
    assert state["faults"]["maintenance"] is True and state["calls"] == {}
    assert set(state["row_counts"]) >= {"invoice", "po_header", "supplier", "payment"}
    assert state["seed"]["anchor_date"] == ANCHOR.isoformat()


# --- business activity ---------------------------------------------------------------------------


def test_activity_creates_and_updates_records_stamped_now(pod: Pod) -> None:
    pod.set("clock", advance_seconds=3600)
    result = pod.set(
        "activity",
        new_suppliers=2, updated_suppliers=2, new_purchase_orders=3, updated_purchase_orders=2,
        new_requisitions=1, new_invoices=4, updated_invoices=2, new_payments=2,
    )  # fmt: skip
    stamp = result["timestamp"]
    created, updated = result["created"], result["updated"]
    assert (
        len(created["suppliers"]) == 2
        and len(created["invoices"]) == 4
        and len(created["payablesPayments"]) == 2
    )
    window = f"LastUpdateDate >= '{stamp}'"
    suppliers = pod.all_items("suppliers", q=window, version=2)
    assert sorted(s["SupplierId"] for s in suppliers) == sorted(created["suppliers"] + updated["suppliers"])
    orders = pod.all_items("purchaseOrders", q=window, version=2)
    assert sorted(o["POHeaderId"] for o in orders) == sorted(
        created["purchaseOrders"] + updated["purchaseOrders"]
    )
    invoices = pod.all_items("invoices", q=window, version=2)
    assert sorted(i["InvoiceId"] for i in invoices) == sorted(set(created["invoices"] + updated["invoices"]))
    assert len({item["LastUpdateDate"] for item in suppliers + orders + invoices}) == 1  # one shared stamp
    requisitions = pod.all_items("purchaseRequisitions", q=window, version=2)
    assert [r["RequisitionHeaderId"] for r in requisitions] == created["purchaseRequisitions"]
    for check_id in created["payablesPayments"]:
        payment = pod.ok(f"payablesPayments/{check_id}", expand="relatedInvoices")
        paid = payment["relatedInvoices"][0]
        invoice = pod.ok("invoices", finder=f"PrimaryKey;InvoiceId={paid['InvoiceId']}")["items"][0]
        assert invoice["PaidStatus"] == "Paid" and invoice["LastUpdateDate"] == payment["LastUpdateDate"]
    new_invoice = pod.record("invoices", created["invoices"][0])
    assert new_invoice["invoiceLines"] and new_invoice["invoiceInstallments"]


def test_stored_records_route_filters(pod: Pod) -> None:
    invoice = pod.ok("invoices", limit=1)["items"][0]
    response = requests.get(
        f"{pod.admin}/records/invoices", params={"InvoiceNumber": invoice["InvoiceNumber"]}, timeout=30
    )
    assert response.status_code == 200
    assert [record["InvoiceId"] for record in response.json()["records"]] == [invoice["InvoiceId"]]
    assert requests.get(f"{pod.admin}/records/invoices", params={"Nope": 1}, timeout=30).status_code == 400
    assert requests.get(f"{pod.admin}/records/invoices/1", timeout=30).status_code == 404


# --- seeding and resetting ------------------------------------------------------------------------


def test_seeded_data_is_realistic_and_cross_consistent(pod: Pod) -> None:
    suppliers = pod.all_items("suppliers", expand="sites")
    names = [supplier["Supplier"] for supplier in suppliers]
    assert {"Müller Baustoffe GmbH", "Société Générale d'Équipement", "北京建材"} <= set(names)
    assert max(len(name) for name in names) == 360 and any(
        not name.isascii() and len(name) == 360 for name in names
    )
    sites = {
        (s["Supplier"], site["SupplierSite"], site["ProcurementBU"]) for s in suppliers for site in s["sites"]
    }
    invoices = pod.all_items("invoices", expand="invoiceLines")
    assert all((i["Supplier"], i["SupplierSite"], i["BusinessUnit"]) in sites for i in invoices)
    assert max(len(invoice["InvoiceNumber"]) for invoice in invoices) == 50
    stamps = Counter(invoice["LastUpdateDate"] for invoice in invoices)
    assert stamps.most_common(1)[0][1] >= 4  # a run of identical LastUpdateDate values
    orders = {(o["OrderNumber"], o["BillToBU"]): o for o in pod.all_items("purchaseOrders", expand="lines")}
    matched = [(i, line) for i in invoices for line in i["invoiceLines"] if line["PurchaseOrderNumber"]]
    assert matched
    for invoice, line in matched:
        order = orders[(line["PurchaseOrderNumber"], invoice["BusinessUnit"])]
        assert order["Supplier"] == invoice["Supplier"]
        assert line["PurchaseOrderLineNumber"] in [po_line["LineNumber"] for po_line in order["lines"]]


def test_same_seed_same_data_and_reset_reseeds() -> None:
    first_base, stop_first = run_in_thread(FusionSandboxSettings(scale=0.01, anchor_date=ANCHOR, seed=11))
    second_base, stop_second = run_in_thread(FusionSandboxSettings(scale=0.01, anchor_date=ANCHOR, seed=11))
    try:
        first, second = Pod(first_base), Pod(second_base)

        def snapshot(target: Pod) -> list[tuple[Any, ...]]:
            return [
                (i["InvoiceId"], i["InvoiceNumber"], i["InvoiceAmount"], i["LastUpdateDate"])
                for i in target.all_items("invoices")
            ]

        original = snapshot(first)
        assert original == snapshot(second)
        pod_token = first.bearer()
        first.set("reset", seed=12)
        assert snapshot(first) != original
        assert (
            requests.get(f"{first.api}/invoices", headers=pod_token, timeout=30).status_code == 401
        )  # tokens gone
        first.set("reset", seed=11)
        assert snapshot(first) == original
        assert first.state()["calls"] == {"GET /fscmRestApi/resources/{version}/invoices": 1}
    finally:
        stop_first()
        stop_second()


def test_standalone_entry_point_serves_the_pod(tmp_path: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "connector_sandbox.fusion",
            "--port",
            str(port),
            "--scale",
            "0.01",
            "--log-level",
            "warning",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        response = None
        while time.monotonic() < deadline:
            try:
                response = requests.post(
                    f"http://127.0.0.1:{port}/oauth2/v1/token",
                    data={"grant_type": "client_credentials", "scope": SCOPE},
                    auth=CLIENT,
                    timeout=5,
                )
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        assert response is not None and response.status_code == 200, "the sandbox did not start"
        headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
        listing = requests.get(
            f"http://127.0.0.1:{port}/fscmRestApi/resources/11.13.18.05/invoices", headers=headers, timeout=10
        )
        assert listing.status_code == 200 and listing.json()["count"] > 0
        assert requests.get(self_href(listing.json()["items"][0]), auth=USER, timeout=10).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_latency_jitter_is_random_and_bounded(pod: Pod) -> None:
    pod.set("faults", latency_jitter_ms=400)
    durations = []
    for _ in range(5):
        started = time.perf_counter()
        assert pod.get("suppliers", limit=1).status_code == 200
        durations.append(time.perf_counter() - started)
    assert sum(durations) > 0.2 and len({round(duration, 3) for duration in durations}) > 1


@pytest.mark.parametrize(
    ("raw", "said"), [(b"{not json", "the body is not JSON"), (b"[1, 2]", "the body must be a JSON object")]
)
def test_an_operator_body_that_is_not_a_json_object_answers_400_saying_why(pod: Pod, raw, said):
    response = requests.post(f"{pod.admin}/faults", data=raw, timeout=30)
    assert response.status_code == 400
    assert said in response.json()["error"]
