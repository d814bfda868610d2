"""What Procore -> JD Edwards puts into Dagster and ``ml-connector replay`` (``flows.assembly``): the five
flows with a job and a day-closing schedule each, the mapping tables, the inbox sensor, the
reconciliation and the replay handlers."""

from connector_assets.flows.assembly import Declaration, Flow
from connector_assets.integrations.procore_jde.change_orders import (
    CHANGE_ORDERS_FLOW,
    change_order_assets,
    register_order_replays,
)
from connector_assets.integrations.procore_jde.cost_codes import procore_jde_mapping_tables
from connector_assets.integrations.procore_jde.hooks import ENTITY_FLOWS, SENSOR_DESCRIPTION
from connector_assets.integrations.procore_jde.jobs import JOBS
from connector_assets.integrations.procore_jde.purchase_orders import (
    PURCHASE_ORDERS_FLOW,
    purchase_order_assets,
)
from connector_assets.integrations.procore_jde.reconcile.assets import (
    reconciliation_assets,
    reconciliation_jobs,
    reconciliation_schedules,
)
from connector_assets.integrations.procore_jde.suppliers import SUPPLIERS_FLOW, supplier_assets
from connector_assets.integrations.procore_jde.vendors import (
    VENDORS_FLOW,
    register_vendor_replays,
    vendor_assets,
)
from connector_assets.integrations.procore_jde.vouchers import (
    VOUCHERS_FLOW,
    register_voucher_replays,
    voucher_assets,
    vouchers_enabled,
)
from connector_assets.jde.assets import jde_assets
from connector_assets.jde.supplier_addresses import supplier_addresses_asset, supplier_addresses_unless_staged
from connector_assets.procore.inbox_sensor import build_procore_inbox_sensor
from connector_assets.saas_assets import saas_assets, saas_partitions

# Each flow's replays are registered by ``register_replay_handlers`` (below), a module's for two flows.
FLOWS = (
    Flow(VENDORS_FLOW, vendor_assets),
    Flow(SUPPLIERS_FLOW, supplier_assets),
    Flow(PURCHASE_ORDERS_FLOW, purchase_order_assets),
    Flow(VOUCHERS_FLOW, voucher_assets),
    Flow(CHANGE_ORDERS_FLOW, change_order_assets),
)

# F0116 for the suppliers flow: this package's copy only when the flows that send addresses do not stage it.
staged_tables = supplier_addresses_unless_staged()

# What a flow's job may run besides its own assets: the staged sources and mapping tables its mapped step
# reads.
SOURCES = [
    *(a.key for a in [*jde_assets, *saas_assets, *procore_jde_mapping_tables]),
    supplier_addresses_asset.key,
]
procore_jde_flow_jobs, procore_jde_schedules = JOBS.build(FLOWS, SOURCES)
# Procore's webhooks start the Procore-sourced flows early (the suppliers flow reads JDE, which sends none).
procore_inbox_sensor = build_procore_inbox_sensor(
    "procore_jde_inbox_sensor",
    {flow.name: procore_jde_flow_jobs[flow.spec] for flow in FLOWS if flow.spec is not SUPPLIERS_FLOW},
    saas_partitions,
    entity_flows=ENTITY_FLOWS,
    description=SENSOR_DESCRIPTION,
    enabled={VOUCHERS_FLOW.name: vouchers_enabled},
)


def register_replay_handlers() -> None:
    """``ml-connector replay`` for every Procore -> JDE flow: each queued record is read again from its source
    and written with today's settings and mapping tables."""
    register_vendor_replays()  # vendors (Procore -> JDE) and suppliers (JDE -> Procore)
    register_order_replays()  # purchase orders and change orders
    register_voucher_replays()


DECLARATION = Declaration(
    flows=FLOWS,
    tables=[*procore_jde_mapping_tables, *staged_tables],
    assets=reconciliation_assets,
    jobs=[*procore_jde_flow_jobs.values(), *reconciliation_jobs],
    schedules=[*procore_jde_schedules, *reconciliation_schedules()],
    sensors=[procore_inbox_sensor],
    replays=register_replay_handlers,
)
