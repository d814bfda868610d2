"""Fusion's AP team on demand (operator routes, not part of Fusion): approve and pay one named invoice, void
one payment.

In a real pod an invoice sent through REST waits for people: its approval (``ApprovalStatus`` Required)
is worked in the approval workflow and its payment made by a payment process request, neither through the
REST API. ``POST /sandbox/activity``'s ``new_payments`` pays *random* open invoices; these routes let a test
or ``make dev`` have the AP team pay exactly the invoice a client wrote, and void exactly one payment.
Payments are made by the same code as the activity's (``activity.record_payment``), so the payment, its
relatedInvoices row, the invoice's AmountPaid / PaidStatus and its installment look alike either way.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request

from connector_sandbox.admin import Refused, object_body

from .activity import ACTIVITY_USER, record_payment
from .factory import PAYABLES_SCALE, Factory, Stamp, payables_money
from .state import SandboxState
from .values import epoch_ms
from .vocabulary import precision

_PAY_FIELDS = {"amount", "payment_date"}
_VOID_FIELDS = {"void_date"}


def _amount_text(stored: int, currency: str) -> str:
    """A stored Payables amount as text with ``currency``'s own decimals (``1000`` JPY, ``120.50`` EUR)."""
    return str(Decimal(stored).scaleb(-PAYABLES_SCALE).quantize(Decimal(1).scaleb(-precision(currency))))


def _date(body: dict[str, Any], name: str, default: dt.date) -> dt.date:
    text = body.get(name)
    if text is None:
        return default
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        raise Refused(f"{name} must be a date YYYY-MM-DD; got {text!r}") from None


def now_stamp(state: SandboxState) -> Stamp:
    now = state.now()
    now = now.replace(microsecond=(now.microsecond // 1000) * 1000)
    return Stamp(now, now)


def _numeric_id(request: Request, name: str) -> int:
    raw = request.path_params[name]
    if not raw.isdigit():
        raise Refused(f"{name} must be numeric; got {raw!r}")
    return int(raw)


def checked_body(body: dict[str, Any], allowed: set[str]) -> dict[str, Any]:
    unknown = set(body) - allowed
    if unknown:
        raise Refused(f"takes only {', '.join(sorted(allowed))}; got {sorted(unknown)}")
    return body


async def target_row(
    request: Request, state: SandboxState, table: str, key: str, allowed: set[str]
) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """The id the path names, its ``table`` row (404 when there is none) and the body (400 for a field
    not in ``allowed``), checked in that order."""
    record_id = _numeric_id(request, key)
    body = checked_body(await object_body(request), allowed)
    row = state.store.row(table, record_id)
    if row is None:
        raise Refused(f"no {table} with {key} {record_id}", 404)
    return record_id, row, body


def _amount(body: dict[str, Any], open_amount: int, currency: str) -> int | None:
    """The stored amount asked for (None: what is open); 400 unless 0 < amount <= what is open."""
    text = body.get("amount")
    if text is None:
        return None
    try:
        value = Decimal(str(text))
    except InvalidOperation:
        raise Refused(f'amount must be a decimal such as "120.50"; got {text!r}') from None
    places = precision(currency)
    if not value.is_finite() or value != value.quantize(Decimal(1).scaleb(-places)):
        raise Refused(f"amount must be a decimal with at most {places} places in {currency}; got {text!r}")
    stored = payables_money(value)
    if stored <= 0 or stored > open_amount:
        raise Refused(
            f"amount must be above 0 and at most what is open ({_amount_text(open_amount, currency)})"
        )
    return stored


async def pay_invoice(request: Request, state: SandboxState) -> dict[str, Any]:
    """``POST /sandbox/invoices/{InvoiceId}/pay`` ``{"amount"?, "payment_date"?}``: approve the invoice if
    its approval is Required and pay it with one payment; 404 unknown, 409 canceled, not validated or
    already fully paid."""
    invoice_id, header, body = await target_row(request, state, "invoice", "InvoiceId", _PAY_FIELDS)
    store = state.store
    record = f"invoice {header['InvoiceNumber']} ({invoice_id})"
    if header["CanceledFlag"]:
        raise Refused(f"{record} is canceled", 409)
    if header["ValidationStatus"] != "Validated":
        raise Refused(f"{record} is not validated (ValidationStatus {header['ValidationStatus']})", 409)
    open_amount = (header["InvoiceAmount"] or 0) - (header["AmountPaid"] or 0)
    if header["PaidStatus"] == "Paid" or open_amount <= 0:
        raise Refused(f"{record} is already fully paid", 409)
    amount = _amount(body, open_amount, header["InvoiceCurrency"])
    stamp = now_stamp(state)
    payment_date = _date(body, "payment_date", stamp.created.date())
    header["AmountPaid"] = header["AmountPaid"] or 0
    rng = random.Random(f"{state.settings.seed}:{invoice_id}:{stamp.created.isoformat()}")
    factory = Factory(store, rng, ACTIVITY_USER)
    with store.transaction():
        if header["ApprovalStatus"] == "Required":  # the approvers' work, in the workflow, not the API
            header["ApprovalStatus"] = "Approved"
            store.update("invoice", invoice_id, {"ApprovalStatus": "Approved"})
        payment = record_payment(store, factory, header, stamp, amount=amount, payment_date=payment_date)
        factory.save_counters()
    return {
        "InvoiceId": invoice_id,
        "CheckId": payment["CheckId"],
        "PaymentNumber": payment["PaymentNumber"],
        "PaymentAmount": _amount_text(payment["PaymentAmount"], header["InvoiceCurrency"]),
        "PaymentDate": payment["PaymentDate"],
        "ApprovalStatus": header["ApprovalStatus"],
        "AmountPaid": _amount_text(header["AmountPaid"], header["InvoiceCurrency"]),
        "PaidStatus": header["PaidStatus"],
    }


def _paid_status(amount_paid: int, invoice_amount: int) -> str:
    if amount_paid <= 0:
        return "Unpaid"
    return "Paid" if amount_paid >= invoice_amount else "Partially paid"


async def void_payment(request: Request, state: SandboxState) -> dict[str, Any]:
    """``POST /sandbox/payments/{CheckId}/void`` ``{"void_date"?}``: void a payment (VoidDate and
    VoidAccountingDate set) and take what it paid off each invoice it paid (AmountPaid, PaidStatus,
    installment UnpaidAmount recomputed); 404 unknown, 409 already voided."""
    check_id, payment, body = await target_row(request, state, "payment", "CheckId", _VOID_FIELDS)
    store = state.store
    if payment["VoidDate"]:
        raise Refused(f"payment {payment['PaymentNumber']} ({check_id}) is already void", 409)
    stamp = now_stamp(state)
    void_date = _date(body, "void_date", stamp.created.date()).isoformat()
    stamped = {"LastUpdateDate": epoch_ms(stamp.updated), "LastUpdatedBy": ACTIVITY_USER}
    invoices = []
    with store.transaction():
        store.update("payment", check_id, {"VoidDate": void_date, "VoidAccountingDate": void_date, **stamped})
        for related in store.fetch("SELECT * FROM related_invoice WHERE sbx_parent = ?", (check_id,)):
            header = store.row("invoice", related["InvoiceId"])
            if header is None:
                continue
            paid = max(0, (header["AmountPaid"] or 0) - (related["AmountPaid"] or 0))
            status = _paid_status(paid, header["InvoiceAmount"] or 0)
            store.update("invoice", header["sbx_id"], {"AmountPaid": paid, "PaidStatus": status, **stamped})
            store.conn.execute(
                'UPDATE invoice_installment SET "UnpaidAmount" = ?, "LastUpdateDate" = ?, '
                "sbx_version = sbx_version + 1 WHERE sbx_parent = ?",
                ((header["InvoiceAmount"] or 0) - paid, stamped["LastUpdateDate"], header["sbx_id"]),
            )
            invoices.append(
                {
                    "InvoiceId": header["InvoiceId"],
                    "AmountPaid": _amount_text(paid, header["InvoiceCurrency"]),
                    "PaidStatus": status,
                }
            )
    return {"CheckId": check_id, "VoidDate": void_date, "invoices": invoices}
