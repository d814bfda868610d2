"""What a deployment runs, derived from the integration components it chooses, assembled one way
(docs/development.md "Adding an integration"; ``chosen`` keeps the ``ML_INTEGRATIONS`` names).

Why the components are read through ``dg.ComponentTree`` without ``tree.build_defs()``: building the tree
would also collect every module-level asset of every flow module of the folder; a deployment merges only
what each chosen component declares.
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
from connector_assets.flows.assembly import IntegrationComponent
from connector_assets.flows.core import FlowSpec
from connector_assets.flows.replay_resources import settings_resources
from connector_assets.flows.replays import Replays, Resources, build_replays
from connector_assets.flows.target_boundary import UNWRAPPED
from connector_assets.flows.write_pool_sensor import write_pool_limits
from connector_assets.operations.health import ledger_health
from connector_assets.operations.replay import replay_due_records, replay_retry_queue
from connector_assets.preview.fit import fit_job
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

PROJECT = Path(__file__).resolve().parents[1]  # the folder of pyproject.toml's ``[tool.dg.project]``
INTEGRATIONS_SETTING = "ML_INTEGRATIONS"
EVERY = "all"  # the setting's default: every integration found


class UnknownIntegration(SettingError):
    """A name that is no integration; the message names the known ones. A ``SettingError``, so every
    ``ml-connector`` command says it in one line (``connector_cli.refusals``)."""


def integration_components(project: Path = PROJECT) -> tuple[IntegrationComponent, ...]:
    """Every ``IntegrationComponent`` of the project at ``project``, as Dagster's defs-folder loader finds
    them (each package's ``@dg.component_instance``), sorted by name; read once per process."""
    return _components(project.resolve())


@cache
def _components(project: Path) -> tuple[IntegrationComponent, ...]:
    tree = dg.ComponentTree.for_project(project)
    found = tree.get_all_components(of_type=IntegrationComponent)
    names = [component.name for component in found]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ValueError(f"integration {', '.join(twice)} is defined by more than one component")
    return tuple(sorted(found, key=lambda component: component.name))


def known_names(project: Path = PROJECT) -> tuple[str, ...]:
    """Every integration's name, sorted."""
    return tuple(component.name for component in integration_components(project))


def integration_component(name: str) -> IntegrationComponent:
    """The one integration named ``name`` (a benchmark's or a test's own; unknown: ``UnknownIntegration``)."""
    [component] = chosen([name])
    return component


def chosen(names: Iterable[str] | None = None, project: Path = PROJECT) -> tuple[IntegrationComponent, ...]:
    """The components ``names`` names (``ML_INTEGRATIONS`` when None; ``all``: every one), sorted by
    name, so a deployment loads, replays and pings only the integrations it runs. An unknown name is
    refused naming the known integrations, never skipped: a typo would otherwise leave an integration
    unloaded without a word."""
    given = settings.read(INTEGRATIONS_SETTING) if names is None else names
    wanted = tuple(name.strip().lower() for name in given)
    every = integration_components(project)
    if EVERY in wanted:
        return every
    known = [component.name for component in every]
    unknown = [name for name in wanted if name not in known]
    if unknown:
        named_by = f" (named by {INTEGRATIONS_SETTING})" if names is None else ""
        raise UnknownIntegration(
            f"unknown integration {', '.join(repr(n) for n in unknown)}{named_by}; known: "
            f"{', '.join(known)} (or {EVERY})"
        )
    return tuple(component for component in every if component.name in wanted)


@dataclass(frozen=True)
class Deployment:
    """The integrations one deployment runs (``components``) and everything derived from them."""

    components: tuple[IntegrationComponent, ...]

    @classmethod
    def of(cls, names: Iterable[str] | None = None) -> Deployment:
        """The deployment running the integrations ``names`` names (``ML_INTEGRATIONS`` when None)."""
        return cls(chosen(names))

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
        """One ``Definitions`` for the chosen components and what they share."""
        own = [component.definitions() for component in self.components]
        assets = [asset for defs in own for asset in defs.assets or () if isinstance(asset, AssetsDefinition)]
        read = {key for asset in assets for key in asset.dependency_keys}
        brought = {key for asset in assets for key in asset.keys}
        return with_owners(
            with_written_freshness(
                Definitions.merge(
                    Definitions(
                        assets=[ledger_health],
                        # One fit job per integration: its preview as a run (``preview.fit``).
                        jobs=[replay_retry_queue, *(fit_job(name, _one_integration) for name in self.names)],
                        schedules=[replay_due_records],
                        # The write pools' limits, kept by the deployment itself (``write_pool_sensor``).
                        sensors=[automation_sensor(), write_pool_limits],
                        resources={
                            "ledger": LedgerResource(),
                            # What the replay job replays with: this deployment's flows' (built when a run
                            # of it starts, from today's settings).
                            "replays": dg.ResourceDefinition(resource_fn=lambda _: self.replays()),
                            # Each flow step's target as it is (a preview gives its own boundary).
                            "target_boundary": UNWRAPPED,
                            **settings_resources(),
                        },
                        executor=run_executor(),
                    ),
                    side_definitions(self.systems, read, brought),
                    *own,
                    alert_definitions(),
                )
            )
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
