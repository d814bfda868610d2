"""When the Coupa -> JD Edwards flows run: both flows in one run when Coupa calls out (``inbox_sensor``),
and each on a poll of its own as the fallback (``flows.inbox_flows.inbox_flow_jobs``). Why this order and
what a job stages: docs/integrations/coupa_jde.md, "The flows".
"""

from typing import Any

from connector_assets.coupa.documents import INVOICES, PAYMENTS
from connector_assets.flows.assembly import Flow
from connector_assets.flows.documents import build_inbox_sensor
from connector_assets.flows.inbox_flows import inbox_flow_jobs
from connector_assets.flows.jobs import BuiltJobs, OneRun
from connector_assets.jde.schedules import REFRESHED_APART
from connector_assets.saas.assets import saas_partitions


def flow_jobs(instance: str, flows: tuple[Flow, ...], tables: list[Any]) -> BuiltJobs:
    """``instance``'s jobs of ``flows`` (mapping with ``tables``), their polls and ``<instance>_flows``."""
    return inbox_flow_jobs(
        lambda spec: f"Coupa {spec.name} of a day (poll + webhook inbox) -> JDE, then marked exported.",
        lambda spec: (
            f"Apply today's polled Coupa {spec.name} to JDE (missed call-outs included); "
            "after midnight, close yesterday once."
        ),
        # the Coupa side's poll stages the deployment's tenant's; an own tenant's are the flows' own assets
        scheduled_apart=(INVOICES.asset, PAYMENTS.asset, *REFRESHED_APART),
        together=OneRun(
            f"{instance}_flows",
            "Coupa invoices -> JDE batch vouchers and Coupa Pay payments -> JDE voucher payments for a "
            "day (the Coupa poll's staged partition plus the webhook inbox).",
        ),
    ).build(flows, tables)


def inbox_sensor(instance: str, flow_jobs: BuiltJobs) -> Any:
    """Coupa's call-outs in the inbox (its own tenant's: ``own``) -> runs of ``<instance>_flows``."""
    return build_inbox_sensor(
        f"{instance}_inbox_sensor",
        flow_jobs.together,
        tuple(flow.inbox for flow in flow_jobs.flows if flow.inbox is not None),
        partitions_def=saas_partitions,
        run_key_prefix="coupa-inbox",
        description="Coupa invoice/payment call-outs stored in the webhook inbox -> runs of "
        f"{instance}_flows for the days the records changed on.",
    )
