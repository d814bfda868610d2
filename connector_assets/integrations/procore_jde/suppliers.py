"""JD Edwards supplier changes -> the linked Procore vendors (name, address, phone, e-mail); a supplier
linked to no vendor is left out; only what differs is patched, newer wins. Field by field:
docs/integrations/procore_jde.md, "The flows" (supplier changes, JDE -> Procore)."""

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from connector_assets.flows import pair_sync
from connector_assets.flows.assembly import Flow
from connector_assets.flows.assets import awaited_keys
from connector_assets.flows.core import Mapped, Rejected, audit_skip
from connector_assets.flows.replays import Replay
from connector_assets.jde.documents import suppliers_by_number
from connector_assets.jde.supplier_addresses import supplier_addresses_asset
from connector_assets.jde.supplier_change_flows import supplier_changes_assets, supplier_changes_flow
from connector_assets.jde.supplier_details import CONTACT_TABLES, supplier_details
from connector_assets.jde.supplier_reads import staged_supplier_numbers
from connector_assets.procore.companies import first_company, tagged, vendor_company
from connector_assets.procore.vendor_target import open_vendor_patches as open_patches
from connector_resources.jde import optional_tables
from connector_resources.ledger import Ledger
from connector_resources.procore import ProcoreResource
from connector_resources.redaction import get_logger

from .integration import (
    INTEGRATION,
    SETTINGS_RESOURCES,
    SUPPLIERS_ROUTE,
    VENDOR_PAIRS,
)
from .vendor_mappers import (
    ProcoreVendorRecord,
    map_supplier,
)

log = get_logger(__name__)


def _linked_vendors(ledger: Ledger, an8s: Iterable[int]) -> dict[int, str]:
    """Address number -> the Procore vendor linked to it (the ``vendors`` flow's cross-reference)."""
    linked = {}
    for an8 in sorted(set(an8s)):
        xref = ledger.find_xref_by_target(INTEGRATION, "vendor", "JDE", str(an8))
        if xref is not None:
            linked[an8] = xref.source_key
    return linked


def supplier_records(
    ledger: Ledger, jde: Any, procore: Any, an8s: Iterable[int]
) -> Iterator[Mapped | Rejected]:
    """The linked suppliers among ``an8s`` as vendor PATCHes, their own echoes and lost conflicts left out."""
    wanted = set(an8s)
    linked = _linked_vendors(ledger, wanted)
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
        since = VENDOR_PAIRS.synced_at(ledger, vendor_id)
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
            company = vendor_company(ledger, INTEGRATION, vendor_id, default)
            verdict = pair_sync.Verdict(True)
            if since is not None:
                vendor = sessions.session(company).get("vendors", vendor_id)
                procore_at = pair_sync.parse_stamp(vendor.get("updated_at"))
                verdict = pair_sync.decide("JDE", edited, "Procore", procore_at, since)
            if not verdict.writes:
                audit_skip(ledger, SUPPLIERS_FLOW, str(an8), verdict.conflict, target_id=vendor_id)
                continue
            record = pair_sync.with_conflict(
                map_supplier(an8, vendor_id, books[an8], details.get(an8)), verdict.conflict
            )
            yield tagged(record, company)


def map_suppliers(context: Any, partition: str | None) -> Iterator[Mapped | Rejected]:
    """The JDE day's changed suppliers that are linked to a Procore vendor, as vendor PATCHes."""
    resources = context.resources
    numbers = staged_supplier_numbers(resources.staging, partition)
    numbers |= {int(k) for k in awaited_keys(context, partition, SUPPLIERS_FLOW) if k.isdigit()}
    optional_tables.announce(context.log, f"{INTEGRATION} {SUPPLIERS_FLOW.name}", CONTACT_TABLES)
    with optional_tables.refusal_explained():
        yield from supplier_records(resources.ledger.get(), resources.jde, resources.procore, numbers)


def remap_suppliers(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
    """The named suppliers read from JDE again (replay)."""
    resources = context.resources
    numbers = {int(k) for k in keys if k.isdigit()}
    with optional_tables.refusal_explained():
        yield from supplier_records(resources.ledger.get(), resources.jde, resources.procore, numbers)


def _pair_written(ledger: Ledger, vendor_id: str, record: Mapped, run_id: str | None) -> None:
    """After a vendor was patched: the pair's sync time moves, a conflict JDE won is audited."""
    VENDOR_PAIRS.pair_written(ledger, vendor_id, record, SUPPLIERS_FLOW, vendor_id, run_id=run_id)


def open_vendor_patches(procore: Any, ledger: Ledger, run_id: str | None):
    """The Procore side's vendor target for this flow, on the step's company sessions."""
    return open_patches(
        procore,
        ledger,
        run_id,
        integration=INTEGRATION,
        erp="JDE",
        erp_record="supplier",
        written=_pair_written,
    )


def _patches_for_run(context: Any):
    return open_vendor_patches(context.resources.procore, context.resources.ledger.get(), context.run.run_id)


SUPPLIERS_FLOW = supplier_changes_flow(
    SUPPLIERS_ROUTE,
    ProcoreVendorRecord,
    map_suppliers,
    remap_suppliers,
    _patches_for_run,
    # The app's pool (limit 1), shared with the Procore source reads and the origin mark: Procore's limits
    # are per app, whatever the company.
    write_pool=ProcoreResource.from_settings().concurrency_pool,
)
supplier_assets = supplier_changes_assets(SUPPLIERS_FLOW)
# The staged F0116 this flow reads, named ``*_tables`` so the tests' worlds (``asset_runs``) find it.
supplier_tables = [supplier_addresses_asset]


def _patches_for_replay(built: dict[str, Any], ledger: Ledger, _spec: Any) -> Any:
    return open_vendor_patches(built["procore"], ledger, None)


FLOW = Flow(SUPPLIERS_FLOW, supplier_assets, replay=Replay(_patches_for_replay, SETTINGS_RESOURCES))
