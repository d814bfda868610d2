"""A flow's ``<flow>_written`` step: write each day's staged records through the ledger, observe the
target, and judge the day; a range keeps each day's own result (``range_days``). A day whose refused share
looks systemic is still materialized, its check red: the run is made red by ``<flow>_verdict``
(``day_verdict``), not here."""

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    AssetMaterialization,
    AssetObservation,
    AssetsDefinition,
    Failure,
    MaterializeResult,
    PartitionsDefinition,
    asset,
)

from connector_assets.flows.backfill_policy import flow_backfill_policy
from connector_assets.flows.core import FlowSpec, Mapped, audit_record, queue_failure
from connector_assets.flows.day_checks import current_targets
from connector_assets.flows.deferred import batch_limits
from connector_assets.flows.flow_run import run_lease, run_partitions, tag_run
from connector_assets.flows.found_ahead import SearchAhead
from connector_assets.flows.parent_pull import PULL_COUNTS, ParentPull, check_parents, pull_limit
from connector_assets.flows.range_days import (
    DayWrite,
    day_evaluation,
    failed_day_check,
    failure_message,
    range_check,
    summed,
    unsent_error,
)
from connector_assets.flows.refused_share import RefusedShare, judge_items, systemic_written_check
from connector_assets.flows.target_asset import target_asset_name
from connector_assets.flows.validated_days import ValidatedDays
from connector_assets.flows.write_pools import write_pool
from connector_assets.flows.writer import (
    PartitionWriter,
    TargetRefusesUntil,
    TargetUnreachable,
    awaits_replay,
    write_workers,
)
from connector_assets.flows.written_check import CHECK as WRITTEN_CHECK
from connector_assets.flows.written_check import PartitionQueue, check_result, check_spec, day_queue
from connector_assets.runtime.asset_metadata import row_count
from connector_assets.runtime.step_retry import fail_fast
from connector_resources.desk_links import desk_queue_url
from connector_resources.ledger import Ledger

# How the audit says a record was left queued for a replay, not sent (``_not_awaiting_replay``); a preview
# reads it as that record's refusal.
NOT_SENT_AGAIN = "not sent again"

# A write step's figures, per day: what happened to each staged record, and the calls it cost.
WRITE_COUNTS = (
    "records",
    "create",
    "update",
    "adopt",
    "skip",
    "fail",
    "leased",  # being written by another run: held, not sent (``BeingWritten``)
    "held",  # the target says it waits for work of its own (JDE's R04110ZA): held, not failed (``WaitsFor``)
    "released",
    "rejected_again",
    "awaiting_replay",  # refused for good before and unchanged: left queued for a replay
    "api_calls",
    *PULL_COUNTS,  # parents never synced, pulled for the day's held records (``parent_pull``)
)


def _awaits(queued: Mapping[str, object], record: Mapped) -> bool:
    """Whether the run leaves ``record`` to a replay (``awaits_replay`` on its open queue item)."""
    item = queued.get(record.source_key)
    return item is not None and awaits_replay(item, record)


def _days_ahead(staged: ValidatedDays, pull: ParentPull) -> Iterator[list[Mapped]]:
    """The records of the days read ahead, in the order each day writes them: its staged records, then
    those its pulls released (not one it stages)."""
    for partition, valid in staged.days_ahead():
        keys = {record.source_key for record in valid}
        yield valid + [record for record in pull.ready_for(partition) if record.source_key not in keys]


def _api_calls(target: object) -> int:
    """HTTP calls the target's client session has made so far (its ``CallMetrics``), 0 if it keeps none."""
    metrics = getattr(getattr(target, "session", None), "metrics", None) or getattr(target, "metrics", None)
    return int(getattr(metrics, "calls", 0) or 0)


def written_asset(
    spec: FlowSpec,
    *,
    partitions_def: PartitionsDefinition | None,
    resource_keys: set[str],
    group: str,
    kinds: set[str],
    parents: tuple[FlowSpec, ...] = (),
) -> AssetsDefinition:
    """The flow's write step (``build_flow_assets``), its helpers closing over ``spec`` and its keys;
    ``parents``: the flows whose never-synced records it pulls for its held ones (``parent_pull``)."""
    mapped_key, written_key = spec.key("mapped"), spec.key("written")
    check_parents(spec, parents)

    @asset(
        key=written_key,
        group_name=group,
        kinds=kinds,
        partitions_def=partitions_def,
        deps=[mapped_key],
        required_resource_keys=resource_keys | {"staging", "ledger", "target_boundary"},
        description=f"{spec.entity.capitalize()} records written to {spec.target_system} through the ledger "
        "(skip unchanged, update known, adopt found, create new; audit every write).",
        backfill_policy=flow_backfill_policy(partitions_def),
        pool=write_pool(spec),
        check_specs=[check_spec(written_key, spec.target_system, partitions_def)],
        output_required=False,  # a range with a failed day logs each passed day's materialization itself
    )
    @fail_fast(written_key.to_user_string())  # a refused login or a target unreachable: a Failure in words
    def _written(context: AssetExecutionContext):
        """Write the staged records of each day of the run; a systemic day is judged as the module says."""
        tag_run(context, spec)
        ledger = context.resources.ledger.get()
        # Records queued by an earlier run (failed, or held: released or not) that this run writes are
        # resolved here, so the queue only ever shows what still needs attention.
        queued = {
            item.source_key: item
            for item in ledger.open_items(integration=spec.integration, flow=spec.name, limit=100_000)
        }
        partitions = run_partitions(context)
        days = _write_days(context, partitions, queued)
        counts = summed(days)
        context.log.info(f"{spec.flow}: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
        if len(days) > 1:
            yield from _range_results(context, days)
            return
        [day] = days
        queue, share, result = _verdict(ledger, day)
        if share.systemic:  # said here, where it was written; the verdict step fails the run on it
            context.log.error(share.message())
        # The day's materialization, then its check: the check's evaluation targets that materialization, so
        # the check's partitions show the day red or green (``day_checks``), not blank.
        yield MaterializeResult(metadata=_day_metadata(day, queue))
        yield result

    def _write_days(
        context: AssetExecutionContext, partitions: list[str | None], queued: dict[str, Any]
    ) -> list[DayWrite]:
        """Write each day in turn. One day's error ends a single-day run as it is; in a range it is that
        day's failure, and the next days are tried, unless the target is unreachable or refusing until a
        known time: then the days left are failed unsent (a rerun from failure sends them)."""
        days: list[DayWrite] = []
        stopped: str | None = None
        staged = ValidatedDays(spec, partitions, lambda partition: _staged_records(context, partition))
        pull = ParentPull(spec, parents, pull_limit())
        # A range's next days searched with the end of each day (``found_ahead``), for targets that can:
        # their staged records, then those their pulls released (``ParentPull.ahead``).
        ahead = SearchAhead(lambda: _days_ahead(staged, pull), lambda record: _awaits(queued, record))
        with spec.open_target(context) as opened, _releasing(context, ahead):
            target = context.resources.target_boundary.wrap(spec, opened)  # itself, unless in a preview
            first_calls: int | None = _api_calls(target)  # what is done ahead is the first day's
            pull.ahead(context, partitions, staged.staged_keys)  # a range's pulls, before its first day
            if len(partitions) > 1:  # the first day's records claimed and searched with the next days'
                staged.staged_keys(partitions[0])  # its day read (and validated) now
                ledger = context.resources.ledger.get()
                ahead.search(spec, target, ledger, run_lease(context), batch_limits()[0], set())
            for partition in partitions:
                day = DayWrite(partition, dict.fromkeys(WRITE_COUNTS, 0))
                days.append(day)
                if stopped is not None:
                    day.error = stopped
                    continue
                calls, first_calls = (_api_calls(target) if first_calls is None else first_calls), None
                try:
                    day.staged = _write_partition(
                        context, target, staged, partition, queued, day.counts, ahead, pull
                    )
                except Exception as error:
                    if len(partitions) == 1:
                        raise
                    day.error = f"{type(error).__name__}: {error}"
                    if isinstance(error, TargetUnreachable | TargetRefusesUntil):
                        stopped = unsent_error(spec.target_system, partition)
                finally:
                    day.counts["api_calls"] = _api_calls(target) - calls
                _observe_target(context, partition, day.counts)
        return days

    def _range_results(context: AssetExecutionContext, days: list[DayWrite]):
        """A range's results, day by day (``range_days``): each day's figures, then each day's check
        evaluation, then the range's check. When every day was written the step's output materializes each
        day with its own figures; when a day failed, each other day is materialized by its own event and the
        step fails after the last."""
        ledger = context.resources.ledger.get()
        queues, results = [], []
        for day in days:
            assert day.partition is not None  # a range is of days
            queue, share, result = _verdict(ledger, day)
            if share.systemic and day.error is None:
                context.log.error(share.message())
            queues.append(queue)
            results.append(result if day.error is None else failed_day_check(result, day.error))
        failed = any(day.failed for day in days)
        for day, queue in zip(days, queues, strict=True):
            if day.failed:
                continue
            if failed:  # no output for the range: it would materialize the failed days too
                figures = _day_metadata(day, queue)
                context.log_event(
                    AssetMaterialization(written_key, partition=day.partition, metadata=figures)
                )
            else:
                context.add_asset_metadata(_day_metadata(day, queue), partition_key=day.partition)
        if not failed:
            # Without an output Dagster skips every step downstream of this one for the whole range.
            yield MaterializeResult()
        # Each day's evaluation after its materialization, targeting it (``day_checks``): the check's
        # partitions show each day red or green (a failed day: against its last materialization, if any).
        targets = current_targets(context.instance, written_key, [day.partition for day in days])
        for day, result in zip(days, results, strict=True):
            context.log_event(day_evaluation(result, written_key, day.partition, targets.get(day.partition)))
        yield range_check(written_key, WRITTEN_CHECK, days, queues)
        if failed:
            raise Failure(failure_message(spec.flow, days), metadata=summed(days), allow_retries=False)

    def _verdict(ledger: Ledger, day: DayWrite) -> tuple[PartitionQueue, RefusedShare, AssetCheckResult]:
        """The day's queue counts, refused share and check result, from its open items read once."""
        items = ledger.partition_queue(
            integration=spec.integration, flow=spec.name, partition_key=day.partition
        )
        queue, share = day_queue(items, ledger), judge_items(spec, day.partition, items, day.staged)
        desk = desk_queue_url(spec.integration, spec.name, day.partition)
        return queue, share, systemic_written_check(check_result(written_key, queue, desk), [share])

    def _day_metadata(day: DayWrite, queue: Any) -> dict[str, Any]:
        in_target = sum(day.counts[k] for k in ("create", "update", "adopt", "skip"))
        queued = {"queued_failed": queue.failed, "queued_held": queue.held}
        return {**day.counts, **queued, **row_count(in_target)}

    def _staged_records(context: AssetExecutionContext, partition: str | None) -> list[Mapped]:
        return [
            Mapped.from_payload(json.loads(row["payload"]))
            for row in context.resources.staging.read_rows(mapped_key, partition)
        ]

    def _write_partition(
        context: AssetExecutionContext,
        target: Any,
        staged: ValidatedDays,
        partition: str | None,
        queued: dict[str, Any],
        counts: dict[str, int],
        ahead: SearchAhead | None = None,
        pull: ParentPull | None = None,
    ) -> set[str]:
        """Write one day's staged records, and those held on a parent ``pull`` brought in first; returns
        their source keys (the day's records that were mapped)."""
        ledger, run_id, lease = context.resources.ledger.get(), context.run.run_id, run_lease(context)
        # Validated again: a re-execution from failure skips the check step, so its block does not hold here.
        records, checked = staged.day(partition)
        counts["records"] += len(records)
        counts["rejected_again"] += len(checked.rejected)
        for item in checked.rejected:
            queue_failure(spec, ledger, item, run_id=run_id, partition=partition)
        sendable = _not_awaiting_replay(checked.valid, queued, counts, ledger, run_id, partition)
        staged_keys = {record.source_key for record in records}
        pulled_for = pull.day(context, partition, counts, staged_keys) if pull is not None else []
        sendable += pulled_for
        # One record at a time, or ``spec.write_concurrency`` at once on this one target (``writer``).
        writer = PartitionWriter(
            spec,
            target,
            ledger,
            run_id=run_id,
            partition=partition,
            lease=lease,
            queued=queued,
            counts=counts,
            search_ahead=ahead,
        )
        writer.run(sendable, write_workers(spec, target))
        if writer.leased_by:  # held together behind the live runs writing them, named once each
            behind = ", ".join(f"{n} by {owner}" for owner, n in writer.leased_by.most_common())
            context.log.warning(
                f"{sum(writer.leased_by.values())} record(s) held, being written by another live run: "
                f"{behind}; each is released when that run records it"
            )
        return staged_keys | {record.source_key for record in pulled_for}

    @contextmanager
    def _releasing(context: AssetExecutionContext, ahead: SearchAhead) -> Iterator[None]:
        """The step's writes; then the claims taken ahead for days that did not use them are ended."""
        try:
            yield
        finally:
            ahead.release(spec, context.resources.ledger.get(), run_lease(context))

    def _not_awaiting_replay(
        records: list[Mapped],
        queued: dict[str, Any],
        counts: dict[str, int],
        ledger: Ledger,
        run_id: str,
        partition: str | None,
    ) -> list[Mapped]:
        """The records this run sends: not those the target refused for good and unchanged since
        (``awaits_replay``), which stay queued for ``ml-connector replay`` with an audit event saying so;
        a rerun does not POST them again."""
        sendable = []
        for record in records:
            item = queued.get(record.source_key)
            if item is None or not awaits_replay(item, record):
                sendable.append(record)
                continue
            counts["awaiting_replay"] += 1
            audit_record(
                ledger,
                spec,
                "skip",
                record.source_key,
                f"{NOT_SENT_AGAIN}: {spec.target_system} refused it unchanged (queue item {item.id}); "
                "fix the cause, then ml-connector replay",
                run_id=run_id,
                partition=partition,
            )
        return sendable

    def _observe_target(context: AssetExecutionContext, partition: str | None, day: dict[str, int]) -> None:
        held_there = sum(day[k] for k in ("create", "update", "adopt", "skip"))
        context.log_event(
            AssetObservation(
                asset_key=target_asset_name(spec),
                partition=partition,
                metadata={
                    "records_in_target": held_there,
                    **{k: day[k] for k in ("create", "update", "adopt", "skip")},
                    "not_written": day["fail"] + day["leased"] + day["rejected_again"],
                },
            )
        )

    return _written
