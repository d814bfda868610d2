"""Which Procore changes move which Procore -> JDE flow (``ENTITY_FLOWS``), for the inbox sensor and the
hook's triggers; an approved requisition moves ``purchase_orders`` too; other resources move nothing."""

from __future__ import annotations

from connector_assets.procore.inbox_events import hook_resources

# Procore entity (``connector_resources.procore.entities.RESOURCE_ENTITIES`` values) -> the flows it moves.
ENTITY_FLOWS: dict[str, tuple[str, ...]] = {
    "vendors": ("vendors",),
    "commitments": ("purchase_orders",),
    "requisitions": ("purchase_orders", "vouchers"),
    "commitment_change_orders": ("change_orders",),
}
SENSOR_DESCRIPTION = (
    "Procore webhooks stored in the inbox (source procore) -> an early run of the Procore -> JDE flow each "
    "event concerns, for the day the change happened; the daily close stays the source of truth."
)


def procore_hook_resources() -> list[str]:
    """The Procore webhook resources whose events the Procore -> JDE inbox sensor turns into runs."""
    return hook_resources(ENTITY_FLOWS)
