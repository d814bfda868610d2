"""The Procurify client against the Procurify simulator over loopback: no mocks anywhere.

The simulator (``connector_sandbox.procurify``) is driven only through its API and its documented
operator routes (``/sandbox/state``, ``faults``, ``variants``, ``activity``, ``tokens/expire``,
``records``, ``requisitions/{uuid}/purchase`` ...). Its data is seeded up to a fixed past date, so
"today" holds only what a test does: a window over today is exact and cheap to predict.

Behaviours the simulator cannot play (a server that ignores a filter or the page parameter, an
answer lost after the server acted) use the scripted loopback server of ``tests/http_server.py``,
either on its own or as a proxy in front of the simulator that drops one answer.
"""

from __future__ import annotations

import logging
import math
import pickle
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import requests
from dagster import EnvVar, MaterializeResult, asset, materialize
from http_server import CannedResponse, OAuthTokenEndpoint, RecordedRequest, ScriptedServer
from sandbox.serving import served
from sandbox_admin import SandboxAdmin

from connector_resources import ping as ping_registry
from connector_resources import procurify as client
from connector_resources.procurify import (
    UPDATED_AT,
    ProcurifyResource,
    ProcurifySession,
    forget_shared_tokens,
    parse_timestamp,
    register_procurify_ping,
)
from connector_sandbox.procurify import ProcurifySandboxSettings, create_app
from connector_sandbox.procurify.settings import SandboxApplication
from connector_sandbox.serve import serve_in_thread

CLIENT_ID, CLIENT_SECRET = "ml-connector-sandbox", "sandbox-procurify-secret"
SCALE = 0.05
PAGE = 10
ANCHOR = date(2025, 3, 1)  # a fixed seed date: the same data every day the tests run
EVER = datetime(2000, 1, 1, tzinfo=UTC)
# The admin "records" kind and the key field the activity answer lists, per client entity.
RECORD_KINDS = {
    "vendors": ("vendors", "id"),
    "requisitions": ("orders", "num"),
    "order_items": ("order_items", "id"),
    "purchase_orders": ("purchase_orders", "procurify_PO"),
    "bills": ("bills", "uuid"),
    "payments": ("payments", "id"),
}
STATE_COUNTS = {
    "vendors": "vendors",
    "requisitions": "orders",
    "order_items": "order_items",
    "purchase_orders": "purchase_orders",
    "bills": "bills",
    "payments": "payments",
    "account_codes": "account_codes",
    "departments": "departments",
    "accounts": "accounts",
    "locations": "locations",
}


class Sandbox(SandboxAdmin):
    def calls(self, template: str) -> int:
        return self.state()["calls"].get(template, 0)

    def faults(self, **faults) -> None:
        self.admin("POST", "faults", json=faults)

    def variants(self, **variants) -> None:
        self.admin("POST", "variants", json=variants)

    def record(self, kind: str, key) -> dict:
        return self.admin("GET", f"records/{kind}/{key}").json()["api"]

    def activity(self, **counts) -> dict:
        return self.admin("POST", "activity", json=counts).json()


def serve(**settings) -> tuple[Sandbox, object]:
    settings.setdefault("scale", SCALE)
    settings.setdefault("anchor_date", ANCHOR)
    url, stop = serve_in_thread(create_app(ProcurifySandboxSettings(**settings)))
    return Sandbox(url), stop


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    yield from served(serve())


@pytest.fixture
def fresh() -> Iterator[Sandbox]:
    """A sandbox of its own, for tests that predict exact counts of today's changes."""
    yield from served(serve())


@pytest.fixture(autouse=True)
def _clean_slate(request) -> Iterator[None]:
    forget_shared_tokens()
    yield
    if "sandbox" in request.fixturenames:
        box = request.getfixturevalue("sandbox")
        box.admin("POST", "faults/reset")
        box.admin("POST", "variants/reset")


def procurify(box: Sandbox | str, **fields) -> ProcurifyResource:
    values = {
        "base_url": box if isinstance(box, str) else box.url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "page_size": PAGE,
        "rate_per_second": 0,
        "backoff_base": 0.05,
        **fields,
    }
    return ProcurifyResource(**values)


def key_of(entity: str, row: dict) -> str:
    return str(row[RECORD_KINDS[entity][1]])


def pages_for(rows: int, page_size: int = PAGE) -> int:
    return max(1, math.ceil(rows / page_size))


# -- authentication ----------------------------------------------------------------------------------


def test_one_token_serves_every_call_and_every_session_of_the_process(sandbox):
    # JSON-only token bodies and a token endpoint that insists on X-Procurify-Client prove the wire
    # format: form bodies or a missing header would be refused here.
    sandbox.variants(token_form_body=False, token_requires_client_header=True)
    minted = sandbox.state()["tokens"]["minted"]
    resource = procurify(sandbox)
    with resource.session() as first:
        vendors = list(first.iter_all("vendors"))
        assert first.scope.startswith("urn:procurify-api:domain:ml-sandbox")
    with resource.session() as second:
        codes = list(second.iter_all("account_codes"))
    state = sandbox.state()
    assert state["tokens"]["minted"] == minted + 1
    assert len(vendors) == state["row_counts"]["vendors"]
    assert len(codes) == state["row_counts"]["account_codes"]
    assert first.metrics.reauths == second.metrics.reauths == 0


def test_a_token_expiring_mid_read_is_renewed_once_and_no_row_is_lost_or_doubled(sandbox):
    with procurify(sandbox).session() as s:
        reference = [r["uuid"] for r in s.iter_changed("bills", EVER, datetime.now(UTC) + timedelta(days=2))]
        minted = sandbox.state()["tokens"]["minted"]
        refused = sandbox.state()["answers"].get("GET /api/v3/ap/bills/ 401", 0)
        read = []
        for row in s.iter_changed("bills", EVER, datetime.now(UTC) + timedelta(days=2)):
            read.append(row["uuid"])
            if len(read) == PAGE + 1:  # inside page 2: the next page call meets the dead token
                sandbox.admin("POST", "tokens/expire")
        reauths = s.metrics.reauths
    assert read == reference
    assert len(set(read)) == len(read) == sandbox.state()["row_counts"]["bills"]
    assert reauths == 1
    assert sandbox.state()["tokens"]["minted"] == minted + 1
    assert sandbox.state()["answers"].get("GET /api/v3/ap/bills/ 401", 0) == refused + 1


def test_a_server_answering_403_for_a_revoked_token_is_also_renewed(sandbox):
    sandbox.variants(invalid_token_status=403)
    with procurify(sandbox).session() as s:
        s.count("payments")
        sandbox.admin("POST", "tokens/revoke")
        assert s.count("payments") == sandbox.state()["row_counts"]["payments"]
        assert s.metrics.reauths == 1


def test_wrong_credentials_fail_at_login_with_a_clear_secret_free_error(sandbox, caplog):
    wrong = "not-the-procurify-secret-3141"
    with caplog.at_level(logging.DEBUG), pytest.raises(client.ProcurifyAuthError) as caught:
        procurify(sandbox, client_secret=wrong).open_session()
    message = str(caught.value)
    assert "refused the API credentials" in message and "access_denied" in message
    assert "/oauth/token" in message
    assert wrong not in message and wrong not in caplog.text
    assert "\n" not in message
    copy = pickle.loads(pickle.dumps(caught.value))
    assert type(copy) is client.ProcurifyAuthError and str(copy) == message


def test_a_wrong_audience_is_an_auth_error_naming_the_servers_reason(sandbox):
    with pytest.raises(client.ProcurifyAuthError, match="Service not found"):
        procurify(sandbox, audience="https://api.example.com/").open_session()


def test_secrets_and_tokens_never_reach_logs_or_errors(sandbox, caplog):
    with caplog.at_level(logging.DEBUG), procurify(sandbox).session() as s:
        token = s._auth.token.value
        list(s.iter_changed("payments", EVER, datetime.now(UTC)))
        sandbox.admin("POST", "tokens/expire")
        with pytest.raises(client.ProcurifyNotFoundError) as missing:
            s.get("vendors", 987654)
    assert len(token) > 20
    for secret in (CLIENT_SECRET, token):
        assert secret not in caplog.text
        assert secret not in str(missing.value)
    assert "re-authenticating" in caplog.text  # the expiry was logged, without the token


# -- change windows ----------------------------------------------------------------------------------


def test_reading_all_history_returns_every_record_once_with_exact_values(sandbox):
    counts = sandbox.state()["row_counts"]
    end = datetime.now(UTC) + timedelta(days=2)
    with procurify(sandbox).session() as s:
        for entity, field in ProcurifySession.ENTITIES.items():
            rows = s.iter_changed(entity, EVER, end)
            assert isinstance(rows, Iterator)
            keys = set()
            for row in rows:
                keys.add(key_of(entity, row))
                assert row[UPDATED_AT] == parse_timestamp(row[field])
                assert row[UPDATED_AT].tzinfo is not None
            assert len(keys) == counts[STATE_COUNTS[entity]], entity
        for entity in ProcurifySession.SNAPSHOT_ENTITIES:
            assert len(list(s.iter_all(entity))) == counts[STATE_COUNTS[entity]], entity
        bill = next(s.iter_changed("bills", EVER, end))
        payment = next(s.iter_changed("payments", EVER, end))
    assert isinstance(bill["total_cost_with_tax"], Decimal)  # a JSON number, read exactly
    assert isinstance(payment["amount"], str) and Decimal(payment["amount"]) >= 0


def test_each_window_equals_the_simulators_records_at_the_expected_cost(fresh):
    """Today holds only the activity below (the seed ends ten days ago): every entity's window
    must equal what the simulator's records say changed, at one call per page of those rows."""
    done = fresh.activity(
        new_vendors=2,
        updated_vendors=1,
        new_requisitions=3,
        updated_requisitions=2,
        new_purchase_orders=2,
        updated_purchase_orders=1,
        new_bills=2,
        updated_bills=2,
        new_payments=1,
        updated_payments=1,
    )
    now = parse_timestamp(done["now"])
    today = datetime.combine(now.date(), datetime.min.time(), tzinfo=UTC)
    window = (today, today + timedelta(days=1))
    resource = procurify(fresh)
    with resource.session() as s:
        everything = {e: [key_of(e, r) for r in s.iter_changed(e, EVER, window[1])] for e in RECORD_KINDS}
        for entity, (kind, _) in RECORD_KINDS.items():
            field = ProcurifySession.ENTITIES[entity]
            expected = {
                key
                for key in everything[entity]
                if window[0] <= parse_timestamp(fresh.record(kind, key)[field]) < window[1]
            }
            before = s.metrics.calls
            got = [key_of(entity, r) for r in s.iter_changed(entity, *window)]
            calls = s.metrics.calls - before
            assert len(got) == len(set(got))
            assert set(got) == expected, entity
            if entity == "vendors":  # no date filter: the sort is ignored here, so a full read
                assert calls == pages_for(len(everything["vendors"])), entity
            else:
                assert calls == pages_for(len(expected)), entity
    named = {
        "vendors": done["vendors"]["created"] + done["vendors"]["updated"],
        "requisitions": done["requisitions"]["created"] + done["requisitions"]["updated"],
        "purchase_orders": done["purchase_orders"]["created"] + done["purchase_orders"]["updated"],
        "bills": done["bills"]["created"] + done["bills"]["updated"],
        "payments": done["payments"]["created"] + done["payments"]["updated"],
    }
    with resource.session() as s:
        for entity, keys in named.items():
            exact = {key_of(entity, r) for r in s.iter_changed(entity, now, now + timedelta(microseconds=1))}
            assert {str(k) for k in keys} <= exact, entity


def test_a_quiet_window_costs_one_call_and_filters_are_really_sent(sandbox):
    later = datetime.now(UTC) + timedelta(days=30)
    with procurify(sandbox).session() as s:
        for entity in ProcurifySession.ENTITIES:
            if entity == "vendors":
                continue
            before = s.metrics.calls
            assert list(s.iter_changed(entity, later, later + timedelta(hours=6))) == []
            assert s.metrics.calls - before == 1, entity


def test_vendors_stop_at_the_first_older_row_when_the_server_sorts_by_date(fresh):
    fresh.variants(vendor_order_by_date_modified=True)
    done = fresh.activity(new_vendors=3)
    now = parse_timestamp(done["now"])
    with procurify(fresh).session() as s:
        before = s.metrics.calls
        quiet = list(s.iter_changed("vendors", now + timedelta(seconds=1), now + timedelta(hours=1)))
        quiet_calls = s.metrics.calls - before
        recent = [
            r["id"] for r in s.iter_changed("vendors", now - timedelta(hours=1), now + timedelta(hours=1))
        ]
    assert quiet == [] and quiet_calls == 1
    assert sorted(recent) == sorted(done["vendors"]["created"])


def test_vendors_are_read_whole_when_the_server_ignores_the_sort(sandbox, caplog):
    total = sandbox.state()["row_counts"]["vendors"]
    later = datetime.now(UTC) + timedelta(days=30)
    with caplog.at_level(logging.INFO, logger="ml_connector"), procurify(sandbox).session() as s:
        assert list(s.iter_changed("vendors", later, later + timedelta(days=1))) == []
        assert s.pages == pages_for(total)
    assert "does not sort by -dateModified" in caplog.text


def test_filters_narrow_a_window_and_only_documented_filters_are_accepted(sandbox):
    end = datetime.now(UTC) + timedelta(days=1)
    with procurify(sandbox).session() as s:
        approved = list(s.iter_changed("requisitions", EVER, end, filters={"status": 1}))
        closed = list(s.iter_changed("purchase_orders", EVER, end, filters={"status": "closed"}))
        paid = list(s.iter_changed("payments", EVER, end, filters={"status": ["paid", "failed"]}))
        with pytest.raises(ValueError, match="not a filter the Procurify reference documents"):
            s.iter_changed("bills", EVER, end, filters={"status": 2})
        with pytest.raises(ValueError, match="no time zone"):
            s.iter_changed("bills", datetime(2025, 1, 1), end)
        with pytest.raises(ValueError, match="not after start"):
            s.iter_changed("bills", end, end)
        with pytest.raises(client.ProcurifyError, match="iter_all"):
            s.iter_changed("account_codes", EVER, end)
        with pytest.raises(KeyError, match="known: vendors"):
            s.iter_changed("invoices", EVER, end)
    assert approved and {r["status"] for r in approved} == {1}
    assert closed and {r["state"] for r in closed} == {3}
    assert paid and {r["status"] for r in paid} <= {"paid", "failed"}


def test_a_list_that_changes_while_it_is_read_is_read_again_without_doubles(sandbox):
    counts = sandbox.state()["row_counts"]
    with procurify(sandbox).session() as s:
        seen, revised = [], None
        for row in s.iter_changed("purchase_orders", EVER, datetime.now(UTC) + timedelta(days=1)):
            seen.append(row["procurify_PO"])
            if revised is None and row["state"] in (0, 5) and len(seen) % PAGE != 0:
                # Revising moves this PO behind the cursor; the unread ones shift back one place.
                s.revise_purchase_order(row["procurify_PO"], {"PO_Num": "SHIFT-TEST-1"})
                revised = row["procurify_PO"]
        rescans = s.rescans
    assert revised is not None and seen.index(revised) < counts["purchase_orders"] - PAGE
    assert len(seen) == len(set(seen)) == counts["purchase_orders"]
    assert rescans == 1


# -- paging ------------------------------------------------------------------------------------------


def test_a_server_page_size_cap_costs_calls_not_rows(sandbox):
    counts = sandbox.state()["row_counts"]
    with procurify(sandbox, page_size=500).session() as s:  # the simulator caps at 100
        items = list(s.iter_all("order_items"))
        assert s.pages == pages_for(counts["order_items"], 100)
    sandbox.variants(default_page_size=5, max_page_size=7)
    with procurify(sandbox, page_size=50).session() as s:
        payments = list(s.iter_changed("payments", EVER, datetime.now(UTC) + timedelta(days=1)))
        assert s.pages == pages_for(counts["payments"], 7)
    assert len({r["id"] for r in items}) == counts["order_items"]
    assert len({r["id"] for r in payments}) == counts["payments"]


def test_paging_stops_with_a_clear_error_when_the_server_ignores_the_page_parameter():
    rows = [{"id": n, "updated_at": "2025-03-04T10:00:00Z"} for n in range(1, 3)]
    page = {
        "metadata": {"pagination": {"count": 4, "next": "http://elsewhere/?page=2", "previous": None}},
        "data": rows,
    }
    with ScriptedServer() as server:
        OAuthTokenEndpoint(
            server, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, auth_method="client_secret_json"
        )
        server.route("/api/public/v1/payments/", CannedResponse(200, page))
        window = (datetime(2025, 3, 4, tzinfo=UTC), datetime(2025, 3, 5, tzinfo=UTC))
        with (
            procurify(server.url).session() as s,
            pytest.raises(client.ProcurifyProtocolError, match="same payments page"),
        ):
            list(s.iter_changed("payments", *window))
        assert len(server.hits("/api/public/v1/payments/")) == 2


def test_a_server_that_refuses_our_sort_is_read_in_its_own_order():
    rows = [{"id": n, "updated_at": f"2025-03-04T1{n}:00:00Z"} for n in range(3)]

    def payments(request: RecordedRequest) -> CannedResponse:
        if "order_by" in request.query:
            return CannedResponse(
                400, {"order_by": ["Select a valid choice. updated_at is not one of the choices."]}
            )
        return CannedResponse(200, {"metadata": {"pagination": {"count": 3, "next": None}}, "data": rows})

    with ScriptedServer() as server:
        OAuthTokenEndpoint(
            server, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, auth_method="client_secret_json"
        )
        server.route("/api/public/v1/payments/", payments)
        window = (datetime(2025, 3, 4, 11, tzinfo=UTC), datetime(2025, 3, 5, tzinfo=UTC))
        with procurify(server.url).session() as s:
            got = [r["id"] for r in s.iter_changed("payments", *window)]
            with pytest.raises(ValueError, match="sets updated_at_after itself"):
                s.iter_changed("payments", *window, filters={"updated_at_after": window[0]})
        calls = server.hits("/api/public/v1/payments/")
    assert got == [1, 2]
    assert [c.query.get("order_by") for c in calls] == [["updated_at"], None]
    assert calls[1].query["updated_at_after"] == ["2025-03-04T11:00:00Z"]


# -- a server that ignores a filter ------------------------------------------------------------------


def test_a_server_that_ignores_the_date_filter_is_caught_on_the_first_page():
    every_bill = [
        {"id": n, "uuid": f"{n:032x}", "last_modified_datetime": f"20{10 + n % 15}-01-0{1 + n % 9}T08:00:00Z"}
        for n in range(1, 11)
    ]
    answer = {"metadata": {"pagination": {"count": 5000, "next": "http://x/?page=2"}}, "data": every_bill}
    with ScriptedServer() as server:
        tokens = OAuthTokenEndpoint(
            server,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            auth_method="client_secret_json",
            audience="https://api.procurify.com/",
        )
        server.route("/api/v3/ap/bills/", tokens.protected(CannedResponse(200, answer)))
        window = (datetime(2025, 3, 4, tzinfo=UTC), datetime(2025, 3, 5, tzinfo=UTC))
        ignored = pytest.raises(client.ProcurifyFilterIgnoredError)
        with procurify(server.url).session() as s, ignored as caught:
            list(s.iter_changed("bills", *window))
        [call] = server.hits("/api/v3/ap/bills/")
        token_request = tokens.token_requests[0]
    assert "refusing to treat the whole collection as changed" in str(caught.value)
    assert call.query["last_modified_datetime_0"] == ["2025-03-04T00:00:00Z"]
    assert call.query["last_modified_datetime_1"] == ["2025-03-05T00:00:00Z"]
    assert call.query["order_by"] == ["last_modified_datetime"]
    assert call.headers["X-Procurify-Client"] == "api"
    assert token_request["grant_type"] == "client_credentials"
    assert token_request["audience"] == "https://api.procurify.com/"


# -- throttling and server failures ------------------------------------------------------------------


def test_a_429_storm_is_waited_out_and_every_row_arrives(sandbox):
    throttled_before = sandbox.state()["throttled_429"]
    sandbox.faults(rate_limit_requests=4, rate_limit_window_seconds=1)
    with procurify(sandbox).session() as s:
        bills = list(s.iter_changed("bills", EVER, datetime.now(UTC) + timedelta(days=1)))
        throttled = s.metrics.statuses[429]
        retries = s.metrics.retries
    state = sandbox.state()
    assert len({b["uuid"] for b in bills}) == state["row_counts"]["bills"]
    assert throttled > 0 and throttled == state["throttled_429"] - throttled_before
    assert retries >= throttled


def test_503s_before_a_create_are_retried_and_the_vendor_is_created_once(sandbox):
    before = sandbox.calls("POST /api/v3/vendors/")
    sandbox.faults(fail_next=2, fail_next_status=503, fail_next_path_prefix="/api/v3/vendors/")
    vendor = {"name": "Retry Lumber Ltd", "email": ["ap@retry.example"], "external_id": "JDE-V-503"}
    with procurify(sandbox).session() as s:
        created = s.create_vendor(vendor)
        found = s.find_vendors(external_id="JDE-V-503")
    assert [v["id"] for v in found] == [created["id"]]
    assert sandbox.calls("POST /api/v3/vendors/") == before + 3


def test_a_500_on_a_create_is_reported_as_unknown_and_never_resent(sandbox):
    before = sandbox.calls("POST /api/v3/account-codes/")
    sandbox.faults(fail_next=1, fail_next_status=500, fail_next_path_prefix="/api/v3/account-codes/")
    code = {"code": "7450", "description": "Site security", "account_type": 5}
    with procurify(sandbox).session() as s:
        with pytest.raises(client.ProcurifyOutcomeUnknownError, match="look the record up"):
            s.create_account_code(code)
        assert sandbox.calls("POST /api/v3/account-codes/") == before + 1
        assert s.find_account_code("7450") is None  # refused before anything was made
        made = s.create_account_code(code)
        again = s.find_account_code("7450")
    assert again is not None and again["id"] == made["id"]


class LossyProxy:
    """Forwards every call to the simulator; drops (TCP reset) the answer of the next write."""

    def __init__(self, server: ScriptedServer, target: str, paths: list[str]) -> None:
        self.target = target
        self.drop_next_write = False
        for path in paths:
            server.route(path, self.forward)

    def forward(self, request: RecordedRequest) -> CannedResponse:
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() in ("authorization", "x-procurify-client", "content-type", "accept")
        }
        answer = requests.request(
            request.method,
            self.target + request.path,
            params=request.query,
            headers=headers,
            data=request.body,
            allow_redirects=False,
            timeout=30,
        )
        if request.method != "GET" and self.drop_next_write:
            self.drop_next_write = False
            return CannedResponse(reset=True)  # the simulator acted; its answer never arrives
        return CannedResponse(
            answer.status_code, answer.content, {"Content-Type": answer.headers["Content-Type"]}
        )


def test_a_create_whose_answer_is_lost_is_adopted_by_search_not_created_twice(sandbox):
    vendor = {"name": "Quarry Lost & Found Inc", "email": ["ap@quarry.example"], "external_id": "JDE-V-LOST"}
    before = sandbox.calls("POST /api/v3/vendors/")
    with ScriptedServer() as server:
        proxy = LossyProxy(server, sandbox.url, ["/oauth/token", "/api/v3/vendors/"])
        with procurify(server.url).session() as s:
            proxy.drop_next_write = True
            with pytest.raises(client.ProcurifyOutcomeUnknownError):
                s.create_vendor(vendor)
            adopted = s.find_vendor("JDE-V-LOST")
    assert adopted is not None
    assert adopted["external_id"] == "JDE-V-LOST" and adopted["name"] == vendor["name"]
    assert sandbox.calls("POST /api/v3/vendors/") == before + 1
    with procurify(sandbox).session() as s:
        assert [v["id"] for v in s.find_vendors(external_id="JDE-V-LOST")] == [adopted["id"]]


# -- writes and validation ---------------------------------------------------------------------------


def test_two_active_vendors_with_one_erp_key_are_never_guessed_between(sandbox):
    twin = {"name": "Twin Steel", "email": ["ap@twin.example"], "external_id": "JDE-V-TWIN"}
    with procurify(sandbox).session() as s:
        first = s.create_vendor(twin)
        assert s.find_vendor("JDE-V-TWIN")["id"] == first["id"]
        second = s.create_vendor({**twin, "name": "Twin Steel (dup)"})
        with pytest.raises(client.ProcurifyDuplicateError, match=f"ids {first['id']}, {second['id']}"):
            s.find_vendor("JDE-V-TWIN")
        s.update_vendor(second["id"], {"active": False})
        assert s.find_vendor("JDE-V-TWIN")["id"] == first["id"]


def test_server_validation_errors_name_the_record_and_each_field(sandbox, contract_breaches):
    bad = {"name": "N" * 150, "email": ["not-an-address@", "ap@fine.example"], "external_id": "JDE-V-BAD"}
    with procurify(sandbox).session() as s:
        with pytest.raises(client.ProcurifyValidationError) as caught:
            s.create_vendor(bad)
        sandbox.variants(error_style="enveloped")
        with pytest.raises(client.ProcurifyValidationError) as enveloped:
            s.create_requisition(
                {
                    "line_items": [
                        {
                            "item_name": "Rebar",
                            "vendor_name": "No Such Vendor",
                            "unit_price": "3.10",
                            "quantity": "5",
                        }
                    ]
                }
            )
    error = caught.value
    assert error.from_server and error.status == 400
    assert error.fields == {"email[0]": ("Enter a valid email address.",)}
    assert str(error).startswith("Procurify refused to create vendor 'JDE-V-BAD'")
    assert "email[0]: Enter a valid email address." in str(error)
    # The requisition misses what RequisitionCreateRequest requires: refused at the door, each named.
    assert "line_items[0].account_code" in enveloped.value.fields
    assert "location_name" in enveloped.value.fields
    assert {b.violation.field for b in contract_breaches.seen()} >= {"location_name", "line_items[0].unit"}


def test_bad_values_are_refused_before_sending_naming_record_and_field(sandbox):
    before = sandbox.state()["calls"]
    with procurify(sandbox).session() as s:
        with pytest.raises(
            client.ProcurifyValidationError, match=r"line_items\[1\]\.unit_price: 2\.5 is a binary float"
        ):
            s.create_requisition(
                {
                    "description": "JDE 4512 OP",
                    "line_items": [
                        {"item_name": "a", "unit_price": Decimal("1.00"), "quantity": 1},
                        {"item_name": "b", "unit_price": 2.5, "quantity": 1},
                    ],
                }
            )
        required = "vendor 'JDE-V-9' .*: email: is required as a non-empty list"
        with pytest.raises(client.ProcurifyValidationError, match=required):
            s.create_vendor({"name": "Granite", "external_id": "JDE-V-9", "email": "ap@granite.example"})
        with pytest.raises(
            client.ProcurifyValidationError, match="name: is 151 characters; Procurify takes at most 150"
        ):
            s.create_vendor({"name": "x" * 151, "email": ["a@b.example"]})
        with pytest.raises(client.ProcurifyValidationError, match="PO_Num: is 31 characters"):
            s.revise_purchase_order(1001, {"PO_Num": "9" * 31})
        with pytest.raises(client.ProcurifyValidationError, match="uuid"):
            s.get("bills", "NOT-HEX")
    after = sandbox.state()["calls"]
    writes = [k for k in after if not k.startswith("GET") and k != "POST /oauth/token"]
    assert all(after[k] == before.get(k, 0) for k in writes)


def test_vendor_and_account_code_search_then_create_never_duplicates(sandbox):
    vendor = {
        "name": "Cascade Concrete Pumping",
        "email": ["ap@cascade.example"],
        "external_id": "JDE-V-77001",
        "addressLineOne": "12 Pump St",
    }
    with procurify(sandbox).session() as s:
        assert s.find_vendor("JDE-V-77001") is None
        made = s.create_vendor(vendor)
        again = s.find_vendor("JDE-V-77001")
        changed = s.update_vendor(
            made["id"], {"contact": "Ana Ng", "email": ["ap@cascade.example", "b@cascade.example"]}
        )
        fetched = s.get("vendors", made["id"])
        code = s.find_account_code("7460") or s.create_account_code(
            {"code": "7460", "description": "Pumping"}
        )
        updated = s.update_account_code(code["id"], {"code": "7460", "description": "Concrete pumping"})
        with pytest.raises(client.ProcurifyValidationError) as duplicate:
            s.create_account_code({"code": "7460", "description": "again"})
        by_id = s.get("account_codes", code["id"])
    assert again is not None and again["id"] == made["id"]
    assert changed["contact"] == "Ana Ng" and fetched["email"] == ["ap@cascade.example", "b@cascade.example"]
    assert parse_timestamp(fetched["dateModified"]) >= parse_timestamp(made["dateModified"])
    assert updated["description"] == by_id["description"] == "Concrete pumping"
    assert "code" in duplicate.value.fields


def test_a_jde_order_becomes_a_requisition_then_a_po_carrying_the_jde_number(sandbox):
    with procurify(sandbox).session() as s:
        department = next(d for d in s.iter_all("departments") if d["active"])
        account = next(s.iter_all("accounts", filters={"department": department["id"], "active": True}))
        vendor = next(v for v in s.iter_all("vendors", filters={"type": 3}) if v["active"])
        same_name = [v for v in s.find_vendors(name=vendor["name"]) if v["active"]]
        assert len(same_name) == 1
        started = datetime.now(UTC)
        made = s.create_requisition(
            {
                "description": "JDE OP 00200 4512",
                "required_date": "2025-03-20",
                "location_name": department["branch"]["name"],
                "department_name": department["name"],
                "line_items": [
                    {
                        "item_name": "Safety gloves (box)",
                        "vendor_name": vendor["name"],
                        "account_code": account["account_code"]["code"],
                        "unit_price": Decimal("24.50"),
                        "quantity": Decimal("10"),
                        "unit": "box",
                        "currency_code": "USD",
                    }
                ],
            }
        )
        [found] = s.find_requisitions(description="JDE OP 00200 4512", created_since=started)
        purchased = sandbox.admin("POST", f"requisitions/{made['uuid']}/purchase", json={}).json()
        [po] = purchased["purchase_orders"]
        revised = s.revise_purchase_order(po["procurify_PO"], {"PO_Num": "JDE-4512-OP"})
        by_number = s.get("purchase_orders", po["procurify_PO"])
        by_uuid = s.get("purchase_orders", po["uuid"])
        [adopt] = s.find_purchase_orders(po_num="JDE-4512-OP", modified_since=started)
        other = next(
            p
            for p in s.iter_changed("purchase_orders", EVER, started, filters={"status": "open"})
            if p["procurify_PO"] != po["procurify_PO"]
        )
        with pytest.raises(client.ProcurifyValidationError) as taken:
            s.revise_purchase_order(other["procurify_PO"], {"PO_Num": "JDE-4512-OP"})
    assert found["uuid"] == made["uuid"] and found["status"] == 0
    assert revised["PO_Num"] == by_number["PO_Num"] == by_uuid["PO_Num"] == "JDE-4512-OP"
    assert revised["version"] == by_number["version"] >= 2
    assert Decimal(by_number["subtotal"]) == Decimal("245.00")  # 10 x 24.50, exact
    assert adopt["uuid"] == po["uuid"]
    assert "PO_Num" in taken.value.fields


def test_marking_an_approved_bill_paid_and_reading_it_back(sandbox):
    with procurify(sandbox).session() as s:
        bill = next(
            b
            for b in s.iter_changed("bills", EVER, datetime.now(UTC))
            if b["status"] == 2 and not b["payment_uuid"]
        )
        [same] = s.find_bills(invoice_number=bill["invoice_number"], vendor_id=bill["vendor"]["id"])
        s.mark_bills_paid([bill["uuid"]], date.today())
        full = s.get("bills", bill["uuid"].upper())
        with pytest.raises(client.ProcurifyValidationError):
            s.mark_bills_paid([bill["uuid"]], date.today())  # paid bills are not eligible again
    assert same["uuid"] == bill["uuid"]
    assert s.bill_is_paid(full) and full["uuid"] == bill["uuid"]


def test_single_records_by_id_and_clear_not_found(sandbox):
    with procurify(sandbox).session() as s:
        payment = next(s.iter_all("payments"))
        department = next(s.iter_all("departments"))
        assert s.get("payments", payment["id"])["uuid"] == payment["uuid"]
        assert s.get("departments", department["id"])["name"] == department["name"]
        with pytest.raises(client.ProcurifyNotFoundError, match="payment with id 999999"):
            s.get("payments", 999999)
        with pytest.raises(client.ProcurifyNotFoundError, match="read purchase order 999999"):
            s.get("purchase_orders", 999999)
        with pytest.raises(client.ProcurifyError, match="documents no way to read one requisition"):
            s.get("requisitions", 1)


# -- ping and Dagster --------------------------------------------------------------------------------


def test_ping_proves_token_and_read_access_to_every_entity(sandbox):
    detail = procurify(sandbox).ping()
    payments = sandbox.state()["row_counts"]["payments"]
    assert "token ok (urn:procurify-api:domain:ml-sandbox" in detail
    assert "read 8 entities" in detail and f"payments {payments}" in detail


def test_ping_names_the_entities_a_restricted_user_cannot_read():
    limited = SandboxApplication(
        client_id="limited-app",
        client_secret="limited-app-secret",
        permissions=["vendors", "requisitions", "purchase_orders", "setup"],
    )
    box, stop = serve(applications=[limited])
    try:
        with pytest.raises(client.ProcurifyError) as caught:
            procurify(box, client_id="limited-app", client_secret="limited-app-secret").ping()
    finally:
        stop()
    message = str(caught.value)
    assert "2 of 8 entities cannot be read" in message
    assert "bills: Procurify refused to count bills" in message and "payments:" in message
    assert "lacks this permission" in message


def test_ping_of_an_unreachable_host_fails_fast_and_clearly():
    with ScriptedServer() as server:
        url = server.url  # the port is free once the server is closed
    with pytest.raises(client.ProcurifyUnavailableError, match="obtain an access token.*Connection refused"):
        procurify(url, max_attempts=2).ping()


def test_the_registered_ping_builds_the_resource_from_settings(sandbox, monkeypatch):
    monkeypatch.setenv("ML_PROCURIFY_URL", sandbox.url)
    monkeypatch.setenv("ML_PROCURIFY_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("PROCURIFY_SECRET_FOR_TEST", CLIENT_SECRET)
    monkeypatch.setenv("ML_PROCURIFY_CLIENT_SECRET", "env:PROCURIFY_SECRET_FOR_TEST")
    register_procurify_ping()
    [result] = ping_registry.run_pings(["procurify"])
    assert result.ok, result.detail
    assert sandbox.url in result.detail
    monkeypatch.setenv("PROCURIFY_SECRET_FOR_TEST", "a-wrong-secret-2718")
    [failed] = ping_registry.run_pings(["procurify"])
    assert not failed.ok and "ProcurifyAuthError" in failed.detail
    assert "a-wrong-secret-2718" not in failed.detail


def test_the_resource_runs_inside_dagster_with_the_secret_from_an_env_var(sandbox, monkeypatch):
    monkeypatch.setenv("PROCURIFY_TEST_SECRET", CLIENT_SECRET)

    @asset
    def procurify_payments(procurify: ProcurifyResource) -> MaterializeResult:
        with procurify.session() as s:
            rows = list(s.iter_changed("payments", EVER, datetime.now(UTC)))
            return MaterializeResult(metadata={"rows": len(rows), **s.metrics.as_metadata()})

    resource = ProcurifyResource(
        base_url=sandbox.url,
        client_id=CLIENT_ID,
        client_secret=EnvVar("PROCURIFY_TEST_SECRET"),
        rate_per_second=0,
    )
    result = materialize([procurify_payments], resources={"procurify": resource})
    assert result.success
    [materialization] = result.asset_materializations_for_node("procurify_payments")
    assert materialization.metadata["rows"].value == sandbox.state()["row_counts"]["payments"]
    assert CLIENT_SECRET not in str(resource)


def test_settings_fields_match_the_resource():
    from connector_resources.settings import system

    fields = {s.field for s in system("procurify").settings}
    assert fields <= set(ProcurifyResource.model_fields)
    resource = ProcurifyResource.from_settings({})
    assert resource.base_url == "http://127.0.0.1:8714" and resource.client_id == CLIENT_ID


def test_one_gateway_timeout_is_retried_with_backoff_and_the_read_succeeds(sandbox):
    """A 504 is retried (backoff with full jitter) like any 5xx, not the end of the read."""
    try:
        with procurify(sandbox).session() as s:
            sandbox.faults(fail_next=1, fail_next_status=504, fail_next_path_prefix="/api/v3/ap/bills/")
            before, retries = sandbox.calls("GET /api/v3/ap/bills/"), s.metrics.retries
            assert s.count("bills") == sandbox.state()["row_counts"]["bills"]
            assert sandbox.calls("GET /api/v3/ap/bills/") == before + 2  # the 504, then the answer
            assert s.metrics.retries == retries + 1
    finally:
        sandbox.admin("POST", "faults/reset")


def test_a_read_timeout_is_retried_up_to_the_bound_and_then_says_no_answer(sandbox):
    """A slow answer (no 504, the client's own read timeout) is retried like a 504 and bounded the same."""
    try:
        with procurify(sandbox, max_attempts=2, read_timeout=0.2).session() as s:
            sandbox.faults(latency_ms=600)
            retries = s.metrics.retries
            with pytest.raises(client.ProcurifyUnavailableError, match="after 2 attempts") as slow:
                s.count("bills")
            assert s.metrics.retries == retries + 1
    finally:
        sandbox.admin("POST", "faults/reset")
    assert slow.value.status is None


def test_a_gateway_timeout_on_every_attempt_stops_at_the_bound_and_a_suspension_says_so(sandbox):
    try:
        with procurify(sandbox, max_attempts=3).session() as s:
            sandbox.faults(latency_ms=400, gateway_timeout_seconds=0.05, suspend_after_timeouts=3)
            before = sandbox.calls("GET /api/v3/ap/bills/")
            with pytest.raises(client.ProcurifyUnavailableError, match="on each of 3 attempts") as slow:
                s.count("bills")
            assert sandbox.calls("GET /api/v3/ap/bills/") == before + 3  # max_attempts, no more
            sandbox.admin("POST", "faults/reset")
            # The 3rd timeout suspended the application (the sandbox's model of Procurify's terms): the
            # next call gets the 403, said plainly, and a 403 is not retried.
            with pytest.raises(client.ProcurifyPermissionError) as suspended:
                s.count("bills")
            assert s.metrics.reauths == 0
    finally:
        sandbox.admin("POST", "faults/reset")
        sandbox.admin("POST", "suspensions/clear")
    assert slow.value.status == 504 and "ML_PROCURIFY_MAX_ATTEMPTS" in str(slow.value)
    assert suspended.value.status == 403
    assert "suspended this API application" in str(suspended.value)


def test_permission_errors_are_not_retried_and_say_what_is_missing(sandbox):
    sandbox.faults(fail_next=1, fail_next_status=403, fail_next_path_prefix="/api/v3/departments/")
    with procurify(sandbox).session() as s:
        with pytest.raises(client.ProcurifyPermissionError, match="refused to read departments page 1"):
            list(s.iter_all("departments"))
        assert s.metrics.reauths == 0 and s.metrics.retries == 0
