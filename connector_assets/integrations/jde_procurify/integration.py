"""The name that keys this integration everywhere (ledger rows, Dagster group, jobs, replay handlers) and
the routes its flows take: JDE -> Procurify (suppliers, account codes, purchase orders as requisitions,
bills marked paid), Procurify -> JDE (vendors created in Procurify, bills, payments) and Procurify ->
Procurify (a purchased requisition's PO linked to its JDE order and given its number)."""

from connector_assets.flows.targets import FlowRoute

INTEGRATION = "jde_procurify"
ROUTE = FlowRoute(INTEGRATION, source_system="JDE", target_system="procurify")
BACK_ROUTE = FlowRoute(INTEGRATION, source_system="procurify", target_system="JDE")
PO_ROUTE = FlowRoute(INTEGRATION, source_system="procurify", target_system="procurify")
