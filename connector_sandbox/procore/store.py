"""SQLite storage behind the simulated Procore company.

Stdlib ``sqlite3`` (in memory unless a file is asked for: ``db_path``, kept and reused at the next
start) so that filters, sorting and paging are SQL and large scales stay bounded by SQLite, not by
Python objects. One connection is shared by the request
handlers (event loop thread) and the webhook sender (its own thread), so every use goes through one
re-entrant lock; statements are short, so the lock is never held for long, and never across HTTP.

Conventions: timestamps are ``YYYY-MM-DDTHH:MM:SSZ`` text (so text order is time order), money that the
API shows as strings is kept as integer cents (exact), budget money that the API shows as floats is REAL,
id arrays (``project_ids``, ``trade_ids``) are JSON text so ``json_each`` can filter on them.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from connector_sandbox.store import META_TABLE, create_meta, read_meta, write_meta
from connector_sandbox.store import transaction as shared_transaction

_ORIGIN = "origin_id TEXT, origin_code TEXT, origin_data TEXT, origin_owner TEXT"
_STAMPS = "created_at TEXT NOT NULL, updated_at TEXT NOT NULL"

SCHEMA: dict[str, str] = {
    "companies": "id INTEGER PRIMARY KEY, name TEXT NOT NULL, is_active INTEGER NOT NULL, "
    "connected INTEGER NOT NULL",
    "users": "id INTEGER PRIMARY KEY, company_id INTEGER NOT NULL, name TEXT NOT NULL, "
    "login TEXT NOT NULL, is_service_account INTEGER NOT NULL DEFAULT 0",
    "projects": "id INTEGER PRIMARY KEY, company_id INTEGER NOT NULL, name TEXT NOT NULL, "
    "display_name TEXT, project_number TEXT, active INTEGER NOT NULL, permitted INTEGER NOT NULL, "
    "address TEXT, city TEXT, state_code TEXT, zip TEXT, country_code TEXT, "
    f"currency_iso_code TEXT NOT NULL, {_ORIGIN}, {_STAMPS}",
    "trades": f"id INTEGER PRIMARY KEY, company_id INTEGER NOT NULL, name TEXT NOT NULL, {_STAMPS}",
    "vendors": "id INTEGER PRIMARY KEY, company_id INTEGER NOT NULL, name TEXT NOT NULL, "
    "abbreviated_name TEXT, trade_name TEXT, legal_name TEXT, address TEXT, city TEXT, state_code TEXT, "
    "zip TEXT, country_code TEXT, business_phone TEXT, mobile_phone TEXT, fax_number TEXT, "
    "email_address TEXT, website TEXT, is_active INTEGER NOT NULL, license_number TEXT, "
    "union_member INTEGER NOT NULL DEFAULT 0, labor_union TEXT, prequalified INTEGER NOT NULL DEFAULT 0, "
    "authorized_bidder INTEGER NOT NULL DEFAULT 0, notes TEXT, synced_to_erp INTEGER NOT NULL DEFAULT 0, "
    "parent_id INTEGER, business_register TEXT, trade_ids TEXT NOT NULL DEFAULT '[]', "
    "standard_cost_code_ids TEXT NOT NULL DEFAULT '[]', project_ids TEXT NOT NULL DEFAULT '[]', "
    f"{_ORIGIN}, {_STAMPS}",
    "standard_cost_code_lists": f"id INTEGER PRIMARY KEY, company_id INTEGER NOT NULL, name TEXT NOT NULL, "
    f"{_STAMPS}",
    "standard_cost_codes": "id INTEGER PRIMARY KEY, company_id INTEGER NOT NULL, list_id INTEGER NOT NULL, "
    "code TEXT NOT NULL, full_code TEXT NOT NULL, name TEXT NOT NULL, parent_id INTEGER, "
    f"position INTEGER, {_ORIGIN}, {_STAMPS}",
    "line_item_types": "id INTEGER PRIMARY KEY, company_id INTEGER NOT NULL, name TEXT NOT NULL, "
    f"code TEXT NOT NULL, base_type TEXT NOT NULL, {_ORIGIN}, {_STAMPS}",
    "cost_codes": "id INTEGER PRIMARY KEY, company_id INTEGER NOT NULL, project_id INTEGER NOT NULL, "
    "sub_job_id INTEGER, code TEXT NOT NULL, full_code TEXT NOT NULL, name TEXT NOT NULL, "
    "parent_id INTEGER, position INTEGER, standard_cost_code_id INTEGER, budgeted INTEGER NOT NULL "
    f"DEFAULT 0, {_ORIGIN}, {_STAMPS}, deleted_at TEXT",
    "commitments": "id INTEGER PRIMARY KEY, company_id INTEGER NOT NULL, project_id INTEGER NOT NULL, "
    "kind TEXT NOT NULL, number TEXT, title TEXT, description TEXT, status TEXT NOT NULL, "
    "executed INTEGER NOT NULL DEFAULT 0, vendor_id INTEGER, contract_date TEXT, delivery_date TEXT, "
    "issued_on_date TEXT, execution_date TEXT, retainage_percent TEXT, payment_terms TEXT, "
    "ship_to_address TEXT, bill_to_address TEXT, ship_via TEXT, private INTEGER NOT NULL DEFAULT 0, "
    "requisitions_are_enabled INTEGER NOT NULL DEFAULT 1, accounting_method TEXT NOT NULL, "
    "total_payments_cents INTEGER NOT NULL DEFAULT 0, currency_iso_code TEXT NOT NULL, "
    f"{_ORIGIN}, {_STAMPS}, deleted_at TEXT",
    "commitment_line_items": "id INTEGER PRIMARY KEY, company_id INTEGER NOT NULL, "
    "project_id INTEGER NOT NULL, commitment_id INTEGER NOT NULL, position INTEGER, description TEXT, "
    "amount_cents INTEGER NOT NULL, quantity TEXT, unit_cost TEXT, uom TEXT, cost_code_id INTEGER, "
    f"line_item_type_id INTEGER, {_ORIGIN}, {_STAMPS}, deleted_at TEXT",
    "change_order_packages": "id INTEGER PRIMARY KEY, company_id INTEGER NOT NULL, "
    "project_id INTEGER NOT NULL, contract_id INTEGER NOT NULL, number TEXT, title TEXT, "
    f"status TEXT NOT NULL, {_STAMPS}, deleted_at TEXT",
    "commitment_change_orders": "id INTEGER PRIMARY KEY, company_id INTEGER NOT NULL, "
    "project_id INTEGER NOT NULL, contract_id INTEGER NOT NULL, package_id INTEGER, batch_id INTEGER, "
    "number TEXT, title TEXT, description TEXT, status TEXT NOT NULL, grand_total_cents INTEGER NOT NULL, "
    "executed INTEGER NOT NULL DEFAULT 0, paid INTEGER NOT NULL DEFAULT 0, due_date TEXT, "
    "invoiced_date TEXT, reviewed_at TEXT, created_by_id INTEGER, change_reason TEXT, "
    f"{_STAMPS}, deleted_at TEXT",
    "commitment_change_order_line_items": "id INTEGER PRIMARY KEY, company_id INTEGER NOT NULL, "
    "project_id INTEGER NOT NULL, change_order_id INTEGER NOT NULL, commitment_line_item_id INTEGER, "
    "position INTEGER, description TEXT, amount_cents INTEGER NOT NULL, quantity TEXT, unit_cost TEXT, "
    f"uom TEXT, cost_code_id INTEGER, line_item_type_id INTEGER, {_STAMPS}, deleted_at TEXT",
    "billing_periods": "id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, position INTEGER NOT NULL, "
    "start_date TEXT NOT NULL, end_date TEXT NOT NULL, due_date TEXT NOT NULL",
    "requisitions": "id INTEGER PRIMARY KEY, company_id INTEGER NOT NULL, project_id INTEGER NOT NULL, "
    "commitment_id INTEGER NOT NULL, number INTEGER NOT NULL, invoice_number TEXT, period_id INTEGER, "
    "billing_date TEXT, requisition_start TEXT, requisition_end TEXT, status TEXT NOT NULL, "
    "erp_status TEXT, submitted_at TEXT, payment_date TEXT, final INTEGER NOT NULL DEFAULT 0, "
    f"{_ORIGIN}, {_STAMPS}, deleted_at TEXT",
    "requisition_items": "id INTEGER PRIMARY KEY, requisition_id INTEGER NOT NULL, "
    "line_item_id INTEGER NOT NULL, cost_code_id INTEGER, description TEXT, "
    "scheduled_value_cents INTEGER NOT NULL, previous_work_cents INTEGER NOT NULL, "
    "work_completed_this_period_cents INTEGER NOT NULL, materials_presently_stored_cents INTEGER NOT NULL, "
    f"retainage_percent TEXT NOT NULL, {_STAMPS}",
    "budget_views": "id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, name TEXT NOT NULL, "
    f"description TEXT, {_STAMPS}",
    "budget_line_items": "id INTEGER PRIMARY KEY, company_id INTEGER NOT NULL, project_id INTEGER NOT NULL, "
    "cost_code_id INTEGER NOT NULL, line_item_type_id INTEGER NOT NULL, "
    "original_budget_amount REAL NOT NULL, "
    "approved_budget_changes REAL NOT NULL DEFAULT 0, pending_budget_changes REAL NOT NULL DEFAULT 0, "
    "direct_costs REAL NOT NULL DEFAULT 0, pending_cost_changes REAL NOT NULL DEFAULT 0, "
    "budget_forecast REAL NOT NULL DEFAULT 0, uom TEXT, quantity REAL, unit_cost REAL, "
    f"calculation_strategy TEXT NOT NULL, currency_iso_code TEXT NOT NULL, {_ORIGIN}, {_STAMPS}",
    "hooks": "id INTEGER PRIMARY KEY, company_id INTEGER, project_id INTEGER, owner_client_id TEXT NOT NULL, "
    "owned_by_user_id INTEGER, api_version TEXT NOT NULL, namespace TEXT NOT NULL, "
    f"destination_url TEXT NOT NULL, destination_headers TEXT NOT NULL, {_STAMPS}, "
    "consecutive_failures INTEGER NOT NULL DEFAULT 0, failing_since REAL, next_attempt_at REAL",
    "triggers": "id INTEGER PRIMARY KEY, hook_id INTEGER NOT NULL, resource_name TEXT NOT NULL, "
    f"event_type TEXT NOT NULL, {_STAMPS}",
    "events": "id INTEGER PRIMARY KEY, ulid TEXT NOT NULL, timestamp TEXT NOT NULL, company_id INTEGER, "
    "project_id INTEGER, user_id INTEGER, resource_name TEXT NOT NULL, event_type TEXT NOT NULL, "
    "resource_id INTEGER NOT NULL, related TEXT, metadata TEXT NOT NULL",
    "deliveries": "id INTEGER PRIMARY KEY, hook_id INTEGER NOT NULL, event_id INTEGER NOT NULL, "
    "status TEXT NOT NULL, outcome TEXT, attempts INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, "
    "first_attempt_at TEXT, last_attempt_at TEXT, completed_at TEXT, response_status INTEGER, "
    "response_error TEXT",
    "delivery_attempts": "id INTEGER PRIMARY KEY, delivery_id INTEGER NOT NULL, hook_id INTEGER NOT NULL, "
    "event_id INTEGER NOT NULL, at TEXT NOT NULL, duplicate INTEGER NOT NULL, response_status INTEGER, "
    "error TEXT, elapsed_ms INTEGER NOT NULL",
}

INDEXES = (
    "CREATE INDEX ix_projects_company ON projects (company_id)",
    "CREATE INDEX ix_vendors_company ON vendors (company_id, is_active, id)",
    "CREATE INDEX ix_vendors_updated ON vendors (company_id, updated_at)",
    "CREATE INDEX ix_vendors_origin ON vendors (company_id, origin_id)",
    "CREATE INDEX ix_cost_codes_project ON cost_codes (project_id, id)",
    "CREATE INDEX ix_cost_codes_origin ON cost_codes (company_id, origin_id)",
    "CREATE INDEX ix_commitments_project ON commitments (project_id, kind, id)",
    "CREATE INDEX ix_commitments_updated ON commitments (project_id, updated_at)",
    "CREATE INDEX ix_commitments_origin ON commitments (company_id, origin_id)",
    "CREATE INDEX ix_lines_commitment ON commitment_line_items (commitment_id, position)",
    "CREATE INDEX ix_lines_cost ON commitment_line_items (project_id, cost_code_id, line_item_type_id)",
    "CREATE INDEX ix_cos_project ON commitment_change_orders (project_id, contract_id)",
    "CREATE INDEX ix_co_lines ON commitment_change_order_line_items (change_order_id, position)",
    "CREATE INDEX ix_packages_project ON change_order_packages (project_id, updated_at)",
    "CREATE INDEX ix_requisitions_project ON requisitions (project_id, updated_at)",
    "CREATE INDEX ix_requisitions_commitment ON requisitions (commitment_id, number)",
    "CREATE INDEX ix_requisitions_origin ON requisitions (company_id, origin_id)",
    "CREATE INDEX ix_req_items ON requisition_items (requisition_id)",
    "CREATE INDEX ix_req_items_line ON requisition_items (line_item_id)",
    "CREATE INDEX ix_budget_project ON budget_line_items (project_id, cost_code_id)",
    "CREATE INDEX ix_budget_origin ON budget_line_items (company_id, origin_id)",
    "CREATE INDEX ix_triggers_hook ON triggers (hook_id)",
    "CREATE INDEX ix_deliveries_hook ON deliveries (hook_id, status, id)",
)

# Tables that are Procore resources (what /sandbox/state counts), not webhook bookkeeping.
RESOURCE_TABLES = tuple(name for name in SCHEMA if name not in {"delivery_attempts"})


def _icontains(haystack: str | None, needle: str | None) -> int:
    if haystack is None or needle is None:
        return 0
    return int(needle.casefold() in haystack.casefold())


class Store:
    """The sandbox database: one connection, one lock, a handful of small helpers."""

    def __init__(self, path: Path | None = None) -> None:
        """``path``: a kept file, reopened as it was (``seed`` reuses or refuses its data); else memory."""
        self.path = path
        self.lock = threading.RLock()
        # Whether an invoice line's stored materials are this period's (True) or a running balance:
        # the live variant, as ``SandboxState`` wires it (render reads it).
        self.materials_moved: Callable[[], bool] = lambda: True
        self.conn = sqlite3.connect(
            str(path) if path else ":memory:", isolation_level=None, check_same_thread=False
        )
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA synchronous=OFF")  # a simulator never needs crash durability
        # A kept file journals in WAL, so a server killed mid-write leaves it readable at the next start.
        self.conn.execute(f"PRAGMA journal_mode={'WAL' if path else 'MEMORY'}")
        # Case-insensitive "contains" that also folds non-ASCII (SQLite's LIKE folds ASCII only), so
        # filters[search]=müller finds "Müller Baustoffe GmbH".
        self.conn.create_function("icontains", 2, _icontains, deterministic=True)
        self._create_tables(drop=False)

    def create_schema(self) -> None:
        """Every table empty (a reseed): the old data, its hooks, events and meta all go."""
        self._create_tables(drop=True)

    def _create_tables(self, *, drop: bool) -> None:
        with self.lock:
            for name, columns in SCHEMA.items():
                if drop:
                    self.conn.execute(f"DROP TABLE IF EXISTS {name}")
                self.conn.execute(f"CREATE TABLE IF NOT EXISTS {name} ({columns})")
            for statement in INDEXES:
                self.conn.execute(statement.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))
            if drop:
                self.conn.execute(f"DROP TABLE IF EXISTS {META_TABLE}")
            create_meta(self.conn)

    def get_meta(self, key: str) -> str | None:
        with self.lock:
            return read_meta(self.conn, key)

    def set_meta(self, key: str, value: str) -> None:
        with self.lock:
            write_meta(self.conn, key, value)

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All-or-nothing unit of work (a create with its lines, a seed chunk)."""
        with self.lock, shared_transaction(self.conn) as conn:
            yield conn

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(row) for row in self.conn.execute(sql, tuple(params)).fetchall()]

    def one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        with self.lock:
            row = self.conn.execute(sql, tuple(params)).fetchone()
        return dict(row) if row is not None else None

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        with self.lock:
            row = self.conn.execute(sql, tuple(params)).fetchone()
        return row[0] if row is not None else None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self.lock:
            return self.conn.execute(sql, tuple(params)).rowcount

    def get(self, table: str, record_id: int) -> dict[str, Any] | None:
        return self.one(f"SELECT * FROM {table} WHERE id = ?", (record_id,))

    def insert(self, table: str, values: Mapping[str, Any]) -> int:
        """Insert one row; returns its id (SQLite picks max(id) + 1 when none is given)."""
        names = list(values)
        sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
        with self.lock:
            cursor = self.conn.execute(sql, tuple(values[name] for name in names))
            return int(cursor.lastrowid)

    def insert_many(self, table: str, rows: Iterable[Mapping[str, Any]]) -> int:
        """Bulk insert rows that all have the same keys (the seed's path)."""
        rows = list(rows)
        if not rows:
            return 0
        names = list(rows[0])
        sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
        with self.lock:
            self.conn.executemany(sql, [tuple(row[name] for name in names) for row in rows])
        return len(rows)

    def update(self, table: str, record_id: int, values: Mapping[str, Any]) -> None:
        if not values:
            return
        assignments = ", ".join(f"{name} = ?" for name in values)
        self.execute(f"UPDATE {table} SET {assignments} WHERE id = ?", (*values.values(), record_id))

    def row_counts(self) -> dict[str, int]:
        with self.lock:
            return {
                name: self.conn.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0]
                for name in RESOURCE_TABLES
            }
