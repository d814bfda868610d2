"""The name that keys this integration everywhere (ledger rows, Dagster group, jobs, settings, replay
handlers) and the two routes its flows take (the package docstring names the flows).

The name is the package's own (``fusion_procurify``), or an instance's when the package is loaded again for
a second instance under another name (``connector_assets.components.instances``): so every module of the
package imports its siblings relatively and names what it keys from ``INTEGRATION``, never the text.
"""

from functools import partial

from connector_assets.flows.replay_resources import resources_from_settings
from connector_assets.flows.targets import FlowRoute
from connector_resources.setting_declarations import integration_variable

INTEGRATION = (__package__ or __name__).rpartition(".")[2]
ROUTE = FlowRoute(INTEGRATION, source_system="procurify", target_system="fusion")
BACK_ROUTE = FlowRoute(INTEGRATION, source_system="fusion", target_system="procurify")
# What a replay outside a run opens: both systems and the staging, from today's settings (the instance's
# own connections first).
SETTINGS_RESOURCES = partial(
    resources_from_settings, ("fusion", "procurify", "staging"), instance=INTEGRATION
)
# The systems an instance may reach through connections of its own: none. An instance of this package
# reaches every system through the deployment's connections (its flows read Fusion's and Procurify's
# staged records on the system sides), so it has no connections of its own.
OWN_CONNECTIONS: tuple[str, ...] = ()


def setting(name: str) -> str:
    """The variable of this integration's setting ``name`` (``ML_FUSION_PROCURIFY_ORDER_PREFIX``, or the
    instance's ``ML_<INSTANCE>_ORDER_PREFIX``)."""
    return integration_variable(INTEGRATION, name)
