"""Finding an integration package's flows in its own modules: one copy for every package that lists its
flows as ``FLOWS`` (flow -> module -> cron setting), so the rules below hold the same for all of them.

Inside a flow's module the flow is the ``FlowSpec`` of the package's integration whose name is the flow's,
its assets the module-level ``*_assets`` lists (one of them holding its ``<flow>_mapped`` step), its
replays every ``register_*_replay*`` function the module itself defines. A listed module that fails to
import, or does not define its flow, raises an error naming it: a flow left out quietly would stop syncing
with nothing but a warning in a log. Each package keeps its own list, and what else it loads strictly, in
its ``wiring`` module; this is only how a module is read.

Mapping tables are ``MappingTable`` specs in the package's mapping modules; their asset is the one a module
of the package defines for it, else one built with the shared builder.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from dagster import AssetKey, AssetsDefinition

from connector_assets.flows.core import FlowSpec
from connector_assets.flows.mapping_tables import MappingTable, build_mapping_table_asset


@dataclass
class LandedFlow:
    """One flow of a package as its module defines it."""

    spec: FlowSpec
    module: ModuleType
    cron_setting: str
    assets: list[Any]  # the flow's own asset lists (mapped, written, and whatever its module adds)
    replays: list[Callable[[], None]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.spec.name


def is_plain_list(value: Any) -> bool:
    """A plain list or tuple (not a named tuple such as Dagster's partitions definitions)."""
    return type(value) in (list, tuple)


def asset_lists(module: ModuleType, suffixes: tuple[str, ...] = ("_assets",)) -> list[list[Any]]:
    """The module-level lists of assets (``*_assets``) the module itself defines."""
    return [
        list(value)
        for name, value in vars(module).items()
        if name.endswith(suffixes)
        and not name.startswith("_")
        and is_plain_list(value)
        and any(isinstance(item, AssetsDefinition) for item in value)
    ]


def module_assets(modules: Iterable[ModuleType]) -> dict[AssetKey, AssetsDefinition]:
    """Every asset the modules hold at module level (alone or in a plain list), by key; the first wins."""
    found: dict[AssetKey, AssetsDefinition] = {}
    for module in modules:
        for value in vars(module).values():
            items = value if is_plain_list(value) else [value]
            for item in items:
                if isinstance(item, AssetsDefinition):
                    for key in item.keys:
                        found.setdefault(key, item)
    return found


def register_replays(flows: Iterable[LandedFlow]) -> list[str]:
    """Register every flow's replay handlers (each flow module registers its own: a queued record is read
    again from its source, mapped with today's settings and tables, and written once); the names of the
    flows that registered none (their queued records cannot be replayed until their module offers a
    ``register_*_replays``)."""
    without: list[str] = []
    for flow in flows:
        for register in flow.replays:
            register()
        if not flow.replays:
            without.append(flow.name)
    return without


@dataclass(frozen=True)
class PackageWiring:
    """How the flows of one integration package (``package``, the dotted name) of ``integration`` are
    found in its modules."""

    package: str
    integration: str

    def module(self, name: str) -> ModuleType:
        """The package's module ``name`` (an import error propagates: it names the module and the cause)."""
        return importlib.import_module(f"{self.package}.{name}")

    def flow(self, name: str, module: ModuleType, cron_setting: str) -> LandedFlow:
        """The flow as ``module`` defines it; an error naming what is missing when it does not."""
        specs = [
            value
            for value in vars(module).values()
            if isinstance(value, FlowSpec) and value.integration == self.integration and value.name == name
        ]
        if not specs:
            raise ImportError(f"{module.__name__} defines no FlowSpec named {name!r} of {self.integration}")
        spec = specs[0]
        mapped = spec.key("mapped")
        own = [
            assets
            for assets in asset_lists(module)
            if any(isinstance(a, AssetsDefinition) and mapped in a.keys for a in assets)
        ]
        if not own:
            raise ImportError(f"{module.__name__} has no *_assets list holding {mapped.to_user_string()}")
        others = [assets for assets in asset_lists(module) if assets not in own]
        replays = [
            value
            for key, value in vars(module).items()
            if key.startswith("register_")
            and "replay" in key
            and callable(value)
            and getattr(value, "__module__", None) == module.__name__
        ]
        flat = [a for assets in [*own, *others] for a in assets]
        return LandedFlow(spec, module, cron_setting, flat, replays)

    def flow_table(self, *names: str) -> dict[str, tuple[str, str]]:
        """Flows each in the module of its name, on the cron setting of its name: ``suppliers`` ->
        (``suppliers``, ``ML_<INTEGRATION>_SUPPLIERS_CRON``), in the order given (how records move)."""
        return {name: (name, f"ML_{self.integration.upper()}_{name.upper()}_CRON") for name in names}

    def landed_flows(self, flows: Mapping[str, tuple[str, str]]) -> list[LandedFlow]:
        """Every flow of ``flows`` (flow -> (module, cron setting)), in that order."""
        return [
            self.flow(name, self.module(module_name), cron) for name, (module_name, cron) in flows.items()
        ]

    def mapping_tables(
        self, mapping_modules: Iterable[str], flows: Iterable[LandedFlow]
    ) -> tuple[list[MappingTable], list[AssetsDefinition]]:
        """The mapping tables (specs) in the package's ``mapping_modules`` and one asset each: the one a
        module of the package defines for it (a flow module or the table's own), else one built here."""
        modules = [self.module(name) for name in mapping_modules]
        tables = {
            value.asset: value
            for module in modules
            for value in vars(module).values()
            if isinstance(value, MappingTable)
        }
        defined = module_assets([*modules, *(flow.module for flow in flows)])
        assets = [
            defined.get(key) or build_mapping_table_asset(table, group=self.integration)
            for key, table in sorted(tables.items(), key=lambda item: item[0].to_user_string())
        ]
        return list(tables.values()), assets

    def reconciliation(self, module_name: str = "reconcile") -> tuple[list[Any], list[Any], list[Any]]:
        """The reconciliation's assets, jobs and schedules (``<module_name>``: ``reconciliation_assets``,
        ``reconciliation_jobs``, ``reconciliation_schedules()``); a missing or broken module raises."""
        module = self.module(module_name)
        return (
            list(module.reconciliation_assets),
            list(module.reconciliation_jobs),
            module.reconciliation_schedules(),
        )
