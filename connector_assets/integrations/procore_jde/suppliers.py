"""JD Edwards supplier changes -> the linked Procore vendors (name, address, phone, e-mail); a supplier
linked to no vendor is left out; only what differs is patched, newer wins. Field by field:
docs/integrations/procore_jde.md, "The flows" (supplier changes, JDE -> Procore)."""

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from connector_assets.flows import pair_sync
from connector_assets.flows.assembly import Flow
from connector_assets.flows.assets import awaited_keys
from connector_assets.flows.core import FlowSpec, Mapped, Rejected, audit_skip
from connector_assets.flows.replays import Replay
from connector_assets.jde.documents import suppliers_by_number
from connector_assets.jde.supplier_change_flows import supplier_changes_assets, supplier_changes_flow
from connector_assets.jde.supplier_details import CONTACT_TABLES, supplier_details
from connector_assets.jde.supplier_reads import staged_supplier_numbers
from connector_assets.procore.companies import first_company, tagged, vendor_company
from connector_assets.procore.vendor_target import open_vendor_patches as open_patches
from connector_resources.jde import optional_tables
from connector_resources.ledger import Ledger
from connector_resources.procore import ProcoreResource
from connector_resources.redaction import get_logger

from .integration import Own
from .vendor_mappers import (
    ProcoreVendorRecord,
    map_supplier,
)

log = get_logger(__name__)


def _linked_vendors(ledger: Ledger, integration: str, an8s: Iterable[int]) -> dict[int, str]:
    """Address number -> the Procore vendor linked to it (the ``vendors`` flow's cross-reference)."""
    linked = {}
    for an8 in sorted(set(an8s)):
        xref = ledger.find_xref_by_target(integration, "vendor", "JDE", str(an8))
        if xref is not None:
            linked[an8] = xref.source_key
    return linked


def supplier_records(
    own: Own, spec: FlowSpec, ledger: Ledger, jde: Any, procore: Any, an8s: Iterable[int]
) -> Iterator[Mapped | Rejected]:
    """The linked suppliers among ``an8s`` as vendor PATCHes of ``own``'s suppliers flow (``spec``), their
    own echoes and lost conflicts left out."""
    wanted = set(an8s)
    linked = _linked_vendors(ledger, own.name, wanted)
    if len(linked) < len(wanted):
        log.info("%d JDE supplier(s) are linked to no Procore vendor: not sent", len(wanted) - len(linked))
    if not linked:
        return
    books = {s.number: s.address for s in suppliers_by_number(jde, linked)}
    with jde.session() as session:
        details = supplier_details(session, sorted(books), bank=False)
    due: list[tuple[int, str, datetime | None, datetime | None]] = []
    for an8 in sorted(books):
        vendor_id = linked[an8]
        since = own.pairs.synced_at(ledger, vendor_id)
        edited = details[an8].changed_at if an8 in details else None
        if pair_sync.only_ours(edited, since):
            continue  # changed only by our own write since the last sync
        due.append((an8, vendor_id, since, edited))
    if not due:
        return
    default = first_company(procore)
    with procore.company_sessions() as sessions:
        for an8, vendor_id, since, edited in due:
            # The vendor's company: kept in the ledger when its staged record was mapped (the supplier
            # comes from JDE and names none); a vendor linked before several companies: the first.
            company = vendor_company(ledger, own.name, vendor_id, default)
            verdict = pair_sync.Verdict(True)
            if since is not None:
                vendor = sessions.session(company).get("vendors", vendor_id)
                procore_at = pair_sync.parse_stamp(vendor.get("updated_at"))
                verdict = pair_sync.decide("JDE", edited, "Procore", procore_at, since)
            if not verdict.writes:
                audit_skip(ledger, spec, str(an8), verdict.conflict, target_id=vendor_id)
                continue
            record = pair_sync.with_conflict(
                map_supplier(an8, vendor_id, books[an8], details.get(an8)), verdict.conflict
            )
            yield tagged(record, company)


def suppliers_flow(own: Own) -> Flow:
    """``own``'s suppliers flow: its JDE supplier changes back to the linked Procore vendors."""

    def map_suppliers(context: Any, partition: str | None) -> Iterator[Mapped | Rejected]:
        """The JDE day's changed suppliers that are linked to a Procore vendor, as vendor PATCHes."""
        resources = context.resources
        numbers = staged_supplier_numbers(resources.staging, partition)
        numbers |= {int(k) for k in awaited_keys(context, partition, spec) if k.isdigit()}
        optional_tables.announce(context.log, f"{own.name} {spec.name}", CONTACT_TABLES)
        with optional_tables.refusal_explained():
            ledger = resources.ledger.get()
            yield from supplier_records(own, spec, ledger, resources.jde, resources.procore, numbers)

    def remap_suppliers(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
        """The named suppliers read from JDE again (replay)."""
        resources = context.resources
        numbers = {int(k) for k in keys if k.isdigit()}
        with optional_tables.refusal_explained():
            ledger = resources.ledger.get()
            yield from supplier_records(own, spec, ledger, resources.jde, resources.procore, numbers)

    def patches_for_run(context: Any) -> Any:
        return open_vendor_patches(
            own, spec, context.resources.procore, context.resources.ledger.get(), context.run.run_id
        )

    def patches_for_replay(built: dict[str, Any], ledger: Ledger, _spec: Any) -> Any:
        return open_vendor_patches(own, spec, built["procore"], ledger, None)

    spec = supplier_changes_flow(
        own.suppliers_route,
        ProcoreVendorRecord,
        map_suppliers,
        remap_suppliers,
        patches_for_run,
        # The app's pool (limit 1), shared with the Procore source reads and the origin mark: Procore's
        # limits are per app, whatever the company.
        write_pool=ProcoreResource.from_settings().concurrency_pool,
    )
    return Flow(spec, supplier_changes_assets(spec), replay=Replay(patches_for_replay, own.resources))


def open_vendor_patches(own: Own, spec: FlowSpec, procore: Any, ledger: Ledger, run_id: str | None):
    """The Procore side's vendor target for ``own``'s suppliers flow (``spec``), on the step's company
    sessions; after a vendor was patched the pair's sync time moves, a conflict JDE won is audited."""

    def pair_written(ledger: Ledger, vendor_id: str, record: Mapped, run_id: str | None) -> None:
        own.pairs.pair_written(ledger, vendor_id, record, spec, vendor_id, run_id=run_id)

    return open_patches(
        procore, ledger, run_id, integration=own.name, erp="JDE", erp_record="supplier", written=pair_written
    )
