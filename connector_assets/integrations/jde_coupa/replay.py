"""``ml-connector replay`` for JD Edwards -> Coupa: a queued record is read from JDE again and mapped with
today's tables and settings, then written through its flow's Coupa target."""

from collections.abc import Callable
from typing import Any

from connector_assets.coupa.targets import CoupaInvoices, CoupaPurchaseOrders, CoupaSuppliers
from connector_assets.flows.replay_resources import register_settings_replay
from connector_assets.integrations.jde_coupa.invoices import INVOICES_FLOW
from connector_assets.integrations.jde_coupa.purchase_orders import PURCHASE_ORDERS_FLOW
from connector_assets.integrations.jde_coupa.suppliers import SUPPLIERS_FLOW

TARGETS = {
    SUPPLIERS_FLOW: CoupaSuppliers,
    PURCHASE_ORDERS_FLOW: CoupaPurchaseOrders,
    INVOICES_FLOW: CoupaInvoices,
}


def register_replay_handlers(resources: Callable[[], dict[str, Any]] | None = None) -> None:
    """The handlers of the three flows, with resources from settings (or ``resources()``, e.g. a
    benchmark's own)."""
    for spec, target in TARGETS.items():
        register_settings_replay(spec, target.for_replay, resources)
