"""The name that keys this integration everywhere (ledger rows, Dagster group, jobs, replay handlers) and
the route its flows take."""

from connector_assets.flows.targets import FlowRoute

INTEGRATION = "jde_bill"
ROUTE = FlowRoute(INTEGRATION, source_system="JDE", target_system="bill")
# BILL payments back into JDE (``payments``): the other direction.
PAYMENTS_ROUTE = FlowRoute(INTEGRATION, source_system="bill", target_system="JDE")
