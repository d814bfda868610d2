"""What Oracle Fusion <-> Procurify puts into Dagster and ``ml-connector replay`` for one instance
(``flows.assembly``): its flows in the order records move (master data first, then documents, then payment
status), each with a job and a day-closing schedule at its ``<flow>_cron`` (``jobs``), the mapping tables
and master data they map with (Fusion's account combinations on a schedule of their own, the manual vendor
matches, loaded first by the job and the replay of every flow reading vendor pairs), the reconciliation
and every flow's replay handlers.

No ``from __future__ import annotations``: Dagster reads the loader's return annotation as a class to know
the component's type without loading it.
"""

from connector_assets.flows.assembly import IntegrationParts, asset_keys
from connector_assets.flows.instance import Instance
from connector_assets.flows.mapping_tables import build_mapping_table_asset
from connector_assets.saas.assets import saas_assets

from .account_codes import account_codes_flow
from .invoices import invoices_flow
from .jobs import combinations_job_and_schedule, flow_jobs
from .own import Own
from .payment_status import payment_status_flow
from .purchase_orders import purchase_orders_flow
from .reconcile.assets import reconciliation
from .suppliers import suppliers_flow
from .vendors import vendors_flow


def build(it: Instance) -> IntegrationParts:
    """``it``'s flows, tables, jobs, schedules, pairings and reconciliation, named after it and reading its
    settings."""
    own = Own.of(it)
    tables = [own.charges.accounts, own.charges.departments]
    combinations = own.charges.combinations_asset()
    vendors = vendors_flow(own)
    orders = purchase_orders_flow(own, vendors.spec)
    # Master data first, then the documents, then payment status (how records move).
    flows = (
        account_codes_flow(own),
        suppliers_flow(own),
        vendors,
        orders,
        invoices_flow(own, vendors.spec, orders.spec),
        payment_status_flow(own),
    )
    # A flow's job runs the tables and master data its mapped step reads (the manual matches file first in
    # every flow reading pairs), never Fusion's account combinations, refreshed on their own (``jobs``).
    table_assets = [*(build_mapping_table_asset(t, group=it.instance) for t in tables), combinations]
    job, schedule = combinations_job_and_schedule(it, combinations)
    return IntegrationParts.of(
        it.instance,
        [flow_jobs(own.charges.combinations).build(flows, [*table_assets, *own.matches.assets])],
        reconciliation=reconciliation(own, [flow.spec for flow in flows]).wiring(),
        pairings=[own.matches.matches.pairing],
        jobs=[job],
        schedules=[schedule],
        shared=asset_keys(saas_assets),
        mapping_tables=tables,
        package=__name__.rpartition(".")[0],  # the package's, whichever instance (``make dev``'s sandbox)
    )
