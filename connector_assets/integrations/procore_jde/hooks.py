"""Which Procore webhook resources the app's hook triggers on for Procore -> JDE: those whose events the
inbox sensor turns into runs (``sensor.ENTITY_FLOWS``). Registering the hook is the Procore side's
(``connector_assets.procore.hooks``); used by ``ml-connector procore-webhooks`` and ``make dev``.
"""

from __future__ import annotations


def procore_hook_resources() -> list[str]:
    """The Procore webhook resources whose events the Procore -> JDE inbox sensor turns into runs."""
    from connector_assets.integrations.procore_jde.sensor import ENTITY_FLOWS
    from connector_resources.procore.entities import RESOURCE_ENTITIES

    return sorted(name for name, entity in RESOURCE_ENTITIES.items() if entity in ENTITY_FLOWS)
