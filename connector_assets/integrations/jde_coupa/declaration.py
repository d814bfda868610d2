"""What JD Edwards -> Coupa puts into Dagster and ``ml-connector replay`` (``flows.assembly``): its three
flows, their jobs and schedules (``jobs``), the reconciliation and the replay handlers."""

from connector_assets.flows.assembly import Declaration, Flow
from connector_assets.integrations.jde_coupa.invoices import INVOICES_FLOW, jde_coupa_invoice_assets
from connector_assets.integrations.jde_coupa.jobs import jde_coupa_jobs, jde_coupa_schedules
from connector_assets.integrations.jde_coupa.purchase_orders import PURCHASE_ORDERS_FLOW, jde_coupa_po_assets
from connector_assets.integrations.jde_coupa.reconcile import jde_coupa_reconciliation
from connector_assets.integrations.jde_coupa.replay import register_replay_handlers
from connector_assets.integrations.jde_coupa.suppliers import SUPPLIERS_FLOW, jde_coupa_assets

DECLARATION = Declaration(
    flows=(
        Flow(SUPPLIERS_FLOW, jde_coupa_assets),
        Flow(PURCHASE_ORDERS_FLOW, jde_coupa_po_assets),
        Flow(INVOICES_FLOW, jde_coupa_invoice_assets),
    ),
    assets=[jde_coupa_reconciliation],
    jobs=jde_coupa_jobs,
    schedules=jde_coupa_schedules,
    replays=register_replay_handlers,
)
