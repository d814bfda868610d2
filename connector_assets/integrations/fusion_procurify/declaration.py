"""What Oracle Fusion <-> Procurify puts into Dagster and ``ml-connector replay`` (``flows.assembly``):
its flows in the order records move (master data first, then documents, then payment status), each with a
job and a day-closing schedule at its ``ML_FUSION_PROCURIFY_<FLOW>_CRON`` (``jobs``), the mapping tables
and master data they map with (Fusion's account combinations on a schedule of their own, the manual vendor
matches, loaded first by the job and the replay of every flow reading vendor pairs), the reconciliation
and every flow's replay handlers."""

from connector_assets.flows.assembly import Declaration, Flow, asset_keys, register_flow_replays
from connector_assets.flows.jobs import flow_sources
from connector_assets.integrations.fusion_procurify.account_codes import (
    ACCOUNT_CODES_FLOW,
    account_code_assets,
    register_account_codes_replays,
)
from connector_assets.integrations.fusion_procurify.account_map import (
    ACCOUNTS,
    fusion_procurify_account_map,
)
from connector_assets.integrations.fusion_procurify.charge_accounts import (
    fusion_procurify_account_combinations,
)
from connector_assets.integrations.fusion_procurify.departments import (
    DEPARTMENTS,
    fusion_procurify_department_map,
)
from connector_assets.integrations.fusion_procurify.integration import INTEGRATION
from connector_assets.integrations.fusion_procurify.invoices import (
    INVOICES_FLOW,
    invoice_assets,
    register_invoice_replays,
)
from connector_assets.integrations.fusion_procurify.jobs import JOBS, build_combinations_job_and_schedule
from connector_assets.integrations.fusion_procurify.manual_matches import (
    load_matches_before_replays,
    manual_match_assets,
)
from connector_assets.integrations.fusion_procurify.payment_status import (
    PAYMENT_STATUS_FLOW,
    payment_status_assets,
    register_payment_status_replays,
)
from connector_assets.integrations.fusion_procurify.purchase_orders import (
    PURCHASE_ORDERS_FLOW,
    purchase_orders_assets,
    register_purchase_order_replays,
)
from connector_assets.integrations.fusion_procurify.reconcile.assets import (
    reconciliation_assets,
    reconciliation_jobs,
    reconciliation_schedules,
)
from connector_assets.integrations.fusion_procurify.suppliers import (
    SUPPLIERS_FLOW,
    register_supplier_replays,
    supplier_assets,
)
from connector_assets.integrations.fusion_procurify.vendors import (
    VENDORS_FLOW,
    register_vendor_replays,
    vendor_assets,
)
from connector_assets.saas_assets import saas_assets

FLOWS = (
    Flow(ACCOUNT_CODES_FLOW, account_code_assets, (register_account_codes_replays,)),
    Flow(SUPPLIERS_FLOW, supplier_assets, (register_supplier_replays,)),
    Flow(VENDORS_FLOW, vendor_assets, (register_vendor_replays,)),
    Flow(PURCHASE_ORDERS_FLOW, purchase_orders_assets, (register_purchase_order_replays,)),
    Flow(INVOICES_FLOW, invoice_assets, (register_invoice_replays,)),
    Flow(PAYMENT_STATUS_FLOW, payment_status_assets, (register_payment_status_replays,)),
)
# The mapping tables the flows map with (specs, and the asset staging each).
TABLES = [ACCOUNTS, DEPARTMENTS]
fusion_procurify_mapping_tables = [fusion_procurify_account_map, fusion_procurify_department_map]

# What a flow's job may run besides its own assets: the staged sources, mapping tables and manual vendor
# matches its mapped step reads (the matches file is upstream of every flow reading vendor pairs, so
# their jobs load it first), never another flow's steps (their order is the asset graph's; a record
# needing another flow's write is held until it lands) and never Fusion's account combinations, which
# keep their own refresh schedule (see ``jobs``).
_SHARED = asset_keys(saas_assets)
_READABLE = asset_keys([*fusion_procurify_mapping_tables, *manual_match_assets])
SOURCES = flow_sources(FLOWS, INTEGRATION, also=_SHARED | _READABLE)
fusion_procurify_flow_jobs, fusion_procurify_schedules = JOBS.build(FLOWS, SOURCES)
combinations_job, combinations_schedule = build_combinations_job_and_schedule(
    fusion_procurify_account_combinations
)


def register_replay_handlers() -> list[str]:
    """Every flow's replay handlers, those reading vendor pairs loading the manual matches file first (as
    their jobs do: the asset is upstream of their mapped steps); the flows that registered none."""
    without = register_flow_replays(FLOWS)
    load_matches_before_replays()
    return without


DECLARATION = Declaration(
    flows=FLOWS,
    tables=[*fusion_procurify_mapping_tables, fusion_procurify_account_combinations, *manual_match_assets],
    assets=reconciliation_assets,
    jobs=[*fusion_procurify_flow_jobs.values(), combinations_job, *reconciliation_jobs],
    schedules=[*fusion_procurify_schedules, combinations_schedule, *reconciliation_schedules()],
    replays=register_replay_handlers,
    shared=_SHARED,
)
