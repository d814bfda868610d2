"""Business activity on a live sandbox: what people do in Procurify between two syncs.

``POST /sandbox/activity`` creates and changes records, all stamped with one "now" (a batch of
changes that share a timestamp, exactly what a "modified since" cursor must not lose). The other
operations play the humans the API cannot replace: approving and purchasing a requisition (the only
way a purchase order comes to exist), receiving a PO, cancelling one, entering a bill, moving a bill along.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connector_sandbox.activity import activity_request

from .factory import DataFactory, History, fulfilment, po_totals
from .formats import render_datetime, stored
from .state import SandboxState
from .store import Store
from .vocabulary import FIRST_NAMES, LAST_NAMES, vendor_name

_MAX = 5000


# How many records of each kind to create or change.
ActivityRequest = activity_request(
    "new_vendors",
    "updated_vendors",
    "new_requisitions",
    "updated_requisitions",
    "new_purchase_orders",
    "updated_purchase_orders",
    "new_bills",
    "updated_bills",
    "new_payments",
    "updated_payments",
    "new_account_codes",
    "updated_account_codes",
    "new_departments",
    "updated_departments",
    most=_MAX,
)


class ActivityError(ValueError):
    """An operator request that cannot be played (unknown record, wrong state); answered 409/404."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


def _insert_story(state: SandboxState, story: History) -> None:
    with state.store.transaction():
        for table, rows in story.tables().items():
            if rows:
                state.store.insert(table, rows)


@dataclass
class _Batch:
    """One activity call: the sandbox, its generator and the single "now" every change carries."""

    state: SandboxState
    factory: DataFactory
    now: dt.datetime

    @property
    def stamp(self) -> str:
        return stored(self.now)

    @property
    def store(self) -> Store:
        return self.state.store

    def sample(self, sql: str, count: int) -> list[Any]:
        """Up to ``count`` keys from the first column of ``sql``, drawn with the batch generator."""
        keys = [row[0] for row in self.store.all(sql)]
        return self.factory.rng.sample(keys, k=min(count, len(keys)))

    def add(self, table: str, columns: dict[str, Any] | Callable[[int], dict[str, Any]]) -> int:
        """Insert one row under the table's next id with ``columns`` (or ``columns(id)``); returns the id."""
        row_id = self.store.next_id(table)
        self.store.insert(table, [{"id": row_id, **(columns(row_id) if callable(columns) else columns)}])
        return row_id

    def revise(self, table: str, sql: str, count: int, change: Callable[[int], dict[str, Any]]) -> list[Any]:
        """Change up to ``count`` rows drawn from ``sql`` with ``change(id)``; returns their ids."""
        chosen = self.sample(sql, count)
        for row_id in chosen:
            self.store.update(table, row_id, change(row_id))
        return chosen


def make_activity(state: SandboxState, wanted: ActivityRequest) -> dict[str, Any]:
    """Create and change records as ``wanted`` says; every one is stamped with the same "now"."""
    state.master_data_changed()  # counters and catalog from the current data, whatever the API wrote
    batch = _Batch(state, state.factory(), state.now())
    result: dict[str, Any] = {"now": render_datetime(batch.stamp)}
    with state.store.transaction():
        result["vendors"] = _vendors(batch, wanted.new_vendors, wanted.updated_vendors)
        result["account_codes"] = _account_codes(
            batch, wanted.new_account_codes, wanted.updated_account_codes
        )
        result["departments"] = _departments(batch, wanted.new_departments, wanted.updated_departments)
    state.master_data_changed()  # new vendors and accounts are now purchasable
    batch = _Batch(state, state.factory(), batch.now)
    result.update(_transactions(batch, wanted))
    result["payments"] = _payments(batch, wanted.new_payments, wanted.updated_payments)
    state.master_data_changed()
    return result


def _vendors(batch: _Batch, new: int, updated: int) -> dict[str, list[int]]:
    rng = batch.factory.rng
    taken = {row[0] for row in batch.store.all("SELECT name FROM vendors")}

    def named(name: str) -> str:
        taken.add(name)
        return name

    created = [
        batch.add(
            "vendors",
            lambda vendor_id: {
                "name": named(vendor_name(rng, taken)),
                "active": 1,
                "email": json.dumps([f"ap{vendor_id}@vendor.example"]),
                "contact": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                "comments": "",
                "external_id": None,
                "date_modified": batch.stamp,
                "currency_id": 3,
                "type": 3,
                "country": "US",
                "is_1099_eligible": 0,
                "is_auto_email_po_enabled": 1,
            },
        )
        for _ in range(new)
    ]
    moves = batch.state.variants.vendor_date_modified == "on_write"  # "frozen": the stamp stays
    changed = batch.revise(
        "vendors",
        "SELECT id FROM vendors WHERE type IN (3, 4) AND active = 1",
        updated,
        lambda _vendor_id: {
            "phone_one": f"503555{rng.randint(1000, 9999)}",
            **({"date_modified": batch.stamp} if moves else {}),
        },
    )
    return {"created": created, "updated": changed}


def _account_codes(batch: _Batch, new: int, updated: int) -> dict[str, list[int]]:
    """New expense codes under 6000, each budgeted for two departments; revised descriptions."""
    rng, store = batch.factory.rng, batch.store
    parent = store.scalar("SELECT id FROM account_codes WHERE code = '6000'")
    departments = [row[0] for row in store.all("SELECT id FROM departments WHERE active = 1")]
    created = []
    for _ in range(new):
        code_id = batch.add(
            "account_codes",
            lambda code_id: {
                "code": f"8{code_id:04d}",
                "description": f"New cost pool {code_id}",
                "account_type": 5,
                "active": 1,
                "parent_id": parent,
                "modified_at": batch.stamp,
            },
        )
        for department_id in rng.sample(departments, k=min(2, len(departments))):
            batch.add(
                "accounts",
                {
                    "account_code_id": code_id,
                    "department_id": department_id,
                    "active": 1,
                    "in_effect": 1,
                    "modified_at": batch.stamp,
                },
            )
        created.append(code_id)
    changed = batch.revise(
        "account_codes",
        "SELECT id FROM account_codes WHERE account_type = 5",
        updated,
        lambda code_id: {"description": f"Cost pool {code_id} (revised)", "modified_at": batch.stamp},
    )
    return {"created": created, "updated": changed}


def _departments(batch: _Batch, new: int, updated: int) -> dict[str, list[int]]:
    rng = batch.factory.rng
    locations = [row[0] for row in batch.store.all("SELECT id FROM locations")]
    created = [
        batch.add(
            "departments",
            lambda department_id: {
                "name": f"Project {department_id}",
                "external_id": f"JDE-BU-{department_id:05d}",
                "active": 1,
                "branch_id": rng.choice(locations),
                "punchout_email": None,
                "modified_at": batch.stamp,
            },
        )
        for _ in range(new)
    ]
    changed = batch.revise(
        "departments",
        "SELECT id FROM departments",
        updated,
        lambda department_id: {
            "punchout_email": f"punchout+{department_id}@sandbox.example",
            "modified_at": batch.stamp,
        },
    )
    return {"created": created, "updated": changed}


def _transactions(batch: _Batch, wanted: ActivityRequest) -> dict[str, dict[str, list[Any]]]:
    """New requisitions (pending, or purchased into POs) and expense bills; approvals and revisions."""
    factory, store, now = batch.factory, batch.store, batch.now
    pending, purchased, expenses = History(), History(), History()
    for _ in range(wanted.new_requisitions):
        pending.extend(factory.requisition(now, 0, now=now))
    for _ in range(wanted.new_purchase_orders):
        purchased.extend(factory.requisition(now, 3, now=now))
    for _ in range(wanted.new_bills):
        expenses.extend(factory.expense_bill(now, now=now))
    for story in (pending, purchased, expenses):
        _insert_story(batch.state, story)
    with store.transaction():
        approved = batch.sample("SELECT num FROM orders WHERE status = 0", wanted.updated_requisitions)
        for num in approved:
            _approve(batch.state, num, batch.stamp)
        revised = batch.sample(
            'SELECT "procurify_PO" FROM purchase_orders WHERE state IN (0, 5)', wanted.updated_purchase_orders
        )
        for number in revised:
            row = store.get("purchase_orders", number)
            promise = (dt.date.fromisoformat(row["promise_date"]) + dt.timedelta(days=7)).isoformat()
            change = {"promise_date": promise, "version": row["version"] + 1, "last_modified": batch.stamp}
            store.update("purchase_orders", number, change)
        advanced = batch.sample("SELECT id FROM bills WHERE status IN (0, 1)", wanted.updated_bills)
        for bill_id in advanced:
            _advance_bill(batch, bill_id)
    return {
        "requisitions": {
            "created": [o["num"] for o in pending.orders + purchased.orders],
            "updated": approved,
        },
        "purchase_orders": {
            "created": [p["procurify_PO"] for p in purchased.purchase_orders],
            "updated": revised,
        },
        "bills": {
            "created": [b["uuid"] for b in expenses.bills],
            "updated": [store.get("bills", bill_id)["uuid"] for bill_id in advanced],
        },
    }


def _advance_bill(batch: _Batch, bill_id: int) -> None:
    """Draft -> confirmed (submitted today), confirmed -> approved (approver, GL post date today)."""
    row = batch.store.get("bills", bill_id)
    today = batch.now.date().isoformat()
    change: dict[str, Any] = {
        "status": row["status"] + 1,
        "last_modified_datetime": batch.stamp,
        "version": row["version"] + 1,
    }
    if row["status"] == 0:
        change["submitted_date"] = today
    else:
        change.update(approver_id=batch.factory.rng.choice(batch.factory.catalog.users), gl_post_date=today)
    batch.store.update("bills", bill_id, change)


def _payments(batch: _Batch, new: int, updated: int) -> dict[str, list[int]]:
    """Payments for approved bills (bill -> Payment Confirmed); settled payments (bills -> Paid)."""
    store, factory, today = batch.store, batch.factory, batch.now.date().isoformat()
    story = History()
    bill_changes: dict[int, dict[str, Any]] = {}
    for bill_id in batch.sample("SELECT id FROM bills WHERE status = 2 AND payment_uuid IS NULL", new):
        bill = dict(store.get("bills", bill_id))
        bill["group_id"] = factory.counters.take("bill_group")
        factory.payment(story, [bill], [bill["group_id"]], 6, now=batch.now)
        bill_changes[bill_id] = {
            "status": 6,
            "locked": 1,
            "group_id": bill["group_id"],
            "payment_uuid": bill["payment_uuid"],
            "last_modified_datetime": batch.stamp,
        }
    _insert_story(batch.state, story)
    with store.transaction():
        for bill_id, change in bill_changes.items():
            store.update("bills", bill_id, change)
        settled = batch.sample("SELECT id FROM payments WHERE status != 'paid'", updated)
        for payment_id in settled:
            store.update(
                "payments", payment_id, {"status": "paid", "posted_date": today, "updated_at": batch.stamp}
            )
            store.conn.execute(
                "UPDATE bills SET status = 4, payment_date = ?, last_modified_datetime = ? WHERE group_id IN "
                "(SELECT group_id FROM payment_groups WHERE payment_id = ?)",
                (today, batch.stamp, payment_id),
            )
    return {"created": [payment["id"] for payment in story.payments], "updated": settled}


def _approve(state: SandboxState, num: int, stamp: str) -> None:
    store = state.store
    store.conn.execute(
        "UPDATE order_items SET approved_quantity = quantity, approved_price = price, approved_datetime = ?, "
        "last_modified = ? WHERE order_num = ?",
        (stamp, stamp, num),
    )
    store.update("orders", num, {"status": 1, "next_approver_id": None, "date_modified": stamp})


def purchase_requisition(state: SandboxState, uuid: str, po_num: str | None) -> dict[str, Any]:
    """Approve (if pending) and purchase a requisition: one PO per vendor, as a buyer would."""
    store = state.store
    order_row = store.one("SELECT * FROM orders WHERE uuid = ?", (uuid,))
    if order_row is None:
        raise ActivityError(f"requisition {uuid} does not exist", 404)
    if order_row["status"] not in (0, 1):
        raise ActivityError(
            f"requisition {order_row['num']} has status {order_row['status']}; "
            "only pending (0) or approved (1) ones can be purchased"
        )
    state.master_data_changed()
    factory = state.factory()
    now = state.now()
    stamp = stored(now)
    purchased = []
    with store.transaction():
        _approve(state, order_row["num"], stamp)
        lines = [
            dict(row)
            for row in store.all(
                "SELECT * FROM order_items WHERE order_num = ? ORDER BY id", (order_row["num"],)
            )
        ]
        by_vendor: dict[int, list[dict[str, Any]]] = {}
        for line in lines:
            by_vendor.setdefault(line["vendor_id"], []).append(line)
        if po_num is not None and len(by_vendor) > 1:
            raise ActivityError("PO_Num can only be given when the requisition has a single vendor")
        for vendor_lines in by_vendor.values():
            po = factory.purchase_order(vendor_lines, dict(order_row), now, 0, now=now, po_num=po_num)
            for position, line in enumerate(vendor_lines, start=1):
                line.update(
                    po_id=po["procurify_PO"],
                    po_line_num=position,
                    po_created_date=stamp,
                    purchased_date=stamp,
                    status=2,
                    last_modified=stamp,
                )
                store.update(
                    "order_items",
                    line["id"],
                    {
                        k: line[k]
                        for k in (
                            "po_id",
                            "po_line_num",
                            "po_created_date",
                            "purchased_date",
                            "status",
                            "last_modified",
                        )
                    },
                )
            po["subtotal"], po["total"] = po_totals(vendor_lines, po)
            po["fulfilment_status"] = fulfilment(vendor_lines)
            store.insert("purchase_orders", [po])
            purchased.append({"procurify_PO": po["procurify_PO"], "uuid": po["uuid"]})
        store.update("orders", order_row["num"], {"status": 3, "date_modified": stamp})
    state.master_data_changed()
    return {"requisition": order_row["num"], "purchase_orders": purchased}


def _purchase_order(store: Store, number: int, *, open_only: bool = False) -> sqlite3.Row:
    """The PO numbered ``number`` (404 when there is none); with ``open_only``, refused unless open (0, 5)."""
    po = store.get("purchase_orders", number)
    if po is None:
        raise ActivityError(f"purchase order {number} does not exist", 404)
    if open_only and po["state"] not in (0, 5):
        raise ActivityError(f"purchase order {number} is not open (state {po['state']})")
    return po


def receive_purchase_order(state: SandboxState, number: int, fraction: float) -> dict[str, Any]:
    """Receive ``fraction`` of every line's approved quantity (1.0 receives everything)."""
    store = state.store
    _purchase_order(store, number, open_only=True)
    stamp = stored(state.now())
    with store.transaction():
        lines = [dict(row) for row in store.all("SELECT * FROM order_items WHERE po_id = ?", (number,))]
        for line in lines:
            received = max(line["received_pass"], round(line["approved_quantity"] * fraction))
            line["received_pass"] = min(received, line["approved_quantity"])
            status = (
                3 if line["received_pass"] >= line["approved_quantity"] else 5 if line["received_pass"] else 2
            )
            store.update(
                "order_items",
                line["id"],
                {
                    "received_pass": line["received_pass"],
                    "status": status,
                    "received_on": stamp[:10],
                    "last_modified": stamp,
                },
            )
        status = fulfilment(lines)
        store.update("purchase_orders", number, {"fulfilment_status": status, "last_modified": stamp})
    return {"procurify_PO": number, "fulfilment_status": status}


def cancel_purchase_order(state: SandboxState, number: int) -> dict[str, Any]:
    """Cancel an open PO (state 0 or 5) as a buyer would in the UI: state 1, ``last_modified`` now. The API
    has no cancel (reference 2.5); a PO with received lines is closed instead, not cancelled (sandbox
    assumption), so it is refused, as are closed, paid and cancelled ones."""
    store = state.store
    _purchase_order(store, number, open_only=True)
    received = store.one(
        "SELECT COUNT(*) AS n FROM order_items WHERE po_id = ? AND received_pass > 0", (number,)
    )
    if received["n"]:
        raise ActivityError(f"purchase order {number} has received lines; close it instead")
    stamp = stored(state.now())
    with store.transaction():
        store.update("purchase_orders", number, {"state": 1, "last_modified": stamp})
        store.conn.execute("UPDATE order_items SET last_modified = ? WHERE po_id = ?", (stamp, number))
    return {"procurify_PO": number, "state": 1}


def bill_purchase_order(state: SandboxState, number: int, status: int) -> dict[str, Any]:
    """Enter a bill for the received, not yet billed lines of a PO."""
    store = state.store
    po = _purchase_order(store, number)
    lines = [
        dict(row)
        for row in store.all(
            "SELECT * FROM order_items i WHERE po_id = ? AND received_pass > 0 AND NOT EXISTS "
            "(SELECT 1 FROM bill_items bi WHERE bi.order_item_id = i.id)",
            (number,),
        )
    ]
    if not lines:
        raise ActivityError(f"purchase order {number} has no received, unbilled lines")
    state.master_data_changed()
    factory = state.factory()
    now = state.now()
    story = History()
    tax = po["tax_value"] if po["tax_type"] == "percentage" else 0
    bill_row = factory.bill(
        po["vendor_id"], po["currency_id"], status, now, lines, story, now=now, tax_percent=tax
    )
    _insert_story(state, story)
    return {
        "bill_uuid": bill_row["uuid"],
        "bill_id": bill_row["id"],
        "invoice_number": bill_row["invoice_number"],
    }


def enter_expense_bill(
    state: SandboxState, vendor_id: int | None, currency: str | None, status: int
) -> dict[str, Any]:
    """Enter an expense bill now from vendor ``vendor_id``, or from the first active vendor billing in
    ``currency`` (a code: ``JPY``), in the vendor's currency: how a test gets a bill in yen or dinars, which
    the random activity never bills (``Catalog.vendors``)."""
    if status not in (0, 1, 2):
        raise ActivityError(f"status {status} is not one a bill is entered in (0 draft, 1, 2 approved)", 400)
    store = state.store
    if vendor_id is not None:
        vendor = store.one("SELECT id, currency_id, active FROM vendors WHERE id = ?", (vendor_id,))
        if vendor is None or not vendor["active"]:
            raise ActivityError(f"vendor {vendor_id} does not exist or is inactive", 404)
    else:
        vendor = store.one(
            "SELECT v.id, v.currency_id FROM vendors v JOIN currencies c ON c.id = v.currency_id "
            "WHERE c.name = ? AND v.active = 1 AND v.type IN (3, 4) ORDER BY v.id LIMIT 1",
            (str(currency or "").strip().upper(),),
        )
        if vendor is None:
            raise ActivityError(f"no active vendor bills in currency {currency!r}", 404)
    state.master_data_changed()
    factory, now = state.factory(), state.now()
    story = factory.expense_bill(now, now=now, vendor=(vendor["id"], vendor["currency_id"]), status=1)
    [bill_row] = story.bills
    _insert_story(state, story)
    if status != 1:
        set_bill_status(state, bill_row["uuid"], status)
    return {
        "bill_uuid": bill_row["uuid"],
        "bill_id": bill_row["id"],
        "invoice_number": bill_row["invoice_number"],
        "vendor": vendor["id"],
        "currency": store.scalar("SELECT name FROM currencies WHERE id = ?", (vendor["currency_id"],)),
    }


def set_bill_status(state: SandboxState, uuid: str, status: int) -> dict[str, Any]:
    """Move a bill to another status, as an AP clerk or approver would in the UI."""
    if status not in (0, 1, 2, 3, 4, 5, 6, 7, 8):
        raise ActivityError(f"status {status} is not a bill status (0-8)", 400)
    store = state.store
    row = store.one("SELECT * FROM bills WHERE replace(uuid, '-', '') = ?", (uuid.replace("-", "").lower(),))
    if row is None:
        raise ActivityError(f"bill {uuid} does not exist", 404)
    now = state.now()
    change: dict[str, Any] = {
        "status": status,
        "locked": int(status in (4, 6, 7, 8)),
        "version": row["version"] + 1,
        "last_modified_datetime": stored(now),
    }
    if status == 2 and row["approver_id"] is None:
        change.update(approver_id=1, gl_post_date=now.date().isoformat())
    if status == 4 and row["payment_date"] is None:
        change["payment_date"] = now.date().isoformat()
    store.update("bills", row["id"], change)
    return {"uuid": row["uuid"], "status": status}


def set_account_code_active(state: SandboxState, code_id: int, active: Any) -> dict[str, Any]:
    """Switch an account code on or off, as a Procurify admin does in the UI: the API cannot (neither
    AccountCodeCreateRequest nor AccountCodeUpdateRequest has ``active``)."""
    if not isinstance(active, bool):
        raise ActivityError("send active: true or false", 400)
    store = state.store
    if store.get("account_codes", code_id) is None:
        raise ActivityError(f"account code {code_id} does not exist", 404)
    store.update("account_codes", code_id, {"active": int(active), "modified_at": stored(state.now())})
    state.master_data_changed()
    return {"id": code_id, "active": active}
