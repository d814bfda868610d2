"""``ml-connector replay`` for JD Edwards -> Coupa: a queued record is read from JDE again and mapped with
today's tables and settings, then written through its flow's Coupa target."""

from collections.abc import Callable
from typing import Any

from connector_assets.flows.replay_resources import register_settings_replay
from connector_assets.integrations.jde_coupa.invoices import INVOICES_FLOW, _coupa_invoices
from connector_assets.integrations.jde_coupa.purchase_orders import (
    PURCHASE_ORDERS_FLOW,
    _coupa_purchase_orders,
)
from connector_assets.integrations.jde_coupa.suppliers import SUPPLIERS_FLOW, _coupa_suppliers

TARGETS = {
    SUPPLIERS_FLOW: _coupa_suppliers,
    PURCHASE_ORDERS_FLOW: _coupa_purchase_orders,
    INVOICES_FLOW: _coupa_invoices,
}


def register_replay_handlers(resources: Callable[[], dict[str, Any]] | None = None) -> None:
    """The handlers of the three flows, with resources from settings (or ``resources()``, e.g. a
    benchmark's own)."""
    for spec, open_target in TARGETS.items():
        register_settings_replay(
            spec, lambda built, open_target=open_target: open_target(built["coupa"]), resources
        )
