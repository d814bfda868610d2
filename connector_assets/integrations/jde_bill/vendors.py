"""JD Edwards suppliers (F0401 + F0101) -> BILL vendors: the first flow of JDE <-> BILL.

A supplier is in a day's partition when its F0401 row or its F0101 row (search type V) changed that day;
the shared reader (``connector_assets.jde.documents``) completes it from JDE by address number. Matching
in BILL: the ledger's cross-reference first (``write_one``), then BILL's own vendors by name (the one
vendor field BILL can filter on), preferring the one with the supplier's tax ID. BILL documents no
duplicate detection, so the claim and this search are all that stands between a rerun and a second vendor.

What is sent today: the name (F0101 ALPH), ``accountType`` BUSINESS and the tax ID (F0101 TAX) in
``additionalInfo``. Address (F0116), payment terms and remittance data are not staged yet: issue 12.
"""

from collections.abc import Iterator
from typing import Any

import pandera.pandas as pa
from pandera.typing import Series

from connector_assets.flows.assets import awaited_keys, build_flow_assets
from connector_assets.flows.core import Mapped, Rejected
from connector_assets.flows.targets import BillTarget
from connector_assets.integrations.jde_bill.integration import INTEGRATION, ROUTE
from connector_assets.jde.assets import jde_partitions
from connector_assets.jde.documents import JdeSupplier, changed_suppliers, suppliers_by_number
from connector_assets.jde.tables import ADDRESS_BOOK, SUPPLIERS

NAME_MAX = 100  # not documented by BILL; Coupa's limit, kept until the reference says otherwise
TAX_ID_MAX = 20  # BILL's sandbox limit for additionalInfo.taxId


class BillVendorRecord(pa.DataFrameModel):
    """What is sent as a BILL vendor: a name, the JDE address number it came from, a tax ID that fits."""

    supplier_number: Series[str] = pa.Field(str_matches=r"^\d{1,8}$")
    name: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": NAME_MAX})
    tax_id: Series[str] = pa.Field(nullable=True, str_length={"max_value": TAX_ID_MAX})

    class Config:
        strict = True
        coerce = True


def map_vendor(jde_supplier: JdeSupplier) -> Mapped | Rejected:
    """One JDE supplier -> a BILL vendor body, or why it cannot be one."""
    an8, book = jde_supplier.number, jde_supplier.address
    key = str(an8)
    if book is None:
        return Rejected(key, f"supplier {an8}: no address book record (F0101) for this supplier number")
    name = (book.get("ALPH") or "").strip()
    tax_id = (book.get("TAX") or "").strip() or None
    body: dict[str, Any] = {"name": name, "accountType": "BUSINESS"}
    if tax_id:
        body["additionalInfo"] = {"taxId": tax_id}
    return Mapped(
        source_key=key,
        body=body,
        fields={"supplier_number": key, "name": name, "tax_id": tax_id},
        natural_key={"name": name, "tax_id": tax_id},
    )


def map_vendors(context: Any, partition: str | None) -> Iterator[Mapped | Rejected]:
    """The partition's changed suppliers, and those held records wait for, as BILL vendors."""
    also = {int(key) for key in awaited_keys(context, partition, VENDORS_FLOW) if key.isdigit()}
    for supplier in changed_suppliers(context.resources.staging, context.resources.jde, partition, also):
        yield map_vendor(supplier)


def remap_vendors(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
    """The named suppliers read from JDE again and mapped (replay)."""
    for supplier in suppliers_by_number(context.resources.jde, {int(k) for k in keys if k.isdigit()}):
        yield map_vendor(supplier)


def _tax(value: Any) -> str:
    return "".join(ch for ch in str(value or "") if ch.isalnum()).upper()


class BillVendors(BillTarget):
    """The BILL side of the vendors flow, over the client's raw find / create / update (3 vendors written
    at once in BILL's organization pool: ``BillTarget``)."""

    writes = ("vendors",)

    def find(self, record: Mapped) -> str | None:
        """A live BILL vendor of this name: the one with the supplier's tax ID, else one with no tax ID
        (never one whose tax ID differs: that is another business of the same name)."""
        name, tax_id = record.natural_key["name"], record.natural_key["tax_id"]
        candidates = self.session.find_vendors(name=name)  # oldest first
        taxes = {str(v["id"]): _tax((v.get("additionalInfo") or {}).get("taxId")) for v in candidates}
        if tax_id:
            same = [vid for vid, tax in taxes.items() if tax == _tax(tax_id)]
            if same:
                return same[0]
        untaxed = [vid for vid, tax in taxes.items() if not tax]
        return untaxed[0] if untaxed else None

    def create(self, record: Mapped) -> str:
        return str(self.session.create_vendor(record.body)["id"])

    def update(self, target_id: str, record: Mapped) -> None:
        self.session.update_vendor(target_id, record.body)


VENDORS_FLOW = ROUTE.flow("vendors", "vendor", BillVendorRecord, map_vendors, remap_vendors, BillVendors)

vendor_assets = build_flow_assets(
    VENDORS_FLOW,
    partitions_def=jde_partitions,
    upstream=[SUPPLIERS.asset, ADDRESS_BOOK.asset],
    resource_keys={"jde", "bill"},
    group=INTEGRATION,
    kinds={"jde", "bill"},
)
