"""The origin mark: a Procore vendor that reached JDE gets ``origin_id`` and ``origin_code`` written back.

``origin_id`` is ``ML_PROCORE_JDE_VENDOR_ORIGIN_FORMAT`` with the address number (``JDE-V-10442``),
``origin_code`` the bare number (what Procore's UI shows as the ERP id). Which vendors to mark is asked of
the ledger (``Ledger.written_unmarked``), not of the run, as ``flows/export_marks.py`` marks Coupa's
documents: whatever reached JDE (a run, a replay, a run that died between the JDE write and the mark) and
has no mark recorded is marked now. The mark is a separate step after the write, never before it: a vendor
marked but not in JDE would send purchase orders to an address number that does not exist.

Writing the mark (its audit event, Procore's 409 for an origin_id another integration owns) is the
Procore side's (``connector_assets.procore.vendor_marks``); this module says what the values are and
declares the step.
"""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Failure,
    MaterializeResult,
    PartitionsDefinition,
    asset,
)

from connector_assets.flows.assets import flow_backfill_policy
from connector_assets.flows.core import FlowSpec
from connector_assets.integrations.procore_jde import vendor_sync
from connector_assets.integrations.procore_jde.integration import INTEGRATION
from connector_assets.integrations.procore_jde.vendor_mappers import format_origin, origin_format
from connector_assets.procore.companies import first_company
from connector_assets.procore.vendor_marks import OriginMark, mark_written_vendors
from connector_resources.ledger import Ledger
from connector_resources.procore import ProcoreResource


def origin_mark(spec: FlowSpec) -> OriginMark:
    """This integration's marks: the JDE address number as ``origin_id`` (in the configured format, read
    once per run) and ``origin_code``; a written mark also moves the pair's sync time (``vendor_sync``)."""
    fmt = origin_format()
    return OriginMark(
        integration=INTEGRATION,
        flow=spec.name,
        target_system="JDE",
        target_label="JDE supplier",
        values=lambda an8: {"origin_id": format_origin(an8, fmt), "origin_code": str(int(an8))},
        marked=vendor_sync.mark_synced,
    )


def build_vendor_marks(spec: FlowSpec, partitions_def: PartitionsDefinition) -> AssetsDefinition:
    """``<flow>_marked``: runs after the write step and marks what reached JDE."""

    @asset(
        name=f"{spec.flow}_marked",
        group_name=INTEGRATION,
        kinds={"procore"},
        partitions_def=partitions_def,
        deps=[AssetKey(f"{spec.flow}_written")],
        required_resource_keys={"procore", "ledger"},
        backfill_policy=flow_backfill_policy(partitions_def),
        pool=ProcoreResource.from_settings().concurrency_pool,  # the app's pool: Procore's limits are per app
        description="Procore vendors written to JDE (by any run or replay) and not yet marked get "
        "origin_id and origin_code (the JDE address number). A vendor whose origin_id another integration "
        "owns keeps its link in the ledger only. Fails, after trying every one, if a mark failed: a rerun "
        "marks only the rest.",
    )
    def vendors_marked(context: AssetExecutionContext) -> MaterializeResult:
        ledger: Ledger = context.resources.ledger.get()
        procore = context.resources.procore
        mark = origin_mark(spec)
        with procore.company_sessions() as sessions:
            outcome = mark_written_vendors(mark, sessions, ledger, context.run.run_id, first_company(procore))
        failures: dict[str, str] = outcome.pop("failures")
        metadata = {**outcome, "failed": len(failures)}
        if failures:
            sample = "\n".join(f"vendor {key}: {why}" for key, why in list(failures.items())[:10])
            raise Failure(
                f"{len(failures)} vendor(s) reached JDE but their origin_id could not be written in Procore; "
                "the next run tries again",
                metadata={**metadata, "sample": sample},
            )
        return MaterializeResult(metadata=metadata)

    return vendors_marked
