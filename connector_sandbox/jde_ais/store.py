"""SQLite storage behind the simulated E1 database.

A file (never ``:memory:``) so that every open AIS result set can hold its own read connection: in WAL
mode a half-read SELECT keeps the snapshot it started with while orchestrations keep writing, which
is how an open cursor on the real HTML server behaves, and memory stays bounded however large the
tables are. All identifiers are quoted because aliases such as ``USER`` and ``DESC`` are SQL keywords.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from connector_sandbox.store import SqliteFile, index_ddl, quote
from connector_sandbox.store import transaction as shared_transaction

from .tables import TABLES, Kind, Table

# Internal tables are not E1 tables: they are never reachable through the data service. A payment keeps its
# amount in the company's currency (``amount``, cents) and, for a foreign voucher, what JDE posts at G/L time:
# the amount in the voucher's currency (``currency_amount``, with its decimals), the payment's rate
# (``exchange_rate``, 7 decimals), the domestic open amount it relieved at the voucher's rate and the
# realized gain or loss (``gain_loss`` = amount - domestic_relieved, cents: positive is a loss, the payment
# cost more in the company's currency than the voucher had booked).
_INTERNAL_DDL = (
    """CREATE TABLE IF NOT EXISTS "sbx_payments" (
        "payment_number" INTEGER PRIMARY KEY, "kco" TEXT NOT NULL, "doc" INTEGER NOT NULL,
        "dct" TEXT NOT NULL, "sfx" TEXT NOT NULL, "reference" TEXT NOT NULL, "amount" INTEGER NOT NULL,
        "payment_date" INTEGER NOT NULL, "username" TEXT NOT NULL, "upmj" INTEGER NOT NULL,
        "upmt" INTEGER NOT NULL, "currency" TEXT NOT NULL DEFAULT '', "currency_amount" INTEGER NOT NULL
        DEFAULT 0, "exchange_rate" INTEGER NOT NULL DEFAULT 0, "domestic_relieved" INTEGER NOT NULL DEFAULT 0,
        "gain_loss" INTEGER NOT NULL DEFAULT 0)""",
    'CREATE INDEX IF NOT EXISTS "sbx_payments_doc" ON "sbx_payments" ("kco", "doc", "dct")',
)


def _ddl(table: Table) -> list[str]:
    columns = []
    for column in table.columns:
        sql_type = "TEXT NOT NULL DEFAULT ''" if column.kind is Kind.STRING else "INTEGER NOT NULL DEFAULT 0"
        columns.append(f"{quote(column.alias)} {sql_type}")
    key = ", ".join(quote(alias) for alias in table.key)
    create = f"CREATE TABLE IF NOT EXISTS {quote(table.name)} ({', '.join(columns)}, PRIMARY KEY ({key}))"
    return [create, *index_ddl(table.name, table.indexes)]


class Store(SqliteFile):
    """One SQLite database file holding the E1 tables of ``TABLES`` and the sandbox's own bookkeeping."""

    def __init__(self, path: Path | None = None) -> None:
        # Autocommit: transactions are explicit (``transaction()``), so a failed orchestration can roll
        # back every row it wrote and a duplicate key never leaves a partial batch behind.
        super().__init__(path, temporary="e1.sqlite", prefix="jde-ais-sandbox-")
        for table in TABLES.values():
            for statement in _ddl(table):
                self.conn.execute(statement)
        for statement in _INTERNAL_DDL:
            self.conn.execute(statement)

    def reader(self) -> sqlite3.Connection:
        """A private read-only connection whose open cursor keeps its own snapshot (an AIS result set)."""
        uri = f"file:{self.path}?mode=ro"
        connection = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA cache_size=-4000")
        return connection

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """All-or-nothing unit of work; IMMEDIATE takes the write lock up front."""
        return shared_transaction(self.conn)

    def insert(
        self,
        table_name: str,
        rows: Iterable[Mapping[str, Any]],
        *,
        connection: sqlite3.Connection | None = None,
    ) -> int:
        """Insert rows given as alias -> stored value; columns not given take JDE blanks (``''`` / 0)."""
        table = TABLES[table_name]
        aliases = [column.alias for column in table.columns]
        defaults = [column.default for column in table.columns]
        sql = (
            f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, aliases))}) "
            f"VALUES ({', '.join('?' for _ in aliases)})"
        )
        pairs = list(zip(aliases, defaults, strict=True))
        values = [tuple(row.get(alias, default) for alias, default in pairs) for row in rows]
        (connection or self.conn).executemany(sql, values)
        return len(values)

    def row_counts(self) -> dict[str, int]:
        return {
            name: self.conn.execute(f"SELECT COUNT(*) FROM {quote(name)}").fetchone()[0] for name in TABLES
        }

    def next_number(self, table_name: str, alias: str, *, floor: int = 1) -> int:
        """JDE Next Numbers, simulated as max + 1 (never reusing a number, never below ``floor``)."""
        highest = self.conn.execute(f"SELECT MAX({quote(alias)}) FROM {quote(table_name)}").fetchone()[0]
        return max(int(highest or 0) + 1, floor)

    def fetch_dicts(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        cursor = self.conn.execute(sql, tuple(params))
        names = [description[0] for description in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
