"""The origin mark: a Procore vendor that reached JDE gets ``origin_id`` and ``origin_code`` written back.

``origin_id`` is ``ML_PROCORE_JDE_VENDOR_ORIGIN_FORMAT`` with the address number (``JDE-V-10442``),
``origin_code`` the bare number (what Procore's UI shows as the ERP id). Which vendors to mark is asked of
the ledger (``Ledger.written_unmarked``), not of the run, as ``flows/export_marks.py`` marks Coupa's
documents: whatever reached JDE (a run, a replay, a run that died between the JDE write and the mark) and
has no mark recorded is marked now. The mark is a separate step after the write, never before it: a vendor
marked but not in JDE would send purchase orders to an address number that does not exist.

The mark is recorded as an ``update`` audit event of the vendors flow on Procore. A vendor that already
carries both values is not written (the event says so). Procore lets one integration own a vendor's
``origin_id``; a 409 ("owned by another integration") leaves the vendor as it is and the link lives in
the ledger only, which the event says too: it is not retried, since it would be refused every time.
"""

from typing import Any

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
from connector_assets.integrations.procore_jde.companies import first_company, vendor_company
from connector_assets.integrations.procore_jde.integration import INTEGRATION
from connector_assets.integrations.procore_jde.vendor_mappers import format_origin, origin_format
from connector_resources.ledger import Ledger
from connector_resources.procore import ProcoreConflictError, ProcoreResource
from connector_resources.redaction import redact

MARK_BATCH = 1000  # vendors marked per run at most; the rest wait for the next run


def _audit_mark(spec: FlowSpec, ledger: Ledger, xref: Any, run_id: str | None, reason: str) -> None:
    """The mark's event: an ``update`` of the vendors flow on Procore, which is how the ledger knows the
    vendor needs no more marking (``Ledger.written_unmarked``)."""
    ledger.audit(
        integration=INTEGRATION,
        flow=spec.name,
        entity="vendor",
        action="update",
        source_system="procore",
        source_id=xref.source_key,
        target_system="procore",
        target_id=xref.source_key,
        run_id=run_id,
        reason=reason,
    )


def mark_origin(spec: FlowSpec, session: Any, ledger: Ledger, xref: Any, fmt: str, run_id: str | None) -> str:
    """Write origin_id / origin_code of one written vendor (when not already so); returns what happened."""
    an8, vendor_id = xref.target_id, xref.source_key
    wanted = {"origin_id": format_origin(an8, fmt), "origin_code": str(int(an8))}
    vendor = session.get("vendors", vendor_id)
    if all(str(vendor.get(k) or "") == v for k, v in wanted.items()):
        _audit_mark(
            spec,
            ledger,
            xref,
            run_id,
            f"already carries origin_id {wanted['origin_id']} (JDE supplier {an8})",
        )
        return "unchanged"
    try:
        session.update_vendor(vendor_id, wanted)
    except ProcoreConflictError as exc:
        _audit_mark(
            spec,
            ledger,
            xref,
            run_id,
            f"not marked: Procore refused origin_id {wanted['origin_id']} on vendor {vendor_id} ({exc}); its "
            f"origin_id is owned by another integration, so the link to JDE supplier {an8} is kept in the "
            "ledger only",
        )
        return "owned"
    vendor_sync.mark_synced(ledger, vendor_id)
    _audit_mark(
        spec,
        ledger,
        xref,
        run_id,
        f"origin_id {wanted['origin_id']} and origin_code {an8} written (JDE supplier {an8})",
    )
    return "marked"


def mark_written_vendors(
    spec: FlowSpec, sessions: Any, ledger: Ledger, run_id: str | None, default_company: int
) -> dict[str, Any]:
    """Mark every vendor the ledger shows written to JDE and not yet marked, each in its own Procore
    company (``sessions``: the step's ``CompanySessions``; the company the ledger keeps for the vendor,
    else ``default_company``, the first); counts and failures."""
    fmt = origin_format()
    pending = ledger.written_unmarked(
        INTEGRATION,
        "vendor",
        "procore",
        "JDE",
        flow=spec.name,
        mark_system="procore",
        limit=MARK_BATCH,
    )
    counts = {"marked": 0, "unchanged": 0, "owned": 0}
    failures: dict[str, str] = {}
    for xref in pending:
        try:
            session = sessions.session(vendor_company(ledger, xref.source_key, default_company))
            counts[mark_origin(spec, session, ledger, xref, fmt, run_id)] += 1
        except Exception as exc:  # noqa: BLE001 - one vendor's failure must not stop the others
            failures[xref.source_key] = redact(str(exc))
    return {**counts, "failures": failures, "more": len(pending) >= MARK_BATCH}


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
        with procore.company_sessions() as sessions:
            outcome = mark_written_vendors(spec, sessions, ledger, context.run.run_id, first_company(procore))
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
