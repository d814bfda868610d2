"""The webhook inbox: deliveries stored durably before the receiver acknowledges them.

Storing one delivery or a group commit of many (redeliveries recognised by source and event id,
credential headers dropped), and reading and marking what the sensor processes. Separate because the
webhook receiver uses only this, on its own hot path.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from connector_resources.ledger import schema
from connector_resources.ledger.base import LedgerBase
from connector_resources.ledger.records import (
    InboxEvent,
    LedgerInputError,
    LedgerRecordNotFound,
    _now,
    _text,
    _to_json,
)
from connector_resources.redaction import get_logger, redact

log = get_logger("ledger")


# Headers that carry credentials rather than facts about the event; never persisted in the inbox.
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"})


@dataclass(frozen=True, slots=True)
class InboxDelivery:
    """A webhook delivery checked and ready to store: credential headers dropped, headers as JSON.

    Built (and so validated) before it joins a group commit, so one unusable delivery is refused on its
    own instead of failing the batch it would have shared with others.
    """

    source: str
    event_id: str
    body: bytes
    headers_json: str

    @property
    def label(self) -> str:
        return f"webhook {self.source} event {self.event_id}"

    @classmethod
    def of(cls, *, source: str, event_id: str, body: bytes, headers: Mapping[str, str]) -> InboxDelivery:
        """Check the arguments as ``Ledger.inbox_put`` does; ``LedgerInputError`` names the bad field."""
        record = f"webhook {source} event {event_id}"
        if not isinstance(body, bytes | bytearray | memoryview):
            raise LedgerInputError(f"{record}: field 'body' must be bytes, got {type(body).__name__}")
        if not isinstance(headers, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            raise LedgerInputError(f"{record}: field 'headers' must map header names to string values")
        kept = {k.lower(): v for k, v in headers.items() if k.lower() not in _CREDENTIAL_HEADERS}
        return cls(
            source=_text(record, "source", source, schema.NAME_LEN),
            event_id=_text(record, "event_id", event_id, schema.KEY_LEN),
            body=bytes(body),
            headers_json=_to_json(record, "headers", kept),
        )


def _inbox_row(delivery: InboxDelivery, received_at: datetime) -> dict[str, Any]:
    return {
        "source": delivery.source,
        "event_id": delivery.event_id,
        "received_at": received_at,
        "status": "pending",
        "attempts": 0,
        "body": delivery.body,
        "headers": delivery.headers_json,
    }


class InboxStore(LedgerBase):
    """The webhook inbox (a mixin of ``Ledger``)."""

    def inbox_put(
        self,
        *,
        source: str,
        event_id: str,
        body: bytes,
        headers: Mapping[str, str],
        conn: sa.Connection | None = None,
    ) -> bool:
        """Store a webhook delivery durably; False when this event was already stored (a redelivery).

        The receiver answers 2xx only after this returns, so an acknowledged event is never lost;
        the unique (source, event_id) makes the provider's at-least-once delivery exactly-once here.
        Credential headers (Authorization, Cookie, API keys) are dropped, not stored.
        """
        delivery = InboxDelivery.of(source=source, event_id=event_id, body=body, headers=headers)
        t = schema.webhook_inbox
        insert = (
            self._insert(t)
            .values(_inbox_row(delivery, _now()))
            .on_conflict_do_nothing(index_elements=[t.c.source, t.c.event_id])
            .returning(t.c.id)
        )
        with self._write(conn) as c:
            stored = c.execute(insert).first() is not None
        if not stored:
            log.info("duplicate delivery of %s ignored", delivery.label)
        return stored

    def inbox_put_many(
        self, deliveries: Sequence[InboxDelivery], *, conn: sa.Connection | None = None
    ) -> list[bool]:
        """Store several deliveries in one transaction; per delivery, True if stored, False if a redelivery.

        This is the webhook receiver's group commit: one write transaction (on SQLite one WAL fsync) for
        every event that arrived while the previous batch was committing, instead of one each. The
        semantics are ``inbox_put``'s, delivery by delivery: an event already in the inbox is not stored
        again, and when the same event appears twice in ``deliveries`` the first is stored and the second
        answers False. All or nothing: if the transaction fails, nothing of the batch is stored and the
        error propagates, so the caller can refuse every delivery in it.
        """
        if not deliveries:
            return []
        first: dict[tuple[str, str], InboxDelivery] = {}
        for delivery in deliveries:
            first.setdefault((delivery.source, delivery.event_id), delivery)
        with self._write(conn) as c:
            inserted = self._inbox_insert(c, list(first.values()), _now())
        stored = []
        for delivery in deliveries:
            key = (delivery.source, delivery.event_id)
            stored.append(key in inserted)
            if key in inserted:
                inserted.discard(key)  # a second copy in the same batch is a redelivery
            else:
                log.info("duplicate delivery of %s ignored", delivery.label)
        return stored

    def _inbox_insert(
        self, conn: sa.Connection, deliveries: list[InboxDelivery], now: datetime
    ) -> set[tuple[str, str]]:
        """Insert distinct deliveries in ``conn``'s transaction; the (source, event_id) of those inserted.

        The driver's own cursor, not SQLAlchemy Core: this runs once per group commit on the receiver's
        writer thread, and the Python it spends holds the GIL the event loop needs for HTTP. Under a wrk
        burst on SQLite, Core's insertmanyvalues (compile-cache lookup, per-row bind processing, result
        wrapping) put the writer thread at 91 us of user CPU per event; this path, at 43. The SQL is
        the same ``INSERT ... ON CONFLICT DO NOTHING`` in the same transaction (``_write`` still begins
        it, with BEGIN IMMEDIATE on SQLite, and commits it); the one typed value, ``received_at``, goes
        through the column type's own bind processor, so it is stored exactly as Core would store it.
        """
        t = schema.webhook_inbox
        # dialect_impl: the TypeDecorator's processor and the dialect's own (SQLite: the text format)
        received = t.c.received_at.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        received_at = received(now) if received is not None else now
        columns = "source, event_id, received_at, status, attempts, body, headers"
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            if self._dialect == "postgresql":
                # One multi-row statement: one round trip; RETURNING names the rows it inserted.
                values = ",".join(["(%s, %s, %s, 'pending', 0, %s, %s)"] * len(deliveries))
                params: list[object] = []
                for d in deliveries:
                    params += (d.source, d.event_id, received_at, d.body, d.headers_json)
                cursor.execute(
                    f"INSERT INTO {t.name} ({columns}) VALUES {values}"
                    " ON CONFLICT (source, event_id) DO NOTHING RETURNING source, event_id",
                    params,
                )
                return {(source, event_id) for source, event_id in cursor.fetchall()}
            # SQLite: one prepared statement (the sqlite3 module caches it) per row; rowcount says
            # whether that row was inserted. No round trips to save in an embedded database.
            sql = (
                f"INSERT INTO {t.name} ({columns}) VALUES (?, ?, ?, 'pending', 0, ?, ?)"
                " ON CONFLICT (source, event_id) DO NOTHING"
            )
            inserted = set()
            for d in deliveries:
                cursor.execute(sql, (d.source, d.event_id, received_at, d.body, d.headers_json))
                if cursor.rowcount == 1:
                    inserted.add((d.source, d.event_id))
            return inserted
        finally:
            cursor.close()

    def inbox_pending(
        self,
        *,
        source: str | None = None,
        after_id: int = 0,
        limit: int = 100,
        conn: sa.Connection | None = None,
    ) -> list[InboxEvent]:
        """Pending deliveries with id > ``after_id``, in arrival order (a sensor's cursor is the last id)."""
        t = schema.webhook_inbox
        query = sa.select(t).where(t.c.status == "pending", t.c.id > after_id)
        if source is not None:
            query = query.where(t.c.source == source)
        query = query.order_by(t.c.id).limit(limit)
        with self._read(conn) as c:
            return [self._inbox_event(row) for row in c.execute(query)]

    def inbox_mark(
        self, inbox_id: int, *, status: str, error: str | None = None, conn: sa.Connection | None = None
    ) -> None:
        """Record the outcome of processing a delivery; ``pending`` puts it back for another try."""
        record = f"webhook inbox row {inbox_id}"
        if status not in schema.INBOX_STATUSES:
            raise LedgerInputError(
                f"{record}: field 'status' is {status!r}; expected one of {', '.join(schema.INBOX_STATUSES)}"
            )
        if error is not None and not isinstance(error, str):
            raise LedgerInputError(f"{record}: field 'error' must be a string, got {type(error).__name__}")
        t = schema.webhook_inbox
        finished = status != "pending"
        update = (
            sa.update(t)
            .where(t.c.id == inbox_id)
            .values(
                status=status,
                error=redact(error) if error else None,
                processed_at=_now() if status == "processed" else None,
                attempts=t.c.attempts + 1 if finished else t.c.attempts,
            )
        )
        with self._write(conn) as c:
            if c.execute(update).rowcount == 0:
                raise LedgerRecordNotFound(f"{record} does not exist")

    @staticmethod
    def _inbox_event(row: sa.Row[Any]) -> InboxEvent:
        data = dict(row._mapping)
        data["body"] = bytes(data["body"])
        data["headers"] = json.loads(data["headers"])
        return InboxEvent(**data)
