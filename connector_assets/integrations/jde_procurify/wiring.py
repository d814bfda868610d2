"""Which JDE <-> Procurify flows this package has, and what each brings: its ``FlowSpec``, its assets,
its cron setting and its replay registration, found in the flow's own module.

``FLOWS`` is the list (flow -> module -> cron setting, ``PackageWiring.flow_table``); inside a module the
flow is the ``FlowSpec`` whose
name is the flow's, its assets the module-level ``*_assets`` lists holding its ``<flow>_mapped`` step, its
replays every ``register_*_replay*`` function the module defines. A listed module that fails to import, or
does not define its flow, stops the package from loading with an error naming it: a flow left out quietly
would stop syncing with nothing but a warning in a log.

Mapping tables (``account_map.ACCOUNTS``, ``departments.DEPARTMENTS``) are ``MappingTable`` specs; their
asset is the one a module defines for it, else built here with the shared builder.

How a module is read is shared with the other packages (``connector_assets.flows.package_wiring``); this
module keeps the package's list.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dagster import AssetsDefinition

from connector_assets.flows.mapping_tables import MappingTable
from connector_assets.flows.package_wiring import LandedFlow, PackageWiring
from connector_assets.integrations.jde_procurify.integration import INTEGRATION

PACKAGE = "connector_assets.integrations.jde_procurify"

# Modules holding the mapping tables the flows map with.
MAPPING_MODULES = ("account_map", "departments")


_WIRING = PackageWiring(PACKAGE, INTEGRATION)
# Each flow in the module of its name, on ML_<INTEGRATION>_<FLOW>_CRON; in the order records move (master data
# first).
FLOWS = _WIRING.flow_table(
    "account_codes", "suppliers", "vendors", "purchase_orders", "po_links", "bills", "payments", "paid_marks"
)
# The package's module by name, and a module's flow: each raises naming what is missing.
_module = _WIRING.module
_flow = _WIRING.flow


def landed_flows() -> list[LandedFlow]:
    """Every flow of ``FLOWS``, in that order."""
    return _WIRING.landed_flows(FLOWS)


def mapping_tables(flows: Iterable[LandedFlow]) -> tuple[list[MappingTable], list[AssetsDefinition]]:
    """The mapping tables (specs) of the package and one asset each: the one a module of the package
    defines for it (a flow module or the table's own), else one built here."""
    return _WIRING.mapping_tables(MAPPING_MODULES, flows)


def reconciliation() -> tuple[list[Any], list[Any], list[Any]]:
    """The reconciliation's assets, jobs and schedules (``reconcile``)."""
    return _WIRING.reconciliation("reconcile.assets")
