"""What Coupa -> JD Edwards is, whatever the instance, and the route an instance's flows take."""

from connector_assets.flows.apart_settings import ApartSetting
from connector_assets.flows.instance import Instance
from connector_assets.flows.targets import FlowRoute

# What an instance may reach through a connection of its own (``components.apartness``): another Coupa
# tenant, whose invoices and payments it stages and polls itself (``own``). JD Edwards is the deployment's.
OWN_CONNECTIONS = ("coupa",)
# What two instances must hold apart (``components.apartness``): the JD Edwards batch user their voucher
# batches are keyed under with the Coupa invoice id, which repeats across tenants.
APART_SETTINGS = (ApartSetting("batch_user"),)


def route(it: Instance) -> FlowRoute:
    """The route of ``it``'s flows, under the name that keys its ledger rows, group, jobs and replays."""
    return FlowRoute(it.instance, source_system="coupa", target_system="JDE")
