"""Cursors: each stream's high-water mark for incremental extraction, which never moves backwards.

A concern of its own: the one piece of the ledger the extract side uses, with no tie to what was
written.
"""

from __future__ import annotations

import sqlalchemy as sa

from connector_resources.ledger import schema
from connector_resources.ledger.base import LedgerBase
from connector_resources.ledger.records import _now, _text


class CursorStore(LedgerBase):
    """Stream cursors (a mixin of ``Ledger``)."""

    def get_cursor(self, integration: str, stream: str, *, conn: sa.Connection | None = None) -> str | None:
        """The high-water mark of a stream, or None before its first successful extract."""
        t = schema.cursor
        query = sa.select(t.c.value).where(t.c.integration == integration, t.c.stream == stream)
        with self._read(conn) as c:
            return c.execute(query).scalar()

    def advance_cursor(
        self, integration: str, stream: str, value: str, *, conn: sa.Connection | None = None
    ) -> bool:
        """Move a cursor forward to ``value``; returns False (and changes nothing) if it is not ahead.

        Never moving backwards protects against a slow, stale run finishing after a newer one and
        rewinding the mark (which would re-read, or worse, skip). Values compare as strings, byte by
        byte on both databases, so callers use sortable formats (ISO timestamps, zero-padded ids).
        """
        record = f"cursor {integration}/{stream}"
        values = {
            "integration": _text(record, "integration", integration, schema.NAME_LEN),
            "stream": _text(record, "stream", stream, schema.FLOW_LEN),
            "value": _text(record, "value", value, 10_000),
            "updated_at": _now(),
        }
        t = schema.cursor
        insert = self._insert(t).values(**values)
        current, proposed = t.c.value, insert.excluded.value
        if self._dialect == "postgresql":
            # Byte order, not the database's locale collation (which may ignore punctuation).
            current, proposed = sa.collate(current, "C"), sa.collate(proposed, "C")
        upsert = insert.on_conflict_do_update(
            index_elements=[t.c.integration, t.c.stream],
            set_={"value": insert.excluded.value, "updated_at": insert.excluded.updated_at},
            where=current < proposed,
        ).returning(t.c.value)
        with self._write(conn) as c:
            return c.execute(upsert).first() is not None
