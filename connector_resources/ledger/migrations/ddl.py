"""The append-only triggers the ledger's revisions share (audit events, operator actions, mapping changes).

A revision keeps creating the schema as it was when it was written, whatever ``schema.py`` says later (see
0001), so the revisions import this instead of ``schema.py``. Nothing here may change what it makes: a
revision that wants other triggers gets a new helper, and the ones already written keep theirs.
"""

from __future__ import annotations


def append_only(table: str, message: str, dialect: str) -> list[str]:
    """The triggers by which the database itself refuses UPDATE and DELETE on ``table``, saying ``message``
    (neither a bug nor a hand-typed statement rewrites history); on PostgreSQL also TRUNCATE, which
    bypasses row triggers, so it gets a statement-level trigger of its own."""
    if dialect != "postgresql":
        return [
            f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            for verb in ("UPDATE", "DELETE")
        ]
    return [
        f"CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"RAISE EXCEPTION '{message} (% refused)', TG_OP USING ERRCODE = 'integrity_constraint_violation'; "
        "END $$",
        f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()",
    ]


def drop_append_only(table: str, dialect: str) -> list[str]:
    """What a downgrade drops before ``table`` itself: on PostgreSQL its triggers and their function (on
    SQLite dropping the table drops its triggers)."""
    if dialect != "postgresql":
        return []
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
        f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}",
        f"DROP FUNCTION IF EXISTS {table}_append_only()",
    ]
