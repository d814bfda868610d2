"""How every integration package is put together: one typed declaration, assembled one way.

Each package under ``connector_assets/integrations/`` has the same files: ``integration.py`` (its name and
routes), ``declaration.py`` (``DECLARATION``: what it puts into Dagster and ``ml-connector replay``),
optionally ``settings.py`` and ``sandbox.py``, and flow modules of specs and pure mappers. Its
``__init__`` is three lines: ``PACKAGE = IntegrationPackage(__name__, INTEGRATION)`` and the module
``__getattr__`` that hands out ``defs`` and ``register_replay_handlers`` from it.

The declaration names everything by import: ``FLOWS``, each flow's ``Flow`` (its spec, its assets, its
replay registration) as its module names it (``FLOW``), in the order records move; the tables; the jobs
and schedules its ``jobs.JOBS`` (``flows.jobs.FlowJobs``) builds over them; sensors and replays. Nothing is
found by scanning a module's names, so a reader (and an editor's "go to definition") follows every part
from ``declaration.py``, and a module that is missing or lacks a name fails the import naming it.

Why a typed Python value rather than a Dagster Component with YAML: a flow's declaration is made of Python
objects (pandera models, mapper functions, target classes, asset factories) that YAML could only name by
import path, and checkers (ruff, import-linter, the type hints) read Python; one dataclass gives the same
single shape with none of the indirection.

Why the declaration is read on first use, not at import: Python imports a package before any of its
modules, so building the ``Definitions`` in ``__init__`` would make every module of the package (a flow's
mappers, a test's import of one flow) unimportable while any other module is missing or broken. Loading
stays strict: the first use of ``defs`` imports ``declaration`` and fails naming what is missing (a failed
import is not cached, so the next use tries again).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from dagster import AssetKey, AssetsDefinition, Definitions

from connector_assets.flows.core import FlowSpec
from connector_assets.flows.integration_settings import integration_variable

DECLARATION_MODULE = "declaration"


def cron_setting(spec: FlowSpec) -> str:
    """The setting holding a flow's cadence: ``ML_<INTEGRATION>_<FLOW>_CRON`` (the package's
    ``settings.toml`` declares it)."""
    return integration_variable(spec.integration, f"{spec.name}_CRON")


Resources = Callable[[], dict[str, Any]]


@dataclass(frozen=True)
class Flow:
    """One flow as its package declares it: its spec, its own assets (mapped, written and whatever its
    module adds) and the functions registering its replay handlers, the only place a flow's replays are
    registered. Each takes one optional argument, the resources a replay builds (today's settings'
    unless given: a benchmark or a test passes its own), and registers this flow's handler with what it
    needs (a held-parent check, a matches file loaded first)."""

    spec: FlowSpec
    assets: Sequence[Any]
    replays: Sequence[Callable[..., None]] = ()

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def cron_setting(self) -> str:
        return cron_setting(self.spec)


def register_flow_replays(flows: Iterable[Flow], resources: Resources | None = None) -> list[str]:
    """Register every flow's own replay handlers (a queued record is read again from its source, mapped
    with today's settings and tables, and written once), with ``resources`` when given; the names of the
    flows that registered none."""
    if resources is not None and not callable(resources):
        raise TypeError(f"replays take a function building their resources, got {type(resources).__name__}")
    without: list[str] = []
    for flow in flows:
        for register in flow.replays:
            register() if resources is None else register(resources)
        if not flow.replays:
            without.append(flow.name)
    return without


@dataclass(frozen=True)
class Declaration:
    """Everything one integration puts into Dagster and into ``ml-connector replay``.

    ``flows`` lists each flow (``Flow``) in the order records move; ``tables`` the
    mapping tables and master data the flows map with; ``assets``, ``jobs``, ``schedules`` and ``sensors``
    the rest (reconciliation, combined jobs, inbox sensors). ``shared`` names asset keys the top-level
    ``Definitions`` already defines (JDE tables, SaaS entities): a flow module may list them, the package
    never declares them twice. Replays are each flow's own (``Flow.replays``).
    """

    flows: Sequence[Flow]
    jobs: Sequence[Any]
    schedules: Sequence[Any]
    tables: Sequence[Any] = ()
    assets: Sequence[Any] = ()
    sensors: Sequence[Any] = ()
    shared: frozenset[AssetKey] = field(default_factory=frozenset)

    @property
    def flow_assets(self) -> dict[FlowSpec, Sequence[Any]]:
        """Each flow's own assets, by spec, in declaration order (what the job builders take)."""
        return {flow.spec: flow.assets for flow in self.flows}

    @property
    def specs(self) -> list[FlowSpec]:
        return [flow.spec for flow in self.flows]

    @classmethod
    def assembled(
        cls,
        flows: Sequence[Flow],
        built: Sequence[Any],
        reconciliation: tuple[Sequence[Any], Sequence[Any], Callable[[], Sequence[Any]]],
        *,
        jobs: Sequence[Any] = (),
        schedules: Sequence[Any] = (),
        **rest: Any,
    ) -> Declaration:
        """A package's declaration as every package makes it: ``flows``; the jobs and schedules ``built``
        (each a ``flows.jobs.BuiltJobs``) made for them, then the package's own ``jobs`` / ``schedules``,
        then its ``reconciliation``'s (``DayReconciliation.wiring``: assets, jobs, schedules); ``rest``
        the other fields (``tables``, ``sensors``, ``shared``)."""
        assets, reconciliation_jobs, reconciliation_schedules = reconciliation
        return cls(
            flows=flows,
            assets=assets,
            jobs=[*(job for b in built for job in b.every_job), *jobs, *reconciliation_jobs],
            schedules=[*(s for b in built for s in b.schedules), *schedules, *reconciliation_schedules()],
            **rest,
        )

    def register_replays(self, resources: Resources | None = None) -> list[str]:
        """Every flow's own replay handlers (``register_flow_replays``)."""
        return register_flow_replays(self.flows, resources)

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

    def definitions(self) -> Definitions:
        return Definitions(
            assets=self.own_assets(),
            jobs=list(self.jobs),
            schedules=list(self.schedules),
            sensors=list(self.sensors),
        )


def asset_keys(assets: Iterable[Any]) -> frozenset[AssetKey]:
    """Every key of ``assets`` (for ``Declaration.shared``)."""
    return frozenset(key for a in assets for key in (a.keys if isinstance(a, AssetsDefinition) else [a.key]))


class IntegrationPackage:
    """One integration package as the platform sees it: its name, its ``Definitions`` and its replay
    handlers, read from ``<package>.declaration`` on first use."""

    PUBLIC = ("defs", "register_replay_handlers")

    def __init__(self, package: str, integration: str) -> None:
        self.package = package
        self.integration = integration

    @property
    def declaration(self) -> Declaration:
        module = importlib.import_module(f"{self.package}.{DECLARATION_MODULE}")
        declared = getattr(module, "DECLARATION", None)
        if not isinstance(declared, Declaration):
            raise ImportError(f"{module.__name__} declares no DECLARATION (a flows.assembly.Declaration)")
        return declared

    @cached_property
    def defs(self) -> Definitions:
        return self.declaration.definitions()

    @property
    def systems(self) -> frozenset[str]:
        """The systems the package's flows reach (``Declaration.systems``)."""
        return self.declaration.systems()

    def register_replay_handlers(self, resources: Resources | None = None) -> list[str]:
        """``ml-connector replay``'s handlers for every flow of the package (with ``resources`` when
        given: a benchmark's own); the flows that registered none."""
        return self.declaration.register_replays(resources)

    def attribute(self, name: str) -> Any:
        """The package module's ``__getattr__``: ``defs`` and ``register_replay_handlers``, on first use."""
        if name in self.PUBLIC:
            return getattr(self, name)
        raise AttributeError(f"module {self.package!r} has no attribute {name!r}")
