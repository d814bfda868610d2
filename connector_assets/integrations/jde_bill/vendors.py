"""JD Edwards suppliers (F0401 + F0101, addresses from F0116) -> BILL vendors, completed from JDE by the JDE
side (``jde.addressed_suppliers``), matched before a create by ``BillVendors``. What is sent and why:
docs/integrations/jde_bill.md, "The flows" ("vendors").
"""

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from dagster import AssetExecutionContext

from connector_assets.bill.bodies import BillVendorColumns, vendor_parts
from connector_assets.bill.targets import BillVendors
from connector_assets.flows.assembly import Flow
from connector_assets.flows.assets import awaited_keys, build_flow_assets, run_partitions
from connector_assets.flows.core import FlowSpec, Mapped, Rejected
from connector_assets.flows.instance import Instance
from connector_assets.flows.record_models import matching, record_model
from connector_assets.flows.replays import Replay
from connector_assets.jde.addressed_suppliers import (
    addressed_suppliers_by_number,
    changed_addressed_suppliers,
    supplier_sources,
)
from connector_assets.jde.assets import jde_partitions, supplier_addresses_staged
from connector_assets.jde.documents import JdeSupplier
from connector_assets.jde.tables import SUPPLIER_ADDRESSES
from connector_resources.refusals import source_invalid

from .bill_keys import VENDOR
from .integration import route, settings_resources


def default_country(it: Instance) -> str:
    """``ML_<INSTANCE>_VENDOR_DEFAULT_COUNTRY``: the country of addresses JDE keeps without one ("": none)."""
    return it.setting("vendor_default_country").upper()


BillVendorRecord = record_model(
    "BillVendorRecord",
    "What is sent as a BILL vendor, in the limits BILL takes (``BillVendorColumns``), and the JDE address "
    "number it came from.",
    base=BillVendorColumns,
    supplier_number=matching(r"^\d{1,8}$"),
)


def _text(row: Mapping[str, object] | None, alias: str) -> str:
    return str((row or {}).get(alias) or "").strip()


def map_address(mailing: Mapping[str, object] | None, country: str = "") -> dict[str, str] | None:
    """An F0116 row -> BILL's ``address`` (only the parts JDE has), or None when it holds no address;
    ``country`` stands in for a blank CTR."""
    lines = [_text(mailing, f"ADD{n}") for n in range(1, 5)]
    lines = [line for line in lines if line]
    parts = {
        "line1": lines[0] if lines else "",
        "line2": ", ".join(lines[1:]),
        "city": _text(mailing, "CTY1"),
        "stateOrProvince": _text(mailing, "ADDS"),
        "zipOrPostalCode": _text(mailing, "ADDZ"),
    }
    if not any(parts.values()):
        return None
    return {**{k: v for k, v in parts.items() if v}, "country": _text(mailing, "CTR").upper() or country}


def map_vendor(jde_supplier: JdeSupplier, country: str = "") -> Mapped | Rejected:
    """One JDE supplier -> a BILL vendor body, or why it cannot be one (``country``: for a blank F0116
    CTR, ``ML_JDE_BILL_VENDOR_DEFAULT_COUNTRY``)."""
    an8, book = jde_supplier.number, jde_supplier.address
    key = str(an8)
    if book is None:
        said = f"supplier {an8}: no address book record (F0101) for this supplier number"
        return Rejected.of(key, source_invalid(said, field="F0101", value=key))
    name = _text(book, "ALPH")
    tax_id = _text(book, "TAX") or None
    payee = name
    if jde_supplier.send_to_number is not None:
        if jde_supplier.send_to is None:
            said = (
                f"supplier {an8}: payments go to address number {jde_supplier.send_to_number} (F0401 "
                "send-to, SNTO), which has no address book record (F0101)"
            )
            return Rejected.of(
                key, source_invalid(said, field="F0401 SNTO", value=jde_supplier.send_to_number)
            )
        payee = _text(jde_supplier.send_to, "ALPH")
    person = _text(book, "TAXC").upper() == "P"
    body, fields = vendor_parts(name, person, payee, tax_id, map_address(jde_supplier.mailing, country))
    currency = _text(jde_supplier.supplier, "CRRP").upper()
    if currency:
        body["billCurrency"] = currency
    return Mapped(
        source_key=key,
        body=body,
        fields={"supplier_number": key, **fields},
        natural_key={"name": name, "tax_id": tax_id},
    )


def vendors_flow(it: Instance) -> Flow:
    """The instance's vendors flow: its spec, assets and replay; the default country is read as a run
    maps (once for all its suppliers)."""

    def map_vendors(context: AssetExecutionContext, partition: str | None) -> Iterator[Mapped | Rejected]:
        """The partition's changed suppliers, and those held records wait for, as BILL vendors."""
        also = _awaited(spec, context, partition)
        found = changed_addressed_suppliers(
            context,
            partition,
            also,
            f"{it.instance} {spec.name}",
            lambda: _awaited(spec, context, run_partitions(context)[-1]),
        )
        yield from _vendors(found, default_country(it))

    def remap_vendors(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
        """The named suppliers read from JDE again and mapped (replay)."""
        found = addressed_suppliers_by_number(context.resources.jde, {int(k) for k in keys if k.isdigit()})
        yield from _vendors(found, default_country(it))

    # Decided when the definitions are built (lineage, the job's selection, what ``ml-connector ping``
    # checks); the readers ask the setting again when they run.
    addresses = supplier_addresses_staged()
    spec = route(it).flow(
        "vendors",
        VENDOR,
        BillVendorRecord,
        map_vendors,
        remap_vendors,
        BillVendors,
        # F0116 is staged outside JDE_TABLES, so ping learns of it here; F0401 / F0101 come from the lineage.
        reads={"JDE": (SUPPLIER_ADDRESSES.table,)} if addresses else {},
    )
    # F0116's staging asset comes with the JDE side (``system_sides``), which every instance reads.
    assets = build_flow_assets(spec, partitions_def=jde_partitions, upstream=supplier_sources(addresses))
    return Flow(spec, assets, replay=Replay(BillVendors.for_replay, settings_resources(it)))


def _awaited(spec: FlowSpec, context: Any, partition: str | None) -> set[int]:
    """The suppliers held records wait for (asked on the run's last day: ``awaited_keys``)."""
    return {int(key) for key in awaited_keys(context, partition, spec) if key.isdigit()}


def _vendors(suppliers: Iterable[JdeSupplier], country: str) -> Iterator[Mapped | Rejected]:
    for supplier in suppliers:
        yield map_vendor(supplier, country)
