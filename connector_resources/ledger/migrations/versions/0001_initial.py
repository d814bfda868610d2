"""Initial ledger schema: cross-references, audit trail, retry queue, cursors, webhook inbox, secrets.

Revision ID: 0001
Revises:
Create Date: 2026-11-21

Written out by hand rather than importing ``schema.py``: a revision must keep creating the schema
as it was at this revision, whatever ``schema.py`` says later (the append-only triggers three
revisions share are in ``migrations/ddl.py``, which never changes what it makes). The append-only rule
on the audit trail is enforced by the database itself (triggers), so neither a bug nor a hand-typed SQL
statement can rewrite history.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from connector_resources.ledger.migrations.ddl import append_only

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_APPEND_ONLY_MESSAGE = "mlc_audit_event is append-only: audit events cannot be changed or deleted"


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _unique_where(name: str, table: str, columns: list[str], where: str) -> None:
    """A unique index over the rows ``where`` holds (partial, on both databases)."""
    op.create_index(
        name, table, columns, unique=True, sqlite_where=sa.text(where), postgresql_where=sa.text(where)
    )


def upgrade() -> None:
    op.create_table(
        "mlc_xref",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("integration", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("source_system", sa.String(64), nullable=False),
        sa.Column("source_key", sa.String(255), nullable=False),
        sa.Column("target_system", sa.String(64), nullable=False),
        sa.Column("target_id", sa.String(255), nullable=True),
        sa.Column("content_hash", sa.String(128), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("manual", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("entered_by", sa.String(255), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        sa.UniqueConstraint(
            "integration", "entity", "source_system", "source_key", "target_system", name="uq_mlc_xref_source"
        ),
        sa.CheckConstraint("state IN ('pending', 'synced')", name="ck_mlc_xref_state"),
    )
    _unique_where(
        "uq_mlc_xref_target",
        "mlc_xref",
        ["integration", "entity", "target_system", "target_id"],
        "target_id IS NOT NULL",
    )
    op.create_index("ix_mlc_xref_target", "mlc_xref", ["target_id", "target_system"])
    op.create_index("ix_mlc_xref_source_key", "mlc_xref", ["source_key"])

    op.create_table(
        "mlc_audit_event",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        _ts("at"),
        sa.Column("integration", sa.String(64), nullable=False),
        sa.Column("flow", sa.String(128), nullable=False),
        sa.Column("entity", sa.String(64), nullable=True),
        sa.Column("source_system", sa.String(64), nullable=True),
        sa.Column("source_id", sa.String(255), nullable=True),
        sa.Column("target_system", sa.String(64), nullable=True),
        sa.Column("target_id", sa.String(255), nullable=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.Column("partition_key", sa.String(255), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "action IN ('create', 'update', 'skip', 'hold', 'fail', 'replay', 'adopt', 'release')",
            name="ck_mlc_audit_event_action",
        ),
    )
    op.create_index("ix_mlc_audit_event_source_id", "mlc_audit_event", ["source_id"])
    op.create_index("ix_mlc_audit_event_target_id", "mlc_audit_event", ["target_id"])
    op.create_index("ix_mlc_audit_event_flow_at", "mlc_audit_event", ["integration", "flow", "at"])

    op.create_table(
        "mlc_retry_queue",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("integration", sa.String(64), nullable=False),
        sa.Column("flow", sa.String(128), nullable=False),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("source_key", sa.String(255), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ts("next_attempt_at", nullable=True),
        sa.Column("depends_on", sa.String(512), nullable=True),
        sa.Column("last_run_id", sa.String(64), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        _ts("resolved_at", nullable=True),
        sa.CheckConstraint(
            "status IN ('failed', 'held', 'resolved', 'abandoned')", name="ck_mlc_retry_queue_status"
        ),
        sa.CheckConstraint("attempts >= 0", name="ck_mlc_retry_queue_attempts"),
    )
    _unique_where(
        "uq_mlc_retry_queue_open",
        "mlc_retry_queue",
        ["integration", "flow", "source_key"],
        "status IN ('failed', 'held')",
    )
    op.create_index("ix_mlc_retry_queue_due", "mlc_retry_queue", ["status", "next_attempt_at"])
    op.create_index("ix_mlc_retry_queue_depends_on", "mlc_retry_queue", ["depends_on"])

    op.create_table(
        "mlc_cursor",
        sa.Column("integration", sa.String(64), primary_key=True),
        sa.Column("stream", sa.String(128), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
        _ts("updated_at"),
    )

    op.create_table(
        "mlc_webhook_inbox",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False),
        _ts("received_at"),
        _ts("processed_at", nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("headers", sa.Text(), nullable=False),
        sa.UniqueConstraint("source", "event_id", name="uq_mlc_webhook_inbox_event"),
        sa.CheckConstraint(
            "status IN ('pending', 'processed', 'failed')", name="ck_mlc_webhook_inbox_status"
        ),
    )
    op.create_index("ix_mlc_webhook_inbox_pending", "mlc_webhook_inbox", ["status", "id"])

    op.create_table(
        "mlc_secret",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("ciphertext", sa.Text(), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
    )

    for statement in append_only("mlc_audit_event", _APPEND_ONLY_MESSAGE, op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    # Dropping the table drops its triggers on both databases; the PostgreSQL function is separate.
    for table in (
        "mlc_secret",
        "mlc_webhook_inbox",
        "mlc_cursor",
        "mlc_retry_queue",
        "mlc_audit_event",
        "mlc_xref",
    ):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS mlc_audit_event_append_only()")
