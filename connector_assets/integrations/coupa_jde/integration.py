"""The name that keys this integration everywhere (ledger rows, Dagster group, jobs, replay handlers) and
the route its flows take."""

from connector_assets.flows.targets import FlowRoute
from connector_resources.setting_declarations import integration_variable

INTEGRATION = (__package__ or __name__).rpartition(".")[2]
ROUTE = FlowRoute(INTEGRATION, source_system="coupa", target_system="JDE")
# None of its own (``components.apartness``): its invoices and payments are Coupa's call-outs to the
# deployment's one receiver and the Coupa side's polled records, and JD Edwards is the deployment's.
OWN_CONNECTIONS: tuple[str, ...] = ()


def setting(name: str) -> str:
    """The variable of this integration's setting ``name`` (``ML_<INTEGRATION>_<NAME>``, an instance's
    under its own name)."""
    return integration_variable(INTEGRATION, name)
