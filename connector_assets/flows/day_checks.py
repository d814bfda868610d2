"""A day's ``no_failed_records`` evaluation, tied to that day's materialization so Dagster shows it per day
(yielded or logged after it, ``day_evaluation``; again after a replay, ``replayed_day_evaluations``). Why
and what it looks like: docs/flows.md, "What Dagster shows, per day".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from dagster import AssetCheckEvaluation, AssetCheckResult, AssetKey, AssetRecordsFilter, DagsterInstance

from connector_assets.asset_keys import flow_asset_key
from connector_assets.flows.range_days import day_evaluation
from connector_assets.flows.written_check import check_result, day_queue

# The type of ``AssetCheckEvaluation.target_materialization_data``: Dagster builds it itself for a check
# result yielded in the step, but exports no name for it; a day's evaluation logged on its own needs it.
from connector_assets.runtime.dagster_compat import AssetCheckEvaluationTargetMaterializationData
from connector_resources.desk_links import desk_queue_url
from connector_resources.ledger import Ledger

# The metadata key naming the replay after which a day was evaluated again.
REPLAYED = "evaluated_after"
# The metadata key of the records the day wrote (by its run or a replay), beside the check's ``failed``.
WRITTEN_RECORDS = "written"


def current_target(
    instance: DagsterInstance, asset_key: AssetKey, partition: str | None
) -> AssetCheckEvaluationTargetMaterializationData | None:
    """The latest materialization of ``asset_key``'s ``partition``, as a check evaluation targets it."""
    return current_targets(instance, asset_key, [partition]).get(partition)


def current_targets(
    instance: DagsterInstance, asset_key: AssetKey, partitions: Sequence[str | None]
) -> dict[str | None, AssetCheckEvaluationTargetMaterializationData]:
    """``current_target`` of each of ``partitions`` that has a materialization. One read for the days a
    step has just materialized (the newest records, one a day), then one a day for the others (a failed
    day's earlier materialization), so a year's range costs one read, not 365."""
    found: dict[str | None, AssetCheckEvaluationTargetMaterializationData] = {}
    if AssetCheckEvaluationTargetMaterializationData is None:  # this Dagster lacks it (warned once)
        return found

    def read(days: Sequence[str | None], limit: int) -> None:
        keys = None if days == [None] else list(days)
        for record in instance.fetch_materializations(
            AssetRecordsFilter(asset_key=asset_key, asset_partitions=keys), limit=limit
        ).records:
            day = record.partition_key
            if day not in found:
                found[day] = AssetCheckEvaluationTargetMaterializationData(
                    storage_id=record.storage_id, run_id=record.run_id, timestamp=record.timestamp
                )

    days = list(dict.fromkeys(partitions))
    read(days, len(days))
    for day in [d for d in days if d not in found]:
        read([day], 1)
    return {day: found[day] for day in days if day in found}


def replayed_day_evaluations(
    instance: DagsterInstance,
    ledger: Ledger,
    days: Iterable[tuple[str, str, str | None]],
    replay: str,
    told: Mapping[tuple[str, str, str | None], str] | None = None,
) -> list[AssetCheckEvaluation]:
    """Each of ``days`` (integration, flow, partition: ``ReplaySummary.days``; None for an unpartitioned
    flow) evaluated again from the retry queue after ``replay`` ("replay run <id>", "replay by CLI"), or
    after what ``told`` says changed that day (the changed-days sensor's words, counted per day). A
    day never materialized is left alone (its write step has not run: its truth is the step's, and a flow
    this instance never ran has none), as is a record without a day of a partitioned flow (no day to
    judge). The day's write step is named by the flow's names (``flow_asset_key``), not looked up. The
    description counts the day itself: the records it wrote (by its run or a replay) and those still
    failed."""
    evaluations = []
    for integration, flow, partition in sorted(days, key=lambda day: (day[0], day[1], day[2] or "")):
        asset_key = flow_asset_key(integration, flow, "written")
        target = current_target(instance, asset_key, partition)
        if target is None:
            continue
        items = ledger.partition_queue(integration=integration, flow=flow, partition_key=partition)
        queue = day_queue(items, ledger)
        result = check_result(asset_key, queue, desk_queue_url(integration, flow, partition))
        after = (told or {}).get((integration, flow, partition)) or replay
        written = ledger.partition_written(integration=integration, flow=flow, partition_key=partition)
        verdict = (
            f"after {after}: {written} record(s) of the day written, none failed"
            if result.passed
            else f"after {after}: {written} record(s) of the day written, {queue.failed} still failed, "
            f"{queue.held_overdue} held too long, {queue.needs_person} need a person"
        )
        result = AssetCheckResult(
            asset_key=asset_key,
            check_name=result.check_name,
            passed=result.passed,
            severity=result.severity,
            metadata={**result.metadata, REPLAYED: after, WRITTEN_RECORDS: written},
            description=verdict,
        )
        evaluations.append(day_evaluation(result, asset_key, partition, target))
    return evaluations
