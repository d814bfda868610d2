"""When the JD Edwards -> Coupa flows run: today's partition, from the JDE tables to the Coupa writes.

Each flow has a job of its own (its JDE source tables, its mapped, check and write steps) on a poll
schedule of its own, hourly by default like the JDE reads, staggered so an hour's suppliers are in Coupa
before that hour's orders and vouchers look for them (``ML_JDE_COUPA_<FLOW>_CRON``). ``jde_coupa_sync``
runs all three in one run, in dependency order, for backfills and by hand. Every job also stages the
mapping tables its flows map with (accounts, payment terms) first, in the same run: flows map only with
the staged snapshot, so a run on a fresh instance finds it, and the mapped asset names the snapshot it
used. The reconciliation has a job of its own (``jde_coupa_reconcile``), closing each JDE day on a daily
schedule (``ML_JDE_COUPA_RECONCILE_CRON``) after the flows' last hourly tick.
"""

from dagster import AssetKey, AssetSelection, define_asset_job

from connector_assets.flows.core import FlowSpec
from connector_assets.flows.jobs import FlowJob
from connector_assets.integrations.jde_coupa.invoices import INVOICES_FLOW
from connector_assets.integrations.jde_coupa.purchase_orders import ACCOUNT_MAP_ASSET, PURCHASE_ORDERS_FLOW
from connector_assets.integrations.jde_coupa.reconcile import NAME as RECONCILIATION
from connector_assets.integrations.jde_coupa.reconcile import (
    jde_coupa_reconcile_job,
    reconciliation_schedules,
)
from connector_assets.integrations.jde_coupa.suppliers import INTEGRATION, SUPPLIERS_FLOW, TERMS_MAP_ASSET
from connector_assets.jde.flow_jobs import jde_flow_jobs
from connector_assets.jde.tables import ADDRESS_BOOK, AP_LEDGER, PO_HEADERS, PO_LINES, SUPPLIERS

jde_coupa_job = define_asset_job(
    "jde_coupa_sync",
    selection=(AssetSelection.groups(INTEGRATION) - AssetSelection.assets(RECONCILIATION))
    | AssetSelection.assets(
        SUPPLIERS.asset, ADDRESS_BOOK.asset, PO_HEADERS.asset, PO_LINES.asset, AP_LEDGER.asset
    ),
    description="JDE suppliers, purchase orders and vouchers changed on a day -> Coupa, in one run.",
)


def _flow_job(spec: FlowSpec, reads: tuple[AssetKey, ...], cron_setting: str) -> FlowJob:
    """A flow's job: the JDE tables and the mapping table it reads, then its mapped and written steps."""
    return FlowJob((*reads, spec.key("mapped"), spec.key("written")), cron_setting)


FLOW_JOBS = {
    SUPPLIERS_FLOW: _flow_job(
        SUPPLIERS_FLOW, (SUPPLIERS.asset, ADDRESS_BOOK.asset, TERMS_MAP_ASSET), "ML_JDE_COUPA_SUPPLIERS_CRON"
    ),
    PURCHASE_ORDERS_FLOW: _flow_job(
        PURCHASE_ORDERS_FLOW,
        (PO_HEADERS.asset, PO_LINES.asset, ACCOUNT_MAP_ASSET),
        "ML_JDE_COUPA_PURCHASE_ORDERS_CRON",
    ),
    INVOICES_FLOW: _flow_job(
        INVOICES_FLOW, (AP_LEDGER.asset, ACCOUNT_MAP_ASSET), "ML_JDE_COUPA_INVOICES_CRON"
    ),
}
jde_coupa_flow_jobs, jde_coupa_flow_schedules = jde_flow_jobs(FLOW_JOBS, "Coupa")
jde_coupa_jobs = [jde_coupa_job, *jde_coupa_flow_jobs.values(), jde_coupa_reconcile_job]
jde_coupa_schedules = [*jde_coupa_flow_schedules, *reconciliation_schedules()]
