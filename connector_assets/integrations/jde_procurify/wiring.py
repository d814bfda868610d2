"""What JD Edwards <-> Procurify puts into Dagster and ``ml-connector replay`` for one instance
(``flows.assembly``): its flows in the order records move (master data first), each with a job and a
day-closing schedule at its ``ML_<INSTANCE>_<FLOW>_CRON`` (``jobs``), the mapping tables, the
reconciliation and every flow's replay handlers.

No ``from __future__ import annotations``: Dagster reads the loader's return annotation as a class to know
the component's type without loading it.
"""

from connector_assets.flows.assembly import IntegrationParts, asset_keys
from connector_assets.flows.instance import Instance
from connector_assets.flows.mapping_tables import build_mapping_table_asset
from connector_assets.jde.assets import jde_assets
from connector_assets.saas.assets import saas_assets

from .account_codes import account_codes_flow
from .bills import bills_flow
from .jobs import JOBS
from .manual_pairs import pairings
from .own import own
from .paid_marks import paid_marks_flow
from .payments import payments_flow
from .po_links import po_links_flow
from .purchase_orders import purchase_orders_flow
from .reconcile.assets import reconciliation
from .suppliers import suppliers_flow
from .vendors import vendors_flow


def build(it: Instance) -> IntegrationParts:
    """``it``'s flows, tables, jobs, schedules, pairings and reconciliation, named after it and reading its
    settings. The flows in the order records move: master data first, then the orders and what follows
    them; each flow's job runs the staged sources and mapping tables its mapped step reads, then its own
    steps (``jobs``)."""
    mine = own(it)
    accounts_asset = build_mapping_table_asset(mine.accounts, group=it.instance)
    departments_asset = build_mapping_table_asset(mine.departments, group=it.instance)
    suppliers, vendors = suppliers_flow(mine), vendors_flow(mine)
    bills = bills_flow(mine, vendors.spec)
    flows = (
        account_codes_flow(mine),
        suppliers,
        vendors,
        purchase_orders_flow(mine, suppliers.spec, departments_asset),
        po_links_flow(mine),
        bills,
        payments_flow(mine, bills.spec),
        paid_marks_flow(mine),
    )
    return IntegrationParts.of(
        it.instance,
        [JOBS.build(flows, [accounts_asset, departments_asset])],
        reconciliation=reconciliation(mine, [flow.spec for flow in flows]).wiring(),
        pairings=pairings(it.instance),
        shared=asset_keys([*jde_assets, *saas_assets]),
        mapping_tables=[mine.accounts, mine.departments],
        package=__package__ or "",  # the code's, whichever instance: its ``sandbox`` part, its modules
    )
