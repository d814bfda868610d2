"""What the enabled flows read and write in each system, derived from the flows themselves, for
``ml-connector ping`` (a hand-kept list once left out F0911: ping said JDE was fine, the flow failed).
Two sources, no third list: the source assets a flow's ``<flow>_mapped`` depends on, and its ``FlowSpec``'s
``reads`` / ``writes``. The flows are handed in: the kit never loads the definitions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from dagster import AssetKey, Definitions

from connector_assets.flows.records import FlowSpec
from connector_resources.flow_pings import ping_name, register_flow_needs


@dataclass
class FlowAccess:
    """system -> name (table, entity or orchestration) -> the flows needing it."""

    reads: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    writes: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def add(self, kind: str, system: str, name: str, flow: str) -> None:
        flows = getattr(self, kind).setdefault(system, {}).setdefault(name, [])
        if flow not in flows:
            flows.append(flow)

    def for_system(self, system: str) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        return self.reads.get(system, {}), self.writes.get(system, {})


def flow_access(defs: Definitions, specs: Mapping[str, FlowSpec]) -> FlowAccess:
    """What every flow of ``specs`` (a deployment's, by ``FlowSpec.flow``) enabled in ``defs`` (its
    ``Definitions``) reads and writes."""
    from connector_assets.jde.tables import JDE_TABLES
    from connector_assets.saas.assets import SAAS_ENTITIES

    staged: dict[AssetKey, tuple[str, str]] = {t.asset: ("JDE", t.table) for t in JDE_TABLES}
    staged.update({s.asset: (s.system, s.entity) for s in SAAS_ENTITIES})
    graph = defs.resolve_asset_graph()
    access = FlowAccess()
    for flow, spec in sorted(specs.items()):
        mapped = spec.key("mapped")
        if not graph.has(mapped):
            continue
        for parent in graph.get(mapped).parent_keys:
            if parent in staged:
                system, name = staged[parent]
                access.add("reads", system, name, flow)
        for kind, declared in (("reads", spec.reads), ("writes", spec.writes)):
            for system, names in declared.items():
                for name in names:
                    access.add(kind, system, name, flow)
    return access


def ping_needs(access: FlowAccess) -> Mapping[str, tuple[dict[str, list[str]], dict[str, list[str]]]]:
    """``{ping check name: (reads, writes)}`` for every system the enabled flows touch."""
    systems = sorted(set(access.reads) | set(access.writes))
    return {ping_name(system): access.for_system(system) for system in systems}


# The checks every ``ml-connector ping`` runs whatever the integrations: the connector's own stores.
CORE_PINGS = ("ledger", "vault")


def ping_checks(systems: Iterable[str]) -> list[str]:
    """The ping checks of ``systems`` (``FlowSpec`` names, e.g. the systems the chosen integrations reach)
    and the connector's own stores, in the order ``run_pings`` runs every check."""
    return sorted({*CORE_PINGS, *(ping_name(system) for system in systems)})


def register_flow_pings(access: FlowAccess) -> FlowAccess:
    """Give each system's ``ml-connector ping`` check what the enabled flows need of it (``flow_access``;
    call after ``register_core_pings``); how each system proves it is its own
    (``connector_resources.flow_pings``)."""
    for name, (reads, writes) in ping_needs(access).items():
        register_flow_needs(name, reads, writes)
    return access
