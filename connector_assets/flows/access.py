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

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

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
    staged: dict[AssetKey, tuple[str, str]] = {t.asset: ("JDE", t.table) for t in JDE_TABLES}
    staged.update({s.asset: (s.system, s.entity) for s in SAAS_ENTITIES})
    graph = defs.resolve_asset_graph()
    access = FlowAccess()
    for flow, spec in sorted(FLOW_SPECS.items()):
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
    return {PING_NAMES.get(system, system): access.for_system(system) for system in systems}


# The checks every ``ml-connector ping`` runs whatever the integrations: the connector's own stores.
CORE_PINGS = ("ledger", "vault")


def ping_checks(systems: Iterable[str]) -> list[str]:
    """The ping checks of ``systems`` (``FlowSpec`` names, e.g. the systems the chosen integrations reach)
    and the connector's own stores, in the order ``run_pings`` runs every check."""
    return sorted({*CORE_PINGS, *(PING_NAMES.get(system, system) for system in systems)})


def register_flow_pings(access: FlowAccess | None = None) -> FlowAccess:
    """Give each system's ``ml-connector ping`` check what the enabled flows need of it (call after
    ``register_core_pings``).

    JDE reads each table and looks each orchestration up in ``discover``. Coupa reads each entity and
    holds a token with each needed read and write scope (a SaaS write searches the entity first, so it
    reads it too). Procurify reads one row of each entity its flows read (a refusal names the flows), and
    says its writes are not checked. Any other system's check keeps its own reads and says its writes are
    not checked: no read-only way to prove write access is documented for it.
    """
    from connector_resources.coupa import register_coupa_ping
    from connector_resources.jde import register_jde_ping
    from connector_resources.ping import _checks, register_ping
    from connector_resources.procurify import register_procurify_ping

    access = access or flow_access()
    for name, (reads, writes) in ping_needs(access).items():
        if name == "jde_ais":
            register_jde_ping(reads, writes)
        elif name == "coupa":
            register_coupa_ping(_merged(reads, writes), writes)
        elif name == "procurify":
            register_procurify_ping(reads)  # reads each entity the flows read, naming them on a refusal
            if writes:
                register_ping(name, _with_write_note(_checks[name], writes))
        elif name == "procore" and name in _checks:
            register_ping(name, _with_write_note(_procore_with_line_reads(_checks[name], reads), writes))
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


# -- Procore: the line reads --------------------------------------------------------------------------

# The Procore reads ``ProcoreResource.ping`` makes itself (one small read of each, in every company).
PROCORE_CHECKED_READS = frozenset(
    {
        "vendors",
        "projects",
        "commitments",
        "requisitions",
        "commitment_change_orders",
        "cost_codes",
        "budget_line_items",
    }
)
# The lines of a record, each behind its own endpoint, read by the flows' own session methods
# (``connector_resources.procore.order_lines``). Each needs a record of its parent kind to ask about:
# name -> (parent list path under /rest/v1.0, paged?, how to read that parent's lines).
PROCORE_LINE_READS: dict[str, tuple[str, bool, Callable[[Any, int, int], Any]]] = {
    "commitment_line_items": (
        "purchase_order_contracts",
        True,
        lambda s, pid, cid: s.commitment_lines(pid, cid, "purchase_order_contracts"),
    ),
    "requisition_contract_items": (
        "requisitions",
        True,
        lambda s, pid, rid: list(s.requisition_lines(pid, rid)),
    ),
    # REST v2.0, a different API family: an app may read v1 change orders and still not their lines.
    "commitment_change_order_line_items": (
        "projects/{pid}/commitment_change_orders",
        False,
        lambda s, pid, coid: s.change_order_lines(pid, coid),
    ),
}
PROCORE_PROJECTS_SEARCHED = 5  # projects tried for a record whose lines can be read, per company


def _procore_with_line_reads(check: Callable[[], str], reads: Mapping[str, list[str]]) -> Callable[[], str]:
    """The ``procore`` check, then each line read the enabled flows declare (on the first record found
    in the first projects of each company), so ping proves what the mapped steps read: the v2 change
    order lines answered 404 on a Procore without that endpoint, and ping used to pass there. A read a
    flow declares that neither check knows fails ping, naming the flow, rather than going unchecked."""
    lines = {name: flows for name, flows in reads.items() if name not in PROCORE_CHECKED_READS}

    def checked() -> str:
        detail = check()
        if not lines:
            return detail
        unknown = [f"{n} ({', '.join(f)})" for n, f in sorted(lines.items()) if n not in PROCORE_LINE_READS]
        if unknown:
            raise RuntimeError(
                f"Procore: no check for the read(s) {'; '.join(unknown)} (connector_assets.flows.access)"
            )
        return f"{detail}; {procore_line_reads(lines)}"

    return checked


def procore_line_reads(lines: Mapping[str, list[str]], resource: Any = None) -> str:
    """Read the lines of one record for each name in ``lines`` (name -> flows needing it) in every
    company of ``resource`` (a ``ProcoreResource``; default: built from settings); raise a
    ``ProcoreError`` naming each read that failed and its flows. A name with no record to ask about in
    the projects searched is said to be not proved, not failed (a new company may have no change order)."""
    from connector_resources.procore import ProcoreError, ProcoreResource
    from connector_resources.procore.entities import API

    if resource is None:
        resource = ProcoreResource.initialized_from_settings()
    unproved: set[str] = set(lines)
    problems: list[str] = []
    for company in resource.company_ids():
        with resource.session(company) as session:
            for name in sorted(lines):
                parents, paged, read_lines = PROCORE_LINE_READS[name]
                for pid in session.project_ids()[:PROCORE_PROJECTS_SEARCHED]:
                    params = {"project_id": pid, "page": 1, "per_page": 1} if paged else {}
                    what = f"list {parents.format(pid=pid)} of project {pid} (ping)"
                    try:
                        response = session.call(
                            "GET", f"{API}/{parents.format(pid=pid)}", params=params, what=what
                        )
                        first = next(iter(session.decode(response, what) or []), None)
                        if first is None:
                            continue
                        read_lines(session, pid, int(first["id"]))
                    except ProcoreError as exc:
                        problems.append(f"{name} not readable ({exc}): needed by {', '.join(lines[name])}")
                    else:
                        unproved.discard(name)
                    break
    if problems:
        raise ProcoreError("Procore: " + " | ".join(problems))
    read = sorted(set(lines) - unproved)
    note = f"read lines: {', '.join(read)}" if read else "read no lines"
    if unproved:
        searched = f"the first {PROCORE_PROJECTS_SEARCHED} projects of each company"
        note += f"; not proved (no record in {searched}): {', '.join(sorted(unproved))}"
    return note
