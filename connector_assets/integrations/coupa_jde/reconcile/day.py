"""One Coupa day compared with JDE: the report the reconciliation asset yields.

The day is the flows' partition, a UTC day of Coupa changes (``updated-at``): the invoices and Coupa Pay
payments Coupa created or changed that day, read from Coupa itself, against the vouchers and payments JDE
holds for them, then the batches JDE holds under the flow's marking that no Coupa invoice explains. Every
call is counted (``coupa_api_calls``, ``jde_api_calls`` and ``api_calls_per_record`` in the metadata).
"""

from __future__ import annotations

from typing import Any

from connector_assets.flows.reconciliation import Report, day_window
from connector_assets.flows.reconciliation_calls import CountedJde, counted
from connector_assets.integrations.coupa_jde.reconcile.invoices import compare_invoices
from connector_assets.integrations.coupa_jde.reconcile.only_in_jde import list_only_in_jde
from connector_assets.integrations.coupa_jde.reconcile.payments import compare_payments
from connector_assets.integrations.coupa_jde.reconcile.sides import SYSTEMS, Day
from connector_resources.ledger import Ledger


def reconcile_day(staging: Any, coupa: Any, jde: Any, ledger: Ledger, day: str) -> Report:
    """The day's Coupa invoices and payments against JDE, then what only JDE holds."""
    report = Report(SYSTEMS, scope_label="Supplier")
    start, end = day_window(day)
    with counted(coupa, report, "coupa") as session:
        compared = Day(day, start, end, staging, CountedJde(jde, report), session, ledger, report)
        compare_invoices(compared)
        compare_payments(compared)
        list_only_in_jde(compared)
    return report
