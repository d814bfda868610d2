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


# Every column name means one thing in every table, so its type is said once, here; a table names its
# columns in order with ``_required`` / ``_optional`` / ``_key`` (the DDL is the revisions' to the byte).
_COLUMN_TYPES: dict[str, sa.types.TypeEngine[Any]] = {
    **dict.fromkeys(
        ("integration", "entity", "source_system", "target_system", "source"), sa.String(NAME_LEN)
    ),
    **dict.fromkeys(("flow", "stream"), sa.String(FLOW_LEN)),
    **dict.fromkeys(
        (
            "source_key",
            "target_id",
            "entered_by",
            "actor",
            "source_id",
            "partition_key",
            "process",
            "event_id",
        ),
        sa.String(KEY_LEN),
    ),
    **dict.fromkeys(("state", "action", "status", "role"), sa.String(STATUS_LEN)),
    **dict.fromkeys(("lease_owner", "run_id", "last_run_id", "owner"), sa.String(RUN_ID_LEN)),
    **dict.fromkeys(
        (
            "note",
            "reason",
            "detail",
            "payload",
            "value",
            "error",
            "headers",
            "ciphertext",
            "origin",
            "old_value",
            "new_value",
            "params",
            "result",
        ),
        sa.Text(),
    ),
    **dict.fromkeys(
        (
            "created_at",
            "updated_at",
            "lease_expires_at",
            "at",
            "next_attempt_at",
            "resolved_at",
            "registered_at",
            "until",
            "received_at",
            "processed_at",
            "expires_at",
        ),
        UTCDateTime(),
    ),
    **dict.fromkeys(("first_day", "last_day"), sa.String(STATUS_LEN)),  # YYYY-MM-DD
    "flows": sa.Text(),
    "content_hash": sa.String(HASH_LEN),
    "password_hash": sa.String(HASH_LEN),
    "token_hash": sa.String(HASH_LEN),
    "manual": sa.Boolean(),
    "attempts": sa.Integer(),
    "total": sa.Integer(),
    "done": sa.Integer(),
    "failed": sa.Integer(),
    "records": sa.Integer(),
    "version": sa.Integer(),
    "mapping": sa.String(FLOW_LEN),
    "kind": sa.String(KEY_LEN),
    "attention": sa.String(STATUS_LEN),
    "map_key": sa.String(KEY_LEN),
    "depends_on": sa.String(DEPENDS_ON_LEN),
    "item_id": BigIntId,
    "body": sa.LargeBinary(),
    "name": sa.String(SECRET_NAME_LEN),
}


def _required(*names: str) -> list[sa.Column[Any]]:
    return [sa.Column(name, _COLUMN_TYPES[name], nullable=False) for name in names]


def _optional(*names: str) -> list[sa.Column[Any]]:
    return [sa.Column(name, _COLUMN_TYPES[name], nullable=True) for name in names]


def _key(*names: str) -> list[sa.Column[Any]]:
    """The columns of a natural primary key."""
    return [sa.Column(name, _COLUMN_TYPES[name], primary_key=True) for name in names]


def _serial_id() -> sa.Column[Any]:
    """The surrogate ``id`` primary key (BIGSERIAL on PostgreSQL, INTEGER PRIMARY KEY on SQLite)."""
    return sa.Column("id", BigIntId, primary_key=True, autoincrement=True)


def _partial_unique(name: str, columns: tuple[str, ...], where: str) -> sa.Index:
    """A unique index over the rows ``where`` holds, the same predicate text on both databases."""
    return sa.Index(name, *columns, unique=True, sqlite_where=sa.text(where), postgresql_where=sa.text(where))


metadata = sa.MetaData()

xref = sa.Table(
    "mlc_xref",
    metadata,
    _serial_id(),
    *_required("integration", "entity", "source_system", "source_key", "target_system"),
    # target_id is null while only the intent is recorded: the create has not returned an id yet.
    *_optional("target_id", "content_hash"),
    *_required("state", "manual"),
    *_optional("note", "entered_by"),
    *_required("created_at", "updated_at"),
    # The exclusive lease of the run (or replay) writing the record now, until it records the target id
    # or fails; the expiry ends a killed run's lease by itself (``Ledger.claim_xref``). Null: not leased.
    *_optional("lease_owner", "lease_expires_at"),
    sa.UniqueConstraint(
        "integration", "entity", "source_system", "source_key", "target_system", name="uq_mlc_xref_source"
    ),
    sa.CheckConstraint(_in("state", XREF_STATES), name="ck_mlc_xref_state"),
    # One target record is never claimed by two source records.
    _partial_unique(
        "uq_mlc_xref_target", ("integration", "entity", "target_system", "target_id"), XREF_TARGET_PRESENT
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
    _serial_id(),
    *_required("at", "integration", "flow"),
    *_optional("entity", "source_system", "source_id", "target_system", "target_id"),
    *_required("action"),
    *_optional("run_id", "partition_key"),
    *_required("reason"),
    *_optional("detail"),
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
    _serial_id(),
    *_required("integration", "flow", "entity", "source_key", "payload", "reason", "status", "attempts"),
    *_optional("next_attempt_at", "depends_on", "last_run_id"),
    *_required("created_at", "updated_at"),
    *_optional("resolved_at"),
    # The refusal that queued it as data (``connector_resources.refusals``): ``kind`` its group (the kind's
    # code and its grouping values; the desk counts and filters by it), ``params`` its parameters (JSON),
    # ``attention`` who acts (``flows``: it clears by itself; ``person``). They stay the refusal's when the
    # item is resolved or abandoned.
    *_optional("kind", "params", "attention"),
    sa.CheckConstraint(_in("status", QUEUE_STATUSES), name="ck_mlc_retry_queue_status"),
    sa.CheckConstraint("attempts >= 0", name="ck_mlc_retry_queue_attempts"),
    # At most one open item per record and flow; closed items are history and may repeat.
    _partial_unique("uq_mlc_retry_queue_open", ("integration", "flow", "source_key"), QUEUE_OPEN_PREDICATE),
    sa.Index("ix_mlc_retry_queue_due", "status", "next_attempt_at"),
    sa.Index("ix_mlc_retry_queue_depends_on", "depends_on"),
    # The exceptions desk: a record found by its key in any state, and counts by flow and state read from
    # the index alone over a queue of 100,000 items (``queue_browse``).
    sa.Index("ix_mlc_retry_queue_source_key", "source_key"),
    sa.Index("ix_mlc_retry_queue_flow_status", "integration", "flow", "status"),
    sa.Index("ix_mlc_retry_queue_kind", "kind", "status"),
    sa.Index("ix_mlc_retry_queue_attention", "attention", "status"),
    # What changed since a moment (the sensor that evaluates again the days a fix touched).
    sa.Index("ix_mlc_retry_queue_updated", "updated_at"),
)

# The processes holding leases for an owner (a run id, a replay's id): written in the claim's transaction,
# so a lease is never on disk without the process that holds it. A lease whose owner's processes have all
# provably ended (``process_identity``) is taken over at once instead of after its expiry.
lease_holder = sa.Table(
    "mlc_lease_holder",
    metadata,
    *_key("owner", "process"),  # process: ``ProcessIdentity.as_text()``
    *_required("registered_at"),
    sa.Index("ix_mlc_lease_holder_registered", "registered_at"),
)

# Which replay took a queue item (``Ledger.take_queue_item``) and the hold it put on the item: a replay
# killed holding items leaves them due again as soon as its process is known to have ended.
queue_take = sa.Table("mlc_queue_take", metadata, *_key("item_id"), *_required("owner", "until"))

# What an operator decided, by whom, in what role, why (abandon, reopen, match by hand ...): every operator
# surface writes it, and it is append-only like the audit trail (triggers). The verbs are checked where they
# are written (``OperatorStore``), not by a CHECK constraint, so a new verb needs no migration.
OPERATOR_ACTIONS = ("abandon", "reopen", "replay", "match", "unmatch", "map", "live_on", "live_off")
operator_action = sa.Table(
    "mlc_operator_action",
    metadata,
    _serial_id(),
    *_required("at", "actor", "role", "action", "integration"),
    *_optional("flow", "item_id", "source_key"),
    *_required("note"),
    *_optional("detail"),
    sa.Index("ix_mlc_operator_action_at", "at"),
    sa.Index("ix_mlc_operator_action_item", "item_id"),
)

# Each fit that ran (``ml-connector fit``, an ``<integration>_fit`` run): when, which days and flows (blank:
# the whole integration), how many flows did not finish and how many records it judged. ``live on`` asks it
# whether a recent fit of the whole integration exists; the report itself stays in the fit's folder.
fit = sa.Table(
    "mlc_fit",
    metadata,
    _serial_id(),
    *_required("at", "integration", "first_day", "last_day", "flows", "failed", "records"),
    sa.Index("ix_mlc_fit_integration", "integration", "at"),
)

# The desk's built-in accounts (a deployment behind a trusted proxy needs none) and their signed-in sessions,
# each kept as a hash only: a copy of the database signs nobody in.
desk_user = sa.Table(
    "mlc_desk_user", metadata, *_key("actor"), *_required("password_hash", "role", "created_at", "updated_at")
)
desk_session = sa.Table(
    "mlc_desk_session",
    metadata,
    *_key("token_hash"),
    *_required("actor", "created_at", "expires_at"),
    sa.Index("ix_mlc_desk_session_actor", "actor"),
)

# Mapping tables (a JDE account -> a Coupa account code ...), owned by the ledger once imported: one row per
# table with its version and where it was first imported from, its rows, and every change with who, when,
# why, old -> new (append-only like the audit trail). Keys are the table's asset (``jde_bill/account_map``).
mapping = sa.Table(
    "mlc_mapping",
    metadata,
    *_key("mapping"),
    *_required("version", "origin", "content_hash", "created_at", "updated_at"),
)
mapping_row = sa.Table(
    "mlc_mapping_row",
    metadata,
    *_key("mapping", "map_key"),
    *_required("value", "version", "actor", "updated_at"),
)
mapping_change = sa.Table(
    "mlc_mapping_change",
    metadata,
    _serial_id(),
    *_required("at", "actor", "role", "mapping", "version", "map_key"),
    *_optional("old_value", "new_value"),
    *_required("note", "origin"),
    sa.Index("ix_mlc_mapping_change_mapping", "mapping", "map_key"),
)

# Which version of a mapping table each run mapped with (the desk shows it beside the table's history).
mapping_use = sa.Table("mlc_mapping_use", metadata, *_key("mapping", "version", "run_id"), *_required("at"))

# The desk's long actions (a replay of hundreds of records): who started it and why, its progress while it
# runs in the background, and what came of it, for its result page.
desk_task = sa.Table(
    "mlc_desk_task",
    metadata,
    _serial_id(),
    *_required("actor", "role", "action", "note", "state", "total", "done", "created_at", "updated_at"),
    *_optional("detail", "result"),
    sa.Index("ix_mlc_desk_task_created", "created_at"),
)

cursor = sa.Table("mlc_cursor", metadata, *_key("integration", "stream"), *_required("value", "updated_at"))

webhook_inbox = sa.Table(
    "mlc_webhook_inbox",
    metadata,
    _serial_id(),
    *_required("source", "event_id", "received_at"),
    *_optional("processed_at"),
    *_required("status", "attempts"),
    *_optional("error"),
    *_required("body", "headers"),
    sa.UniqueConstraint("source", "event_id", name="uq_mlc_webhook_inbox_event"),
    sa.CheckConstraint(_in("status", INBOX_STATUSES), name="ck_mlc_webhook_inbox_status"),
    sa.Index("ix_mlc_webhook_inbox_pending", "status", "id"),
)

secret = sa.Table("mlc_secret", metadata, *_key("name"), *_required("ciphertext", "created_at", "updated_at"))

TABLE_PREFIX = "mlc_"
# alembic's bookkeeping for the ledger; Dagster's PostgreSQL storage owns plain "alembic_version".
VERSION_TABLE = "mlc_alembic_version"


# Indexes only PostgreSQL has, created by their revision and not described here: an expression index
# SQLAlchemy metadata cannot declare for one dialect alone (the queue's reasons by word, 0007).
POSTGRES_ONLY_INDEXES = frozenset({"ix_mlc_retry_queue_reason_words"})


def belongs_to_ledger(name: str | None, type_: str, parent_names: Any = None) -> bool:
    """alembic ``include_name`` hook: only look at the ledger's own tables and what metadata describes.

    Without it, autogenerate in a database shared with Dagster would propose dropping Dagster's
    tables, and ``compare_metadata`` would report them as differences.
    """
    if type_ == "table":
        return bool(name) and name.startswith(TABLE_PREFIX) and name != VERSION_TABLE
    return not (type_ == "index" and name in POSTGRES_ONLY_INDEXES)
