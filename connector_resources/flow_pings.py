"""What each system's ``ml-connector ping`` check proves of the enabled flows' needs, system by system.

The flows say what they read and write in each system (``connector_assets.flows.access``); how a system
proves it is the system's own (JDE reads tables and looks orchestrations up, Coupa checks token scopes,
Procore reads line endpoints). That knowledge lives here, beside the clients, so the flow kit names no
system and a new system's check is added where its client is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from connector_resources.ping import _checks, register_ping

# FlowSpec system names -> the ``ml-connector ping`` check of that system (the rest are the same).
PING_NAMES = {"JDE": "jde_ais"}

Needs = Mapping[str, list[str]]  # name (table, entity, orchestration) -> the flows needing it


def ping_name(system: str) -> str:
    """The ping check of ``system`` as a ``FlowSpec`` names it."""
    return PING_NAMES.get(system, system)


def register_flow_needs(name: str, reads: Needs, writes: Needs) -> None:
    """Give the ping check ``name`` what the enabled flows read and write (call after
    ``register_core_pings``).

    JDE reads each table and looks each orchestration up in ``discover``. Coupa reads each entity and
    holds a token with each needed read and write scope (a SaaS write searches the entity first, so it
    reads it too). Procurify reads one row of each entity its flows read (a refusal names the flows), and
    says its writes are not checked. Procore adds one read of each line endpoint the flows read. Any other
    system's check keeps its own reads and says its writes are not checked: no read-only way to prove write
    access is documented for it.
    """
    if name == "jde_ais":
        from connector_resources.jde import register_jde_ping

        register_jde_ping(reads, writes)
    elif name == "coupa":
        from connector_resources.coupa import register_coupa_ping

        register_coupa_ping(_merged(reads, writes), writes)
    elif name == "procurify":
        from connector_resources.procurify import register_procurify_ping

        register_procurify_ping(reads)  # reads each entity the flows read, naming them on a refusal
        if writes:
            register_ping(name, _with_write_note(_checks[name], writes))
    elif name == "procore" and name in _checks:
        from connector_resources.procore.line_pings import with_line_reads

        register_ping(name, _with_write_note(with_line_reads(_checks[name], reads), writes))
    elif name in _checks and writes:
        register_ping(name, _with_write_note(_checks[name], writes))


def _merged(*needs: Needs) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for need in needs:
        for name, flows in need.items():
            out.setdefault(name, []).extend(f for f in flows if f not in out[name])
    return out


def _with_write_note(check: Callable[[], str], writes: Needs) -> Callable[[], str]:
    def checked() -> str:
        needs = "; ".join(f"{entity} ({', '.join(flows)})" for entity, flows in sorted(writes.items()))
        return f"{check()}; write access not checked (no read-only check documented): {needs}"

    return checked
