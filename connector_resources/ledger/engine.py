"""Where the ledger lives, how we connect to it, and how its schema is brought up to date.

The same code runs on a SQLite file (the embedded default) and on PostgreSQL (production). The
differences are confined to this module:

* SQLite: WAL so readers never block the writer, a generous ``busy_timeout`` so concurrent writers
  wait instead of failing, foreign keys on, and ``BEGIN IMMEDIATE`` for write transactions. The last
  point matters: a deferred SQLite transaction that reads and *then* writes fails at once with
  "database is locked" when another process committed in between (the busy timeout cannot help a
  stale snapshot). Taking the write lock at ``BEGIN`` turns that into an orderly wait. The switch to
  WAL is such an upgrade too (``_enter_wal``): it is retried until the busy timeout instead.
* PostgreSQL: ``pool_pre_ping`` so a connection dropped by a restart or a firewall is replaced
  instead of failing the first statement of a run, and an advisory lock around migrations.

Migrations are alembic revisions run programmatically (no ``alembic.ini`` at runtime) with their
own version table, ``mlc_alembic_version``, because Dagster's PostgreSQL storage keeps its own
``alembic_version`` in what is often the same database.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.pool import StaticPool

from connector_resources.project_home import (
    DAGSTER_HOME_ENV,
    DB_URL_ENV,
    LEDGER_HOME_ENV,
    locate,
)
from connector_resources.redaction import get_logger, register_secret

if TYPE_CHECKING:  # alembic loads when the ledger migrates, not with the definitions
    from alembic.config import Config

log = get_logger("ledger.engine")

HOME_ENVS = (LEDGER_HOME_ENV, DAGSTER_HOME_ENV)
SQLITE_FILENAME = "ledger.sqlite"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# Long enough to ride out a burst of writes from parallel Dagster steps, short enough that a
# genuinely stuck writer surfaces as an error within a run rather than a silent hang.
SQLITE_BUSY_TIMEOUT_MS = 30_000

# Execution option read by the SQLite "begin" hook: read paths ask for a DEFERRED transaction so a
# sensor listing the inbox does not queue behind a long write.
BEGIN_MODE_OPTION = "mlc_sqlite_begin"

# Any fixed 64-bit number works; it only has to be the same in every process that migrates.
_MIGRATION_LOCK_KEY = 0x6D6C635F6C6467  # "mlc_ldg"

SUPPORTED_DIALECTS = ("sqlite", "postgresql")


def normalize_url(url: str) -> str:
    """Name the psycopg2 driver for PostgreSQL URLs that leave the driver implicit.

    SQLAlchemy 2.1 maps a bare ``postgresql://`` to psycopg 3, which this project does not install
    (dagster-postgres brings psycopg2). ``postgres://`` is the Heroku-style alias SQLAlchemy rejects
    outright. An explicitly named driver (``postgresql+psycopg://``) is left alone: that is a choice.
    """
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


def ledger_url(explicit: str | None = None, *, create: bool = True) -> str:
    """Resolve the ledger's database URL.

    Order: ``explicit``, then ``$ML_CONNECTOR_DB_URL``, then a SQLite file ``ledger.sqlite`` in
    ``$ML_CONNECTOR_HOME``, else ``$DAGSTER_HOME``, else the ``.dagster_home`` of the project folder holding
    the current directory (``project_home.locate``). That folder is created if missing, unless ``create``
    is false (a question about which ledger is in force makes no folder). With no setting and no project
    folder it raises ``NoProject`` naming where it looked: a ledger is never made where a shell happens
    to stand. The SQLite path is absolute so a process started elsewhere opens the same file.
    """
    if explicit:
        return normalize_url(explicit)
    located = locate()
    if located.db_url_given:
        return normalize_url(located.db_url_given)
    folder = located.ledger_home
    if folder is None:
        raise located.refusal(DB_URL_ENV, *HOME_ENVS)
    if create:
        folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / SQLITE_FILENAME}"


def describe_url(url: str | sa.URL) -> str:
    """The URL with its password masked, for log lines and error messages."""
    return sa.make_url(url).render_as_string(hide_password=True)


def make_engine(url: str) -> sa.Engine:
    """Create an engine configured for the ledger's concurrency needs on SQLite or PostgreSQL."""
    parsed = sa.make_url(normalize_url(url))
    if parsed.password:
        register_secret(parsed.password)
    dialect = parsed.get_backend_name()
    if dialect not in SUPPORTED_DIALECTS:
        raise ValueError(
            f"ledger database {describe_url(parsed)} uses '{dialect}'; the ledger supports SQLite and "
            "PostgreSQL (postgresql+psycopg2://...)"
        )
    if dialect == "postgresql":
        # psycopg2 runs an UPDATE's executemany as one round trip per 100 rows (``execute_batch``)
        # instead of one per row: a write step records its written records that way (``record_written``).
        batch = {"executemany_mode": "values_plus_batch"} if parsed.get_driver_name() == "psycopg2" else {}
        return sa.create_engine(parsed, pool_pre_ping=True, **batch)
    return _make_sqlite_engine(parsed)


def _make_sqlite_engine(url: sa.URL) -> sa.Engine:
    in_memory = url.database in (None, "", ":memory:")
    if in_memory:
        # One shared connection so every caller in the process sees the same database (tests, dry
        # runs). The default per-thread pool would give each thread its own empty database.
        engine = sa.create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        engine = sa.create_engine(url)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Take transaction control away from the sqlite3 module (it would defer BEGIN until the
        # first write) so the "begin" hook below decides how each transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            if not in_memory:
                _enter_wal(cursor)
            cursor.execute("PRAGMA foreign_keys=ON")
            # synchronous stays at SQLite's default (FULL): a committed ledger row must survive a
            # power cut, not only a process crash.
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        options = conn.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":
            return
        mode = options.get(BEGIN_MODE_OPTION, "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _enter_wal(cursor: Any) -> None:
    """Put the database file in WAL mode, waiting while another process does the same.

    Why a loop: the switch reads the file's header and then rewrites it in one statement, a read lock
    upgraded to a write lock, and SQLite answers "database is locked" at once, without consulting
    ``busy_timeout``, when another connection holds the write lock meanwhile. That is what two
    processes opening a new ledger file at the same moment do (two Dagster steps of a first run): the
    slower one failed. Once the file is in WAL (a persistent setting) the statement writes nothing, so
    the retry that follows the other process's switch succeeds at once.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    pause = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            busy = getattr(exc, "sqlite_errorcode", sqlite3.SQLITE_BUSY) & 0xFF == sqlite3.SQLITE_BUSY
            if not busy or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def read_engine(engine: sa.Engine) -> sa.Engine:
    """A view of ``engine`` whose transactions start DEFERRED on SQLite (no write lock for reads)."""
    return engine.execution_options(**{BEGIN_MODE_OPTION: "DEFERRED"})


def alembic_config(connection: sa.Connection | None = None, url: str | None = None) -> Config:
    """An alembic ``Config`` for the ledger's migrations, built in code.

    Pass ``connection`` to run commands on it (that is what ``migrate`` does). For authoring a new
    revision from a shell, pass ``url`` instead, e.g.
    ``command.revision(alembic_config(url="sqlite:///scratch.sqlite"), autogenerate=True, message="...")``.
    """
    from alembic.config import Config

    config = Config()
    # ConfigParser interpolation treats "%" specially; paths and URLs may contain it.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if url:
        config.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def migrate(engine: sa.Engine) -> None:
    """Bring the ledger schema to the newest revision; a no-op when it is already there.

    Runs in one transaction. On PostgreSQL a transaction-scoped advisory lock makes a second process
    that starts at the same moment wait, then find the schema current, instead of racing to create
    the same tables. On SQLite ``BEGIN IMMEDIATE`` serialises the two in the same way.
    """
    from alembic import command

    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
        command.upgrade(alembic_config(connection=conn), "head")
    log.debug("ledger schema at head on %s", describe_url(engine.url))
