"""Alert sensors run when a channel is configured: they only read Dagster's event log and the ledger and
post messages, so turning them on needs no operator step. Without a channel they follow the project's
running / stopped default (``automation.sensor_status``) and skip, saying why, when running."""

from dagster import DefaultSensorStatus

from connector_assets.alerts.channels import any_channel
from connector_assets.automation import sensor_status


def alert_sensor_status() -> DefaultSensorStatus:
    return DefaultSensorStatus.RUNNING if any_channel() else sensor_status()
