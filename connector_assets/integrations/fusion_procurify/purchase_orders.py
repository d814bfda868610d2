"""Procurify -> Oracle Fusion purchase orders: each approved Procurify PO (or requisition) becomes one Fusion
draft purchase order, submitted (``purchaseOrders`` is read-only, reference 2.4); read and mapped by
``order_reader``, written by the Fusion side's ``FusionPurchaseOrders`` (``ProcurifyOrdersInFusion``).
"""

from collections.abc import Iterable, Iterator
from itertools import chain
from typing import Any

from connector_assets.flows.assembly import Flow
from connector_assets.flows.assets import awaited_keys, build_flow_assets, run_partitions
from connector_assets.flows.core import FlowSpec, Mapped, Rejected, skips_audited
from connector_assets.flows.record_models import matching, number, record_model, string, whole
from connector_assets.flows.replays import Replay
from connector_assets.fusion.order_target import FusionPurchaseOrders
from connector_assets.fusion.supplier_sites import suppliers_for_run
from connector_assets.procurify.order_fields import id_of
from connector_assets.procurify.order_reads import latest_staged, requisitions_for_run
from connector_assets.runtime.run_reads import first_in_run
from connector_assets.saas.entities import saas_daily_partitions

from .order_reader import ENTITY, OrderReader
from .own import Own
from .vendor_pairs import read_paired_suppliers

FusionOrderRecord = record_model(
    "FusionOrderRecord",
    "What Fusion accepts as a purchase order made from a Procurify order (the draft's own rules, field by "
    "field, are checked when its payload is built).",
    order=matching(r"^(PO\d+|REQ\d+(-\d+)?)$"),
    order_number=string(1, 20),
    vendor=matching(r"^\d+$"),
    description=string(max_length=240),
    lines=whole(ge=1),
    total=number(ge=0),
)


def _reader(
    own: Own, resources: Any, procurify: Any, fusion: Any, *, restage: bool, run_id: str | None
) -> OrderReader:
    """One step's reader; a run's steps share the requisitions and Fusion's suppliers it read."""
    charges = own.charges.load(resources.staging, restage=restage)
    reqs, sups = (requisitions_for_run(run_id), suppliers_for_run(run_id)) if run_id else (None, None)
    ledger = resources.ledger.get()
    return OrderReader(own, procurify, fusion, ledger, charges, requisitions=reqs, suppliers=sups)


def purchase_orders_flow(own: Own, vendors: FlowSpec) -> Flow:
    """``own``'s purchase orders flow, a vendor not paired yet paired by the ``vendors`` flow's write."""

    def map_purchase_orders(context: Any, partition: str | None) -> Iterator[Mapped | Rejected]:
        """The partition's approved Procurify POs (or requisitions, by the source setting) as Fusion orders,
        and those held invoices wait for: an order last changed before any day this flow reads (a bill the
        AP clerk approved today on an order of last month) would never sync by itself, and its invoices
        would wait for ever (a fresh make dev held them)."""
        resources = context.resources
        source = own.it.setting("order_source")
        asset, key = (
            (own.procurify.purchase_orders, "procurify_PO")
            if source == "purchase_orders"
            else (own.procurify.requisitions, "num")
        )
        staged = latest_staged(resources.staging, asset, partition, key)
        awaited = awaited_keys(context, partition, spec)
        if not staged and not awaited:
            return
        run_id = context.run.run_id
        with resources.procurify.session() as procurify, resources.fusion.session() as fusion:
            # Requisitions and Fusion's suppliers read once per run, not per day.
            reader = _reader(own, resources, procurify, fusion, restage=False, run_id=run_id)
            # On the run's first day, the suppliers of every day's orders at once (the list is per run).
            days = run_partitions(context) if first_in_run(context, spec.flow) else [partition]
            ahead = (row for day in days for row in latest_staged(resources.staging, asset, day, key))
            vendor_ids = (id_of(row.get("pref_vendor")) for row in ahead)
            read_paired_suppliers(reader.sites, own.pairing, reader.ledger, vendor_ids)
            if source == "purchase_orders":
                # The requisitions read whole once a run when that costs less than a list per paired vendor.
                run = (latest_staged(resources.staging, asset, d, key) for d in run_partitions(context))
                reader.reads.read_whole_when_cheaper(reader.paired_vendors(po for day in run for po in day))
                records: Iterable[Any] = (reader.purchase_order(po) for po in staged)
            else:
                records = (r for req in staged for r in reader.requisition_records(req))
            mapped = {reader.po_key(str(po[key])) for po in staged} if source == "purchase_orders" else set()
            more = (record for k in awaited if k not in mapped for record in _order_by_key(reader, k))
            yield from skips_audited(
                spec, reader.ledger, chain(records, more), run_id=run_id, partition=partition
            )

    def remap_purchase_orders(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
        """The named orders (``PO<n>`` / ``REQ<n>``) read from Procurify again and mapped with today's
        tables, pairs and sites (replay)."""
        resources = context.resources
        with resources.procurify.session() as procurify, resources.fusion.session() as fusion:
            # Inside a run (a write step pulling the orders its records wait for) the run's reads are
            # shared: a supplier its mapping step read is not read again per order.
            reader = _reader(own, resources, procurify, fusion, restage=True, run_id=_run_of(context))
            records = (record for key in keys for record in _order_by_key(reader, key))
            # A skip is audited here and not passed on.
            yield from skips_audited(spec, reader.ledger, records, run_id=None, partition=None)

    class ProcurifyOrdersInFusion(FusionPurchaseOrders):
        """Fusion's order target (``fusion.order_target``) naming Procurify and the instance's order prefix
        setting in what it refuses or queues."""

        source_label = "Procurify"
        order_prefix_setting = own.it.variable("order_prefix")

    spec = own.route.flow(
        "purchase_orders",
        ENTITY,
        FusionOrderRecord,
        map_purchase_orders,
        remap_purchase_orders,
        ProcurifyOrdersInFusion,
        # Beyond the staged POs / requisitions and the charge tables (upstream): each full PO, the
        # requisitions (notes) and order items in Procurify; each supplier and its sites, orders and drafts
        # in Fusion.
        reads={
            "procurify": ("purchase_orders", "requisitions", "order_items"),
            "fusion": ("suppliers", "purchase_orders", "draft_purchase_orders"),
        },
    )
    side = own.procurify
    assets = [
        *side.order_assets,  # an instance on a Procurify account of its own stages its own POs, requisitions
        *build_flow_assets(
            spec,
            partitions_def=saas_daily_partitions(),
            # Both sources are upstream (lineage); the instance's order_source picks the one read.
            upstream=[side.purchase_orders, side.requisitions, *own.charges.upstream, own.matches.asset],
            # A vendor not paired yet is paired by name by the write step (``parent_pull``).
            parents=[vendors],
        ),
    ]
    return Flow(
        spec,
        assets,
        replay=Replay(ProcurifyOrdersInFusion.for_replay, own.resources, first=(own.matches.first,)),
    )


def _order_by_key(reader: OrderReader, key: str) -> list[Any]:
    """The order ``key`` names (``PO<n>`` or ``REQ<n>``), read from Procurify as it stands now."""
    if key.startswith("PO"):
        return [reader.purchase_order({"procurify_PO": key.removeprefix("PO")})]
    return reader.requisition_by_key(key)


def _run_of(context: Any) -> str | None:
    """The run a remap reads in (a write step's pull), None outside one (a replay on its own)."""
    run_id = getattr(getattr(context, "run", None), "run_id", None)
    return str(run_id) if run_id else None
