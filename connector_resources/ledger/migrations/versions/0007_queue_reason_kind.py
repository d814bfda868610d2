"""The kind of each queued refusal, and its words indexed, so the exceptions desk counts, filters and searches
the queue in SQL.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26

A clerk fixes a cause, not a record: "GL account … has no BILL chart of accounts entry" for 40 bills is one
fix and one replay. Over a queue of 100,000 items a count or a filter by kind must be a query. (This
revision once filled the column by reading each reason's words; revision 0008 gives every item its kind
as data, so it only adds the column now.) On PostgreSQL the reasons' words get a GIN
index (``to_tsvector('simple', reason)``), so a search by words of the reason is an index look-up rather
than a scan of every reason; SQLite scans (a single-process ledger of that size is not its use).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The expression must stay the one ``QueueBrowseStore`` searches with, or PostgreSQL cannot use the index.
_WORDS_INDEX = (
    "CREATE INDEX ix_mlc_retry_queue_reason_words ON mlc_retry_queue "
    "USING gin (to_tsvector('simple', reason))"
)
_KIND_LEN = 255


def upgrade() -> None:
    op.add_column("mlc_retry_queue", sa.Column("kind", sa.String(_KIND_LEN), nullable=True))
    op.create_index("ix_mlc_retry_queue_kind", "mlc_retry_queue", ["kind", "status"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_WORDS_INDEX)


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_mlc_retry_queue_reason_words")
    op.drop_index("ix_mlc_retry_queue_kind", table_name="mlc_retry_queue")
    op.drop_column("mlc_retry_queue", "kind")
