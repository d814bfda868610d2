"""What the enabled flows read and write in each system, derived from the flows themselves.

``ml-connector ping`` checks exactly this, so a table a flow reads is never missing from the check (a
hand-kept list once left out F0911, which the JD Edwards -> Coupa invoices flow reads by voucher number:
ping said JDE was fine and the flow then failed every partition). Two sources, no third list:

* the staged assets the flow's ``<flow>_mapped`` asset depends on in the ``Definitions``: a JDE source
  asset stands for its table (``JdeTable``), a SaaS source asset for its entity (``SaasEntity``);
* what the flow reaches directly, declared once on its ``FlowSpec`` (``reads`` / ``writes``) with the same
  names its code uses (e.g. ``DISTRIBUTION_TABLE``, ``CREATE_VOUCHERS``).

A flow is enabled when its mapped asset is in the ``Definitions``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from dagster import AssetKey, Definitions

from connector_assets.flows.core import FLOW_SPECS

# FlowSpec system names -> the ``ml-connector ping`` check of that system (the rest are the same).
PING_NAMES = {"JDE": "jde_ais"}


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


def flow_access(defs: Definitions | None = None) -> FlowAccess:
    """What every flow enabled in ``defs`` (the project's ``Definitions`` by default) reads and writes."""
    from connector_assets.jde.tables import JDE_TABLES
    from connector_assets.saas_assets import SAAS_ENTITIES

    if defs is None:
        from connector_assets.definitions import defs
    staged: dict[str, tuple[str, str]] = {t.asset: ("JDE", t.table) for t in JDE_TABLES}
    staged.update({s.asset: (s.system, s.entity) for s in SAAS_ENTITIES})
    graph = defs.resolve_asset_graph()
    access = FlowAccess()
    for flow, spec in sorted(FLOW_SPECS.items()):
        mapped = AssetKey(f"{flow}_mapped")
        if not graph.has(mapped):
            continue
        for parent in graph.get(mapped).parent_keys:
            if parent.to_user_string() in staged:
                system, name = staged[parent.to_user_string()]
                access.add("reads", system, name, flow)
        for kind, declared in (("reads", spec.reads), ("writes", spec.writes)):
            for system, names in declared.items():
                for name in names:
                    access.add(kind, system, name, flow)
    return access


def ping_needs(access: FlowAccess) -> Mapping[str, tuple[dict[str, list[str]], dict[str, list[str]]]]:
    """``{ping check name: (reads, writes)}`` for every system the enabled flows touch."""
    systems = sorted(set(access.reads) | set(access.writes))
    return {PING_NAMES.get(system, system): access.for_system(system) for system in systems}


def register_flow_pings(access: FlowAccess | None = None) -> FlowAccess:
    """Give each system's ``ml-connector ping`` check what the enabled flows need of it (call after
    ``register_core_pings``).

    JDE reads each table and looks each orchestration up in ``discover``. Coupa reads each entity and
    holds a token with each needed read and write scope (a SaaS write searches the entity first, so it
    reads it too). Any other system's check keeps its own reads and says its writes are not checked: no
    read-only way to prove write access is documented for it.
    """
    from connector_resources.coupa import register_coupa_ping
    from connector_resources.jde import register_jde_ping
    from connector_resources.ping import _checks, register_ping

    access = access or flow_access()
    for name, (reads, writes) in ping_needs(access).items():
        if name == "jde_ais":
            register_jde_ping(reads, writes)
        elif name == "coupa":
            register_coupa_ping(_merged(reads, writes), writes)
        elif name in _checks and writes:
            register_ping(name, _with_write_note(_checks[name], writes))
    return access


def _merged(*needs: Mapping[str, list[str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for need in needs:
        for name, flows in need.items():
            out.setdefault(name, []).extend(f for f in flows if f not in out[name])
    return out


def _with_write_note(check: Callable[[], str], writes: Mapping[str, list[str]]) -> Callable[[], str]:
    def checked() -> str:
        needs = "; ".join(f"{entity} ({', '.join(flows)})" for entity, flows in sorted(writes.items()))
        return f"{check()}; write access not checked (no read-only check documented): {needs}"

    return checked
