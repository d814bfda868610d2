"""The Oracle Fusion client against the sandbox pod over loopback: auth, change reads, paging, faults, ping.

No mocks: a real ``FusionResource`` talks HTTP to ``connector_sandbox.fusion`` (written from the same
reference by someone else) and every expectation is checked against the pod's own operator routes
(``/sandbox/records``, ``/sandbox/state``), never against numbers written into the test.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests
from http_server import closed_port

from connector_resources.fusion import (
    FusionAuthError,
    FusionError,
    FusionPermissionError,
    FusionQueryError,
    FusionRateLimitError,
    FusionResource,
    FusionSession,
    FusionUnavailableError,
    register_fusion_ping,
)
from connector_resources.ping import run_pings
from connector_sandbox.fusion import FusionSandboxSettings, run_in_thread

SCALE, ANCHOR = 0.02, "2025-03-01"
# The pod's Open accounting period: the last month of its history, where the tests' invoices are dated.
OPEN_MONTH = "2025-02"
HISTORY = (datetime(2024, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
# Ends exactly on the stamp the pod gives every update capped at the end of history (23:59:59.000 of the
# last day): the exclusive end must leave that whole tie group out.
WINDOW = (datetime(2024, 11, 15, tzinfo=UTC), datetime(2025, 2, 28, 23, 59, 59, tzinfo=UTC))
SANDBOX_USER = {
    "username": "ml.integration",
    "password": "sandbox-fusion",
    "privileges": ["*"],
    "business_units": None,
}
RESOURCES = {
    "suppliers": ("suppliers", "SupplierId"),
    "purchase_orders": ("purchaseOrders", "POHeaderId"),
    "requisitions": ("purchaseRequisitions", "RequisitionHeaderId"),
    "invoices": ("invoices", "InvoiceId"),
    "payments": ("payablesPayments", "CheckId"),
}


def stamp_of(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


class Pod:
    """The sandbox pod on an ephemeral port, driven through its operator routes."""

    def __init__(self) -> None:
        self.base, self._stop = run_in_thread(
            FusionSandboxSettings(scale=SCALE, anchor_date=ANCHOR, periods={"open_period": OPEN_MONTH})
        )
        self.token_url = f"{self.base}/oauth2/v1/token"

    def close(self) -> None:
        self._stop()

    def admin(self, path: str, body: dict[str, Any] | None = None) -> Any:
        url = f"{self.base}/sandbox/{path}"
        response = (
            requests.post(url, json=body or {}, timeout=10)
            if body is not None
            else requests.get(url, timeout=10)
        )
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        self.admin("reset", {"scale": SCALE, "anchor_date": ANCHOR})

    def state(self) -> dict[str, Any]:
        return self.admin("state")

    def faults(self, **settings: Any) -> None:
        self.admin("faults", settings)

    def behaviour(self, **settings: Any) -> None:
        self.admin("behaviour", settings)

    def records(self, resource: str, **equals: str) -> list[dict[str, Any]]:
        return self.admin(
            f"records/{resource}?" + "&".join(f"{k}={v}" for k, v in {**equals, "limit": 100000}.items())
        )["records"]

    def record(self, resource: str, id_: int) -> dict[str, Any]:
        return self.admin(f"records/{resource}/{id_}")

    def changed(self, entity_name: str, start: datetime, end: datetime) -> dict[int, str]:
        """The pod's own answer: id -> LastUpdateDate of every record changed in [start, end)."""
        resource, key = RESOURCES[entity_name]
        return {
            r[key]: r["LastUpdateDate"]
            for r in self.records(resource)
            if start <= stamp_of(r["LastUpdateDate"]) < end
        }

    def rest_gets(self, resource: str) -> int:
        """GET calls the pod counted on a resource's collection."""
        calls = self.state()["calls"]
        return sum(n for k, n in calls.items() if k.startswith("GET ") and k.endswith(f"/{resource}"))

    def resource(self, **overrides: Any) -> FusionResource:
        settings: dict[str, Any] = {
            "base_url": self.base,
            "token_url": self.token_url,
            "page_size": 6,
            "backoff_base": 0.01,
            "backoff_cap": 0.05,
            "retry_after_cap": 0.05,
            "read_timeout": 10.0,
            "deadline": 30.0,
        }
        settings.update(overrides)
        return FusionResource.from_settings({}, **settings)


def expected_calls(rows: int, page_size: int) -> int:
    """One call when the window fits a page; after that each page brings page_size - 1 new rows,
    since it starts with the previous page's last row (the drift check in ``paging``)."""
    return 1 if rows <= page_size else 1 + math.ceil((rows - page_size) / (page_size - 1))


# -- authentication -----------------------------------------------------------------------------------


def test_oauth_token_is_fetched_once_and_reused_for_the_whole_session(pod: Pod) -> None:
    with pod.resource().session() as s:
        suppliers = list(s.iter_changed("suppliers", *HISTORY))
        invoice = s.get("invoices", pod.records("invoices")[0]["InvoiceId"])
        payments = list(s.iter_changed("payments", *HISTORY))
        assert s.http.auth.fetch_count == 1
    assert suppliers and payments and invoice["InvoiceId"]
    assert pod.state()["tokens"]["issued"] == 1
    with pod.resource().session() as s:  # a new batch signs in again
        s.get("invoices", invoice["InvoiceId"])
    assert pod.state()["tokens"]["issued"] == 2


def test_basic_auth_reads_without_any_token(pod: Pod) -> None:
    with pod.resource(auth="basic").session() as s:
        rows = list(s.iter_changed("suppliers", *HISTORY))
    assert {r["SupplierId"] for r in rows} == set(pod.changed("suppliers", *HISTORY))
    assert pod.state()["tokens"]["issued"] == 0


def test_token_expiry_mid_pagination_reauthenticates_once_without_losing_or_doubling_rows(pod: Pod) -> None:
    with pod.resource(page_size=5).session() as baseline:
        expected = [r["InvoiceId"] for r in baseline.iter_changed("invoices", *HISTORY)]
    with pod.resource(page_size=5).session() as s:
        rows = s.iter_changed("invoices", *HISTORY)
        got = [next(rows)["InvoiceId"] for _ in range(7)]  # the second page is in hand
        pod.admin("tokens/expire", {})
        got += [r["InvoiceId"] for r in rows]
        assert s.metrics.reauths == 1
        assert s.http.auth.fetch_count == 2
    assert got == expected
    assert len(got) == len(set(got)) == len(pod.records("invoices"))


def test_wrong_client_secret_is_a_clear_auth_error_without_the_secret(pod: Pod) -> None:
    resource = pod.resource(client_secret="not-the-sandbox-secret-4711")
    with pytest.raises(FusionAuthError) as caught, resource.session() as s:
        list(s.iter_changed("invoices", *WINDOW))
    message = str(caught.value)
    assert "credentials refused" in message and "invalid_client" in message
    assert "not-the-sandbox-secret-4711" not in message
    assert "\n" not in message


# -- change reads: exact, cheap, in both q syntaxes --------------------------------------------------


@pytest.mark.parametrize("version", [1, 3])
@pytest.mark.parametrize("entity_name", list(RESOURCES))
def test_iter_changed_matches_the_pods_own_records_and_costs_the_expected_calls(
    pod: Pod, entity_name: str, version: int
) -> None:
    expected = pod.changed(entity_name, *WINDOW)
    assert expected, "the seeded pod should have changes in the window"
    pod.admin("calls/reset", {})
    page_size = 6
    with pod.resource(framework_version=version, page_size=page_size).session() as s:
        rows = list(s.iter_changed(entity_name, *WINDOW))
        assert s.pages == expected_calls(len(expected), page_size)
    resource, key = RESOURCES[entity_name]
    assert [r[key] for r in rows].count(rows[0][key]) == 1
    assert {r[key]: r["LastUpdateDate"] for r in rows} == expected
    assert len(rows) == len(expected)
    for row in rows:
        assert row["_updated_at"].tzinfo is not None
        assert WINDOW[0] <= row["_updated_at"] < WINDOW[1]
        assert "links" not in row  # onlyData=true
    assert pod.rest_gets(resource) == expected_calls(len(expected), page_size)


def test_rows_come_with_their_lines_inline_as_plain_lists(pod: Pod) -> None:
    with pod.resource(framework_version=3).session() as s:
        orders = list(s.iter_changed("purchase_orders", *WINDOW))
        invoices = list(s.iter_changed("invoices", *WINDOW))
    order = orders[0]
    assert isinstance(order["lines"], list)
    assert [line["POLineId"] for line in order["lines"]] == [
        line["POLineId"] for line in pod.record("purchaseOrders", order["POHeaderId"])["lines"]
    ]
    assert all(isinstance(i["invoiceLines"], list) for i in invoices)


def test_children_a_pod_cuts_short_are_completed_through_the_child_link(pod: Pod) -> None:
    pod.behaviour(expanded_child_limit=1)
    with pod.resource(framework_version=3).session() as s:
        orders = list(s.iter_changed("purchase_orders", *HISTORY))
    many = [o for o in orders if len(pod.record("purchaseOrders", o["POHeaderId"])["lines"]) > 1]
    assert many, "the seeded pod has orders with several lines"
    for order in many:
        stored = pod.record("purchaseOrders", order["POHeaderId"])["lines"]
        assert [line["LineNumber"] for line in order["lines"]] == [line["LineNumber"] for line in stored]


def test_a_window_without_changes_costs_one_call(pod: Pod) -> None:
    quiet = (datetime(2025, 3, 5, tzinfo=UTC), datetime(2025, 3, 6, tzinfo=UTC))
    assert pod.changed("invoices", *quiet) == {}
    pod.admin("calls/reset", {})
    with pod.resource().session() as s:
        assert list(s.iter_changed("invoices", *quiet)) == []
        assert s.pages == 1
    assert pod.rest_gets("invoices") == 1


def test_sub_second_window_bounds_are_exact(pod: Pod) -> None:
    stamps = sorted({stamp_of(r["LastUpdateDate"]) for r in pod.records("invoices")})
    middle = stamps[len(stamps) // 2]
    start, end = middle - timedelta(days=20, microseconds=1), middle + timedelta(microseconds=1)
    with pod.resource().session() as s:
        got = {r["InvoiceId"] for r in s.iter_changed("invoices", start, end)}
    assert got == set(pod.changed("invoices", start, end))


def test_naive_datetimes_are_refused_before_any_call(pod: Pod) -> None:
    with pod.resource().session() as s, pytest.raises(FusionError, match="no time zone"):
        list(s.iter_changed("invoices", datetime(2025, 1, 1), datetime(2025, 2, 1)))
    assert pod.state()["calls"] == {}


def test_rows_updated_while_paging_are_neither_lost_nor_returned_twice(pod: Pod, caplog) -> None:
    # The largest tie group (rows sharing one LastUpdateDate) puts a page boundary inside it.
    counts = Counter(r["LastUpdateDate"] for r in pod.records("invoices"))
    tie_stamp, size = counts.most_common(1)[0]
    assert size >= 4
    start = stamp_of(tie_stamp)
    before = pod.changed("invoices", start, HISTORY[1])
    caplog.set_level(logging.INFO, logger="ml_connector.fusion")
    with pod.resource(page_size=3).session() as s:
        rows = s.iter_changed("invoices", start, HISTORY[1])
        first = next(rows)
        assert first["LastUpdateDate"] == tie_stamp
        # Someone edits a row already read, inside the group being paged: every later row shifts.
        s.update_invoice(s.get("invoices", first["InvoiceId"]), {"Description": "edited while the read ran"})
        got = [first, *rows]
    after = pod.changed("invoices", start, HISTORY[1])
    identities = [(r["InvoiceId"], r["LastUpdateDate"]) for r in got]
    assert len(identities) == len(set(identities))
    assert {r["InvoiceId"] for r in got} == set(before) == set(after)
    edited = [r for r in got if r["InvoiceId"] == first["InvoiceId"]]
    assert [r["LastUpdateDate"] for r in edited] == [tie_stamp, after[first["InvoiceId"]]]
    assert "moved during the read" in caplog.text


def test_activity_during_a_read_loses_nothing(pod: Pod) -> None:
    before = set(pod.changed("invoices", *HISTORY))
    with pod.resource(page_size=5).session() as s:
        rows = s.iter_changed("invoices", *HISTORY)
        got = [next(rows) for _ in range(12)]
        activity = pod.admin("activity", {"updated_invoices": 6, "new_invoices": 3, "new_payments": 2})
        got += list(rows)
    ids = {r["InvoiceId"] for r in got}
    assert before <= ids
    assert set(activity["created"]["invoices"]) <= ids
    identities = [(r["InvoiceId"], r["LastUpdateDate"]) for r in got]
    assert len(identities) == len(set(identities))


# -- the pod's paging quirks ---------------------------------------------------------------------------


@pytest.mark.parametrize("cap", [4, 7])
def test_a_silently_capped_page_size_loses_nothing(pod: Pod, cap: int) -> None:
    pod.behaviour(page_cap=cap)
    expected = pod.changed("invoices", *HISTORY)
    pod.admin("calls/reset", {})
    with pod.resource(page_size=50).session() as s:
        got = [r["InvoiceId"] for r in s.iter_changed("invoices", *HISTORY)]
        assert s.pages == expected_calls(len(expected), cap)
    assert sorted(got) == sorted(expected)
    assert pod.rest_gets("invoices") == expected_calls(len(expected), cap)


def test_a_wrong_has_more_and_skewed_totals_neither_loop_nor_lose(pod: Pod) -> None:
    pod.faults(phantom_has_more=True, total_results_skew=0.5)
    expected = pod.changed("payments", *HISTORY)
    with pod.resource(page_size=4).session() as s:
        got = [r["CheckId"] for r in s.iter_changed("payments", *HISTORY)]
        # The phantom "more" costs two calls: the page holding only the overlap row (itself "the last
        # page", so it claims more again), then the empty page that ends the read.
        assert s.pages == expected_calls(len(expected), 4) + 2
    assert sorted(got) == sorted(expected)


def test_unstable_tie_order_is_made_stable_by_the_key(pod: Pod) -> None:
    pod.faults(unstable_tie_order=True)
    expected = pod.changed("invoices", *HISTORY)
    with pod.resource(page_size=3).session() as s:
        got = [r["InvoiceId"] for r in s.iter_changed("invoices", *HISTORY)]
    assert sorted(got) == sorted(expected)


@pytest.mark.parametrize("accepted", [["space"], ["date"], ["space", "date"]])
def test_timestamp_literals_fall_back_to_what_the_pod_accepts(pod: Pod, accepted: list[str]) -> None:
    pod.behaviour(q_timestamp_literals=accepted)
    start, end = datetime(2024, 12, 3, 7, 30, tzinfo=UTC), datetime(2025, 2, 8, 2, 0, tzinfo=UTC)
    with pod.resource().session() as s:
        got = {r["InvoiceId"] for r in s.iter_changed("invoices", start, end)}
        assert s.timestamp_style == accepted[0]
        refused = s.metrics.statuses[400]
        again = {r["InvoiceId"] for r in s.iter_changed("invoices", start, end)}
        assert s.metrics.statuses[400] == refused  # learnt once per session
    assert got == again == set(pod.changed("invoices", start, end))


def test_a_pod_that_refuses_every_literal_form_gets_one_clear_query_error(pod: Pod) -> None:
    pod.behaviour(q_timestamp_literals=[])
    with pod.resource().session() as s, pytest.raises(FusionQueryError) as caught:
        list(s.iter_changed("invoices", *WINDOW))
    message = str(caught.value)
    assert "every timestamp form (offset, iso, space, date)" in message
    assert "LastUpdateDate" in message and "\n" not in message
    assert pod.state()["statuses"]["400"] == 4


def test_entities_without_a_change_stamp_are_refused_for_change_reads(pod: Pod) -> None:
    with pod.resource().session() as s, pytest.raises(FusionError, match="no change stamp"):
        list(s.iter_changed("account_combinations", *WINDOW))


# -- faults: throttling, outages ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "faults"),
    [
        (503, {"random_error_rate": 0.3, "random_error_status": 503}),
        (500, {"random_error_rate": 0.2, "random_error_status": 500}),
        (429, {"fail_next": 5, "fail_next_status": 429}),
    ],
    ids=["503-storm", "500-storm", "429-burst"],
)
def test_throttling_and_outage_storms_are_ridden_out_and_counted(
    pod: Pod, status: int, faults: dict[str, Any]
) -> None:
    expected = pod.changed("invoices", *HISTORY)
    pod.faults(**faults)
    with pod.resource(page_size=5, max_attempts=12).session() as s:
        got = [r["InvoiceId"] for r in s.iter_changed("invoices", *HISTORY)]
        seen = s.metrics.statuses[status]
        retries = s.metrics.retries
    assert sorted(got) == sorted(expected)
    assert seen > 0 and retries >= seen
    assert seen == pod.state()["statuses"].get(str(status), 0)


def test_a_hard_rate_limit_backs_off_with_retry_after_and_finishes(pod: Pod) -> None:
    pod.behaviour(rate_limit_requests=4, rate_limit_window_seconds=0.4)
    expected = pod.changed("payments", *HISTORY)
    with pod.resource(page_size=4, retry_after_cap=0.5, max_attempts=10).session() as s:
        got = [r["CheckId"] for r in s.iter_changed("payments", *HISTORY)]
        throttled = s.metrics.statuses[429]
    assert sorted(got) == sorted(expected)
    assert throttled > 0 and throttled == pod.state()["throttled"]


def test_rate_limit_exhaustion_is_a_clear_error(pod: Pod) -> None:
    pod.behaviour(rate_limit_requests=1, rate_limit_window_seconds=60)
    with pod.resource(max_attempts=3).session() as s:
        s.get("suppliers", pod.records("suppliers")[0]["SupplierId"])
        with pytest.raises(FusionRateLimitError) as caught:
            list(s.iter_changed("suppliers", *HISTORY))
    assert "429" in str(caught.value) and "after 3 attempts" in str(caught.value)


def test_a_maintenance_window_is_reported_as_unavailable(pod: Pod) -> None:
    pod.faults(maintenance=True)
    with pod.resource(max_attempts=2).session() as s, pytest.raises(FusionUnavailableError) as caught:
        list(s.iter_changed("invoices", *WINDOW))
    message = str(caught.value)
    assert "503" in message and "maintenance" in message.lower()


# -- lookups -----------------------------------------------------------------------------------------


def awkward_suppliers(pod: Pod) -> list[dict[str, Any]]:
    """Suppliers whose names an unquoted v1 value cannot carry (an apostrophe, the word "and")."""
    found = [s for s in pod.records("suppliers") if "'" in s["Supplier"] or " and " in s["Supplier"]]
    assert found, "the seeded pod has supplier names with an apostrophe or 'and'"
    return found


def test_expression_q_finds_any_name_exactly(pod: Pod) -> None:
    with pod.resource(framework_version=2).session() as s:
        for supplier in awkward_suppliers(pod):
            found = s.find_supplier(supplier["Supplier"])
            assert found is not None and found["SupplierId"] == supplier["SupplierId"]
        invoice = pod.records("invoices")[0]
        hit = s.find_invoice(invoice["InvoiceNumber"], invoice["Supplier"])
        assert hit is not None and hit["InvoiceId"] == invoice["InvoiceId"]
        assert s.find_invoice(invoice["InvoiceNumber"], invoice["Supplier"] + " Ltd") is None


def test_query_by_example_sends_what_it_can_and_checks_the_rest_itself(pod: Pod) -> None:
    awkward = {s["Supplier"] for s in awkward_suppliers(pod)}
    invoices = [i for i in pod.records("invoices") if i["Supplier"] in awkward]
    assert invoices, "the seeded pod has invoices from those suppliers"
    pod.admin("calls/reset", {})
    with pod.resource(framework_version=1).session() as s:
        for invoice in invoices:
            # InvoiceNumber goes into q; the supplier's name cannot, and is compared on the answers.
            hit = s.find_invoice(invoice["InvoiceNumber"], invoice["Supplier"])
            assert hit is not None and hit["InvoiceId"] == invoice["InvoiceId"]
            assert s.find_invoice(invoice["InvoiceNumber"], invoice["Supplier"] + "x") is None
        # A name alone cannot be sent: refused before any call, rather than reading every supplier.
        with pytest.raises(FusionError, match="framework_version 2"):
            s.find_supplier(next(iter(awkward)))
    assert pod.rest_gets("invoices") == 2 * len(invoices)
    assert pod.rest_gets("suppliers") == 0


@pytest.mark.parametrize(("version", "calls"), [(3, 2), (1, 7)], ids=["in-list", "query by example"])
def test_records_read_by_key_in_lists_with_their_lines(pod: Pod, version: int, calls: int) -> None:
    """Seven invoices (one id asked twice, one unknown) in chunks of five: two queries under framework v2+
    (``InvoiceId in (...)``), one search per id under v1; each found once, its lines inline."""
    stored = pod.records("invoices")[:6]
    ids = [i["InvoiceId"] for i in stored]
    pod.admin("calls/reset", {})
    with pod.resource(framework_version=version, page_size=50).session() as s:
        rows = list(s.iter_in("invoices", "InvoiceId", [*ids, ids[0], 1], expand=("invoiceLines",), chunk=5))
    assert sorted(r["InvoiceId"] for r in rows) == sorted(ids)
    for row in rows:
        lines = pod.record("invoices", row["InvoiceId"])["invoiceLines"]
        assert [line["LineAmount"] for line in row["invoiceLines"]] == [
            Decimal(str(line["LineAmount"])) for line in lines
        ]
    assert pod.rest_gets("invoices") == calls


def test_the_default_in_list_stays_under_the_pods_request_line_limit_and_a_larger_one_is_refused(
    pod: Pod,
) -> None:
    """Oracle documents no URL length limit; the pod's web server refuses a request line over 8,190 bytes
    (``request_line_limit``, Apache's default) with 414. The client's default, 100 keys a list
    (``ML_FUSION_IN_LIST_KEYS``), keeps a list of ids of 15 digits near 2 KB: 250 ids are 3 lists, taken
    even by a server allowing 2,560 bytes; 1,000 keys a list are refused (414), naming the setting."""
    stored = pod.records("invoices")[:3]
    ids = [i["InvoiceId"] for i in stored] + [10**14 + n for n in range(247)]  # the rest: 15 digits, unknown
    assert all(len(str(i)) == 15 for i in ids), ids[:3]
    default = pod.resource(page_size=50)
    assert default.in_list_keys == 100
    try:
        for limit in (8190, 2560):
            pod.behaviour(request_line_limit=limit)
            pod.admin("calls/reset", {})
            with default.session() as s:
                rows = list(s.iter_in("invoices", "InvoiceId", ids))
            assert sorted(r["InvoiceId"] for r in rows) == sorted(i["InvoiceId"] for i in stored)
            assert pod.rest_gets("invoices") == 3 and "414" not in pod.state()["statuses"], limit
        pod.behaviour(request_line_limit=8190)
        ids += [10**14 + n for n in range(247, 1000)]
        too_many = pod.resource(page_size=50, in_list_keys=1000)
        with too_many.session() as s, pytest.raises(FusionQueryError, match=r"HTTP 414.*IN_LIST_KEYS"):
            list(s.iter_in("invoices", "InvoiceId", ids))
        assert pod.state()["statuses"]["414"] == 1  # refused once, not retried
    finally:
        pod.behaviour(request_line_limit=8190)


def test_get_uses_the_pods_self_link_and_missing_ids_are_not_found(pod: Pod) -> None:
    order = pod.records("purchaseOrders")[0]
    with pod.resource().session() as s:
        got = s.get("purchase_orders", order["POHeaderId"])
        href = next(link["href"] for link in got["links"] if link["rel"] == "self")
        assert not href.endswith(str(order["POHeaderId"]))  # a hash key: never built from the id
        with pytest.raises(FusionError, match="not found"):
            s.get("purchase_orders", 1)


def test_payments_of_an_invoice_through_the_documented_finder(pod: Pod) -> None:
    related = pod.record("payablesPayments", pod.records("payablesPayments")[0]["CheckId"])["relatedInvoices"]
    number = related[0]["InvoiceNumber"]
    paid_by = {
        p["CheckId"]
        for p in pod.records("payablesPayments")
        if any(
            r["InvoiceNumber"] == number
            for r in pod.record("payablesPayments", p["CheckId"])["relatedInvoices"]
        )
    }
    with pod.resource().session() as s:
        assert {p["CheckId"] for p in s.payments_for_invoice(number)} == paid_by


def test_account_combinations_stream_whole(pod: Pod) -> None:
    with pod.resource(page_size=50).session() as s:
        rows = list(s.iter_account_combinations())
    assert len(rows) == pod.state()["row_counts"]["code_combination"]
    assert len({r["_CODE_COMBINATION_ID"] for r in rows}) == len(rows)


# -- ping ----------------------------------------------------------------------------------------------


def test_ping_proves_credentials_and_read_access(pod: Pod) -> None:
    detail = pod.resource().ping()
    assert "signed in as OAuth client ml-connector-sandbox" in detail
    for name in FusionSession.ENTITIES:
        assert name in detail
    # The variants the pod lets a client read: its default framework version and whether ours is allowed.
    assert "pod default framework v1, v3 sent is allowed" in detail
    assert "invoice validation check: result" in detail


def test_ping_names_the_resources_a_user_may_not_read(pod: Pod) -> None:
    pod.admin(
        "identities",
        {
            "users": [
                {
                    "username": "ml.integration",
                    "password": "sandbox-fusion",
                    "privileges": ["suppliers:read", "invoices:write"],
                }
            ]
        },
    )
    try:
        with pytest.raises(FusionError) as caught:
            pod.resource(auth="basic").ping()
        with pod.resource(auth="basic").session() as s, pytest.raises(FusionPermissionError, match="403"):
            s.probe("payments")
    finally:  # a reset keeps identities: put the sandbox user back for the tests that follow
        pod.admin("identities", {"users": [SANDBOX_USER]})
    message = str(caught.value)
    assert "cannot read 5 of 7 resources" in message
    assert "purchase_orders" in message and "payments" in message
    assert "suppliers:" not in message and "invoices:" not in message


def test_ping_of_an_unreachable_pod_fails_clearly() -> None:
    dead = f"http://127.0.0.1:{closed_port()}"
    resource = FusionResource.from_settings(
        {}, base_url=dead, token_url=f"{dead}/oauth2/v1/token", max_attempts=1, connect_timeout=1
    )
    with pytest.raises(FusionUnavailableError, match="did not answer"):
        resource.ping()


def test_registered_ping_reads_the_settings(pod: Pod, monkeypatch) -> None:
    monkeypatch.setenv("ML_FUSION_URL", pod.base)
    monkeypatch.setenv("ML_FUSION_TOKEN_URL", pod.token_url)
    register_fusion_ping()
    [result] = run_pings(["fusion"])
    assert result.ok, result.detail
    monkeypatch.setenv("ML_FUSION_CLIENT_SECRET", "vault-less-wrong-secret")
    [result] = run_pings(["fusion"])
    assert not result.ok and "FusionAuthError" in result.detail
    assert "vault-less-wrong-secret" not in result.detail


# -- secrets -------------------------------------------------------------------------------------------


def test_secrets_never_reach_logs_or_errors(pod: Pod, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    leaked: list[str] = ["sandbox-fusion-secret", "sandbox-fusion"]
    errors: list[str] = []
    with pod.resource(page_size=5).session() as s:
        rows = s.iter_changed("invoices", *HISTORY)
        next(rows)
        leaked.append(s.http.auth.token.value)
        pod.admin("tokens/expire", {})
        list(rows)
        leaked.append(s.http.auth.token.value)
    with pod.resource(auth="basic", password="wrong-basic-password-99").session() as s:
        try:
            s.get("invoices", pod.records("invoices")[0]["InvoiceId"])
        except FusionAuthError as exc:
            errors.append(str(exc))
    leaked.append("wrong-basic-password-99")
    pod.faults(fail_next=1, fail_next_status=500, fail_next_body="html")
    with pod.resource(max_attempts=1).session() as s:
        try:
            list(s.iter_changed("invoices", *WINDOW))
        except FusionError as exc:
            errors.append(str(exc))
    assert len(errors) == 2
    for secret in leaked:
        assert secret not in caplog.text
        for message in errors:
            assert secret not in message
