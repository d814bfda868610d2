"""The reconciliation asset, its job and the schedule closing each JDE day.

``jde_coupa/reconciliation`` (a JDE day, like the flows) reads after each flow's Coupa side as its write
step observed it (``<flow>_in_coupa``), so lineage reads source -> mapped -> written -> Coupa ->
reconciliation; its ``in_balance`` check warns (never blocks) naming the differences, and the whole list is
a CSV beside the staging (``flows.reconciliation``). ``jde_coupa_reconcile`` runs it; its schedule closes the
previous JDE day at ``ML_JDE_COUPA_RECONCILE_CRON`` in the JDE time zone, after the flows' hourly ticks.
"""

from __future__ import annotations

from typing import Any

from dagster import AssetSelection, define_asset_job

from connector_assets.asset_keys import asset_key
from connector_assets.flows.assets import target_asset_name
from connector_assets.flows.jobs import build_day_close_schedule
from connector_assets.flows.reconciliation import build_reconciliation_asset
from connector_assets.integrations.jde_coupa.integration import INTEGRATION
from connector_assets.integrations.jde_coupa.invoices import INVOICES_FLOW
from connector_assets.integrations.jde_coupa.purchase_orders import PURCHASE_ORDERS_FLOW
from connector_assets.integrations.jde_coupa.reconcile.day import reconcile_day
from connector_assets.integrations.jde_coupa.suppliers import SUPPLIERS_FLOW
from connector_assets.jde.assets import jde_partitions
from connector_assets.jde.extract import jde_timezone
from connector_resources import settings

NAME = asset_key(INTEGRATION, "reconciliation")
CRON_SETTING = "ML_JDE_COUPA_RECONCILE_CRON"
FLOWS = (SUPPLIERS_FLOW, PURCHASE_ORDERS_FLOW, INVOICES_FLOW)

jde_coupa_reconciliation = build_reconciliation_asset(
    NAME,
    group=INTEGRATION,
    systems=("jde", "coupa"),
    partitions_def=jde_partitions,
    deps=[target_asset_name(spec) for spec in FLOWS],
    compare=reconcile_day,
    description="The JDE day's suppliers, purchase orders and vouchers against Coupa, field by field and "
    "line by line (name, tax ID, status, supplier, prices, quantities, amounts, accounts, dates), and the "
    "Coupa suppliers, orders and invoices created or changed that day that no JDE record explains.",
)

jde_coupa_reconcile_job = define_asset_job(
    "jde_coupa_reconcile",
    selection=AssetSelection.assets(NAME),
    description="Compare a JDE day's suppliers, purchase orders and vouchers with Coupa's.",
)


def reconciliation_schedules() -> list[Any]:
    """Yesterday's JDE day, closed at ``ML_JDE_COUPA_RECONCILE_CRON`` in the JDE time zone."""
    return [
        build_day_close_schedule(
            f"{jde_coupa_reconcile_job.name}_schedule",
            jde_coupa_reconcile_job,
            cron=settings.value(CRON_SETTING),
            timezone=jde_timezone().key,
            partitions_def=jde_partitions,
            description="Reconcile yesterday's JDE suppliers, purchase orders and vouchers with Coupa.",
        )
    ]
