"""The reconciliation asset, its job and the schedule closing each JDE day (``flows.day_reconciliation``).
``<instance>/reconciliation`` reads after each flow's Coupa side (``<flow>_in_coupa``), so lineage reads
source -> mapped -> written -> Coupa -> reconciliation. Its check, job, schedule and metadata:
docs/integrations/jde_coupa.md, "Reconciliation".
"""

from datetime import date, datetime, time, timedelta
from typing import Any

from connector_assets.flows.day_reconciliation import (
    DayReconciliation,
    ReconciliationWords,
    build_day_reconciliation,
)
from connector_assets.flows.instance import Instance
from connector_assets.flows.reconciliation import Report
from connector_assets.flows.reconciliation_calls import CountedJde, counted
from connector_assets.jde.assets import jde_partitions
from connector_assets.jde.extract import jde_timezone
from connector_resources.ledger import Ledger

from .invoices import compare_invoices
from .only_in_coupa import list_only_in_coupa
from .orders import compare_orders
from .sides import SYSTEMS, Day, Own
from .suppliers import compare_suppliers


def jde_day_window(day: str) -> tuple[datetime, datetime]:
    """``[day 00:00, next day 00:00)`` in the JDE time zone: the partition's day as a Coupa window."""
    start = datetime.combine(date.fromisoformat(day), time(), tzinfo=jde_timezone())
    return start, datetime.combine(start.date() + timedelta(days=1), time(), tzinfo=jde_timezone())


def reconciliation(it: Instance, own: Own) -> DayReconciliation:
    """``it``'s reconciliation, comparing with its own flows and tables (``own``)."""

    def reconcile_day(staging: Any, jde: Any, coupa: Any, ledger: Ledger, day: str) -> Report:
        """The JDE day's suppliers, purchase orders and vouchers against Coupa, then the Coupa records
        created or changed that day that no JDE record explains."""
        report = Report(SYSTEMS, scope_label="Supplier")
        start, end = jde_day_window(day)
        with counted(coupa, report, "coupa") as session:
            compared = Day(day, start, end, staging, CountedJde(jde, report), session, ledger, report)
            names = compare_suppliers(compared, own)
            compare_orders(compared, own, names)
            compare_invoices(compared, own, names)
            list_only_in_coupa(compared, own)
        return report

    flows = (own.suppliers, own.purchase_orders, own.invoices)
    return build_day_reconciliation(
        it.instance,
        ("jde", "coupa"),
        flows,
        reconcile_day,
        jde_timezone,
        WORDS,
        partitions_def=jde_partitions,
    )


WORDS = ReconciliationWords.of(
    """
    The JDE day's suppliers, purchase orders and vouchers against Coupa, field by field and line by line
    (name, tax ID, status, supplier, prices, quantities, amounts, accounts, dates), and the Coupa
    suppliers, orders and invoices created or changed that day that no JDE record explains.

    Compare a JDE day's suppliers, purchase orders and vouchers with Coupa's.

    Reconcile yesterday's JDE suppliers, purchase orders and vouchers with Coupa.
    """
)
