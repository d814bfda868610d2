"""Alerts through Slack, Teams and e-mail on what an operator must act on, each built on a Dagster mechanism
so the UI shows the same fact; ``channels`` says where they go (nowhere by default). The table of alerts:
docs/alerts.md, "The alerts".
"""

from dagster import Definitions

from connector_assets.alerts.changed_days import changed_days_sensor
from connector_assets.alerts.channels import NO_CHANNEL, any_channel
from connector_assets.alerts.check_failures import failed_records_alert_sensor
from connector_assets.alerts.freshness import freshness_alert_sensor, with_written_freshness
from connector_assets.alerts.held_records import held_records_alert_sensor, no_overdue_holds
from connector_assets.alerts.run_failures import run_failure_alert_sensor
from connector_assets.operations.replay import replayed_days_checked

__all__ = ["NO_CHANNEL", "alert_definitions", "any_channel", "with_written_freshness"]


def alert_definitions() -> Definitions:
    """The alert sensors, the held-records check and the sensor (with its job) that evaluates again the days
    a fix changed, merged into the project's one ``Definitions``."""
    return Definitions(
        jobs=[replayed_days_checked],
        sensors=[
            changed_days_sensor(),
            run_failure_alert_sensor(),
            failed_records_alert_sensor(),
            held_records_alert_sensor(),
            freshness_alert_sensor(),
        ],
        asset_checks=[no_overdue_holds],
    )
