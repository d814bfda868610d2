"""Where an instance reads the Procore records its flows and reconciliation start from: the deployment's
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

from dataclasses import dataclass
from typing import Any

from dagster import AssetKey

from connector_assets.asset_keys import asset_key
from connector_assets.saas.own_side import InstanceSide

_REQUISITIONS = asset_key("procore", "requisitions")
_COMMITMENTS = asset_key("procore", "commitments")
_VENDORS = asset_key("procore", "vendors")
_CHANGE_ORDERS = asset_key("procore", "commitment_change_orders")


@dataclass(frozen=True)
class ProcoreSide:
    """An instance's Procore side (``side``) and the staged entities it reads, by key."""

    side: InstanceSide
    requisitions: AssetKey
    commitments: AssetKey
    vendors: AssetKey
    change_orders: AssetKey

    @classmethod
    def of(cls, instance: str) -> "ProcoreSide":
        side = InstanceSide(instance, "procore")
        keys = (side.key(key) for key in (_REQUISITIONS, _COMMITMENTS, _VENDORS, _CHANGE_ORDERS))
        return cls(side, *keys)

    def own_assets(self) -> list[Any]:
        """The instance's own staged copies (none on the deployment's connection), read through its own
        connection by the flows' jobs as they read the deployment's (``wiring`` hands them to the jobs as
        staged inputs)."""
        return self.side.assets(_REQUISITIONS, _COMMITMENTS, _VENDORS, _CHANGE_ORDERS)
