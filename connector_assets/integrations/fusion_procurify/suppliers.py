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
from connector_assets.procurify import vendor_target
from connector_assets.procurify.vendor_target import (
    NamedVendors,
    open_vendors,
)
from connector_assets.saas.entities import saas_daily_partitions
from connector_resources.ledger import Ledger

from . import vendor_pairs
from .own import Own
from .supplier_mappers import ProcurifyVendorRecord, map_supplier


def supplier_records(
    own: Own, ledger: Ledger, suppliers: Iterable[Mapping[str, Any]]
) -> Iterator[Mapped | Rejected]:
    """The suppliers as Procurify vendor records (see the module docstring for who is left out), with
    ``own``'s fallback e-mail (``vendor_fallback_email``: the address a new vendor gets, "" = none)."""
    fallback, variable = own.it.setting("vendor_fallback_email"), own.it.variable("vendor_fallback_email")

    def paired(supplier: Mapping[str, Any]) -> str | None:
        key = str(supplier.get("SupplierId") or "").strip()
        return own.pairing.paired_vendor(ledger, key) if key.isdigit() else None

    yield from vendor_target.supplier_records(
        suppliers,
        paired,
        lambda supplier: supplier_inactive_reason(dict(supplier)) is not None,
        lambda supplier, vendor_id: map_supplier(
            supplier, fallback_email=fallback, paired=vendor_id is not None, fallback_setting=variable
        ),
        "Fusion supplier",
    )


def suppliers_flow(own: Own) -> Flow:
    """``own``'s suppliers flow."""

    def map_suppliers(context: Any, partition: str | None) -> Iterator[Mapped | Rejected]:
        """The Fusion day's changed suppliers (and those held records wait for) as Procurify vendors."""
        resources = context.resources
        ledger = resources.ledger.get()
        suppliers = staged_suppliers(resources.staging, partition)
        awaited = [k for k in awaited_keys(context, partition, spec) if k not in suppliers]
        records = list(suppliers.values()) + (read_suppliers(resources.fusion, awaited) if awaited else [])
        yield from supplier_records(own, ledger, records)

    def remap_suppliers(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
        """The named suppliers read from Fusion again and mapped with today's settings (replay)."""
        resources = context.resources
        yield from supplier_records(own, resources.ledger.get(), read_suppliers(resources.fusion, keys))

    class ProcurifyVendors(NamedVendors):
        """The Procurify side of ``suppliers`` (``procurify.vendor_target.NamedVendors``): finds the vendor
        (pair, external_id, then a unique name), creates one, PATCHes what differs, and records and
        announces each pair it makes."""

        pairing = own.pairing
        system = "Fusion"
        supplier_words = "Fusion supplier"
        fallback_setting = own.it.variable("vendor_fallback_email")

    def vendors_for_run(context: Any):
        resources = context.resources
        return open_vendors(ProcurifyVendors, resources.procurify, resources.ledger.get(), context.run.run_id)

    spec = own.back.flow(
        "suppliers",
        vendor_pairs.SUPPLIER_ENTITY,
        ProcurifyVendorRecord,
        map_suppliers,
        remap_suppliers,
        vendors_for_run,
        reads={"fusion": ("suppliers",), "procurify": ("vendors",)},
        writes={"procurify": ("vendors",)},
    )
    assets = build_flow_assets(
        spec, partitions_def=saas_daily_partitions(), upstream=[SUPPLIERS_ASSET, own.matches.asset]
    )
    replay = Replay(ProcurifyVendors.for_replay, own.resources, first=(own.matches.first,))
    return Flow(spec, assets, replay=replay)
