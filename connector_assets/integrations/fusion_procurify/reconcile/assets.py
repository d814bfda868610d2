"""The reconciliation asset, its job and its schedule.

``fusion_procurify_reconciliation`` (UTC day, like the flows' partitions) is downstream of the target
assets of the flows whose records it compares, so lineage reads source -> mapped -> written -> target ->
reconciliation. Its ``in_balance`` check fails (as a warning: a difference is news for a person, never a
reason to stop the flows) naming each difference; the metadata holds the counts, the differences table and
one table per comparison (``per_vendor_period``, ``per_order``). The schedule closes the previous day at
``ML_FUSION_PROCURIFY_RECONCILE_CRON`` (after the flows' own ticks), as jde_procurify's does; a cron firing
more often re-checks today on its later ticks.
"""

from typing import Any

from dagster import AssetSelection, define_asset_job

from connector_assets.flows.assets import target_asset_name
from connector_assets.flows.jobs import build_day_close_schedule
from connector_assets.flows.reconciliation import build_reconciliation_asset
from connector_assets.integrations.fusion_procurify.integration import INTEGRATION
from connector_assets.integrations.fusion_procurify.invoices import INVOICES_FLOW
from connector_assets.integrations.fusion_procurify.jobs import TIMEZONE
from connector_assets.integrations.fusion_procurify.payment_status import PAYMENT_STATUS_FLOW
from connector_assets.integrations.fusion_procurify.purchase_orders import PURCHASE_ORDERS_FLOW
from connector_assets.integrations.fusion_procurify.reconcile.day import reconcile_day
from connector_assets.integrations.fusion_procurify.suppliers import SUPPLIERS_FLOW
from connector_assets.integrations.fusion_procurify.vendors import VENDORS_FLOW
from connector_assets.saas import saas_daily_partitions
from connector_resources import settings

RECONCILIATION = f"{INTEGRATION}_reconciliation"
CRON_SETTING = "ML_FUSION_PROCURIFY_RECONCILE_CRON"
# What each side holds of each flow, as the write steps observed it: the reconciliation reads after them.
FLOW_TARGETS = tuple(
    target_asset_name(spec)
    for spec in (SUPPLIERS_FLOW, VENDORS_FLOW, PURCHASE_ORDERS_FLOW, INVOICES_FLOW, PAYMENT_STATUS_FLOW)
)
partitions = saas_daily_partitions()


fusion_procurify_reconciliation = build_reconciliation_asset(
    RECONCILIATION,
    group=INTEGRATION,
    systems=("procurify", "fusion"),
    partitions_def=partitions,
    deps=FLOW_TARGETS,
    compare=reconcile_day,
    description="The day's Procurify approved bill register against the Fusion payables invoices the "
    "integration wrote, per vendor (supplier) and period (invoice month): counts, totals, each bill missing, "
    "extra or of another amount, and each paid status that disagrees; Procurify POs and Fusion orders of "
    "ours on one side only.",
)


reconciliation_assets = [fusion_procurify_reconciliation]

fusion_procurify_reconcile_job = define_asset_job(
    f"{INTEGRATION}_reconcile",
    selection=AssetSelection.assets(RECONCILIATION),
    description="Compare a day's Procurify bills and purchase orders with Oracle Fusion's payables invoices "
    "and purchase orders.",
)
reconciliation_jobs = [fusion_procurify_reconcile_job]


def reconciliation_schedules() -> list[Any]:
    """Yesterday (UTC, the flows' days) closed at ``ML_FUSION_PROCURIFY_RECONCILE_CRON`` (UTC)."""
    return [
        build_day_close_schedule(
            f"{fusion_procurify_reconcile_job.name}_schedule",
            fusion_procurify_reconcile_job,
            cron=settings.value(CRON_SETTING),
            timezone=TIMEZONE,
            partitions_def=partitions,
            description="Reconcile yesterday's Procurify bills and purchase orders with Oracle Fusion.",
        )
    ]
