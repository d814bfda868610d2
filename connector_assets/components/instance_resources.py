"""The resource a run uses for a system that an instance reaches through a connection of its own.

Why chosen per run: one code location holds every instance, and Dagster gives it one resource per key
(``bill``); the flows ask ``context.resources.bill``. Where an instance's ``connections`` name another
BILL organization, the ``bill`` resource is chosen as each run starts, by whose run it is: an instance's
job (by name), or assets of its group (a run launched from the asset graph). Everything else keeps the
deployment's connection; a run selecting such an instance's assets with those of another instance or of
the system's own side is refused, naming them, rather than writing one's records through the other's
account.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import dagster as dg

from connector_resources import configured_settings
from connector_resources.base import initialized
from connector_resources.systems import declared_systems, own_systems


def run_groups(run: dg.DagsterRun, instance: dg.DagsterInstance | None = None) -> set[str]:
    """The asset groups ``run`` materializes or checks: its asset selection, or, when it names none (a job
    of assets run whole, ``materialize``), its job's asset steps as the job snapshot holds them
    (``<group>__<name>``, every asset key being ``[group, name]``)."""
    keys = [*(run.asset_selection or ()), *(check.asset_key for check in run.asset_check_selection or ())]
    if keys or instance is None or run.job_snapshot_id is None:
        return {key.path[0] for key in keys}
    snapshot = instance.get_job_snapshot(run.job_snapshot_id)
    return {op.name.split("__")[0] for op in snapshot.node_defs_snapshot.op_def_snaps if "__" in op.name}


def run_owner(
    run: dg.DagsterRun,
    jobs: Mapping[str, str],
    owners: Iterable[str],
    deployments: Iterable[str],
    groups: set[str] | None = None,
) -> str | None:
    """The instance among ``owners`` (those with connections of their own) whose run ``run`` is (``jobs``:
    job name -> owner), or None when it is the deployment's connection's. A run whose assets span an owner
    and any other group reaching the system (another owner, or ``deployments``: the instances and the
    system side on the deployment's connection) is refused: one of them would reach the wrong account.
    ``groups``: the run's asset groups (``run_groups``; its asset selection when not given)."""
    if run.job_name in jobs:
        return jobs[run.job_name]
    groups = run_groups(run) if groups is None else groups
    own, others = sorted(groups & set(owners)), sorted(groups & set(deployments))
    if len(own) > 1 or (own and others):
        raise dg.Failure(
            f"run {run.run_id} selects assets of {', '.join(own + others)}, which reach the system through "
            "different connections: launch each instance's assets in a run of their own"
        )
    return own[0] if own else None


def _chooser(system_key: str, jobs: Mapping[str, str], owners: tuple[str, ...], deployments: tuple[str, ...]):
    """The resource function choosing ``system_key``'s connection as each run starts."""
    system = next(s for s in declared_systems() if s.resource_key == system_key)
    resource_class = system.resource
    if resource_class is None:  # only systems with a resource have a resource key to choose for
        raise ValueError(f"{system.key}: no resource class declared, so no connection to choose")

    def chosen_connection(context: Any) -> Any:
        run = context.run
        owner = None
        if run is not None:
            owner = run_owner(run, jobs, owners, deployments, run_groups(run, context.instance))
        with configured_settings.scope(owner):
            resource = resource_class.from_settings()
        if owner is not None:
            context.log.info(f"{system_key}: {owner}'s own connection")
        return initialized(resource)

    return chosen_connection


def instance_resources(instances: Mapping[str, Iterable[str]]) -> dict[str, dg.ResourceDefinition]:
    """A per-run choice for each system some instance among ``instances`` (name -> its job names) reaches
    through connections of its own; {} when none does (the deployment's resources stand)."""
    own = {name: {system.key for system in own_systems(name)} for name in instances}
    owners = tuple(name for name, systems in own.items() if systems)
    jobs = {job: name for name in owners for job in instances[name]}
    chosen: dict[str, dg.ResourceDefinition] = {}
    for system in declared_systems():
        if system.resource is not None and any(system.key in own[name] for name in owners):
            deployments = (system.key, *(name for name in instances if name not in owners))
            chosen[system.resource_key] = dg.ResourceDefinition(
                resource_fn=_chooser(system.resource_key, jobs, owners, deployments),
                description=f"{system.title}: the deployment's connection, or the run's instance's own "
                f"({', '.join(owners)})",
            )
    return chosen
