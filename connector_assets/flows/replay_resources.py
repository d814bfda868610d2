"""The resources a replay outside a Dagster run maps and writes with: today's settings, not a run's config.

``ml-connector replay`` and the replay job re-read a queued record from its source and map it with
today's mapping tables (``FlowSpec.remap``), so they need the same resources a run has. They are built
from the settings registry (environment variables, sandbox defaults otherwise) when a replay asks, and
initialised so secrets given as ``EnvVar`` are resolved here, where no run config carries them.
"""

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from connector_resources.ledger import Ledger, QueueItem
from connector_resources.replay import ReplayOutcome, register_replay_handler, shared_context, shared_value


def resources_from_settings() -> dict[str, Any]:
    """``jde``, ``coupa`` and ``staging`` as configured today."""
    from connector_assets.staging import StagingResource
    from connector_resources.coupa import CoupaResource
    from connector_resources.jde import JdeAisResource

    return {
        "jde": JdeAisResource.from_settings().process_config_and_initialize(),
        "coupa": CoupaResource.from_settings().process_config_and_initialize(),
        "staging": StagingResource(),
    }


def register_settings_replay(
    spec: Any,
    open_target: Callable[[dict[str, Any]], AbstractContextManager[Any]],
    resources: Callable[[], dict[str, Any]] | None = None,
) -> None:
    """Register ``spec``'s replay handler for ``ml-connector replay`` and the replay job.

    Today's resources (``resources()``, from settings by default) are built once per replay; each
    record is re-read and mapped with them (``FlowSpec.remap``) and written through
    ``open_target(resources)``, opened once per replay too.
    """
    from connector_assets.flows.core import replay_handler

    def handle(item: QueueItem, ledger: Ledger) -> ReplayOutcome:
        build = resources or resources_from_settings
        built = shared_value(("resources", id(build)), build)
        target_key = ("target", spec.integration, spec.name, id(build))
        return replay_handler(
            spec, lambda: shared_context(target_key, lambda: open_target(built)), lambda: built
        )(item, ledger)

    register_replay_handler(spec.integration, spec.name, handle)
