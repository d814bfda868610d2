"""``ml-connector replay`` for the Procore -> JDE orders: queued purchase orders and change orders are
read from Procore again, mapped with today's tables (restaged from today's files, so a fixed cost code
row takes effect) and written once; one already written is skipped by its cross-reference."""

from collections.abc import Callable
from functools import partial
from typing import Any

from connector_assets.flows.core import FlowSpec
from connector_assets.flows.replay_resources import resources_from_settings
from connector_assets.integrations.procore_jde.change_orders import CHANGE_ORDERS_FLOW, PurchaseOrderLines
from connector_assets.integrations.procore_jde.integration import INTEGRATION
from connector_assets.integrations.procore_jde.purchase_orders import PURCHASE_ORDERS_FLOW, PurchaseOrders
from connector_assets.jde.targets import JdeTarget, jde_target_replay
from connector_resources.replay import ReplayHandler, register_replay_handler

RESOURCES = ("jde", "procore", "staging")


def order_replay(
    spec: FlowSpec, target_class: type[JdeTarget], resources: Callable[[], dict[str, Any]]
) -> ReplayHandler:
    """``spec``'s replay handler: remapped with ``resources()`` (jde, procore, staging; built once per
    replay), written through ``target_class`` on one JDE session per replay, with the replay's ledger."""
    return jde_target_replay(spec, target_class, resources)


def register_order_replays(resources: Callable[[], dict[str, Any]] | None = None) -> None:
    """Register the purchase orders' and change orders' replay handlers (today's settings unless
    ``resources`` says what to read and write with)."""
    build = resources or partial(resources_from_settings, RESOURCES)
    register_replay_handler(
        INTEGRATION, PURCHASE_ORDERS_FLOW.name, order_replay(PURCHASE_ORDERS_FLOW, PurchaseOrders, build)
    )
    register_replay_handler(
        INTEGRATION, CHANGE_ORDERS_FLOW.name, order_replay(CHANGE_ORDERS_FLOW, PurchaseOrderLines, build)
    )
