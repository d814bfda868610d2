"""Which JDE <-> Procurify flows this package has, and what each brings: its ``FlowSpec``, its assets,
its cron setting and its replay registration, found in the flow's own module.

``FLOWS`` is the list (flow -> module -> cron setting); inside a module the flow is the ``FlowSpec`` whose
name is the flow's, its assets the module-level ``*_assets`` lists holding its ``<flow>_mapped`` step, its
replays every ``register_*_replay*`` function the module defines. A listed module that fails to import, or
does not define its flow, stops the package from loading with an error naming it: a flow left out quietly
would stop syncing with nothing but a warning in a log.

Mapping tables (``account_map.ACCOUNTS``, ``departments.DEPARTMENTS``) are ``MappingTable`` specs; their
asset is the one a module defines for it, else built here with the shared builder.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from dagster import AssetKey, AssetsDefinition

from connector_assets.flows.core import FlowSpec
from connector_assets.flows.mapping_tables import MappingTable, build_mapping_table_asset
from connector_assets.integrations.jde_procurify.integration import INTEGRATION

PACKAGE = "connector_assets.integrations.jde_procurify"

# flow name -> (module, the setting holding its cron). Order: how records move (master data first).
FLOWS: dict[str, tuple[str, str]] = {
    "account_codes": ("account_codes", "ML_JDE_PROCURIFY_ACCOUNT_CODES_CRON"),
    "suppliers": ("suppliers", "ML_JDE_PROCURIFY_SUPPLIERS_CRON"),
    "vendors": ("vendors", "ML_JDE_PROCURIFY_VENDORS_CRON"),
    "purchase_orders": ("purchase_orders", "ML_JDE_PROCURIFY_PURCHASE_ORDERS_CRON"),
    "po_links": ("po_links", "ML_JDE_PROCURIFY_PO_LINKS_CRON"),
    "bills": ("bills", "ML_JDE_PROCURIFY_BILLS_CRON"),
    "payments": ("payments", "ML_JDE_PROCURIFY_PAYMENTS_CRON"),
    "paid_marks": ("paid_marks", "ML_JDE_PROCURIFY_PAID_MARKS_CRON"),
}
# Modules holding the mapping tables the flows map with.
MAPPING_MODULES = ("account_map", "departments")


@dataclass
class LandedFlow:
    """One flow of the package as its module defines it."""

    spec: FlowSpec
    module: ModuleType
    cron_setting: str
    assets: list[Any]  # the flow's own asset lists (mapped, written, and whatever its module adds)
    replays: list[Callable[[], None]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.spec.name


def _module(name: str) -> ModuleType:
    """The package's module ``name`` (an import error propagates: it names the module and the cause)."""
    return importlib.import_module(f"{PACKAGE}.{name}")


def _is_list(value: Any) -> bool:
    """A plain list or tuple (not a named tuple such as Dagster's partitions definitions)."""
    return type(value) in (list, tuple)


def _asset_lists(module: ModuleType, suffixes: tuple[str, ...] = ("_assets",)) -> list[list[Any]]:
    """The module-level lists of assets (``*_assets``) the module itself defines."""
    return [
        list(value)
        for name, value in vars(module).items()
        if name.endswith(suffixes)
        and not name.startswith("_")
        and _is_list(value)
        and any(isinstance(item, AssetsDefinition) for item in value)
    ]


def _flow(name: str, module: ModuleType, cron_setting: str) -> LandedFlow:
    """The flow as ``module`` defines it; an error naming what is missing when it does not."""
    specs = [
        value
        for value in vars(module).values()
        if isinstance(value, FlowSpec) and value.integration == INTEGRATION and value.name == name
    ]
    if not specs:
        raise ImportError(f"{module.__name__} defines no FlowSpec named {name!r} of {INTEGRATION}")
    spec = specs[0]
    mapped = AssetKey(f"{spec.flow}_mapped")
    own = [
        assets
        for assets in _asset_lists(module)
        if any(isinstance(a, AssetsDefinition) and mapped in a.keys for a in assets)
    ]
    if not own:
        raise ImportError(f"{module.__name__} has no *_assets list holding {mapped.to_user_string()}")
    others = [assets for assets in _asset_lists(module) if assets not in own]
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


def landed_flows() -> list[LandedFlow]:
    """Every flow of ``FLOWS``, in that order."""
    return [_flow(name, _module(module_name), cron) for name, (module_name, cron) in FLOWS.items()]


def _module_assets(modules: Iterable[ModuleType]) -> dict[AssetKey, AssetsDefinition]:
    found: dict[AssetKey, AssetsDefinition] = {}
    for module in modules:
        for value in vars(module).values():
            items = value if _is_list(value) else [value]
            for item in items:
                if isinstance(item, AssetsDefinition):
                    for key in item.keys:
                        found.setdefault(key, item)
    return found


def mapping_tables(flows: Iterable[LandedFlow]) -> tuple[list[MappingTable], list[AssetsDefinition]]:
    """The mapping tables (specs) of the package and one asset each: the one a module of the package
    defines for it (a flow module or the table's own), else one built here."""
    modules = [_module(name) for name in MAPPING_MODULES]
    tables = {
        value.asset: value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, MappingTable)
    }
    defined = _module_assets([*modules, *(flow.module for flow in flows)])
    assets = [
        defined.get(AssetKey(asset)) or build_mapping_table_asset(table, group=INTEGRATION)
        for asset, table in sorted(tables.items())
    ]
    return list(tables.values()), assets


def reconciliation() -> tuple[list[Any], list[Any], list[Any]]:
    """The reconciliation's assets, jobs and schedules (``reconcile``)."""
    module = _module("reconcile")
    return (
        list(module.reconciliation_assets),
        list(module.reconciliation_jobs),
        module.reconciliation_schedules(),
    )
