"""The ledger's tables, as SQLAlchemy Core metadata.

This module is what the code queries against and what ``compare_metadata`` checks the migrated
database against; the tables themselves are only ever created by the alembic revisions in
``migrations/versions`` (a test proves the two agree). Every name starts with ``mlc_`` so the ledger
can share a database, even a schema, with Dagster's own storage.

Indexes are chosen for the look-ups that run per record at millions of rows: xref by source key
(the unique constraint) and by target id, audit history by either id, the retry queue's "due now"
scan, and the inbox's pending rows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

XREF_STATES = ("pending", "synced")
AUDIT_ACTIONS = ("create", "update", "skip", "hold", "fail", "replay", "adopt", "release")
QUEUE_STATUSES = ("failed", "held", "resolved", "abandoned")
QUEUE_OPEN_STATUSES = ("failed", "held")
INBOX_STATUSES = ("pending", "processed", "failed")

# Column widths the API validates against, so a too-long key is a clear error on SQLite too (SQLite
# ignores VARCHAR lengths; PostgreSQL would reject the row with a less helpful message).
NAME_LEN = 64  # integration, entity, system names
FLOW_LEN = 128
KEY_LEN = 255  # source keys, target ids, event ids
HASH_LEN = 128
STATUS_LEN = 16
RUN_ID_LEN = 64
DEPENDS_ON_LEN = 512
SECRET_NAME_LEN = 200

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY; PostgreSQL gets BIGSERIAL.
BigIntId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# Partial-index predicates, written as SQL text so the DDL and the ON CONFLICT targets that must
# match them (SQLite compares the two) are literally the same expression on both databases.
XREF_TARGET_PRESENT = "target_id IS NOT NULL"
QUEUE_OPEN_PREDICATE = "status IN ('failed', 'held')"


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timestamp that is always a timezone-aware UTC ``datetime`` in Python.

    PostgreSQL stores ``timestamptz`` and hands back the session's zone; SQLite stores text and
    drops the offset altogether. Normalising both to UTC here means no caller ever compares an aware
    and a naive datetime (which raises) or reads a local time as UTC (which is silently wrong).
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}: {value!r}")
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()}: pass a timezone-aware (UTC) value")
        value = value.astimezone(UTC)
        # SQLite keeps text without an offset; everything stored there is UTC by construction.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


metadata = sa.MetaData()

xref = sa.Table(
    "mlc_xref",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("integration", sa.String(NAME_LEN), nullable=False),
    sa.Column("entity", sa.String(NAME_LEN), nullable=False),
    sa.Column("source_system", sa.String(NAME_LEN), nullable=False),
    sa.Column("source_key", sa.String(KEY_LEN), nullable=False),
    sa.Column("target_system", sa.String(NAME_LEN), nullable=False),
    # Null while only the intent is recorded: the create has not returned an id yet.
    sa.Column("target_id", sa.String(KEY_LEN), nullable=True),
    sa.Column("content_hash", sa.String(HASH_LEN), nullable=True),
    sa.Column("state", sa.String(STATUS_LEN), nullable=False),
    sa.Column("manual", sa.Boolean(), nullable=False),
    sa.Column("note", sa.Text(), nullable=True),
    sa.Column("entered_by", sa.String(KEY_LEN), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    # The exclusive lease of the run (or replay) writing the record now, until it records the target id
    # or fails; the expiry ends a killed run's lease by itself (``Ledger.claim_xref``). Null: not leased.
    sa.Column("lease_owner", sa.String(RUN_ID_LEN), nullable=True),
    sa.Column("lease_expires_at", UTCDateTime(), nullable=True),
    sa.UniqueConstraint(
        "integration", "entity", "source_system", "source_key", "target_system", name="uq_mlc_xref_source"
    ),
    sa.CheckConstraint(_in("state", XREF_STATES), name="ck_mlc_xref_state"),
    # One target record is never claimed by two source records.
    sa.Index(
        "uq_mlc_xref_target",
        "integration",
        "entity",
        "target_system",
        "target_id",
        unique=True,
        sqlite_where=sa.text(XREF_TARGET_PRESENT),
        postgresql_where=sa.text(XREF_TARGET_PRESENT),
    ),
    # target_id leads so the same index serves "by target system + id" (webhooks) and "by id alone"
    # (``ml-connector audit <id>``, where the operator does not say which system the id is from).
    sa.Index("ix_mlc_xref_target", "target_id", "target_system"),
    # source_key alone, for the same operator look-up by source key; the unique key starts elsewhere.
    sa.Index("ix_mlc_xref_source_key", "source_key"),
)

audit_event = sa.Table(
    "mlc_audit_event",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("integration", sa.String(NAME_LEN), nullable=False),
    sa.Column("flow", sa.String(FLOW_LEN), nullable=False),
    sa.Column("entity", sa.String(NAME_LEN), nullable=True),
    sa.Column("source_system", sa.String(NAME_LEN), nullable=True),
    sa.Column("source_id", sa.String(KEY_LEN), nullable=True),
    sa.Column("target_system", sa.String(NAME_LEN), nullable=True),
    sa.Column("target_id", sa.String(KEY_LEN), nullable=True),
    sa.Column("action", sa.String(STATUS_LEN), nullable=False),
    sa.Column("run_id", sa.String(RUN_ID_LEN), nullable=True),
    sa.Column("partition_key", sa.String(KEY_LEN), nullable=True),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("detail", sa.Text(), nullable=True),
    sa.CheckConstraint(_in("action", AUDIT_ACTIONS), name="ck_mlc_audit_event_action"),
    sa.Index("ix_mlc_audit_event_source_id", "source_id"),
    sa.Index("ix_mlc_audit_event_target_id", "target_id"),
    sa.Index("ix_mlc_audit_event_flow_at", "integration", "flow", "at"),
    # A flow's events of one partition (the per-day asset check and figures, ``Ledger.partition_queue``).
    sa.Index("ix_mlc_audit_event_partition", "integration", "flow", "partition_key"),
)

retry_queue = sa.Table(
    "mlc_retry_queue",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("integration", sa.String(NAME_LEN), nullable=False),
    sa.Column("flow", sa.String(FLOW_LEN), nullable=False),
    sa.Column("entity", sa.String(NAME_LEN), nullable=False),
    sa.Column("source_key", sa.String(KEY_LEN), nullable=False),
    sa.Column("payload", sa.Text(), nullable=False),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("status", sa.String(STATUS_LEN), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
    sa.Column("depends_on", sa.String(DEPENDS_ON_LEN), nullable=True),
    sa.Column("last_run_id", sa.String(RUN_ID_LEN), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("resolved_at", UTCDateTime(), nullable=True),
    sa.CheckConstraint(_in("status", QUEUE_STATUSES), name="ck_mlc_retry_queue_status"),
    sa.CheckConstraint("attempts >= 0", name="ck_mlc_retry_queue_attempts"),
    # At most one open item per record and flow; closed items are history and may repeat.
    sa.Index(
        "uq_mlc_retry_queue_open",
        "integration",
        "flow",
        "source_key",
        unique=True,
        sqlite_where=sa.text(QUEUE_OPEN_PREDICATE),
        postgresql_where=sa.text(QUEUE_OPEN_PREDICATE),
    ),
    sa.Index("ix_mlc_retry_queue_due", "status", "next_attempt_at"),
    sa.Index("ix_mlc_retry_queue_depends_on", "depends_on"),
)

# The processes holding leases for an owner (a run id, a replay's id): written in the claim's transaction,
# so a lease is never on disk without the process that holds it. A lease whose owner's processes have all
# provably ended (``process_identity``) is taken over at once instead of after its expiry.
lease_holder = sa.Table(
    "mlc_lease_holder",
    metadata,
    sa.Column("owner", sa.String(RUN_ID_LEN), primary_key=True),
    sa.Column("process", sa.String(KEY_LEN), primary_key=True),  # ``ProcessIdentity.as_text()``
    sa.Column("registered_at", UTCDateTime(), nullable=False),
    sa.Index("ix_mlc_lease_holder_registered", "registered_at"),
)

# Which replay took a queue item (``Ledger.take_queue_item``) and the hold it put on the item: a replay
# killed holding items leaves them due again as soon as its process is known to have ended.
queue_take = sa.Table(
    "mlc_queue_take",
    metadata,
    sa.Column("item_id", BigIntId, primary_key=True),
    sa.Column("owner", sa.String(RUN_ID_LEN), nullable=False),
    sa.Column("until", UTCDateTime(), nullable=False),
)

cursor = sa.Table(
    "mlc_cursor",
    metadata,
    sa.Column("integration", sa.String(NAME_LEN), primary_key=True),
    sa.Column("stream", sa.String(FLOW_LEN), primary_key=True),
    sa.Column("value", sa.Text(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)

webhook_inbox = sa.Table(
    "mlc_webhook_inbox",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("source", sa.String(NAME_LEN), nullable=False),
    sa.Column("event_id", sa.String(KEY_LEN), nullable=False),
    sa.Column("received_at", UTCDateTime(), nullable=False),
    sa.Column("processed_at", UTCDateTime(), nullable=True),
    sa.Column("status", sa.String(STATUS_LEN), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("error", sa.Text(), nullable=True),
    sa.Column("body", sa.LargeBinary(), nullable=False),
    sa.Column("headers", sa.Text(), nullable=False),
    sa.UniqueConstraint("source", "event_id", name="uq_mlc_webhook_inbox_event"),
    sa.CheckConstraint(_in("status", INBOX_STATUSES), name="ck_mlc_webhook_inbox_status"),
    sa.Index("ix_mlc_webhook_inbox_pending", "status", "id"),
)

secret = sa.Table(
    "mlc_secret",
    metadata,
    sa.Column("name", sa.String(SECRET_NAME_LEN), primary_key=True),
    sa.Column("ciphertext", sa.Text(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)

TABLE_PREFIX = "mlc_"
# alembic's bookkeeping for the ledger; Dagster's PostgreSQL storage owns plain "alembic_version".
VERSION_TABLE = "mlc_alembic_version"


def belongs_to_ledger(name: str | None, type_: str, parent_names: Any = None) -> bool:
    """alembic ``include_name`` hook: only look at the ledger's own tables.

    Without it, autogenerate in a database shared with Dagster would propose dropping Dagster's
    tables, and ``compare_metadata`` would report them as differences.
    """
    if type_ == "table":
        return bool(name) and name.startswith(TABLE_PREFIX) and name != VERSION_TABLE
    return True
