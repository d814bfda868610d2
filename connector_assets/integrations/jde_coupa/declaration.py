"""What JD Edwards -> Coupa puts into Dagster and ``ml-connector replay`` (``flows.assembly``): its three
flows, their jobs and schedules (``jobs``) and the reconciliation; each flow's replays are its own
(``Flow.replays``)."""

from connector_assets.flows.assembly import Declaration
from connector_assets.integrations.jde_coupa import invoices, purchase_orders, suppliers
from connector_assets.integrations.jde_coupa.jobs import JOBS
from connector_assets.integrations.jde_coupa.reconcile import assets as reconcile

FLOWS = (suppliers.FLOW, purchase_orders.FLOW, invoices.FLOW)
TABLES = [suppliers.jde_coupa_payment_terms_map, purchase_orders.jde_coupa_account_map]
FLOW_JOBS = JOBS.build(FLOWS, TABLES)

DECLARATION = Declaration.assembled(FLOWS, [FLOW_JOBS], reconcile.WIRING, tables=TABLES)
