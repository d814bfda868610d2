"""SQLite storage behind the simulated Procurify customer.

Normalised tables (vendors, requisitions, order items, purchase orders, bills, payments, the GL) so
that nested objects are rendered from the current rows: rename a vendor and every purchase order
shows the new name, as on the real service. Filters, ordering and paging are SQL, so a request costs
one page of rows whatever the scale. The database is a private temporary file (or the kept
``db_path``) rather than ``:memory:`` so a large scale stays bounded by SQLite's page cache, not by RAM.

Stored forms are described in ``formats.py`` (UTC text timestamps, money as integers in its currency's
minor unit, quantities in hundredths).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from connector_sandbox.store import SqliteFile, quote
from connector_sandbox.store import transaction as shared_transaction

TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "currencies": ("id", "name", "rate", "is_base", "decimals"),
    "users": ("id", "email", "first_name", "last_name"),
    "locations": (
        "id", "name", "headquarter", "address_line_one", "city", "state_province", "postal_code",
        "country", "active", "currency_id",
    ),
    "terms": ("id", "kind", "name", "description", "active"),
    "contracts": ("id", "name"),
    "departments": ("id", "name", "external_id", "active", "branch_id", "punchout_email", "modified_at"),
    "account_codes": ("id", "code", "description", "account_type", "active", "parent_id", "modified_at"),
    "accounts": ("id", "account_code_id", "department_id", "active", "in_effect", "modified_at"),
    "vendors": (
        "id", "name", "active", "address_line_one", "address_line_two", "postal_code", "city",
        "state_province", "country", "phone_one", "phone_two", "fax", "email", "contact", "url",
        "comments", "external_id", "date_modified", "currency_id", "payment_term_id", "shipping_term_id",
        "payment_method_id", "shipping_method_id", "tax", "type", "default_payment_method",
        "is_1099_eligible", "overall_score", "is_auto_email_po_enabled",
    ),
    "orders": (
        "num", "uuid", "description", "branch_id", "user_id", "department_id", "currency_id", "date",
        "date_required", "date_modified", "status", "next_approver_id",
    ),
    "order_items": (
        "id", "order_num", "po_id", "po_line_num", "name", "sku", "quantity", "approved_quantity",
        "price", "approved_price", "unit", "received_pass", "received_fail", "account_id",
        "currency_id", "vendor_id", "last_modified", "external_id", "status", "type",
        "approved_datetime", "po_created_date", "purchased_date", "received_on", "custom_fields",
    ),
    "purchase_orders": (
        "procurify_PO", "uuid", "po_num", "version", "date", "last_modified", "vendor_id",
        "purchaser_id", "branch_id", "payment_terms", "shipping_terms", "shipping_method",
        "promise_date", "expiry_date", "subtotal", "freight", "tax_value", "tax_type", "discount_value",
        "discount_type", "other", "total", "currency_id", "currency_rate", "state", "closed_date",
        "contract_id", "staged_for_export", "fulfilment_status",
    ),
    "bills": (
        "id", "uuid", "version", "status", "locked", "currency_id", "vendor_id", "invoice_number",
        "invoice_date", "due_date", "submitted_date", "gl_post_date", "subtotal", "tax_amount",
        "last_modified_datetime", "last_export_date", "last_export_user_id", "group_id", "type",
        "user_id", "creator_id", "approver_id", "payment_uuid", "invoice_uuid", "note",
        "payment_terms", "payment_date", "sync_status",
    ),
    "bill_items": (
        "id", "bill_id", "order_item_id", "description", "quantity", "unit_cost", "account_id",
        "created_at",
    ),
    "payments": (
        "id", "uuid", "amount", "currency_id", "status", "processing_date", "posted_date",
        "created_at", "updated_at", "creator_id", "vendor_id", "gl_code", "payment_source_type",
        "rail", "method_type", "approver_id",
    ),
    "payment_groups": ("payment_id", "group_id"),
}  # fmt: skip

_KEYS = {"orders": "num", "purchase_orders": "procurify_PO"}
# Integer columns besides ids and foreign keys. Everything else is TEXT, so "01234" stays a postal code
# and comparisons between a foreign key and an INTEGER PRIMARY KEY can use the index (same affinity).
_INTEGER_COLUMNS = {
    "num", "order_num", "po_line_num", "quantity", "approved_quantity", "price", "approved_price",
    "received_pass", "received_fail", "subtotal", "freight", "tax_value", "discount_value", "other", "total",
    "tax_amount", "amount", "unit_cost", "version", "state", "type", "active", "headquarter", "is_base",
    "decimals", "in_effect", "account_type", "locked", "staged_for_export", "is_1099_eligible",
    "is_auto_email_po_enabled", "method_type", "default_payment_method", "po_id",
}  # fmt: skip
_TEXT_STATUS_TABLES = {"payments"}  # public payment statuses are words; the others are codes

# Each table's indexes in the order they are created (and numbered: ix<position>_<table>); "a, b" is one
# index on two columns.
_INDEXES_BY_TABLE: dict[str, tuple[str, ...]] = {
    "vendors": ("date_modified", "external_id", "name"),
    "account_codes": ("code",),
    "accounts": ("account_code_id, department_id",),
    "departments": ("branch_id",),
    "orders": ("date_modified", "date", "uuid"),
    "order_items": ("order_num", "po_id, po_line_num", "last_modified"),
    "purchase_orders": ("last_modified", "date", "uuid", "vendor_id"),
    "bills": ("last_modified_datetime", "uuid", "group_id"),
    "bill_items": ("bill_id", "order_item_id"),
    "payments": ("updated_at", "created_at"),
    "payment_groups": ("group_id", "payment_id"),
}
_INDEXES = tuple(
    (table, tuple(index.split(", "))) for table, indexes in _INDEXES_BY_TABLE.items() for index in indexes
)


def _casefold(value: Any) -> Any:
    # SQLite's lower() folds ASCII only; search must match "MÜLLER" to "Müller" as Django does.
    return value.casefold() if isinstance(value, str) else value


def key_of(table: str) -> str:
    return _KEYS.get(table, "id")


def column_type(table: str, column: str) -> str:
    if column == "status":
        return "TEXT" if table in _TEXT_STATUS_TABLES else "INTEGER"
    if column == "id" or (column.endswith("_id") and column != "external_id") or column in _INTEGER_COLUMNS:
        return "INTEGER"
    return "TEXT"


class Store(SqliteFile):
    """One SQLite file holding the customer's data; a lock serialises the server's writers."""

    def __init__(self, path: Path | None = None) -> None:
        """``path``: a kept file (reopened as it was), else a private temporary one."""
        # Autocommit: transactions are explicit, so a refused write never leaves half a record behind. A
        # kept file journals in WAL, so a server killed mid-write leaves it readable at the next start.
        super().__init__(
            path,
            temporary="procurify.sqlite",
            prefix="procurify-sandbox-",
            journal_mode="WAL" if path else "MEMORY",
        )
        self.conn.row_factory = sqlite3.Row
        self.conn.create_function("casefold", 1, _casefold, deterministic=True)
        self.lock = threading.RLock()
        for table, columns in TABLE_COLUMNS.items():
            key = key_of(table)
            definitions = [
                f"{quote(column)} INTEGER PRIMARY KEY"
                if column == key
                else f"{quote(column)} {column_type(table, column)}"
                for column in columns
            ]
            if table == "payment_groups":
                definitions.append('PRIMARY KEY ("payment_id", "group_id")')
            self.conn.execute(f"CREATE TABLE IF NOT EXISTS {quote(table)} ({', '.join(definitions)})")
        for position, (table, columns) in enumerate(_INDEXES):
            self.conn.execute(
                f"CREATE INDEX IF NOT EXISTS {quote(f'ix{position}_{table}')} ON {quote(table)} "
                f"({', '.join(map(quote, columns))})"
            )

    def close(self) -> None:
        with self.lock:
            super().close()

    def get_meta(self, key: str) -> str | None:
        with self.lock:
            return super().get_meta(key)

    def set_meta(self, key: str, value: str) -> None:
        """Under the lock: a write from the event loop must not land inside a handler thread's
        transaction on the shared connection (and vanish with its rollback)."""
        with self.lock:
            super().set_meta(key, value)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All-or-nothing unit of work under the store lock."""
        with self.lock, shared_transaction(self.conn) as conn:
            yield conn

    def insert(self, table: str, rows: Iterable[Mapping[str, Any]]) -> int:
        """Insert rows given as column -> value; absent columns are NULL."""
        columns = TABLE_COLUMNS[table]
        sql = (
            f"INSERT INTO {quote(table)} ({', '.join(map(quote, columns))}) "
            f"VALUES ({', '.join('?' for _ in columns)})"
        )
        values = [tuple(row.get(column) for column in columns) for row in rows]
        with self.lock:
            self.conn.executemany(sql, values)
        return len(values)

    def update(self, table: str, key: Any, changes: Mapping[str, Any]) -> None:
        if not changes:
            return
        unknown = set(changes) - set(TABLE_COLUMNS[table])
        if unknown:
            raise KeyError(f"{table} has no columns {sorted(unknown)}")
        assignments = ", ".join(f"{quote(column)} = ?" for column in changes)
        with self.lock:
            self.conn.execute(
                f"UPDATE {quote(table)} SET {assignments} WHERE {quote(key_of(table))} = ?",
                (*changes.values(), key),
            )

    def one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        with self.lock:
            return self.conn.execute(sql, tuple(params)).fetchone()

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self.lock:
            return self.conn.execute(sql, tuple(params)).fetchall()

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.one(sql, params)
        return None if row is None else row[0]

    def get(self, table: str, key: Any) -> sqlite3.Row | None:
        return self.one(f"SELECT * FROM {quote(table)} WHERE {quote(key_of(table))} = ?", (key,))

    def next_id(self, table: str) -> int:
        """max + 1, like a database sequence that never reuses a number."""
        column = key_of(table)
        return int(self.scalar(f"SELECT COALESCE(MAX({quote(column)}), 0) FROM {quote(table)}")) + 1

    def row_counts(self) -> dict[str, int]:
        return {table: int(self.scalar(f"SELECT COUNT(*) FROM {quote(table)}")) for table in TABLE_COLUMNS}
