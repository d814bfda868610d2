"""``<instance>/reconciliation`` (UTC day, like the flows' partitions), its job and its schedule closing the
previous day at the instance's ``reconcile_cron`` (UTC) (``flows.day_reconciliation``); it reads after the
target assets of the flows whose records it compares.
"""

from collections.abc import Sequence
from functools import partial

from connector_assets.flows.core import FlowSpec
from connector_assets.flows.day_reconciliation import (
    DayReconciliation,
    ReconciliationWords,
    build_day_reconciliation,
)

from ..jobs import TIMEZONE
from ..own import Own
from .day import reconcile_day


def reconciliation(own: Own, flows: Sequence[FlowSpec]) -> DayReconciliation:
    """``own``'s reconciliation of its ``flows``' records."""
    compare = partial(reconcile_day, own)
    return build_day_reconciliation(own.name, ("procurify", "fusion"), flows, compare, TIMEZONE, WORDS)


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
