"""A flow's ``<flow>_mapped`` step: map each day, validate, queue the refused and held records and stage
the rest for the write step, with its blocking ``writable`` check (a result per day for a range)."""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    PartitionsDefinition,
    asset,
)

from connector_assets.flows.backfill_policy import flow_backfill_policy
from connector_assets.flows.core import (
    FlowSpec,
    Mapped,
    Rejected,
    hold_until_synced,
    must_wait,
    queue_failure,
)
from connector_assets.flows.day_checks import current_targets
from connector_assets.flows.flow_run import run_partitions, tag_run
from connector_assets.flows.mapping_tables import read_once_per_step, recording_snapshots, snapshot_metadata
from connector_assets.flows.range_days import day_evaluation
from connector_assets.flows.records import RECORDS_PER_PASS, Validation, validate_days
from connector_assets.flows.refused_share import RefusedShare, judge, mapped_check
from connector_assets.runtime.asset_metadata import model_schema, row_count
from connector_assets.runtime.staging import Column
from connector_assets.runtime.step_retry import fail_fast

MAPPED_COLUMNS = (Column("source_key"), Column("payload"))


CHECK = "writable"


def _names(keys: Sequence[AssetKey]) -> list[str]:
    """``keys`` as the catalog writes them (``jde/po_headers``); a flat name is refused: no asset has one."""
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


def mapped_asset(
    spec: FlowSpec,
    *,
    partitions_def: PartitionsDefinition | None,
    upstream: Sequence[AssetKey],
    resource_keys: set[str],
    group: str,
    kinds: set[str],
) -> AssetsDefinition:
    """The flow's mapped step (``build_flow_assets``), its helpers closing over ``spec`` and its key."""
    mapped_key = spec.key("mapped")

    @asset(
        key=mapped_key,
        group_name=group,
        kinds=kinds | {"pandera"},
        partitions_def=partitions_def,
        deps=list(upstream),
        required_resource_keys=resource_keys | {"staging", "ledger", "target_boundary"},
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
        with read_once_per_step():  # each staged table read once for the whole range, not once a day
            for index, partition in enumerate(partitions):
                with recording_snapshots() as read:
                    mapped.append(_map_day(context, partition))
                for table, prints in read.items():
                    used.setdefault(table, set()).update(prints)
                last = index == len(partitions) - 1
                if not last and sum(len(day.records) for day in mapped) < RECORDS_PER_PASS:
                    continue
                checked_days = validate_days(spec, [d.records for d in mapped])
                for day, checked in zip(mapped, checked_days, strict=True):
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
        dependency or for a record the target lacks held, the rest staged for the write step; with the
        day's refused share."""
        ledger = context.resources.ledger.get()
        run_id, partition = context.run.run_id, day.partition
        total = len(day.records) + len(day.rejected)
        # Held on a record the target lacks (``Rejected.held_on``): waiting for it, not refused.
        missing = [r for r in day.rejected if r.held_on]
        rejected = [r for r in day.rejected if not r.held_on] + checked.rejected
        waiting = [r for r in checked.valid if must_wait(ledger, r, mapped_at=day.mapped_at)]
        ready = [r for r in checked.valid if r not in waiting]
        held = len(waiting) + len(missing)
        metadata = {"records": total, "valid": len(ready), "rejected": len(rejected), "held": held}
        for record in waiting:
            hold_until_synced(spec, ledger, record, run_id=run_id, partition=partition)
        for item in missing:
            queue_failure(
                spec, ledger, item, status="held", depends_on=item.held_on, run_id=run_id, partition=partition
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
        # Judged: the records staged and those refused; the held ones wait, counted on neither side.
        return metadata, judge(spec, partition, len(ready) + len(rejected), rejected)

    return _mapped
