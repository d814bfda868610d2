"""The Coupa client against the Coupa simulator over loopback: tokens, change windows, ping, secrets.

No mocks: a real ``CoupaResource`` talks HTTP to ``connector_sandbox.coupa`` (see
``test_coupa_support`` for how the simulator is driven). Expected results come from the simulator's
own stored records (``/sandbox/records``), never from the client.
"""

# Fixtures are imported from test_coupa_support by name, and pytest passes them back as parameters.
# ruff: noqa: F811

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import pydantic
import pytest
from coupa_support import (  # noqa: F401  (fixtures are used by name)
    CLIENT_ID,
    CLIENT_SECRET,
    CoupaBox,
    _fresh_state,
    box,
    coupa,
    parse_time,
)
from dagster import MaterializeResult, asset, materialize
from http_server import closed_port
from instances import instance_for_test

from connector_resources import ping as ping_registry
from connector_resources.coupa import (
    ALL_SCOPES,
    FLOW_SCOPES,
    READ_SCOPES,
    CoupaAmbiguousMatchError,
    CoupaAuthError,
    CoupaError,
    CoupaInputError,
    CoupaResource,
    CoupaScopeError,
    CoupaSession,
    CoupaUnavailableError,
    register_coupa_ping,
    shared_oauth,
)

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def later() -> datetime:
    return datetime.now(UTC) + timedelta(days=2)


def window_for(box: CoupaBox, entity: str) -> tuple[datetime, datetime]:
    """From the first quarter of the records' change times to the latest one (excluded, so the
    exclusive end is exercised); one second wide when every record shares one time."""
    times = sorted(parse_time(r["updated-at"]) for r in box.records(entity))
    start, end = times[len(times) // 4], times[-1]
    return (start, end) if end > start else (start, start + timedelta(seconds=1))


# -- tokens and scopes -----------------------------------------------------------------------------


def test_one_token_serves_every_session_each_calling_only_its_own_scopes(box):
    """Every session's token carries the configured scopes, so a backfill of several flows mints one token
    and waits one warm-up; each session still calls only what its own scopes allow."""
    resource = coupa(box)
    before = box.tokens_minted()
    with resource.session() as first:
        first.search("suppliers", {}, limit=1)
    with resource.session() as second:
        second.search("suppliers", {}, limit=1)
        assert second.scopes == READ_SCOPES
    assert box.tokens_minted() == before + 1

    with resource.session(flow="mapping") as mapping:
        assert mapping.scopes == FLOW_SCOPES["mapping"]
        assert mapping.search("accounts", {}, limit=1)
        calls = mapping.metrics.calls
        with pytest.raises(CoupaScopeError, match=r"read invoices needs scope core\.invoice\.read"):
            mapping.search("invoices", {}, limit=1)
        assert mapping.metrics.calls == calls  # refused here, nothing sent
    with resource.session(flow="invoices") as invoices:
        assert invoices.search("invoices", {}, limit=1)
    assert box.tokens_minted() == before + 1  # another flow, the same token


def test_a_configured_scope_coupa_does_not_grant_leaves_each_session_its_own_token(box, caplog):
    """A scope in the setting the client was not granted: Coupa refuses the whole set, so each session asks
    for its own scopes, as before tokens were shared, and the flows the client can serve keep working."""
    caplog.set_level(logging.WARNING)
    resource = coupa(box, scopes=" ".join((*READ_SCOPES, "core.expense.read")))
    before = box.tokens_minted()
    with resource.session(flow="mapping") as mapping:
        assert mapping.search("accounts", {}, limit=1)
    with resource.session(flow="mapping") as again:
        assert again.search("accounts", {}, limit=1)
    assert box.tokens_minted() == before + 1  # the refused set once, then the flow's own token, kept
    assert "refused the configured scope set" in caplog.text and "core.expense.read" in caplog.text


def test_a_flow_needing_scopes_the_resource_does_not_hold_fails_before_any_token_request(box):
    resource = coupa(box, scopes="core.common.read, core.supplier.read")  # as Coupa's UI lists them
    before = box.tokens_minted()
    with pytest.raises(CoupaScopeError, match=r"core\.invoice\.write") as caught:
        resource.open_session(flow="invoices")
    assert "core.invoice.write" in caught.value.missing
    assert box.tokens_minted() == before
    with resource.session() as session:  # the default session asks for the reads it may do
        assert session.scopes == ("core.common.read", "core.supplier.read")
        assert session.search("suppliers", {}, limit=1)


@pytest.mark.parametrize("workers", [1, 4])
def test_a_token_expiring_mid_read_is_renewed_once_and_no_row_is_lost_or_doubled(box, workers):
    end = later()
    expected = box.changed_ids("invoices", EPOCH, end)
    with coupa(box, page_size=10).session() as session:
        minted = box.tokens_minted()
        rows = session.iter_changed("invoices", EPOCH, end, workers=workers)
        ids = [next(rows)["id"] for _ in range(35)]
        box.admin("POST", "tokens/expire")
        ids += [row["id"] for row in rows]
    assert len(ids) == len(set(ids)) == len(expected)
    assert set(ids) == expected
    assert box.tokens_minted() == minted + 1
    assert session.metrics.reauths >= 1
    assert session.metrics.statuses[401] == session.metrics.reauths


def test_a_token_is_renewed_before_it_expires_so_no_call_meets_a_401(box):
    box.faults(token_lifetime_seconds=2)
    with coupa(box).session() as session:
        minted = box.tokens_minted()
        time.sleep(1.1)  # past half the lifetime: TokenAuth renews early for short-lived tokens
        session.search("suppliers", {}, limit=1)
    assert box.tokens_minted() == minted + 1
    assert session.metrics.statuses[401] == 0


def test_a_new_token_waits_out_coupas_warm_up_instead_of_failing(box):
    box.faults(token_warmup_seconds=0.6, token_warmup_failure_rate=1.0)
    started = time.monotonic()
    with coupa(box, token_warmup_seconds=0.6).session() as session:
        assert session.search("suppliers", {}, limit=1)
    assert time.monotonic() - started >= 0.6
    assert session.metrics.statuses[401] == 0


def test_a_403_for_a_scope_the_instance_wants_names_that_scope(box):
    # An instance that files invoices under another scope family than the client asks for.
    box.settings(resource_scopes={"invoices": "core.payables.invoice"})
    with coupa(box).session() as session, pytest.raises(CoupaScopeError) as caught:
        list(session.iter_changed("invoices", EPOCH, later()))
    assert caught.value.status == 403
    assert "core.invoice.read" in str(caught.value) and "core.payables.invoice" in str(caught.value)


def test_a_scope_miss_answered_with_401_is_reported_as_a_scope_error_after_one_renewal(box):
    box.settings(resource_scopes={"invoices": "core.payables.invoice"}, scope_denied_status=401)
    with coupa(box).session() as session, pytest.raises(CoupaScopeError, match="scope") as caught:
        session.search("invoices", {}, limit=1)
    assert caught.value.status == 401
    assert session.metrics.reauths == 1


# -- change windows ---------------------------------------------------------------------------------


@pytest.mark.parametrize("entity", list(CoupaSession.ENTITIES))
def test_iter_changed_equals_the_simulators_records_and_costs_one_call_per_page(box, entity):
    start, end = window_for(box, entity)
    expected = box.changed_ids(entity, start, end)
    with coupa(box, page_size=10).session() as session:
        before, pages_before = session.metrics.calls, session.pages
        rows = list(session.iter_changed(entity, start, end, workers=1))
        calls, pages = session.metrics.calls - before, session.pages - pages_before
        parallel = [r["id"] for r in session.iter_changed(entity, start, end, workers=4)]
    ids = [r["id"] for r in rows]
    assert expected and sorted(ids) == sorted(expected)
    assert ids == sorted(ids)  # id order, one id once
    assert calls == pages == len(expected) // 10 + 1
    for row in rows:
        assert row["_updated_at"] == parse_time(row[CoupaSession.ENTITIES[entity]])
        assert row["_updated_at"].tzinfo is UTC and start <= row["_updated_at"] < end
    assert sorted(parallel) == sorted(expected)


def test_a_quiet_window_costs_one_call_per_entity(box):
    with coupa(box).session() as session:
        for entity in CoupaSession.ENTITIES:
            before = session.metrics.calls
            assert list(session.iter_changed(entity, EPOCH, EPOCH + timedelta(days=1))) == []
            assert session.metrics.calls - before == 1, entity
        before = session.metrics.calls
        assert list(session.iter_changed("invoices", EPOCH, EPOCH)) == []  # empty window: no call
        assert session.metrics.calls == before


def test_records_sharing_one_timestamp_over_several_pages_are_all_read_and_bounds_are_exact(box):
    tie, count = box.tied_time("invoices")
    assert count > 10  # the seeded mass update: ties spanning pages
    second = timedelta(seconds=1)
    half = timedelta(milliseconds=500)
    with coupa(box, page_size=5).session() as session:
        exact = [r["id"] for r in session.iter_changed("invoices", tie, tie + second, workers=1)]
        before = [r["_updated_at"] for r in session.iter_changed("invoices", tie - timedelta(hours=1), tie)]
        around = list(session.iter_changed("invoices", tie - half, tie + half, workers=4))
        after_tie = list(session.iter_changed("invoices", tie + half, tie + second))
    assert len(exact) == len(set(exact)) == count
    assert set(exact) == box.changed_ids("invoices", tie, tie + second)
    assert tie not in before  # the end is exclusive
    assert len(around) == count  # fractional bounds are honoured exactly
    assert after_tie == []


def test_records_changing_during_a_read_of_an_open_window_are_read_once_and_none_is_skipped(box):
    stable = {r["id"] for r in box.records("invoices")}
    with coupa(box, page_size=10).session() as session:
        rows = session.iter_changed("invoices", EPOCH, later(), workers=1)
        ids = [next(rows)["id"] for _ in range(25)]
        made = box.admin("POST", "activity", json={"updated_invoices": 12, "new_invoices": 3}).json()
        ids += [row["id"] for row in rows]
    assert len(ids) == len(set(ids))
    assert stable <= set(ids)  # nothing shifted out of reach
    assert len(set(ids) - stable) == 3, made  # the new ones have higher ids: read too


@pytest.mark.parametrize("workers", [4, 20])
def test_a_parallel_read_gives_the_sequential_order_and_loses_or_doubles_nothing_mid_change(box, workers):
    stable = {r["id"] for r in box.records("invoices")}
    with coupa(box, page_size=5).session() as session:
        sequential = [r["id"] for r in session.iter_changed("invoices", EPOCH, later(), workers=1)]
        before = session.metrics.calls
        parallel = [r["id"] for r in session.iter_changed("invoices", EPOCH, later(), workers=workers)]
        parallel_calls = session.metrics.calls - before
        # A closed window read while users change records: the changed ones leave the window (their
        # new updated-at is after its end: the next window has them), the others must all come once.
        rows = session.iter_changed("invoices", EPOCH, datetime.now(UTC), workers=workers)
        ids = [next(rows)["id"] for _ in range(25)]
        made = box.admin("POST", "activity", json={"updated_invoices": 12, "new_invoices": 3}).json()
        ids += [row["id"] for row in rows]
    assert parallel == sequential == sorted(stable)  # every record once, in the same (id) order
    assert parallel_calls <= 2 * (len(stable) // 5 + 1)  # at most one extra call per page-sized range
    assert len(ids) == len(set(ids)) and ids == sorted(ids)
    assert stable - set(made["updated"]["invoices"]) <= set(ids)  # nothing shifted out of reach


def test_filters_and_field_trimming_pass_through_and_keep_id_and_updated_at(box):
    end = later()
    wanted = {
        r["id"]
        for r in box.records("invoices")
        if r["status"] in ("approved", "voided") and r["exported"] is False
    }
    with coupa(box).session() as session:
        rows = list(
            session.iter_changed(
                "invoices",
                EPOCH,
                end,
                filters={"status[in]": ["approved", "voided"], "exported": False},
                fields=["invoice-number", "status"],
            )
        )
    assert {r["id"] for r in rows} == wanted and wanted
    assert all(set(r) <= {"id", "updated-at", "invoice-number", "status", "_updated_at"} for r in rows)


def test_records_are_looked_up_by_a_list_of_keys_fifty_to_a_call(box):
    """``number[in]`` / ``id[in]`` (reference §2.2): one call per 49 keys (a short page is the last), never
    one GET per record."""
    suppliers = [s for s in box.records("suppliers") if s.get("number")][:60]
    numbers = [s["number"] for s in suppliers]
    numbers += [f"no-such-supplier-{n}" for n in range(61 - len(numbers))]  # 61 keys: two calls
    invoices = box.records("invoices")[:70]
    with coupa(box).session() as session:
        before = session.metrics.calls
        found = list(session.iter_in("suppliers", "number", numbers))
        by_number = session.metrics.calls - before
        before = session.metrics.calls
        by_id = list(session.iter_in("invoices", "id", [i["id"] for i in invoices], fields=["status"]))
        id_calls = session.metrics.calls - before
        with pytest.raises(CoupaInputError, match="paging or change window"):
            list(session.iter_in("invoices", "updated_at[gt]", ["x"]))
    assert sorted(s["id"] for s in found) == sorted(s["id"] for s in suppliers) and suppliers
    assert by_number == 2  # 61 numbers: 49 + 12, each one short page
    assert sorted(r["id"] for r in by_id) == sorted(i["id"] for i in invoices)
    assert id_calls == 2  # 70 ids: 49 + 21
    assert all(set(r) <= {"id", "updated-at", "status", "_updated_at"} for r in by_id)


def test_records_created_in_a_window_are_listed_with_exact_bounds(box):
    invoices = box.records("invoices")
    times = sorted(parse_time(r["created-at"]) for r in invoices)
    start, end = times[len(times) // 3], times[2 * len(times) // 3]
    expected = {r["id"] for r in invoices if start <= parse_time(r["created-at"]) < end}
    with coupa(box).session() as session:
        rows = list(session.iter_created("invoices", start, end, fields=["invoice-number"]))
        assert list(session.iter_created("invoices", end, end)) == []
    assert {r["id"] for r in rows} == expected and expected


def test_page_size_above_coupas_cap_is_refused_and_no_request_asks_for_more_than_50(box):
    with pytest.raises(pydantic.ValidationError, match="page_size"):
        coupa(box, page_size=51)
    box.settings(limit_over_cap="error")  # a limit above 50 would now be a 400
    with coupa(box).session() as session:
        before = session.metrics.calls  # the token request
        rows = list(session.iter_changed("lookup_values", EPOCH, later(), workers=1))
        calls = session.metrics.calls - before
    assert len(rows) == len(box.records("lookup_values"))
    assert calls == len(rows) // 50 + 1


def test_bad_windows_and_filters_are_refused_naming_the_field(box):
    with coupa(box).session() as session:
        token_call = session.metrics.calls
        with pytest.raises(CoupaInputError, match="start .* has no time zone") as naive:
            session.iter_changed("invoices", datetime(2025, 1, 1), later())
        assert naive.value.field == "start"
        with pytest.raises(CoupaInputError, match="is after end"):
            session.iter_changed("invoices", later(), EPOCH)
        with pytest.raises(CoupaInputError, match="unknown Coupa entity 'vouchers'"):
            session.iter_changed("vouchers", EPOCH, later())
        with pytest.raises(CoupaInputError, match="updated_at"):
            session.iter_changed("invoices", EPOCH, later(), filters={"updated_at[gt]": EPOCH})
        assert session.metrics.calls == token_call  # refused before sending


# -- mapping reads --------------------------------------------------------------------------------------


def test_accounts_and_lookup_values_are_read_whole_and_found_by_their_keys(box):
    inactive = {r["id"] for r in box.records("accounts") if r["active"] is False}
    values = box.records("lookup_values")
    with coupa(box, page_size=20).session(flow="mapping") as session:
        rows = list(session.iter_all("accounts", filters={"active": False}))
        assert {r["id"] for r in rows} == inactive and inactive
        assert all(r["_updated_at"].tzinfo is UTC for r in rows)
        assert sum(1 for _ in session.iter_all("lookup_values")) == len(values)

        account = rows[0]
        chart = account["account-type"]["name"]
        assert session.find_account(account["code"], account_type=chart)["id"] == account["id"]
        assert (
            session.find_account(account["code"], account_type=account["account-type"]["id"])["id"]
            == account["id"]
        )
        assert session.find_account("99999-9999-9999") is None

        leaf = next(v for v in values if v["depth"] == 3)
        lookup = leaf["lookup"]["name"]
        found = session.find_lookup_value(lookup, external_ref_code=leaf["external-ref-code"])
        assert found is not None and found["id"] == leaf["id"]
        # A GL number repeats under every cost center: by number alone the answer would be a guess.
        with pytest.raises(CoupaAmbiguousMatchError, match=f"lookup value '{leaf['external-ref-num']}'"):
            session.find_lookup_value(lookup, external_ref_num=leaf["external-ref-num"])


# -- ping --------------------------------------------------------------------------------------------


def test_ping_proves_token_and_read_access_to_every_entity(box):
    detail = coupa(box).ping()
    assert f"client {CLIENT_ID}" in detail
    assert "call-outs taken by basic" in detail  # the variant Coupa documents first, unless set otherwise
    for entity in CoupaSession.ENTITIES:
        assert entity in detail


def test_the_registered_ping_builds_the_resource_from_settings(box, monkeypatch):
    monkeypatch.setenv("ML_COUPA_URL", box.url)
    monkeypatch.setenv("ML_COUPA_CLIENT_SECRET", CLIENT_SECRET)
    register_coupa_ping(token_warmup_seconds=0)
    [result] = ping_registry.run_pings(["coupa"])
    assert result.ok, result.detail
    assert box.url in result.detail and CLIENT_SECRET not in result.detail


def test_ping_with_a_wrong_secret_says_so_without_the_secret(box, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = "Wr0ng-secret-7f3a9c"
    with pytest.raises(CoupaAuthError, match="Check the client id and secret") as caught:
        coupa(box, client_secret=wrong).ping()
    assert caught.value.status == 401
    assert wrong not in str(caught.value) and wrong not in caplog.text


def test_ping_names_scopes_the_client_was_not_granted(box):
    resource = coupa(box, scopes="core.common.read core.supplier.read core.expense.read")
    with pytest.raises(CoupaScopeError, match=r"refused the scopes .*core\.expense\.read"):
        resource.ping()


def test_ping_names_each_entity_it_cannot_read(box):
    box.settings(resource_scopes={"payments": "core.payables.payments"})
    with pytest.raises(CoupaError, match=r"1 of 6 entities cannot be read: payments: .*403"):
        coupa(box).ping()


def test_ping_of_an_unreachable_instance_fails_clearly():
    with pytest.raises(CoupaUnavailableError, match="could not get an access token .*Connection refused"):
        CoupaResource(
            base_url=f"http://127.0.0.1:{closed_port()}",
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            max_attempts=2,
            backoff_base=0.01,
            token_warmup_seconds=0,
        ).ping()


# -- secrets -------------------------------------------------------------------------------------------


def test_no_secret_or_token_reaches_logs_errors_or_metadata(box, caplog):
    caplog.set_level(logging.DEBUG)
    box.settings(unauthorized_body="text")
    resource = coupa(box, page_size=10)
    errors: list[str] = []
    with resource.session() as session:
        rows = session.iter_changed("invoices", EPOCH, later(), workers=1)
        next(rows)
        box.admin("POST", "tokens/expire")
        list(rows)
        metadata = str(session.metrics.as_metadata())
        box.admin("POST", "tokens/revoke")
        box.faults(fail_next=2, fail_next_status=500)
        list(session.iter_changed("suppliers", EPOCH, later()))
    token = shared_oauth(box.url, CLIENT_ID, CLIENT_SECRET, ALL_SCOPES, warmup_seconds=0).token
    assert token is not None and len(token.value) > 1000  # Coupa's long JWTs
    for bad in ("Wr0ng-A-123456", "Wr0ng-B-654321"):
        try:
            coupa(box, client_secret=bad).ping()
        except CoupaError as exc:
            errors.append(f"{exc!s} {exc!r}")
    assert len(errors) == 2
    text = "\n".join([caplog.text, metadata, *errors])
    for secret in (CLIENT_SECRET, token.value, "Wr0ng-A-123456", "Wr0ng-B-654321"):
        assert secret not in text
    assert "re-authenticating" in caplog.text  # the logs did record the renewal


@asset
def coupa_invoices_changed(coupa: CoupaResource) -> MaterializeResult:
    with coupa.session() as session:
        count = sum(1 for _ in session.iter_changed("invoices", EPOCH, later()))
        return MaterializeResult(metadata={"rows": count, **session.metrics.as_metadata()})


def test_the_resource_runs_inside_dagster_with_the_secret_from_an_env_var(box, monkeypatch):
    monkeypatch.setenv("ML_COUPA_URL", box.url)
    monkeypatch.setenv("ML_COUPA_CLIENT_SECRET", CLIENT_SECRET)
    resource = CoupaResource.from_settings(token_warmup_seconds=0, rate_per_second=0)

    with instance_for_test() as instance:
        result = materialize([coupa_invoices_changed], resources={"coupa": resource}, instance=instance)
        assert result.success
        [materialization] = result.asset_materializations_for_node("coupa_invoices_changed")
        assert materialization.metadata["rows"].value == len(box.records("invoices"))
        run = instance.get_run_by_id(result.run_id)
        assert CLIENT_SECRET not in str(run.run_config)
