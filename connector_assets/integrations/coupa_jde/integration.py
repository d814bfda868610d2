"""The name that keys this integration everywhere (ledger rows, Dagster group, jobs, replay handlers) and
the route its flows take."""

from connector_assets.flows.targets import FlowRoute

INTEGRATION = "coupa_jde"
ROUTE = FlowRoute(INTEGRATION, source_system="coupa", target_system="JDE")
