"""Stored rows -> the JSON Procurify sends, field names exactly as documented.

The naming is deliberately inconsistent because Procurify's is (quirk 8): ``addressLineOne`` next to
``state_province``, ``PO_Num`` next to ``procurify_PO``, ``dateModified`` on vendors but
``last_modified`` on purchase orders and ``last_modified_datetime`` on bills. Money is a decimal string
except ``total_cost_with_tax`` and the ``tax`` / ``discount`` values, which are JSON numbers (quirk 7).
Nested objects are built from the current rows through ``Lookups`` (one cache per request).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable
from typing import Any

from .formats import hundredths, hundredths_float, render_date_as_midnight, render_datetime
from .settings import BehaviourVariants
from .store import Store

Json = dict[str, Any]


def line_total(quantity: int | None, price: int | None) -> int:
    """Hundredths of a unit times cents -> cents."""
    return round((quantity or 0) * (price or 0) / 100)


class Lookups:
    """Nested objects by id, each fetched once per request."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._cache: dict[tuple[str, Any], Any] = {}

    def _cached(self, kind: str, key: Any, build: Callable[[], Any]) -> Any:
        if key is None:
            return None
        if (kind, key) not in self._cache:
            self._cache[(kind, key)] = build()
        return self._cache[(kind, key)]

    def row(self, table: str, key: Any) -> sqlite3.Row | None:
        return self._cached(f"row:{table}", key, lambda: self.store.get(table, key))

    def currency(self, currency_id: int | None) -> Json | None:
        row = self.row("currencies", currency_id)
        return None if row is None else {"id": row["id"], "name": row["name"], "rate": row["rate"]}

    def user(self, user_id: int | None) -> Json | None:
        row = self.row("users", user_id)
        if row is None:
            return None
        return {
            "id": row["id"],
            "email": row["email"],
            "first_name": row["first_name"],
            "last_name": row["last_name"],
        }

    def branch(self, location_id: int | None) -> Json | None:
        row = self.row("locations", location_id)
        return (
            None
            if row is None
            else {"id": row["id"], "name": row["name"], "headquarter": bool(row["headquarter"])}
        )

    def term(self, term_id: int | None) -> Json | None:
        row = self.row("terms", term_id)
        if row is None:
            return None
        return {
            "id": row["id"],
            "name": row["name"],
            "description": row["description"],
            "active": bool(row["active"]),
        }

    def department(self, department_id: int | None) -> Json | None:
        row = self.row("departments", department_id)
        return None if row is None else department(row, self)

    def account_code(self, code_id: int | None) -> Json | None:
        row = self.row("account_codes", code_id)
        return None if row is None else account_code(row)

    def account(self, account_id: int | None) -> Json | None:
        row = self.row("accounts", account_id)
        return None if row is None else account(row, self)

    def vendor(self, vendor_id: int | None) -> Json | None:
        row = self.row("vendors", vendor_id)
        return None if row is None else vendor(row, self)

    def vendor_summary(self, vendor_id: int | None) -> Json | None:
        row = self.row("vendors", vendor_id)
        return None if row is None else {"id": row["id"], "name": row["name"]}


# --- setup: locations, departments, account codes, accounts ------------------------------------------


def location(row: sqlite3.Row) -> Json:
    return {
        "id": row["id"],
        "name": row["name"],
        "headquarter": bool(row["headquarter"]),
        "active": bool(row["active"]),
        "address_line_one": row["address_line_one"],
        "city": row["city"],
        "state_province": row["state_province"],
        "postal_code": row["postal_code"],
        "country": row["country"],
    }


def department(row: sqlite3.Row, lookups: Lookups) -> Json:
    return {
        "id": row["id"],
        "name": row["name"],
        "external_id": row["external_id"],
        "active": bool(row["active"]),
        "branch": lookups.branch(row["branch_id"]),
        "punchout_email": row["punchout_email"],
    }


def account_code(row: sqlite3.Row) -> Json:
    return {
        "id": row["id"],
        "code": row["code"],
        "description": row["description"],
        "code_length": len(row["code"]),
        "account_type": row["account_type"],
        "active": bool(row["active"]),
        "parent": row["parent_id"],
    }


def account(row: sqlite3.Row, lookups: Lookups) -> Json:
    return {
        "id": row["id"],
        "account_code": lookups.account_code(row["account_code_id"]),
        "department": lookups.department(row["department_id"]),
        "active": bool(row["active"]),
        "in_effect": bool(row["in_effect"]),
    }


# --- vendors -------------------------------------------------------------------------------------------


def vendor(row: sqlite3.Row, lookups: Lookups) -> Json:
    payment_method = lookups.term(row["payment_method_id"])
    return {
        "id": row["id"],
        "name": row["name"],
        "active": bool(row["active"]),
        "addressLineOne": row["address_line_one"],
        "addressLineTwo": row["address_line_two"],
        "postalCode": row["postal_code"],
        "city": row["city"],
        "state_province": row["state_province"],
        "country": row["country"],
        "phoneOne": row["phone_one"],
        "phoneTwo": row["phone_two"],
        "fax": row["fax"],
        "email": json.loads(row["email"]),
        "contact": row["contact"],
        "url": row["url"],
        "comments": row["comments"],
        "external_id": row["external_id"],
        "dateModified": render_datetime(row["date_modified"]),
        "currency": row["currency_id"],
        "payment_term_ref": lookups.term(row["payment_term_id"]),
        "shipping_term_ref": lookups.term(row["shipping_term_id"]),
        "payment_method_ref": payment_method,
        "shipping_method_ref": lookups.term(row["shipping_method_id"]),
        "payment_methods": [payment_method] if payment_method else [],
        "tax": row["tax"],
        "type": row["type"],
        "default_payment_method": row["default_payment_method"],
        "is_1099_eligible": bool(row["is_1099_eligible"]),
        "overall_score": row["overall_score"],
        "is_auto_email_po_enabled": bool(row["is_auto_email_po_enabled"]),
    }


# --- requisitions and lines ---------------------------------------------------------------------------


def order(row: sqlite3.Row, lookups: Lookups) -> Json:
    """A requisition header; the list query supplies ``line_count`` and ``total`` aggregates."""
    rate = lookups.row("currencies", row["currency_id"])
    total = int(row["total"] or 0)
    in_base = round(total / float(rate["rate"])) if rate is not None else total
    return {
        "num": row["num"],
        "uuid": row["uuid"],
        "description": row["description"],
        "branch": lookups.branch(row["branch_id"]),
        "user": lookups.user(row["user_id"]),
        "department": lookups.department(row["department_id"]),
        "currency": lookups.currency(row["currency_id"]),
        "date": render_datetime(row["date"]),
        "dateRequired": row["date_required"],
        "dateModified": render_datetime(row["date_modified"]),
        "lineCount": row["line_count"],
        "totalPrice": hundredths(total),
        "status": row["status"],
        "next_approver": lookups.user(row["next_approver_id"]),
        "item_count": row["line_count"],
        "total_cost_in_base_currency": hundredths(in_base),
    }


def order_item(row: sqlite3.Row, lookups: Lookups) -> Json:
    account_json = lookups.account(row["account_id"])
    approved = row["approved_quantity"] is not None
    total = (
        line_total(row["approved_quantity"], row["approved_price"])
        if approved
        else line_total(row["quantity"], row["price"])
    )
    return {
        "id": row["id"],
        "PO_line_num": row["po_line_num"],
        "name": row["name"],
        "sku": row["sku"],
        "quantity": hundredths(row["quantity"]),
        "approved_quantity": hundredths(row["approved_quantity"]),
        "price": hundredths(row["price"]),
        "approved_price": hundredths(row["approved_price"]),
        "unit": row["unit"],
        "total_cost": hundredths(total),
        "receivedPassQty": hundredths(row["received_pass"]),
        "receivedFailQty": hundredths(row["received_fail"]),
        "account": account_json,
        "accountCode": account_json["account_code"]["code"] if account_json else None,
        "currency": lookups.currency(row["currency_id"]),
        "last_modified": render_datetime(row["last_modified"]),
        "external_id": row["external_id"],
        "status": row["status"],
        "type": row["type"],
        "orderNum": row["order_num"],
        "custom_fields": json.loads(row["custom_fields"] or "[]"),
        # Not in the reference's key-field list, but the list filters on them (sandbox assumption).
        "vendor": lookups.vendor_summary(row["vendor_id"]),
        "purchase_order": row["po_id"],
        "approved_datetime": render_datetime(row["approved_datetime"]),
        "po_created_date": render_datetime(row["po_created_date"]),
        "purchased_date": render_datetime(row["purchased_date"]),
    }


# --- purchase orders ---------------------------------------------------------------------------------


def _address(lookups: Lookups, location_id: int | None) -> Json | None:
    row = lookups.row("locations", location_id)
    if row is None:
        return None
    return {
        "name": row["name"],
        "addressLineOne": row["address_line_one"],
        "city": row["city"],
        "state_province": row["state_province"],
        "postalCode": row["postal_code"],
        "country": row["country"],
    }


def _adjustment(value: int, kind: str) -> Json:
    return {"value": hundredths_float(value), "type": kind}


def purchase_order(row: sqlite3.Row, lookups: Lookups, lines: list[sqlite3.Row] | None = None) -> Json:
    """A PO header (list) or, with ``lines``, the detail with ``order_items``."""
    vendor_json = lookups.vendor(row["vendor_id"])
    contract = lookups.row("contracts", row["contract_id"])
    body = {
        "uuid": row["uuid"],
        "procurify_PO": row["procurify_PO"],
        "number": str(row["procurify_PO"]),
        "PO_Num": row["po_num"],
        "version": row["version"],
        "date": render_datetime(row["date"]),
        "last_modified": render_datetime(row["last_modified"]),
        "pref_vendor": vendor_json,
        "vendor_name": vendor_json["name"] if vendor_json else None,
        "purchaser": lookups.user(row["purchaser_id"]),
        "buyer_address": _address(lookups, row["branch_id"]),
        "receiver_address": _address(lookups, row["branch_id"]),
        "payment_terms": row["payment_terms"],
        "shipping_terms": row["shipping_terms"],
        "shipping_method": row["shipping_method"],
        "promise_date": render_date_as_midnight(row["promise_date"]),
        "expiry_date": render_date_as_midnight(row["expiry_date"]),
        "subtotal": hundredths(row["subtotal"]),
        "freight": hundredths(row["freight"]),
        "tax": _adjustment(row["tax_value"], row["tax_type"]),
        "discount": _adjustment(row["discount_value"], row["discount_type"]),
        "other": hundredths(row["other"]),
        "total": hundredths(row["total"]),
        "purchased_currency": lookups.currency(row["currency_id"]),
        "purchased_currency_rate": row["currency_rate"],
        "state": row["state"],
        "fulfilment_status": row["fulfilment_status"],
        "closed_date": render_datetime(row["closed_date"]),
        "item_count": row["item_count"],
        "contract": None if contract is None else {"id": contract["id"], "name": contract["name"]},
        "staged_for_export": bool(row["staged_for_export"]),
    }
    if lines is not None:
        body["order_items"] = [order_item(line, lookups) for line in lines]
    return body


def billing_entry(row: sqlite3.Row, _lookups: Lookups) -> Json:
    """One bill of one PO in ``/api/v3/purchase-orders/billing-history/`` (a sandbox-assumed shape)."""
    return {
        "purchase_order": {"uuid": row["po_uuid"], "procurify_PO": row["number"]},
        "bill": {
            "uuid": row["uuid"],
            "invoice_number": row["invoice_number"],
            "status": row["status"],
            "total_cost_with_tax": round((row["subtotal"] + row["tax_amount"]) / 100, 2),
        },
    }


# --- bills ---------------------------------------------------------------------------------------------


def bill(row: sqlite3.Row, lookups: Lookups, item_ids: list[int], today: dt.date) -> Json:
    """The slim bill of ``/api/v3/ap/bills/``."""
    past_due = (
        row["due_date"] is not None and row["due_date"] < today.isoformat() and row["status"] not in (4, 5)
    )
    return {
        "id": row["id"],
        "uuid": row["uuid"],
        "version": row["version"],
        "status": row["status"],
        "locked": bool(row["locked"]),
        "currency": lookups.currency(row["currency_id"]),
        "items": item_ids,
        "vendor": lookups.vendor_summary(row["vendor_id"]),
        "invoice_number": row["invoice_number"],
        "invoice_date": row["invoice_date"],
        "due_date": row["due_date"],
        "submitted_date": row["submitted_date"],
        "gl_post_date": row["gl_post_date"],
        "total_cost_with_tax": hundredths_float(row["subtotal"] + row["tax_amount"]),
        "last_modified_datetime": render_datetime(row["last_modified_datetime"]),
        "last_export_date": row["last_export_date"],
        "last_export_user": lookups.user(row["last_export_user_id"]),
        "group": row["group_id"],
        "type": row["type"],
        "user": lookups.user(row["user_id"]),
        "creator": lookups.user(row["creator_id"]),
        "approver": lookups.user(row["approver_id"]),
        "past_due": past_due,
        "payment_uuid": row["payment_uuid"],
        "invoice_uuid": row["invoice_uuid"],
    }


def bill_detail(
    row: sqlite3.Row,
    lookups: Lookups,
    items: list[sqlite3.Row],
    purchase_orders: list[sqlite3.Row],
    payment: sqlite3.Row | None,
    today: dt.date,
) -> Json:
    """The full bill of ``/api/v2/ap/bills/{uuid}/``."""
    body = bill(row, lookups, [item["id"] for item in items], today)
    vendor_row = lookups.row("vendors", row["vendor_id"])
    body.update(
        {
            "items": [
                {
                    "id": item["id"],
                    "description": item["description"],
                    "quantity": hundredths(item["quantity"]),
                    "unit_cost": hundredths(item["unit_cost"]),
                    "total_cost": hundredths(line_total(item["quantity"], item["unit_cost"])),
                    "account": lookups.account(item["account_id"]),
                    "orderitem": (
                        order_item(lookups.row("order_items", item["order_item_id"]), lookups)
                        if item["order_item_id"] is not None
                        else None
                    ),
                }
                for item in items
            ],
            "costs": [],
            "bill_statuses": [
                {
                    "status": row["status"],
                    "datetime": render_datetime(row["last_modified_datetime"]),
                    "user": lookups.user(row["user_id"]),
                }
            ],
            "subtotal_cost": hundredths(row["subtotal"]),
            "total_cost": hundredths(row["subtotal"]),
            "tax_amount": hundredths(row["tax_amount"]),
            "bill_payment": None
            if payment is None
            else {
                "uuid": payment["uuid"],
                "status": payment["status"],
                "amount": hundredths(payment["amount"]),
                "processing_date": payment["processing_date"],
            },
            "payment_terms": row["payment_terms"],
            "payment_date": row["payment_date"],
            "note": row["note"],
            "added_purchase_orders": [
                {"uuid": po["uuid"], "procurify_PO": po["procurify_PO"]} for po in purchase_orders
            ],
            "vendor_address": None
            if vendor_row is None
            else {
                "addressLineOne": vendor_row["address_line_one"],
                "addressLineTwo": vendor_row["address_line_two"],
                "city": vendor_row["city"],
                "state_province": vendor_row["state_province"],
                "postalCode": vendor_row["postal_code"],
                "country": vendor_row["country"],
            },
        }
    )
    return body


def ap_item(row: sqlite3.Row, lookups: Lookups) -> Json:
    """A purchased PO line as ``/api/v2/ap/items/`` lists it (shape beyond the filters assumed)."""
    return {
        "id": row["id"],
        "billed": row["bill_id"] is not None,
        "bill": row["bill_id"],
        "bill_uuid": row["bill_uuid"],
        "vendor": lookups.vendor_summary(row["vendor_id"]),
        "created_at": render_datetime(row["po_created_date"]),
        "received_on": row["received_on"],
        "orderitem": order_item(row, lookups),
    }


# --- payments ------------------------------------------------------------------------------------------


def public_payment(
    row: sqlite3.Row, lookups: Lookups, groups: list[int], variants: BehaviourVariants
) -> Json:
    currency_row = lookups.row("currencies", row["currency_id"])
    if variants.payment_currency == "object":
        currency: Any = {"id": currency_row["id"], "name": currency_row["name"]}
    elif variants.payment_currency == "code":
        currency = currency_row["name"]
    else:
        currency = currency_row["id"]
    creator = lookups.row("users", row["creator_id"])
    vendor_row = lookups.row("vendors", row["vendor_id"])
    return {
        "id": row["id"],
        "uuid": row["uuid"],
        "amount": hundredths(row["amount"]),
        "currency": currency,
        "status": row["status"],
        "processing_date": row["processing_date"],
        "posted_date": row["posted_date"],
        "created_at": render_datetime(row["created_at"]),
        "updated_at": render_datetime(row["updated_at"]),
        "creator": None
        if creator is None
        else {
            "email": creator["email"],
            "first_name": creator["first_name"],
            "last_name": creator["last_name"],
        },
        "vendor_name": vendor_row["name"] if vendor_row else None,
        "gl_code": row["gl_code"],
        "bill_groups": groups,
        "payment_source_type": row["payment_source_type"],
        "vendor_payment_method_rail": row["rail"],
    }


def legacy_payment(row: sqlite3.Row, lookups: Lookups, groups: list[int]) -> Json:
    """The deprecated ``/api/v2/ap/payments/`` shape (sandbox assumption: the reference lists no fields)."""
    return {
        "id": row["id"],
        "uuid": row["uuid"],
        "payment_date": row["processing_date"],
        "amount": hundredths(row["amount"]),
        "currency": lookups.currency(row["currency_id"]),
        "payment_method": {"type": row["method_type"]},
        "approver": lookups.user(row["approver_id"]),
        "vendor": lookups.vendor_summary(row["vendor_id"]),
        "bill_groups": groups,
    }
