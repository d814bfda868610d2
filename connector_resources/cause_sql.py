"""The records the exceptions hold (``exception_causes``), as a WHERE clause on the retry queue.

Why apart: the desk's queue reads pages of a queue that may hold 100,000 items in SQL. In "Needs a person"
it leaves out the records its exceptions list, and its Kinds table counts them under their cause's kind.
Naming each of 20,000 ids in a NOT IN made every page take 1.6 s on PostgreSQL, so the clause says what a
cause holds instead: every open ``mapping_missing`` record (each is held by its missing row's cause), the
records held on a key whose record holds them (``keys``), and the refused parents that are causes of
their own (``ids``, a few). It imports nothing of the ledger, so the ledger's queue reads can use it. A
test runs it against ``exception_causes`` on both databases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from connector_resources.needs_person import of_kind

__all__ = ["MAPPING_MISSING", "CauseScope"]

MAPPING_MISSING = "mapping_missing"
OPEN = ("failed", "held")  # the ledger's open statuses (``schema.QUEUE_OPEN_STATUSES``; a test checks)


@dataclass(frozen=True)
class CauseScope:
    """What the causes of a moment hold, in SQL's terms: ``keys`` the dependency keys whose held records a
    cause holds, ``ids`` the refused parents that are causes of their own; besides every open missing-row
    refusal."""

    keys: frozenset[str] = field(default_factory=frozenset)
    ids: frozenset[int] = field(default_factory=frozenset)

    def sql(self, t: sa.Table) -> Any:
        """The records some cause holds, as a WHERE clause on the retry queue ``t``; never NULL."""
        open_rows = t.c.status.in_(OPEN)
        held = [sa.and_(open_rows, of_kind(t.c.kind, MAPPING_MISSING))]
        if self.keys:
            held.append(sa.and_(t.c.status == "held", t.c.depends_on.in_(sorted(self.keys))))
        if self.ids:
            held.append(sa.and_(open_rows, t.c.id.in_(sorted(self.ids))))
        # a NULL kind or dependency makes its part NULL, not false: its negation must still be true
        return sa.func.coalesce(sa.or_(*held), sa.false(), type_=sa.Boolean)
