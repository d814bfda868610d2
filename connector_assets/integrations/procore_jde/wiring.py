"""What Procore -> JD Edwards puts into Dagster and ``ml-connector replay`` (``flows.assembly``): the five
flows with a job and a day-closing schedule each, the mapping tables, the inbox sensor, the
reconciliation; each flow's replays are its own (``Flow.replay``).

An instance reaching a Procore company of its own (``procore_side``) stages that company's records itself,
and its inbox sensor reads the events of its own receiver endpoint (``/webhooks/<instance>_procore``), never
the deployment's companies' rows (which it would mark processed for the deployment's own sensor).
"""

from connector_assets.flows.assembly import IntegrationParts
from connector_assets.jde.supplier_addresses import supplier_addresses_unless_staged

from . import (
    change_orders,
    cost_codes,
    purchase_orders,
    suppliers,
    vendors,
    vouchers,
)
from .cost_codes import procore_jde_mapping_tables
from .jobs import JOBS, inbox_sensor
from .procore_side import own_procore_assets

FLOWS = (vendors.FLOW, suppliers.FLOW, purchase_orders.FLOW, vouchers.FLOW, change_orders.FLOW)

# F0116 for the suppliers flow: this package's copy only when the flows that send addresses do not stage it.
staged_tables = supplier_addresses_unless_staged()

# Each flow's job runs the staged sources and mapping tables its mapped step reads, then its own steps
# (``jobs``); an instance with a Procore company of its own stages its Procore records in its own group,
# named here so its jobs run them.
FLOW_JOBS = JOBS.build(FLOWS, [*procore_jde_mapping_tables, *staged_tables, *own_procore_assets])
procore_inbox_sensor = inbox_sensor(FLOW_JOBS)


def parts() -> IntegrationParts:
    """What the package puts into Dagster and ``ml-connector replay`` (its component type builds on it)."""
    return IntegrationParts.assembled(
        __package__,
        [FLOW_JOBS],
        sensors=[procore_inbox_sensor],
        mapping_tables=cost_codes.TABLES,
    )
