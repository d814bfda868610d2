"""SQLite storage behind the sandbox pod.

One database file per sandbox (private and temporary, or the kept ``db_path``; not ``:memory:``) so
a large scale lives on disk with a bounded page cache instead of in RAM. Filtering, sorting and paging
are SQL, so the framework's ``q``, ``orderBy``, ``limit``/``offset`` behave on millions of rows as on
ten. Every access happens on the
server's event-loop thread, which serialises it, as a single connection needs.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from connector_sandbox.store import SqliteFile, index_ddl, quote
from connector_sandbox.store import transaction as shared_transaction

from .catalog import TABLES, Kind, Table

_SQL_TYPES = {
    Kind.INT: "INTEGER",
    Kind.NUMBER: "INTEGER",
    Kind.STRING: "TEXT",
    Kind.DATE: "TEXT",
    Kind.DATETIME: "INTEGER",
    Kind.BOOL: "INTEGER",
}
SYSTEM_COLUMNS = ("sbx_id", "sbx_parent", "sbx_version", "sbx_bu")


def _table_ddl(table: Table) -> str:
    columns = [
        "sbx_id INTEGER PRIMARY KEY",
        "sbx_parent INTEGER",
        "sbx_version INTEGER NOT NULL DEFAULT 1",
        "sbx_bu INTEGER",
        *(f"{quote(attr.name)} {_SQL_TYPES[attr.kind]}" for attr in table.attributes),
    ]
    return f"CREATE TABLE IF NOT EXISTS {quote(table.name)} ({', '.join(columns)})"


def _index_ddl(table: Table) -> list[str]:
    parent = f"CREATE INDEX IF NOT EXISTS {quote(table.name + '_parent')} ON {quote(table.name)} (sbx_parent)"
    return [parent, *index_ddl(table.name, table.indexes)]


def _unicode_upper(value: Any) -> Any:
    # SQLite's upper() only knows ASCII; q's upper() must turn "Müller" into "MÜLLER".
    return unicodedata.normalize("NFC", value.upper()) if isinstance(value, str) else value


class Store(SqliteFile):
    """The pod's business-object tables plus a counter table for ids."""

    def __init__(self, path: Path | None = None) -> None:
        """``path``: a kept file (reopened as it was), else a private temporary one."""
        # Autocommit; writes that must be all-or-nothing use transaction().
        super().__init__(path, temporary="pod.sqlite", prefix="fusion-sandbox-")
        self.conn.execute("PRAGMA case_sensitive_like=ON")  # attribute values compare case-sensitively
        self.conn.create_function("sbx_upper", 1, _unicode_upper, deterministic=True)
        for table in TABLES.values():
            self.conn.execute(_table_ddl(table))
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS sbx_counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL)"
        )

    def create_indexes(self) -> None:
        """Indexes for parents, natural keys and LastUpdateDate; built once after the bulk load, which
        is several times faster than maintaining them row by row while seeding."""
        for table in TABLES.values():
            for statement in _index_ddl(table):
                self.conn.execute(statement)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All-or-nothing unit of work; nested use joins the enclosing transaction."""
        if self.conn.in_transaction:
            yield self.conn
            return
        with shared_transaction(self.conn) as conn:
            yield conn

    def insert(self, table_name: str, rows: Iterable[Mapping[str, Any]]) -> int:
        """Insert rows given as column -> stored value; absent attributes are NULL (served as null)."""
        table = TABLES[table_name]
        columns = [*SYSTEM_COLUMNS, *table.names]
        placeholders = ["COALESCE(?, 1)" if column == "sbx_version" else "?" for column in columns]
        sql = (
            f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, columns))}) "
            f"VALUES ({', '.join(placeholders)})"
        )
        values = [tuple(map(row.get, columns)) for row in rows]
        self.conn.executemany(sql, values)
        return len(values)

    def update(self, table_name: str, row_id: int, changes: Mapping[str, Any]) -> None:
        """Set columns on one row and bump its object version (a new ETag / changeIndicator)."""
        assignments = ", ".join(f"{quote(column)} = ?" for column in changes)
        prefix = f"{assignments}, " if assignments else ""
        self.conn.execute(
            f"UPDATE {quote(table_name)} SET {prefix}sbx_version = sbx_version + 1 WHERE sbx_id = ?",
            (*changes.values(), row_id),
        )

    def next_id(self, name: str, floor: int) -> int:
        """The next id of a sequence, never below ``floor`` and never reused (Fusion's 15-digit ids)."""
        row = self.conn.execute("SELECT value FROM sbx_counter WHERE name = ?", (name,)).fetchone()
        value = max(floor, (row[0] + 1) if row else floor)
        self.conn.execute(
            "INSERT INTO sbx_counter (name, value) VALUES (?, ?) "
            "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            (name, value),
        )
        return value

    def set_counter(self, name: str, value: int) -> None:
        self.conn.execute(
            "INSERT INTO sbx_counter (name, value) VALUES (?, ?) "
            "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            (name, value),
        )

    def fetch(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        cursor = self.conn.execute(sql, tuple(params))
        names = [description[0] for description in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def fetch_one(self, sql: str, params: Iterable[Any] = ()) -> dict[str, Any] | None:
        rows = self.fetch(sql, params)
        return rows[0] if rows else None

    def row(self, table_name: str, row_id: int) -> dict[str, Any] | None:
        return self.fetch_one(f"SELECT * FROM {quote(table_name)} WHERE sbx_id = ?", (row_id,))

    def row_counts(self) -> dict[str, int]:
        return {
            name: self.conn.execute(f"SELECT COUNT(*) FROM {quote(name)}").fetchone()[0] for name in TABLES
        }
