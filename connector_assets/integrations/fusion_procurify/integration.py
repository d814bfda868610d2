"""The name that keys this integration everywhere (ledger rows, Dagster group, jobs, replay handlers) and
the two routes its flows take (the package docstring names the flows)."""

from functools import partial

from connector_assets.flows.replay_resources import resources_from_settings
from connector_assets.flows.targets import FlowRoute

INTEGRATION = "fusion_procurify"
ROUTE = FlowRoute(INTEGRATION, source_system="procurify", target_system="fusion")
BACK_ROUTE = FlowRoute(INTEGRATION, source_system="fusion", target_system="procurify")
# What a replay outside a run opens: both systems and the staging, from the settings.
SETTINGS_RESOURCES = partial(resources_from_settings, ("fusion", "procurify", "staging"))
