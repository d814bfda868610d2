"""Invoices: created in draft, numbers unique per supplier, header editable only while draft, ERP
payments recorded with ``paid``/``payment-date``/``payment-notes``/``payments``; approval actions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ..formats import CoupaError
from ..schema import INVOICE_STATUSES, RESOURCES
from ..store import index_column, quote
from ..validation import Errors
from .actions import Actions, action_target
from .common import WriteContext, address, begin, custom_fields, money_text, reject_taken, resolve
from .documents import apply_currency, apply_payment_term
from .lines import active_account, given_uom, line_number, line_total, priced_fields

# Invoice statuses in which header and lines may still be edited through the API.
EDITABLE_INVOICE_STATUSES = ("draft", "new", "invalid")
# Header elements a client may set; others in a body (ids, totals, timestamps) are read-only and ignored.
_INVOICE_HEADER_FIELDS = frozenset(
    {
        "invoice-number",
        "invoice-date",
        "supplier",
        "currency",
        "is-credit-note",
        "original-invoice-number",
        "original-invoice-date",
        "payment-term",
        "tax-amount",
        "shipping-amount",
        "handling-amount",
        "misc-amount",
        "bill-to-address",
        "remit-to-address",
        "line-level-taxation",
        "invoice-lines",
        "account-type",
    }
)


def _invoice_lines(
    ctx: WriteContext, errors: Errors, lines: list[dict[str, Any]], doc: dict[str, Any], decimals: int
) -> None:
    existing = {line["id"]: line for line in doc.get("invoice-lines", [])}
    result = list(doc.get("invoice-lines", []))
    used = {line["line-num"] for line in result}
    for position, given in enumerate(lines, start=1):
        line_errors = errors.sub(f"Invoice line {given.get('line-num') or position}: ")
        line_id = given.get("id")
        current = None
        if line_id is not None:
            current = existing.get(int(line_id)) if str(line_id).isdigit() else None
            if current is None:
                line_errors.add("id", f"{line_id} is not a line of this invoice")
                continue
            if given.get("_delete") in (True, "true", 1, "1"):
                result = [line for line in result if line["id"] != current["id"]]
                used.discard(current["line-num"])
                continue
        line = dict(current or {})
        creating = current is None
        priced_fields(line_errors, given, line, creating=creating, prefix="Invoice")
        if "account" in given or creating:
            account = active_account(ctx, line_errors, given, required=True)
            if account is not None:
                line["account"] = {"id": account["id"]}
        if "order-line-id" in given and given["order-line-id"] is not None:
            order_line_id = line_errors.integer(given, "order-line-id")
            order = None
            if order_line_id is not None:
                order = ctx.store.find_one(
                    RESOURCES["purchase_orders"],
                    "EXISTS (SELECT 1 FROM json_each(t.doc, '$.\"order-lines\"') AS l "
                    "WHERE json_extract(l.value, '$.id') = ?)",
                    [order_line_id],
                )
            if order is None:
                line_errors.add("order-line-id", "does not match an order line")
            elif doc.get("supplier") and order["supplier"]["id"] != doc["supplier"]["id"]:
                line_errors.add("order-line-id", "belongs to an order of another supplier")
            else:
                line["order-line-id"] = order_line_id
                line["po-number"] = given.get("po-number") or order["po-number"]
        elif "po-number" in given:
            line["po-number"] = line_errors.text(given, "po-number", max_length=20)
        line_number(line_errors, given, line, used, creating=creating)
        given_uom(given, line)
        line_total(line, decimals)
        if creating:
            line.update(
                {
                    "id": ctx.store.next_id("invoice_lines"),
                    "created-at": ctx.now,
                    "status": "draft",
                    "account-allocations": [],
                }
            )
            result.append(line)
        else:
            result = [line if item["id"] == line["id"] else item for item in result]
        line["updated-at"] = ctx.now
    doc["invoice-lines"] = result


def _payments(
    ctx: WriteContext, errors: Errors, body: dict[str, Any], doc: dict[str, Any], decimals: int
) -> None:
    """Record ERP payments: header ``paid``/``payment-date``/``payment-notes`` and/or a ``payments`` list."""
    paid = errors.boolean(body, "paid")
    if paid is not None:
        doc["paid"] = paid
    if "payment-date" in body:
        doc["payment-date"] = errors.datetime(body, "payment-date")
    notes = body.get("payment-notes", body.get("check-number"))
    if notes is not None:
        doc["payment-notes"] = str(notes)
    entries = errors.items(body, "payments")
    if entries is None:
        return
    payments = list(doc.get("payments") or [])
    for position, entry in enumerate(entries, start=1):
        entry_errors = errors.sub(f"Payment {position}: ")
        amount = entry_errors.decimal(entry, "amount-paid", required=True)
        when = entry_errors.datetime(entry, "payment-date")
        note = entry.get("notes", entry.get("check-number"))
        if amount is None:
            continue
        existing = next(
            (p for p in payments if entry.get("id") is not None and p["id"] == entry.get("id")), None
        )
        if existing is not None:
            existing.update(
                {
                    "amount-paid": money_text(amount, decimals),
                    "notes": note,
                    "payment-date": when,
                    "updated-at": ctx.now,
                }
            )
            continue
        payments.append(
            {
                "id": ctx.store.next_id("invoice_payments"),
                "created-at": ctx.now,
                "updated-at": ctx.now,
                "amount-paid": money_text(amount, decimals),
                "notes": None if note is None else str(note),
                "payment-date": when or ctx.now,
                "payable-type": "InvoiceHeader",
                "payable-id": doc.get("id"),
            }
        )
    doc["payments"] = payments


def invoice_write(ctx: WriteContext, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    draft = begin(ctx, "invoices", current)
    resource, errors, doc, creating = draft.resource, draft.errors, draft.doc, draft.creating
    header_keys = [
        key
        for key in body
        if key in _INVOICE_HEADER_FIELDS and (current or {}).get(key, object()) != body[key]
    ]
    if not creating and doc.get("status") not in EDITABLE_INVOICE_STATUSES and header_keys:
        for key in header_keys:
            errors.add(key, f"can't be changed while the invoice is {doc.get('status')}")
        errors.raise_if_any()
    number = errors.text(body, "invoice-number", required=creating, max_length=40)
    if "supplier" in body or creating:
        supplier = resolve(ctx, errors, body, "supplier", "suppliers", ("number", "name"), required=creating)
        if supplier is not None:
            doc["supplier"] = {"id": supplier["id"]}
    if number is not None:
        doc["invoice-number"] = number
    if doc.get("supplier") and doc.get("invoice-number") and (number is not None or "supplier" in body):
        clash = ctx.store.find_one(
            resource,
            f"t.{quote(index_column('supplier'))} = ? AND t.{quote(index_column('invoice-number'))} = ?",
            [doc["supplier"]["id"], doc["invoice-number"]],
        )
        reject_taken(errors, clash, doc, "invoice-number")
    day = errors.date(body, "invoice-date", ctx.zone, required=creating)
    if day is not None:
        doc["invoice-date"] = day.isoformat()
    _, decimals = apply_currency(ctx, draft, body)
    # Coupa takes is-credit-note (input) and shows document-type (output); a credit note requires the
    # original invoice's number and date (Compass, Invoices API elements: "required when is-credit-note").
    credit_note = errors.boolean(body, "is-credit-note") if "is-credit-note" in body else None
    if credit_note is not None or creating:
        credit_note = bool(credit_note if credit_note is not None else doc.get("is-credit-note"))
        doc["is-credit-note"] = credit_note
        doc["document-type"] = "Credit Note" if credit_note else "Invoice"
    for key in ("original-invoice-number",):
        if key in body:
            doc[key] = errors.text(body, key, max_length=40)
    if "original-invoice-date" in body:
        original = errors.date(body, "original-invoice-date", ctx.zone)
        doc["original-invoice-date"] = original.isoformat() if original else None
    if doc.get("is-credit-note"):
        for key in ("original-invoice-number", "original-invoice-date"):
            if not doc.get(key):
                errors.add(key, "can't be blank for a credit note")
    apply_payment_term(ctx, draft, body)
    for key in ("tax-amount", "shipping-amount", "handling-amount", "misc-amount"):
        amount = errors.decimal(body, key)
        if amount is not None:
            doc[key] = money_text(amount, decimals)
        elif creating:
            doc[key] = money_text(Decimal(0), decimals)
    for key in ("bill-to-address", "remit-to-address"):
        if key in body:
            doc[key] = address(errors, errors.obj(body, key), doc.get(key), ctx, key)
    if "line-level-taxation" in body:
        doc["line-level-taxation"] = errors.boolean(body, "line-level-taxation")
    lines = errors.items(body, "invoice-lines")
    if lines is not None:
        _invoice_lines(ctx, errors, lines, doc, decimals)
    elif creating:
        doc["invoice-lines"] = []
    if "account-type" in body:
        chart = resolve(ctx, errors, body, "account-type", "account_types", ("name",))
        if chart is not None:
            doc["account-type"] = {"id": chart["id"]}
    elif creating and doc["invoice-lines"] and doc["invoice-lines"][0].get("account"):
        # The chart of accounts follows the first line's account unless the body names one.
        first = ctx.store.get(RESOURCES["accounts"], doc["invoice-lines"][0]["account"]["id"]) or {}
        doc["account-type"] = first.get("account-type")
    _payments(ctx, errors, body, doc, decimals)
    doc["custom-fields"] = custom_fields(ctx, resource, body, doc.get("custom-fields") or {})
    errors.raise_if_any()
    gross = sum((Decimal(line["total"]) for line in doc.get("invoice-lines", [])), Decimal(0))
    doc["gross-total"] = money_text(gross, decimals)
    extras = sum(
        Decimal(doc.get(key) or 0)
        for key in ("tax-amount", "shipping-amount", "handling-amount", "misc-amount")
    )
    doc["total-with-taxes"] = money_text(gross + extras, decimals)
    if doc.get("invoice-date") and doc.get("payment-term"):
        term_doc = ctx.store.get(RESOURCES["payment_terms"], doc["payment-term"]["id"]) or {}
        due = dt.date.fromisoformat(doc["invoice-date"]) + dt.timedelta(
            days=int(term_doc.get("days-for-net-payment") or 0)
        )
        doc["net-due-date"] = due.isoformat()
    if creating:
        doc.update(
            {
                "id": ctx.store.next_id("invoices"),
                "created-at": ctx.now,
                "status": "draft",
                "paid": doc.get("paid", False),
                "exported": False,
                "last-exported-at": None,
                "lock-version-key": 0,
                "payment-channel": "erp",
                "invoice-charges": [],
                "tax-lines": [],
                "approvals": [],
            }
        )
        doc.setdefault("payments", [])
        for payment in doc["payments"]:
            payment["payable-id"] = doc["id"]
    doc["lock-version-key"] = int(doc.get("lock-version-key") or 0) + 1
    doc["updated-at"] = ctx.now
    return doc


_INVOICE_ACTIONS: Actions[str | None] = {
    "submit": (("draft", "new", "invalid"), None),  # target from settings
    "void": (("pending_receipt", "approved", "draft"), "voided"),
    "abandon": (("draft", "new", "invalid"), "abandoned"),
    "dispute": (
        ("pending_approval", "pending_receipt", "on_hold", "ap_hold", "approved", "pending_action"),
        "disputed",
    ),
    "withdraw_dispute": (("disputed",), "draft"),
    "bypass_approvals": (("pending_approval",), "approved"),
    "bypass_current_approval": (("pending_approval",), "approved"),
    "restart_approvals": (("pending_approval", "approved"), "pending_approval"),
}


def invoice_action(ctx: WriteContext, doc: dict[str, Any], action: str) -> dict[str, Any]:
    resource = RESOURCES["invoices"]
    unknown = f"{action} is not an invoice action simulated by the sandbox"
    target = action_target(ctx, resource, _INVOICE_ACTIONS, doc, action, unknown)
    if action == "submit" and not doc.get("invoice-lines"):
        raise CoupaError(
            ctx.settings.validation_error_status, ["Invoice lines can't be blank"], resource.element
        )
    doc = dict(doc)
    doc["status"] = target or ctx.settings.invoice_submit_status
    assert doc["status"] in INVOICE_STATUSES
    doc["lock-version-key"] = int(doc.get("lock-version-key") or 0) + 1
    doc["updated-at"] = ctx.now
    return doc
