"""The reconciliation asset, its job and its schedule.

``jde_procurify_reconciliation`` (UTC day, like the Procurify-sourced flows) is downstream of every flow's
target asset, so lineage reads source -> mapped -> written -> target -> reconciliation, and of the staged
sources and master data it reads (so a run staging them reads after they are staged). Its ``in_balance``
check fails (as a warning: a difference is news for a person, never a reason to stop the flows) naming
each difference; the metadata holds the counts, the differences table and one table per comparison
(``per_order``, ``per_vendor_period``). The schedule closes the previous day at
``ML_JDE_PROCURIFY_RECONCILE_CRON`` (after the flows' own ticks), as the flows' schedules do; a cron
firing more often re-checks today on its later ticks.
"""

from typing import Any

from dagster import AssetSelection, define_asset_job

from connector_assets.flows.assets import target_asset_name
from connector_assets.flows.jobs import build_day_close_schedule
from connector_assets.flows.reconciliation import build_reconciliation_asset
from connector_assets.integrations.jde_procurify.account_codes import ACCOUNT_CODES_FLOW
from connector_assets.integrations.jde_procurify.account_map import ACCOUNTS
from connector_assets.integrations.jde_procurify.bills import BILLS_FLOW
from connector_assets.integrations.jde_procurify.integration import INTEGRATION
from connector_assets.integrations.jde_procurify.po_links import PO_LINKS_FLOW
from connector_assets.integrations.jde_procurify.purchase_orders import PURCHASE_ORDERS_FLOW
from connector_assets.integrations.jde_procurify.reconcile import reads
from connector_assets.integrations.jde_procurify.reconcile.day import reconcile_day
from connector_assets.integrations.jde_procurify.suppliers import SUPPLIERS_FLOW
from connector_assets.integrations.jde_procurify.vendors import VENDORS_FLOW
from connector_assets.jde.extract import jde_timezone
from connector_assets.jde.tables import ADDRESS_BOOK, GL_ACCOUNTS, PO_HEADERS, PO_LINES, SUPPLIERS
from connector_assets.saas import saas_daily_partitions
from connector_resources import settings

RECONCILIATION = f"{INTEGRATION}_reconciliation"
CRON_SETTING = "ML_JDE_PROCURIFY_RECONCILE_CRON"
# What each side holds of each flow, as the write steps observed it: the reconciliation reads after them.
FLOW_TARGETS = tuple(
    target_asset_name(spec)
    for spec in (
        ACCOUNT_CODES_FLOW,
        SUPPLIERS_FLOW,
        VENDORS_FLOW,
        PURCHASE_ORDERS_FLOW,
        PO_LINKS_FLOW,
        BILLS_FLOW,
    )
)
# What it reads staged for its day (the sources the flows' jobs stage) and the master data it compares.
STAGED = (
    PO_HEADERS.asset,
    PO_LINES.asset,
    SUPPLIERS.asset,
    ADDRESS_BOOK.asset,
    reads.STAGED_BILLS,
    reads.STAGED_POS,
    reads.STAGED_REQUISITIONS,
    reads.STAGED_VENDORS,
    GL_ACCOUNTS.asset,
    ACCOUNTS.asset,
)
partitions = saas_daily_partitions()


jde_procurify_reconciliation = build_reconciliation_asset(
    RECONCILIATION,
    group=INTEGRATION,
    systems=("jde", "procurify"),
    partitions_def=partitions,
    deps=(*STAGED, *FLOW_TARGETS),
    compare=reconcile_day,
    description="The day's JDE orders sent to Procurify (JDE AEXP total against the Procurify PO subtotal, "
    "or the requisition's while not purchased); Procurify's approved bill register against the JDE vouchers "
    "per vendor and period; suppliers / vendors and account codes on one side only.",
)


reconciliation_assets = [jde_procurify_reconciliation]

jde_procurify_reconcile_job = define_asset_job(
    f"{INTEGRATION}_reconcile",
    selection=AssetSelection.assets(RECONCILIATION),
    description="Compare a day's JDE orders, Procurify bills, suppliers / vendors and account codes between "
    "JD Edwards and Procurify.",
)
reconciliation_jobs = [jde_procurify_reconcile_job]


def reconciliation_schedules() -> list[Any]:
    """Yesterday (UTC, the flows' days) closed at ``ML_JDE_PROCURIFY_RECONCILE_CRON`` in the JDE time zone."""
    return [
        build_day_close_schedule(
            f"{jde_procurify_reconcile_job.name}_schedule",
            jde_procurify_reconcile_job,
            cron=settings.value(CRON_SETTING),
            timezone=jde_timezone().key,
            partitions_def=partitions,
            description="Reconcile yesterday's JDE orders, Procurify bills, vendors and account codes.",
        )
    ]
