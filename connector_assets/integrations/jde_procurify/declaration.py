"""What JD Edwards <-> Procurify puts into Dagster and ``ml-connector replay`` (``flows.assembly``): its
flows in the order records move (master data first), each with a job and a day-closing schedule at its
``ML_JDE_PROCURIFY_<FLOW>_CRON`` (``jobs``), the mapping tables, the reconciliation and every flow's replay
handlers."""

from connector_assets.flows.assembly import Declaration, Flow, asset_keys
from connector_assets.flows.jobs import flow_sources
from connector_assets.integrations.jde_procurify.account_codes import (
    ACCOUNT_CODES_FLOW,
    account_code_assets,
    register_account_codes_replays,
)
from connector_assets.integrations.jde_procurify.account_map import ACCOUNTS, jde_procurify_account_map
from connector_assets.integrations.jde_procurify.bills import BILLS_FLOW, bill_assets, register_bill_replays
from connector_assets.integrations.jde_procurify.departments import DEPARTMENTS, jde_procurify_department_map
from connector_assets.integrations.jde_procurify.integration import INTEGRATION
from connector_assets.integrations.jde_procurify.jobs import JOBS
from connector_assets.integrations.jde_procurify.paid_marks import (
    PAID_MARKS_FLOW,
    paid_marks_assets,
    register_paid_marks_replays,
)
from connector_assets.integrations.jde_procurify.payments import (
    PAYMENTS_FLOW,
    payments_assets,
    register_payments_replays,
)
from connector_assets.integrations.jde_procurify.po_links import (
    PO_LINKS_FLOW,
    po_links_assets,
    register_po_links_replays,
)
from connector_assets.integrations.jde_procurify.purchase_orders import (
    PURCHASE_ORDERS_FLOW,
    purchase_orders_assets,
    register_purchase_orders_replays,
)
from connector_assets.integrations.jde_procurify.reconcile.assets import (
    reconciliation_assets,
    reconciliation_jobs,
    reconciliation_schedules,
)
from connector_assets.integrations.jde_procurify.suppliers import (
    SUPPLIERS_FLOW,
    register_supplier_replays,
    supplier_assets,
)
from connector_assets.integrations.jde_procurify.vendors import (
    VENDORS_FLOW,
    register_vendor_replays,
    vendor_assets,
)
from connector_assets.jde.assets import jde_assets
from connector_assets.saas_assets import saas_assets

FLOWS = (
    Flow(ACCOUNT_CODES_FLOW, account_code_assets, (register_account_codes_replays,)),
    Flow(SUPPLIERS_FLOW, supplier_assets, (register_supplier_replays,)),
    Flow(VENDORS_FLOW, vendor_assets, (register_vendor_replays,)),
    Flow(PURCHASE_ORDERS_FLOW, purchase_orders_assets, (register_purchase_orders_replays,)),
    Flow(PO_LINKS_FLOW, po_links_assets, (register_po_links_replays,)),
    Flow(BILLS_FLOW, bill_assets, (register_bill_replays,)),
    Flow(PAYMENTS_FLOW, payments_assets, (register_payments_replays,)),
    Flow(PAID_MARKS_FLOW, paid_marks_assets, (register_paid_marks_replays,)),
)
# The mapping tables the flows map with (specs, and the asset staging each).
TABLES = [ACCOUNTS, DEPARTMENTS]
jde_procurify_mapping_tables = [jde_procurify_account_map, jde_procurify_department_map]

# What a flow's job may run besides its own assets: the staged sources and mapping tables its mapped step
# reads (JDE tables, SaaS entities, F0116 as JDE -> BILL stages it ...), never another flow's steps (their
# order is the asset graph's; a record needing another flow's write is held until it lands) and never
# F0901, which keeps its own refresh schedule (see ``jobs``).
_SHARED = asset_keys([*jde_assets, *saas_assets])
SOURCES = flow_sources(FLOWS, INTEGRATION, also=_SHARED | asset_keys(jde_procurify_mapping_tables))
jde_procurify_flow_jobs, jde_procurify_schedules = JOBS.build(FLOWS, SOURCES)

DECLARATION = Declaration(
    flows=FLOWS,
    tables=jde_procurify_mapping_tables,
    assets=reconciliation_assets,
    jobs=[*jde_procurify_flow_jobs.values(), *reconciliation_jobs],
    schedules=[*jde_procurify_schedules, *reconciliation_schedules()],
    shared=_SHARED,
)
