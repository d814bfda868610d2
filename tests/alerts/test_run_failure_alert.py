"""A failed run is alerted on every channel with what it ran (its job, or the failed assets of Dagster's
implicit asset job), its day and reason (the step's own error, not Dagster's wrappers, cut only past what
an alert carries and then at a word), and no secret."""

from __future__ import annotations

import time

from alert_channels import SECRET, SLACK_PATH, Received
from alert_world import ASSET, defs, run_config, toy_flow_written
from dagster import DagsterEventType, build_run_status_sensor_context, materialize
from dagster._core.execution.backfill import PartitionBackfill
from instances import instance_for_test

from connector_assets.alerts.run_failures import run_failure_alert_sensor

DAY = "2026-11-20"


def _backfill(instance, title: str) -> dict[str, str]:
    """An asset backfill of the toy flow stored as the UI stores one; the tag its runs carry."""
    backfill = PartitionBackfill.from_asset_partitions(
        backfill_id="toybackfill",
        asset_graph=defs.resolve_asset_graph(),
        partition_names=[DAY],
        asset_selection=[toy_flow_written.key],
        backfill_timestamp=time.time(),
        tags={},
        dynamic_partitions_store=instance,
        all_partitions=False,
        title=title,
        description=None,
        run_config=None,
    )
    instance.add_backfill(backfill)
    return {"dagster/backfill": backfill.backfill_id}


def _alert_a_failed_run(reason: str, backfill_title: str = "") -> str:
    """A run of the toy flow failing with ``reason`` (in a backfill with that title, when given), passed to
    the sensor as its daemon would; its id."""
    sensor = run_failure_alert_sensor()
    with instance_for_test() as instance:
        result = materialize(
            [toy_flow_written],
            instance=instance,
            partition_key=DAY,
            run_config=run_config(fail_with=reason),
            tags=_backfill(instance, backfill_title) if backfill_title else None,
            raise_on_error=False,
        )
        assert not result.success
        run = instance.get_run_by_id(result.run_id)
        failure = next(e for e in result.all_events if e.event_type == DagsterEventType.RUN_FAILURE)
        context = build_run_status_sensor_context(
            sensor_name=sensor.name, dagster_event=failure, dagster_instance=instance, dagster_run=run
        ).for_run_failure()
        sensor(context)
    return result.run_id


def test_a_failed_run_is_alerted_with_its_day_and_reason(received: Received) -> None:
    run_id = _alert_a_failed_run(
        f"could not get an access token (HTTP 503) after 8 attempt(s); login token {SECRET}"
    )
    [(slack, teams, mail)] = received.texts()
    for body in (slack, teams, mail):
        assert "Run failed" in body and DAY in body and run_id in body
        assert "ConnectionError: could not get an access token (HTTP 503) after 8 attempt(s)" in body
        assert "max_retries" not in body  # Dagster's wrappers say how it failed, not why
        assert "dagster._core" not in body  # a Failure's own words, not its class
        assert ASSET in body  # the failed step
        # A run of Dagster's implicit asset job (a backfill, the asset graph) is named by what failed.
        assert f"Run failed: {ASSET} for {DAY}" in body and "__" not in body.split("\n")[0]
        assert "ephemeral_asset_job" not in body and "__ASSET_JOB" not in body
        assert f"http://dagster.acme.example/runs/{run_id}" in body
    assert SECRET not in received.everything() and SLACK_PATH not in received.everything()
    assert received.mails()[0]["To"] == "ap-ops@acme.example, it-ops@acme.example"


def test_a_long_reason_is_cut_at_a_word_and_says_where_the_rest_is(received: Received) -> None:
    sentence = "the supplier endpoint answered HTTP 503 eight times; rerun the partition once it is back. "
    reason = sentence * 30  # about 2,700 characters: past what an alert carries
    _alert_a_failed_run(reason)

    [(_slack, _teams, mail)] = received.texts()
    [line] = [line for line in mail.splitlines() if line.startswith("Reason: ")]
    assert line.endswith("\u2026 (the whole error is on the run's page)")
    kept = line.split("ConnectionError: ", 1)[1].split(" \u2026")[0]
    assert reason.startswith(kept) and kept[-1] in ".;"  # cut where a sentence or a clause ends


def test_a_backfill_run_is_named_by_its_title_and_failed_asset(received: Received) -> None:
    _alert_a_failed_run("coupa could not get an access token", backfill_title="November suppliers")
    [(slack, _teams, mail)] = received.texts()
    title = f"Run failed: backfill 'November suppliers' ({ASSET}) for {DAY}"
    assert slack.startswith(title) and f"[ml-connector] {title}" in mail
