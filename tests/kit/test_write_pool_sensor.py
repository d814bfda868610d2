"""The deployment keeps its own write-pool limits: the ``write_pool_limits`` sensor of the project's
definitions, evaluated on a test instance, sets every pool its steps take to the project's limit, changes
nothing when they agree, and sets back a limit changed by hand. It is on by default, against real systems
too (it launches no run)."""

from __future__ import annotations

from dagster import DefaultSensorStatus, SkipReason, build_sensor_context
from instances import instance_for_test

from connector_assets.definitions import defs
from connector_assets.flows.write_pool_sensor import WRITE_POOL_LIMITS_SENSOR
from connector_assets.flows.write_pools import wanted_pool_limits


def _tick(instance) -> str:
    sensor = defs.resolve_sensor_def(WRITE_POOL_LIMITS_SENSOR)
    with build_sensor_context(instance=instance, repository_def=defs.get_repository_def()) as context:
        result = sensor(context)
    assert isinstance(result, SkipReason)  # never a run
    return result.skip_message or ""


def test_the_sensor_sets_the_pools_the_definitions_take_and_only_those_that_differ():
    wanted = wanted_pool_limits(defs.assets or [])
    assert {"write_coupa", "write_jde"} <= set(wanted) and set(wanted.values()) <= {1, 2, 3}
    with instance_for_test() as instance:
        storage = instance.event_log_storage
        first = _tick(instance)
        assert "write_coupa unset -> 1" in first and "write_jde unset -> 1" in first, first
        assert {pool: storage.get_concurrency_info(pool).slot_count for pool in wanted} == wanted

        assert _tick(instance) == "every pool of the loaded definitions has the project's limit"

        storage.set_concurrency_slots("write_coupa", 3)  # as `dagster instance concurrency set` by hand
        assert _tick(instance) == "pool limits set: write_coupa 3 -> 1"
        assert storage.get_concurrency_info("write_coupa").slot_count == 1


def test_the_sensor_is_on_by_default_whatever_the_automation_default():
    sensor = defs.resolve_sensor_def(WRITE_POOL_LIMITS_SENSOR)
    assert sensor.default_status == DefaultSensorStatus.RUNNING
