"""``jde_procurify/reconciliation`` (UTC day), its job and its schedule closing the previous day at
``ML_JDE_PROCURIFY_RECONCILE_CRON`` in the JDE time zone (``flows.day_reconciliation``), after every flow's
target asset and the staged sources and master data it compares.
"""

from connector_assets.flows.day_reconciliation import ReconciliationWords, build_day_reconciliation
from connector_assets.jde.extract import jde_timezone
from connector_assets.jde.tables import (
    ADDRESS_BOOK,
    GL_ACCOUNTS,
    PO_HEADERS,
    PO_LINES,
    SUPPLIER_ADDRESSES,
    SUPPLIERS,
)

from ..account_codes import ACCOUNT_CODES_FLOW
from ..account_map import ACCOUNTS
from ..bills import BILLS_FLOW
from ..integration import INTEGRATION
from ..paid_marks import PAID_MARKS_FLOW
from ..payments import PAYMENTS_FLOW
from ..po_links import PO_LINKS_FLOW
from ..procurify_side import BILLS_ASSET, REQUISITIONS_ASSET
from ..purchase_orders import PURCHASE_ORDERS_FLOW
from ..suppliers import SUPPLIERS_FLOW
from ..vendors import VENDORS_FLOW
from .day import reconcile_day

# What it reads staged for its day (the sources the flows' jobs stage: JDE's changed orders and suppliers, the
# day's bills, the requisitions a new PO's origin is found in) and the master data it compares. Procurify's
# POs, requisitions, bills and vendors of the day are read from Procurify itself.
STAGED = (
    PO_HEADERS.asset,
    PO_LINES.asset,
    SUPPLIERS.asset,
    ADDRESS_BOOK.asset,
    SUPPLIER_ADDRESSES.asset,
    BILLS_ASSET,
    REQUISITIONS_ASSET,
    GL_ACCOUNTS.asset,
    ACCOUNTS.asset,
)

FLOWS = (
    ACCOUNT_CODES_FLOW,
    SUPPLIERS_FLOW,
    VENDORS_FLOW,
    PURCHASE_ORDERS_FLOW,
    PO_LINKS_FLOW,
    BILLS_FLOW,
    PAYMENTS_FLOW,
    PAID_MARKS_FLOW,
)
WORDS = ReconciliationWords.of(
    """
    Record by record, field by field: the day's JDE orders line by line against their Procurify POs (or
    requisitions), POs made in Procurify from no JDE order; each bill of the vendors and periods the day
    touches against its JDE voucher (amount, invoice, dates, status, paid), vouchers entered in JDE from
    no bill; every supplier / vendor pair and the day's one-sided ones; every account code.

    Compare a day's JDE orders, Procurify bills, suppliers / vendors and account codes between JD Edwards
    and Procurify.

    Reconcile yesterday's JDE orders, Procurify bills, vendors and account codes.
    """
)
RECONCILE = build_day_reconciliation(
    INTEGRATION, ("jde", "procurify"), FLOWS, reconcile_day, jde_timezone, WORDS, STAGED
)
RECONCILIATION = RECONCILE.name
WIRING = RECONCILE.wiring()
reconciliation_assets, reconciliation_jobs, reconciliation_schedules = WIRING
