"""``fusion_procurify/reconciliation`` (UTC day, like the flows' partitions), its job and its schedule
closing the previous day at ``ML_FUSION_PROCURIFY_RECONCILE_CRON`` (UTC) (``flows.day_reconciliation``);
it reads after the target assets of the flows whose records it compares.
"""

from connector_assets.flows.day_reconciliation import ReconciliationWords, build_day_reconciliation

from ..account_codes import ACCOUNT_CODES_FLOW
from ..integration import INTEGRATION
from ..invoices import INVOICES_FLOW
from ..jobs import TIMEZONE
from ..payment_status import PAYMENT_STATUS_FLOW
from ..purchase_orders import PURCHASE_ORDERS_FLOW
from ..suppliers import SUPPLIERS_FLOW
from ..vendors import VENDORS_FLOW
from .day import reconcile_day

FLOWS = (
    ACCOUNT_CODES_FLOW,
    SUPPLIERS_FLOW,
    VENDORS_FLOW,
    PURCHASE_ORDERS_FLOW,
    INVOICES_FLOW,
    PAYMENT_STATUS_FLOW,
)
WORDS = ReconciliationWords.of(
    """
    A day's records on both sides, record by record and field by field: the Procurify approved bill
    register against the Fusion payables invoices the integration wrote (amount, number, date, currency,
    supplier, lines, canceled, paid status), per vendor (supplier) and period; Procurify POs against the
    Fusion orders made of them (status, supplier, currency, each line's amount, description and account);
    vendors against their Fusion suppliers (status, name, supplier number); the account table against
    Procurify's account codes; and the Fusion invoices, orders and suppliers, and Procurify account codes,
    no record on the other side explains. Records the flows queued, held or skipped by rule are expected
    gaps, counted with the queue's reason.

    Compare a day's Procurify bills, purchase orders, vendors and account codes with Oracle Fusion's
    payables invoices, purchase orders, suppliers and accounts.

    Reconcile yesterday's Procurify and Oracle Fusion records.
    """
)
RECONCILE = build_day_reconciliation(
    INTEGRATION, ("procurify", "fusion"), FLOWS, reconcile_day, TIMEZONE, WORDS
)
RECONCILIATION = RECONCILE.name
WIRING = RECONCILE.wiring()
reconciliation_assets, reconciliation_jobs, reconciliation_schedules = WIRING
