"""JD Edwards -> Procurify: approved purchase orders (F4301 + F4311) -> one Procurify requisition each (the
API creates requisitions, not POs; ``po_links`` links the PO a buyer purchases from it). A day holds the
orders changed that day, each read whole and mapped (``order_records``, ``order_mappers``); writing is the
Procurify side's ``ProcurifyRequisitions`` in JDE's words (``JdeOrdersInProcurify``). Depth:
docs/integrations/jde_procurify.md, "The flows" (purchase orders).
"""

from collections.abc import Iterator, Mapping
from functools import partial
from typing import Any

from dagster import AssetExecutionContext, AssetsDefinition

from connector_assets.asset_keys import asset_key
from connector_assets.flows.assembly import Flow
from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import FlowSpec, Mapped, Rejected
from connector_assets.flows.instance import Instance
from connector_assets.flows.record_models import matching, number, record_model, string, whole
from connector_assets.flows.replay_resources import resources_from_settings
from connector_assets.flows.replays import Replay
from connector_assets.flows.target_boundary import UNWRAPPED, TargetBoundary
from connector_assets.jde.assets import jde_partitions
from connector_assets.jde.documents import (
    JdePurchaseOrder,
    changed_purchase_orders,
    purchase_orders_by_number,
)
from connector_assets.jde.order_status import OrderPolicy, order_source_key
from connector_assets.jde.tables import PO_HEADERS, PO_LINES
from connector_assets.procurify.order_lookups import ProcurifyLookups, reads_for_run
from connector_assets.procurify.requisitions import ProcurifyRequisitions
from connector_resources.ledger import Ledger
from connector_resources.redaction import get_logger

from .departments import ProcurifyDepartments
from .order_records import ENTITY, order_record, paired_vendors
from .own import Own


def order_policy(it: Instance) -> OrderPolicy:
    """``it``'s settings today: order types, approved and closed statuses, stock account."""
    return OrderPolicy(
        order_types=frozenset(it.setting("order_types")),
        approved_status=it.setting("approved_status"),
        closed_status=it.setting("closed_status"),
        stock_account=it.setting("stock_account"),
    )


ProcurifyRequisitionRecord = record_model(
    "ProcurifyRequisitionRecord",
    "What Procurify accepts as a requisition made from a JDE order.",
    order=matching(r"^[^:]+:\d+:[^:]+(:[^:]+)?$"),
    description=string(1, 255),
    supplier=matching(r"^\d{1,8}$"),
    location=string(1, 150),
    department=string(1, 150),
    lines=whole(ge=1),
    total=number(ge=0),
)


def requisitions_target(own: Own) -> type[ProcurifyRequisitions]:
    """Procurify's requisition target (``procurify.requisitions``) naming JDE, whose order and line each
    requisition carries (``JDE 4011 line 1``), and ``own``'s description check setting."""

    class JdeOrdersInProcurify(ProcurifyRequisitions):
        source_label = "JDE"
        description_check_setting = own.it.variable("description_check")
        log = get_logger(f"ml_connector.{own.name}")

    return JdeOrdersInProcurify


def purchase_orders_flow(own: Own, suppliers: FlowSpec, departments_asset: AssetsDefinition) -> Flow:
    """``own``'s purchase orders flow, after ``suppliers``' writes; ``departments_asset`` stages its
    department table."""
    it, name, target = own.it, own.name, requisitions_target(own)

    def map_purchase_orders(
        context: AssetExecutionContext, partition: str | None
    ) -> Iterator[Mapped | Rejected]:
        """The partition's changed orders (header or any line), whole, as Procurify requisitions."""
        staging = context.resources.staging
        orders = changed_purchase_orders(staging, context.resources.jde, partition)
        tables = own.departments.snapshot(staging), own.accounts.snapshot(staging)
        run_id = context.run.run_id
        yield from map_orders(context, orders, *tables, context.resources.target_boundary, run_id)

    def remap_purchase_orders(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
        """The named orders (``KCOO:DOCO:DCTO``) read from JDE again and mapped with today's tables
        (replay)."""
        staging = context.resources.staging
        departments = own.departments.restage(staging)
        accounts = own.accounts.restage(staging)
        wanted = set(keys)
        split = (k.split(":") for k in keys)
        docos = {int(parts[1]) for parts in split if len(parts) > 2 and parts[1].isdigit()}
        orders = [
            o
            for o in purchase_orders_by_number(context.resources.jde, docos)
            if o.header is not None and order_source_key(o.header) in wanted
        ]
        # A replay has no boundary (it never previews); a write step's pull has the run's, so a vendor a
        # held create would add reads as that create would leave it (its name checked like any vendor's).
        boundary = getattr(context.resources, "target_boundary", None) or UNWRAPPED
        run = getattr(context, "run", None)
        yield from map_orders(context, orders, departments, accounts, boundary, getattr(run, "run_id", None))

    def map_orders(
        context: Any,
        orders: list[JdePurchaseOrder],
        departments: Mapping[str, str],
        accounts: Mapping[str, str],
        boundary: TargetBoundary,
        run_id: str | None,
    ) -> Iterator[Mapped | Rejected]:
        """``orders`` mapped; the Procurify reads shared by the days of run ``run_id`` (None: read
        afresh)."""
        policy = order_policy(it)
        ledger: Ledger = context.resources.ledger.get()
        codes = own.account_map(accounts)
        orders = [order for order in orders if order.key[2].upper() in policy.order_types]
        with context.resources.procurify.session() as session:
            procurify = ProcurifyLookups(session, ProcurifyDepartments.read, boundary, reads_for_run(run_id))
            procurify.read_ahead(paired_vendors(own, ledger, orders))
            for order in orders:
                record = order_record(own, order, policy, ledger, procurify, departments, codes)
                if record is not None:
                    yield record

    spec = own.route.flow(
        "purchase_orders",
        ENTITY,
        ProcurifyRequisitionRecord,
        map_purchase_orders,
        remap_purchase_orders,
        target,
        # Mapping reads departments and vendors; a changed order reads its requisition (and its order
        # items) or its PO before revising it.
        reads={
            "JDE": (PO_HEADERS.table, PO_LINES.table),
            "procurify": ("departments", "vendors", "requisitions", "order_items", "purchase_orders"),
        },
    )
    assets = build_flow_assets(
        spec,
        partitions_def=jde_partitions,
        # After the suppliers' and account codes' writes: in one run, an order's supplier and account codes
        # are synced before the order is mapped.
        upstream=[
            PO_HEADERS.asset,
            PO_LINES.asset,
            own.departments.asset,
            own.accounts.asset,
            asset_key(name, "suppliers_written"),
            asset_key(name, "account_codes_written"),
        ],
        # A supplier unchanged since before the first day is pulled by the write step; account codes are
        # not: their flow writes the whole chart every run, upstream of this one.
        parents=[suppliers],
    )
    # A replay reads the order from JDE again and maps it with today's tables, pairs and links.
    resources = partial(resources_from_settings, ("jde", "procurify", "staging"), instance=name)
    replay = Replay(target.for_replay, resources)
    return Flow(spec, [departments_asset, *assets], replay=replay)
