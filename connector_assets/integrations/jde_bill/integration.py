"""The name that keys this integration everywhere (ledger rows, Dagster group, jobs, replay handlers), the
route its flows take and what a replay of them works with."""

from functools import partial

from connector_assets.flows.replay_resources import resources_from_settings
from connector_assets.flows.targets import FlowRoute

INTEGRATION = "jde_bill"
ROUTE = FlowRoute(INTEGRATION, source_system="JDE", target_system="bill")
# BILL payments back into JDE (``payments``): the other direction.
PAYMENTS_ROUTE = FlowRoute(INTEGRATION, source_system="bill", target_system="JDE")
# What a replay of a JDE <-> BILL flow reads and writes with: today's settings, built once per replay.
SETTINGS_RESOURCES = partial(resources_from_settings, ("jde", "bill", "staging"))
