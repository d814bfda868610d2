"""Alerts through Slack, Teams and e-mail on what an operator must act on, built on Dagster's own
mechanisms so the UI shows the same facts (docs/alerts.md):

- a failed run, with its day and reason: ``run_failures`` (a ``run_failure_sensor``);
- a day whose write step left failed records, or records held too long: ``check_failures`` (the
  ``no_failed_records`` check of each ``<flow>_written`` asset, ERROR / WARN);
- records held longer than ``ML_HELD_ALERT_HOURS``: ``held_records`` (ledger_health's ``no_overdue_holds``);
- a flow that has not written within ``ML_FRESHNESS_HOURS``: ``freshness`` (a ``FreshnessPolicy``);
- a red day evaluated green again: its all-clear (``check_failures``), however it was fixed, since a fix made
  outside a run (at the desk) has its days evaluated again within a minute (``changed_days``, which runs
  ``replayed_days_checked``).

``channels`` says where they go (nowhere by default) and what every one of them carries (``Alert``).
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
