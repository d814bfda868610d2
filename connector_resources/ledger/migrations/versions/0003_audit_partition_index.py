"""An index on the audit trail by flow and partition.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22

Each day partition's ``_written`` asset check counts the retry-queue items of the records the flow met
that day, found through the audit trail's ``partition_key``. Without an index that is a scan of the
flow's whole history on every run.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_mlc_audit_event_partition", "mlc_audit_event", ["integration", "flow", "partition_key"]
    )


def downgrade() -> None:
    op.drop_index("ix_mlc_audit_event_partition", table_name="mlc_audit_event")
