"""When the JD Edwards -> Coupa flows run: today's partition, from the JDE tables to the Coupa writes.

Each flow has a job of its own (its JDE source tables, its mapped, check and write steps) on a poll
schedule of its own, hourly by default like the JDE reads, staggered so an hour's suppliers are in Coupa
before that hour's orders and vouchers look for them (``ML_JDE_COUPA_<FLOW>_CRON``). ``jde_coupa_sync``
runs all three in one run, in dependency order, for backfills and by hand. Every job also stages the
mapping tables its flows map with (accounts, payment terms) first, in the same run: flows map only with
the staged snapshot, so a run on a fresh instance finds it, and the mapped asset names the snapshot it
used. The reconciliation runs when an operator (or a daily schedule of its own) asks for it.
"""

from dagster import AssetSelection, define_asset_job

from connector_assets.flows.core import FlowSpec
from connector_assets.flows.jde_coupa import INTEGRATION, SUPPLIERS_FLOW, TERMS_MAP_ASSET
from connector_assets.flows.jde_coupa_invoices import INVOICES_FLOW
from connector_assets.flows.jde_coupa_pos import ACCOUNT_MAP_ASSET, PURCHASE_ORDERS_FLOW
from connector_assets.flows.jde_coupa_reconcile import NAME as RECONCILIATION
from connector_assets.jde.extract import jde_timezone
from connector_assets.jde.tables import ADDRESS_BOOK, AP_LEDGER, PO_HEADERS, PO_LINES, SUPPLIERS
from connector_assets.polling import build_poll_schedule
from connector_resources import settings

jde_coupa_job = define_asset_job(
    "jde_coupa_sync",
    selection=(AssetSelection.groups(INTEGRATION) - AssetSelection.assets(RECONCILIATION))
    | AssetSelection.assets(
        SUPPLIERS.asset, ADDRESS_BOOK.asset, PO_HEADERS.asset, PO_LINES.asset, AP_LEDGER.asset
    ),
    description="JDE suppliers, purchase orders and vouchers changed on a day -> Coupa, in one run.",
)

# flow -> (the JDE tables and the mapping table it reads, cadence setting)
FLOW_SCHEDULES: dict[FlowSpec, tuple[tuple[str, ...], str]] = {
    SUPPLIERS_FLOW: ((SUPPLIERS.asset, ADDRESS_BOOK.asset, TERMS_MAP_ASSET), "ML_JDE_COUPA_SUPPLIERS_CRON"),
    PURCHASE_ORDERS_FLOW: (
        (PO_HEADERS.asset, PO_LINES.asset, ACCOUNT_MAP_ASSET),
        "ML_JDE_COUPA_PURCHASE_ORDERS_CRON",
    ),
    INVOICES_FLOW: ((AP_LEDGER.asset, ACCOUNT_MAP_ASSET), "ML_JDE_COUPA_INVOICES_CRON"),
}

jde_coupa_flow_jobs = {
    spec: define_asset_job(
        spec.flow,
        selection=AssetSelection.assets(*tables, f"{spec.flow}_mapped", f"{spec.flow}_written"),
        description=f"JDE {spec.name} changed on a day -> Coupa.",
    )
    for spec, (tables, _) in FLOW_SCHEDULES.items()
}
jde_coupa_jobs = [jde_coupa_job, *jde_coupa_flow_jobs.values()]

jde_coupa_schedules = [
    build_poll_schedule(
        f"{spec.flow}_schedule",
        jde_coupa_flow_jobs[spec],
        cron=settings.value(variable),
        timezone=jde_timezone().key,
        description=f"Sync today's JDE {spec.name} changes to Coupa.",
    )
    for spec, (_, variable) in FLOW_SCHEDULES.items()
]
