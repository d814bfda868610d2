"""What ``ml-connector replay`` says of the days it changed: each day's ``no_failed_records`` check evaluated
again in the Dagster instance, so a day whose last failed record the replay wrote turns green in the UI
(as the ``replay_retry_queue`` job does in its own run). Without an instance configured it says so, and the
day's check turns green at the day's next run or replay job."""

from __future__ import annotations

from collections.abc import Collection

from connector_resources import settings
from connector_resources.ledger import ledger_url
from connector_resources.redaction import redact


def day_check_lines(days: Collection[tuple[str, str, str | None]]) -> list[str]:
    """One line per changed day (integration, flow, partition: ``ReplaySummary.days``): its check's verdict
    as recorded, or why none was recorded."""
    if not days:
        return []
    if not settings.given("DAGSTER_HOME"):
        return [
            f"{len(days)} day(s) changed by this replay; their no_failed_records checks were not evaluated "
            "again: no Dagster instance (DAGSTER_HOME) is configured here. Each turns green at its day's "
            "next run, or run the replay_retry_queue job from the UI"
        ]
    from dagster import DagsterInstance

    from connector_assets.operations.replay import check_days_after_cli_replay

    try:
        evaluations = check_days_after_cli_replay(DagsterInstance.get(), ledger_url(), days)
    except Exception as exc:  # the records are written; only the UI's verdict waits for the next run
        why = redact(f"{type(exc).__name__}: {exc}")
        return [f"the no_failed_records checks of {len(days)} changed day(s) were not evaluated again: {why}"]
    lines = []
    for evaluation in evaluations:
        failed = evaluation.metadata.get("failed")
        verdict = (
            "passed"
            if evaluation.passed
            else f"still failed ({getattr(failed, 'value', failed)} record(s) failed)"
        )
        asset = evaluation.asset_key.to_user_string()
        lines.append(f"{evaluation.partition or '-'} {asset}: no_failed_records {verdict}")
    return lines
