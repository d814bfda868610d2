"""Procore -> JD Edwards purchase orders (flow 1): a commitment with an approved requisition becomes one
JDE purchase order, created once, found again by ``PC-<commitment id>``; a changed one is mapped again for
its header only. Field by field and why: docs/integrations/procore_jde.md, "The flows" (purchase orders)."""

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from connector_assets.flows.assembly import Flow
from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import FlowSpec, Mapped, Rejected
from connector_assets.flows.flow_run import run_partitions
from connector_assets.flows.record_models import ISO_DAY, matching, record_model, string, whole
from connector_assets.flows.replays import Replay
from connector_assets.flows.unread_holds import held_unread
from connector_assets.jde.purchase_orders import (
    PO_HEADER_TABLE,
)
from connector_assets.jde.purchase_orders import PurchaseOrders as JdePurchaseOrders
from connector_assets.jde.supplier_numbers import SupplierNumbers
from connector_assets.jde.tables import GL_ACCOUNTS
from connector_assets.jde.target_base import JDE_CHECKS
from connector_assets.procore.commitment_requisitions import invoiced_kinds
from connector_assets.procore.companies import first_company, tagged
from connector_assets.procore.document_fields import (
    document_label,
    line_cost_code,
    project_label,
    vendor_id_of,
)
from connector_assets.procore.document_reads import RequisitionReads, commitment_with_lines, step_kept
from connector_assets.procore.queued_reads import queued
from connector_assets.procore.staged_documents import (
    commitment_kinds,
    day_commitments,
    with_project,
)
from connector_assets.runtime.run_reads import first_in_run
from connector_assets.saas.entities import saas_daily_partitions
from connector_resources.ledger import Ledger

from .cost_codes import CostCodeMap
from .integration import Own
from .order_mappers import OrderTypes, map_commitment
from .order_pulls import OPEN_ITEMS as OPEN
from .order_pulls import held_on, pullable
from .vendors import remember_vendor_hold, supplier_numbers

ENTITY = "purchase_order"


PurchaseOrderRecord = record_model(
    "PurchaseOrderRecord",
    "What ML_CreatePurchaseOrder accepts: a reference, a job, a supplier (or a hold on it), a date, at least "
    "one line.",
    reference=matching(r"^PC-\d{1,22}$"),
    project_id=matching(r"^\d{1,20}$"),
    order_company=string(1, 5),
    order_type=string(2, 2),
    business_unit=string(1, 12),
    supplier=matching(r"^\d{1,8}$", nullable=True),  # None: held on its vendor
    order_date=matching(ISO_DAY),
    remark=string(max_length=30),
    currency=matching(r"^([A-Z]{3})?$"),
    lines=whole(ge=1, le=999),
    total=matching(r"^-?\d+\.\d{2}$"),
)


class PurchaseOrders(JdePurchaseOrders):
    source_label = "Procore"


def commitment_order(own: Own, ledger: Ledger, commitment_id: str) -> str | None:
    """The commitment's JDE order (``KCOO:DOCO:DCTO``, the cross-reference's target id), None while
    ``own``'s flow has not written it."""
    return own.written_target(ledger, ENTITY, commitment_id)


def commitment_record(
    own: Own,
    vendors: FlowSpec,
    session: Any,
    suppliers: SupplierNumbers,
    books: CostCodeMap,
    commitment_id: str,
    project_id: int | None,
    reads: RequisitionReads | None = None,
    ledger: Ledger | None = None,
) -> Mapped | Rejected:
    """One commitment from Procore (its record as ``reads`` listed it ahead, else read by id; its schedule
    of values) and mapped with ``own``'s order types; its vendor read once per ``reads``. With the
    ``ledger``, one listed ahead whose vendor has no JDE number is held on it (``vendors``' record) unread."""
    reads = reads or RequisitionReads(session)
    schedules = reads.kept.schedules  # a commitment named on several days of a run: read once
    known = reads.commitments.get(commitment_id)
    if commitment_id not in schedules and isinstance(known, dict) and ledger is not None:
        vendor_id = vendor_id_of(known)  # a vendor with no JDE number yet holds it unread (``held_unread``)
        if vendor_id and suppliers.an8(vendor_id, lambda: reads.vendor(vendor_id)) is None:
            held = held_unread(ledger, ENTITY, commitment_id, vendors.dependency_key(vendor_id))
            if held is not None:
                return with_project(held, str(known.get("_project_id") or project_id or ""))
    if commitment_id not in schedules:
        schedules[commitment_id] = commitment_with_lines(
            session, commitment_id, project_id, "JDE", known if isinstance(known, dict) else None
        )
    read = schedules[commitment_id]
    if isinstance(read, Rejected):
        return read
    commitment, project, lines = read
    label = project_label(commitment)
    job = books.job(project, label)
    view, waits = books.awaiting(document_label("commitment", commitment))  # accounts not set up yet: held
    accounts = [view.account(project, label, line_cost_code(line, {}) or "") for line in lines]
    vendor_id = vendor_id_of(commitment)
    an8 = suppliers.an8(vendor_id, lambda: reads.vendor(vendor_id)) if vendor_id else None
    mapped = map_commitment(
        commitment,
        lines,
        job=job,
        line_accounts=accounts,
        an8=an8,
        vendor_hold=vendors.dependency_key(vendor_id) if vendor_id else None,
        order_types=OrderTypes.of_instance(own.it),
        waits=waits,
    )
    return with_project(mapped, project)


def read_ahead(
    reads: RequisitionReads,
    suppliers: SupplierNumbers,
    by_project: Mapping[int, Iterable[str]],
    kinds: Mapping[str, Any],
) -> None:
    """A company's commitments (project -> ids; ``kinds``: their types where known) by list, then the
    vendors of those whose supplier number the ledger does not know (what ``SupplierNumbers.an8`` would
    read one by one)."""
    reads.commitments_ahead(by_project, kinds)
    if suppliers.jde is None:
        return
    vendor_ids = (vendor_id_of(c) for c in reads.commitments.values() if isinstance(c, dict))
    unlinked = [v for v in vendor_ids if v and suppliers.linked(v) is None]
    reads.vendors_ahead(unlinked)
    suppliers.read_ahead(reads.vendors.get(v) for v in unlinked)  # the JDE numbers they name, at once


def _orders(
    own: Own,
    vendors: FlowSpec,
    context: Any,
    books: CostCodeMap,
    wanted: dict[str, tuple[int | None, int]],
    kinds: Mapping[str, Any] | None = None,
    ahead: Mapping[str, tuple[int | None, int]] | None = None,
) -> Iterator[Any]:
    """Each commitment (id -> project, company; ``kinds``: its type where the staged records say it)
    read from Procore in its company and mapped, after those and ``ahead`` (other days') by list."""
    ledger = context.resources.ledger.get()
    suppliers = supplier_numbers(own, ledger, context.resources.jde, context)
    listed = {**(ahead or {}), **wanted}
    by_company: dict[int, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for commitment_id, (project_id, company) in listed.items():
        if project_id is not None:
            by_company[company][int(project_id)].append(commitment_id)
    with context.resources.procore.company_sessions() as sessions:
        reads = {
            company: RequisitionReads(sessions.session(company), step_kept(context, company))
            for _, company in listed.values()
        }
        for company, by_project in by_company.items():
            read_ahead(reads[company], suppliers, by_project, kinds or {})
        for commitment_id, (project_id, company) in wanted.items():
            read = reads[company]
            record = commitment_record(
                own, vendors, read.session, suppliers, books, commitment_id, project_id, read, ledger
            )
            remember_vendor_hold(ledger, vendors, record, company)
            yield tagged(record, company)


def purchase_orders_flow(own: Own, vendors: FlowSpec) -> Flow:
    """``own``'s purchase orders flow, each order waiting for its vendor (``vendors``' record)."""

    def map_purchase_orders(context: Any, partition: str | None) -> Iterator[Mapped | Rejected]:
        """The commitments of the partition's approved requisitions, and the written commitments changed in
        the partition, each read from Procore and mapped once; on a run's first day, every day's by list."""
        resources = context.resources
        ledger, assets = resources.ledger.get(), (own.procore.requisitions, own.procore.commitments)

        def wanted_on(day: str | None) -> dict[str, tuple[int | None, int]]:
            written = lambda commitment_id: commitment_order(own, ledger, commitment_id) is not None  # noqa: E731
            approved = own.statuses("approved_statuses")
            return day_commitments(
                resources.staging, assets, day, approved, written, first_company(resources.procore)
            )

        wanted = wanted_on(partition)
        if not wanted:
            return
        days = [partition]
        if partition is not None and first_in_run(context, f"{own.name}/{ENTITY}"):
            days = run_partitions(context)
        ahead = {key: place for day in days for key, place in wanted_on(day).items()}
        kinds = {
            key: kind
            for day in days
            for key, kind in commitment_kinds(resources.staging, assets, day).items()
        }
        yield from _orders(own, vendors, context, own.costs.load(resources.staging), wanted, kinds, ahead)

    def remap_purchase_orders(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
        """The named commitments read from Procore again and mapped with today's tables: a replay's, each
        where its queue item says; and those pulled for the records held on them (no queue item of their own,
        ``order_pulls``), where those records say, each only if the flow would write it."""
        resources = context.resources
        ledger, default = resources.ledger.get(), first_company(resources.procore)
        places = queued(ledger, own.name, spec.name, keys, default)
        wanted = {key: (places.projects.get(key), places.companies[key]) for key in keys}
        mine = {i.source_key for i in ledger.open_items(integration=own.name, flow=spec.name, limit=OPEN)}
        held = held_on(ledger, own.name, [key for key in keys if key not in mine], spec.dependency_key)
        kinds: dict[str, Any] = {}
        if held:
            run_statuses = lambda company: step_kept(context, company).requisition_statuses  # noqa: E731
            approved = own.statuses("approved_statuses")
            pulled = pullable(resources.procore, held, approved, default, run_statuses)
            wanted = {
                key: pulled.get(key, place)
                for key, place in wanted.items()
                if key not in held or key in pulled
            }
            # the kind of each as its requisitions name it (read for the check): only that kind's list asked
            kinds = {k: v for _, c in pulled.values() for k, v in invoiced_kinds(run_statuses(c)).items()}
        yield from _orders(own, vendors, context, own.costs.today(resources.staging), wanted, kinds)

    spec = own.route.flow(
        "purchase_orders",
        ENTITY,
        PurchaseOrderRecord,
        map_purchase_orders,
        remap_purchase_orders,
        PurchaseOrders,
        # Procore: each commitment by id with its schedule of values (``commitment_lines``), its vendor.
        reads={
            "JDE": (PO_HEADER_TABLE,),
            "procore": ("commitments", "commitment_line_items", "vendors", "cost_codes"),
        },
    )
    assets = order_flow_assets(
        own, spec, (own.procore.requisitions, own.procore.commitments), vendors, (vendors,)
    )
    # A replay maps with today's cost code table, restaged from today's file so a fixed row takes effect.
    return Flow(spec, assets, replay=Replay(PurchaseOrders.for_replay, own.resources, outside=JDE_CHECKS))


def order_flow_assets(
    own: Own, spec: FlowSpec, staged: tuple[Any, ...], after: FlowSpec, parents: tuple[FlowSpec, ...]
) -> list[Any]:
    """A flow's assets after what its step reads (the staged Procore entities, F0901, the mapping tables)
    and after ``after``'s write: in one run, the vendor or order a record needs is in JDE before it is
    mapped. ``parents``: what its records wait for, pulled by its write step when never synced (a vendor
    or commitment unchanged since before the first day, which no window of their flow reads)."""
    upstream = [
        *staged,
        GL_ACCOUNTS.asset,
        *(table.asset for table in own.costs.tables),
        after.key("written"),
    ]
    return build_flow_assets(spec, partitions_def=saas_daily_partitions(), upstream=upstream, parents=parents)
