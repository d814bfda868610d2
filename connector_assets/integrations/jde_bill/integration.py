"""The name that keys this integration everywhere (ledger rows, Dagster group, jobs, settings, replay
handlers), the route its flows take and what a replay of them works with. The name is the package's own
(``jde_bill``) or a further instance's (``connector_assets.components.instances``).
"""

from functools import partial

from connector_assets.flows.replay_resources import resources_from_settings
from connector_assets.flows.targets import FlowRoute
from connector_resources.setting_declarations import integration_variable

INTEGRATION = (__package__ or __name__).rpartition(".")[2]
ROUTE = FlowRoute(INTEGRATION, source_system="JDE", target_system="bill")
# BILL payments back into JDE (``payments``): the other direction.
PAYMENTS_ROUTE = FlowRoute(INTEGRATION, source_system="bill", target_system="JDE")
# What a replay of a JDE <-> BILL flow reads and writes with: today's settings (the instance's own
# connections first), built once per replay.
SETTINGS_RESOURCES = partial(resources_from_settings, ("jde", "bill", "staging"), instance=INTEGRATION)
# What an instance may reach through a connection of its own (``components.apartness``): another BILL
# organization (its classifications staged as its own, ``bill_side``). JD Edwards is read from the tables
# the JDE side stages for every instance.
OWN_CONNECTIONS = ("bill",)


def setting(name: str) -> str:
    """The variable of this integration's setting ``name`` (``ML_JDE_BILL_PAID_STATUSES``, or the
    instance's ``ML_<INSTANCE>_PAID_STATUSES``)."""
    return integration_variable(INTEGRATION, name)
