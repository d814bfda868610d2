"""A flow's ``<flow>_verdict`` step: the day's verdict on its refused share, taken last, from the retry queue.

A step of its own so that failing a day does not skip the steps downstream for the records that passed;
taken again each time it runs (docs/flows.md, "A flow: mapped, checked, written").
"""

from dagster import (
    AssetExecutionContext,
    AssetMaterialization,
    AssetsDefinition,
    Failure,
    MaterializeResult,
    PartitionsDefinition,
    asset,
)

from connector_assets.flows.backfill_policy import flow_backfill_policy
from connector_assets.flows.flow_run import run_partitions
from connector_assets.flows.records import FlowSpec
from connector_assets.flows.refused_share import RefusedShare, judge_items, shares_metadata
from connector_assets.runtime.staging import StagingResource
from connector_resources.ledger import Ledger

STEP = "verdict"  # the step's name in the flow's keys: ``["jde_procurify", "bills_verdict"]``
DAYS_TOLD = 10  # systemic days a range's failure quotes whole; the others are counted


def day_share(
    spec: FlowSpec, ledger: Ledger, staging: StagingResource, partition: str | None
) -> RefusedShare:
    """The day's refused share as the queue says now: its open items (``Ledger.partition_queue``) and the
    source keys its mapped step staged (that column alone: the bodies beside it are never read)."""
    items = ledger.partition_queue(integration=spec.integration, flow=spec.name, partition_key=partition)
    staged = set(staging.column_values(spec.key("mapped"), partition, "source_key"))
    return judge_items(spec, partition, items, staged)


def verdict_message(flow: str, shares: list[RefusedShare], days: int) -> str:
    """The failure's words: a day's share message whole (the causes counted, examples quoted), or for a
    range, one such message per systemic day (the first ``DAYS_TOLD``) after how many of its days they are."""
    if days == 1 and len(shares) == 1:
        return shares[0].message()
    told = "\n".join(f"{s.partition}: {s.message()}" for s in shares[:DAYS_TOLD])
    more = f"\n... and {len(shares) - DAYS_TOLD} more day(s)" if len(shares) > DAYS_TOLD else ""
    return (
        f"{flow}: {len(shares)} of {days} day(s) look systemic; each day's records that passed were written "
        "and the steps after them ran; a rerun from failure takes the verdict of those days again:\n"
        + told
        + more
    )


def verdict_asset(
    spec: FlowSpec, *, partitions_def: PartitionsDefinition | None, group: str, kinds: set[str]
) -> AssetsDefinition:
    """The flow's verdict step (``build_flow_assets``), after its write step."""
    verdict_key = spec.key(STEP)

    @asset(
        key=verdict_key,
        group_name=group,
        kinds=kinds,
        partitions_def=partitions_def,
        deps=[spec.key("written")],
        required_resource_keys={"staging", "ledger"},
        description=f"The day's verdict on its {spec.entity} records, taken from the retry queue after the "
        f"write: fails (the run red, naming the causes) when most of the records the day judged were "
        f"refused by the mapping or {spec.target_system}. The records that passed are written and the "
        "steps after them run all the same; rerun from failure once the refused records are replayed.",
        backfill_policy=flow_backfill_policy(partitions_def),
        output_required=False,  # a range with a systemic day logs each passed day's materialization itself
    )
    def _verdict(context: AssetExecutionContext):
        ledger, staging = context.resources.ledger.get(), context.resources.staging
        days = run_partitions(context)
        shares = [day_share(spec, ledger, staging, day) for day in days]
        systemic = [share for share in shares if share.systemic]
        if not systemic:
            if len(days) == 1:
                yield MaterializeResult(metadata=shares_metadata(shares))
                return
            for share in shares:
                context.add_asset_metadata(shares_metadata([share]), partition_key=share.partition)
            yield MaterializeResult()
            return
        if len(days) > 1:  # the days that passed keep their materialization; the systemic ones fail
            for share in shares:
                if not share.systemic:
                    context.log_event(
                        AssetMaterialization(
                            verdict_key, partition=share.partition, metadata=shares_metadata([share])
                        )
                    )
        message = verdict_message(spec.flow, systemic, len(days))
        context.log.error(message)
        raise Failure(message, metadata=shares_metadata(systemic), allow_retries=False)

    return _verdict
