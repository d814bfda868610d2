"""What operators decided: who, in what role, which record, why; the desk's built-in accounts.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26

Abandoning or reopening a queued record is a person's decision; the audit trail says what became of the
record, and ``mlc_operator_action`` says who decided it and why, append-only like the audit trail (the
database refuses changes and deletes). The exceptions desk signs people in through a trusted proxy or its
own accounts: ``mlc_desk_user`` (a password hash and a role per name) and ``mlc_desk_session`` (a hash of
each signed-in session's token). Two indexes on the retry queue let the desk find a record by its key
and count by flow and state without reading every item.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from connector_resources.ledger.migrations.ddl import append_only, drop_append_only

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here, not imported from ``schema.py`` (see 0001): this revision keeps creating this table.
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_MESSAGE = "mlc_operator_action is append-only: operator actions cannot be changed or deleted"


def upgrade() -> None:
    op.create_table(
        "mlc_operator_action",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("integration", sa.String(64), nullable=False),
        sa.Column("flow", sa.String(128), nullable=True),
        sa.Column("item_id", _ID, nullable=True),
        sa.Column("source_key", sa.String(255), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
    )
    op.create_index("ix_mlc_operator_action_at", "mlc_operator_action", ["at"])
    op.create_index("ix_mlc_operator_action_item", "mlc_operator_action", ["item_id"])
    for statement in append_only("mlc_operator_action", _MESSAGE, op.get_bind().dialect.name):
        op.execute(statement)
    op.create_table(
        "mlc_desk_user",
        sa.Column("actor", sa.String(255), primary_key=True),
        sa.Column("password_hash", sa.String(128), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "mlc_desk_session",
        sa.Column("token_hash", sa.String(128), primary_key=True),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_mlc_desk_session_actor", "mlc_desk_session", ["actor"])
    op.create_index("ix_mlc_retry_queue_source_key", "mlc_retry_queue", ["source_key"])
    op.create_index("ix_mlc_retry_queue_flow_status", "mlc_retry_queue", ["integration", "flow", "status"])


def downgrade() -> None:
    op.drop_index("ix_mlc_retry_queue_flow_status", table_name="mlc_retry_queue")
    op.drop_index("ix_mlc_retry_queue_source_key", table_name="mlc_retry_queue")
    op.drop_index("ix_mlc_desk_session_actor", table_name="mlc_desk_session")
    op.drop_table("mlc_desk_session")
    op.drop_table("mlc_desk_user")
    for statement in drop_append_only("mlc_operator_action", op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_index("ix_mlc_operator_action_item", table_name="mlc_operator_action")
    op.drop_index("ix_mlc_operator_action_at", table_name="mlc_operator_action")
    op.drop_table("mlc_operator_action")
