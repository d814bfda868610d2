"""The three reconciliation assets, their jobs and schedules (``flows.day_reconciliation``); each carries
an ``in_balance`` check that warns (never blocks) naming the differences."""

from typing import Any

from dagster import AssetKey

from connector_assets.asset_keys import asset_key
from connector_assets.flows.day_reconciliation import DayReconciliation, wiring
from connector_assets.flows.reconciliation import build_reconciliation_asset
from connector_assets.jde.assets import jde_partitions
from connector_assets.jde.extract import jde_timezone
from connector_assets.saas.assets import saas_partitions

from ..integration import INTEGRATION, setting
from .bills import reconcile_bills
from .payments import reconcile_payments
from .vendors import reconcile_vendors

VENDORS = asset_key(INTEGRATION, "vendors_reconciliation")
BILLS = asset_key(INTEGRATION, "bills_reconciliation")
PAYMENTS = asset_key(INTEGRATION, "payments_reconciliation")


def _asset(name: AssetKey, partitions_def: Any, target: AssetKey, description: str, compare: Any):
    """One reconciliation asset (``flows.reconciliation``): downstream of the other side as the flow's
    write step observed it (``target_asset``), so lineage reads source -> mapped -> written -> target ->
    reconciliation."""
    return build_reconciliation_asset(
        name,
        group=INTEGRATION,
        systems=("jde", "bill"),
        partitions_def=partitions_def,
        deps=[target],
        compare=compare,
        description=description,
    )


jde_bill_vendors_reconciliation = _asset(
    VENDORS,
    jde_partitions,
    asset_key(INTEGRATION, "vendors_in_bill"),
    "The day's JDE suppliers against their BILL vendors, field by field (status, name, tax ID, account type, "
    "payee, address), and the day's BILL vendors no JDE supplier explains.",
    reconcile_vendors,
)
jde_bill_bills_reconciliation = _asset(
    BILLS,
    jde_partitions,
    asset_key(INTEGRATION, "bills_in_bill"),
    "The bills the day's JDE purchase orders and vouchers make against their BILL bills, field by field "
    "(status, vendor, invoice, due date, each line's amount, GL account and department), and the day's BILL "
    "bills no JDE document explains.",
    reconcile_bills,
)
jde_bill_payments_reconciliation = _asset(
    PAYMENTS,
    saas_partitions,
    asset_key(INTEGRATION, "payments_in_jde"),
    "The day's paid BILL payments against what JDE shows (the voucher's paid amount in F0411, or the "
    "journal batch in F0911Z1): payments JDE does not show or shows for another amount, and payments BILL "
    "voided after JDE got them.",
    reconcile_payments,
)

# -- when they run -----------------------------------------------------------------------------------------

CRON_SETTING = setting("RECONCILE_CRON")
# One job per calendar (vendors and bills: JDE days; payments: UTC days), today at the cron and yesterday
# once after midnight: docs/integrations/jde_bill.md, "Reconciliation".
ENTITIES = DayReconciliation.running(
    f"{INTEGRATION}_reconcile",
    [jde_bill_vendors_reconciliation, jde_bill_bills_reconciliation],
    partitions_def=jde_partitions,
    cron_setting=CRON_SETTING,
    timezone=jde_timezone,
    job_description="Compare a day's JDE suppliers, orders and vouchers with BILL's vendors and bills.",
    schedule_description="Reconcile today's vendors and bills between JDE and BILL (yesterday once after "
    "midnight).",
    polled=True,
)
PAYMENTS_RECONCILE = DayReconciliation.running(
    f"{INTEGRATION}_payments_reconcile",
    [jde_bill_payments_reconciliation],
    partitions_def=saas_partitions,
    cron_setting=CRON_SETTING,
    timezone="UTC",
    job_description="Compare a day's paid BILL payments with what JDE shows.",
    schedule_description="Reconcile today's payments between JDE and BILL (yesterday once after midnight).",
    polled=True,
)
WIRING = wiring(ENTITIES, PAYMENTS_RECONCILE)  # what the component takes (``IntegrationParts.assembled``)
reconciliation_assets, reconciliation_jobs, reconciliation_schedules = WIRING
