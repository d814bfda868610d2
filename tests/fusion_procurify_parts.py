"""Oracle Fusion <-> Procurify's default instance, built once per test process: its flows, tables, pairs and
manual matches under the names the tests use (the package builds them per instance, so there is nothing to
import).

Why built at import: the tests use the default instance's objects as a fixture shared by every test of a
file, as they did when the package made them at import; a test that changes a setting its jobs or
schedules are built with builds its own (``built_parts.built``). ``OWN`` is what the instance's flows share
(``own.Own``), made from the same component object as ``PARTS``.
"""

from functools import partial

from connector_assets.asset_keys import asset_key
from connector_assets.components import FusionProcurify
from connector_assets.integrations.fusion_procurify import (
    invoices,
    po_numbers,
    supplier_mappers,
    vendor_mappers,
)
from connector_assets.integrations.fusion_procurify.own import Own
from connector_assets.integrations.fusion_procurify.reconcile import day

IT = FusionProcurify()
PARTS, OWN = IT.parts, Own.of(IT)
INTEGRATION = PARTS.name  # "fusion_procurify"
ACCOUNT_CODES, SUPPLIERS, VENDORS, PURCHASE_ORDERS, INVOICES, PAYMENT_STATUS = (
    PARTS.flow(name)
    for name in ("account_codes", "suppliers", "vendors", "purchase_orders", "invoices", "payment_status")
)
INVOICES_FLOW, PURCHASE_ORDERS_FLOW, VENDORS_FLOW = INVOICES.spec, PURCHASE_ORDERS.spec, VENDORS.spec
InvoiceTarget = INVOICES_FLOW.open_target.target  # the invoices flow's Fusion target (a class of the flow's)
ACCOUNTS, DEPARTMENTS = PARTS.mapping_table("account_map"), PARTS.mapping_table("department_map")
CHARGES = OWN.charges  # the tables a charge account is made of: ``CHARGES.load(staging)``
# The tables' assets, Fusion's account combinations and the manual matches file (what every flow's job runs).
account_map_asset, department_map_asset, account_combinations_asset, manual_matches_asset = PARTS.tables
[RECONCILIATION] = (asset.key.to_user_string() for asset in PARTS.assets)
ORPHANS_ASSET = asset_key(INTEGRATION, "account_code_orphans")
SEGMENTS_ENV, INTERCOMPANY_ENV = IT.variable("account_segments"), IT.variable("intercompany")
PAIRING, MATCHES, [MANUAL_PAIRING] = OWN.pairing, OWN.matches, PARTS.pairings
paired_supplier, paired_vendor = PAIRING.paired_supplier, PAIRING.paired_vendor
vendor_dependency = PAIRING.vendor_dependency

# The pure mappers and keys as the default instance's flows call them.
order_dependency = partial(invoices.order_dependency, INTEGRATION)
fusion_order_number = partial(po_numbers.fusion_order_number, prefix_setting=IT.variable("order_prefix"))
map_supplier = partial(supplier_mappers.map_supplier, fallback_setting=IT.variable("vendor_fallback_email"))
map_vendor = partial(vendor_mappers.map_vendor, xref_setting=IT.variable("vendor_xref"))
reconcile_day = partial(day.reconcile_day, OWN)
