"""SQLite machinery the simulators' stores share (each store keeps its own tables, locking and queries)."""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """All-or-nothing unit of work on an autocommit connection (``isolation_level=None``).

    The stores run in autocommit so a single statement needs no ceremony; a multi-row write (a bulk
    request, a document with its lines, an orchestration, a seed chunk) goes through here so that a
    refused or failed request leaves nothing behind. IMMEDIATE takes the write lock up front; any
    exception, cancellation included, rolls back everything the block wrote.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def connect(path: Path | str, *, journal_mode: str = "WAL") -> sqlite3.Connection:
    """The stores' connection: autocommit (see ``transaction``), usable from the server's threads.

    A simulator never needs crash durability, so writes are not synced; the page cache is capped at
    32 MB whatever the scale, so a large seed does not grow the process without bound.
    """
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute(f"PRAGMA journal_mode={journal_mode}")
    conn.execute("PRAGMA cache_size=-32000")
    return conn


def quote(identifier: str) -> str:
    """An SQL identifier in double quotes (table and column names come from the reference's own names)."""
    return '"' + identifier.replace('"', '""') + '"'


def index_ddl(table: str, indexes: Iterable[Sequence[str]]) -> list[str]:
    """``CREATE INDEX`` of each column list of ``indexes`` on ``table``, named ``<table>_ix<position>``."""
    return [
        f"CREATE INDEX IF NOT EXISTS {quote(f'{table}_ix{position}')} ON {quote(table)} "
        f"({', '.join(map(quote, columns))})"
        for position, columns in enumerate(indexes)
    ]


META_TABLE = "sbx_meta"


def create_meta(conn: sqlite3.Connection, table: str = META_TABLE) -> None:
    """The key/value table a store keeps facts about its data in (its seed signature, linking done)."""
    conn.execute(f'CREATE TABLE IF NOT EXISTS "{table}" ("key" TEXT PRIMARY KEY, "value" TEXT NOT NULL)')


def read_meta(conn: sqlite3.Connection, key: str, table: str = META_TABLE) -> str | None:
    row = conn.execute(f'SELECT "value" FROM "{table}" WHERE "key" = ?', (key,)).fetchone()
    return row[0] if row else None


def write_meta(conn: sqlite3.Connection, key: str, value: str, table: str = META_TABLE) -> None:
    conn.execute(f'INSERT OR REPLACE INTO "{table}" ("key", "value") VALUES (?, ?)', (key, value))


class SqliteFile:
    """A store's database: the file at ``path`` (kept after close), or a private temporary file.

    The temporary file lives in a directory the store owns, removed on ``close`` (or by the finalizer
    when close never runs), so a test or a standalone run leaves nothing behind at any scale. A kept file
    carries a meta table (``get_meta`` / ``set_meta``): the next start reads there what the data is.
    """

    meta_table = META_TABLE

    def __init__(self, path: Path | None, *, temporary: str, prefix: str, journal_mode: str = "WAL") -> None:
        """With no ``path``: the file ``temporary`` in a new directory named ``prefix...``."""
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None
        if path is None:
            self._tempdir = tempfile.TemporaryDirectory(prefix=prefix)
            path = Path(self._tempdir.name) / temporary
        self.path = path
        self.conn = connect(path, journal_mode=journal_mode)
        create_meta(self.conn, self.meta_table)

    @property
    def kept(self) -> bool:
        """Whether the data lives in a file of the caller's (``db_path``), not a private temporary one."""
        return self._tempdir is None

    def get_meta(self, key: str) -> str | None:
        return read_meta(self.conn, key, self.meta_table)

    def set_meta(self, key: str, value: str) -> None:
        write_meta(self.conn, key, value, self.meta_table)

    def replace_with(self, other: SqliteFile) -> None:
        """Make this database a copy of ``other``'s (a reseed built apart, so no request read it half
        made), keeping this store's file: a kept file then holds the new data after a restart too."""
        other.conn.backup(self.conn)

    def close(self) -> None:
        self.conn.close()
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None
