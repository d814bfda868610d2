"""Telling the source a record reached the ERP: ``<flow>_marked_exported`` after ``<flow>_written``, never
before (Coupa's documented ERP integration, ``docs/reference/coupa.md`` section 2.8). What to mark is asked
of the ledger (``Ledger.written_unmarked``), not of the run, so a replay's write or a crash between write
and mark is marked too. A document standing for several records is marked once all are written.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
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

from connector_assets.flows.after_write import audit_record
from connector_assets.flows.assets import flow_backfill_policy
from connector_assets.flows.core import FlowSpec
from connector_assets.runtime.step_retry import fail_fast
from connector_resources.ledger import Ledger, Xref
from connector_resources.redaction import redact

SAMPLE = 10


@dataclass(frozen=True)
class ExportMark:
    """How a flow's written records are marked exported in their source system."""

    spec: FlowSpec
    entity: str  # the source API's entity name ("invoices", "payments")
    # A written record's source key -> the source document to mark ("4711:99" -> "4711").
    document_of: Callable[[str], str] = str
    # (source session, document id) -> every source key the document stands for, or None when each
    # document is exactly one record. Called only for documents that are not one record.
    records_of: Callable[[Any, str], set[str]] | None = None
    batch: int = 1000  # documents marked per run at most; the rest wait for the next run

    @property
    def asset_name(self) -> AssetKey:
        return self.spec.key("marked_exported")


def mark_written(mark: ExportMark, session: Any, ledger: Ledger, run_id: str | None) -> dict[str, Any]:
    """Mark what the ledger shows written and unmarked; returns counts and the failures by document."""
    spec = mark.spec
    pending = ledger.written_unmarked(
        spec.integration,
        spec.entity,
        spec.source_system,
        spec.target_system,
        flow=spec.name,
        mark_system=spec.source_system,
        limit=mark.batch,
    )
    documents: dict[str, list[Xref]] = defaultdict(list)
    for xref in pending:
        documents[mark.document_of(xref.source_key)].append(xref)
    marked, waiting, failures = 0, 0, {}
    for document, xrefs in documents.items():
        try:
            if mark.records_of is not None and not _all_written(mark, session, ledger, document, xrefs):
                waiting += 1
                continue
            session.mark_exported(mark.entity, document)
        except Exception as exc:  # noqa: BLE001 - one document's failure must not stop the others
            failures[document] = redact(str(exc))
            continue
        for xref in xrefs:
            reason = (
                f"marked exported in {spec.source_system} ({mark.entity} {document}): written to "
                f"{spec.target_system} as {xref.target_id}"
            )
            # The mark is an update on the source system itself: the audit's target there is the document.
            audit_record(
                ledger,
                spec,
                "update",
                xref.source_key,
                reason,
                target_id=document,
                target_system=spec.source_system,
                run_id=run_id,
            )
        marked += 1
    return {"marked": marked, "waiting": waiting, "failures": failures, "more": len(pending) >= mark.batch}


def _all_written(mark: ExportMark, session: object, ledger: Ledger, document: str, xrefs: list[Xref]) -> bool:
    """Whether every record the document stands for has reached the target (not only those in hand)."""
    assert mark.records_of is not None
    spec = mark.spec
    wanted = mark.records_of(session, document)
    have = {x.source_key for x in xrefs}
    for key in wanted - have:
        xref = ledger.get_xref(spec.integration, spec.entity, spec.source_system, key, spec.target_system)
        if xref is None or not xref.target_id:
            return False
    return True


def build_export_marks(
    mark: ExportMark,
    *,
    partitions_def: PartitionsDefinition | None,
    open_source: Callable[[AssetExecutionContext], Any],
    source_resource: str,
    group: str,
    kinds: set[str],
) -> AssetsDefinition:
    """``<flow>_marked_exported``: runs after the write step and marks what reached the target."""
    spec = mark.spec

    @asset(
        key=mark.asset_name,
        group_name=group,
        kinds=kinds,
        partitions_def=partitions_def,
        deps=[spec.key("written")],
        required_resource_keys={source_resource, "ledger"},
        backfill_policy=flow_backfill_policy(partitions_def),
        # Marks are writes into the source system: they share its write pool (one step calling it at a time).
        pool=f"write_{spec.source_system.lower()}",
        description=f"{spec.source_system} {mark.entity} written to {spec.target_system} (by any run or "
        f"replay) and not yet marked, marked exported in {spec.source_system}. Fails, after trying every "
        "one, if a mark was refused: a rerun marks only what is still unmarked.",
    )
    @fail_fast(mark.asset_name.to_user_string())  # a refused login, a source unreachable: a Failure in words
    def _marked(context: AssetExecutionContext) -> MaterializeResult:
        ledger: Ledger = context.resources.ledger.get()
        with open_source(context) as session:
            outcome = mark_written(mark, session, ledger, context.run.run_id)
        failures: dict[str, str] = outcome.pop("failures")
        metadata = {**outcome, "failed": len(failures)}
        if failures:
            sample = "\n".join(f"{doc}: {why}" for doc, why in list(failures.items())[:SAMPLE])
            raise Failure(
                f"{len(failures)} {mark.entity} reached {spec.target_system} but could not be marked "
                f"exported in {spec.source_system}; they stay unmarked and the next run tries again",
                metadata={**metadata, "sample": sample},
            )
        return MaterializeResult(metadata=metadata)

    return _marked
