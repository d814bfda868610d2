"""The resources as today's settings configure them: the ``Definitions``' defaults, and what a replay
outside a Dagster run re-reads, maps and writes with (today's settings, not a run's config), built from the
settings registry when a replay asks and initialised so secrets given as ``EnvVar`` are resolved here, where
no run config carries them.
"""

from collections.abc import Iterable
from typing import Any

from connector_resources import configured_settings
from connector_resources.base import initialized
from connector_resources.jde import JdeAisResource


def settings_resources(instance: str | None = None) -> dict[str, object]:
    """Every declared system's resource (``System.resource``, under its ``resource_key``) and staging as
    today's settings configure them (not yet initialised), ``instance``'s own connections first: the
    ``Definitions``' resources beside the ledger, and what a replay outside a run builds from."""
    from connector_assets.runtime.staging import StagingResource
    from connector_resources.systems import declared_systems

    with configured_settings.scope(instance):
        systems = {
            s.resource_key: s.resource.from_settings() for s in declared_systems() if s.resource is not None
        }
    return {**systems, "staging": StagingResource()}


def resources_from_settings(
    keys: Iterable[str] = ("jde", "coupa", "staging"), instance: str | None = None
) -> dict[str, Any]:
    """The resources ``keys`` name (JDE, Coupa and staging unless told), as configured today for
    ``instance`` (its own connections first; None: the deployment's)."""
    available = settings_resources(instance)
    unknown = sorted(set(keys) - set(available))
    if unknown:
        raise KeyError(f"no resource can be built from settings for {unknown}; known: {sorted(available)}")
    # from_settings may hold EnvVar references; initialising resolves them outside a Dagster run, in
    # Dagster's context manager so the ephemeral instance it opens is closed here, not by the garbage
    # collector on another thread (``ConnectorResource.initialized_from_settings``).
    return {key: initialized(available[key]) for key in keys}


def jde_from_settings() -> JdeAisResource:
    """Today's JDE resource alone (a replay that writes a queued payload as it was mapped)."""
    return resources_from_settings(("jde",))["jde"]
