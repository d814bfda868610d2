"""One story: a record fixed at the desk (abandoned there, no run involved) has its day's
``no_failed_records`` check evaluated again through the ``evaluate_changed_days`` sensor, so the day Dagster
showed red turns green, and the failed-records alert that fired for it is followed by its all-clear, once.
A day a run under way will evaluate waits for that run; a day evaluated after its change is left alone."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alert_channels import Received
from dagster import (
    AssetCheckKey,
    AssetMaterialization,
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    RunRequest,
    SensorResult,
    SkipReason,
    build_sensor_context,
)
from instances import instance_for_test
from jde_coupa_parts import SUPPLIERS_FLOW
from ledger_entries import audited, held_on, queued

from connector_assets.alerts.changed_days import changed_days_sensor
from connector_assets.alerts.check_failures import alert_new_failures, latest_day_evaluation
from connector_assets.flows.day_checks import REPLAYED, WRITTEN_RECORDS
from connector_assets.flows.written_check import CHECK
from connector_assets.operations.replay import check_days_after_cli_replay, replayed_days_checked
from connector_resources.ledger import Ledger, LedgerResource, QueueItem
from connector_resources.ledger.operator_actions import Operator
from connector_resources.refusals import mapping_missing, waits_for_record

DAY = "2026-11-18"
WRITTEN = SUPPLIERS_FLOW.key("written")
CLERK = Operator("ann", "operator")
TABLE = "jde_coupa/payment_terms_map"
SUPPLIERS = ("jde_coupa", "suppliers", "supplier")  # where the suppliers flow queues a record


def _refused(ledger: Ledger, key: str, day: str = DAY) -> QueueItem:
    """A supplier of ``day`` refused by the mapping, as the mapped step queues and audits it."""
    reason = f"supplier {key}: payment terms N99 (F0401 TRAP) have no Coupa payment term in {TABLE}"
    refusal = mapping_missing(reason, table=TABLE, what="payment terms", value="N99")
    item = queued(ledger, SUPPLIERS, key, reason, refusal=refusal, run_id="the-days-run")
    ledger.audit_item(item, "fail", reason, run_id="the-days-run", partition_key=day)
    return item


def _tick(instance: DagsterInstance, ledger: Ledger, cursor: str | None) -> SensorResult | SkipReason:
    with build_sensor_context(
        instance=instance, cursor=cursor, resources={"ledger": LedgerResource(db_url=ledger.url)}
    ) as context:
        return changed_days_sensor()(context)


def _run(instance: DagsterInstance, ledger: Ledger, request: RunRequest) -> None:
    """What the daemon does with the sensor's request: a run of ``replayed_days_checked``."""
    result = replayed_days_checked.execute_in_process(
        instance=instance,
        run_config=request.run_config,
        resources={"ledger": LedgerResource(db_url=ledger.url)},
        tags=request.tags,
    )
    assert result.success


def _day(instance: DagsterInstance):
    latest = latest_day_evaluation(instance, AssetCheckKey(WRITTEN, CHECK), DAY)
    assert latest is not None
    return latest[1]


def test_an_abandon_at_the_desk_turns_the_day_green_and_its_alert_is_followed_by_an_all_clear(
    tmp_path: Path, received: Received
) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    first, second = _refused(ledger, "4411"), _refused(ledger, "4412")
    with instance_for_test() as instance:
        instance.report_runless_asset_event(AssetMaterialization(asset_key=WRITTEN, partition=DAY))
        alerts = _alert(instance, None)  # the alert sensor starts from now
        # The day as its run left it: red with two failed records, alerted.
        (red,) = check_days_after_cli_replay(instance, ledger.url, [("jde_coupa", "suppliers", DAY)])
        assert not red.passed and red.metadata["failed"].value == 2
        alerts = _alert(instance, alerts.cursor)
        assert len(received.texts()) == 1

        started = _tick(instance, ledger, None)  # the sensor's first tick starts from now
        assert isinstance(started, SensorResult) and not started.run_requests

        ledger.abandon_item(first.id, by=CLERK, note="a duplicate of supplier 4410")
        tick = _tick(instance, ledger, started.cursor)
        assert isinstance(tick, SensorResult)
        (request,) = tick.run_requests
        assert request.run_config["ops"]["check_replayed_days"]["config"]["days"] == [
            ["jde_coupa", "suppliers", DAY, "retry-queue changes (1 abandoned)"]
        ]
        _run(instance, ledger, request)
        assert not _day(instance).passed and _day(instance).metadata["failed"].value == 1
        again = _tick(instance, ledger, tick.cursor)  # evaluated after the change: nothing to ask
        assert not getattr(again, "run_requests", None)
        alerts = _alert(instance, alerts.cursor)  # still red, fewer failed: no news
        assert len(received.texts()) == 1

        # A run of the day's write step is under way: it will evaluate the day; the sensor waits for it.
        busy = DagsterRun(
            job_name="jde_coupa_suppliers", status=DagsterRunStatus.STARTED, tags={"dagster/partition": DAY}
        )
        instance.add_run(busy)
        ledger.abandon_item(second.id, by=CLERK, note="supplier closed in JDE")
        waiting = _tick(instance, ledger, again.cursor if isinstance(again, SensorResult) else tick.cursor)
        assert isinstance(waiting, SensorResult) and not waiting.run_requests
        instance.delete_run(busy.run_id)  # it ended without evaluating the day (it failed early)
        tick = _tick(instance, ledger, waiting.cursor)
        (request,) = tick.run_requests
        _run(instance, ledger, request)
        green = _day(instance)
        assert green.passed and "1 abandoned" in str(green.metadata[REPLAYED].value)

        _alert(instance, alerts.cursor)
        _alert(instance, alerts.cursor)  # the same evaluations read again: the all-clear went out once
    texts = received.texts()
    assert len(texts) == 2, texts
    for body in texts[1]:
        assert f"{WRITTEN.to_user_string()} {DAY}: all clear, 1 failed record(s) fixed" in body
    assert "Last red with: 1 failed record(s)" in texts[1][0]
    assert "Evaluated after: retry-queue changes (1 abandoned)" in texts[1][0]
    ledger.dispose()


def _alert(instance: DagsterInstance, cursor: str | None) -> SensorResult:
    with build_sensor_context(instance=instance, cursor=cursor) as context:
        return alert_new_failures(context, [AssetCheckKey(WRITTEN, CHECK)], datetime.now(UTC).timestamp())


def test_a_hold_released_for_replay_waits_for_the_replay_not_a_red_evaluation(tmp_path: Path) -> None:
    """A held order released when its supplier synced is due for replay, the flows' to write: its day is
    not evaluated red meanwhile (the replay that writes it evaluates the day)."""
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    supplier = "jde_coupa:supplier:JDE:4411"
    reason = f"supplier 4412 waits for {supplier} to sync"
    held = held_on(ledger, SUPPLIERS, "4412", supplier, reason, refusal=waits_for_record(reason, supplier))
    ledger.audit_item(held, "hold", reason, run_id="the-days-run", partition_key=DAY)
    with instance_for_test() as instance:
        instance.report_runless_asset_event(AssetMaterialization(asset_key=WRITTEN, partition=DAY))
        (verdict,) = check_days_after_cli_replay(instance, ledger.url, [("jde_coupa", "suppliers", DAY)])
        assert verdict.passed  # a wait within bounds: nothing for a person
        started = _tick(instance, ledger, None)
        assert ledger.release_held(supplier) == 1
        tick = _tick(instance, ledger, started.cursor)
        assert not getattr(tick, "run_requests", None)
        ledger.abandon_item(held.id, by=CLERK, note="the order was cancelled")  # a person's change
        (request,) = _tick(instance, ledger, tick.cursor).run_requests  # the day's counts moved: told
        (day,) = request.run_config["ops"]["check_replayed_days"]["config"]["days"]
        assert day[3] == "retry-queue changes (1 abandoned)"
    ledger.dispose()


def test_each_day_evaluated_in_one_run_tells_its_own_writes_failures_and_changes(tmp_path: Path) -> None:
    """Two days changed at the desk between ticks are evaluated by one run: each day's description counts
    that day (what it wrote, by its run or a replay, and what still failed) and its own changes, never
    the other day's."""
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    other_day = "2026-11-19"
    for key in ("4401", "4402", "4403"):  # the day's run wrote three suppliers
        audited(ledger, "jde_coupa", "suppliers", "create", key, "created", partition_key=DAY)
    late = [_refused(ledger, "4404"), _refused(ledger, "4405")]  # and refused two
    _, dropped = _refused(ledger, "4501", other_day), _refused(ledger, "4502", other_day)
    with instance_for_test() as instance:
        for day in (DAY, other_day):
            instance.report_runless_asset_event(AssetMaterialization(asset_key=WRITTEN, partition=day))
        check_days_after_cli_replay(
            instance, ledger.url, [("jde_coupa", "suppliers", DAY), ("jde_coupa", "suppliers", other_day)]
        )
        started = _tick(instance, ledger, None)
        for item in late:  # written by a replay at the desk: resolved and audited under their day
            ledger.resolve(item.id, reason="replayed from the retry queue")
            ledger.audit_item(item, "replay", "replayed from the retry queue", partition_key=DAY)
        ledger.abandon_item(dropped.id, by=CLERK, note="a duplicate of supplier 4500")
        (request,) = _tick(instance, ledger, started.cursor).run_requests
        _run(instance, ledger, request)
        day = latest_day_evaluation(instance, AssetCheckKey(WRITTEN, CHECK), DAY)
        other = latest_day_evaluation(instance, AssetCheckKey(WRITTEN, CHECK), other_day)
        assert day is not None and other is not None
        assert day[1].passed and day[1].metadata[WRITTEN_RECORDS].value == 5
        assert day[1].description == (
            "after retry-queue changes (2 resolved): 5 record(s) of the day written, none failed"
        )
        assert not other[1].passed and other[1].metadata["failed"].value == 1
        assert other[1].description.startswith(
            "after retry-queue changes (1 abandoned): 0 record(s) of the day written, 1 still failed"
        )
    ledger.dispose()
