"""What JD Edwards <-> Procurify puts into Dagster and ``ml-connector replay`` (``flows.assembly``): its
flows in the order records move (master data first), each with a job and a day-closing schedule at its
``ML_JDE_PROCURIFY_<FLOW>_CRON`` (``jobs``), the mapping tables, the reconciliation and every flow's replay
handlers.
"""

from connector_assets.flows.assembly import IntegrationParts, asset_keys
from connector_assets.jde.assets import jde_assets
from connector_assets.saas.assets import saas_assets

from . import (
    account_codes,
    bills,
    paid_marks,
    payments,
    po_links,
    purchase_orders,
    suppliers,
    vendors,
)
from .account_map import ACCOUNTS, jde_procurify_account_map
from .departments import DEPARTMENTS, jde_procurify_department_map
from .jobs import JOBS

# Each flow as its module names it (its spec, its assets, its replays), in the order records move: master
# data first, then the orders and what follows them.
MASTER_DATA = (account_codes.FLOW, suppliers.FLOW, vendors.FLOW)
FLOWS = (*MASTER_DATA, purchase_orders.FLOW, po_links.FLOW, bills.FLOW, payments.FLOW, paid_marks.FLOW)
# The mapping tables the flows map with (specs, and the asset staging each).
TABLES = [ACCOUNTS, DEPARTMENTS]
jde_procurify_mapping_tables = [jde_procurify_account_map, jde_procurify_department_map]

# Each flow's job runs the staged sources and mapping tables its mapped step reads, then its own steps
# (``jobs``).
FLOW_JOBS = JOBS.build(FLOWS, jde_procurify_mapping_tables)


def parts() -> IntegrationParts:
    """What the package puts into Dagster and ``ml-connector replay`` (its component type builds on it)."""
    return IntegrationParts.assembled(
        __package__, [FLOW_JOBS], shared=asset_keys([*jde_assets, *saas_assets]), mapping_tables=TABLES
    )
