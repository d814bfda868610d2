"""What Oracle Fusion <-> Procurify puts into Dagster and ``ml-connector replay`` (``flows.assembly``):
the flows ``wiring.FLOWS`` lists, found in their modules, with a job and a day-closing schedule each, the
mapping tables and master data they map with (Fusion's account combinations on a schedule of their own,
the manual vendor matches, loaded first by the job and the replay of every flow reading vendor pairs), the
reconciliation and every flow's replay handlers."""

from connector_assets.flows.assembly import Declaration, asset_keys
from connector_assets.flows.jobs import flow_sources
from connector_assets.flows.package_wiring import register_replays
from connector_assets.integrations.fusion_procurify import jobs, wiring
from connector_assets.integrations.fusion_procurify.integration import INTEGRATION
from connector_assets.integrations.fusion_procurify.manual_matches import load_matches_before_replays
from connector_assets.saas_assets import saas_assets

FLOWS = wiring.landed_flows()
TABLES, fusion_procurify_mapping_tables = wiring.mapping_tables(FLOWS)
combinations = wiring.combinations_asset()
manual_matches = wiring.manual_match_assets()
FLOW_ASSETS = {flow.spec: flow.assets for flow in FLOWS}
CRON_SETTINGS = {flow.spec: flow.cron_setting for flow in FLOWS}

# What a flow's job may run besides its own assets: the staged sources, mapping tables and manual vendor
# matches its mapped step reads (the matches file is upstream of every flow reading vendor pairs, so
# their jobs load it first), never another flow's steps (their order is the asset graph's; a record
# needing another flow's write is held until it lands) and never Fusion's account combinations, which
# keep their own refresh schedule (see ``jobs``).
_SHARED = asset_keys(saas_assets)
_READABLE = asset_keys([*fusion_procurify_mapping_tables, *manual_matches])
SOURCES = flow_sources(FLOW_ASSETS, INTEGRATION, also=_SHARED | _READABLE)
fusion_procurify_flow_jobs, fusion_procurify_schedules = jobs.JOBS.build(FLOW_ASSETS, CRON_SETTINGS, SOURCES)
combinations_job, combinations_schedule = jobs.build_combinations_job_and_schedule(combinations)
reconciliation_assets, reconciliation_jobs, reconciliation_schedules = wiring.reconciliation()


def _register_replays() -> list[str]:
    """Every flow's replay handlers, those reading vendor pairs loading the manual matches file first (as
    their jobs do: the asset is upstream of their mapped steps)."""
    without = register_replays(FLOWS)
    load_matches_before_replays()
    return without


DECLARATION = Declaration(
    flows=FLOW_ASSETS,
    tables=[*fusion_procurify_mapping_tables, combinations, *manual_matches],
    assets=reconciliation_assets,
    jobs=[*fusion_procurify_flow_jobs.values(), combinations_job, *reconciliation_jobs],
    schedules=[*fusion_procurify_schedules, combinations_schedule, *reconciliation_schedules],
    replays=_register_replays,
    shared=_SHARED,
)
