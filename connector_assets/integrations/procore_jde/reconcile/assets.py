"""The reconciliation asset, its job and its schedule (``flows.day_reconciliation``), declared.

``procore_jde/reconciliation`` (Procore UTC day, like the flows) reads after every flow's target asset; its
``in_balance`` check warns (never blocks) naming the differences. The schedule closes the previous day at
``ML_PROCORE_JDE_RECONCILE_CRON`` in the JDE time zone (after the flows' own ticks).
"""

from connector_assets.flows.day_reconciliation import ReconciliationWords, build_day_reconciliation
from connector_assets.integrations.procore_jde.change_orders import CHANGE_ORDERS_FLOW
from connector_assets.integrations.procore_jde.integration import INTEGRATION
from connector_assets.integrations.procore_jde.purchase_orders import PURCHASE_ORDERS_FLOW
from connector_assets.integrations.procore_jde.reconcile.day import reconcile_day
from connector_assets.integrations.procore_jde.vendors import VENDORS_FLOW
from connector_assets.integrations.procore_jde.vouchers import VOUCHERS_FLOW
from connector_assets.jde.extract import jde_timezone

FLOWS = (VENDORS_FLOW, PURCHASE_ORDERS_FLOW, VOUCHERS_FLOW, CHANGE_ORDERS_FLOW)
WORDS = ReconciliationWords.of(
    """
    The day's approved Procore requisitions against their JDE vouchers and purchase order lines by cost
    code and account, per project and billing period; commitments without a JDE purchase order; approved
    change orders not on their order; vendors on one side only.

    Compare a Procore day's approved requisitions, commitments, change orders and vendors with JDE's
    vouchers, purchase orders and suppliers.

    Reconcile yesterday's Procore requisitions, commitments and vendors with JDE.
    """
)
RECONCILE = build_day_reconciliation(
    INTEGRATION, ("jde", "procore"), FLOWS, reconcile_day, jde_timezone, WORDS
)
RECONCILIATION = RECONCILE.name
WIRING = RECONCILE.wiring()  # what the component lists (``IntegrationComponent.assembled``)
reconciliation_assets, reconciliation_jobs, reconciliation_schedules = WIRING
