"""One JDE day compared with Coupa: the report ``build_reconciliation_asset`` yields.

The day is the flows' partition, a JDE day (UPMJ, in ``ML_JDE_TIMEZONE``): its suppliers, purchase orders
and vouchers are compared with what Coupa holds, and Coupa's records created or changed during that day are
listed when no JDE record explains them. Every call is counted (``jde_api_calls``, ``coupa_api_calls`` and
``api_calls_per_record`` in the metadata).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from connector_assets.flows.reconciliation import Report
from connector_assets.flows.reconciliation_calls import CountedJde, counted
from connector_assets.integrations.jde_coupa.reconcile.invoices import compare_invoices
from connector_assets.integrations.jde_coupa.reconcile.only_in_coupa import list_only_in_coupa
from connector_assets.integrations.jde_coupa.reconcile.orders import compare_orders
from connector_assets.integrations.jde_coupa.reconcile.sides import SYSTEMS, Day
from connector_assets.integrations.jde_coupa.reconcile.suppliers import compare_suppliers
from connector_assets.jde.extract import jde_timezone
from connector_resources.ledger import Ledger


def jde_day_window(day: str) -> tuple[datetime, datetime]:
    """``[day 00:00, next day 00:00)`` in the JDE time zone: the partition's day as a Coupa window."""
    start = datetime.combine(date.fromisoformat(day), time(), tzinfo=jde_timezone())
    return start, datetime.combine(start.date() + timedelta(days=1), time(), tzinfo=jde_timezone())


def reconcile_day(staging: Any, jde: Any, coupa: Any, ledger: Ledger, day: str) -> Report:
    """The day's suppliers, purchase orders and vouchers against Coupa, then what only Coupa holds."""
    report = Report(SYSTEMS, scope_label="Supplier")
    start, end = jde_day_window(day)
    with counted(coupa, report, "coupa") as session:
        compared = Day(
            day,
            start,
            end,
            staging,
            CountedJde(jde, report),
            session,
            ledger,
            report,
        )
        names = compare_suppliers(compared)
        compare_orders(compared, names)
        compare_invoices(compared, names)
        list_only_in_coupa(compared)
    return report
