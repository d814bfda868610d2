"""A flow whose ``_written`` asset has not materialized for longer than ML_FRESHNESS_HOURS: Dagster's own
freshness daemon marks it FAIL (what the UI shows) and the sensor alerts on that change, once.

The daemon is Dagster's ``FreshnessDaemon`` run for one iteration over the toy flow's code location, as
``dagster dev`` runs it every 30 seconds; ``freeze_time`` moves its clock past the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import alert_world
from alert_channels import Received
from dagster import SensorResult, build_sensor_context, materialize
from dagster._core.definitions.freshness import FreshnessState
from dagster._core.remote_origin import InProcessCodeLocationOrigin
from dagster._core.test_utils import freeze_time
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import InProcessWorkspaceLoadTarget
from dagster._daemon.freshness import FreshnessDaemon
from instances import instance_for_test

from connector_assets.alerts.freshness import freshness_alert_sensor

SENSOR = freshness_alert_sensor()
ASSET = alert_world.ASSET


def _tick(instance, cursor: str | None) -> SensorResult:
    with build_sensor_context(instance=instance, cursor=cursor) as context:
        result = SENSOR(context)
    assert isinstance(result, SensorResult)
    return result


def test_a_flow_that_stopped_writing_is_alerted_when_dagster_marks_it_stale(received: Received) -> None:
    origin = InProcessCodeLocationOrigin(
        LoadableTargetOrigin(python_file=alert_world.__file__, attribute="defs"), location_name="toy"
    )
    with instance_for_test() as instance:
        materialize([alert_world.toy_flow_written], instance=instance, partition_key="2026-11-20")
        with WorkspaceProcessContext(instance, InProcessWorkspaceLoadTarget(origin)) as workspace:
            daemon = FreshnessDaemon()
            list(daemon.run_iteration(workspace))  # written just now: fresh
            first = _tick(instance, None)
            list(daemon.run_iteration(workspace))  # no change, no event
            assert not received.http.requests
            with freeze_time(datetime.now(UTC) + timedelta(hours=27)):
                list(daemon.run_iteration(workspace))  # 27 hours without a write: stale
                second = _tick(instance, first.cursor)
                list(daemon.run_iteration(workspace))  # still stale: no new change
                third = _tick(instance, second.cursor)
                # A tick cut short before its cursor was saved (a restart): evaluated again, sends nothing.
                _tick(instance, first.cursor)
        states = instance.get_freshness_state_records([alert_world.toy_flow_written.key])

    assert (
        states[alert_world.toy_flow_written.key].freshness_state == FreshnessState.FAIL
    )  # what the UI shows
    [(slack, teams, mail)] = received.texts()
    for body in (slack, teams, mail):
        assert f"{ASSET} has not written for more than 26 hours" in body
        assert "PASS -> FAIL" in body and "ML_FRESHNESS_HOURS" in body
        assert f"http://dagster.acme.example/assets/{ASSET}" in body
    assert third.cursor == second.cursor
