"""The Procore client against the Procore simulator, over loopback: no mocks anywhere.

The simulator (``connector_sandbox.procore``) is driven only through its Procore routes and its
operator routes under ``/sandbox/...`` (``records`` for what is stored, ``settings`` / ``faults`` for
limits and faults, ``tokens/expire``, ``activity``, ``state`` for calls and statuses). Expected
results are computed from the stored records at the time of the test, never hard-coded.

Scale 0.05 (4 projects, one not permitted; 30 vendors) keeps the module fast; rate limits are raised
for the module and lowered only by the tests about them.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import requests
from http_server import CannedResponse, RecordedRequest, ScriptedServer
from sandbox.serving import served
from sandbox_admin import SandboxAdmin

from connector_resources import ping as ping_registry
from connector_resources.procore import (
    ProcoreAuthError,
    ProcoreConflictError,
    ProcoreDataError,
    ProcoreOutcomeUnknownError,
    ProcorePermissionError,
    ProcoreRateLimitError,
    ProcoreResource,
    ProcoreSession,
    ProcoreValidationError,
    register_procore_ping,
)
from connector_sandbox.procore import ProcoreSandboxSettings, create_app
from connector_sandbox.procore.settings import RateLimitSettings
from connector_sandbox.serve import serve_in_thread

COMPANY = 4264807
OTHER_COMPANY = 4264808  # exists, app not installed
CLIENT_ID, CLIENT_SECRET = "ml-connector-sandbox", "sandbox-procore-secret"
HOOK_TOKEN = "sandbox-procore-hook"
ANCHOR = date(2025, 6, 2)
# The seed stamps ~15 % of every table with one mass update 21 days before the anchor, at 02:00:00Z.
MASS_DAY = datetime.combine(ANCHOR - timedelta(days=21), datetime.min.time(), tzinfo=UTC)
HISTORY = (datetime(2000, 1, 1, tzinfo=UTC), datetime.combine(ANCHOR, datetime.min.time(), tzinfo=UTC))
HIGH_LIMITS = {"spike_limit": 100_000, "hourly_limit": 1_000_000}


def stamp(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class Sandbox(SandboxAdmin):
    def records(self, table: str, **filters) -> list[dict]:
        return self.admin("GET", f"records/{table}", params={"limit": 1_000_000, **filters}).json()["rows"]

    def settings(self, **sections) -> None:
        self.admin("POST", "settings", json=sections)

    def permitted_projects(self) -> set[int]:
        return {p["id"] for p in self.records("projects") if p["permitted"] and p["company_id"] == COMPANY}

    def expected_ids(self, entity: str, start: datetime, end: datetime) -> set[str]:
        """Ids the simulator itself holds for ``entity`` with updated_at in [start, end)."""
        permitted = self.permitted_projects()
        table = {"commitment_change_orders": "commitment_change_orders"}.get(entity, entity)
        rows = self.records(table)
        if entity == "vendors":
            rows = [r for r in rows if r["company_id"] == COMPANY]
        elif entity == "projects":
            rows = [r for r in rows if r["id"] in permitted]
        else:
            rows = [r for r in rows if r["project_id"] in permitted]
            if entity != "commitments":  # commitments are read with filters[include_deleted]=with
                rows = [r for r in rows if not r.get("deleted_at")]
        return {str(r["id"]) for r in rows if start <= stamp(r["updated_at"]) < end}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    settings = ProcoreSandboxSettings(
        scale=0.05, anchor_date=ANCHOR, rate_limits=RateLimitSettings(**HIGH_LIMITS)
    )
    yield from served(serve_in_thread(create_app(settings)), Sandbox)


@pytest.fixture(autouse=True)
def _fresh_limits(sandbox: Sandbox) -> Iterator[None]:
    yield
    sandbox.admin("POST", "settings/reset")
    sandbox.admin("POST", "rate-limits/reset")


def procore(box: Sandbox, **fields) -> ProcoreResource:
    values = {
        "base_url": box.url,
        "auth_url": box.url,
        "company_id": str(COMPANY),
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "webhook_token": HOOK_TOKEN,
        "page_size": 50,
        **fields,
    }
    return ProcoreResource(**values)


def row_id(row: dict) -> str:
    return str(row.get("budget_line_item_id", row["id"]))


# -- auth ------------------------------------------------------------------------------------------


def test_one_token_serves_every_call_of_a_session_and_is_revoked_at_the_end(sandbox):
    before = sandbox.state()
    with procore(sandbox).session() as s:
        assert s.token_fetches == 1
        assert sandbox.state()["active_tokens"] == before["active_tokens"] + 1
        list(s.iter_changed("vendors", *HISTORY))
        list(s.iter_changed("requisitions", *HISTORY))
        s.me()
        assert s.token_fetches == 1  # reused, not re-issued per call
        assert s.metrics.reauths == 0
    after = sandbox.state()
    assert after["active_tokens"] == before["active_tokens"]  # revoked on close
    assert after["calls"]["POST /oauth/token"] == before["calls"].get("POST /oauth/token", 0) + 1


def test_expiry_mid_pagination_renews_once_and_loses_or_doubles_nothing(sandbox):
    expected = sandbox.expected_ids("vendors", *HISTORY)
    with procore(sandbox, page_size=5).session() as s:
        rows = s.iter_changed("vendors", *HISTORY)
        ids = [row_id(next(rows))]
        sandbox.admin("POST", "tokens/expire")  # every live token now answers 401
        ids += [row_id(r) for r in rows]
        assert s.metrics.reauths == 1
        assert s.token_fetches == 2
        assert s.metrics.statuses[401] == 1
    assert len(ids) == len(set(ids))
    assert set(ids) == expected


def test_token_is_renewed_before_it_expires_without_a_401(sandbox):
    sandbox.admin("POST", "faults", json={"token_lifetime_seconds": 2})
    with procore(sandbox).session() as s:
        s.me()
        time.sleep(1.2)  # inside the renewal margin of a 2 s token
        s.me()
        assert s.token_fetches == 2
        assert s.metrics.statuses[401] == 0


def test_every_call_carries_the_company_header_and_the_scope_parameter(sandbox):
    sandbox.admin("POST", "calls/reset")
    with procore(sandbox).session() as s:
        list(s.iter_changed("commitments", *HISTORY))
        list(s.iter_changed("vendors", *HISTORY))
    statuses = sandbox.state()["statuses"]
    assert statuses.get("200")
    # The simulator answers 400 to a missing header or a missing company_id/project_id.
    assert not [k for k in statuses if k.endswith("-> 400") or k == "400"], statuses


# -- change detection ------------------------------------------------------------------------------


@pytest.mark.parametrize("entity", sorted(ProcoreSession.ENTITIES))
def test_iter_changed_equals_the_simulators_own_records_for_the_window(sandbox, entity):
    with procore(sandbox, page_size=7).session() as s:
        for start, end in ((MASS_DAY, MASS_DAY + timedelta(days=1)), HISTORY):
            expected = sandbox.expected_ids(entity, start, end)
            rows = list(s.iter_changed(entity, start, end))
            ids = [row_id(r) for r in rows]
            assert len(ids) == len(set(ids)), f"{entity}: a row was yielded twice"
            assert set(ids) == expected, entity
            assert all(start <= r["_updated_at"] < end and r["_updated_at"].tzinfo is UTC for r in rows)
        assert expected  # the history window is not trivially empty
        assert not s.skipped_projects


def test_a_window_with_no_changes_costs_about_one_call_per_list(sandbox):
    empty = (HISTORY[1] + timedelta(days=3), HISTORY[1] + timedelta(days=4))
    projects = len(sandbox.permitted_projects())
    page = 50
    cost_code_pages = sum(
        math.ceil(len(sandbox.records("cost_codes", project_id=p)) / page)
        for p in sandbox.permitted_projects()
    )
    budget_pages = sum(
        math.ceil(len(sandbox.records("budget_line_items", project_id=p)) / page)
        for p in sandbox.permitted_projects()
    )
    expected_calls = {
        "vendors": 2,  # active + inactive lists, both filtered
        "projects": 1,
        "commitments": 2 * projects,  # purchase + work order contracts, filtered
        "requisitions": projects,  # filtered
        "commitment_change_orders": projects,  # one unpaginated list each
        "cost_codes": cost_code_pages,  # no filter: full read, filtered here
        "budget_line_items": projects + budget_pages,  # views + detail rows
    }
    with procore(sandbox, page_size=page).session() as s:
        s.projects()  # listed once per session; not part of each entity's cost
        for entity, calls in expected_calls.items():
            before = s.metrics.snapshot()
            assert list(s.iter_changed(entity, *empty)) == []
            assert s.metrics.since(before).calls == calls, entity


def test_rows_keep_procores_json_with_exact_amounts_and_our_markers(sandbox):
    with procore(sandbox).session() as s:
        commitments = list(s.iter_changed("commitments", *HISTORY))
        budget = list(s.iter_changed("budget_line_items", *HISTORY))
    kinds = {r["_commitment_type"] for r in commitments}
    assert kinds == {"PurchaseOrderContract", "WorkOrderContract"}
    assert all(isinstance(r["_project_id"], int) for r in commitments)
    assert all(isinstance(r["grand_total"], str) for r in commitments)  # money as Procore's strings
    floats = [r["original_budget_amount"] for r in budget if r["original_budget_amount"] is not None]
    assert floats and all(not isinstance(v, float) for v in floats)  # JSON floats parsed as Decimal
    assert max(r["id"] for r in budget) > 2**31  # 64-bit ids survive


def test_records_updated_while_a_list_is_read_are_neither_lost_nor_doubled(sandbox):
    expected = sandbox.expected_ids("vendors", *HISTORY)
    with procore(sandbox, page_size=5).session() as s:
        rows = s.iter_changed("vendors", *HISTORY)
        first = [next(rows) for _ in range(5)]
        # The first vendor leaves the window (updated now): every later row shifts one place up, so
        # a plain page-number read would skip the first row of page 2.
        s.update_vendor(first[0]["id"], {"notes": "touched while being read"})
        ids = [row_id(r) for r in first] + [row_id(r) for r in rows]
    assert len(ids) == len(set(ids))
    assert set(ids) == expected


def test_change_orders_are_exact_when_the_server_paginates_them_after_all(sandbox):
    sandbox.settings(variants={"paginate_change_orders": True})
    projects = sorted(sandbox.permitted_projects())
    rows = [r for r in sandbox.records("commitment_change_orders") if r["project_id"] in projects]
    newest = max(stamp(r["updated_at"]) for r in rows)
    with procore(sandbox, page_size=3).session() as s:
        for window in ((newest, newest + timedelta(seconds=1)), HISTORY):
            found = [row_id(r) for r in s.iter_changed("commitment_change_orders", *window)]
            assert len(found) == len(set(found))
            assert set(found) == sandbox.expected_ids("commitment_change_orders", *window)


def test_requisitions_come_with_their_lines_and_cost_codes(sandbox):
    with procore(sandbox).session() as s:
        approved = list(s.iter_requisitions_with_lines(*HISTORY))
    stored = {str(r["id"]): r for r in sandbox.records("requisitions")}
    assert approved and all(r["status"] in ("approved", "approved_as_noted") for r in approved)
    expected_approved = {
        i
        for i in sandbox.expected_ids("requisitions", *HISTORY)
        if stored[i]["status"] in ("approved", "approved_as_noted")
    }
    assert {str(r["id"]) for r in approved} == expected_approved
    sample = approved[0]
    stored_lines = sandbox.records("requisition_items", requisition_id=sample["id"])
    assert {line["id"] for line in sample["_lines"]} == {line["id"] for line in stored_lines}
    # Procore's contract items name their cost code by id only (no cost_code object); the client resolves it
    assert all(line["cost_code_id"] and line["_cost_code"] for line in sample["_lines"])


def test_get_reads_one_record_in_its_project_or_searches_the_projects(sandbox):
    commitment = next(
        r
        for r in sandbox.records("commitments")
        if r["project_id"] in sandbox.permitted_projects() and not r["deleted_at"]
    )
    with procore(sandbox).session() as s:
        by_project = s.get("commitments", commitment["id"], project_id=commitment["project_id"])
        searched = s.get("commitments", commitment["id"])
        vendor = s.get("vendors", by_project["vendor"]["id"])
        with pytest.raises(Exception) as missing:
            s.get("requisitions", 999_999_999, project_id=commitment["project_id"])
    assert by_project["id"] == searched["id"] == commitment["id"]
    assert by_project["_commitment_type"] == commitment["kind"]
    assert vendor["id"] == by_project["vendor"]["id"]
    assert "999999999" in str(missing.value) and "404" in str(missing.value)


def test_bad_window_arguments_fail_before_any_call(sandbox):
    with procore(sandbox).session() as s:
        before = s.metrics.snapshot()
        with pytest.raises(ValueError, match="time zone"):
            s.iter_changed("vendors", datetime(2025, 1, 1), datetime(2025, 1, 2))
        with pytest.raises(ValueError, match="must be before"):
            s.iter_changed("vendors", *reversed(HISTORY))
        with pytest.raises(ValueError, match="unknown Procore entity 'invoices'"):
            s.iter_changed("invoices", *HISTORY)
        assert s.metrics.since(before).calls == 0


def test_a_project_removed_from_the_permitted_list_is_skipped_and_reported(sandbox):
    pid = min(sandbox.permitted_projects())
    with procore(sandbox).session() as s:
        s.projects()  # listed while still permitted
        sandbox.admin("POST", f"projects/{pid}/permission", json={"permitted": False})
        try:
            rows = list(s.iter_changed("requisitions", *HISTORY))
        finally:
            sandbox.admin("POST", f"projects/{pid}/permission", json={"permitted": True})
    assert rows and all(r["_project_id"] != pid for r in rows)
    assert "403" in s.skipped_projects[pid]


# -- paging caps -----------------------------------------------------------------------------------


def test_a_server_that_clamps_per_page_is_followed_to_the_end(sandbox):
    sandbox.settings(variants={"max_per_page": 4})
    expected = sandbox.expected_ids("vendors", *HISTORY)
    active = len([r for r in sandbox.records("vendors") if r["company_id"] == COMPANY and r["is_active"]])
    with procore(sandbox, page_size=50).session() as s:
        ids = [row_id(r) for r in s.iter_changed("vendors", *HISTORY)]
        assert s.pages >= math.ceil(active / 4)
    assert len(ids) == len(set(ids)) and set(ids) == expected


def test_page_caps_fail_clearly(sandbox):
    with pytest.raises(Exception, match="less than or equal to 2000"):
        procore(sandbox, page_size=5000)
    with (
        procore(sandbox, page_size=3, max_pages_per_list=2).session() as s,
        pytest.raises(ProcoreDataError, match="max_pages_per_list"),
    ):
        list(s.iter_changed("vendors", *HISTORY))


# -- limits and storms -----------------------------------------------------------------------------


def test_reading_the_rate_limit_headers_avoids_429s(sandbox):
    sandbox.settings(rate_limits={"spike_limit": 5, "spike_window_seconds": 1.0})
    expected = sandbox.expected_ids("vendors", *HISTORY)
    with procore(sandbox, page_size=3).session() as s:
        ids = {row_id(r) for r in s.iter_changed("vendors", *HISTORY)}
        assert s.metrics.statuses[429] == 0
        assert s.pacer.waits > 0  # it slowed down before the budget ran out
    assert ids == expected
    assert sandbox.state()["rate_limited"] == 0


def test_a_429_storm_is_waited_out_and_the_read_completes(sandbox):
    sandbox.settings(rate_limits={"spike_limit": 4, "spike_window_seconds": 1.0})
    expected = sandbox.expected_ids("vendors", *HISTORY)
    with procore(sandbox, page_size=3, respect_rate_limit_headers=False).session() as s:
        ids = [row_id(r) for r in s.iter_changed("vendors", *HISTORY)]
        throttled = s.metrics.statuses[429]
    assert throttled > 0
    assert throttled == sandbox.state()["rate_limited"]
    assert len(ids) == len(set(ids)) and set(ids) == expected


def test_503_and_429_with_retry_after_are_retried_even_for_a_create(sandbox):
    with procore(sandbox).session() as s:
        sandbox.admin(
            "POST", "faults", json={"fail_next": 3, "fail_next_status": 503, "retry_after_seconds": 0}
        )
        expected = sandbox.expected_ids("requisitions", *HISTORY)
        ids = {row_id(r) for r in s.iter_changed("requisitions", *HISTORY)}
        assert s.metrics.statuses[503] == 3
        sandbox.admin(
            "POST", "faults", json={"fail_next": 2, "fail_next_status": 429, "retry_after_seconds": 0}
        )
        created = s.create_vendor({"name": "Storm Proof Supply", "origin_id": "JDE-V-503503"})
        assert s.metrics.statuses[429] == 2
    assert ids == expected
    assert len(sandbox.records("vendors", origin_id="JDE-V-503503")) == 1
    assert created["origin_id"] == "JDE-V-503503"


def test_random_server_errors_do_not_change_the_result(sandbox):
    sandbox.admin(
        "POST",
        "faults",
        json={"random_error_rate": 0.25, "random_error_status": 503, "retry_after_seconds": 0},
    )
    expected = sandbox.expected_ids("cost_codes", *HISTORY)
    with procore(sandbox, page_size=9).session() as s:
        ids = [row_id(r) for r in s.iter_changed("cost_codes", *HISTORY)]
        assert s.metrics.retries > 0
    assert len(ids) == len(set(ids)) and set(ids) == expected


def test_a_spent_hourly_budget_raises_a_clear_rate_limit_error_without_calling(sandbox):
    sandbox.settings(rate_limits={"hourly_limit": 3, "hourly_window_seconds": 3600.0})
    resource = procore(sandbox, rate_limit_max_wait=1)
    with resource.session() as s:
        try:
            s.me()
            s.me()
            s.me()  # the third call leaves 0 for the next hour
            sent = sandbox.state()["calls"].get("GET /rest/v1.0/me", 0)
            with pytest.raises(ProcoreRateLimitError, match="spent until") as spent:
                s.me()
            assert sandbox.state()["calls"].get("GET /rest/v1.0/me", 0) == sent  # refused locally
            assert spent.value.reset_at and spent.value.reset_at > time.time() + 60
        finally:
            s.pacer.reset()


# -- writes ----------------------------------------------------------------------------------------


def test_bad_vendor_fields_are_refused_with_the_record_and_field_named(sandbox, contract_breaches):
    with procore(sandbox).session() as s:
        before = s.metrics.snapshot()
        with pytest.raises(ProcoreValidationError) as blank:
            s.create_vendor({"name": "  ", "origin_id": "JDE-V-1"})
        with pytest.raises(ProcoreValidationError) as floating:
            s.create_vendor({"name": "Float Co", "notes": 12.5})
        assert s.metrics.since(before).calls == 0  # refused before sending
        with pytest.raises(ProcoreValidationError) as server:
            s.create_vendor(
                {"name": "Bad Email GmbH", "origin_id": "JDE-V-777", "email_address": "not-an-email"}
            )
        with pytest.raises(ProcoreValidationError) as unknown:
            s.create_vendor({"name": "Odd Field Ltd", "shoe_size": "44"})
    assert "name" in blank.value.fields and "origin_id=JDE-V-1" in str(blank.value)
    assert "notes" in floating.value.fields and "Decimal" in str(floating.value)
    assert server.value.status == 422
    assert server.value.fields["email_address"] == ("is invalid",)
    assert "'Bad Email GmbH'" in str(server.value) and "origin_id=JDE-V-777" in str(server.value)
    # A field Procore's vendor model does not have: refused at the door by Procore's contract (406)
    assert unknown.value.status == 406 and "shoe_size" in str(unknown.value)
    assert [b.violation.field for b in contract_breaches.seen()] == ["vendor.shoe_size"]
    assert "\n" not in str(server.value)


@pytest.mark.parametrize("style", ["message", "v2"])
def test_field_messages_are_read_from_every_error_body_style(sandbox, style):
    sandbox.settings(variants={"error_body": style})
    with procore(sandbox).session() as s, pytest.raises(ProcoreValidationError) as error:
        s.create_vendor({"name": "Style Check", "email_address": "nope"})
    assert "email_address" in error.value.fields or "email_address" in str(error.value)


def test_search_then_create_never_duplicates(sandbox):
    vendor = {"name": "Granite Quarry Partners", "origin_id": "JDE-V-424242", "city": "Portland"}
    with procore(sandbox).session() as s:
        assert s.find_adoptable_vendor(origin_id="JDE-V-424242", name=vendor["name"]) is None
        first = s.create_vendor(vendor)
        second = s.find_adoptable_vendor(origin_id="JDE-V-424242", name=vendor["name"])
    assert second is not None and first["id"] == second["id"]
    assert len(sandbox.records("vendors", origin_id="JDE-V-424242")) == 1


def test_a_vendor_made_by_hand_is_found_by_name_and_a_taken_jde_key_is_a_conflict(sandbox):
    with procore(sandbox).session() as s:
        manual = s.create_vendor({"name": "Harbor  Crane Rental"})
        found = s.find_adoptable_vendor(origin_id="JDE-V-515151", name="harbor crane rental")
        assert found is not None and found["id"] == manual["id"]
        s.update_vendor(found["id"], {"origin_id": "JDE-V-515151"})  # the caller ties it to the JDE key
        with pytest.raises(ProcoreConflictError) as taken:
            s.create_vendor({"name": "Another Name", "origin_id": "JDE-V-515151"})
        # Owned by a JDE key now: another key's search by the same name does not return it.
        assert s.find_adoptable_vendor(origin_id="JDE-V-515152", name="Harbor Crane Rental") is None
    assert sandbox.records("vendors", id=manual["id"])[0]["origin_id"] == "JDE-V-515151"
    assert taken.value.status == 409 and "origin_id" in taken.value.fields


class LossyProxy:
    """A real HTTP hop in front of the simulator that forwards every request and, for the creates
    it is told to lose, resets the connection after the simulator has answered: the record exists,
    the client never hears so (what a dropped connection or a proxy timeout does)."""

    PATHS = ("/rest/v1.0/vendors", f"/rest/v1.0/companies/{COMPANY}/vendors/inactive")
    KEEP = ("Authorization", "Procore-Company-Id", "Content-Type", "Accept")
    PASS_BACK = (
        "Content-Type",
        "Total",
        "Per-Page",
        "Link",
        "X-Rate-Limit-Limit",
        "X-Rate-Limit-Remaining",
        "X-Rate-Limit-Reset",
        "Retry-After",
    )

    def __init__(self, server: ScriptedServer, target: str) -> None:
        self.server = server
        self.target = target
        self.lose_posts = 0
        for path in self.PATHS:
            server.route(path, self.forward)

    def forward(self, request: RecordedRequest) -> CannedResponse:
        answer = requests.request(
            request.method,
            self.target + request.path,
            params=[(k, v) for k, values in request.query.items() for v in values],
            headers={k: request.headers[k] for k in self.KEEP if k in request.headers},
            data=request.body,
            timeout=30,
        )
        if request.method == "POST" and self.lose_posts > 0:
            self.lose_posts -= 1
            return CannedResponse(reset=True)
        headers = {k: answer.headers[k] for k in self.PASS_BACK if k in answer.headers}
        return CannedResponse(answer.status_code, answer.content, headers)


def test_a_create_whose_answer_is_lost_is_never_resent_and_the_search_adopts_it(sandbox):
    with ScriptedServer() as server:
        proxy = LossyProxy(server, sandbox.url)
        resource = procore(sandbox, base_url=server.url)  # token from the simulator, API through the proxy
        with resource.session() as s:
            proxy.lose_posts = 1
            with pytest.raises(ProcoreOutcomeUnknownError, match="search for the record"):
                s.create_vendor({"name": "Lost Answer Lumber", "origin_id": "JDE-V-808080"})
            assert len(sandbox.records("vendors", origin_id="JDE-V-808080")) == 1  # it was created

            proxy.lose_posts = 1
            with pytest.raises(ProcoreOutcomeUnknownError):
                s.create_vendor({"name": "Lost Reply Roofing", "origin_id": "JDE-V-909090"})
            # Created by the attempt whose answer was lost: the search finds it.
            found = s.find_adoptable_vendor(origin_id="JDE-V-909090", name="Lost Reply Roofing")
        posts = server.hits("/rest/v1.0/vendors", "POST")
    assert len(posts) == 2  # one per vendor: a POST with a lost answer is not sent again
    assert len(sandbox.records("vendors", origin_id="JDE-V-909090")) == 1
    assert found is not None and found["origin_id"] == "JDE-V-909090"


# -- ping ------------------------------------------------------------------------------------------


def test_ping_proves_credentials_and_read_access_to_every_entity(sandbox):
    detail = procore(sandbox).ping()
    assert f"company {COMPANY}" in detail
    for entity in ProcoreSession.ENTITIES:
        assert entity in detail
    assert f"{len(sandbox.permitted_projects())} permitted project(s)" in detail


def test_ping_fails_clearly_on_bad_credentials_and_an_uninstalled_company(sandbox):
    with pytest.raises(ProcoreAuthError) as bad:
        procore(sandbox, client_secret="wrong-secret-value").ping()
    assert CLIENT_ID in str(bad.value) and "401" in str(bad.value)
    assert "wrong-secret-value" not in str(bad.value)
    with pytest.raises(ProcorePermissionError, match="App is not connected to this company"):
        procore(sandbox, company_id=str(OTHER_COMPANY)).ping()


def test_the_registered_ping_is_built_from_settings(sandbox, monkeypatch):
    monkeypatch.setenv("ML_PROCORE_URL", sandbox.url)
    monkeypatch.setenv("ML_PROCORE_AUTH_URL", sandbox.url)
    register_procore_ping()
    [ok] = ping_registry.run_pings(["procore"])
    assert ok.ok, ok.detail
    monkeypatch.setenv("ML_PROCORE_CLIENT_SECRET", "a-wrong-secret-for-ping")
    [failed] = ping_registry.run_pings(["procore"])
    assert not failed.ok and "ProcoreAuthError" in failed.detail
    assert "a-wrong-secret-for-ping" not in failed.detail


# -- secrets ---------------------------------------------------------------------------------------


def test_secrets_never_reach_logs_errors_or_returned_hooks(sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    errors: list[str] = []
    with procore(sandbox, page_size=5).session() as s:
        token = s._auth.token.value
        rows = s.iter_changed("vendors", *HISTORY)
        next(rows)
        sandbox.admin("POST", "tokens/expire")
        list(rows)
        renewed = s._auth.token.value
        hook = s.webhooks.ensure_hook("ml-connector-secrets", "http://127.0.0.1:9/never")
        try:
            s.create_vendor({"name": "Bad Email Again", "email_address": f"x{HOOK_TOKEN}"})
        except ProcoreValidationError as exc:
            errors.append(str(exc))
        s.webhooks.delete_hook(hook.id)
    try:
        procore(sandbox, client_secret="another-wrong-secret").ping()
    except ProcoreAuthError as exc:
        errors.append(str(exc))
    text = caplog.text + " ".join(errors) + repr(hook)
    assert caplog.records  # there was logging to inspect
    for secret in (CLIENT_SECRET, token, renewed, HOOK_TOKEN, "another-wrong-secret"):
        assert secret not in text
    assert hook.hook["destination_headers"] == {"Authorization": "***"}


def test_a_company_whose_projects_all_refuse_raises_instead_of_reading_nothing(sandbox):
    sandbox.admin("POST", f"companies/{COMPANY}/connection", json={"connected": False})
    projects = ",".join(str(p) for p in sorted(sandbox.permitted_projects()))
    try:
        with pytest.raises(ProcorePermissionError, match="App is not connected to this company"):
            resource = procore(sandbox, project_ids=projects)
            with resource.session() as s:
                list(s.iter_changed("requisitions", *HISTORY))
    finally:
        sandbox.admin("POST", f"companies/{COMPANY}/connection", json={"connected": True})
