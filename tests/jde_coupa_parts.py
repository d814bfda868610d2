"""JD Edwards -> Coupa's default instance, built once per test process: its flows, tables and assets under
the names the tests use (the package builds them per instance, so there is nothing to import).

Why built at import: the tests use the default instance's objects as a fixture shared by every test of a
file, as they did when the package made them at import; a test that changes a setting its jobs or
schedules are built with builds its own (``built_parts.built``).
"""

from functools import partial

from built_parts import built

from connector_assets.integrations.jde_coupa import invoices, purchase_orders, suppliers
from connector_assets.integrations.jde_coupa.purchase_orders import OrderMapping

PARTS = built("jde_coupa")
SUPPLIERS, PURCHASE_ORDERS, INVOICES = (
    PARTS.flow(name) for name in ("suppliers", "purchase_orders", "invoices")
)
SUPPLIERS_FLOW, PURCHASE_ORDERS_FLOW, INVOICES_FLOW = SUPPLIERS.spec, PURCHASE_ORDERS.spec, INVOICES.spec
PAYMENT_TERMS, ACCOUNTS = PARTS.mapping_table("payment_terms_map"), PARTS.mapping_table("account_map")
ORDER_MAPPING = OrderMapping(ACCOUNTS, SUPPLIERS_FLOW)  # what an order or voucher is mapped with
jde_coupa_assets = list(SUPPLIERS.assets)  # the payment terms table, then the suppliers flow's steps
jde_coupa_po_assets = list(PURCHASE_ORDERS.assets)  # the account table, then the orders flow's steps
jde_coupa_invoice_assets = list(INVOICES.assets)
jde_coupa_payment_terms_map, jde_coupa_account_map = jde_coupa_assets[0], jde_coupa_po_assets[0]
[jde_coupa_reconciliation] = PARTS.assets

# The mappers as the default instance's flows call them.
mapped_supplier = partial(suppliers.mapped_supplier, table=PAYMENT_TERMS)
order_record = partial(purchase_orders.order_record, mapping=ORDER_MAPPING)
mapped_order = partial(purchase_orders.mapped_order, mapping=ORDER_MAPPING)
mapped_invoice = partial(invoices.mapped_invoice, mapping=ORDER_MAPPING)
