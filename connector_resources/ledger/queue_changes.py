"""What changed in the retry queue since a moment, and the days the changed records belong to.

Why: a record fixed outside a flow's run (abandoned or replayed at the desk, matched by hand, reopened)
changes its day's verdict, and nothing in a run evaluates that day again. A sensor reads the queue's
changes forward from its cursor (``updated_at``, indexed by ``ix_mlc_retry_queue_updated``) and has those
days' ``no_failed_records`` checks evaluated again; this is its read. The days come from the audit trail
in one query per chunk of records, not one per record (``QueueStore.partitions_of`` asks for one).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from connector_resources.ledger import schema
from connector_resources.ledger.base import LedgerBase
from connector_resources.ledger.queue import QueueStore
from connector_resources.ledger.records import QueueItem, _aware

CHUNK = 500  # source keys per IN list


class QueueChangeStore(LedgerBase):
    """The queue's changes since a moment (a mixin of ``Ledger``)."""

    def queue_changes(
        self, *, since: datetime, limit: int = 1000, conn: sa.Connection | None = None
    ) -> list[QueueItem]:
        """Items (in any state) last changed at or after ``since``, oldest change first, at most ``limit``.

        At or after: a reader that keeps the newest ``updated_at`` it read as its cursor sees an item
        changed in the same instant again rather than never; what it read twice it judges twice."""
        since = _aware("retry queue changes", "since", since)
        t = schema.retry_queue
        query = sa.select(t).where(t.c.updated_at >= since).order_by(t.c.updated_at, t.c.id).limit(limit)
        with self._read(conn) as c:
            return [QueueStore.queue_item(row) for row in c.execute(query)]

    def days_of_items(
        self, items: Sequence[QueueItem], *, conn: sa.Connection | None = None
    ) -> dict[int, list[str]]:
        """Item id -> the days (partitions) its flow met its record in, as the audit trail keeps them; an
        item of an unpartitioned flow (or never audited with a day) has none."""
        a = schema.audit_event
        wanted: dict[tuple[str, str], dict[str, list[int]]] = {}
        for item in items:
            wanted.setdefault((item.integration, item.flow), {}).setdefault(item.source_key, []).append(
                item.id
            )
        days: dict[int, list[str]] = {item.id: [] for item in items}
        with self._read(conn) as c:
            for (integration, flow), by_key in wanted.items():
                keys = sorted(by_key)
                for start in range(0, len(keys), CHUNK):
                    query = (
                        sa.select(a.c.source_id, a.c.partition_key)
                        .where(
                            a.c.integration == integration,
                            a.c.flow == flow,
                            a.c.source_id.in_(keys[start : start + CHUNK]),
                            a.c.partition_key.is_not(None),
                        )
                        .distinct()
                    )
                    for source_id, partition in c.execute(query):
                        for item_id in by_key[source_id]:
                            days[item_id].append(partition)
        return {item_id: sorted(set(found)) for item_id, found in days.items()}
