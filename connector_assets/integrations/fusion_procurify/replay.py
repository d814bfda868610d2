"""``ml-connector replay`` for the Oracle Fusion <-> Procurify flows: each flow module registers its own
handlers (``register_<flow>_replays``: a queued record is read again from its source, mapped with today's
settings, mapping tables and manual matches, and written once); this module calls them all, for the flows
the package has.
"""

from __future__ import annotations

from collections.abc import Iterable

from connector_assets.integrations.fusion_procurify.wiring import LandedFlow, landed_flows


def register_replay_handlers(flows: Iterable[LandedFlow] | None = None) -> list[str]:
    """Register every landed flow's replay handlers; the names of the flows that registered none (their
    queued records cannot be replayed until their module offers a ``register_*_replays``)."""
    without: list[str] = []
    for flow in landed_flows() if flows is None else flows:
        for register in flow.replays:
            register()
        if not flow.replays:
            without.append(flow.name)
    return without
