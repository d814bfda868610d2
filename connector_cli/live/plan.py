"""What turning one integration on starts, in what order, and what it reads first.

The order is the one an operator followed by hand: first what reads and watches (the automation sensor,
the systems' source polls, the alerts), then the integration's flows (its schedules as declared, suppliers
before the orders and invoices that need them, then its sensors: the inbox after the polls), then the
replay of due records. Before any of them, the integration's first reads: every asset the automation
sensor reads when it was never read (the JDE account master, the staged mapping tables), so the first flow
tick maps with staged tables. Turning off is the same in reverse.
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

from connector_assets.deployment import Deployment
from connector_assets.flows.write_pool_sensor import WRITE_POOL_LIMITS_SENSOR
from connector_assets.flows.write_pools import wanted_pool_limits
from connector_assets.operations.replay import replay_due_records
from connector_assets.runtime.automation import NEVER_READ

# Always on by itself and launching no run: never switched by going live or off.
ALWAYS_ON = frozenset({WRITE_POOL_LIMITS_SENSOR})


@dataclass(frozen=True)
class LivePlan:
    """One integration's schedules and sensors by stage, its first reads and its pools' limits."""

    integration: str
    shared: tuple[str, ...]  # what reads and watches, shared with the other integrations on its systems
    flows: tuple[str, ...]  # the integration's own schedules, then its own sensors
    replay: tuple[str, ...]  # the replay of due records, shared by every integration
    first_reads: tuple[str, ...]  # asset keys (``jde_coupa/payment_terms_map``)
    pools: dict[str, int]

    @property
    def order(self) -> tuple[str, ...]:
        """Every schedule and sensor it turns on, in the order it turns them on."""
        return (*self.shared, *self.flows, *self.replay)

    @property
    def kept_for_others(self) -> frozenset[str]:
        """What another integration also uses: never stopped while one that uses it runs (``running``)."""
        return frozenset((*self.shared, *self.replay))


def live_plan(integration: str) -> LivePlan:
    """The plan of ``integration`` (unknown: ``UnknownIntegration``, naming the known ones)."""
    deployment = Deployment.of([integration])
    [component] = deployment.components
    own = component.definitions()
    flows = (*(s.name for s in own.schedules or ()), *(s.name for s in own.sensors or ()))
    defs = deployment.definitions
    every = [*(s.name for s in defs.sensors or ()), *(s.name for s in defs.schedules or ())]
    replay = (replay_due_records.name,)
    shared = tuple(n for n in every if n not in flows and n not in replay and n not in ALWAYS_ON)
    assets = list(defs.assets or ())
    first_reads = sorted(
        key.to_user_string()
        for asset in assets
        if isinstance(asset, dg.AssetsDefinition)  # specs and source assets have no conditions
        for key, condition in asset.automation_conditions_by_key.items()
        if condition == NEVER_READ
    )
    return LivePlan(integration, shared, flows, replay, tuple(first_reads), wanted_pool_limits(assets))
