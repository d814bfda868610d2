"""What JD Edwards <-> BILL puts into Dagster and ``ml-connector replay`` (``flows.assembly``): the
vendors and bills flows with their jobs and schedules, the payments flow and its inbox sensor, the
reconciliation and the replay handlers."""

from connector_assets.bill.classifications import CHART_OF_ACCOUNTS_ASSET, DEPARTMENTS_ASSET
from connector_assets.bill.targets import BillVendors
from connector_assets.flows.assembly import Declaration, Flow
from connector_assets.flows.assets import executable_keys
from connector_assets.flows.jobs import FlowJob
from connector_assets.flows.replay_resources import register_settings_replay
from connector_assets.integrations.jde_bill.bills import BILLS_FLOW, bill_assets, bill_replay
from connector_assets.integrations.jde_bill.integration import INTEGRATION, SETTINGS_RESOURCES
from connector_assets.integrations.jde_bill.payments import PAYMENTS_FLOW
from connector_assets.integrations.jde_bill.payments_flow import (
    payment_assets,
    payment_jobs,
    payment_schedules,
    payments_inbox_sensor,
    register_payments_replay,
)
from connector_assets.integrations.jde_bill.reconcile.assets import (
    reconciliation_assets,
    reconciliation_jobs,
    reconciliation_schedules,
)
from connector_assets.integrations.jde_bill.vendors import VENDORS_FLOW, vendor_assets
from connector_assets.jde.flow_jobs import jde_flow_jobs
from connector_assets.jde.tables import ADDRESS_BOOK, AP_LEDGER, PO_HEADERS, PO_LINES, SUPPLIERS
from connector_resources.replay import register_replay_handler

FLOW_JOBS = {
    VENDORS_FLOW: FlowJob(
        (SUPPLIERS.asset, ADDRESS_BOOK.asset, *executable_keys(vendor_assets)), "ML_JDE_BILL_VENDORS_CRON"
    ),
    # Bills: the changed orders and vouchers, BILL's chart of accounts and departments (what every line is
    # checked against), the mapping tables, then the mapped and written steps.
    BILLS_FLOW: FlowJob(
        (
            PO_HEADERS.asset,
            PO_LINES.asset,
            AP_LEDGER.asset,
            CHART_OF_ACCOUNTS_ASSET,
            DEPARTMENTS_ASSET,
            *executable_keys(bill_assets),
        ),
        "ML_JDE_BILL_BILLS_CRON",
    ),
}
jde_bill_flow_jobs, jde_bill_schedules = jde_flow_jobs(FLOW_JOBS, "BILL")


def register_replay_handlers() -> None:
    """``ml-connector replay`` re-reads queued suppliers from JDE and writes them to BILL with today's
    settings."""
    register_settings_replay(VENDORS_FLOW, BillVendors.for_replay, SETTINGS_RESOURCES)
    # Bills: re-read from JDE, mapped with today's tables, written once.
    register_replay_handler(INTEGRATION, BILLS_FLOW.name, bill_replay(SETTINGS_RESOURCES))
    register_payments_replay()  # BILL payments: re-read from BILL, written to JDE with today's settings


DECLARATION = Declaration(
    flows=(
        Flow(VENDORS_FLOW, vendor_assets),
        Flow(BILLS_FLOW, bill_assets),
        Flow(PAYMENTS_FLOW, payment_assets),
    ),
    assets=reconciliation_assets,
    jobs=[*jde_bill_flow_jobs.values(), *payment_jobs.values(), *reconciliation_jobs],
    schedules=[*jde_bill_schedules, *payment_schedules, *reconciliation_schedules()],
    sensors=[payments_inbox_sensor],
    replays=register_replay_handlers,
)
