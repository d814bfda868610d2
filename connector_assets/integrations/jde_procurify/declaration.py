"""What JD Edwards <-> Procurify puts into Dagster and ``ml-connector replay`` (``flows.assembly``): the
flows ``wiring.FLOWS`` lists, found in their modules, with a job and a day-closing schedule each, the
mapping tables, the reconciliation and every flow's replay handlers."""

from connector_assets.flows.assembly import Declaration, asset_keys
from connector_assets.flows.jobs import flow_sources
from connector_assets.flows.package_wiring import register_replays
from connector_assets.integrations.jde_procurify.integration import INTEGRATION
from connector_assets.integrations.jde_procurify.jobs import JOBS
from connector_assets.integrations.jde_procurify.wiring import landed_flows, mapping_tables, reconciliation
from connector_assets.jde.assets import jde_assets
from connector_assets.saas_assets import saas_assets

FLOWS = landed_flows()
TABLES, jde_procurify_mapping_tables = mapping_tables(FLOWS)
FLOW_ASSETS = {flow.spec: flow.assets for flow in FLOWS}
CRON_SETTINGS = {flow.spec: flow.cron_setting for flow in FLOWS}

# What a flow's job may run besides its own assets: the staged sources and mapping tables its mapped step
# reads (JDE tables, SaaS entities, F0116 as JDE -> BILL stages it ...), never another flow's steps (their
# order is the asset graph's; a record needing another flow's write is held until it lands) and never
# F0901, which keeps its own refresh schedule (see ``jobs``).
_SHARED = asset_keys([*jde_assets, *saas_assets])
_TABLE_KEYS = {a.key for a in jde_procurify_mapping_tables}
SOURCES = flow_sources(FLOW_ASSETS, INTEGRATION, also=_SHARED | _TABLE_KEYS)
jde_procurify_flow_jobs, jde_procurify_schedules = JOBS.build(FLOW_ASSETS, CRON_SETTINGS, SOURCES)
reconciliation_assets, reconciliation_jobs, reconciliation_schedules = reconciliation()


DECLARATION = Declaration(
    flows=FLOW_ASSETS,
    tables=jde_procurify_mapping_tables,
    assets=reconciliation_assets,
    jobs=[*jde_procurify_flow_jobs.values(), *reconciliation_jobs],
    schedules=[*jde_procurify_schedules, *reconciliation_schedules],
    replays=lambda: register_replays(FLOWS),
    shared=_SHARED,
)
