"""The kind of each queued refusal, and its words indexed, so the exceptions desk counts, filters and searches
the queue in SQL.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26

A clerk fixes a cause, not a record: "GL account … has no BILL chart of accounts entry" for 40 bills is one
fix and one replay. The kind (the reason with what names one record masked) was computed in Python per
item shown; over a queue of 100,000 items a count or a filter by kind must be a query. Items already
queued get their kind here, from the same classifier the ledger uses when it queues an item
(``connector_resources.reason_kinds``), a batch at a time. On PostgreSQL the reasons' words get a GIN
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

_BATCH = 5000
# The expression must stay the one ``QueueBrowseStore`` searches with, or PostgreSQL cannot use the index.
_WORDS_INDEX = (
    "CREATE INDEX ix_mlc_retry_queue_reason_words ON mlc_retry_queue "
    "USING gin (to_tsvector('simple', reason))"
)
_KIND_LEN = 255


def upgrade() -> None:
    from connector_resources.reason_kinds import reason_kind

    op.add_column("mlc_retry_queue", sa.Column("kind", sa.String(_KIND_LEN), nullable=True))
    op.create_index("ix_mlc_retry_queue_kind", "mlc_retry_queue", ["kind", "status"])
    queue = sa.table(
        "mlc_retry_queue", sa.column("id"), sa.column("reason"), sa.column("source_key"), sa.column("kind")
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(_WORDS_INDEX)
    after = 0
    while True:
        rows = bind.execute(
            sa.select(queue.c.id, queue.c.reason, queue.c.source_key)
            .where(queue.c.id > after)
            .order_by(queue.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            break
        bind.execute(
            sa.update(queue).where(queue.c.id == sa.bindparam("item")).values(kind=sa.bindparam("new_kind")),
            [
                {"item": r.id, "new_kind": reason_kind(r.reason or "", r.source_key or "")[:_KIND_LEN]}
                for r in rows
            ],
        )
        after = rows[-1].id


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_mlc_retry_queue_reason_words")
    op.drop_index("ix_mlc_retry_queue_kind", table_name="mlc_retry_queue")
    op.drop_column("mlc_retry_queue", "kind")
