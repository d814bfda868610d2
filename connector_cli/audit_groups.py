"""One id, several records: ``ml-connector audit`` groups what it finds by the system the id names a record
in, and ``--system`` names one of the systems the integrations know.

Why: ids are only unique within a system. ``audit 1011`` finds JDE supplier 1011 and also Procurify vendor
1011, a different business record; listed together, the first lines a person reads may be the wrong one's.
Each cross-reference or audit event names the id as a source key (of its source system) or as a target id
(of its target system), so every line goes under the system it belongs to. A retry-queue item (or an
event of one) names no system: it is keyed by its flow's source key, so its system is its flow's source
system, as the integration declares the flow (``declared_flows``), else that of the record's
cross-reference. A ``--system`` nobody declares is refused naming the known ones, as ``replay`` refuses an
unknown integration: a typo never reads as "nothing recorded".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import Any, Protocol

import click

UNKNOWN = "unknown system"
Flows = Callable[[], dict[tuple[str, str], tuple[str, str]]]


class _Named(Protocol):
    source_system: str | None
    target_system: str | None


@cache
def declared_flows() -> dict[tuple[str, str], tuple[str, str]]:
    """(integration, flow) -> (source system, target system) of every flow the integrations declare, the
    systems named as the ledger names them (``JDE``, ``coupa``, ``bill`` ...). Read on first need: it
    imports the integration packages."""
    from connector_assets.deployment import integration_components

    return {
        (spec.integration, spec.name): (spec.source_system, spec.target_system)
        for component in integration_components()
        for spec in component.specs
    }


def known_systems(flows: Flows = declared_flows) -> list[str]:
    """Every system a declared flow reads or writes, in name order (case aside)."""
    names = {system for pair in flows().values() for system in pair}
    return sorted(names, key=str.casefold)


def checked_system(system: str, recorded: Iterable[str] = (), flows: Flows = declared_flows) -> str:
    """``system`` as the ledger spells it (``jde`` -> ``JDE``), when a declared flow or one of the id's
    records (``recorded``) names it; else ``click.BadParameter`` naming the known systems."""
    known = [*known_systems(flows), *(name for name in recorded if name != UNKNOWN)]
    for name in known:
        if name.casefold() == system.strip().casefold():
            return name
    listed = ", ".join(sorted(set(known), key=str.casefold))
    raise click.BadParameter(f"no system {system!r}; known: {listed}", param_hint="--system")


def system_of(record_id: str, row: _Named, source_key: str | None, target_id: str | None) -> str:
    """The system in which ``record_id`` names this row's record: its source system when the id is the
    source key, else its target system."""
    if source_key == record_id or target_id != record_id:
        return row.source_system or UNKNOWN
    return row.target_system or UNKNOWN


def system_by_xref(record_id: str, row: Any, xrefs: Iterable, flows: Flows = declared_flows) -> str:
    """The system of a row that names none (a retry-queue item or its event): its flow's source system when
    the id is its source key (a queue item always is), else that of the record's cross-reference in the
    same integration and entity."""
    source_key = getattr(row, "source_key", None) or getattr(row, "source_id", None)
    declared = flows().get((row.integration, row.flow)) if source_key == record_id else None
    if declared is not None:
        return declared[0]
    for x in xrefs:
        if (x.integration, x.entity) == (row.integration, row.entity):
            return system_of(record_id, x, x.source_key, x.target_id)
    return UNKNOWN


def _event_system(record_id: str, event: Any, xrefs: list, flows: Flows) -> str:
    if event.source_system or event.target_system:
        return system_of(record_id, event, event.source_id, event.target_id)
    return system_by_xref(record_id, event, xrefs, flows)


def grouped(
    record_id: str, xrefs: Iterable, events: Iterable, flows: Flows = declared_flows
) -> dict[str, tuple[list, list]]:
    """System -> (its cross-references, its audit events), systems in name order (case aside)."""
    xrefs = list(xrefs)
    groups: dict[str, tuple[list, list]] = {}
    for x in xrefs:
        groups.setdefault(system_of(record_id, x, x.source_key, x.target_id), ([], []))[0].append(x)
    for e in events:
        groups.setdefault(_event_system(record_id, e, xrefs, flows), ([], []))[1].append(e)
    return dict(sorted(groups.items(), key=lambda pair: pair[0].casefold()))
