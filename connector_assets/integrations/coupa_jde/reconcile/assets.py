"""The reconciliation asset, its job and the schedule closing each day (``flows.day_reconciliation``).

``coupa_jde/reconciliation`` (a UTC day of Coupa changes, like the flows) reads after each flow's JDE side as
its write step observed it (``<flow>_in_jde``), so lineage reads source -> mapped -> written -> JDE ->
reconciliation; its ``in_balance`` check warns (never blocks) naming the differences, and the whole list is a
CSV beside the staging. ``coupa_jde_reconcile`` runs it; its schedule closes the previous day at
``ML_COUPA_JDE_RECONCILE_CRON`` (UTC, after the flows' polls).
"""

from connector_assets.flows.day_reconciliation import ReconciliationWords, build_day_reconciliation
from connector_assets.integrations.coupa_jde.integration import INTEGRATION
from connector_assets.integrations.coupa_jde.invoices import INVOICES_FLOW
from connector_assets.integrations.coupa_jde.payments import PAYMENTS_FLOW
from connector_assets.integrations.coupa_jde.reconcile.day import reconcile_day

WORDS = ReconciliationWords.of(
    """
    The day's Coupa invoices against the JDE vouchers the flow wrote (supplier, invoice number, date, each
    G/L line's amount and account, gross, voided and paid), its Coupa Pay payments against JDE's (F0414 by
    reference, amount), and the batches JDE holds under the flow's marking that no Coupa invoice explains.

    Compare a day's Coupa invoices and Coupa Pay payments with JDE's vouchers and payments.

    Reconcile yesterday's Coupa invoices and payments with JDE.
    """
)
RECONCILE = build_day_reconciliation(
    INTEGRATION, ("coupa", "jde"), (INVOICES_FLOW, PAYMENTS_FLOW), reconcile_day, "UTC", WORDS
)
RECONCILIATION = RECONCILE.name
WIRING = RECONCILE.wiring()  # what the component lists (``IntegrationComponent.assembled``)
reconciliation_assets, reconciliation_jobs, reconciliation_schedules = WIRING
