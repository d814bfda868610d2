"""The reconciliation asset, its job and its schedule.

``procore_jde_reconciliation`` (Procore UTC day, like the flows) is downstream of every flow's target
asset, so lineage reads source -> mapped -> written -> target -> reconciliation; its ``in_balance`` check
warns (never blocks) naming the differences. The schedule closes the previous day at
``ML_PROCORE_JDE_RECONCILE_CRON`` (after the flows' own ticks), as the flows' schedules do: the day's
verdict once every record of it had its run; a cron firing more often re-checks today on its later ticks.
"""

from typing import Any

from dagster import AssetSelection, define_asset_job

from connector_assets.flows.assets import target_asset_name
from connector_assets.flows.jobs import build_day_close_schedule
from connector_assets.flows.reconciliation import build_reconciliation_asset
from connector_assets.integrations.procore_jde.change_orders import CHANGE_ORDERS_FLOW
from connector_assets.integrations.procore_jde.integration import INTEGRATION
from connector_assets.integrations.procore_jde.purchase_orders import PURCHASE_ORDERS_FLOW
from connector_assets.integrations.procore_jde.reconcile.day import reconcile_day
from connector_assets.integrations.procore_jde.vendors import VENDORS_FLOW
from connector_assets.integrations.procore_jde.vouchers import VOUCHERS_FLOW
from connector_assets.jde.extract import jde_timezone
from connector_assets.saas import saas_daily_partitions
from connector_resources import settings

RECONCILIATION = f"{INTEGRATION}_reconciliation"
CRON_SETTING = "ML_PROCORE_JDE_RECONCILE_CRON"
# What JDE holds of each flow, as the write steps observed it: the reconciliation reads after all of them.
FLOW_TARGETS = tuple(
    target_asset_name(spec)
    for spec in (VENDORS_FLOW, PURCHASE_ORDERS_FLOW, VOUCHERS_FLOW, CHANGE_ORDERS_FLOW)
)
partitions = saas_daily_partitions()


procore_jde_reconciliation = build_reconciliation_asset(
    RECONCILIATION,
    group=INTEGRATION,
    systems=("jde", "procore"),
    partitions_def=partitions,
    deps=FLOW_TARGETS,
    compare=reconcile_day,
    description="The day's approved Procore requisitions against their JDE vouchers and purchase order lines "
    "by cost code and account, per project and billing period; commitments without a JDE purchase order; "
    "approved change orders not on their order; vendors on one side only.",
)


reconciliation_assets = [procore_jde_reconciliation]

procore_jde_reconcile_job = define_asset_job(
    f"{INTEGRATION}_reconcile",
    selection=AssetSelection.assets(RECONCILIATION),
    description="Compare a Procore day's approved requisitions, commitments, change orders and vendors with "
    "JDE's vouchers, purchase orders and suppliers.",
)
reconciliation_jobs = [procore_jde_reconcile_job]


def reconciliation_schedules() -> list[Any]:
    """Yesterday (UTC, the flows' days) closed at ``ML_PROCORE_JDE_RECONCILE_CRON`` in the JDE time zone."""
    return [
        build_day_close_schedule(
            f"{procore_jde_reconcile_job.name}_schedule",
            procore_jde_reconcile_job,
            cron=settings.value(CRON_SETTING),
            timezone=jde_timezone().key,
            partitions_def=partitions,
            description="Reconcile yesterday's Procore requisitions, commitments and vendors with JDE.",
        )
    ]
