"""What JD Edwards -> Coupa puts into Dagster and ``ml-connector replay`` for one instance
(``flows.assembly``): its three flows, their jobs and schedules (``jobs``), the mapping tables and the
reconciliation; each flow's replays are its own (``Flow.replay``).

No ``from __future__ import annotations``: Dagster reads the loader's return annotation as a class to know
the component's type without loading it.
"""

from connector_assets.flows.assembly import IntegrationParts
from connector_assets.flows.instance import Instance
from connector_assets.flows.mapping_tables import build_mapping_table_asset

from .invoices import invoices_flow
from .jobs import flow_jobs
from .manual_pairs import pairings
from .purchase_orders import OrderMapping, accounts_table, purchase_orders_flow
from .reconcile.assets import reconciliation
from .reconcile.sides import Own
from .suppliers import payment_terms_table, suppliers_flow


def build(it: Instance) -> IntegrationParts:
    """``it``'s flows, tables, jobs, schedules, pairings and reconciliation, named after it and reading its
    settings."""
    terms, accounts = payment_terms_table(it), accounts_table(it)
    terms_asset = build_mapping_table_asset(terms, group=it.instance)
    accounts_asset = build_mapping_table_asset(accounts, group=it.instance)
    suppliers = suppliers_flow(it, terms, terms_asset)
    mapping = OrderMapping(accounts, suppliers.spec)
    flows = (
        suppliers,
        purchase_orders_flow(it, accounts, accounts_asset, suppliers.spec),
        invoices_flow(it, accounts, mapping),
    )
    own = Own(suppliers.spec, flows[1].spec, flows[2].spec, terms, mapping)
    return IntegrationParts.of(
        it.instance,
        [flow_jobs(it).build(flows, [terms_asset, accounts_asset])],
        reconciliation=reconciliation(it, own).wiring(),
        pairings=pairings(it),
        mapping_tables=[terms, accounts],
    )
