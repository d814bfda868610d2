"""A day whose write step left failed records (the ``no_failed_records`` check red, ERROR) is alerted with
the day, the counts and the reasons; a day with records held too long (WARN) as held records; a clean day
not at all; a day red again at the next poll run with no more failures not again, with more, again."""

from __future__ import annotations

from alert_channels import SECRET, Received
from alert_world import ASSET, RANGE_ASSET, defs, run_config, toy_flow_written, toy_range_written
from dagster import SensorResult, SkipReason, build_sensor_context, materialize
from instances import instance_for_test

from connector_assets.alerts.check_failures import failed_records_alert_sensor

SENSOR = failed_records_alert_sensor()


def _tick(instance, cursor: str | None) -> SensorResult | SkipReason:
    with build_sensor_context(instance=instance, cursor=cursor, definitions=defs) as context:
        return SENSOR(context)


def test_a_day_with_failed_records_is_alerted_once(received: Received) -> None:
    def run(day: str, **script: object) -> None:
        result = materialize(
            [toy_flow_written], instance=instance, partition_key=day, run_config=run_config(**script)
        )
        assert result.success  # a failed check does not fail the run: only the alert tells

    with instance_for_test() as instance:
        first = _tick(instance, None)  # the sensor runs before the day does: it starts from now
        assert isinstance(first, SensorResult) and not received.http.requests
        reason = f"supplier 4411: BILL refused token={SECRET}"
        run("2026-11-18")
        run("2026-11-19", failed=3, reason=reason)
        run("2026-11-20", held_overdue=2, reason="bill 88: waits for vendor 4411 to sync")
        second = _tick(instance, first.cursor)
        run("2026-11-19", failed=3, reason=reason)  # the next poll run: still 3, no news
        third = _tick(instance, second.cursor)
        run("2026-11-19", failed=5, reason=reason)  # two more failed: news
        _tick(instance, third.cursor)
        again = _tick(instance, third.cursor)  # the same tick evaluated twice: nothing sent twice

    failed, held, more = received.texts()
    for body in failed:
        assert f"{ASSET}: failed records on 2026-11-19" in body
        assert (
            "3 x The target refused the record: Toy, 400, e.g. supplier 4411: BILL refused token=***" in body
        )
        assert f"http://dagster.acme.example/assets/{ASSET}?view=checks" in body
    assert "Failed: 3" in failed[0] and "Failed: 3" in failed[2]
    for body in held:
        assert f"{ASSET}: records held too long on 2026-11-20" in body
        assert "2 x waited over 24 h or not released: Waits for another record to sync" in body
        assert (
            "waited 48 h for toy:vendor:BILL:4411" in body
            and "(bill 88: waits for vendor 4411 to sync)" in body
        )
    assert "2026-11-18" not in received.everything()
    assert SECRET not in received.everything()
    assert isinstance(again, SensorResult)
    assert "Failed: 5" in more[0] and "2026-11-19" in more[0]


def test_a_backfill_range_is_alerted_per_red_day_not_for_its_sum(received: Received) -> None:
    """A range run logs each day's evaluation and one sum for the range: one alert per red day."""
    with instance_for_test() as instance:
        first = _tick(instance, None)
        tags = {
            "dagster/asset_partition_range_start": "2026-11-10",
            "dagster/asset_partition_range_end": "2026-11-14",
        }
        result = materialize(
            [toy_range_written],
            instance=instance,
            tags=tags,
            run_config=run_config(RANGE_ASSET, red_days=["2026-11-11", "2026-11-13"]),
        )
        assert result.success
        _tick(instance, first.cursor)
    alerts = received.texts()  # each alert as its three channels' bodies
    assert len(alerts) == 2, alerts
    for alert, day in zip(alerts, ("2026-11-11", "2026-11-13"), strict=True):
        assert all(f"{RANGE_ASSET}: failed records on {day}" in body for body in alert), alert


def test_without_a_channel_nothing_is_sent_and_the_tick_says_why() -> None:
    with instance_for_test() as instance:
        tick = _tick(instance, None)
    assert isinstance(tick, SkipReason) and "no alert channel is configured" in (tick.skip_message or "")


def _one_day_alert(received: Received, day: str, **queued: object) -> str:
    """The body of the one alert a run of ``day`` with ``queued`` records (``run_config``) makes."""
    with instance_for_test() as instance:
        first = _tick(instance, None)
        materialize([toy_flow_written], instance=instance, partition_key=day, run_config=run_config(**queued))
        _tick(instance, first.cursor)
    [alert] = received.texts()
    return alert[0]


def test_a_day_with_money_held_on_a_closed_period_is_alerted_as_such(received: Received) -> None:
    reason = "Coupa invoice 7 is dated 2026-10-29 (G/L date), in a closed accounting period: period 10"
    body = _one_day_alert(received, "2026-11-21", closed_period=2, reason=reason)
    assert f"{ASSET}: money dated in a closed accounting period on 2026-11-21" in body
    assert "Held for a closed period: 2" in body
    assert "2 x held for a closed accounting period: Dated in a closed accounting period: JDE" in body
    assert "e.g. Coupa invoice 7 is dated 2026-10-29" in body


def test_a_day_red_only_on_holds_a_person_must_end_is_alerted_as_such(received: Received) -> None:
    """The day's check turns red (WARN) on records held until a person acts (``needs_person``): so does the
    alert, which once counted only failed, overdue and closed-period records."""
    reason = "supplier 4411: vendor 4411 is missing in Toy"
    body = _one_day_alert(received, "2026-11-22", held_person=3, reason=reason)
    assert f"{ASSET}: records held until a person acts on 2026-11-22" in body
    assert "Held until a person acts: 3" in body and "Held overdue: 0" in body


def test_a_red_day_that_passes_again_gets_one_all_clear(received: Received) -> None:
    """The day's next run writes what had failed: its all-clear goes out once; a day never red gets none."""

    def run(day: str, **script: object) -> None:
        assert materialize(
            [toy_flow_written], instance=instance, partition_key=day, run_config=run_config(**script)
        ).success

    with instance_for_test() as instance:
        tick = _tick(instance, None)
        run("2026-11-19", failed=2)
        tick = _tick(instance, tick.cursor)
        run("2026-11-19")  # the day's next run wrote them
        run("2026-11-20")
        tick = _tick(instance, tick.cursor)
        run("2026-11-19")  # clear again: nothing more to say
        _tick(instance, tick.cursor)
    red, clear = received.texts()
    assert f"{ASSET}: failed records on 2026-11-19" in red[0]
    for body in clear:
        assert f"{ASSET} 2026-11-19: all clear, 2 failed record(s) fixed" in body
    assert "Last red with: 2 failed record(s)" in clear[0] and "Evaluated after: run " in clear[0]
    assert "2026-11-20" not in received.everything()
