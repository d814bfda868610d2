"""Each fit that ran, so going live can ask whether a recent one exists.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28

``mlc_fit``: one row per fit (``ml-connector fit`` or an ``<integration>_fit`` run): when it ended, the
integration, its days, its flows (blank: the whole integration), how many flows did not finish and how many
records it judged. ``ml-connector live on`` refuses an integration without a recent whole fit.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here, not imported from ``schema.py`` (see 0001): this revision keeps creating this table.
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "mlc_fit",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("at", _WHEN, nullable=False),
        sa.Column("integration", sa.String(64), nullable=False),
        sa.Column("first_day", sa.String(16), nullable=False),
        sa.Column("last_day", sa.String(16), nullable=False),
        sa.Column("flows", sa.Text(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
    )
    op.create_index("ix_mlc_fit_integration", "mlc_fit", ["integration", "at"])


def downgrade() -> None:
    op.drop_index("ix_mlc_fit_integration", table_name="mlc_fit")
    op.drop_table("mlc_fit")
