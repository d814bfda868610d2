"""The resource a run uses for a system that an instance reaches through a connection of its own.

Why chosen per run: one code location holds every instance, and Dagster gives it one resource per key
(``bill``); the flows ask ``context.resources.bill``. Where an instance's ``connections`` name another
BILL organization, the ``bill`` resource is chosen as each run starts, by whose run it is: an instance's
job (by name), or assets of its group (a run launched from the asset graph). Everything else keeps the
deployment's connection; a run selecting the assets of two instances with connections of their own is
refused, naming them, rather than writing one instance's records through the other's organization.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

import dagster as dg

from connector_resources import configured_settings
from connector_resources.base import initialized
from connector_resources.systems import declared_systems


def run_owner(run: dg.DagsterRun, jobs: Mapping[str, str], owners: Iterable[str]) -> str | None:
    """The instance whose run ``run`` is (``jobs``: job name -> instance), among ``owners``; None when it
    is none of theirs (the deployment's connection then)."""
    if run.job_name in jobs:
        return jobs[run.job_name]
    keys = [*(run.asset_selection or ()), *(check.asset_key for check in run.asset_check_selection or ())]
    found = sorted({key.path[0] for key in keys} & set(owners))
    if len(found) > 1:
        raise dg.Failure(
            f"run {run.run_id} selects assets of instances {', '.join(found)}, each with connections of its "
            "own: launch each instance's assets in a run of their own"
        )
    return found[0] if found else None


def _chosen(system_key: str, jobs: Mapping[str, str], owners: tuple[str, ...], context: Any) -> Any:
    system = next(s for s in declared_systems() if s.resource_key == system_key)
    owner = run_owner(context.dagster_run, jobs, owners) if context.dagster_run is not None else None
    with configured_settings.scope(owner):
        resource = system.resource.from_settings()
    if owner is not None:
        context.log.info(f"{system_key}: {owner}'s own connection")
    return initialized(resource)


def instance_resources(instances: Mapping[str, Iterable[str]]) -> dict[str, dg.ResourceDefinition]:
    """A per-run choice for each system some instance among ``instances`` (name -> its job names) reaches
    through connections of its own; {} when none does (the deployment's resources stand)."""
    own = {name: configured_settings.connection(name) for name in instances}
    owners = tuple(name for name, variables in own.items() if variables)
    jobs = {job: name for name in owners for job in instances[name]}
    chosen: dict[str, dg.ResourceDefinition] = {}
    for system in declared_systems():
        envs = {setting.env for setting in system.settings}
        if system.resource is not None and any(envs & set(own[name]) for name in owners):
            chosen[system.resource_key] = dg.ResourceDefinition(
                resource_fn=partial(_chosen, system.resource_key, jobs, owners),
                description=f"{system.title}: the deployment's connection, or the run's instance's own "
                f"({', '.join(owners)})",
            )
    return chosen
