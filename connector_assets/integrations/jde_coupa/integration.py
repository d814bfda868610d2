"""The name that keys this integration everywhere (ledger rows, Dagster group, jobs, replay handlers) and
the route its flows take."""

from connector_assets.flows.targets import FlowRoute
from connector_resources.setting_declarations import integration_variable

INTEGRATION = (__package__ or __name__).rpartition(".")[2]
ROUTE = FlowRoute(INTEGRATION, source_system="JDE", target_system="coupa")
# What an instance may reach through a connection of its own (``components.apartness``): another Coupa
# tenant, which its flows, mapping checks and reconciliation only call through the run's resource. JD
# Edwards is read from the tables the JDE side stages for every instance.
OWN_CONNECTIONS = ("coupa",)


def setting(name: str) -> str:
    """The variable of this integration's setting ``name`` (``ML_<INTEGRATION>_<NAME>``, an instance's
    under its own name)."""
    return integration_variable(INTEGRATION, name)
