"""Where this instance reads the Procore records its flows and reconciliation start from: the deployment's
Procore side (``procore/requisitions``, ``procore/commitments``, ``procore/vendors``,
``procore/commitment_change_orders``, with Procore's webhooks) when it reaches the deployment's Procore
companies, or copies of its own (``<instance>/procore_requisitions`` ..., ``saas.own_side``) when its
``connections`` name another Procore company or app.

Why copies: the deployment's staged entities hold the deployment's companies' records; an instance that
mapped them would write another company's commitments into JDE as its own. Such an instance takes its
company's webhooks at an endpoint of its own (``/webhooks/<instance>_procore``, verified with its
connection's ``webhook_token``), whose inbox its sensor reads (``jobs``); its daily schedules stay the
source of truth.
"""

from connector_assets.asset_keys import asset_key
from connector_assets.saas.own_side import InstanceSide

from .integration import INTEGRATION

PROCORE = InstanceSide(INTEGRATION, "procore")

_REQUISITIONS = asset_key("procore", "requisitions")
_COMMITMENTS = asset_key("procore", "commitments")
_VENDORS = asset_key("procore", "vendors")
_CHANGE_ORDERS = asset_key("procore", "commitment_change_orders")

REQUISITIONS_ASSET = PROCORE.key(_REQUISITIONS)
COMMITMENTS_ASSET = PROCORE.key(_COMMITMENTS)
STAGED_VENDORS = PROCORE.key(_VENDORS)
CHANGE_ORDERS_ASSET = PROCORE.key(_CHANGE_ORDERS)
# The instance's own staged copies (none on the deployment's connection), read through its own connection
# by the flows' jobs as they read the deployment's (``wiring`` hands them to the jobs as staged inputs).
own_procore_assets = PROCORE.assets(_REQUISITIONS, _COMMITMENTS, _VENDORS, _CHANGE_ORDERS)
