"""What JD Edwards <-> BILL puts into Dagster and ``ml-connector replay`` (``flows.assembly``): the
vendors and bills flows with their jobs and schedules, the payments flow and its inbox sensor (``jobs``),
and the reconciliation; each flow's replays are its own (``Flow.replays``)."""

from connector_assets.flows.assembly import Declaration
from connector_assets.integrations.jde_bill import bills, payments_flow, vendors
from connector_assets.integrations.jde_bill.jobs import JOBS, PAYMENT_JOBS, inbox_sensor
from connector_assets.integrations.jde_bill.reconcile import assets as reconcile

FROM_JDE = (vendors.FLOW, bills.FLOW)
FROM_BILL = (payments_flow.FLOW,)
FLOW_JOBS = JOBS.build(FROM_JDE)
PAYMENT_FLOW_JOBS = PAYMENT_JOBS.build(FROM_BILL)
payments_inbox_sensor = inbox_sensor(PAYMENT_FLOW_JOBS)


DECLARATION = Declaration.assembled(
    (*FROM_JDE, *FROM_BILL), [FLOW_JOBS, PAYMENT_FLOW_JOBS], reconcile.WIRING, sensors=[payments_inbox_sensor]
)
