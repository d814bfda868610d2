"""BILL payments -> JDE in Dagster: the flow's assets (the shared steps plus ``payments_inbox_done``, which
acknowledges the webhook deliveries a run consumed) and its replay; a webhook and the poll of one payment
write it once (``flows.documents``).
"""

from connector_assets.flows.assembly import Flow
from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.replays import Replay
from connector_assets.jde.tables import GL_ACCOUNTS
from connector_assets.jde.target_base import JDE_CHECKS
from connector_assets.jde.unprocessed_batches import unprocessed_checks
from connector_assets.saas.assets import saas_partitions

from .bill_side import PAYMENTS_SOURCE, own_payments_assets
from .integration import SETTINGS_RESOURCES
from .payments import PAYMENTS_FLOW, BillPayments

payment_assets = [
    *own_payments_assets,  # an instance reaching a BILL organization of its own: its staged payments
    *build_flow_assets(
        PAYMENTS_FLOW,
        inbox=PAYMENTS_SOURCE,
        partitions_def=saas_partitions,
        upstream=[GL_ACCOUNTS.asset],
        resource_keys={"jde", "bill"},
    ),
]


# A payment on a voucher batch waits for R04110ZA (``jde.unprocessed_batches``): released on the JDE the
# replay writes with.
FLOW = Flow(
    PAYMENTS_FLOW,
    payment_assets,
    replay=Replay(BillPayments.for_replay, SETTINGS_RESOURCES, outside=(*JDE_CHECKS, unprocessed_checks)),
    inbox=PAYMENTS_SOURCE,
)
