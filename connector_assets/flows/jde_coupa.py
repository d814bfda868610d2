"""JD Edwards -> Coupa: suppliers (F0101 + F0401 -> /api/suppliers).

A supplier is in a day's partition when its F0401 row or its F0101 (address book) row changed that day;
the other half is read from JDE by address number (one LIST query per 100 suppliers), since it usually
changed on another day. Matching in Coupa: the cross-reference first, then supplier number (= AN8), tax
ID and name (``CoupaSession.find_supplier``), so a supplier is never created twice.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pandera.pandas as pa
from pandera.typing import Series

from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import FlowSpec, Mapped, Rejected, replay_handler
from connector_assets.jde.assets import jde_partitions
from connector_assets.jde.lookup import browse_in
from connector_assets.jde.tables import ADDRESS_BOOK, SUPPLIERS
from connector_resources.replay import register_replay_handler

INTEGRATION = "jde_coupa"


class CoupaSupplierRecord(pa.DataFrameModel):
    """What Coupa accepts as a supplier: a unique name of at most 100 characters and the JDE number."""

    supplier_number: Series[str] = pa.Field(str_matches=r"^\d{1,8}$")
    name: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 100})
    tax_id: Series[str] = pa.Field(nullable=True, str_length={"max_value": 20})

    class Config:
        strict = True
        coerce = True


def _rows(context: Any, asset: str, partition: str | None) -> list[dict]:
    return list(context.resources.staging.read_rows(asset, partition))


def _by_an8(session: Any, table: str, columns: list[str], an8s: list[int]) -> dict[int, dict]:
    return {int(row["AN8"]): row for row in browse_in(session, table, "AN8", an8s, columns)}


def map_suppliers(context: Any, partition: str | None) -> Iterator[Mapped | Rejected]:
    suppliers = {int(r["AN8"]): r for r in _rows(context, SUPPLIERS.asset, partition)}
    book = {int(r["AN8"]): r for r in _rows(context, ADDRESS_BOOK.asset, partition)}
    wanted = sorted(
        set(suppliers) | {an8 for an8, row in book.items() if (row.get("AT1") or "").strip() == "V"}
    )
    with context.resources.jde.session() as session:
        missing_book = [an8 for an8 in wanted if an8 not in book]
        book.update(_by_an8(session, "F0101", ["AN8", "ALPH", "TAX", "AT1"], missing_book))
        missing_supplier = [an8 for an8 in wanted if an8 not in suppliers]
        suppliers.update(_by_an8(session, "F0401", ["AN8", "HDPY"], missing_supplier))
    for an8 in wanted:
        key = str(an8)
        if an8 not in suppliers:
            continue  # an address-book entry with search type V but no supplier master: not a supplier yet
        if an8 not in book:
            yield Rejected(key, f"supplier {an8}: no address book record (F0101) for this supplier number")
            continue
        name = (book[an8].get("ALPH") or "").strip()
        tax_id = (book[an8].get("TAX") or "").strip() or None
        body = {"name": name, "number": key, "tax-id": tax_id, "status": "active"}
        yield Mapped(
            source_key=key,
            body=body,
            fields={"supplier_number": key, "name": name, "tax_id": tax_id},
            natural_key={"number": key, "tax_id": tax_id, "name": name},
        )


class CoupaSuppliers:
    """The Coupa side of the suppliers flow."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def find(self, record: Mapped) -> str | None:
        found = self.session.find_supplier(**record.natural_key)
        return str(found["id"]) if found else None

    def create(self, record: Mapped) -> str:
        return str(self.session.create_supplier(record.body)["id"])

    def update(self, target_id: str, record: Mapped) -> None:
        self.session.update_supplier(target_id, record.body)


@contextmanager
def _coupa_suppliers(coupa: Any):
    with coupa.session(flow="suppliers") as session:
        yield CoupaSuppliers(session)


SUPPLIERS_FLOW = FlowSpec(
    integration=INTEGRATION,
    name="suppliers",
    entity="supplier",
    source_system="JDE",
    target_system="coupa",
    schema=CoupaSupplierRecord,
    map_records=map_suppliers,
    open_target=lambda context: _coupa_suppliers(context.resources.coupa),
)

jde_coupa_assets = build_flow_assets(
    SUPPLIERS_FLOW,
    partitions_def=jde_partitions,
    upstream=[SUPPLIERS.asset, ADDRESS_BOOK.asset],
    resource_keys={"jde", "coupa"},
    group=INTEGRATION,
    kinds={"jde", "coupa"},
)


def register_replay_handlers() -> None:
    """``ml-connector replay`` re-attempts queued suppliers with today's Coupa settings."""
    from connector_resources.coupa import CoupaResource

    register_replay_handler(
        INTEGRATION,
        "suppliers",
        replay_handler(SUPPLIERS_FLOW, lambda: _coupa_suppliers(CoupaResource.from_settings())),
    )
