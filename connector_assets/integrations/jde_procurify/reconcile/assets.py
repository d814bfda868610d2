"""``<instance>/reconciliation`` (UTC day), its job and its schedule closing the previous day at
``ML_<INSTANCE>_RECONCILE_CRON`` in the JDE time zone (``flows.day_reconciliation``), after every flow's
target asset and the staged sources and master data it compares.
"""

from collections.abc import Sequence

from connector_assets.flows.core import FlowSpec
from connector_assets.flows.day_reconciliation import (
    DayReconciliation,
    ReconciliationWords,
    build_day_reconciliation,
)
from connector_assets.jde.extract import jde_timezone
from connector_assets.jde.tables import (
    ADDRESS_BOOK,
    GL_ACCOUNTS,
    PO_HEADERS,
    PO_LINES,
    SUPPLIER_ADDRESSES,
    SUPPLIERS,
)

from ..own import Own
from .day import day_reconciler

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


def reconciliation(own: Own, flows: Sequence[FlowSpec]) -> DayReconciliation:
    """``own``'s reconciliation, after each of its ``flows``' target asset."""
    # What it reads staged for its day (the sources the flows' jobs stage: JDE's changed orders and
    # suppliers, the day's bills, the requisitions a new PO's origin is found in) and the master data it
    # compares. Procurify's POs, requisitions, bills and vendors of the day are read from Procurify itself.
    staged = (
        PO_HEADERS.asset,
        PO_LINES.asset,
        SUPPLIERS.asset,
        ADDRESS_BOOK.asset,
        SUPPLIER_ADDRESSES.asset,
        own.procurify.bills,
        own.procurify.requisitions,
        GL_ACCOUNTS.asset,
        own.accounts.asset,
    )
    compare = day_reconciler(own, next(spec for spec in flows if spec.name == "account_codes"))
    return build_day_reconciliation(
        own.name, ("jde", "procurify"), flows, compare, jde_timezone, WORDS, staged
    )
