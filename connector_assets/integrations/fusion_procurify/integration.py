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
# What an instance may reach through a connection of its own (``components.apartness``): another Procurify
# account (a second company's domain) into the one Fusion, its bills, POs, requisitions, account codes and
# departments staged as its own (``procurify_side``). Fusion is read from what the Fusion side stages for
# every instance.
OWN_CONNECTIONS = ("procurify",)


def setting(name: str) -> str:
    """The variable of this integration's setting ``name`` (``ML_FUSION_PROCURIFY_ORDER_PREFIX``, or the
    instance's ``ML_<INSTANCE>_ORDER_PREFIX``)."""
    return integration_variable(INTEGRATION, name)
