"""The name that keys this integration everywhere (ledger rows, Dagster group, jobs, replay handlers) and
the routes its flows take: Procore -> JDE (vendors, purchase orders, vouchers, change orders) and JDE ->
Procore (supplier changes back to the linked vendors), and the sync times of the vendor pairs both write."""

from connector_assets.flows.pair_sync import PairSync
from connector_assets.flows.targets import FlowRoute

INTEGRATION = "procore_jde"
ROUTE = FlowRoute(INTEGRATION, source_system="procore", target_system="JDE")
# JDE supplier changes (address, contact) back to the Procore vendors they are linked to.
SUPPLIERS_ROUTE = FlowRoute(INTEGRATION, source_system="JDE", target_system="procore")
# When a Procore vendor and its JDE supplier were last brought together (both flows write the pair).
VENDOR_PAIRS = PairSync(INTEGRATION)
