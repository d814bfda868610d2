"""When the JD Edwards <-> BILL flows run: vendors and bills poll JDE in the JDE time zone
(``jde_poll_jobs``); payments is a webhook flow started by BILL's webhooks (``inbox_sensor``), its UTC poll
schedule the fallback.
"""

from typing import Any

from connector_assets.bill.documents import PAYMENTS
from connector_assets.flows.documents import build_inbox_sensor
from connector_assets.flows.inbox_flows import inbox_flow_jobs
from connector_assets.flows.jobs import BuiltJobs
from connector_assets.jde.flow_jobs import jde_poll_jobs
from connector_assets.jde.schedules import REFRESHED_APART
from connector_assets.saas.assets import saas_partitions

from .bill_side import PAYMENTS_SOURCE
from .integration import INTEGRATION
from .payments import PAYMENTS_FLOW

JOBS = jde_poll_jobs("BILL")
# The polling fallback (the mapped step reads the day from BILL itself, ``bill.payments_read``): a few minutes
# after each BILL poll (bill_sources_poll, */15) when that runs too, in UTC days.
PAYMENT_JOBS = inbox_flow_jobs(
    lambda spec: "BILL payments of a day (poll + webhook inbox) -> JDE voucher payments / journals.",
    lambda spec: (
        "Apply today's polled BILL payments to JDE (missed webhooks included); after midnight, close "
        "yesterday once."
    ),
    # Staged by the mapped step's own read (and the BILL poll for the deployment's organization).
    scheduled_apart=(PAYMENTS.asset, PAYMENTS_SOURCE.asset, *REFRESHED_APART),
)


def inbox_sensor(payment_jobs: BuiltJobs) -> Any:
    """BILL's webhooks in the inbox -> runs of the payments job for the days the records changed on."""
    return build_inbox_sensor(
        f"{INTEGRATION}_inbox_sensor",
        payment_jobs.jobs[PAYMENTS_FLOW],
        (PAYMENTS_SOURCE,),
        partitions_def=saas_partitions,
        run_key_prefix="bill-inbox",
        description="BILL payment and bill webhooks stored in the inbox (source "
        f"{PAYMENTS_SOURCE.inbox_source}) -> runs of {INTEGRATION}_payments for the days the records "
        "changed on; other BILL event types are acknowledged, nothing to apply.",
    )
