"""Which Oracle Fusion <-> Procurify flows this package has, and what each brings: its ``FlowSpec``, its
assets, its cron setting and its replay registration, found in the flow's own module.

``FLOWS`` is the list (flow -> module -> cron setting, ``PackageWiring.flow_table``); inside a module the
flow is the ``FlowSpec`` whose
name is the flow's, its assets the module-level ``*_assets`` lists holding its ``<flow>_mapped`` step, its
replays every ``register_*_replay*`` function the module defines. A listed module that fails to import, or
does not define its flow, stops the package from loading with an error naming it: a flow left out quietly
would stop syncing with nothing but a warning in a log. The same holds for the mapping tables' modules and
the two modules of master data the flows map with (``REQUIRED_EXTRAS``): Fusion's account combinations
(``charge_accounts``, read whole on its own schedule) and the manual vendor matches (``manual_matches``).

Mapping tables (``account_map.ACCOUNTS``, ``departments.DEPARTMENTS``) are ``MappingTable`` specs; their
asset is the one a module defines for it, else built here with the shared builder.

The day's reconciliation (``reconcile``) loads as strictly: a missing or broken module stops the package.

How a module is read is shared with the other packages (``connector_assets.flows.package_wiring``); this
module keeps the package's list and what else it loads.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from typing import Any

from dagster import AssetsDefinition

from connector_assets.asset_keys import asset_key
from connector_assets.flows.mapping_tables import MappingTable
from connector_assets.flows.package_wiring import LandedFlow, PackageWiring, is_plain_list, module_assets
from connector_assets.integrations.fusion_procurify.integration import INTEGRATION

PACKAGE = "connector_assets.integrations.fusion_procurify"

# Modules holding the mapping tables the flows map with.
MAPPING_MODULES = ("account_map", "departments")
# Master data the flows map with besides the mapping tables: module -> the asset it must define.
COMBINATIONS_ASSET = asset_key(INTEGRATION, "account_combinations")  # charge_accounts.COMBINATIONS_ASSET
MANUAL_MATCHES_LIST = "manual_match_assets"  # manual_matches: the manual vendor matches file's asset(s)
REQUIRED_EXTRAS = ("charge_accounts", "manual_matches")
RECONCILE_MODULE = "reconcile.assets"


_WIRING = PackageWiring(PACKAGE, INTEGRATION)
# Each flow in the module of its name, on ML_<INTEGRATION>_<FLOW>_CRON; in the order records move (master data
# first).
FLOWS = _WIRING.flow_table(
    "account_codes", "suppliers", "vendors", "purchase_orders", "invoices", "payment_status"
)
# The package's module by name, and a module's flow: each raises naming what is missing.
_module = _WIRING.module
_flow = _WIRING.flow


def missing_modules() -> list[str]:
    """The modules the package needs (flows, mapping tables, master data) that do not exist yet, by
    name: what a test says while the flows land one by one. Existing modules are not imported here."""
    wanted = [module for module, _cron in FLOWS.values()] + [*MAPPING_MODULES, *REQUIRED_EXTRAS]
    return [name for name in wanted if importlib.util.find_spec(f"{PACKAGE}.{name}") is None]


def landed_flows() -> list[LandedFlow]:
    """Every flow of ``FLOWS``, in that order."""
    return _WIRING.landed_flows(FLOWS)


def mapping_tables(flows: Iterable[LandedFlow]) -> tuple[list[MappingTable], list[AssetsDefinition]]:
    """The mapping tables (specs) of the package and one asset each: the one a module of the package
    defines for it (a flow module or the table's own), else one built here."""
    return _WIRING.mapping_tables(MAPPING_MODULES, flows)


def combinations_asset() -> AssetsDefinition:
    """Fusion's account combinations staged whole (``charge_accounts``): every charge account the
    Procurify -> Fusion flows build is checked against it. An error naming the module when it lacks it."""
    module = _module("charge_accounts")
    found = module_assets([module]).get(COMBINATIONS_ASSET)
    if found is None:
        raise ImportError(f"{module.__name__} defines no asset {COMBINATIONS_ASSET.to_user_string()}")
    return found


def manual_match_assets() -> list[AssetsDefinition]:
    """The manual vendor matches' asset(s) (``manual_matches.manual_match_assets``: the matches file
    loaded into the ledger as manual ``vendor`` xrefs). An error naming the module when it lacks them."""
    module = _module("manual_matches")
    value = getattr(module, MANUAL_MATCHES_LIST, None)
    assets = [a for a in value if isinstance(a, AssetsDefinition)] if is_plain_list(value) else []
    if not assets:
        raise ImportError(f"{module.__name__} has no {MANUAL_MATCHES_LIST} list of assets")
    return assets


def reconciliation() -> tuple[list[Any], list[Any], list[Any]]:
    """The reconciliation's assets, jobs and schedules (``reconcile``: ``reconciliation_assets``,
    ``reconciliation_jobs``, ``reconciliation_schedules()``).

    Strict like the flows: a reconcile module that is missing or fails to import stops the package.
    """
    return _WIRING.reconciliation(RECONCILE_MODULE)
