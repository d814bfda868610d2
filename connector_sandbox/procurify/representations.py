"""Stored rows -> the JSON Procurify sends, field names exactly as documented.

The naming is deliberately inconsistent because Procurify's is (quirk 8): ``addressLineOne`` next to
``state_province``, ``PO_Num`` next to ``procurify_PO``, ``dateModified`` on vendors but
``last_modified`` on purchase orders and ``last_modified_datetime`` on bills. Money is a decimal string
with its currency's decimals except ``total_cost_with_tax`` and the ``tax`` / ``discount`` values, which
are JSON numbers (quirk 7). Nested objects are built from the current rows through ``Lookups`` (one cache
per request).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable
from typing import Any

from .formats import (
    hundredths,
    hundredths_float,
    money,
    money_float,
    render_date_as_midnight,
    render_datetime,
)
from .settings import BehaviourVariants
from .store import Store

Json = dict[str, Any]


def line_total(quantity: int | None, price: int | None) -> int:
    """Hundredths of a unit times a price in minor units -> minor units (cents, yen, fils)."""
    return round((quantity or 0) * (price or 0) / 100)


def same(row: sqlite3.Row, *names: str) -> Json:
    """Columns sent under their own names, as stored."""
    return {name: row[name] for name in names}


def flags(row: sqlite3.Row, *names: str) -> Json:
    """0/1 columns sent under their own names as JSON booleans."""
    return {name: bool(row[name]) for name in names}


def amounts(row: sqlite3.Row, *names: str) -> Json:
    """Quantity columns (stored in hundredths) sent under their own names as decimal strings."""
    return {name: hundredths(row[name]) for name in names}


def monies(row: sqlite3.Row, places: int, *names: str) -> Json:
    """Money columns (stored in minor units) sent under their own names with the currency's decimals."""
    return {name: money(row[name], places) for name in names}


def moments(row: sqlite3.Row, *names: str) -> Json:
    """Stored date-times sent under their own names in Procurify's rendering."""
    return {name: render_datetime(row[name]) for name in names}


def renamed(row: sqlite3.Row, fields: dict[str, str]) -> Json:
    """Columns sent under another (often camelCase) name: JSON field -> column."""
    return {name: row[column] for name, column in fields.items()}


# Addresses of vendors, bills and POs are half camelCase (locations send their snake_case columns).
STREET = {"addressLineOne": "address_line_one", "addressLineTwo": "address_line_two"}
PLACE = {
    "city": "city",
    "state_province": "state_province",
    "postalCode": "postal_code",
    "country": "country",
}
PERSON = ("email", "first_name", "last_name")


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

    def _rendered(self, table: str, key: Any, render: Callable[[sqlite3.Row], Json]) -> Json | None:
        """The row of ``table`` with that key rendered, or None when there is none."""
        row = self.row(table, key)
        return None if row is None else render(row)

    def currency(self, currency_id: int | None) -> Json | None:
        return self._rendered("currencies", currency_id, lambda row: same(row, "id", "name", "rate"))

    def places(self, currency_id: int | None) -> int:
        """The decimals money in this currency is stored and shown with (2 when the currency is unknown)."""
        row = self.row("currencies", currency_id)
        return 2 if row is None else int(row["decimals"])

    def user(self, user_id: int | None) -> Json | None:
        return self._rendered("users", user_id, lambda row: same(row, "id", *PERSON))

    def branch(self, location_id: int | None) -> Json | None:
        return self._rendered(
            "locations", location_id, lambda row: {**same(row, "id", "name"), **flags(row, "headquarter")}
        )

    def term(self, term_id: int | None) -> Json | None:
        return self._rendered(
            "terms", term_id, lambda row: {**same(row, "id", "name", "description"), **flags(row, "active")}
        )

    def department(self, department_id: int | None) -> Json | None:
        return self._rendered("departments", department_id, lambda row: department(row, self))

    def account_code(self, code_id: int | None) -> Json | None:
        return self._rendered("account_codes", code_id, account_code)

    def account(self, account_id: int | None) -> Json | None:
        return self._rendered("accounts", account_id, lambda row: account(row, self))

    def vendor(self, vendor_id: int | None) -> Json | None:
        return self._rendered("vendors", vendor_id, lambda row: vendor(row, self))

    def vendor_summary(self, vendor_id: int | None) -> Json | None:
        return self._rendered("vendors", vendor_id, lambda row: same(row, "id", "name"))


# --- setup: locations, departments, account codes, accounts ------------------------------------------


def location(row: sqlite3.Row) -> Json:
    return {
        **same(row, "id", "name"),
        **flags(row, "headquarter", "active"),
        **same(row, "address_line_one", "city", "state_province", "postal_code", "country"),
    }


def department(row: sqlite3.Row, lookups: Lookups) -> Json:
    return {
        **same(row, "id", "name", "external_id"),
        **flags(row, "active"),
        "branch": lookups.branch(row["branch_id"]),
        "punchout_email": row["punchout_email"],
    }


def account_code(row: sqlite3.Row) -> Json:
    return {
        **same(row, "id", "code", "description"),
        "code_length": len(row["code"]),
        "account_type": row["account_type"],
        **flags(row, "active"),
        "parent": row["parent_id"],
    }


def account(row: sqlite3.Row, lookups: Lookups) -> Json:
    return {
        "id": row["id"],
        "account_code": lookups.account_code(row["account_code_id"]),
        "department": lookups.department(row["department_id"]),
        # Account (accounts_list) shows ``active``; ``in_effect`` is a filter, not a field.
        **flags(row, "active"),
    }


# --- vendors -------------------------------------------------------------------------------------------


def vendor(row: sqlite3.Row, lookups: Lookups) -> Json:
    payment_method = lookups.term(row["payment_method_id"])
    return {
        **same(row, "id", "name"),
        **flags(row, "active"),
        **renamed(row, {**STREET, "postalCode": "postal_code"}),
        **same(row, "city", "state_province", "country"),
        **renamed(row, {"phoneOne": "phone_one", "phoneTwo": "phone_two", "fax": "fax"}),
        "email": json.loads(row["email"]),
        **same(row, "contact", "url", "comments", "external_id"),
        "dateModified": render_datetime(row["date_modified"]),
        "currency": row["currency_id"],
        "payment_term_ref": lookups.term(row["payment_term_id"]),
        "shipping_term_ref": lookups.term(row["shipping_term_id"]),
        "payment_method_ref": payment_method,
        "shipping_method_ref": lookups.term(row["shipping_method_id"]),
        # OptimizedVendor.payment_methods: the vendor's payment methods by id and name (no term fields).
        "payment_methods": [{"id": payment_method["id"], "name": payment_method["name"]}]
        if payment_method
        else [],
        **same(row, "tax", "type", "default_payment_method"),
        **flags(row, "is_1099_eligible"),
        "overall_score": row["overall_score"],
        **flags(row, "is_auto_email_po_enabled"),
    }


# --- requisitions and lines ---------------------------------------------------------------------------


def order(row: sqlite3.Row, lookups: Lookups) -> Json:
    """A requisition header; the list query supplies ``line_count`` and ``total`` aggregates."""
    rate = lookups.row("currencies", row["currency_id"])
    places = lookups.places(row["currency_id"])
    total = int(row["total"] or 0)
    # The base currency (USD) has two decimals: minor units of this currency -> cents at its rate.
    in_base = round(total * 10 ** (2 - places) / float(rate["rate"])) if rate is not None else total
    return {
        **same(row, "num", "uuid", "description"),
        "branch": lookups.branch(row["branch_id"]),
        "user": lookups.user(row["user_id"]),
        "department": lookups.department(row["department_id"]),
        "currency": lookups.currency(row["currency_id"]),
        "date": render_datetime(row["date"]),
        "dateRequired": row["date_required"],
        "dateModified": render_datetime(row["date_modified"]),
        "lineCount": row["line_count"],
        "totalPrice": money(total, places),
        "status": row["status"],
        "next_approver": lookups.user(row["next_approver_id"]),
        "item_count": row["line_count"],
        "total_cost_in_base_currency": money(in_base, 2),
    }


def order_item(row: sqlite3.Row, lookups: Lookups) -> Json:
    account_json = lookups.account(row["account_id"])
    approved = row["approved_quantity"] is not None
    total = (
        line_total(row["approved_quantity"], row["approved_price"])
        if approved
        else line_total(row["quantity"], row["price"])
    )
    places = lookups.places(row["currency_id"])
    return {
        "id": row["id"],
        "PO_line_num": row["po_line_num"],
        **same(row, "name", "sku"),
        **amounts(row, "quantity", "approved_quantity"),
        **monies(row, places, "price", "approved_price"),
        "unit": row["unit"],
        "total_cost": money(total, places),
        "receivedPassQty": hundredths(row["received_pass"]),
        "receivedFailQty": hundredths(row["received_fail"]),
        "account": account_json,
        "accountCode": account_json["account_code"]["code"] if account_json else None,
        "currency": lookups.currency(row["currency_id"]),
        "last_modified": render_datetime(row["last_modified"]),
        **same(row, "external_id", "status", "type"),
        "orderNum": row["order_num"],
        "custom_fields": json.loads(row["custom_fields"] or "[]"),
        # Not in the reference's key-field list, but the list filters on them (sandbox assumption).
        "vendor": lookups.vendor_summary(row["vendor_id"]),
        "purchase_order": row["po_id"],
        **moments(row, "approved_datetime", "po_created_date", "purchased_date"),
    }


# --- purchase orders ---------------------------------------------------------------------------------


def _address(lookups: Lookups, location_id: int | None) -> Json | None:
    row = lookups.row("locations", location_id)
    if row is None:
        return None
    return {
        "id": row["id"],
        "name": row["name"],
        **renamed(row, {"addressLineOne": "address_line_one", **PLACE}),
    }


def _party(role: str, lookups: Lookups, location_id: int | None, contact_id: int | None) -> Json:
    """A PO's ``buyer_*`` / ``receiver_*`` block as ApiNestedEditDeletePurchaseOrderDetail shows it (flat
    fields copied from the address when the PO was made, and the address object): here the PO's
    location and its purchaser, since the sandbox keeps no separate copy."""
    address = _address(lookups, location_id) or {}
    person = lookups.user(contact_id) or {}
    contact = " ".join(str(person.get(k) or "") for k in ("first_name", "last_name")).strip()
    return {
        f"{role}_name": address.get("name") or "",
        f"{role}_contact": contact,
        f"{role}_addressLineOne": address.get("addressLineOne") or "",
        f"{role}_postalCode": address.get("postalCode") or "",
        f"{role}_city": address.get("city") or "",
        f"{role}_state_province": address.get("state_province") or "",
        f"{role}_country": address.get("country") or "",
        f"{role}_address": address or None,
    }


def _adjustment(value: int, kind: str, places: int) -> Json:
    """A PO's tax or discount: an amount in the PO's currency, or a percentage (stored in hundredths)."""
    shown = money_float(value, places) if kind == "amount" else hundredths_float(value)
    return {"value": shown, "type": kind}


def purchase_order(row: sqlite3.Row, lookups: Lookups, lines: list[sqlite3.Row] | None = None) -> Json:
    """A PO header (list) or, with ``lines``, the detail with ``order_items``."""
    vendor_json = lookups.vendor(row["vendor_id"])
    contract = lookups.row("contracts", row["contract_id"])
    places = lookups.places(row["currency_id"])
    body = {
        **same(row, "uuid", "procurify_PO"),
        "number": str(row["procurify_PO"]),
        "PO_Num": row["po_num"],
        "version": row["version"],
        **moments(row, "date", "last_modified"),
        "pref_vendor": vendor_json,
        "vendor_name": vendor_json["name"] if vendor_json else None,
        "purchaser": lookups.user(row["purchaser_id"]),
        **_party("buyer", lookups, row["branch_id"], row["purchaser_id"]),
        **_party("receiver", lookups, row["branch_id"], row["purchaser_id"]),
        "comment": None,
        **same(row, "payment_terms", "shipping_terms", "shipping_method"),
        "promise_date": render_date_as_midnight(row["promise_date"]),
        "expiry_date": render_date_as_midnight(row["expiry_date"]),
        **monies(row, places, "subtotal", "freight"),
        "tax": _adjustment(row["tax_value"], row["tax_type"], places),
        "discount": _adjustment(row["discount_value"], row["discount_type"], places),
        **monies(row, places, "other", "total"),
        "purchased_currency": lookups.currency(row["currency_id"]),
        "purchased_currency_rate": row["currency_rate"],
        **same(row, "state", "fulfilment_status"),
        "closed_date": render_datetime(row["closed_date"]),
        "item_count": row["item_count"],
        "contract": None if contract is None else same(contract, "id", "name"),
        **flags(row, "staged_for_export"),
    }
    if lines is not None:
        body["order_items"] = [order_item(line, lookups) for line in lines]
    return body


def billing_entry(row: sqlite3.Row, lookups: Lookups) -> Json:
    """One bill of one PO in ``/api/v3/purchase-orders/billing-history/`` (a sandbox-assumed shape)."""
    return {
        "purchase_order": {"uuid": row["po_uuid"], "procurify_PO": row["number"]},
        "bill": {
            "uuid": row["uuid"],
            "invoice_number": row["invoice_number"],
            "status": row["status"],
            "total_cost_with_tax": money_float(
                row["subtotal"] + row["tax_amount"], lookups.places(row["currency_id"])
            ),
        },
    }


# --- bills ---------------------------------------------------------------------------------------------


def bill(row: sqlite3.Row, lookups: Lookups, item_ids: list[int], today: dt.date) -> Json:
    """The slim bill of ``/api/v3/ap/bills/``."""
    past_due = (
        row["due_date"] is not None and row["due_date"] < today.isoformat() and row["status"] not in (4, 5)
    )
    return {
        **same(row, "id", "uuid", "version", "status"),
        **flags(row, "locked"),
        "currency": lookups.currency(row["currency_id"]),
        "items": item_ids,
        "vendor": lookups.vendor_summary(row["vendor_id"]),
        **same(row, "invoice_number", "invoice_date", "due_date", "submitted_date", "gl_post_date"),
        "total_cost_with_tax": money_float(
            row["subtotal"] + row["tax_amount"], lookups.places(row["currency_id"])
        ),
        **moments(row, "last_modified_datetime"),
        "last_export_date": row["last_export_date"],
        "last_export_user": lookups.user(row["last_export_user_id"]),
        "group": row["group_id"],
        "type": row["type"],
        **{role: lookups.user(row[f"{role}_id"]) for role in ("user", "creator", "approver")},
        "past_due": past_due,
        **same(row, "payment_uuid", "invoice_uuid"),
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
    places = lookups.places(row["currency_id"])
    body.update(
        {
            "items": [
                {
                    **same(item, "id", "description"),
                    **amounts(item, "quantity"),
                    **monies(item, places, "unit_cost"),
                    "total_cost": money(line_total(item["quantity"], item["unit_cost"]), places),
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
            "subtotal_cost": money(row["subtotal"], places),
            "total_cost": money(row["subtotal"], places),
            **monies(row, places, "tax_amount"),
            "bill_payment": None
            if payment is None
            else {
                **same(payment, "uuid", "status"),
                **monies(payment, lookups.places(payment["currency_id"]), "amount"),
                "processing_date": payment["processing_date"],
            },
            **same(row, "payment_terms", "payment_date", "note"),
            "added_purchase_orders": [
                {"uuid": po["uuid"], "procurify_PO": po["procurify_PO"]} for po in purchase_orders
            ],
            "vendor_address": None if vendor_row is None else renamed(vendor_row, {**STREET, **PLACE}),
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
        **same(row, "id", "uuid"),
        **monies(row, lookups.places(row["currency_id"]), "amount"),
        "currency": currency,
        **same(row, "status", "processing_date", "posted_date"),
        **moments(row, "created_at", "updated_at"),
        "creator": None if creator is None else same(creator, *PERSON),
        "vendor_name": vendor_row["name"] if vendor_row else None,
        "gl_code": row["gl_code"],
        "bill_groups": groups,
        "payment_source_type": row["payment_source_type"],
        "vendor_payment_method_rail": row["rail"],
    }


def legacy_payment(row: sqlite3.Row, lookups: Lookups, groups: list[int]) -> Json:
    """The deprecated ``/api/v2/ap/payments/`` shape (sandbox assumption: the reference lists no fields)."""
    return {
        **same(row, "id", "uuid"),
        "payment_date": row["processing_date"],
        **monies(row, lookups.places(row["currency_id"]), "amount"),
        "currency": lookups.currency(row["currency_id"]),
        "payment_method": {"type": row["method_type"]},
        "approver": lookups.user(row["approver_id"]),
        "vendor": lookups.vendor_summary(row["vendor_id"]),
        "bill_groups": groups,
    }
