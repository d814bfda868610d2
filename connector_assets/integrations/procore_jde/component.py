"""What Procore -> JD Edwards puts into Dagster and ``ml-connector replay`` (``flows.assembly``): the five
flows with a job and a day-closing schedule each, the mapping tables, the inbox sensor, the
reconciliation; each flow's replays are its own (``Flow.replay``).

No ``from __future__ import annotations``: Dagster reads the loader's return annotation as a class.
"""

import dagster as dg

from connector_assets.flows.assembly import IntegrationComponent
from connector_assets.integrations.procore_jde import (
    change_orders,
    cost_codes,
    purchase_orders,
    suppliers,
    vendors,
    vouchers,
)
from connector_assets.integrations.procore_jde.cost_codes import procore_jde_mapping_tables
from connector_assets.integrations.procore_jde.jobs import JOBS, inbox_sensor
from connector_assets.jde.supplier_addresses import supplier_addresses_unless_staged

FLOWS = (vendors.FLOW, suppliers.FLOW, purchase_orders.FLOW, vouchers.FLOW, change_orders.FLOW)

# F0116 for the suppliers flow: this package's copy only when the flows that send addresses do not stage it.
staged_tables = supplier_addresses_unless_staged()

# Each flow's job runs the staged sources and mapping tables its mapped step reads, then its own steps
# (``jobs``).
FLOW_JOBS = JOBS.build(FLOWS, [*procore_jde_mapping_tables, *staged_tables])
procore_inbox_sensor = inbox_sensor(FLOW_JOBS)


@dg.component_instance
def procore_jde(context: dg.ComponentLoadContext) -> IntegrationComponent:
    return IntegrationComponent.assembled(
        __package__, [FLOW_JOBS], sensors=[procore_inbox_sensor], mapping_tables=cost_codes.TABLES
    )
