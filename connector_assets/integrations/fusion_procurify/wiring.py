"""What Oracle Fusion <-> Procurify puts into Dagster and ``ml-connector replay`` (``flows.assembly``):
its flows in the order records move (master data first, then documents, then payment status), each with a
job and a day-closing schedule at its ``ML_FUSION_PROCURIFY_<FLOW>_CRON`` (``jobs``), the mapping tables
and master data they map with (Fusion's account combinations on a schedule of their own, the manual vendor
matches, loaded first by the job and the replay of every flow reading vendor pairs), the reconciliation
and every flow's replay handlers.
"""

from connector_assets.flows.assembly import IntegrationParts, asset_keys
from connector_assets.saas.assets import saas_assets

from . import (
    account_codes,
    invoices,
    payment_status,
    purchase_orders,
    suppliers,
    vendors,
)
from .account_map import ACCOUNTS, fusion_procurify_account_map
from .charge_accounts import (
    fusion_procurify_account_combinations,
)
from .departments import (
    DEPARTMENTS,
    fusion_procurify_department_map,
)
from .jobs import JOBS, build_combinations_job_and_schedule
from .manual_matches import manual_match_assets

# The flows, master data first, then the documents, then payment status (how records move): each
# ``FLOW`` as its module names it.
MASTER_DATA = (account_codes.FLOW, suppliers.FLOW, vendors.FLOW)
FLOWS = (*MASTER_DATA, purchase_orders.FLOW, invoices.FLOW, payment_status.FLOW)
# The mapping tables the flows map with (specs, and the asset staging each).
TABLES = [ACCOUNTS, DEPARTMENTS]
fusion_procurify_mapping_tables = [fusion_procurify_account_map, fusion_procurify_department_map]

# The mapping tables and master data the flows map with: a flow's job runs those its mapped step reads
# (the manual matches file is upstream of every flow reading vendor pairs, so their jobs load it first),
# never Fusion's account combinations, which keep their own refresh schedule (``jobs``).
TABLE_ASSETS = [*fusion_procurify_mapping_tables, fusion_procurify_account_combinations, *manual_match_assets]
FLOW_JOBS = JOBS.build(FLOWS, TABLE_ASSETS)
combinations_job, combinations_schedule = build_combinations_job_and_schedule(
    fusion_procurify_account_combinations
)


def parts() -> IntegrationParts:
    """What the package puts into Dagster and ``ml-connector replay`` (its component type builds on it)."""
    return IntegrationParts.assembled(
        __package__,
        [FLOW_JOBS],
        jobs=[combinations_job],
        schedules=[combinations_schedule],
        shared=asset_keys(saas_assets),
        mapping_tables=TABLES,
    )
