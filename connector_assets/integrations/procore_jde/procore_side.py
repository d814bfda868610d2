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

ENTITIES = ("requisitions", "commitments", "vendors", "commitment_change_orders")  # as the deployment stages
STAGED = tuple(asset_key("procore", entity) for entity in ENTITIES)


@dataclass(frozen=True)
class ProcoreSide:
    """An instance's Procore side (``side``), where it reads each staged entity, and ``own_assets``: its own
    staged copies (none on the deployment's connection), run by its flows' jobs as staged inputs."""

    side: InstanceSide
    requisitions: AssetKey
    commitments: AssetKey
    vendors: AssetKey
    change_orders: AssetKey
    own_assets: tuple[Any, ...]

    @classmethod
    def of(cls, instance: str) -> "ProcoreSide":
        side = InstanceSide(instance, "procore")
        requisitions, commitments, vendors, change_orders = (side.key(key) for key in STAGED)
        return cls(side, requisitions, commitments, vendors, change_orders, tuple(side.assets(*STAGED)))
