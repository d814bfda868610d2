"""SQLite storage of the sandbox's BILL objects.

Each object is kept whole as a JSON document (the v3 response shape, plus internal ``_`` keys the
renderer strips) next to the columns that filters, sorting and paging need, so list queries are SQL
and memory stays bounded by page size whatever the scale. Bill line classifications and the bills a
payment covers get their own tables because filters reach into them (``classifications.departmentId``
matches a bill when any line carries it).

The file is private and temporary unless ``db_path`` is set. One connection, used from the server's
event loop; ``check_same_thread=False`` because seeding happens on the thread that builds the app.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from connector_sandbox.store import SqliteFile
from connector_sandbox.store import transaction as shared_transaction

from .resources import Resource

_DDL = (
    """CREATE TABLE IF NOT EXISTS vendors (
        id TEXT PRIMARY KEY, org TEXT NOT NULL, name TEXT NOT NULL, name_fold TEXT NOT NULL,
        archived INTEGER NOT NULL, account_type TEXT NOT NULL, bill_currency TEXT NOT NULL,
        created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, doc TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS vendors_updated ON vendors (org, updated_ms, id)",
    "CREATE INDEX IF NOT EXISTS vendors_name ON vendors (org, name_fold)",
    """CREATE TABLE IF NOT EXISTS bills (
        id TEXT PRIMARY KEY, org TEXT NOT NULL, vendor_id TEXT NOT NULL, due_date TEXT NOT NULL,
        payment_status TEXT NOT NULL, approval_status TEXT NOT NULL, archived INTEGER NOT NULL,
        invoice_number TEXT NOT NULL, invoice_date TEXT NOT NULL, description TEXT NOT NULL,
        amount_cents INTEGER NOT NULL, pay_from_coa TEXT NOT NULL,
        created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, doc TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS bills_updated ON bills (org, updated_ms, id)",
    "CREATE INDEX IF NOT EXISTS bills_vendor ON bills (org, vendor_id, invoice_number)",
    """CREATE TABLE IF NOT EXISTS bill_classifications (
        bill_id TEXT NOT NULL, chart_of_account_id TEXT NOT NULL, department_id TEXT NOT NULL,
        location_id TEXT NOT NULL, accounting_class_id TEXT NOT NULL, item_id TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS bill_classifications_bill ON bill_classifications (bill_id)",
    "CREATE INDEX IF NOT EXISTS bill_classifications_coa ON bill_classifications (chart_of_account_id)",
    "CREATE INDEX IF NOT EXISTS bill_classifications_dept ON bill_classifications (department_id)",
    """CREATE TABLE IF NOT EXISTS payments (
        id TEXT PRIMARY KEY, org TEXT NOT NULL, vendor_id TEXT NOT NULL, bill_id TEXT NOT NULL,
        amount_cents INTEGER NOT NULL, process_date TEXT NOT NULL, status TEXT NOT NULL,
        single_status TEXT NOT NULL, disbursement_status TEXT NOT NULL,
        created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, doc TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS payments_updated ON payments (org, updated_ms, id)",
    "CREATE TABLE IF NOT EXISTS payment_bills (payment_id TEXT NOT NULL, bill_id TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS payment_bills_bill ON payment_bills (bill_id)",
    "CREATE INDEX IF NOT EXISTS payment_bills_payment ON payment_bills (payment_id)",
    """CREATE TABLE IF NOT EXISTS classifications (
        id TEXT PRIMARY KEY, org TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
        name_fold TEXT NOT NULL, archived INTEGER NOT NULL, account_number TEXT NOT NULL,
        created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, doc TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS classifications_kind ON classifications (org, kind, updated_ms, id)",
    """CREATE TABLE IF NOT EXISTS funding_accounts (
        id TEXT PRIMARY KEY, org TEXT NOT NULL, type TEXT NOT NULL, doc TEXT NOT NULL)""",
)

TABLES = ("vendors", "bills", "bill_classifications", "payments", "payment_bills", "classifications")


def dumps(doc: Any) -> str:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


class Store(SqliteFile):
    """One SQLite file holding every organization's vendors, bills, payments and classifications."""

    meta_table = "meta"  # its name before the stores shared one

    def __init__(self, path: Path | None = None) -> None:
        # Autocommit; multi-row changes use transaction() so a failed bulk request leaves nothing.
        super().__init__(path, temporary="bill.sqlite", prefix="bill-sandbox-")
        for statement in _DDL:
            self.conn.execute(statement)

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """All-or-nothing (bulk endpoints, record-payment)."""
        return shared_transaction(self.conn)

    # -- writing ----------------------------------------------------------------------------------

    def put(self, resource: Resource, org: str, doc: dict[str, Any]) -> None:
        """Insert or replace one object, keeping its derived rows in step."""
        self.put_many(resource, org, [doc])

    def put_many(self, resource: Resource, org: str, docs: Iterable[dict[str, Any]]) -> int:
        rows, children, names = [], [], []
        for doc in docs:
            columns = resource.columns(doc)
            names = names or ["id", "org", *columns, "doc"]
            rows.append((doc["id"], org, *columns.values(), dumps(doc)))
            children.append((doc["id"], resource.child_rows(doc)))
        if not rows:
            return 0
        sql = (
            f"INSERT OR REPLACE INTO {resource.table} ({', '.join(names)}) "
            f"VALUES ({', '.join('?' for _ in names)})"
        )
        self.conn.executemany(sql, rows)
        if resource.child_table:
            ids = [(record_id,) for record_id, _ in children]
            self.conn.executemany(f"DELETE FROM {resource.child_table} WHERE {resource.child_key} = ?", ids)
            flat = [(record_id, *row) for record_id, rows_ in children for row in rows_]
            if flat:
                marks = ", ".join("?" for _ in flat[0])
                self.conn.executemany(f"INSERT INTO {resource.child_table} VALUES ({marks})", flat)
        return len(rows)

    def put_funding_account(self, org: str, doc: dict[str, Any]) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO funding_accounts (id, org, type, doc) VALUES (?, ?, ?, ?)",
            (doc["id"], org, doc["type"], dumps(doc)),
        )

    # -- reading ----------------------------------------------------------------------------------

    def get(self, resource: Resource, org: str, record_id: str) -> dict[str, Any] | None:
        extra, params = resource.scope()
        row = self.conn.execute(
            f"SELECT doc FROM {resource.table} t WHERE t.id = ? AND t.org = ?{extra}",
            (record_id, org, *params),
        ).fetchone()
        return json.loads(row[0]) if row else None

    def get_any(self, table: str, record_id: str) -> tuple[str, dict[str, Any]] | None:
        """(org, document) of an id in any organization (operator inspection)."""
        row = self.conn.execute(f"SELECT org, doc FROM {table} WHERE id = ?", (record_id,)).fetchone()
        return (row[0], json.loads(row[1])) if row else None

    def select(
        self,
        resource: Resource,
        org: str,
        where: Sequence[str],
        params: Sequence[Any],
        order: str,
        limit: int,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        extra, scope_params = resource.scope()
        clauses = " AND ".join(["t.org = ?", *where]) + extra
        sql = f"SELECT doc FROM {resource.table} t WHERE {clauses} ORDER BY {order} LIMIT ? OFFSET ?"
        cursor = self.conn.execute(sql, (org, *params, *scope_params, limit, offset))
        return [json.loads(row[0]) for row in cursor.fetchall()]

    def exists(self, resource: Resource, org: str, where: str, params: Sequence[Any]) -> bool:
        extra, scope_params = resource.scope()
        sql = f"SELECT 1 FROM {resource.table} t WHERE t.org = ? AND {where}{extra} LIMIT 1"
        return self.conn.execute(sql, (org, *params, *scope_params)).fetchone() is not None

    def ids(self, resource: Resource, org: str, where: str = "1=1", params: Sequence[Any] = ()) -> list[str]:
        extra, scope_params = resource.scope()
        sql = f"SELECT t.id FROM {resource.table} t WHERE t.org = ? AND {where}{extra} ORDER BY t.id"
        return [row[0] for row in self.conn.execute(sql, (org, *params, *scope_params))]

    def funding_account(self, org: str, account_id: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT doc FROM funding_accounts WHERE id = ? AND org = ?", (account_id, org)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def funding_accounts(self, org: str) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT doc FROM funding_accounts WHERE org = ? ORDER BY id", (org,))
        return [json.loads(row[0]) for row in rows]

    def row_counts(self) -> dict[str, int]:
        counts = {name: self.conn.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0] for name in TABLES}
        for kind, count in self.conn.execute(
            "SELECT kind, COUNT(*) FROM classifications GROUP BY kind ORDER BY kind"
        ):
            counts[f"classifications/{kind}"] = count
        return counts
