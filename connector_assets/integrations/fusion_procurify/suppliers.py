"""Oracle Fusion suppliers -> Procurify vendors (``suppliers``): the day's staged suppliers and those a held
record waits for, written by ``ProcurifyVendors`` (``vendor_target.NamedVendors``); an inactive one without a
vendor is left out. docs/integrations/fusion_procurify.md, "Suppliers -> vendors".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from connector_assets.flows.assembly import Flow
from connector_assets.flows.assets import awaited_keys, build_flow_assets
from connector_assets.flows.core import Mapped, Rejected
from connector_assets.flows.replays import Replay
from connector_assets.fusion.supplier_sites import supplier_inactive_reason
from connector_assets.fusion.suppliers import SUPPLIERS_ASSET, read_suppliers, staged_suppliers
from connector_assets.procurify import vendor_target, vendor_writes
from connector_assets.procurify.vendor_target import (
    NamedVendors,
    open_vendors,
)
from connector_assets.saas.entities import saas_daily_partitions
from connector_resources.ledger import Ledger

from . import vendor_pairs
from .integration import BACK_ROUTE, SETTINGS_RESOURCES
from .manual_matches import matches_first
from .supplier_mappers import (
    FALLBACK_SETTING,
    ProcurifyVendorRecord,
    map_supplier,
)


def fallback_email() -> str:
    """``ML_FUSION_PROCURIFY_VENDOR_FALLBACK_EMAIL``: the address a new vendor gets ("" = none)."""
    return vendor_writes.fallback_email(FALLBACK_SETTING)


def supplier_records(
    ledger: Ledger, suppliers: Iterable[Mapping[str, Any]], *, fallback: str | None = None
) -> Iterator[Mapped | Rejected]:
    """The suppliers as Procurify vendor records (see the module docstring for who is left out)."""
    fallback = fallback_email() if fallback is None else fallback

    def paired(supplier: Mapping[str, Any]) -> str | None:
        key = str(supplier.get("SupplierId") or "").strip()
        return vendor_pairs.paired_vendor(ledger, key) if key.isdigit() else None

    yield from vendor_target.supplier_records(
        suppliers,
        paired,
        lambda supplier: supplier_inactive_reason(dict(supplier)) is not None,
        lambda supplier, vendor_id: map_supplier(
            supplier, fallback_email=fallback, paired=vendor_id is not None
        ),
        "Fusion supplier",
    )


def map_suppliers(context: Any, partition: str | None) -> Iterator[Mapped | Rejected]:
    """The Fusion day's changed suppliers (and those held records wait for) as Procurify vendors."""
    resources = context.resources
    ledger = resources.ledger.get()
    suppliers = staged_suppliers(resources.staging, partition)
    awaited = [k for k in awaited_keys(context, partition, SUPPLIERS_FLOW) if k not in suppliers]
    records = list(suppliers.values()) + (read_suppliers(resources.fusion, awaited) if awaited else [])
    yield from supplier_records(ledger, records)


def remap_suppliers(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
    """The named suppliers read from Fusion again and mapped with today's settings (replay)."""
    resources = context.resources
    yield from supplier_records(resources.ledger.get(), read_suppliers(resources.fusion, keys))


class ProcurifyVendors(NamedVendors):
    """The Procurify side of ``suppliers`` (``procurify.vendor_target.NamedVendors``): finds the vendor
    (pair, external_id, then a unique name), creates one, PATCHes what differs, and records and announces
    each pair it makes."""

    pairing = vendor_pairs.PAIRING
    system = "Fusion"
    supplier_words = "Fusion supplier"
    fallback_setting = FALLBACK_SETTING


def _vendors_for_run(context: Any):
    resources = context.resources
    return open_vendors(ProcurifyVendors, resources.procurify, resources.ledger.get(), context.run.run_id)


SUPPLIERS_FLOW = BACK_ROUTE.flow(
    "suppliers",
    vendor_pairs.SUPPLIER_ENTITY,
    ProcurifyVendorRecord,
    map_suppliers,
    remap_suppliers,
    _vendors_for_run,
    reads={"fusion": ("suppliers",), "procurify": ("vendors",)},
    writes={"procurify": ("vendors",)},
)

supplier_assets = build_flow_assets(
    SUPPLIERS_FLOW,
    partitions_def=saas_daily_partitions(),
    upstream=[SUPPLIERS_ASSET, vendor_pairs.MATCHES_ASSET],
)


REPLAY = Replay(ProcurifyVendors.for_replay, SETTINGS_RESOURCES, first=(matches_first,))


FLOW = Flow(SUPPLIERS_FLOW, supplier_assets, replay=REPLAY)
