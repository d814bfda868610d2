"""JD Edwards -> Coupa: suppliers (F0101 + F0401 -> /api/suppliers).

A supplier is in a day when either row changed; the other half is read from JDE by address number. Matched
in Coupa by the cross-reference, then number (= AN8), tax ID and name (``CoupaSession.find_supplier``), so
it is never created twice. The run's last day also reads the suppliers held records wait for, or one that
last changed before any window would never sync. Depth: docs/integrations/jde_coupa.md, "The flows".
"""

from collections.abc import Iterator
from typing import Any

from connector_assets.coupa import master_data as coupa_master
from connector_assets.coupa.targets import CoupaSuppliers
from connector_assets.flows.assembly import Flow
from connector_assets.flows.assets import awaited_keys, build_flow_assets
from connector_assets.flows.core import Mapped, Rejected
from connector_assets.flows.instance import Instance
from connector_assets.flows.mapping_master import MasterData
from connector_assets.flows.mapping_tables import MappingTable
from connector_assets.flows.record_models import matching, record_model, string
from connector_assets.flows.replays import Replay
from connector_assets.jde.assets import jde_partitions
from connector_assets.jde.documents import JdeSupplier, changed_suppliers, suppliers_by_number
from connector_assets.jde.tables import ADDRESS_BOOK, SUPPLIERS
from connector_resources.refusals import mapping_missing, source_invalid

from .integration import route

CoupaSupplierRecord = record_model(
    "CoupaSupplierRecord",
    "What Coupa accepts as a supplier: a unique name of at most 100 characters and the JDE number.",
    supplier_number=matching(r"^\d{1,8}$"),
    name=string(1, 100),
    tax_id=string(max_length=20, nullable=True),
)


def payment_terms_table(it: Instance) -> MappingTable:
    """``it``'s payment terms table (``<instance>/payment_terms_map``)."""
    return MappingTable.from_setting(
        it.variable("payment_terms_map"),
        key="jde_payment_terms",
        value="coupa_payment_term",
        guarded_by=("jde_ais", "coupa"),
        description="JDE payment terms (F0401 TRAP) -> Coupa payment term, staged from the mapping table "
        f"file ({it.variable('payment_terms_map')}). Suppliers are sent with their terms translated through "
        "this snapshot.",
        master=MasterData.asking("coupa", coupa_master.payment_terms, "the Coupa payment term is in Coupa"),
    )


def suppliers_flow(it: Instance, terms: MappingTable, table_asset: Any) -> Flow:
    """``it``'s suppliers flow, its suppliers' payment terms translated through ``terms`` (staged by
    ``table_asset``)."""

    def map_suppliers(context: Any, partition: str | None) -> Iterator[Mapped | Rejected]:
        """The partition's changed suppliers, and those held records wait for, as Coupa suppliers."""
        snapshot = terms.snapshot(context.resources.staging)
        also = {int(key) for key in awaited_keys(context, partition, spec) if key.isdigit()}
        for supplier in changed_suppliers(context.resources.staging, context.resources.jde, partition, also):
            yield mapped_supplier(supplier, snapshot, terms)

    def remap_suppliers(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
        """The named suppliers read from JDE again and mapped with today's tables (replay): the terms file
        is staged afresh first, so a fixed table takes effect."""
        snapshot = terms.restage(context.resources.staging)
        for supplier in suppliers_by_number(context.resources.jde, {int(k) for k in keys if k.isdigit()}):
            yield mapped_supplier(supplier, snapshot, terms)

    spec = route(it).flow(
        "suppliers", "supplier", CoupaSupplierRecord, map_suppliers, remap_suppliers, CoupaSuppliers
    )
    assets = [
        table_asset,
        *build_flow_assets(
            spec, partitions_def=jde_partitions, upstream=[SUPPLIERS.asset, ADDRESS_BOOK.asset, terms.asset]
        ),
    ]
    return Flow(spec, assets, replay=Replay(CoupaSuppliers.for_replay))


def mapped_supplier(
    jde_supplier: JdeSupplier, terms: dict[str, str], table: MappingTable
) -> Mapped | Rejected:
    """One JDE supplier -> a Coupa supplier body (its terms through ``terms``, a snapshot of ``table``), or
    why it cannot be one."""
    an8, supplier, book = jde_supplier.number, jde_supplier.supplier, jde_supplier.address
    key = str(an8)
    if book is None:
        sentence = f"supplier {an8}: no address book record (F0101) for this supplier number"
        return Rejected.of(key, source_invalid(sentence, field="F0101 address book record", value=key))
    name = (book.get("ALPH") or "").strip()
    tax_id = (book.get("TAX") or "").strip() or None
    body: dict[str, Any] = {"name": name, "number": key, "tax-id": tax_id, "status": "active"}
    jde_terms = str(supplier.get("TRAP") or "").strip()
    if jde_terms:
        code = terms.get(jde_terms)
        if code is None:
            sentence = (
                f"supplier {an8} ({name}): payment terms {jde_terms} (F0401 TRAP) have no Coupa payment "
                f"term in the mapping table {table.asset.to_user_string()} "
                f"(${table.variable})"
            )
            lacks = mapping_missing(sentence, table=table.name, what="payment terms", value=jde_terms)
            return Rejected.of(key, lacks)
        body["payment-term"] = {"code": code}
    return Mapped(
        source_key=key,
        body=body,
        fields={"supplier_number": key, "name": name, "tax_id": tax_id},
        natural_key={"number": key, "tax_id": tax_id, "name": name},
    )
