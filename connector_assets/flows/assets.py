"""Dagster assets for a ``FlowSpec``: ``<flow>_mapped`` (with its blocking check) and ``<flow>_written``
(with its check on the day's failed and long-held records).

A backfill runs them once over its range, with the source reads (``flow_backfill_policy``): one process,
one login per system. Each day keeps its own truth (``range_days``): its figures, its check result, and a
materialization only if it was written, so a day that fails fails alone and a rerun from failure takes
exactly the failed days.
"""

import json
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetMaterialization,
    AssetObservation,
    AssetsDefinition,
    AssetSpec,
    BackfillPolicy,
    DagsterInstance,
    Failure,
    MaterializeResult,
    PartitionsDefinition,
    asset,
)

from connector_assets.asset_metadata import model_schema, row_count
from connector_assets.flows.core import (
    FlowSpec,
    Lease,
    Mapped,
    Rejected,
    audit_record,
    must_wait,
    queue_failure,
)
from connector_assets.flows.day_checks import current_targets
from connector_assets.flows.mapping_tables import recording_snapshots, snapshot_metadata
from connector_assets.flows.range_days import (
    DayWrite,
    day_evaluation,
    failed_day_check,
    failure_message,
    range_check,
    summed,
    unsent_error,
)
from connector_assets.flows.records import RECORDS_PER_PASS, Validation, validate_days
from connector_assets.flows.refused_share import (
    RefusedShare,
    judge,
    judge_items,
    mapped_check,
    systemic_written_check,
)
from connector_assets.flows.validated_days import ValidatedDays
from connector_assets.flows.writer import (
    UNREACHABLE_AFTER,
    PartitionWriter,
    TargetRefusesUntil,
    TargetUnreachable,
    awaits_replay,
    write_workers,
)
from connector_assets.flows.written_check import CHECK as WRITTEN_CHECK
from connector_assets.flows.written_check import PartitionQueue, check_result, check_spec, queue_of
from connector_assets.incremental import days_in_window
from connector_assets.run_workers import worker_ended
from connector_assets.staging import Column
from connector_assets.step_retry import fail_fast

MAPPED_COLUMNS = (Column("source_key"), Column("payload"))


CHECK = "writable"
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
)
# The write loop (``writer``) stops a day on these; re-exported here, where flows and tests look.
__all__ = ["UNREACHABLE_AFTER", "TargetRefusesUntil", "TargetUnreachable", "build_flow_assets"]


# A job holding a flow's single-run assets beside unpartitioned ones (its mapping tables, which have no
# backfill policy) makes Dagster warn on every load that the policies differ, naming none that matters (its
# backfills run the partitioned assets as one range either way): intended, so not shown.
warnings.filterwarnings(
    "ignore", message=r"Asset job .* materializes assets with varying BackfillPolicies", category=UserWarning
)


def flow_backfill_policy(partitions_def: PartitionsDefinition | None) -> BackfillPolicy | None:
    """One run for a backfill's whole range, the source reads' policy too: Dagster puts assets of one
    policy and partitioning in the same run, so the backfill is one process start, one token per system
    and one daemon tick, not one per day (docs/backfill_mechanisms.md). The steps keep each
    day's own result (``range_days``); the write pools (``write_pool``) keep each API under its limit."""
    return BackfillPolicy.single_run() if partitions_def else None


def tag_run(context: AssetExecutionContext, spec: FlowSpec) -> None:
    """Tag the run with its integration and flow (``ml/integration``, ``ml/flow``).

    A backfill launched from the asset graph runs under ``__ASSET_JOB``, not the flow's job, so the job
    page shows none of it; these tags find every run of a flow, whoever launched it (Runs, filter by tag).
    """
    wanted = {"ml/integration": spec.integration, "ml/flow": spec.name}
    if any(context.run.tags.get(k) != v for k, v in wanted.items()):
        context.instance.add_run_tags(context.run.run_id, wanted)


def _api_calls(target: Any) -> int:
    """HTTP calls the target's client session has made so far (its ``CallMetrics``), 0 if it keeps none."""
    metrics = getattr(getattr(target, "session", None), "metrics", None) or getattr(target, "metrics", None)
    return int(getattr(metrics, "calls", 0) or 0)


def run_partitions(context: AssetExecutionContext) -> list[str | None]:
    """The day partitions of this run: one, or each day of a single-run backfill's range."""
    if not context.has_partition_key and not context.has_partition_key_range:
        return [None]
    window = context.partition_time_window
    return [day.isoformat() for day in days_in_window(window.start, window.end)]


def awaited_keys(context: AssetExecutionContext, partition: str | None, spec: FlowSpec) -> list[str]:
    """Source keys of ``spec``'s records that held records wait for (a supplier a purchase order waits
    for, which changed before any window this flow reads and would never sync by itself). Asked on the
    run's last day only, so a backfill reads them once."""
    if partition is not None and partition != run_partitions(context)[-1]:
        return []
    prefix = spec.dependency_key("")
    return [key[len(prefix) :] for key in context.resources.ledger.get().waited_for(prefix)]


def write_pool(spec: FlowSpec) -> str:
    """The Dagster concurrency pool of a flow's write step: ``FlowSpec.write_pool`` when the flow names one
    (a BILL target: ``bill_<organization>``, shared with BILL's source reads, see
    ``connector_resources.bill.resource``), else ``write_<target system>`` (``write_coupa``,
    ``write_jde``), limit 1 (``ml-connector dev`` applies it).

    So two runs of one flow write one after the other, whatever their partitions (the ledger's lease,
    ``Lease``, guards the record itself; the pool keeps the runs from meeting at all), and, with a backfill
    running one day per run, no two write steps call the same API at once: one client paces itself to the
    API's ceiling (Coupa 24 of its 25 req/s), so several would exceed it together. It is per target system
    rather than per flow for that reason; a step has one pool."""
    return spec.write_pool or f"write_{spec.target_system.lower()}"


WRITE_POOL_LIMIT = 1


def pool_limit(pool: str) -> int | None:
    """The limit the project sets on a named pool: 1 for a write pool; BILL's organization pool
    (``bill_<org>``) its ``CONCURRENCY_POOL_LIMIT`` (1 step, using up to 3 requests); None for others."""
    from connector_resources.bill.resource import CONCURRENCY_POOL_LIMIT

    if pool.startswith("write_"):
        return WRITE_POOL_LIMIT
    if pool.startswith("bill_"):
        return CONCURRENCY_POOL_LIMIT
    if pool.startswith("procore_"):  # Procore's app pool (``ProcoreResource.concurrency_pool``)
        from connector_resources.procore.resource import CONCURRENCY_POOL_LIMIT as PROCORE_LIMIT

        return PROCORE_LIMIT
    return None


def apply_write_pool_limits(instance: DagsterInstance, assets: Iterable[Any]) -> dict[str, int]:
    """Set every pool of ``assets`` that ``pool_limit`` knows on ``instance``: the write pools
    (``write_pool``) and BILL's organization pools to one step at a time.

    Named pool limits live in the instance database, not in ``dagster.yaml`` (whose ``default_limit``
    of 3 would otherwise apply), so they are set whenever the project starts an instance
    (``ml-connector dev``); elsewhere ``dagster instance concurrency set write_<system> 1`` (and
    ``bill_<org> 1``) does the same.
    """
    pools = sorted(
        {asset.op.pool for asset in assets if isinstance(asset, AssetsDefinition) and asset.op.pool}
    )
    limits = {pool: limit for pool in pools if (limit := pool_limit(pool)) is not None}
    for pool, limit in limits.items():
        instance.event_log_storage.set_concurrency_slots(pool, limit)
    return limits


def run_lease(context: AssetExecutionContext) -> Lease:
    """The lease owner of a run's writes: its run id, inheriting the leases of the runs it re-executes
    (parent and root) once they have finished, and of any other run the instance reports as ended. A
    crashed run retried by the daemon, or a failed partition rerun from the UI, then writes its last record
    at once instead of waiting for the lease to expire; a run still going keeps its leases."""
    run, ended = context.run, runs_ended_in(context.instance)
    ancestors = sorted({run.parent_run_id, run.root_run_id} - {None, run.run_id})
    return Lease(run.run_id, tuple(r for r in ancestors if ended(r)), gone=ended)


def runs_ended_in(instance: DagsterInstance) -> Callable[[str], bool]:
    """Whether a lease owner is a run of ``instance`` that has ended: finished (failed, canceled,
    succeeded), or its worker is known dead before the daemon has marked it failed (``worker_ended``).
    Used by write steps (``run_lease``) and replays (``replay_items``) alike."""

    def ended(run_id: str) -> bool:
        record = instance.get_run_by_id(run_id)  # None for a replay's owner id: not a run, never "ended"
        if record is None:
            return False
        return record.is_finished or worker_ended(instance, run_id) is not None

    return ended


def target_asset_name(spec: FlowSpec) -> AssetKey:
    """``[<integration>, <flow>_in_<target>]``: the target system's records of the flow, downstream of
    ``<flow>_written``."""
    return spec.key(f"in_{spec.target_system.lower()}")


def target_asset(spec: FlowSpec, partitions_def: PartitionsDefinition | None, group: str) -> AssetSpec:
    """The flow's records as they stand in the target (Coupa suppliers, JDE vouchers, ...).

    Not materialized by this project: the target owns them. Each write step observes it for its day
    (how many of the day's records the target holds, by action), so lineage reads source -> mapped ->
    written -> target -> reconciliation, and the target's own page shows what reached it per day. It
    cannot be the target system's source asset itself (e.g. ``coupa/invoices``): flows run both ways, and
    that would close a cycle."""
    return AssetSpec(
        target_asset_name(spec),
        deps=[spec.key("written")],
        group_name=group,
        kinds={spec.target_system.lower()},
        partitions_def=partitions_def,
        description=f"{spec.target_system} {spec.entity} records written by {spec.flow} (owned by "
        f"{spec.target_system}; observed by each write step: records of the day held there).",
    )


def executable_keys(assets: Iterable[AssetsDefinition | AssetSpec]) -> list[AssetKey]:
    """The keys a job can run: a flow's list also holds its target (``target_asset``), which only the
    target system changes."""
    return [a.key for a in assets if isinstance(a, AssetsDefinition)]


def _names(keys: Sequence[AssetKey]) -> list[str]:
    """``keys`` as the catalog writes them (``jde/po_headers``); a flat name is refused, since no asset has
    one (``connector_assets.asset_keys``)."""
    wrong = [k for k in keys if not isinstance(k, AssetKey)]
    if wrong:
        raise TypeError(f"upstream assets are named by key (connector_assets.asset_keys), got {wrong}")
    return [k.to_user_string() for k in keys]


@dataclass
class MappedDay:
    """One day of a mapped step, mapped and waiting to be validated with the days around it."""

    partition: str | None
    mapped_at: datetime  # a dependency paired after this may be missing from the bodies (``must_wait``)
    records: list[Mapped] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


def build_flow_assets(
    spec: FlowSpec,
    *,
    partitions_def: PartitionsDefinition | None,
    upstream: Sequence[AssetKey],
    resource_keys: set[str],
    group: str,
    kinds: set[str],
) -> list[AssetsDefinition | AssetSpec]:
    if group != spec.integration:  # the flow's keys are in its integration's group (``FlowSpec.key``)
        raise ValueError(f"{spec.flow}: its assets belong to group {spec.integration}, not {group}")
    mapped_key, written_key = spec.key("mapped"), spec.key("written")

    @asset(
        key=mapped_key,
        group_name=group,
        kinds=kinds | {"pandera"},
        partitions_def=partitions_def,
        deps=list(upstream),
        required_resource_keys=resource_keys | {"staging", "ledger"},
        check_specs=[
            AssetCheckSpec(
                CHECK,
                asset=mapped_key,
                blocking=True,
                description=f"Every {spec.entity} is writable to {spec.target_system}.",
                partitions_def=partitions_def,  # a result per day, so the UI shows each day's
            )
        ],
        description=f"{spec.entity.capitalize()} records mapped for {spec.target_system} from "
        f"{spec.source_system}'s {', '.join(_names(upstream)) or 'records'} and validated "
        f"({spec.schema.__name__}: "
        "its columns below); invalid ones are in the retry queue with the reason.",
        metadata=model_schema(spec.schema),
        backfill_policy=flow_backfill_policy(partitions_def),
        pool=spec.mapped_pool,
    )
    @fail_fast(mapped_key.to_user_string())
    def _mapped(context: AssetExecutionContext):
        """Queue every refused record with its reason and stage the rest, however many are refused: a
        day that looks systemic is flagged (``refused_share``), never held back whole."""
        tag_run(context, spec)
        totals: dict[str, int] = {"records": 0, "valid": 0, "rejected": 0, "held": 0}
        used: dict[str, set[str]] = {}
        shares: list[RefusedShare] = []
        partitions = run_partitions(context)
        mapped: list[MappedDay] = []  # mapped, not yet validated: validated together (``validate_days``)
        day_checks: list[tuple[str | None, AssetCheckResult]] = []  # a range's, logged once materialized
        for index, partition in enumerate(partitions):
            with recording_snapshots() as read:
                mapped.append(_map_day(context, partition))
            for table, prints in read.items():
                used.setdefault(table, set()).update(prints)
            last = index == len(partitions) - 1
            if not last and sum(len(day.records) for day in mapped) < RECORDS_PER_PASS:
                continue
            for day, checked in zip(mapped, validate_days(spec, [d.records for d in mapped]), strict=True):
                counts, share = _stage_day(context, day, checked)
                shares.append(share)
                if len(partitions) > 1:  # a range (a backfill): each day its own figures and check result
                    figures = {**counts, **row_count(counts["valid"])}
                    context.add_asset_metadata(figures, partition_key=day.partition)
                    day_checks.append((day.partition, mapped_check(CHECK, share, counts)))
                if share.systemic:
                    context.log.error(share.message())
                for key, value in counts.items():
                    totals[key] += value
            mapped = []
        worst = max(shares, key=lambda s: (s.systemic, s.refused))
        # Which mapping-table snapshot(s) the records were mapped with: the run pins the table it used.
        staged = row_count(totals["valid"]) if len(partitions) == 1 else {}  # the records staged to write
        yield MaterializeResult(metadata={**totals, **snapshot_metadata(used), **staged})
        # The checks after the materialization they judge, so the check's partitions show each day
        # (``day_checks``).
        targets = current_targets(context.instance, mapped_key, [partition for partition, _ in day_checks])
        for partition, day_check in day_checks:
            context.log_event(day_evaluation(day_check, mapped_key, partition, targets.get(partition)))
        yield mapped_check(CHECK, worst, totals)

    def _map_day(context: AssetExecutionContext, partition: str | None) -> MappedDay:
        """Map one day: the records to validate, and those the mapper refused itself."""
        day = MappedDay(partition, mapped_at=datetime.now(UTC))  # a dependency paired after may be missing
        for item in spec.map_records(context, partition):
            (day.records if isinstance(item, Mapped) else day.rejected).append(item)
        return day

    def _stage_day(
        context: AssetExecutionContext, day: MappedDay, checked: Validation
    ) -> tuple[dict[str, int], RefusedShare]:
        """Stage one validated day: refused records queued with their reasons, records waiting for a
        dependency held, the rest staged for the write step; with the day's refused share."""
        ledger = context.resources.ledger.get()
        run_id, partition = context.run.run_id, day.partition
        total = len(day.records) + len(day.rejected)
        rejected = day.rejected + checked.rejected
        waiting = [r for r in checked.valid if must_wait(ledger, r, mapped_at=day.mapped_at)]
        ready = [r for r in checked.valid if r not in waiting]
        metadata = {"records": total, "valid": len(ready), "rejected": len(rejected), "held": len(waiting)}
        for record in waiting:
            reason = f"{spec.entity} {record.source_key} waits for {record.depends_on} to sync"
            queue_failure(
                spec,
                ledger,
                Rejected(record.source_key, reason, record.to_payload()),
                status="held",
                depends_on=record.depends_on,
                run_id=run_id,
                partition=partition,
            )
        for item in rejected:
            queue_failure(spec, ledger, item, run_id=run_id, partition=partition)
        writer = context.resources.staging.writer(mapped_key, partition, MAPPED_COLUMNS)
        try:
            for record in ready:
                writer.write({"source_key": record.source_key, "payload": json.dumps(record.to_payload())})
            writer.commit()
        except BaseException:
            writer.abort()
            raise
        return metadata, judge(spec, partition, total, [r.reason for r in rejected])

    @asset(
        key=written_key,
        group_name=group,
        kinds=kinds,
        partitions_def=partitions_def,
        deps=[mapped_key],
        required_resource_keys=resource_keys | {"staging", "ledger"},
        description=f"{spec.entity.capitalize()} records written to {spec.target_system} through the ledger "
        "(skip unchanged, update known, adopt found, create new; audit every write).",
        backfill_policy=flow_backfill_policy(partitions_def),
        pool=write_pool(spec),
        check_specs=[check_spec(written_key, spec.target_system, partitions_def)],
        output_required=False,  # a range with a failed day logs each passed day's materialization itself
    )
    @fail_fast(written_key.to_user_string())  # a refused login or a target unreachable: a Failure in words
    def _written(context: AssetExecutionContext):
        """Write the staged records of each day of the run. When a day's refused share looks systemic
        (``refused_share``) the step fails after writing them and after its check: the run, the partition
        and a backfill show the day as needing attention (and alert), while the rerun writes nothing twice
        (the ledger skips each record written) and passes once the refused records are replayed or mapped.
        A range (a backfill's one run) keeps each day's truth the same way (``range_days``)."""
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
        metadata = _day_metadata(day, queue)
        if share.systemic:
            yield result
            context.log.error(share.message())
            raise Failure(share.message(), metadata=metadata, allow_retries=False)
        # The day's materialization, then its check: the check's evaluation targets that materialization, so
        # the check's partitions show the day red or green (``day_checks``), not blank.
        yield MaterializeResult(metadata=metadata)
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
        with spec.open_target(context) as target:
            for partition in partitions:
                day = DayWrite(partition, dict.fromkeys(WRITE_COUNTS, 0))
                days.append(day)
                if stopped is not None:
                    day.error = stopped
                    continue
                calls = _api_calls(target)
                try:
                    day.staged = _write_partition(context, target, staged, partition, queued, day.counts)
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
        evaluation, then the range's check. When every day passed, the step's output materializes each day
        with its own figures (and the steps downstream, a purchase order flow after the suppliers, run);
        when a day failed, each passed day is materialized by its own event and the step fails after the
        last."""
        ledger = context.resources.ledger.get()
        queues, results = [], []
        for day in days:
            assert day.partition is not None  # a range is of days
            queue, share, result = _verdict(ledger, day)
            if share.systemic and day.error is None:
                context.log.error(share.message())
                day.error = share.message()
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

    def _verdict(ledger: Any, day: DayWrite) -> tuple[PartitionQueue, RefusedShare, AssetCheckResult]:
        """The day's queue counts, refused share and check result, from its open items read once."""
        items = ledger.partition_queue(
            integration=spec.integration, flow=spec.name, partition_key=day.partition
        )
        queue, share = queue_of(items), judge_items(spec, day.partition, items, day.staged)
        return queue, share, systemic_written_check(check_result(written_key, queue), [share])

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
    ) -> set[str]:
        """Write one day's staged records; returns their source keys (the day's records that were mapped)."""
        ledger, run_id, lease = context.resources.ledger.get(), context.run.run_id, run_lease(context)
        # Validated again: a re-execution from failure skips the check step, so its block does not hold here.
        records, checked = staged.day(partition)
        counts["records"] += len(records)
        counts["rejected_again"] += len(checked.rejected)
        for item in checked.rejected:
            queue_failure(spec, ledger, item, run_id=run_id, partition=partition)
        sendable = _not_awaiting_replay(checked.valid, queued, counts, ledger, run_id, partition)
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
        )
        writer.run(sendable, write_workers(spec, target))
        if writer.leased_by:  # held together behind the live runs writing them, named once each
            behind = ", ".join(f"{n} by {owner}" for owner, n in writer.leased_by.most_common())
            context.log.warning(
                f"{sum(writer.leased_by.values())} record(s) held, being written by another live run: "
                f"{behind}; each is released when that run records it"
            )
        return {record.source_key for record in records}

    def _not_awaiting_replay(
        records: list[Mapped],
        queued: dict[str, Any],
        counts: dict[str, int],
        ledger: Any,
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
                f"not sent again: {spec.target_system} refused it unchanged (queue item {item.id}); "
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

    return [_mapped, _written, target_asset(spec, partitions_def, group)]
