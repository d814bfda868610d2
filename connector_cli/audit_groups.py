"""One id, several records: ``ml-connector audit`` groups what it finds by the system the id names a record
in.

Why: ids are only unique within a system. ``audit 1011`` finds JDE supplier 1011 and also Procurify vendor
1011, a different business record; listed together, the first lines a person reads may be the wrong one's.
Each cross-reference or audit event names the id as a source key (of its source system) or as a target id
(of its target system), so every line goes under the system it belongs to.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol


class _Named(Protocol):
    source_system: str | None
    target_system: str | None


def system_of(record_id: str, row: _Named, source_key: str | None, target_id: str | None) -> str:
    """The system in which ``record_id`` names this row's record: its source system when the id is the
    source key, else its target system."""
    if source_key == record_id or target_id != record_id:
        return row.source_system or "unknown system"
    return row.target_system or "unknown system"


def system_by_xref(record_id: str, row: Any, xrefs: Iterable) -> str:
    """The system of a row that names none (a retry-queue item or its event): that of the record's
    cross-reference in the same integration and entity."""
    for x in xrefs:
        if (x.integration, x.entity) == (row.integration, row.entity):
            return system_of(record_id, x, x.source_key, x.target_id)
    return "unknown system"


def _event_system(record_id: str, event: Any, xrefs: list) -> str:
    if event.source_system or event.target_system:
        return system_of(record_id, event, event.source_id, event.target_id)
    return system_by_xref(record_id, event, xrefs)


def grouped(record_id: str, xrefs: Iterable, events: Iterable) -> dict[str, tuple[list, list]]:
    """System -> (its cross-references, its audit events), systems in name order (case aside)."""
    xrefs = list(xrefs)
    groups: dict[str, tuple[list, list]] = {}
    for x in xrefs:
        groups.setdefault(system_of(record_id, x, x.source_key, x.target_id), ([], []))[0].append(x)
    for e in events:
        groups.setdefault(_event_system(record_id, e, xrefs), ([], []))[1].append(e)
    return dict(sorted(groups.items(), key=lambda pair: pair[0].casefold()))
