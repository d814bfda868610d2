"""What Dagster shows for a flow's day must be that day's truth.

A write step whose records failed used to show green ("create=0 skip=2 fail=13" -> Materialized), a
backfill of N days was one run whose every day showed the range's total, and a target that was down for
the whole day produced a green step that had tried (and queued) every record. Now: one run per day for
the flow assets, a check on every ``_written`` asset that fails on the day's failed or long-held records
with the reasons counted, the step itself failing when the target answered none of the day's writes,
and every run tagged with its integration and flow. A backfill's range runs as one run
that keeps each of these per day.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
import requests
from dagster import AssetCheckSeverity, AssetKey, materialize
from instances import instance_for_test
from jde_coupa_parts import SUPPLIERS_FLOW, jde_coupa_assets
from jde_coupa_world import jde_coupa_world

from connector_assets.definitions import defs
from connector_assets.flows.assets import UNREACHABLE_AFTER
from connector_assets.flows.core import Rejected, queue_failure
from connector_assets.flows.written_check import CHECK, check_result, queue_of
from connector_assets.jde.assets import jde_assets
from connector_resources.ledger import Ledger
from connector_resources.settings import SettingError

DAY = (date.today() - timedelta(days=21)).isoformat()  # the JDE sandbox's mass-update day: busy
CHAIN = ("jde/suppliers", "jde/address_book", "jde_coupa/suppliers_mapped", "jde_coupa/suppliers_written")
WRITTEN = "jde_coupa/suppliers_written"
VERDICT = "jde_coupa/suppliers_verdict"


def _assets(*names):
    return [a for a in [*jde_assets, *jde_coupa_assets] if a.key.to_user_string() in names]


def _run(resources, *names, instance=None):
    def go(instance):
        result = materialize(
            _assets(*names), resources=resources, instance=instance, partition_key=DAY, raise_on_error=False
        )
        tags = instance.get_run_by_id(result.run_id).tags
        return result, tags

    if instance is not None:
        return go(instance)
    with instance_for_test() as fresh:
        return go(fresh)


def _written_metadata(result):
    [event] = [
        e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == WRITTEN
    ]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def _check(result):
    [evaluation] = [e for e in result.get_asset_check_evaluations() if e.check_name == CHECK]
    return evaluation


def _warm_token(resources):
    """Mint the flow's token first, so the faults that follow fall on the writes, not the login."""
    with resources["coupa"].session(flow="suppliers") as session:
        session.search("suppliers", {"number": "0"}, limit=1)


@pytest.fixture
def world(tmp_path):
    with jde_coupa_world(tmp_path) as world:
        yield world


def test_every_flow_asset_shares_one_run_with_its_sources_in_a_backfill():
    """A backfill runs each flow asset (map, write, marks, inbox) once over its range, under the source
    reads' own policy, so they share that one run: each day keeps its result (next test)."""
    graph = defs.resolve_asset_graph()
    flow_assets = [
        graph.get(key)
        for key in graph.executable_asset_keys
        if graph.get(key).partitions_def is not None
        and key.to_user_string().endswith(("_mapped", "_written", "_marked_exported", "_inbox_done"))
    ]
    assert len(flow_assets) >= 9
    sources = graph.get(AssetKey(["jde", "suppliers"])).backfill_policy
    for node in flow_assets:
        policy = node.backfill_policy
        assert policy is not None and policy.max_partitions_per_run is None, node.key.to_user_string()
        assert policy == sources, node.key.to_user_string()


def test_a_range_that_passes_materializes_each_day_once_and_runs_what_is_downstream(world):
    """Every day passed: each day of the write step materialized once, with its own figures, and the steps
    downstream (a purchase-order flow after the suppliers) run in the same run, not skipped."""
    from dagster import AssetExecutionContext, BackfillPolicy, asset

    [written_asset] = _assets(WRITTEN)
    days = [(date.fromisoformat(DAY) + timedelta(days=n)).isoformat() for n in (-1, 0, 1)]

    @asset(
        key=["test", "after_suppliers"],
        deps=[written_asset.key],
        partitions_def=written_asset.partitions_def,
        backfill_policy=BackfillPolicy.single_run(),
    )
    def after_suppliers(context: AssetExecutionContext) -> None:
        context.log.info(f"ran for {context.partition_keys}")

    tags = {"dagster/asset_partition_range_start": days[0], "dagster/asset_partition_range_end": days[-1]}
    with instance_for_test() as instance:
        result = materialize(
            [*_assets(*CHAIN), after_suppliers], resources=world.resources, instance=instance, tags=tags
        )
    assert result.success
    by_asset: dict[str, list] = {}
    for event in result.get_asset_materialization_events():
        by_asset.setdefault(event.asset_key.to_user_string(), []).append(event)
    assert sorted(e.partition for e in by_asset[WRITTEN]) == days  # once each
    assert sorted(e.partition for e in by_asset["test/after_suppliers"]) == days  # not skipped
    for event in by_asset[WRITTEN]:
        staged = list(
            world.resources["staging"].read_rows(AssetKey(["jde_coupa", "suppliers_mapped"]), event.partition)
        )
        assert event.materialization.metadata["records"].value == len(staged), event.partition


def test_a_range_keeps_each_days_truth_when_one_day_fails(world):
    """One run over three days whose middle day looks systemic (most of its records refused at mapping):
    every day is written and materialized with its own figures (the steps after the write run for the
    range), the bad day's check fails, and the verdict step fails naming only that day, its other days
    materialized: a rerun from failure takes the bad day's verdict alone."""
    days = [(date.fromisoformat(DAY) + timedelta(days=n)).isoformat() for n in (-1, 0, 1)]
    bad = days[1]
    for n in range(SUPPLIERS_FLOW.systemic_min * 2):  # refused at mapping by an earlier run of the day
        queue_failure(
            SUPPLIERS_FLOW,
            world.ledger,
            Rejected(f"99{n:03d}", f"supplier 99{n:03d}: payment terms X not mapped", {}),
            run_id="run-0",
            partition=bad,
        )
    tags = {"dagster/asset_partition_range_start": days[0], "dagster/asset_partition_range_end": days[-1]}
    with instance_for_test() as instance:
        result = materialize(
            _assets(*CHAIN, VERDICT),
            resources=world.resources,
            instance=instance,
            tags=tags,
            raise_on_error=False,
        )
        assert not result.success
        [failure] = result.get_step_failure_events()
        assert failure.step_key == "jde_coupa__suppliers_verdict"
        message = failure.step_failure_data.error.to_string()
        assert "1 of 3 day(s) look systemic" in message and bad in message
        assert "payment terms X not mapped" in message
        assert not any(day in message for day in (days[0], days[2]))
        written = {
            e.partition: {k: v.value for k, v in e.materialization.metadata.items()}
            for e in result.get_asset_materialization_events()
            if e.asset_key.to_user_string() == WRITTEN
        }
        assert sorted(written) == days
        for day in days:
            staged = list(
                world.resources["staging"].read_rows(AssetKey(["jde_coupa", "suppliers_mapped"]), day)
            )
            assert written[day]["records"] == len(staged), (day, written[day])
        checks = {
            e.partition: e.passed for e in result.get_asset_check_evaluations() if e.check_name == CHECK
        }
        assert checks == {days[0]: True, bad: False, days[2]: True, None: False}
        # What the UI shows: every day's write MATERIALIZED, the bad day's verdict FAILED.
        assert instance.get_materialized_partitions(AssetKey(["jde_coupa", "suppliers_written"])) == set(days)
        verdicts = instance.get_materialized_partitions(AssetKey(["jde_coupa", "suppliers_verdict"]))
        assert verdicts == {days[0], days[2]}


def test_a_clean_day_passes_with_its_own_figures_and_tags(world):
    result, tags = _run(world.resources, *CHAIN)
    assert result.success
    check = _check(result)
    assert check.passed
    written = _written_metadata(result)
    staged = list(world.resources["staging"].read_rows(AssetKey(["jde", "suppliers"]), DAY))
    assert written["records"] == written["create"] + written["adopt"] == len(staged) > 0
    assert written["dagster/row_count"] == len(staged)
    assert written["queued_failed"] == written["queued_held"] == 0
    # Each create is a search then a POST (plus the token): the day's own calls, not a process total.
    assert 2 * len(staged) <= written["api_calls"] <= 4 * len(staged) + 5
    assert tags["ml/integration"] == "jde_coupa" and tags["ml/flow"] == "suppliers"
    # The write observed the target side for the day: Coupa holds the day's suppliers.
    [observed] = result.get_asset_observation_events()
    assert observed.asset_key.to_user_string() == "jde_coupa/suppliers_in_coupa"
    assert observed.event_specific_data.asset_observation.partition == DAY
    assert observed.event_specific_data.asset_observation.metadata["records_in_target"].value == len(staged)


def test_lineage_reads_source_mapped_written_target_reconciliation():
    graph = defs.resolve_asset_graph()

    def parents(name):
        return {k.to_user_string() for k in graph.get(AssetKey.from_user_string(name)).parent_keys}

    assert {"jde/suppliers", "jde/address_book"} <= parents("jde_coupa/suppliers_mapped")
    assert parents("jde_coupa/suppliers_written") == {"jde_coupa/suppliers_mapped"}
    assert parents("jde_coupa/suppliers_in_coupa") == {"jde_coupa/suppliers_written"}
    assert not graph.get(AssetKey(["jde_coupa", "suppliers_in_coupa"])).is_executable  # Coupa owns it
    assert {f"jde_coupa/{f}_in_coupa" for f in ("suppliers", "purchase_orders", "invoices")} == parents(
        "jde_coupa/reconciliation"
    )
    assert parents("coupa_jde/invoices_in_jde") == {"coupa_jde/invoices_written"}


def test_a_day_whose_records_failed_is_green_no_more(world):
    resources = world.resources
    assert _run(resources, "jde/suppliers", "jde/address_book", "jde_coupa/suppliers_mapped")[0].success
    _warm_token(resources)
    # Coupa refuses every write with a 400: a per-record refusal (not an outage), so the step tries every
    # record and succeeds, and the check must say the day did not reach Coupa.
    requests.post(
        f"{world.coupa_url}/sandbox/faults", json={"fail_next": 10_000, "fail_next_status": 400}, timeout=10
    )
    result, _tags = _run(resources, WRITTEN)
    assert result.success
    written = _written_metadata(result)
    assert written["fail"] == written["records"] > 0
    assert written["queued_failed"] == written["fail"] and written["dagster/row_count"] == 0
    check = _check(result)
    assert not check.passed and check.severity == AssetCheckSeverity.ERROR
    metadata = {k: v.value for k, v in check.metadata.items()}
    assert metadata["failed"] == written["fail"]
    # One cause, counted once with its number of records, not listed record by record.
    lines = [line for line in metadata["reasons"].splitlines() if line.startswith("- ")]
    assert len(lines) == 1 and lines[0].startswith(f"- {written['fail']} x ")


@pytest.fixture
def busy_world(tmp_path):
    with jde_coupa_world(tmp_path, jde_scale=0.1) as world:  # enough suppliers on the day to give up early
        yield world


def test_a_target_down_for_the_whole_day_fails_the_step_and_loses_nothing(busy_world):
    world = busy_world
    resources = world.resources
    assert _run(resources, "jde/suppliers", "jde/address_book", "jde_coupa/suppliers_mapped")[0].success
    staged = list(resources["staging"].read_rows(AssetKey(["jde_coupa", "suppliers_mapped"]), DAY))
    assert len(staged) > UNREACHABLE_AFTER
    _warm_token(resources)
    requests.post(
        f"{world.coupa_url}/sandbox/faults", json={"fail_next": 10_000, "fail_next_status": 503}, timeout=10
    )
    before = requests.get(f"{world.coupa_url}/sandbox/faults", timeout=10).json()["fail_next"]
    result, _tags = _run(resources, WRITTEN)
    assert not result.success
    [failure] = result.get_step_failure_events()
    message = failure.step_failure_data.error.to_string()
    assert "answered none of the" in message and DAY in message and "retry queue" in message
    # It gave up after UNREACHABLE_AFTER records (each with the client's own retries), not all of them.
    after = requests.get(f"{world.coupa_url}/sandbox/faults", timeout=10).json()["fail_next"]
    assert before - after < len(staged) * 2
    # Nothing lost: every record of the day is in the retry queue, the untried ones saying so.
    queued = world.ledger.open_items(integration="jde_coupa", flow="suppliers", status="failed")
    assert sorted(i.source_key for i in queued) == sorted(r["source_key"] for r in staged)
    assert sum("not sent" in i.reason for i in queued) == len(staged) - UNREACHABLE_AFTER
    # Coupa back: the same day rerun writes every record once and the check is green.
    requests.post(f"{world.coupa_url}/sandbox/faults/reset", timeout=10)
    requests.post(f"{world.coupa_url}/sandbox/faults", json={"rate_limit_enabled": False}, timeout=10)
    again, _tags = _run(resources, WRITTEN)
    assert again.success
    written = _written_metadata(again)
    assert written["records"] == len(staged) and written["create"] + written["adopt"] > UNREACHABLE_AFTER
    # What is still queued is what the data refuses (the sandbox's natural-key clashes), not the outage,
    # and the check counts exactly that.
    left = world.ledger.open_items(integration="jde_coupa", flow="suppliers")
    assert not any("did not answer" in i.reason for i in left)
    assert written["queued_failed"] == len(left) == written["fail"]
    assert _check(again).passed is (not left)


def test_a_range_whose_target_goes_down_fails_that_day_and_leaves_the_later_days_unsent(busy_world):
    """Coupa down from the range's first day: that day fails as unreachable, the later days are not sent
    (retrying an outage day after day costs minutes each) and fail naming the day that stopped them; no day
    is materialized, so a rerun from failure sends them all."""
    world = busy_world
    resources = world.resources
    days = [(date.fromisoformat(DAY) + timedelta(days=n)).isoformat() for n in (0, 1, 2)]
    tags = {"dagster/asset_partition_range_start": days[0], "dagster/asset_partition_range_end": days[-1]}
    with instance_for_test() as instance:
        sources = _assets("jde/suppliers", "jde/address_book", "jde_coupa/suppliers_mapped")
        assert materialize(sources, resources=resources, instance=instance, tags=tags).success
        _warm_token(resources)
        requests.post(
            f"{world.coupa_url}/sandbox/faults",
            json={"fail_next": 10_000, "fail_next_status": 503},
            timeout=10,
        )
        result = materialize(
            _assets(WRITTEN), resources=resources, instance=instance, tags=tags, raise_on_error=False
        )
        requests.post(f"{world.coupa_url}/sandbox/faults/reset", timeout=10)
    assert not result.success
    [failure] = result.get_step_failure_events()
    message = failure.step_failure_data.user_failure_data.description
    assert "3 of 3 day(s) failed" in message and "answered none of the" in message
    stopped = f"not sent: {SUPPLIERS_FLOW.target_system} stopped the run on {days[0]}"
    assert all(f"{day}: {stopped}" in message for day in days[1:])
    # The outage's reason is told once, whole, on the day it happened; the days after it only name that day.
    assert message.count("answered none of the") == 1
    assert "Rerun the partition (or replay) once it is back" in message
    assert [
        e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == WRITTEN
    ] == []
    checks = {e.partition: e.passed for e in result.get_asset_check_evaluations() if e.check_name == CHECK}
    assert checks == {days[0]: False, days[1]: False, days[2]: False, None: False}


def _hold(ledger: Ledger, key: str, partition: str) -> None:
    queue_failure(
        SUPPLIERS_FLOW,
        ledger,
        Rejected(key, f"supplier {key} waits for its address book entry", {"source_key": key}),
        status="held",
        depends_on=f"jde_coupa:address:JDE:{key}",
        run_id="run-1",
        partition=partition,
    )


def _day_items(ledger: Ledger) -> list:
    return ledger.partition_queue(integration="jde_coupa", flow="suppliers", partition_key=DAY)


def test_holds_count_against_the_day_only_past_the_alert_threshold(tmp_path, monkeypatch):
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    _hold(ledger, "4411", DAY)
    _hold(ledger, "4412", DAY)
    _hold(ledger, "5000", "2020-01-01")  # another day's hold is not this day's business
    now = datetime.now(UTC)
    fresh = queue_of(_day_items(ledger), now=now)
    assert (fresh.held, fresh.held_overdue, fresh.failed) == (2, 0, 0)
    monkeypatch.setenv("ML_HELD_ALERT_HOURS", "24")
    later = queue_of(_day_items(ledger), now=now + timedelta(hours=25))
    assert (later.held, later.held_overdue) == (2, 2)
    [(reason, count)] = later.reasons.most_common()
    assert count == 2 and "waits for its address book entry" in reason
    monkeypatch.setenv("ML_HELD_ALERT_HOURS", "a day")
    with pytest.raises(SettingError, match="ML_HELD_ALERT_HOURS='a day'"):
        queue_of(_day_items(ledger))


def test_a_closed_period_hold_of_thirty_suppliers_is_one_kind(tmp_path):
    """After a period roll, money of 30 suppliers is held on the same closed period: one kind of hold (what
    a person fixes at once), whichever supplier each sentence names, not 30 kinds of one record."""
    from connector_assets.flows.periods import PeriodClosed

    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    day = date(2026, 10, 29)
    for n in range(30):
        held = PeriodClosed(
            ("JDE", "period", "ledger"), "00001.AP", "jde_coupa", day,
            f"invoice {7000 + n} of supplier {4400 + n} (Supplier {n} Ltd) is dated {day} (G/L date), in a "
            "closed accounting period",
        )  # fmt: skip
        queue_failure(
            SUPPLIERS_FLOW, ledger, Rejected.waiting(str(7000 + n), held, {"source_key": str(7000 + n)}),
            status="held", depends_on=held.depends_on, run_id="run-1", partition=DAY,
        )  # fmt: skip
    items = _day_items(ledger)
    assert {i.kind for i in items} == {"period_closed · JDE"} and {i.attention for i in items} == {"flows"}
    assert {i.params["day"] for i in items} == {"2026-10-29"}
    queue = queue_of(items, now=datetime.now(UTC))
    [(shown, count)] = queue.reasons.most_common()
    assert count == 30 and shown.startswith("held for a closed accounting period: Dated in a closed")
    assert "e.g. invoice 7000 of supplier 4400" in shown  # one real sentence as the example
    assert (queue.held_period, queue.clears_by_itself, queue.needs_person) == (30, 30, 0)


def test_a_held_record_whose_dependency_synced_needs_a_person_and_says_why(tmp_path):
    from connector_assets.flows.written_check import day_queue

    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    _hold(ledger, "4411", DAY)
    _hold(ledger, "4412", DAY)
    queue = day_queue(_day_items(ledger), ledger)
    assert (queue.held, queue.held_overdue, queue.clears_by_itself, queue.needs_person) == (2, 0, 2, 0)
    assert check_result(AssetKey("x"), queue).passed  # waiting within bounds: green
    # 4411's address synced, but nothing released its held record (a path that does not release).
    ledger.record_target("jde_coupa", "address", "JDE", "4411", "coupa", target_id="A-1", content_hash="h")
    queue = day_queue(_day_items(ledger), ledger)
    assert (queue.held, queue.held_overdue, queue.clears_by_itself, queue.needs_person) == (2, 1, 1, 1)
    [(shown, count)] = queue.reasons.most_common()
    assert count == 1 and "jde_coupa:address:JDE:4411 has synced, but this record was not released" in shown
    result = check_result(AssetKey("x"), queue)
    assert not result.passed and result.severity == AssetCheckSeverity.WARN
    assert (result.metadata["needs_person"].value, result.metadata["clears_by_itself"].value) == (1, 1)
    ledger.dispose()


def test_money_held_on_a_closed_period_is_its_own_kind_and_a_close_window_is_not_counted(tmp_path):
    from connector_assets.flows.close_calendar import CloseInProgress
    from connector_assets.flows.periods import PeriodClosed

    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    period = PeriodClosed(
        ("JDE", "period", "ledger"), "00001.AP", "jde_coupa", date(2026, 10, 29),
        "invoice 7 is dated 2026-10-29 (G/L date)",
    )  # fmt: skip
    close = CloseInProgress("jde_coupa", datetime.now(UTC) + timedelta(days=10), "JD Edwards")
    for key, held in [("7", period), ("8", close)]:
        queue_failure(
            SUPPLIERS_FLOW, ledger, Rejected.waiting(key, held, {"source_key": key}), status="held",
            depends_on=held.depends_on, run_id="run-1", partition=DAY,
        )  # fmt: skip
    queue = queue_of(_day_items(ledger), now=datetime.now(UTC) + timedelta(days=3))
    assert (queue.held, queue.held_period, queue.held_overdue, queue.failed) == (2, 1, 0, 0)
    [(reason, count)] = queue.reasons.most_common()
    assert count == 1 and "dated 2026-10-29" in reason
    result = check_result(AssetKey("x"), queue)
    assert not result.passed and result.severity == AssetCheckSeverity.WARN
    assert result.metadata["held_closed_period"].value == 1
    assert "held for a closed accounting period" in result.metadata["reasons"].value


def test_a_day_with_open_records_links_to_the_desk_filtered_on_it(tmp_path, monkeypatch):
    from connector_resources.desk_links import desk_queue_url

    monkeypatch.setenv("ML_DESK_URL", "https://desk.example.com/")
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    queue_failure(
        SUPPLIERS_FLOW, ledger, Rejected("9", "no tax id", {"source_key": "9"}), run_id="r", partition=DAY
    )
    link = desk_queue_url("jde_coupa", "suppliers", DAY)
    assert link == f"https://desk.example.com/queue?integration=jde_coupa&flow=suppliers&day={DAY}"
    result = check_result(AssetKey("x"), queue_of(_day_items(ledger)), link)
    assert result.metadata["desk"].value == link
    assert "desk" not in check_result(AssetKey("x"), queue_of([]), link).metadata  # nothing to look at


def test_a_record_held_on_one_that_needs_a_person_is_that_persons_on_its_day(tmp_path):
    """As on the desk and in ``replay --dry-run`` (``needs_person``): a hold on a refused record is a person's
    at once, counted under that record's kind; the day's check turns red (WARN) on it."""
    from connector_assets.flows.written_check import day_queue
    from connector_resources.refusals import master_missing

    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    _hold(ledger, "4411", DAY)
    _hold(ledger, "4412", DAY)
    missing = master_missing("address 4411 has no country", system="JDE", what="country", value="4411")
    ledger.enqueue(
        integration="jde_coupa", flow="address_book", entity="address", source_key="4411", payload={},
        reason=missing.sentence, refusal=missing,
    )  # fmt: skip
    queue = day_queue(_day_items(ledger), ledger)
    assert (queue.held, queue.held_person, queue.held_overdue) == (2, 1, 0)
    assert (queue.needs_person, queue.clears_by_itself) == (1, 1)
    [(shown, count)] = [(s, n) for s, n in queue.reasons.most_common() if "needs a person" in s]
    assert count == 1 and shown.startswith("held on a record that needs a person: A master record is missing")
    assert "it waits for address 4411, which needs a person (country 4411 missing in JDE)" in shown
    result = check_result(AssetKey("x"), queue)
    assert not result.passed and result.severity == AssetCheckSeverity.WARN
    assert result.metadata["held_needs_person"].value == 1
