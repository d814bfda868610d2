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

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here, not imported from ``schema.py`` (see 0001): this revision keeps creating these tables.
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WHEN = sa.DateTime(timezone=True)
_TABLE = "mlc_mapping_change"
_MESSAGE = f"{_TABLE} is append-only: the history of mapping tables cannot be changed or deleted"


def _append_only(dialect: str) -> list[str]:
    """The triggers that refuse UPDATE, DELETE (and on PostgreSQL TRUNCATE) on the change history."""
    if dialect != "postgresql":
        return [
            f"CREATE TRIGGER {_TABLE}_no_{verb.lower()} BEFORE {verb} ON {_TABLE} "
            f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END"
            for verb in ("UPDATE", "DELETE")
        ]
    return [
        f"CREATE FUNCTION {_TABLE}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"RAISE EXCEPTION '{_MESSAGE} (% refused)', TG_OP USING ERRCODE = 'integrity_constraint_violation'; "
        "END $$",
        f"CREATE TRIGGER {_TABLE}_no_change BEFORE UPDATE OR DELETE ON {_TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION {_TABLE}_append_only()",
        f"CREATE TRIGGER {_TABLE}_no_truncate BEFORE TRUNCATE ON {_TABLE} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {_TABLE}_append_only()",
    ]


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
    for statement in _append_only(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {_TABLE}_no_truncate ON {_TABLE}")
        op.execute(f"DROP TRIGGER IF EXISTS {_TABLE}_no_change ON {_TABLE}")
        op.execute(f"DROP FUNCTION IF EXISTS {_TABLE}_append_only()")
    op.drop_index("ix_mlc_mapping_change_mapping", table_name=_TABLE)
    op.drop_table(_TABLE)
    op.drop_table("mlc_mapping_row")
    op.drop_table("mlc_mapping")
