"""The three reconciliation assets of an instance, their jobs and schedules (``flows.day_reconciliation``);
each carries an ``in_balance`` check that warns (never blocks) naming the differences."""

from functools import partial
from typing import Any

from connector_assets.asset_keys import asset_key
from connector_assets.flows.day_reconciliation import DayReconciliation, wiring
from connector_assets.flows.reconciliation import build_reconciliation_asset
from connector_assets.jde.assets import jde_partitions
from connector_assets.jde.extract import jde_timezone
from connector_assets.saas.assets import saas_partitions

from ..integration import Own
from .bills import reconcile_bills
from .payments import reconcile_payments
from .vendors import reconcile_vendors


def reconciliation(own: Own) -> Any:
    """The instance's reconciliation assets, jobs and schedules (``DayReconciliation.wiring``)."""
    name = own.instance

    def reconciling(entity: str, partitions_def: Any, target: str, description: str, compare: Any):
        """One reconciliation asset (``flows.reconciliation``): downstream of the other side as the flow's
        write step observed it (``target``), so lineage reads source -> mapped -> written -> target ->
        reconciliation."""
        return build_reconciliation_asset(
            asset_key(name, f"{entity}_reconciliation"),
            group=name,
            systems=("jde", "bill"),
            partitions_def=partitions_def,
            deps=[asset_key(name, target)],
            compare=compare,
            description=description,
        )

    vendors = reconciling(
        "vendors",
        jde_partitions,
        "vendors_in_bill",
        "The day's JDE suppliers against their BILL vendors, field by field (status, name, tax ID, account "
        "type, payee, address), and the day's BILL vendors no JDE supplier explains.",
        partial(reconcile_vendors, own),
    )
    bills = reconciling(
        "bills",
        jde_partitions,
        "bills_in_bill",
        "The bills the day's JDE purchase orders and vouchers make against their BILL bills, field by field "
        "(status, vendor, invoice, due date, each line's amount, GL account and department), and the day's "
        "BILL bills no JDE document explains.",
        partial(reconcile_bills, own),
    )
    payments = reconciling(
        "payments",
        saas_partitions,
        "payments_in_jde",
        "The day's paid BILL payments against what JDE shows (the voucher's paid amount in F0411, or the "
        "journal batch in F0911Z1): payments JDE does not show or shows for another amount, and payments "
        "BILL voided after JDE got them.",
        partial(reconcile_payments, own.it),
    )
    cron_setting = own.it.variable("reconcile_cron")
    # One job per calendar (vendors and bills: JDE days; payments: UTC days), today at the cron and yesterday
    # once after midnight: docs/integrations/jde_bill.md, "Reconciliation".
    entities = DayReconciliation.running(
        f"{name}_reconcile",
        [vendors, bills],
        partitions_def=jde_partitions,
        cron_setting=cron_setting,
        timezone=jde_timezone,
        job_description="Compare a day's JDE suppliers, orders and vouchers with BILL's vendors and bills.",
        schedule_description="Reconcile today's vendors and bills between JDE and BILL (yesterday once "
        "after midnight).",
        polled=True,
    )
    paid = DayReconciliation.running(
        f"{name}_payments_reconcile",
        [payments],
        partitions_def=saas_partitions,
        cron_setting=cron_setting,
        timezone="UTC",
        job_description="Compare a day's paid BILL payments with what JDE shows.",
        schedule_description="Reconcile today's payments between JDE and BILL (yesterday once after "
        "midnight).",
        polled=True,
    )
    return wiring(entities, paid)
