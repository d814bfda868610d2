"""Open records grouped by the one thing a person fixes for all of them: their cause.

Why: one missing mapping row (payment terms N45) refused 29 suppliers, and 36 orders and invoices waited on
those suppliers. The desk listed them as 65 rows, its Kinds table counted 29, the mapping page 30, and
``replay --dry-run`` printed two other numbers, though one row fixes them all. Every surface (the desk's
list, its Kinds table, the mapping and item pages, ``replay --dry-run``, the held-records alert, the day's
check) now shows one exception per cause with one count, all read through ``exception_causes``.

A cause is:

- a missing mapping row: a ``mapping_missing`` refusal's table and value (``mapping_gaps``). It holds the
  records refused for it and the records held on those (a supplier's orders). The fix is to add the row.
- a refused parent: an open record of a person's kind that other records are held on (the blocked
  children of ``needs_person``'s rule 2, ``blocked_records.blocking_parents``). It holds the parent and
  its children. If the parent was itself refused for a missing row, its records belong to that row's cause.
  The fix is the parent's own action.

A record refused for two missing rows is held by both causes. A record held on a record that itself waits
(a chain) waits with that record, as in ``needs_person``: no cause counts it.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import sqlalchemy as sa

from connector_resources.blocked_records import blocking_parents, what_is_wrong
from connector_resources.cause_sql import MAPPING_MISSING, CauseScope
from connector_resources.ledger import Ledger, QueueItem, schema
from connector_resources.mapping_gaps import MappingGap, mapping_gaps
from connector_resources.needs_person import of_kind
from connector_resources.refusal_actions import action_for
from connector_resources.refusals import GROUP_SEPARATOR

__all__ = ["Cause", "Held", "by_kind", "causes_of", "exception_causes", "holding", "scope_of"]

_CHUNK = 500  # keys a query names at once


@dataclass(frozen=True, slots=True)
class Held:
    """A record a cause holds, as much of its queue item as a cause needs (the item's own names): what
    lists it and links it, its kind and parameters (the missing rows), its reason (an example) and what it
    is held on. Not its payload: a cause of 20,000 records is read in a fraction of a second."""

    id: int
    integration: str
    flow: str
    entity: str
    source_key: str
    status: str
    reason: str
    kind: str | None = None
    params: dict[str, Any] | None = None
    depends_on: str | None = None

    @classmethod
    def of(cls, item: QueueItem) -> Held:
        return cls(
            item.id, item.integration, item.flow, item.entity, item.source_key, item.status, item.reason,
            item.kind, item.params, item.depends_on,
        )  # fmt: skip


def _columns() -> list[Any]:
    t = schema.retry_queue
    return [getattr(t.c, name) for name in Held.__slots__]


def _held(row: Any) -> Held:
    """A row of ``_columns()`` (in ``Held``'s order; positions, not a mapping: 35,000 rows are read for a
    page) as a ``Held``."""
    *head, params, depends_on = row
    return Held(*head, json.loads(params) if params else {}, depends_on)


Triple = tuple[
    str, str, str
]  # integration, entity, source key: what a dependency key names, its system aside


@dataclass(frozen=True)
class Cause:
    """One thing a person fixes for many records. ``key`` names it (``mapping_missing · <table> · <value>``
    or ``record · <dependency key>``). ``kind`` is the refused records' group, the kind under which the
    Kinds table counts it. ``what`` says what is wrong and ``fix`` what to do. ``refused`` holds the records
    refused for it, ``waiting`` the records held on those. ``gap`` is the missing row of a mapping cause.
    ``parent`` is the record of a refused-parent cause."""

    key: str
    kind: str
    what: str
    fix: str
    refused: tuple[Held, ...]
    waiting: tuple[Held, ...] = ()
    gap: MappingGap | None = None
    parent: QueueItem | None = None

    @cached_property
    def held(self) -> tuple[Held, ...]:
        """Every record the cause holds: the refused ones first, then those waiting on them."""
        return self.refused + self.waiting

    @property
    def count(self) -> int:
        """How many records the cause holds: the one number every surface shows."""
        return len(self.held)

    @cached_property
    def ids(self) -> frozenset[int]:
        return frozenset(item.id for item in self.held)

    @property
    def integration(self) -> str:
        return self.refused[0].integration

    def touches(self, integration: str | None = None, flow: str | None = None) -> bool:
        """Whether a record the cause holds is of ``integration`` and ``flow`` (None: any)."""
        return any(integration in (None, "", i.integration) and flow in (None, "", i.flow) for i in self.held)

    def said(self) -> str:
        """ "payment terms N45 has no row in jde_coupa/payment_terms_map: 65 records (29 suppliers
        refused for it, 36 invoices and purchase orders waiting on them)"."""
        refused = _entities(self.refused)
        parts = [f"{refused} {'refused for it' if self.gap else 'refused'}"]
        if self.waiting:
            parts.append(f"{_entities(self.waiting)} waiting on {'it' if len(self.refused) == 1 else 'them'}")
        return f"{self.what}: {self.count} record{'' if self.count == 1 else 's'} ({', '.join(parts)})"


def _entities(items: Iterable[Held]) -> str:
    """ "29 suppliers", "36 invoices and purchase orders", "1 supplier"."""
    counted = Counter(item.entity for item in items)
    total = sum(counted.values())
    several = total != 1
    names = " and ".join(f"{entity}s" if several else entity for entity in sorted(counted))
    return f"{total} {names or 'records'}"


def _triple(item: Held | QueueItem) -> Triple:
    return (item.integration, item.entity, item.source_key)


def _gaps(item: Held) -> list[MappingGap]:
    """The rows a missing-row refusal names; one without a value is still its table's (a gap of value "")."""
    params = item.params or {}
    return mapping_gaps(item.kind, params) or [
        MappingGap(str(params.get("what", "")), "", str(params.get("table", "")))
    ]


def _gap_key(item: Held, gap: MappingGap) -> str:
    """A mapping cause's key: its table (or, for a refusal naming none, the integration and what it calls
    the value) and the value."""
    table = gap.table.lstrip("$") or f"{item.integration}:{gap.what}"
    return GROUP_SEPARATOR.join(("mapping_missing", table, gap.value))


def causes_of(
    refused: Iterable[Held],
    parents: Mapping[str, QueueItem],
    children: Mapping[str, Iterable[Held]],
) -> list[Cause]:
    """The causes, most records first. ``refused`` holds the open ``mapping_missing`` records. ``parents``
    maps a dependency key to the open record of a person's kind that records are held on, and
    ``children`` maps that key to the records held on it (not synced). Reads nothing."""
    waiting: dict[Triple, list[Held]] = {}
    for key, parent in parents.items():
        waiting.setdefault(_triple(parent), []).extend(children.get(key, ()))
    rows: dict[str, tuple[MappingGap, dict[int, Held], dict[int, Held]]] = {}
    for item in refused:
        if item.kind is None or not _is_mapping(item.kind):
            continue
        for gap in _gaps(item):
            _, records, held = rows.setdefault(_gap_key(item, gap), (gap, {}, {}))
            if item.id not in records:
                records[item.id] = item
                held.update((child.id, child) for child in waiting.get(_triple(item), ()))
    causes = []
    for key, (gap, records, held) in rows.items():
        first = next(iter(records.values()))
        causes.append(
            Cause(
                key=key,
                kind=first.kind or "",
                what=f"{gap.what} {gap.value} has no row in {gap.table.lstrip('$') or 'its mapping table'}",
                fix=action_for(first.kind, first.params),
                refused=tuple(records.values()),
                waiting=tuple(held[i] for i in sorted(held)),
                gap=gap,
            )
        )
    for key, parent in parents.items():
        held_on = tuple(sorted(children.get(key, ()), key=lambda i: i.id))
        if not held_on or _is_mapping(parent.kind or ""):
            continue  # nothing waits on it, or its records are its missing row's
        causes.append(
            Cause(
                key=GROUP_SEPARATOR.join(("record", key)),
                kind=parent.kind or "",
                what=f"{parent.entity} {parent.source_key} ({what_is_wrong(parent)})",
                fix=action_for(parent.kind, parent.params) or "read the reason, then replay or abandon it",
                refused=(Held.of(parent),),
                waiting=held_on,
                parent=parent,
            )
        )
    return sorted(causes, key=lambda c: (-c.count, c.key))


def _is_mapping(kind: str) -> bool:
    return kind == MAPPING_MISSING or kind.startswith(f"{MAPPING_MISSING}{GROUP_SEPARATOR}")


def exception_causes(ledger: Ledger) -> list[Cause]:
    """The causes of the ledger's open records (``causes_of``), read in a few queries: every open mapping
    refusal, the records held ones wait on that need a person, and those held ones."""
    t = schema.retry_queue
    mapping = sa.select(*_columns()).where(
        t.c.status.in_(schema.QUEUE_OPEN_STATUSES), of_kind(t.c.kind, MAPPING_MISSING)
    )
    held_keys = ledger.held_dependencies()
    synced = ledger.synced_dependencies(held_keys) if held_keys else frozenset()
    parents = blocking_parents(ledger, held_keys - synced)
    children: dict[str, list[Held]] = {}
    keys = sorted(parents)
    with ledger.read_transaction() as conn:
        refused = [_held(row) for row in conn.execute(mapping.order_by(t.c.created_at, t.c.id))]
        for start in range(0, len(keys), _CHUNK):
            on = t.c.depends_on.in_(keys[start : start + _CHUNK])
            for row in conn.execute(sa.select(*_columns()).where(t.c.status == "held", on)):
                children.setdefault(str(row.depends_on), []).append(_held(row))
    return causes_of(refused, parents, children)


def scope_of(causes: Iterable[Cause]) -> CauseScope:
    """What ``causes`` hold, in SQL's terms (``cause_sql``): the keys their waiting records are held on,
    and their parents of their own."""
    causes = list(causes)
    keys = frozenset(item.depends_on for cause in causes for item in cause.waiting if item.depends_on)
    ids = frozenset(cause.parent.id for cause in causes if cause.parent is not None)
    return CauseScope(keys, ids)


def holding(causes: Iterable[Cause], ids: Iterable[int]) -> list[Cause]:
    """The causes that hold any of the records ``ids``, in their order."""
    wanted = frozenset(ids)
    return [cause for cause in causes if cause.ids & wanted]


def by_kind(
    causes: Iterable[Cause], others: Iterable[tuple[str, int]], shown: frozenset[int]
) -> list[tuple[str, int]]:
    """Records counted by kind, most first: each cause's records among ``shown`` (those a filter shows)
    under the cause's kind, once each, beside ``others`` (the other records' counts by their own kind). With
    every record shown, a kind of one cause counts what the cause holds (the desk's Kinds table)."""
    held: dict[str, set[int]] = defaultdict(set)
    for cause in causes:
        held[cause.kind] |= cause.ids & shown
    counts = dict(others)
    for kind, ids in held.items():
        if ids:
            counts[kind] = counts.get(kind, 0) + len(ids)
    return sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
