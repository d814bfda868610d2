"""What JD Edwards <-> BILL puts into Dagster and ``ml-connector replay`` (``flows.assembly``): the
vendors and bills flows with their jobs and schedules, the payments flow and its inbox sensor (``jobs``),
and the reconciliation; each flow's replays are its own (``Flow.replay``).

An instance reaching a BILL organization of its own (``bill_side``) reads its payments from that
organization: its own staged payments, and the events of its own receiver endpoint
(``/webhooks/<instance>_bill``), whose inbox its sensor reads.
"""

from connector_assets.flows.assembly import IntegrationParts

from . import bill_mappings, bills, payments_flow, vendors
from .jobs import JOBS, PAYMENT_JOBS, inbox_sensor

FROM_JDE = (vendors.FLOW, bills.FLOW)
FROM_BILL = (payments_flow.FLOW,)
FLOW_JOBS = JOBS.build(FROM_JDE)
PAYMENT_FLOW_JOBS = PAYMENT_JOBS.build(FROM_BILL)
payments_inbox_sensor = inbox_sensor(PAYMENT_FLOW_JOBS)


def parts() -> IntegrationParts:
    """What the package puts into Dagster and ``ml-connector replay`` (its component type builds on it)."""
    return IntegrationParts.assembled(
        __package__,
        [FLOW_JOBS, PAYMENT_FLOW_JOBS],
        sensors=[payments_inbox_sensor],
        mapping_tables=bill_mappings.TABLES,
    )
