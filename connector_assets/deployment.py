"""The ``Definitions`` of a deployment running some integrations, assembled one way for any choice.

``connector_assets.definitions`` builds it for the integrations ``ML_INTEGRATIONS`` names (every one by
default); ``ml-connector ping --integration`` for the ones it is given. What is loaded: each chosen package's
own ``Definitions`` (its flows, mapping tables, jobs, schedules, sensors: ``flows.assembly``), the system
sides those packages reach (``system_sides``) and what every deployment has (ledger health, the retry-queue
replay, the automation and alert sensors, the resources). Nothing of a system no chosen integration reaches.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from types import ModuleType

from dagster import AssetsDefinition, Definitions

from connector_assets.alerts import alert_definitions, with_written_freshness
from connector_assets.flows.replay_resources import settings_resources
from connector_assets.operations.health import ledger_health
from connector_assets.operations.replay import replay_due_records, replay_retry_queue
from connector_assets.preview.fit import fit_job
from connector_assets.runtime.asset_metadata import with_owners
from connector_assets.runtime.automation import automation_sensor
from connector_assets.runtime.executors import run_executor
from connector_assets.system_sides import side_definitions
from connector_resources.ledger import LedgerResource


def systems_reached(packages: Iterable[ModuleType]) -> frozenset[str]:
    """Every system the flows of ``packages`` read or write (``FlowSpec`` names: ``JDE``, ``coupa`` ...)."""
    return frozenset(system for package in packages for system in package.PACKAGE.systems)


def deployment_definitions(packages: Sequence[ModuleType]) -> Definitions:
    """One ``Definitions`` for ``packages`` (modules of ``connector_assets.integrations``) and what they
    share."""
    own = [package.defs for package in packages]
    assets = [asset for defs in own for asset in defs.assets or () if isinstance(asset, AssetsDefinition)]
    read = {key for asset in assets for key in asset.dependency_keys}
    brought = {key for asset in assets for key in asset.keys}
    return with_owners(
        with_written_freshness(
            Definitions.merge(
                Definitions(
                    assets=[ledger_health],
                    # One fit job per integration: its preview as a run (``preview.fit``).
                    jobs=[replay_retry_queue, *(fit_job(package.INTEGRATION) for package in packages)],
                    schedules=[replay_due_records],
                    sensors=[automation_sensor()],
                    resources={"ledger": LedgerResource(), **settings_resources()},
                    executor=run_executor(),
                ),
                side_definitions(systems_reached(packages), read, brought),
                *own,
                alert_definitions(),
            )
        )
    )


def register_replay_handlers(packages: Iterable[ModuleType]) -> None:
    """``ml-connector replay``'s handlers for ``packages`` only: a queued record of an integration the
    deployment does not run has no handler, so a replay never reaches a system it does not configure."""
    for package in packages:
        package.register_replay_handlers()
