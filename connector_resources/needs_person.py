"""Whether an open record of the retry queue needs a person or clears by itself: the one predicate of the
day's check, the replay listing, the desk (in Python for a page's words, in SQL for its two views), the
fit report and the alerts.

Why one module: each of them used to ask the question itself, with its own fallback, and they drifted
apart (the day's check counted a record held on a refused parent as clearing by itself while the desk
and the listing put it in front of a person). The rule, decided once here:

1. Its kind (``person_kind``): a kind of the catalog says who acts (``refusals.KINDS``: ``flows`` or
   ``person``). A kind the catalog does not have (a group left by an older catalog) and an item with no
   kind at all (a row no code of ours queued) need a person: nobody said they clear by themselves, and a
   record wrongly left to the flows is never looked at, while one wrongly shown to a person costs a look.
   Today's catalog decides, as a replay maps with today's tables: the queue's ``attention`` column is what
   the catalog said when the item was queued, kept for whoever reads the table, not read back here.
2. A blocked child (``Outlived.parents``): a held record whose parent (``depends_on``) has an open item of
   a person's kind, and has not synced, needs a person at once, whatever its age: it is shown under that
   parent's exception (``blocked_records``). A parent that itself waits on the flows (held on its own
   parent, on a closed period) blocks nothing: its records wait with it, and outlive that wait like any.
3. A wait that outlived what it waits for (``refusals.wait_outlived``): held on a record that has synced
   but was not released, or waiting longer than ``ML_HELD_ALERT_HOURS`` (a close window timed from its end).

``needs_person`` is the rule in Python; ``needs_person_sql`` is the same rule as a WHERE clause, its kind
part generated from the catalog, never a copy of it (a test runs both against the ledger on every kind).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from connector_resources.refusals import FLOWS, GROUP_SEPARATOR, KINDS, code_of, wait_outlived

if TYPE_CHECKING:
    from connector_resources.ledger import Ledger, QueueItem

__all__ = [
    "CLEARING_KINDS",
    "Outlived",
    "clears_by_itself_sql",
    "needs_person",
    "needs_person_sql",
    "of_kind",
    "person_kind",
]

# The kinds that clear by themselves, from the catalog: what the SQL form tests a stored group against.
CLEARING_KINDS = tuple(code for code, info in KINDS.items() if info.attention == FLOWS)
CLOSE_WINDOW = "close_window"  # the wait timed from the window's end, not from the hold


def person_kind(kind: str | None) -> bool:
    """Whether a record of ``kind`` (a kind's code or a stored group, ``Refusal.group``) needs a person by its
    kind alone: a person's kind of the catalog, a kind the catalog does not have, or no kind at all (rule 1
    of the module docstring)."""
    info = KINDS.get(code_of(kind or ""))
    return info is None or info.attention != FLOWS


def _blocked_sentence(parent: Any) -> str:
    from connector_resources.blocked_records import blocked_sentence

    return blocked_sentence(parent)


@dataclass(frozen=True)
class Outlived:
    """What tells a wait that outlived what it waits for (rules 2 and 3): ``synced`` the dependency keys whose
    record has synced, ``after`` how long a wait is normal (``timedelta.max``: age alone never makes it a
    person's), ``now``, and ``parents``: dependency key -> the open item of a record held ones wait on that
    needs a person by its kind (``blocked_records.blocking_parents``, read for the keys not synced)."""

    synced: frozenset[str] = frozenset()
    after: timedelta = timedelta(hours=24)
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    parents: Mapping[str, QueueItem] = field(default_factory=dict)

    @classmethod
    def read(
        cls, ledger: Ledger, items: Iterable[QueueItem], *, after: timedelta, now: datetime | None = None
    ) -> Outlived:
        """What judges ``items``' waits, read from ``ledger``: which of the records their held ones wait for
        have synced (one grouped query), and which of the others need a person (``blocking_parents``)."""
        from connector_resources.blocked_records import blocking_parents

        keys = _held_keys(items)
        synced = frozenset(ledger.synced_dependencies(keys)) if keys else frozenset()
        parents = blocking_parents(ledger, keys - synced)
        return cls(synced, after, now or datetime.now(UTC), parents)

    @property
    def blocked(self) -> frozenset[str]:
        """The dependency keys whose held records are blocked children (rule 2), for the SQL form."""
        return frozenset(self.parents) - self.synced

    def how(self, item: QueueItem) -> str:
        """How ``item``'s wait outlived itself: "blocked" (the record it waits on needs a person), "synced"
        (that record synced, this one was not released), "overdue" (it waited longer than ``after``), or ""
        when it did not (a wait within bounds, or an item that is a person's by its kind)."""
        if not self.why(item):
            return ""
        held = item.status == "held" and bool(item.depends_on)
        if held and item.depends_on in self.blocked:
            return "blocked"
        return "synced" if held and item.depends_on in self.synced else "overdue"

    def why(self, item: QueueItem) -> str:
        """Why ``item``, waiting on the flows by its kind, needs a person now, in words; "" when it does not
        (within bounds) and for an item whose kind already makes it a person's."""
        if person_kind(item.kind):
            return ""
        depends_on = item.depends_on
        held = item.status == "held" and bool(depends_on)
        if held and depends_on in self.blocked:
            return _blocked_sentence(self.parents[depends_on or ""])
        return wait_outlived(
            attention=FLOWS,
            status=item.status,
            created_at=item.created_at,
            depends_on=depends_on,
            synced=bool(depends_on) and depends_on in self.synced,
            now=self.now,
            after=self.after,
            kind=item.kind or "",
            params=item.params,
        )


def _held_keys(items: Iterable[QueueItem]) -> frozenset[str]:
    """The dependency keys ``items``' held records wait for."""
    return frozenset(i.depends_on for i in items if i.status == "held" and i.depends_on)


def needs_person(item: QueueItem, outlived: Outlived | None = None) -> bool:
    """Whether the open queue ``item`` needs a person (the module docstring's rules): by its kind, or, given
    ``outlived``, because it is a blocked child or a wait that outlived what it waits for. Without
    ``outlived``, by its kind alone (what a day's share of refusals counts)."""
    return person_kind(item.kind) or (outlived is not None and bool(outlived.why(item)))


# -- the same rule in SQL, for the desk's filters --------------------------------------------------------


def of_kind(column: Any, code: str) -> Any:
    """``column`` (a stored group) is of kind ``code``: the code alone, or the code and its values."""
    prefix = f"{code}{GROUP_SEPARATOR}"
    return sa.or_(column == code, sa.func.substr(column, 1, len(prefix)) == prefix)


def clears_by_itself_sql(kind: Any) -> Any:
    """``not person_kind(kind)`` as SQL on the queue's ``kind`` column, generated from the catalog's clearing
    kinds (``CLEARING_KINDS``): false for a NULL kind or one the catalog does not have, never NULL."""
    return sa.and_(kind.is_not(None), sa.or_(*(of_kind(kind, code) for code in CLEARING_KINDS)))


def needs_person_sql(
    t: sa.Table,
    *,
    now: datetime,
    wait_hours: float = 0.0,
    synced: frozenset[str] = frozenset(),
    ended: frozenset[int] = frozenset(),
    blocked: frozenset[str] = frozenset(),
) -> Any:
    """``needs_person`` as a WHERE clause on the retry queue ``t``, never NULL (so its negation is the
    flows' view): by kind; held on a key of ``blocked`` (``Outlived.blocked``) or of ``synced``; queued
    before ``now`` less ``wait_hours`` (0: never), a close window aside, whose holds are timed from the
    window's end: ``ended`` the ids of those that outlived it (``QueueBrowseStore.ended_close_windows``)."""
    reasons: list[Any] = [sa.not_(clears_by_itself_sql(t.c.kind))]
    if wait_hours > 0:
        old = t.c.created_at < now - timedelta(hours=wait_hours)
        reasons.append(sa.and_(old, sa.not_(of_kind(sa.func.coalesce(t.c.kind, ""), CLOSE_WINDOW))))
    for keys in (synced, blocked):
        if keys:
            reasons.append(
                sa.and_(t.c.status == "held", t.c.depends_on.is_not(None), t.c.depends_on.in_(sorted(keys)))
            )
    if ended:
        reasons.append(t.c.id.in_(sorted(ended)))
    return sa.or_(*reasons)
