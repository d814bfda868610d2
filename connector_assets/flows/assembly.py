"""How every integration package is put together: its parts (flows, jobs, schedules, sensors, tables),
assembled one way in its ``wiring`` module.

The parts are Python objects (pandera models, mappers, target classes, asset factories); what a customer
configures of them is the package's component type (``connector_assets.components``), an instance of which
is a ``defs.yaml`` in the project's defs folder. The package layout: docs/development.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dagster import AssetKey, AssetsDefinition, Definitions

from connector_assets.flows.core import FlowSpec
from connector_assets.flows.replays import Replay
from connector_resources.setting_declarations import integration_variable

if TYPE_CHECKING:
    from connector_assets.flows.documents import DocumentSource
    from connector_assets.flows.jobs import BuiltJobs
    from connector_assets.flows.manual_pairs import ManualPairing
    from connector_assets.flows.mapping_tables import MappingTable


def cron_setting(spec: FlowSpec) -> str:
    """The setting holding a flow's cadence: ``ML_<INTEGRATION>_<FLOW>_CRON`` (the package's
    ``settings.toml`` declares it)."""
    return integration_variable(spec.integration, f"{spec.name}_CRON")


@dataclass(frozen=True)
class Flow:
    """One flow as its package declares it: its spec, its own assets, its replay as data
    (``flows.replays.Replay``) and, for a webhook-fed flow, ``inbox``: the document source its assets were
    built with (``flows.documents.DocumentSource``), which deliveries a deployment running it applies."""

    spec: FlowSpec
    assets: Sequence[Any]
    replay: Replay | None = None
    inbox: DocumentSource | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def cron_setting(self) -> str:
        return cron_setting(self.spec)


@dataclass(frozen=True, eq=False)
class IntegrationParts:
    """Everything one integration puts into Dagster and into ``ml-connector replay``, made in the package's
    ``wiring.py``. ``name`` keys its ledger rows, asset group, jobs and settings prefix; ``shared`` names
    asset keys the deployment's sides already define, so a flow module may list them without a second
    declaration."""

    name: str
    flows: Sequence[Flow]
    jobs: Sequence[Any] = ()
    schedules: Sequence[Any] = ()
    tables: Sequence[Any] = ()
    assets: Sequence[Any] = ()
    sensors: Sequence[Any] = ()
    shared: frozenset[AssetKey] = field(default_factory=frozenset)
    pairings: Sequence[ManualPairing] = ()
    mapping_tables: Sequence[MappingTable] = ()
    package: str = ""

    @property
    def flow_assets(self) -> dict[FlowSpec, Sequence[object]]:
        """Each flow's own assets, by spec, in declaration order (what the job builders take)."""
        return {flow.spec: flow.assets for flow in self.flows}

    @property
    def specs(self) -> list[FlowSpec]:
        return [flow.spec for flow in self.flows]

    @classmethod
    def of(
        cls,
        name: str,
        built: Sequence[BuiltJobs],
        *,
        reconciliation: tuple[Sequence[Any], Sequence[Any], Callable[[], Sequence[Any]]],
        pairings: Sequence[ManualPairing] = (),
        jobs: Sequence[Any] = (),
        schedules: Sequence[Any] = (),
        **rest: Any,
    ) -> IntegrationParts:
        """An instance's parts as its package's ``build`` makes them: its flows, tables, jobs and schedules
        those its jobs were ``built`` over, then its own ``jobs`` / ``schedules``, then its
        ``reconciliation``'s (``DayReconciliation.wiring``: assets, jobs, schedules); ``rest`` the other
        fields. ``name``: the instance's."""
        assets, reconciliation_jobs, reconciliation_schedules = reconciliation
        return cls(
            name=name,
            flows=[flow for b in built for flow in b.flows],
            tables=[table for b in built for table in b.tables],
            assets=list(assets),
            jobs=[*(job for b in built for job in b.every_job), *jobs, *reconciliation_jobs],
            schedules=[*(s for b in built for s in b.schedules), *schedules, *reconciliation_schedules()],
            pairings=pairings,
            **rest,
        )

    def flow(self, name: str) -> Flow:
        """The flow ``name`` (``suppliers``); ``KeyError`` naming the instance's flows."""
        found = next((flow for flow in self.flows if flow.name == name), None)
        if found is None:
            raise KeyError(f"{self.name} has no flow {name!r}; its flows: {[f.name for f in self.flows]}")
        return found

    def mapping_table(self, name: str) -> MappingTable:
        """The mapping table whose asset is ``<instance>/<name>`` (``account_map``)."""
        found = next((t for t in self.mapping_tables if t.asset.path[-1] == name), None)
        if found is None:
            known = [t.asset.path[-1] for t in self.mapping_tables]
            raise KeyError(f"{self.name} has no mapping table {name!r}; its tables: {known}")
        return found

    def own_assets(self) -> list[Any]:
        """The package's assets, each once, in a stable order: tables, each flow's, then the rest."""
        seen = set(self.shared)
        out = []
        flows = (a for flow in self.flows for a in flow.assets)
        for item in [*self.tables, *flows, *self.assets]:
            keys = set(item.keys) if isinstance(item, AssetsDefinition) else {item.key}
            if keys & seen:
                continue
            seen |= keys
            out.append(item)
        return out

    def systems(self) -> frozenset[str]:
        """Every system the package's flows read or write (``FlowSpec`` system names: ``JDE``, ``coupa``
        ...): which system sides a deployment running the package needs, and what its ``ping`` checks."""
        return frozenset(
            system
            for spec in self.specs
            for system in (spec.source_system, spec.target_system, *spec.reads, *spec.writes)
        )

    def job_names(self) -> tuple[str, ...]:
        """The names of the package's jobs and of its preview (``<name>_fit``): whose runs are its own."""
        return (*(job.name for job in self.jobs), f"{self.name}_fit")

    def definitions(self) -> Definitions:
        return Definitions(
            assets=self.own_assets(),
            jobs=list(self.jobs),
            schedules=list(self.schedules),
            sensors=list(self.sensors),
        )


def asset_keys(assets: Iterable[Any]) -> frozenset[AssetKey]:
    """Every key of ``assets`` (for ``IntegrationParts.shared``)."""
    return frozenset(key for a in assets for key in (a.keys if isinstance(a, AssetsDefinition) else [a.key]))
