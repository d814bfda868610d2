"""What Procore -> JD Edwards puts into Dagster and ``ml-connector replay`` for one instance
(``flows.assembly``): the five flows with a job and a day-closing schedule each, the mapping tables, the
inbox sensor, the reconciliation; each flow's replays are its own (``Flow.replay``).

An instance reaching a Procore company of its own (``procore_side``) stages that company's records itself,
and its inbox sensor reads the events of its own receiver endpoint (``/webhooks/<instance>_procore``), never
the deployment's companies' rows (which it would mark processed for the deployment's own sensor).
"""

from connector_assets.flows.assembly import IntegrationParts
from connector_assets.flows.instance import Instance
from connector_assets.flows.mapping_tables import build_mapping_table_asset
from connector_assets.jde.supplier_addresses import supplier_addresses_unless_staged

from .change_orders import change_orders_flow
from .integration import Own
from .jobs import JOBS, inbox_sensor
from .manual_pairs import pairings
from .purchase_orders import purchase_orders_flow
from .reconcile.assets import reconciliation
from .suppliers import suppliers_flow
from .vendors import vendors_flow
from .vouchers import vouchers_flow


def build(it: Instance) -> IntegrationParts:
    """``it``'s flows, tables, jobs, schedules, inbox sensor, pairings and reconciliation, named after it
    and reading its settings."""
    own = Own.of(it)
    vendors = vendors_flow(own)
    orders = purchase_orders_flow(own, vendors.spec)
    vouchers = vouchers_flow(own, orders.spec, vendors.spec)
    change_orders = change_orders_flow(own, orders.spec, vendors.spec)
    flows = (vendors, suppliers_flow(own), orders, vouchers, change_orders)
    tables = [build_mapping_table_asset(table, group=it.instance) for table in own.costs.tables]
    # Each flow's job runs the staged sources and mapping tables its mapped step reads, then its own steps:
    # F0116 only when the flows that send addresses do not stage it; an own Procore company's records.
    built = JOBS.build(flows, [*tables, *supplier_addresses_unless_staged(), *own.procore.own_assets])
    return IntegrationParts.of(
        it.instance,
        [built],
        reconciliation=reconciliation(own, (vendors, orders, vouchers, change_orders)).wiring(),
        pairings=pairings(it),
        sensors=[inbox_sensor(own, built)],
        mapping_tables=own.costs.tables,
        package=__package__ or "",  # where ``make dev`` finds its ``sandbox`` part, whichever instance
    )
