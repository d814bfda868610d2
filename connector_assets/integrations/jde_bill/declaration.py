"""What JD Edwards <-> BILL puts into Dagster and ``ml-connector replay`` (``flows.assembly``): the
vendors and bills flows with their jobs and schedules, the payments flow and its inbox sensor (``jobs``),
the reconciliation and the replay handlers."""

from connector_assets.bill.targets import BillVendors
from connector_assets.flows.assembly import Declaration
from connector_assets.flows.replay_resources import register_settings_replay
from connector_assets.integrations.jde_bill import bills, payments_flow, vendors
from connector_assets.integrations.jde_bill.integration import INTEGRATION, SETTINGS_RESOURCES
from connector_assets.integrations.jde_bill.jobs import JOBS, PAYMENT_JOBS, inbox_sensor
from connector_assets.integrations.jde_bill.reconcile import assets as reconcile
from connector_resources.replay import register_replay_handler

FROM_JDE = (vendors.FLOW, bills.FLOW)
FROM_BILL = (payments_flow.FLOW,)
FLOW_JOBS = JOBS.build(FROM_JDE)
PAYMENT_FLOW_JOBS = PAYMENT_JOBS.build(FROM_BILL)
payments_inbox_sensor = inbox_sensor(PAYMENT_FLOW_JOBS)


def register_replay_handlers() -> None:
    """``ml-connector replay`` re-reads queued suppliers from JDE and writes them to BILL with today's
    settings."""
    register_settings_replay(vendors.VENDORS_FLOW, BillVendors.for_replay, SETTINGS_RESOURCES)
    # Bills: re-read from JDE, mapped with today's tables, written once.
    register_replay_handler(INTEGRATION, bills.BILLS_FLOW.name, bills.bill_replay(SETTINGS_RESOURCES))
    # BILL payments: re-read from BILL, written to JDE with today's settings.
    payments_flow.register_payments_replay()


DECLARATION = Declaration(
    flows=(*FROM_JDE, *FROM_BILL),
    assets=reconcile.reconciliation_assets,
    jobs=[*FLOW_JOBS.every_job, *PAYMENT_FLOW_JOBS.every_job, *reconcile.reconciliation_jobs],
    schedules=[*FLOW_JOBS.schedules, *PAYMENT_FLOW_JOBS.schedules, *reconcile.reconciliation_schedules()],
    sensors=[payments_inbox_sensor],
    replays=register_replay_handlers,
)
