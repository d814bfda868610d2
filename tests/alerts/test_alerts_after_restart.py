"""Alerts across a restart: the failed-records sensor evaluated by Dagster's own sensor daemon code, its
cursor kept in the instance (a SQLite DAGSTER_HOME, as ``make dev`` keeps it), the instance and the code
location opened again as a restart opens them.

What must not be sent after the restart: an alert already sent before it, an alert for a day rerun green
since (the sensor reads the day's older red evaluation only after the rerun, as when its daemon was
stopped while the day was rerun), and a "Failed: 0 / Held: 0 / Reasons: none" alert for a day that stopped
on an error with nothing queued (its run failed: the run-failure alert says why). What must be: the
all-clear of a day alerted red and rerun green, once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import alert_world
import pytest
from alert_channels import Received
from dagster import DagsterInstance, materialize
from dagster._core.remote_origin import InProcessCodeLocationOrigin
from dagster._core.scheduler.instigation import InstigatorType
from dagster._core.test_utils import freeze_time
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import InProcessWorkspaceLoadTarget
from dagster._daemon.sensor import execute_sensor_iteration
from instances import instance_for_test

SENSOR = "alert_on_failed_records"
ORIGIN = InProcessCodeLocationOrigin(
    LoadableTargetOrigin(python_file=alert_world.__file__, attribute="defs_with_sensor"), location_name="toy"
)


class Daemon:
    """The sensor daemon's evaluation of the location's sensors on a clock it moves past their interval."""

    def __init__(self, home: str) -> None:
        self.home = home
        self.clock = datetime.now(UTC)

    def session(self, work: Callable[[DagsterInstance, Callable[[], None]], None]) -> None:
        """One life of ``make dev``: the instance in ``home`` and the code location opened, ``work`` done
        with a ``tick``, everything closed (a restart opens them again)."""
        with (
            instance_for_test(temp_dir=self.home) as instance,
            WorkspaceProcessContext(instance, InProcessWorkspaceLoadTarget(ORIGIN)) as workspace,
        ):
            sensor = next(
                s
                for entry in workspace.create_request_context().get_code_location_entries().values()
                for repo in entry.code_location.get_repositories().values()
                for s in repo.get_sensors()
                if s.name == SENSOR
            )
            if not instance.get_instigator_state(sensor.get_remote_origin_id(), sensor.selector_id):
                instance.start_sensor(sensor)  # as an operator turns it on (or its default does)

            def tick() -> None:
                self.clock += timedelta(seconds=90)
                with freeze_time(self.clock):
                    list(execute_sensor_iteration(workspace, logging.getLogger("daemon"), None, None))

            work(instance, tick)

    def cursor(self) -> str | None:
        with instance_for_test(temp_dir=self.home) as instance:
            states = instance.all_instigator_state(instigator_type=InstigatorType.SENSOR)
            [state] = [s for s in states if s.name == SENSOR]
            return state.instigator_data.cursor


def _run(instance: DagsterInstance, day: str, **script: object) -> None:
    result = materialize(
        [alert_world.toy_flow_written],
        instance=instance,
        partition_key=day,
        run_config=alert_world.run_config(**script),
    )
    assert result.success


@pytest.fixture
def daemon(tmp_path) -> Daemon:
    home = tmp_path / "dagster_home"
    home.mkdir()
    return Daemon(str(home))


def test_after_a_restart_nothing_is_sent_again_nor_for_days_rerun_green(received: Received, daemon) -> None:
    reason = "supplier 4411: coupa did not answer: HTTP 503 after 8 attempts"

    def before(instance: DagsterInstance, tick: Callable[[], None]) -> None:
        tick()  # the sensor starts from now
        _run(instance, "2026-11-10", failed=3, reason=reason)
        _run(instance, "2026-11-11", stopped_with="not sent: Coupa stopped the run on 2026-11-10")
        tick()  # 2026-11-10 alerted; 2026-11-11 has nothing failed or held: its run's alert says why
        # Rerun green, and another day red then rerun green, before the sensor's next tick: the restart.
        _run(instance, "2026-11-10")
        _run(instance, "2026-11-12", failed=2, reason=reason)
        _run(instance, "2026-11-12")

    def after(instance: DagsterInstance, tick: Callable[[], None]) -> None:
        tick()
        tick()

    daemon.session(before)
    sent_before = received.texts()
    assert daemon.cursor()  # kept in the instance
    daemon.session(after)

    [(slack, _teams, _mail)] = sent_before
    assert "failed records on 2026-11-10" in slack and "3 x The target refused the record" in slack
    assert "coupa did not answer: HTTP 503 after 8" in slack
    # After the restart: nothing sent again, no alert for the day red and rerun green before it was read;
    # the day alerted and rerun green gets its all-clear, once.
    after = received.texts()[len(sent_before) :]
    assert [bodies[0].splitlines()[0] for bodies in after] == [
        "toy_flow_written 2026-11-10: all clear, 3 failed record(s) fixed"
    ]
    assert "Failed: 0" not in received.everything()
    assert "2026-11-12" not in received.everything()
