"""SQLite storage of the simulated Coupa instance: one table per resource, one JSON document per record.

Documents hold Coupa's hyphenated element names, so the query compiler can reach any attribute with
``json_extract`` and any child collection with ``json_each`` (filters stay SQL, paging stays
``LIMIT/OFFSET`` over ascending ids, as on the real API). Timestamps and a few hot attributes are
copied into indexed columns. A temporary file rather than ``:memory:`` keeps memory bounded at any
scale. The store is used from the server's event loop only (one writer, no locking needed); the
call-out thread never touches it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from connector_sandbox.store import SqliteFile, quote
from connector_sandbox.store import transaction as shared_transaction

from .schema import RESOURCES, Reference, Resource, Scalar


def index_column(field_name: str) -> str:
    """Column holding a copied attribute: ``po-number`` -> ``ix_po_number``; references hold the id."""
    return "ix_" + field_name.replace("-", "_")


def _casefold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


class Store(SqliteFile):
    """One SQLite file with a table per resource plus the sandbox's id sequences."""

    def __init__(self, path: Path | None = None) -> None:
        # Autocommit; ``transaction()`` makes a multi-record write all-or-nothing.
        super().__init__(path, temporary="coupa.sqlite", prefix="coupa-sandbox-")
        # Case-insensitive comparisons that also fold non-ASCII ("MÜLLER" = "müller"); SQLite's
        # NOCASE only folds ASCII.
        self.conn.create_function("sbx_fold", 1, _casefold, deterministic=True)
        for resource in RESOURCES.values():
            for statement in self._ddl(resource):
                self.conn.execute(statement)
        self.conn.execute(
            'CREATE TABLE IF NOT EXISTS "sbx_sequences" ("name" TEXT PRIMARY KEY, "value" INTEGER NOT NULL)'
        )

    @staticmethod
    def _ddl(resource: Resource) -> list[str]:
        columns = ['"id" INTEGER PRIMARY KEY', '"created_at" TEXT', '"updated_at" TEXT']
        columns += [f"{quote(index_column(name))}" for name in resource.indexed]
        table = quote(resource.table)
        statements = [f'CREATE TABLE IF NOT EXISTS {table} ({", ".join(columns)}, "doc" TEXT NOT NULL)']
        for column in ["updated_at", *map(index_column, resource.indexed)]:
            statements.append(
                f"CREATE INDEX IF NOT EXISTS {quote(resource.table + '_' + column)} "
                f"ON {table} ({quote(column)})"
            )
        return statements

    def clear(self) -> None:
        """Remove every record (before a reseed)."""
        with self.transaction():
            for resource in RESOURCES.values():
                self.conn.execute(f"DELETE FROM {quote(resource.table)}")
            self.conn.execute('DELETE FROM "sbx_sequences"')
            self.conn.execute('DELETE FROM "sbx_meta"')

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """All-or-nothing: a multi-record write leaves everything or nothing."""
        return shared_transaction(self.conn)

    # --- records ---------------------------------------------------------------------------------

    @staticmethod
    def _row(resource: Resource, doc: dict[str, Any]) -> tuple[Any, ...]:
        values: list[Any] = [doc["id"], doc.get("created-at"), doc.get("updated-at")]
        for name in resource.indexed:
            node = resource.fields[name]
            value = doc.get(name)
            if isinstance(node, Reference):
                value = value.get("id") if isinstance(value, dict) else None
            elif isinstance(node, Scalar) and isinstance(value, bool):
                value = int(value)
            values.append(value)
        # Nulls are not stored: the renderer fills every schema field, so documents stay small.
        compact = {key: value for key, value in doc.items() if value is not None}
        values.append(json.dumps(compact, ensure_ascii=False, separators=(",", ":")))
        return tuple(values)

    def _columns(self, resource: Resource) -> list[str]:
        return ["id", "created_at", "updated_at", *map(index_column, resource.indexed), "doc"]

    def insert_many(self, resource: Resource, docs: Iterable[dict[str, Any]]) -> int:
        columns = self._columns(resource)
        sql = (
            f"INSERT INTO {quote(resource.table)} ({', '.join(map(quote, columns))}) "
            f"VALUES ({', '.join('?' for _ in columns)})"
        )
        rows = [self._row(resource, doc) for doc in docs]
        self.conn.executemany(sql, rows)
        return len(rows)

    def save(self, resource: Resource, doc: dict[str, Any]) -> None:
        """Insert or replace one record (the whole document)."""
        columns = self._columns(resource)
        sql = (
            f"INSERT OR REPLACE INTO {quote(resource.table)} ({', '.join(map(quote, columns))}) "
            f"VALUES ({', '.join('?' for _ in columns)})"
        )
        self.conn.execute(sql, self._row(resource, doc))

    def get(self, resource: Resource, record_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(
            f'SELECT "doc" FROM {quote(resource.table)} WHERE "id" = ?', (record_id,)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def select(
        self,
        resource: Resource,
        where: str = "1=1",
        params: Iterable[Any] = (),
        *,
        order: str = '"id"',
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        sql = f'SELECT t."doc" FROM {quote(resource.table)} AS t WHERE {where} ORDER BY {order}'
        values = list(params)
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            values += [limit, offset]
        return [json.loads(row[0]) for row in self.conn.execute(sql, values)]

    def ids(self, resource: Resource, where: str = "1=1", params: Iterable[Any] = ()) -> list[int]:
        sql = f'SELECT t."id" FROM {quote(resource.table)} AS t WHERE {where} ORDER BY t."id"'
        return [row[0] for row in self.conn.execute(sql, list(params))]

    def count(self, resource: Resource) -> int:
        return self.conn.execute(f"SELECT COUNT(*) FROM {quote(resource.table)}").fetchone()[0]

    def row_counts(self) -> dict[str, int]:
        return {key: self.count(resource) for key, resource in RESOURCES.items()}

    def find_one(self, resource: Resource, where: str, params: Iterable[Any]) -> dict[str, Any] | None:
        found = self.select(resource, where, params, limit=1)
        return found[0] if found else None

    # --- ids and metadata ------------------------------------------------------------------------

    def next_id(self, name: str, *, count: int = 1) -> int:
        """First of ``count`` fresh ids of a sequence (a resource's table or a child kind, e.g. lines)."""
        row = self.conn.execute('SELECT "value" FROM "sbx_sequences" WHERE "name" = ?', (name,)).fetchone()
        first = row[0] if row else 1
        self.conn.execute(
            'INSERT OR REPLACE INTO "sbx_sequences" ("name", "value") VALUES (?, ?)', (name, first + count)
        )
        return first

    def set_sequence(self, name: str, next_value: int) -> None:
        self.conn.execute(
            'INSERT OR REPLACE INTO "sbx_sequences" ("name", "value") VALUES (?, ?)', (name, next_value)
        )
