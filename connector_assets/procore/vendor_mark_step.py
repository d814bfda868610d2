"""The origin mark (``vendor_marks``: why after the write, and asked of the ledger) as a step of a vendors
flow; the integration says what its marks are (``OriginMark``, built per run) and what its ERP is called."""

from collections.abc import Callable

import dagster as dg

from connector_assets.flows.assets import flow_backfill_policy
from connector_assets.flows.core import FlowSpec
from connector_assets.procore.companies import first_company
from connector_assets.procore.vendor_marks import OriginMark, mark_written_vendors
from connector_resources.ledger import Ledger
from connector_resources.procore import ProcoreResource


def build_vendor_marks(
    spec: FlowSpec,
    partitions_def: dg.PartitionsDefinition,
    mark_of: Callable[[], OriginMark],
    *,
    erp: str,
    erp_id: str,
) -> dg.AssetsDefinition:
    """``<flow>_marked``: runs after the write step and marks what reached the ERP (``erp``, "JDE"; its id
    in words, ``erp_id``); ``mark_of()`` is the run's ``OriginMark``."""

    @dg.asset(
        key=spec.key("marked"),
        group_name=spec.integration,
        kinds={"procore"},
        partitions_def=partitions_def,
        deps=[spec.key("written")],
        required_resource_keys={"procore", "ledger"},
        backfill_policy=flow_backfill_policy(partitions_def),
        pool=ProcoreResource.from_settings().concurrency_pool,  # the app's pool: Procore's limits are per app
        description=f"Procore vendors written to {erp} (by any run or replay) and not yet marked get "
        f"origin_id and origin_code ({erp_id}). A vendor whose origin_id another integration "
        "owns keeps its link in the ledger only. Fails, after trying every one, if a mark failed: a rerun "
        "marks only the rest.",
    )
    def vendors_marked(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        ledger: Ledger = context.resources.ledger.get()
        procore = context.resources.procore
        mark = mark_of()
        with procore.company_sessions() as sessions:
            outcome = mark_written_vendors(mark, sessions, ledger, context.run.run_id, first_company(procore))
        failures: dict[str, str] = outcome.pop("failures")
        metadata = {**outcome, "failed": len(failures)}
        if failures:
            sample = "\n".join(f"vendor {key}: {why}" for key, why in list(failures.items())[:10])
            raise dg.Failure(
                f"{len(failures)} vendor(s) reached {erp} but their origin_id could not be written in "
                "Procore; the next run tries again",
                metadata={**metadata, "sample": sample},
            )
        return dg.MaterializeResult(metadata=metadata)

    return vendors_marked
