"""Cross-reference leases: the run writing a source record owns it until the target id is recorded.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02

Two runs of the same flow and partition used to claim the same pending row and both create the record
in the target. The claim is now an exclusive lease: ``lease_owner`` (a run id, or a replay's id) and
``lease_expires_at`` (so a killed run's lease ends by itself). Both are null when nobody is writing.
Adding nullable columns is an in-place ALTER on both databases; existing rows start unleased.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN, not batch mode: SQLite adds a nullable column in place, and a batch "move and
    # copy" of mlc_xref could lose the partial unique index on the target id.
    op.add_column("mlc_xref", sa.Column("lease_owner", sa.String(64), nullable=True))
    op.add_column("mlc_xref", sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # DROP COLUMN works in place on PostgreSQL and on SQLite >= 3.35 (neither column is indexed).
    op.drop_column("mlc_xref", "lease_expires_at")
    op.drop_column("mlc_xref", "lease_owner")
