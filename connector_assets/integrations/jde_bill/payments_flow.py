"""BILL payments -> JDE in Dagster: the flow's assets, its job and poll schedule, the inbox sensor that turns
BILL's webhooks into runs, and the ``ml-connector replay`` handler.

The flow is the shared factory's steps (``jde_bill/payments_mapped`` with its check, ``_written``) and
``jde_bill/payments_inbox_done`` (acknowledges the webhook deliveries the run consumed, after the write).
It reads the day's staged ``bill_payments`` poll and the ``bill`` inbox together
(``connector_assets.flows.documents``), so a webhook and the poll of the same payment write it once; the
day's payments are read from BILL by the mapped step itself when the ``bill_sources`` poll did not
(``bill.payments_read``), so the schedule below is a polling fallback on its own.
"""

from collections.abc import Callable
from typing import Any

from connector_assets.bill.documents import PAYMENTS
from connector_assets.flows.assets import executable_keys
from connector_assets.flows.documents import build_inbox_sensor
from connector_assets.flows.inbox_flows import inbox_flow_assets, inbox_flow_jobs
from connector_assets.flows.jobs import FlowJob
from connector_assets.integrations.jde_bill.integration import SETTINGS_RESOURCES
from connector_assets.integrations.jde_bill.payments import PAYMENTS_FLOW, BillPayments
from connector_assets.jde.tables import GL_ACCOUNTS
from connector_assets.jde.targets import register_jde_target_replays
from connector_assets.jde.unprocessed_batches import register_unprocessed_check
from connector_assets.saas_assets import saas_partitions

payment_assets = inbox_flow_assets(
    PAYMENTS_FLOW,
    PAYMENTS,
    partitions_def=saas_partitions,
    upstream=[GL_ACCOUNTS.asset],
    resource_keys={"jde", "bill"},
)
PAYMENT_JOBS = {PAYMENTS_FLOW: FlowJob(executable_keys(payment_assets), "ML_JDE_BILL_PAYMENTS_CRON")}
# The polling fallback (the mapped step reads the day from BILL itself, ``bill.payments_read``): a few minutes
# after each BILL poll (bill_sources_poll, */15) when that runs too, in UTC days.
payment_jobs, payment_schedules = inbox_flow_jobs(
    PAYMENT_JOBS,
    lambda spec: "BILL payments of a day (poll + webhook inbox) -> JDE voucher payments / journals.",
    lambda spec: (
        "Apply today's polled BILL payments to JDE (missed webhooks included); after midnight, close "
        "yesterday once."
    ),
)
payments_job = payment_jobs[PAYMENTS_FLOW]

payments_inbox_sensor = build_inbox_sensor(
    "jde_bill_inbox_sensor",
    payments_job,
    (PAYMENTS,),
    partitions_def=saas_partitions,
    run_key_prefix="bill-inbox",
    description="BILL payment and bill webhooks stored in the inbox (source bill) -> runs of "
    "jde_bill_payments for the days the records changed on; other BILL event types are acknowledged, "
    "nothing to apply.",
)


def register_payments_replay(resources: Callable[[], dict[str, Any]] | None = None) -> None:
    """``ml-connector replay`` for queued payments: each is read from BILL again (its current version) and
    mapped with today's settings, ledger and F0901 cache, then written through the same target; a payment
    JDE already holds is skipped. ``resources`` (JDE, BILL, staging) default to today's settings."""
    build = resources or SETTINGS_RESOURCES
    register_jde_target_replays({PAYMENTS_FLOW: BillPayments}, build)
    # A payment on a voucher batch waits for R04110ZA (``jde.unprocessed_batches``): released on this JDE.
    register_unprocessed_check(lambda: build()["jde"])
