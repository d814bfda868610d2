"""The name that keys this integration everywhere (ledger rows, Dagster group, jobs, settings, replay
handlers) and the two routes its flows take (the package docstring names the flows).

The name is the package's own (``fusion_procurify``), or an instance's when the package is loaded again for
a second instance under another name (``connector_assets.components.instances``): so every module of the
package imports its siblings relatively and names what it keys from ``INTEGRATION``, never the text.
"""

import re
from functools import partial

from connector_assets.flows.apart_settings import ApartSetting
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


def prefixes_meet(one: str, other: str) -> bool:
    """Whether two order prefixes make one Fusion order number (``po_numbers.fusion_order_number``: ``PFY``
    + ``R60`` and ``PFYR`` + ``60``): one is the other followed by what may start a number's tail (digits,
    or ``R`` and a requisition's digits)."""
    short, long = sorted((one.upper(), other.upper()), key=len)
    return long.startswith(short) and re.fullmatch(r"\d*|R\d*(-\d*)?", long[len(short) :]) is not None


# What two instances must hold apart (``components.apartness``): the prefix of the Fusion order numbers made
# of Procurify PO and requisition numbers, which repeat across accounts; two prefixes also meet when one
# continues into the other's numbers.
APART_SETTINGS = (ApartSetting("order_prefix", meets=prefixes_meet),)


def setting(name: str) -> str:
    """The variable of this integration's setting ``name`` (``ML_FUSION_PROCURIFY_ORDER_PREFIX``, or the
    instance's ``ML_<INSTANCE>_ORDER_PREFIX``)."""
    return integration_variable(INTEGRATION, name)
