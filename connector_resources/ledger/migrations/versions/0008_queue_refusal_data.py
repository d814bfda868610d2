"""Each queued refusal as data: its parameters and who acts on it, beside its kind.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27

A refusal now carries its kind from one catalog (``connector_resources.refusals``) and its parameters
(record, field, value, table, what it waits for), so the desk, the fit report and the alerts group by what
is wrong without reading the sentence back; ``attention`` says whether the flows clear it by themselves
(``flows``) or a person must act (``person``), the desk's two views. Items already queued are given the kind
their state and dependency key say: a hold on a period or a close window waits on the calendar, any other
hold on the record it names; a failed item needs a person, under the flow-rule kind ``refused`` with the
rule "queued before refusals carried their kind" (its next attempt gives it its own kind).
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 5000
_BEFORE = "queued before refusals carried their kind"
# Written out here, not imported: this revision keeps giving old items the kinds the catalog had today.
_SEPARATOR = " · "


def _refusal(status: str, depends_on: str | None) -> tuple[str, dict[str, str], str]:
    """(group, params, attention) of an item queued before this revision."""
    if status == "held" and depends_on:
        parts = depends_on.split(":")
        what = parts[1] if len(parts) > 1 else ""
        if what == "period":
            return f"period_closed{_SEPARATOR}{parts[0]}", {"system": parts[0], "ledger": ""}, "flows"
        if what == "window":
            return "close_window", {"until": ":".join(parts[3:])}, "flows"
        return (
            f"waits_for_record{_SEPARATOR}{what}",
            {"waits_for": depends_on, "waits_for_entity": what},
            "flows",
        )
    return f"refused{_SEPARATOR}{_BEFORE}", {"rule": _BEFORE}, "person"


def upgrade() -> None:
    op.add_column("mlc_retry_queue", sa.Column("params", sa.Text(), nullable=True))
    op.add_column("mlc_retry_queue", sa.Column("attention", sa.String(16), nullable=True))
    op.create_index("ix_mlc_retry_queue_attention", "mlc_retry_queue", ["attention", "status"])
    queue = sa.table(
        "mlc_retry_queue",
        sa.column("id"),
        sa.column("status"),
        sa.column("depends_on"),
        sa.column("kind"),
        sa.column("params"),
        sa.column("attention"),
    )
    bind = op.get_bind()
    after = 0
    while True:
        rows = bind.execute(
            sa.select(queue.c.id, queue.c.status, queue.c.depends_on)
            .where(queue.c.id > after)
            .order_by(queue.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            break
        values = []
        for row in rows:
            group, params, attention = _refusal(row.status, row.depends_on)
            values.append(
                {"item": row.id, "g": group[:255], "p": json.dumps(params, sort_keys=True), "a": attention}
            )
        bind.execute(
            sa.update(queue)
            .where(queue.c.id == sa.bindparam("item"))
            .values(kind=sa.bindparam("g"), params=sa.bindparam("p"), attention=sa.bindparam("a")),
            values,
        )
        after = rows[-1].id


def downgrade() -> None:
    op.drop_index("ix_mlc_retry_queue_attention", table_name="mlc_retry_queue")
    op.drop_column("mlc_retry_queue", "attention")
    op.drop_column("mlc_retry_queue", "params")
