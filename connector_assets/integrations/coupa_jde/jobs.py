"""When the Coupa -> JD Edwards flows run: both flows in one run when Coupa calls out (``inbox_sensor``),
and each on a poll of its own as the fallback (``flows.inbox_flows.inbox_flow_jobs``). Why this order and
what a job stages: docs/integrations/coupa_jde.md, "The flows".
"""

from typing import Any

from connector_assets.coupa.documents import INVOICES, PAYMENTS
from connector_assets.flows.documents import build_inbox_sensor
from connector_assets.flows.inbox_flows import inbox_flow_jobs
from connector_assets.flows.jobs import BuiltJobs, OneRun
from connector_assets.jde.schedules import REFRESHED_APART
from connector_assets.saas.assets import saas_partitions

from .coupa_side import INVOICES_SOURCE, PAYMENTS_SOURCE
from .integration import INTEGRATION

JOBS = inbox_flow_jobs(
    lambda spec: f"Coupa {spec.name} of a day (poll + webhook inbox) -> JDE, then marked exported.",
    lambda spec: (
        f"Apply today's polled Coupa {spec.name} to JDE (missed call-outs included); "
        "after midnight, close yesterday once."
    ),
    # the Coupa side's poll stages the deployment's tenant's; an own tenant's are the flows' own assets
    scheduled_apart=(INVOICES.asset, PAYMENTS.asset, *REFRESHED_APART),
    together=OneRun(
        f"{INTEGRATION}_flows",
        "Coupa invoices -> JDE batch vouchers and Coupa Pay payments -> JDE voucher payments for a "
        "day (the Coupa poll's staged partition plus the webhook inbox).",
    ),
)


def inbox_sensor(flow_jobs: BuiltJobs) -> Any:
    """Coupa's call-outs in the inbox -> runs of ``coupa_jde_flows`` for the days the records changed on."""
    return build_inbox_sensor(
        f"{INTEGRATION}_inbox_sensor",
        flow_jobs.together,
        (INVOICES_SOURCE, PAYMENTS_SOURCE),
        partitions_def=saas_partitions,
        run_key_prefix="coupa-inbox",
        description="Coupa invoice/payment call-outs stored in the webhook inbox -> runs of "
        f"{INTEGRATION}_flows for the days the records changed on.",
    )
