"""The engine and transaction plumbing every concern of ``Ledger`` stands on.

Each concern (cross-references, leases, audit, queue, cursors, inbox) is a mixin of this class: its
methods open their connection with ``_write`` / ``_read`` (or join the caller's ``conn``) and build
upserts with ``_insert``, so one ``Ledger`` object composes them over one engine. A concern that needs
another's method (a claim records its lease holder, a replay's take asks which owners ended) calls it
on ``self``, which is always the composed ``Ledger``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from connector_resources.ledger.driver_batch import DriverBatch
from connector_resources.ledger.records import Recording, Xref


class LedgerBase:
    """The state ``Ledger.__init__`` sets up, and the transaction helpers built on it."""

    url: str
    engine: sa.Engine
    _reader: sa.Engine
    _dialect: str
    _batches: tuple[DriverBatch, DriverBatch] | None
    _unrecorded: dict[tuple[str, str, str, str], Recording]
    _unrecorded_lock: threading.Lock
    _holding: set[tuple[str, int]]

    @contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """One database transaction: commits when the block ends, rolls back if it raises."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def read_transaction(self, conn: sa.Connection | None = None) -> Iterator[sa.Connection]:
        """A connection for reads only: on SQLite it takes no write lock, so it never waits on writers.
        Given ``conn`` (a caller's transaction), that one, so a read sees what the caller wrote."""
        with self._read(conn) as c:
            yield c

    def _write(self, conn: sa.Connection | None) -> AbstractContextManager[sa.Connection]:
        """``conn`` (the caller's transaction), else a transaction of our own that commits at the end."""
        return nullcontext(conn) if conn is not None else self.engine.begin()

    def _read(self, conn: sa.Connection | None) -> AbstractContextManager[sa.Connection]:
        """``conn`` (the caller's transaction), else a connection of the read-only engine."""
        return nullcontext(conn) if conn is not None else self._reader.connect()

    def _xrefs(self, query: sa.Select[Any], conn: sa.Connection | None) -> list[Xref]:
        """The cross-references a query of whole ``mlc_xref`` rows selects, in its order."""
        with self._read(conn) as c:
            return [Xref(**row._mapping) for row in c.execute(query)]

    def _insert(self, table: sa.Table) -> Any:
        """The dialect's INSERT, which (unlike the generic one) knows ON CONFLICT."""
        return (postgresql.insert if self._dialect == "postgresql" else sqlite.insert)(table)
