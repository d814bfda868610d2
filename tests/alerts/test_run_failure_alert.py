"""A failed run is alerted on every channel with its job, day and reason (the step's own error, not
Dagster's wrappers), and no secret."""

from __future__ import annotations

from alert_world import ASSET, run_config, toy_flow_written
from conftest import SECRET, SLACK_PATH, Received
from dagster import DagsterEventType, build_run_status_sensor_context, instance_for_test, materialize

from connector_assets.alerts.run_failures import run_failure_alert_sensor

DAY = "2026-11-20"


def test_a_failed_run_is_alerted_with_its_day_and_reason(received: Received) -> None:
    sensor = run_failure_alert_sensor()
    reason = f"could not get an access token (HTTP 503) after 8 attempt(s); login token {SECRET}"
    with instance_for_test() as instance:
        result = materialize(
            [toy_flow_written],
            instance=instance,
            partition_key=DAY,
            run_config=run_config(fail_with=reason),
            raise_on_error=False,
        )
        assert not result.success
        run = instance.get_run_by_id(result.run_id)
        failure = next(e for e in result.all_events if e.event_type == DagsterEventType.RUN_FAILURE)
        context = build_run_status_sensor_context(
            sensor_name=sensor.name, dagster_event=failure, dagster_instance=instance, dagster_run=run
        ).for_run_failure()
        sensor(context)

    [(slack, teams, mail)] = received.texts()
    for body in (slack, teams, mail):
        assert "Run failed" in body and DAY in body and result.run_id in body
        assert "ConnectionError: could not get an access token (HTTP 503) after 8 attempt(s)" in body
        assert "max_retries" not in body  # Dagster's wrappers say how it failed, not why
        assert ASSET in body  # the failed step
        assert f"http://dagster.acme.example/runs/{result.run_id}" in body
    assert SECRET not in received.everything() and SLACK_PATH not in received.everything()
    assert received.mails()[0]["To"] == "ap-ops@acme.example, it-ops@acme.example"
