"""What a deployment runs: the integration instances of the project's defs folder (``defs.yaml`` files of
the component types in ``connector_assets.components``), as Dagster's own loader finds them, and what is
derived from them: the shared definitions the ``Connector`` instance builds, each instance's own
definitions, the replays, the mapping tables, the pairings. The project is the one the process serves
(``project_tree``: the Dagster project it stands in, this repository's or a user's own), its tree loaded
once per process and shared with Dagster's loader.

``ML_INTEGRATIONS`` is an override: unset (``all``) runs every instance; a list runs only those named.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
from dagster import AssetsDefinition, Definitions

from connector_assets.alerts import alert_definitions, with_written_freshness
from connector_assets.components.apartness import named_apart
from connector_assets.components.instance_resources import instance_resources
from connector_assets.components.integration_type import IntegrationType
from connector_assets.flows.assembly import IntegrationParts
from connector_assets.flows.core import FlowSpec
from connector_assets.flows.replay_resources import settings_resources
from connector_assets.flows.replays import Replays, Resources, build_replays
from connector_assets.flows.target_boundary import UNWRAPPED
from connector_assets.flows.write_pool_sensor import write_pool_limits
from connector_assets.operations.health import ledger_health
from connector_assets.operations.replay import replay_due_records, replay_retry_queue
from connector_assets.preview.fit import fit_job
from connector_assets.project_tree import component_tree
from connector_assets.runtime.asset_metadata import with_owners
from connector_assets.runtime.automation import automation_sensor
from connector_assets.runtime.executors import run_executor
from connector_assets.system_sides import side_definitions
from connector_resources import settings
from connector_resources.ledger import LedgerResource
from connector_resources.settings import SettingError

if TYPE_CHECKING:
    from connector_assets.flows.documents import DocumentSource
    from connector_assets.flows.manual_pairs import ManualPairing
    from connector_assets.flows.mapping_tables import MappingTable

INTEGRATIONS_SETTING = "ML_INTEGRATIONS"
EVERY = "all"  # the setting's default: every integration found


class UnknownIntegration(SettingError):
    """A name that is no integration; the message names the known ones. A ``SettingError``, so every
    ``ml-connector`` command says it in one line (``connector_cli.refusals``)."""


class InstanceRefused(SettingError):
    """An instance whose package does not load with its attributes (a schedule's cron Dagster refuses, a
    connection its package does not take ...); the message starts with its ``defs.yaml``, so a command
    names the file to change, not the folder's first or the ``Connector``'s."""


def integration_components(project: Path | None = None) -> tuple[IntegrationParts, ...]:
    """The parts of every integration instance in the defs folder of ``project`` (default: the one this
    process serves, ``project_tree``), sorted by name; read once per process."""
    return tuple(parts_of(instance) for instance in integration_instances(project))


def integration_instances(project: Path | None = None) -> tuple[IntegrationType, ...]:
    """Every integration instance of ``project`` (default: the one this process serves), sorted by
    integration name, from the project's one component tree (``project_tree.component_tree``)."""
    return _instances(Path(component_tree(project).project_root).resolve())


@cache
def _instances(project: Path) -> tuple[IntegrationType, ...]:
    return named_apart(component_tree(project).get_all_components(of_type=IntegrationType))


def parts_of(instance: IntegrationType) -> IntegrationParts:
    """``instance``'s parts (its package loaded with its attributes), a failure said naming its
    ``defs.yaml`` (``InstanceRefused``)."""
    try:
        return instance.parts
    except Exception as refused:
        said = str(refused)
        if instance.defined_in in said:  # the instance's own refusal (a connection it may not have)
            raise InstanceRefused(said) from refused
        raise InstanceRefused(f"{instance.defined_in}: {type(refused).__name__}: {said}") from refused


def overridden_out(name: str) -> bool:
    """Whether the ``ML_INTEGRATIONS`` override leaves integration ``name`` out of this deployment."""
    wanted = _wanted()
    return EVERY not in wanted and name not in wanted


def _wanted(names: Iterable[str] | None = None) -> tuple[str, ...]:
    """``names``, or the ones ``ML_INTEGRATIONS`` lists when None, as compared (``all``: every instance)."""
    given = settings.read(INTEGRATIONS_SETTING) if names is None else names
    return tuple(name.strip().lower() for name in given)


def running(
    instances: Iterable[IntegrationType], names: Iterable[str] | None = None
) -> tuple[IntegrationType, ...]:
    """The ``instances`` ``names`` names (``ML_INTEGRATIONS`` when None; ``all``: every one), sorted by
    name, so a deployment loads, replays and pings only the integrations it runs. An unknown name is
    refused naming the known integrations, never skipped: a typo would otherwise leave an integration
    unloaded without a word."""
    wanted = _wanted(names)
    every = list(named_apart(instances))
    known = [instance.instance for instance in every]
    unknown = [name for name in wanted if name not in known and name != EVERY]
    if unknown:
        named_by = f" (named by {INTEGRATIONS_SETTING})" if names is None else ""
        raise UnknownIntegration(
            f"unknown integration {', '.join(repr(n) for n in unknown)}{named_by}; known: "
            f"{', '.join(known)} (or {EVERY})"
        )
    return tuple(i for i in every if EVERY in wanted or i.instance in wanted)


def known_names(project: Path | None = None) -> tuple[str, ...]:
    """Every integration's name, sorted."""
    return tuple(component.name for component in integration_components(project))


def integration_component(name: str) -> IntegrationParts:
    """The one integration named ``name`` (a benchmark's or a test's own; unknown: ``UnknownIntegration``)."""
    [component] = chosen([name])
    return component


def chosen(names: Iterable[str] | None = None, project: Path | None = None) -> tuple[IntegrationParts, ...]:
    """The parts of the project's instances ``names`` names (``running``; default project: the served one)."""
    return tuple(parts_of(instance) for instance in running(integration_instances(project), names))


@dataclass(frozen=True)
class Deployment:
    """The integrations one deployment runs (``components``) and everything derived from them."""

    components: tuple[IntegrationParts, ...]

    @classmethod
    def of(cls, names: Iterable[str] | None = None, project: Path | None = None) -> Deployment:
        """The deployment running the integrations ``names`` names (``ML_INTEGRATIONS`` when None) of
        ``project`` (default: the one this process serves)."""
        return cls(chosen(names, project))

    @classmethod
    def of_instances(cls, instances: Iterable[IntegrationType]) -> Deployment:
        """The deployment of these loaded instances (the ``Connector`` component's siblings) the
        ``ML_INTEGRATIONS`` override keeps (``running``: a name no instance has is refused)."""
        return cls(tuple(parts_of(instance) for instance in running(instances)))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(component.name for component in self.components)

    @property
    def systems(self) -> frozenset[str]:
        """Every system the chosen flows read or write (``FlowSpec`` names: ``JDE``, ``coupa`` ...)."""
        return frozenset(system for component in self.components for system in component.systems())

    @property
    def specs(self) -> dict[str, FlowSpec]:
        """Every chosen flow's spec, by its flow name (``jde_coupa_suppliers``), in declaration order."""
        return {spec.flow: spec for component in self.components for spec in component.specs}

    @property
    def tables(self) -> dict[str, MappingTable]:
        """Every mapping table an operator edits (``flows.mapping_tables.MappingTable``), by name."""
        found = {table.name: table for c in self.components for table in c.mapping_tables}
        return dict(sorted(found.items()))

    @property
    def sources(self) -> dict[str, tuple[DocumentSource, ...]]:
        """The document sources (``flows.documents.DocumentSource``) the chosen flows apply deliveries
        with, by inbox source (``Flow.inbox``)."""
        found: dict[str, dict[str, DocumentSource]] = {}
        for component in self.components:
            for flow in component.flows:
                if flow.inbox is not None:
                    found.setdefault(flow.inbox.inbox_source, {})[flow.inbox.name] = flow.inbox
        return {inbox: tuple(by_name.values()) for inbox, by_name in found.items()}

    @property
    def pairings(self) -> tuple[ManualPairing, ...]:
        """Every pairing the chosen integrations make by natural key, as each declares it for matching by
        hand (``flows.manual_pairs.ManualPairing``): what ``ml-connector xref`` and the desk offer."""
        return tuple(pairing for component in self.components for pairing in component.pairings)

    @cached_property
    def definitions(self) -> Definitions:
        """The chosen integrations' definitions as the defs folder's loader builds them: the connector's
        shared ones and each integration's own (a test's or a benchmark's deployment of a few)."""
        return Definitions.merge(
            connector_definitions(self), *(integration_definitions(c) for c in self.components)
        )

    def replays(self, resources: Resources | None = None) -> Replays:
        """What the deployment replays with: every chosen flow's handler and the sweeps' checks, built from
        the flows' own ``Flow.replay`` on ``resources`` when given (a benchmark's or a test's own), else
        each flow's (today's settings). Only the chosen flows: a queued record of an integration the
        deployment does not run has no handler, so a replay never reaches a system it does not configure."""
        return build_replays((flow for c in self.components for flow in c.flows), resources)


def _one_integration(name: str) -> Deployment:
    """What a fit job previews: a deployment of its one integration alone, with today's settings (handed
    to ``preview.fit``, which never imports the deployment)."""
    return Deployment.of([name])


def integration_definitions(parts: IntegrationParts) -> Definitions:
    """One integration's own definitions (its component's ``build_defs``): its assets, jobs, schedules and
    sensors, and its preview as a run (``preview.fit``)."""
    own = Definitions.merge(parts.definitions(), Definitions(jobs=[fit_job(parts.name, _one_integration)]))
    return with_owners(with_written_freshness(own))


def connector_definitions(deployment: Deployment) -> Definitions:
    """What the deployment's integrations share (the ``Connector`` component's ``build_defs``): the ledger's
    health, the replay job and schedule, the automation and pool sensors, the resources and executor, the
    system sides the integrations read, and the alerts."""
    assets = [
        asset
        for component in deployment.components
        for asset in component.definitions().assets or ()
        if isinstance(asset, AssetsDefinition)
    ]
    read = {key for asset in assets for key in asset.dependency_keys}
    brought = {key for asset in assets for key in asset.keys}
    return with_owners(
        Definitions.merge(
            Definitions(
                assets=[ledger_health],
                jobs=[replay_retry_queue],
                schedules=[replay_due_records],
                # The write pools' limits, kept by the deployment itself (``write_pool_sensor``).
                sensors=[automation_sensor(), write_pool_limits],
                resources={
                    "ledger": LedgerResource(),
                    # What the replay job replays with: this deployment's flows' (built when a run of it
                    # starts, from today's settings).
                    "replays": dg.ResourceDefinition(resource_fn=lambda _: deployment.replays()),
                    # Each flow step's target as it is (a preview gives its own boundary).
                    "target_boundary": UNWRAPPED,
                    **settings_resources(),
                    # A system an instance reaches through connections of its own: chosen per run.
                    **instance_resources({c.name: c.job_names() for c in deployment.components}),
                },
                executor=run_executor(),
            ),
            side_definitions(deployment.systems, read, brought),
            alert_definitions(),
        )
    )
