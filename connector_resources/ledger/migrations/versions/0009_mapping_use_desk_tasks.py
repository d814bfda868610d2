"""Which mapping version each run used, the desk's long actions, and the queue by when it changed.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27

``mlc_mapping_use``: a run names the version of every mapping table it mapped with, so the desk shows, beside
a table's history, which runs used which version (a change saved at the desk is the one the next run reads).
``mlc_desk_task``: a desk action over many records (a replay of hundreds) runs in the background; this is its
progress and its result page. ``ix_mlc_retry_queue_updated``: what changed in the queue since a moment, read
every minute to evaluate again the days a fix touched.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here, not imported from ``schema.py`` (see 0001): this revision keeps creating these tables.
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "mlc_mapping_use",
        sa.Column("mapping", sa.String(128), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("at", _WHEN, nullable=False),
    )
    op.create_table(
        "mlc_desk_task",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
    )
    op.create_index("ix_mlc_desk_task_created", "mlc_desk_task", ["created_at"])
    op.create_index("ix_mlc_retry_queue_updated", "mlc_retry_queue", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_mlc_retry_queue_updated", table_name="mlc_retry_queue")
    op.drop_index("ix_mlc_desk_task_created", table_name="mlc_desk_task")
    op.drop_table("mlc_desk_task")
    op.drop_table("mlc_mapping_use")
