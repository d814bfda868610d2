"""JD Edwards <-> Procurify's default instance, built once per test process: its flows, tables, pairs and
assets under the names the tests use (the package builds them per instance, so there is nothing to import),
and the package's functions bound to that instance as its flows call them.

Why built at import: the tests use the default instance's objects as a fixture shared by every test of a
file, as they did when the package made them at import; its settings are read when asked, so a test that
sets one with ``monkeypatch.setenv`` is read as it sets it. A test that changes a setting its jobs or
schedules are built with builds its own (``built_parts.built``).
"""

from functools import partial

from built_parts import built

from connector_assets.asset_keys import asset_key
from connector_assets.components import JdeProcurify
from connector_assets.integrations.jde_procurify import (
    bill_mappers,
    bills,
    order_mappers,
    order_records,
    payments,
    purchase_orders,
    supplier_mappers,
    suppliers,
    vendors,
)
from connector_assets.integrations.jde_procurify.own import own

INTEGRATION = "jde_procurify"
INSTANCE = JdeProcurify()  # the default instance: its settings read when asked
PARTS = built(INTEGRATION)
OWN = own(INSTANCE)  # its routes, tables, pairs and links, as its flows are built with them
FLOWS = {flow.name: flow for flow in PARTS.flows}  # each flow (spec, assets, replay) by name
ACCOUNT_CODES_FLOW, SUPPLIERS_FLOW, VENDORS_FLOW, PURCHASE_ORDERS_FLOW = (
    FLOWS[name].spec for name in ("account_codes", "suppliers", "vendors", "purchase_orders")
)
PO_LINKS_FLOW, BILLS_FLOW, PAYMENTS_FLOW, PAID_MARKS_FLOW = (
    FLOWS[name].spec for name in ("po_links", "bills", "payments", "paid_marks")
)
ACCOUNTS, DEPARTMENTS = PARTS.mapping_table("account_map"), PARTS.mapping_table("department_map")
AccountMap = OWN.account_map  # the account table read both ways, with the instance's scope
AccountScope = AccountMap.scope_type
PAIRING = OWN.pairing
RECONCILIATION = f"{INTEGRATION}/reconciliation"  # the reconciliation asset, as the catalog names it
ORPHANS_ASSET = asset_key(INTEGRATION, "account_code_orphans")
supplier_assets, vendor_assets = list(FLOWS["suppliers"].assets), list(FLOWS["vendors"].assets)
mapping_tables = list(PARTS.tables)  # the account table's asset, then the department table's
[reconciliation_asset] = PARTS.assets

# The package's functions as the default instance's flows call them.
map_supplier = partial(
    supplier_mappers.map_supplier, fallback_setting=INSTANCE.variable("vendor_fallback_email")
)
supplier_records = partial(suppliers.supplier_records, OWN)
ProcurifyVendors = suppliers.procurify_vendors(OWN)
to_send = partial(vendors.to_send, OWN)
order_policy = partial(purchase_orders.order_policy, INSTANCE)
JdeOrdersInProcurify = purchase_orders.requisitions_target(OWN)
requisition_lines = partial(order_mappers.requisition_lines, it=INSTANCE)
requisition_body = partial(order_mappers.requisition_body, it=INSTANCE)
order_currency = partial(order_mappers.order_currency, it=INSTANCE)
required_date = partial(order_mappers.required_date, it=INSTANCE)
missing_required = partial(order_mappers.missing_required, it=INSTANCE)
lines_refusal = partial(order_records.lines_refusal, own=OWN)
BillInputs = partial(bill_mappers.BillInputs, names=bill_mappers.BillNames.of(INSTANCE, ACCOUNTS))
vendor_dependency = partial(bills.vendor_dependency, OWN)
unsent_vendors = partial(bills.unsent_vendors, OWN)
bill_dependency = BILLS_FLOW.dependency_key  # what a payment of a bill waits for
bills_taken_elsewhere = partial(payments.bills_taken_elsewhere, bill_dependency=bill_dependency)
