"""Procore -> JD Edwards' default instance, built once per test process: its flows, tables and assets under
the names the tests use, and its functions bound to it (the package builds them per instance, so there is
nothing to import).

Why built at import: the tests use the default instance's objects as a fixture shared by every test of a
file, as they did when the package made them at import; a test that changes a setting its jobs or
schedules are built with builds its own (``built_parts.built``). Settings the flows read at run time are
read when asked, so a test's override still takes effect.
"""

from functools import partial

from built_parts import built

from connector_assets.components import ProcoreJde
from connector_assets.integrations.procore_jde import change_orders, purchase_orders, vendor_mappers, vendors
from connector_assets.integrations.procore_jde import vouchers as voucher_flow
from connector_assets.integrations.procore_jde.integration import Own

PARTS = built("procore_jde")
VENDORS, SUPPLIERS, PURCHASE_ORDERS, VOUCHERS, CHANGE_ORDERS = (
    PARTS.flow(name) for name in ("vendors", "suppliers", "purchase_orders", "vouchers", "change_orders")
)
VENDORS_FLOW, PURCHASE_ORDERS_FLOW = VENDORS.spec, PURCHASE_ORDERS.spec
VOUCHERS_FLOW, CHANGE_ORDERS_FLOW = VOUCHERS.spec, CHANGE_ORDERS.spec
OWN = Own.of(ProcoreJde())  # the default instance as its modules work with it (same name, tables, settings)
INTEGRATION, VENDOR_PAIRS = OWN.name, OWN.pairs
CostCodeMap = OWN.costs  # the cost code map on the default instance's tables
PROJECTS, COST_CODES = TABLES = (PARTS.mapping_table("project_map"), PARTS.mapping_table("cost_code_map"))
procore_jde_mapping_tables = list(PARTS.tables)
[reconciliation] = PARTS.assets
RECONCILIATION = reconciliation.key.to_user_string()

# The functions as the default instance's flows call them.
vendor_an8 = partial(vendors.vendor_an8, OWN)
supplier_numbers = partial(vendors.supplier_numbers, OWN)
origin_format = partial(vendor_mappers.origin_format, OWN.it)
bank_fields = partial(vendor_mappers.bank_fields, OWN.it)
commitment_record = partial(purchase_orders.commitment_record, OWN, VENDORS_FLOW)
change_order_record = partial(change_orders.change_order_record, OWN, PURCHASE_ORDERS_FLOW)
VoucherReader = partial(
    voucher_flow.VoucherReader, voucher_flow.Holds(OWN, PURCHASE_ORDERS_FLOW, VENDORS_FLOW)
)
voucher_records = partial(voucher_flow._records, VOUCHERS_FLOW)
vouchers_enabled = partial(voucher_flow.vouchers_enabled, OWN)
