"""alembic environment for the ledger, driven from code rather than an ``alembic.ini``.

``engine.migrate`` hands over an open connection (already inside a transaction, holding the
migration lock on PostgreSQL) through ``config.attributes["connection"]``. Run from a shell with a
``sqlalchemy.url`` main option instead (see ``engine.alembic_config``), it opens its own engine.
There is no offline (SQL script) mode: the ledger is always migrated against a live database.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from connector_resources.ledger.engine import ledger_url, make_engine
from connector_resources.ledger.schema import VERSION_TABLE, belongs_to_ledger, metadata


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        include_name=belongs_to_ledger,
        compare_type=True,
        # SQLite cannot ALTER most things in place; batch mode makes later revisions portable.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(ledger_url(context.config.get_main_option("sqlalchemy.url")))
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("the ledger has no offline migration mode; run migrate(engine) against a database")
run_migrations_online()
