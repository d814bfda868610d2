"""The reconciliation asset, its job and the schedule closing each day (``flows.day_reconciliation``),
read after each flow's JDE side (``<flow>_in_jde``). Its check, job, schedule and metadata:
docs/integrations/coupa_jde.md, "Reconciliation".
"""

from functools import partial
from typing import Any

from connector_assets.flows.core import FlowSpec
from connector_assets.flows.day_reconciliation import ReconciliationWords, build_day_reconciliation
from connector_assets.flows.reconciliation import Report, day_window
from connector_assets.flows.reconciliation_calls import CountedJde, counted
from connector_resources.ledger import Ledger

from ..own import Own
from .invoices import compare_invoices
from .only_in_jde import list_only_in_jde
from .payments import compare_payments
from .sides import SYSTEMS, Day


def reconcile_day(staging: Any, coupa: Any, jde: Any, ledger: Ledger, day: str, **own: Any) -> Report:
    """The day's Coupa invoices and payments (read from Coupa by ``updated-at``) against JDE, then the
    batches JDE holds under the flow's marking that no Coupa invoice explains; ``own``: whose (``Day``)."""
    report = Report(SYSTEMS, scope_label="Supplier")
    start, end = day_window(day)
    with counted(coupa, report, "coupa") as session:
        compared = Day(day, start, end, staging, CountedJde(jde, report), session, ledger, report, **own)
        compare_invoices(compared)
        compare_payments(compared)
        list_only_in_jde(compared)
    return report


WORDS = ReconciliationWords.of(
    """
    The day's Coupa invoices against the JDE vouchers the flow wrote (supplier, invoice number, date, each
    G/L line's amount and account, gross, voided and paid), its Coupa Pay payments against JDE's (F0414 by
    reference, amount), and the batches JDE holds under the flow's marking that no Coupa invoice explains.

    Compare a day's Coupa invoices and Coupa Pay payments with JDE's vouchers and payments.

    Reconcile yesterday's Coupa invoices and payments with JDE.
    """
)


def reconciliation(own: Own, invoices: FlowSpec, payments: FlowSpec) -> Any:
    """``own``'s reconciliation of its flows (``DayReconciliation.wiring``: assets, jobs, schedules)."""
    compare = partial(reconcile_day, own=own, invoices=invoices, payments=payments)
    made = build_day_reconciliation(own.name, ("coupa", "jde"), (invoices, payments), compare, "UTC", WORDS)
    return made.wiring()
