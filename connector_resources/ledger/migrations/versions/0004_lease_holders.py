"""The processes holding leases, and the replays holding queue items.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25

A run or replay killed with kill -9 left its leases (and the queue items a replay had taken) to lapse:
30 minutes of records held behind a process that no longer existed. ``mlc_lease_holder`` names the
processes behind each lease owner (host, pid namespace, pid, start time), written with the claim, so the
next writer sees the holder is gone and takes over at once; ``mlc_queue_take`` does the same for a
replay's taken items. Two new tables: nothing existing changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here, not imported from ``schema.py`` (see 0001): this revision keeps creating these tables.
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _ts(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "mlc_lease_holder",
        sa.Column("owner", sa.String(64), primary_key=True),
        sa.Column("process", sa.String(255), primary_key=True),
        _ts("registered_at"),
    )
    op.create_index("ix_mlc_lease_holder_registered", "mlc_lease_holder", ["registered_at"])
    op.create_table(
        "mlc_queue_take",
        sa.Column("item_id", _ID, primary_key=True),
        sa.Column("owner", sa.String(64), nullable=False),
        _ts("until"),
    )


def downgrade() -> None:
    op.drop_table("mlc_queue_take")
    op.drop_index("ix_mlc_lease_holder_registered", table_name="mlc_lease_holder")
    op.drop_table("mlc_lease_holder")
