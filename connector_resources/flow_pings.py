"""What each system's ``ml-connector ping`` check proves of the enabled flows' needs, system by system.

The flows say what they read and write in each system (``connector_assets.flows.access``); how a system
proves it is the system's own (JDE reads tables and looks orchestrations up, Coupa checks token scopes,
Procore reads line endpoints): its declaration's ``flow_ping`` (``connector_resources/<system>/system.py``).
A system without one keeps its own reads and says its writes are not checked: no read-only way to prove
write access is documented for it. So the flow kit names no system, and neither does this module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from connector_resources import configured_settings
from connector_resources.ping import _checks, register_ping
from connector_resources.systems import own_systems, system, system_named_in_flows

Needs = Mapping[str, list[str]]  # name (table, entity, orchestration) -> the flows needing it


def ping_name(name: str) -> str:
    """The ping check of the system a ``FlowSpec`` names ``name`` (``JDE`` -> ``jde_ais``)."""
    found = system_named_in_flows(name)
    return name if found is None else found.key


def register_flow_needs(name: str, reads: Needs, writes: Needs) -> None:
    """Give the ping check ``name`` what the enabled flows read and write (call after
    ``register_core_pings``): the system's ``flow_ping``, or its own check with the writes said unchecked."""
    declared = system(name)
    if declared.flow_ping is not None:
        declared.flow_ping(reads, writes)
    elif name in _checks and writes:
        register_ping(name, with_write_note(_checks[name], writes))


def merged(*needs: Needs) -> dict[str, list[str]]:
    """Several needs as one: each name with the flows of all, each flow once."""
    out: dict[str, list[str]] = {}
    for need in needs:
        for name, flows in need.items():
            out.setdefault(name, []).extend(f for f in flows if f not in out[name])
    return out


def with_write_note(check: Callable[[], str], writes: Needs) -> Callable[[], str]:
    """``check``, whose answer also says which writes it did not check (and for which flows)."""

    def checked() -> str:
        needs = "; ".join(f"{entity} ({', '.join(flows)})" for entity, flows in sorted(writes.items()))
        return f"{check()}; write access not checked (no read-only check documented): {needs}"

    return checked


def register_instance_pings(instances: Iterable[str]) -> list[str]:
    """A check per system an instance among ``instances`` reaches through a connection of its own
    (``bill@jde_bill_west``): the system's check (call after ``register_flow_needs``) run in the
    instance's scope, so its own account answers for what the flows need. The names, in order."""
    names = []
    for instance in instances:
        for declared in own_systems(instance):
            if declared.key in _checks:
                names.append(f"{declared.key}@{instance}")
                register_ping(names[-1], in_scope(_checks[declared.key], instance))
    return names


def in_scope(check: Callable[[], str], instance: str) -> Callable[[], str]:
    """``check`` run with ``instance``'s own connections standing for its systems' settings."""

    def scoped() -> str:
        with configured_settings.scope(instance):
            return f"{instance}'s own connection: {check()}"

    return scoped
