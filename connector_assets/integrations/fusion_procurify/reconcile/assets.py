"""The reconciliation asset, its job and its schedule (``flows.day_reconciliation``), declared.

``fusion_procurify/reconciliation`` (UTC day, like the flows' partitions) reads after the target assets of
the flows whose records it compares; the metadata holds the counts, the differences table and one table
per comparison (``per_vendor_period``, ``per_order``). The schedule closes the previous day at
``ML_FUSION_PROCURIFY_RECONCILE_CRON`` (UTC), as jde_procurify's does.
"""

from connector_assets.flows.day_reconciliation import ReconciliationWords, build_day_reconciliation
from connector_assets.integrations.fusion_procurify.integration import INTEGRATION
from connector_assets.integrations.fusion_procurify.invoices import INVOICES_FLOW
from connector_assets.integrations.fusion_procurify.jobs import TIMEZONE
from connector_assets.integrations.fusion_procurify.payment_status import PAYMENT_STATUS_FLOW
from connector_assets.integrations.fusion_procurify.purchase_orders import PURCHASE_ORDERS_FLOW
from connector_assets.integrations.fusion_procurify.reconcile.day import reconcile_day
from connector_assets.integrations.fusion_procurify.suppliers import SUPPLIERS_FLOW
from connector_assets.integrations.fusion_procurify.vendors import VENDORS_FLOW

FLOWS = (SUPPLIERS_FLOW, VENDORS_FLOW, PURCHASE_ORDERS_FLOW, INVOICES_FLOW, PAYMENT_STATUS_FLOW)
WORDS = ReconciliationWords.of(
    """
    The day's Procurify approved bill register against the Fusion payables invoices the integration wrote,
    per vendor (supplier) and period (invoice month): counts, totals, each bill missing, extra or of
    another amount, and each paid status that disagrees; Procurify POs and Fusion orders of ours on one
    side only.

    Compare a day's Procurify bills and purchase orders with Oracle Fusion's payables invoices and
    purchase orders.

    Reconcile yesterday's Procurify bills and purchase orders with Oracle Fusion.
    """
)
RECONCILE = build_day_reconciliation(
    INTEGRATION, ("procurify", "fusion"), FLOWS, reconcile_day, TIMEZONE, WORDS
)
RECONCILIATION = RECONCILE.name
reconciliation_assets, reconciliation_jobs, reconciliation_schedules = RECONCILE.wiring()
