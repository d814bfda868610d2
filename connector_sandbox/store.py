"""SQLite machinery the simulators' stores share (each store keeps its own tables, locking and queries)."""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
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


class SqliteFile:
    """A store's database: the file at ``path`` (kept after close), or a private temporary file.

    The temporary file lives in a directory the store owns, removed on ``close`` (or by the finalizer
    when close never runs), so a test or a standalone run leaves nothing behind at any scale.
    """

    def __init__(self, path: Path | None, *, temporary: str, prefix: str, journal_mode: str = "WAL") -> None:
        """With no ``path``: the file ``temporary`` in a new directory named ``prefix...``."""
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None
        if path is None:
            self._tempdir = tempfile.TemporaryDirectory(prefix=prefix)
            path = Path(self._tempdir.name) / temporary
        self.path = path
        self.conn = connect(path, journal_mode=journal_mode)

    def close(self) -> None:
        self.conn.close()
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None
