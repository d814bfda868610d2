"""Dagster assets for a ``FlowSpec``: ``<flow>_mapped`` (with its blocking check) and ``<flow>_written``."""

import json
from collections.abc import Iterable, Sequence
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    BackfillPolicy,
    DagsterInstance,
    Failure,
    MaterializeResult,
    PartitionsDefinition,
    asset,
)

from connector_assets.flows.core import (
    BeingWritten,
    FlowSpec,
    Lease,
    Mapped,
    Rejected,
    dependency_synced,
    queue_failure,
    validate,
    write_record,
)
from connector_assets.incremental import days_in_window
from connector_assets.staging import Column
from connector_resources.redaction import redact

MAPPED_COLUMNS = (Column("source_key"), Column("payload"))


class _Systemic(Exception):
    """Most of a day's records cannot be written: the mapping or the schema is broken, not the data."""

    def __init__(self, message: str, metadata: dict[str, Any]) -> None:
        super().__init__(message)
        self.metadata = metadata


CHECK = "writable"


def run_partitions(context: AssetExecutionContext) -> list[str | None]:
    """The day partitions of this run: one, or each day of a single-run backfill's range."""
    if not context.has_partition_key and not context.has_partition_key_range:
        return [None]
    window = context.partition_time_window
    return [day.isoformat() for day in days_in_window(window.start, window.end)]


def write_pool(spec: FlowSpec) -> str:
    """The Dagster concurrency pool of a flow's write step: ``write_<flow>``, limit 1 (``ml-connector dev``
    applies it), so two runs of one flow write one after the other, whatever their partitions. The ledger's
    lease (``Lease``) is the guard on the record itself; the pool keeps the two runs from meeting at all."""
    return f"write_{spec.flow}"


WRITE_POOL_LIMIT = 1


def apply_write_pool_limits(instance: DagsterInstance, assets: Iterable[Any]) -> dict[str, int]:
    """Limit every write pool (``write_pool``) of ``assets`` to one step at a time on ``instance``.

    Named pool limits live in the instance database, not in ``dagster.yaml`` (whose ``default_limit``
    of 3 would otherwise apply), so they are set whenever the project starts an instance
    (``ml-connector dev``); elsewhere ``dagster instance concurrency set write_<flow> 1`` does the same.
    """
    pools = sorted(
        {
            asset.op.pool
            for asset in assets
            if isinstance(asset, AssetsDefinition) and (asset.op.pool or "").startswith("write_")
        }
    )
    for pool in pools:
        instance.event_log_storage.set_concurrency_slots(pool, WRITE_POOL_LIMIT)
    return dict.fromkeys(pools, WRITE_POOL_LIMIT)


def run_lease(context: AssetExecutionContext) -> Lease:
    """The lease owner of a run's writes: its run id, inheriting the leases of the runs it re-executes
    (parent and root) once they have finished, and of any other run the instance reports as ended. A
    crashed run retried by the daemon, or a failed partition rerun from the UI, then writes its last record
    at once instead of waiting for the lease to expire; a run still going keeps its leases."""
    run, instance = context.run, context.instance

    def ended(run_id: str) -> bool:
        record = instance.get_run_by_id(run_id)  # None for a replay's owner id: not a run, never "ended"
        return record is not None and record.is_finished

    ancestors = sorted({run.parent_run_id, run.root_run_id} - {None, run.run_id})
    return Lease(run.run_id, tuple(r for r in ancestors if ended(r)), gone=ended)


def build_flow_assets(
    spec: FlowSpec,
    *,
    partitions_def: PartitionsDefinition | None,
    upstream: Sequence[str],
    resource_keys: set[str],
    group: str,
    kinds: set[str],
) -> list[AssetsDefinition]:
    mapped_name, written_name = f"{spec.flow}_mapped", f"{spec.flow}_written"

    @asset(
        name=mapped_name,
        group_name=group,
        kinds=kinds | {"pandera"},
        partitions_def=partitions_def,
        deps=[AssetKey(name) for name in upstream],
        required_resource_keys=resource_keys | {"staging", "ledger"},
        check_specs=[
            AssetCheckSpec(
                CHECK,
                asset=mapped_name,
                blocking=True,
                description=f"Every {spec.entity} is writable to {spec.target_system}.",
            )
        ],
        description=f"{spec.entity.capitalize()} records mapped for {spec.target_system} and validated "
        f"({spec.schema.__name__}); invalid ones are in the retry queue with the reason.",
        backfill_policy=BackfillPolicy.single_run() if partitions_def else None,
    )
    def _mapped(context: AssetExecutionContext):
        totals: dict[str, int] = {"records": 0, "valid": 0, "rejected": 0, "held": 0}
        for partition in run_partitions(context):
            try:
                counts = _map_partition(context, partition)
            except _Systemic as systemic:
                yield AssetCheckResult(check_name=CHECK, passed=False, metadata=systemic.metadata)
                raise Failure(str(systemic)) from None
            for key, value in counts.items():
                totals[key] += value
        yield AssetCheckResult(check_name=CHECK, passed=True, metadata=totals)
        yield MaterializeResult(metadata=totals)

    def _map_partition(context: AssetExecutionContext, partition: str | None) -> dict[str, int]:
        """Map, validate and stage one day; raises (failing the check) when the day looks systemic."""
        ledger = context.resources.ledger.get()
        run_id = context.run.run_id
        records: list[Mapped] = []
        rejected: list[Rejected] = []
        for item in spec.map_records(context, partition):
            (records if isinstance(item, Mapped) else rejected).append(item)
        total = len(records) + len(rejected)
        checked = validate(spec, records)
        rejected.extend(checked.rejected)
        waiting = [r for r in checked.valid if r.depends_on and not dependency_synced(ledger, r.depends_on)]
        ready = [r for r in checked.valid if r not in waiting]
        metadata = {"records": total, "valid": len(ready), "rejected": len(rejected), "held": len(waiting)}
        if total >= spec.systemic_min and len(rejected) > spec.systemic_share * total:
            sample = "; ".join(redact(r.reason) for r in rejected[:3])
            raise _Systemic(
                f"{len(rejected)} of {total} {spec.entity} records for {partition or 'the table'} cannot be "
                f"written ({sample}); this looks systemic (mapping or schema), so nothing was written. "
                "Fix it and rerun.",
                {**metadata, "partition": partition or "-", "sample": sample},
            )
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
        writer = context.resources.staging.writer(mapped_name, partition, MAPPED_COLUMNS)
        try:
            for record in ready:
                writer.write({"source_key": record.source_key, "payload": json.dumps(record.to_payload())})
            writer.commit()
        except BaseException:
            writer.abort()
            raise
        return metadata

    @asset(
        name=written_name,
        group_name=group,
        kinds=kinds,
        partitions_def=partitions_def,
        deps=[AssetKey(mapped_name)],
        required_resource_keys=resource_keys | {"staging", "ledger"},
        description=f"{spec.entity.capitalize()} records written to {spec.target_system} through the ledger "
        "(skip unchanged, update known, adopt found, create new; audit every write).",
        backfill_policy=BackfillPolicy.single_run() if partitions_def else None,
        pool=write_pool(spec),
    )
    def _written(context: AssetExecutionContext) -> MaterializeResult:
        ledger = context.resources.ledger.get()
        counts: dict[str, int] = {
            "create": 0,
            "update": 0,
            "adopt": 0,
            "skip": 0,
            "fail": 0,
            "leased": 0,  # being written by another run: held, not sent (``BeingWritten``)
            "released": 0,
            "rejected_again": 0,
        }
        # Records queued by an earlier run (failed, or held: released or not) that this run writes are
        # resolved here, so the queue only ever shows what still needs attention.
        queued = {
            item.source_key: item
            for item in ledger.open_items(integration=spec.integration, flow=spec.name, limit=100_000)
        }
        with spec.open_target(context) as target:
            for partition in run_partitions(context):
                _write_partition(context, target, partition, queued, counts)
        context.log.info(f"{spec.flow}: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
        return MaterializeResult(metadata=counts)

    def _write_partition(
        context: AssetExecutionContext,
        target: Any,
        partition: str | None,
        queued: dict[str, Any],
        counts: dict[str, int],
    ) -> None:
        ledger, run_id, lease = context.resources.ledger.get(), context.run.run_id, run_lease(context)
        records = [
            Mapped.from_payload(json.loads(row["payload"]))
            for row in context.resources.staging.read_rows(mapped_name, partition)
        ]
        # Validate again: a re-execution from failure skips the check step (dagster-notes pitfall 3).
        checked = validate(spec, records)
        counts["rejected_again"] += len(checked.rejected)
        for item in checked.rejected:
            queue_failure(spec, ledger, item, run_id=run_id, partition=partition)
        for record in checked.valid:
            try:
                result = write_record(
                    spec, target, ledger, record, run_id=run_id, partition=partition, lease=lease
                )
            except BeingWritten as busy:  # another run is creating it now: held, neither sent nor failed
                counts["leased"] += 1
                queue_failure(
                    spec,
                    ledger,
                    Rejected(record.source_key, busy.reason, record.to_payload()),
                    status="held",
                    depends_on=busy.depends_on,
                    run_id=run_id,
                    partition=partition,
                )
                continue
            except Exception as exc:  # one record's failure never stops the batch (XrefConflict too)
                counts["fail"] += 1
                reason = redact(f"{spec.entity} {record.source_key}: {exc}")
                queue_failure(
                    spec,
                    ledger,
                    Rejected(record.source_key, reason, record.to_payload()),
                    run_id=run_id,
                    partition=partition,
                )
                continue
            counts[result.action] += 1
            counts["released"] += result.released
            if record.source_key in queued:
                ledger.resolve(
                    queued.pop(record.source_key).id, reason=f"written by run {run_id}: {result.action}"
                )

    return [_mapped, _written]
