"""Which Procurify vendor and which Fusion supplier are one pair, however made (by name, by hand, by
``suppliers``): every flow asks here (``procurify.vendor_pairing``), with Fusion's keys and the hold a pair
releases (``vendor_dependency``). docs/integrations/fusion_procurify.md, "Vendors paired by name".
"""

from collections.abc import Iterable

from connector_assets.fusion.supplier_sites import SupplierSites
from connector_assets.fusion.suppliers import supplier_id_key
from connector_assets.procurify.vendor_pairing import PROCURIFY as PROCURIFY
from connector_assets.procurify.vendor_pairing import (
    SUPPLIER_ENTITY as SUPPLIER_ENTITY,  # Fusion -> Procurify
)
from connector_assets.procurify.vendor_pairing import VENDOR_ENTITY as VENDOR_ENTITY  # vendors flow, by hand
from connector_assets.procurify.vendor_pairing import VendorPairing, numeric_key, vendor_id_key
from connector_resources.ledger import Ledger

FUSION = "fusion"
id_key = numeric_key  # a numeric id as the ledger keys it (``ml-connector xref``)


def vendor_pairing(instance: str) -> VendorPairing:
    """``instance``'s pairs. ``paired_supplier(ledger, vendor id)``: the Fusion ``SupplierId`` (name match or
    manual, else the supplier whose ``supplier`` xref targets the vendor); ``paired_vendor(ledger,
    SupplierId)``: a ``vendor`` xref (manual first: it is an operator's word) targeting it, else the
    ``supplier`` xref's target; None when none. ``manual_vendor(ledger, SupplierId)``: the vendor matched by
    hand (a manual match says the two are one although their names differ, so ``suppliers`` never sends such
    a vendor the supplier's name). ``vendor_dependency(vendor id)``: ``<instance>:vendor:procurify:<id>``,
    what a purchase order or invoice waiting for that vendor's Fusion supplier is held on. A ``vendor`` xref
    naming a supplier is asked first for the supplier's vendor: it may be a manual match."""
    return VendorPairing(
        instance, FUSION, supplier_key=supplier_id_key, vendor_key=vendor_id_key, vendor_xref_first=True
    )


def read_paired_suppliers(
    sites: SupplierSites, pairing: VendorPairing, ledger: Ledger, vendor_ids: Iterable[str]
) -> None:
    """Read the Fusion suppliers (with their sites) paired with ``vendor_ids`` in one list
    (``SupplierSites.read_many``) before a step maps the orders or bills naming them one by one."""
    paired = (pairing.paired_supplier(ledger, vendor) for vendor in dict.fromkeys(vendor_ids) if vendor)
    sites.read_many(supplier for supplier in paired if supplier)
