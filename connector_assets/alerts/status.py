"""How an alert sensor is declared: its default status, and its tick skipped (saying why) without a channel.

Alert sensors run when a channel is configured: they only read Dagster's event log and the ledger and post
messages, so turning them on needs no operator step. Without a channel they follow the project's running /
stopped default (``automation.sensor_status``) and skip, saying why, when running."""

from collections.abc import Callable
from typing import Any

from dagster import DefaultSensorStatus, SensorDefinition, SensorEvaluationContext, SkipReason, sensor

from connector_assets.alerts.channels import NO_CHANNEL, any_channel
from connector_assets.runtime.automation import sensor_status


def alert_sensor_status() -> DefaultSensorStatus:
    return DefaultSensorStatus.RUNNING if any_channel() else sensor_status()


def alert_sensor(
    name: str, description: str, minimum_interval_seconds: int = 60
) -> Callable[[Callable[[SensorEvaluationContext], Any]], SensorDefinition]:
    """``@alert_sensor(name, description)`` over ``evaluate(context)``: a sensor that skips with
    ``NO_CHANNEL`` while no channel is configured, and else evaluates."""

    def declare(evaluate: Callable[[SensorEvaluationContext], Any]) -> SensorDefinition:
        def tick(context: SensorEvaluationContext) -> Any:
            return evaluate(context) if any_channel() else SkipReason(NO_CHANNEL)

        return sensor(
            name=name,
            default_status=alert_sensor_status(),
            minimum_interval_seconds=minimum_interval_seconds,
            description=description,
        )(tick)

    return declare
