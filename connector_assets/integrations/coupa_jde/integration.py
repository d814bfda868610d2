"""The name that keys this integration everywhere (ledger rows, Dagster group, jobs, replay handlers) and
the route its flows take."""

from connector_assets.flows.apart_settings import ApartSetting
from connector_assets.flows.targets import FlowRoute
from connector_resources.setting_declarations import integration_variable

INTEGRATION = (__package__ or __name__).rpartition(".")[2]
ROUTE = FlowRoute(INTEGRATION, source_system="coupa", target_system="JDE")
# What an instance may reach through a connection of its own (``components.apartness``): another Coupa
# tenant, whose invoices and payments it stages and polls itself (``coupa_side``). JD Edwards is the
# deployment's.
OWN_CONNECTIONS = ("coupa",)
# What two instances must hold apart (``components.apartness``): the JD Edwards batch user their voucher
# batches are keyed under with the Coupa invoice id, which repeats across tenants.
APART_SETTINGS = (ApartSetting("batch_user"),)


def setting(name: str) -> str:
    """The variable of this integration's setting ``name`` (``ML_<INTEGRATION>_<NAME>``, an instance's
    under its own name)."""
    return integration_variable(INTEGRATION, name)
