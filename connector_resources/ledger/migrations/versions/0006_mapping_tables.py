"""Mapping tables kept in the ledger: each table's version, its rows, and every change with who and why.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26

A mapping table used to be a CSV file named by a setting (on Kubernetes a ConfigMap), so fixing one row meant
a deployment change. The ledger owns each table once it is imported (a configured file is imported once,
on first use): ``mlc_mapping`` (the table's version, where it was first imported from and that file's
fingerprint), ``mlc_mapping_row`` (its rows) and ``mlc_mapping_change`` (every change: who, in what role,
when, old -> new, the note; append-only, the database refuses changes and deletes).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from connector_resources.ledger.migrations.ddl import append_only, drop_append_only

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here, not imported from ``schema.py`` (see 0001): this revision keeps creating these tables.
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WHEN = sa.DateTime(timezone=True)
_TABLE = "mlc_mapping_change"
_MESSAGE = f"{_TABLE} is append-only: the history of mapping tables cannot be changed or deleted"


def upgrade() -> None:
    op.create_table(
        "mlc_mapping",
        sa.Column("mapping", sa.String(128), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(128), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
    )
    op.create_table(
        "mlc_mapping_row",
        sa.Column("mapping", sa.String(128), primary_key=True),
        sa.Column("map_key", sa.String(255), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
    )
    op.create_table(
        _TABLE,
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("at", _WHEN, nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("mapping", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("map_key", sa.String(255), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
    )
    op.create_index("ix_mlc_mapping_change_mapping", _TABLE, ["mapping", "map_key"])
    for statement in append_only(_TABLE, _MESSAGE, op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_append_only(_TABLE, op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_index("ix_mlc_mapping_change_mapping", table_name=_TABLE)
    op.drop_table(_TABLE)
    op.drop_table("mlc_mapping_row")
    op.drop_table("mlc_mapping")
