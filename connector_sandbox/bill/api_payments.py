"""Payments: list, get, create and bulk create (MFA-trusted session required), cancel, void.

A new payment is SCHEDULED and reserves its amount on the bill (paymentStatus SCHEDULED); it clears
through ``POST /sandbox/activity`` (``cleared_payments``), never by itself, so tests control time.
Negative amounts are refused and overpaying a bill fails with BDC_1159 (documented).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.responses import Response

from . import errors
from .api_common import fetch, get_handler, make_id, record_routes, resource_routes
from .api_writes import check_bulk
from .documents import (
    new_bill_doc,
    new_payment_doc,
    outstanding,
    refresh_bill,
    render,
    set_payment_status,
    stamp,
)
from .formats import money, now_ms, to_cents
from .pipeline import Call, api_route, json_array, json_object, ok
from .resources import BILLS, PAYMENTS, VENDORS
from .validation import Checker

PAYMENT_FIELDS = (
    "billId",
    "vendorId",
    "amount",
    "processDate",
    "fundingAccount",
    "description",
    "processingOptions",
    "cardFundingPurpose",
    "vendorCredits",
)
FUNDING_TYPES = ("BANK_ACCOUNT", "CARD_ACCOUNT", "WALLET", "AP_CARD")
OPTION_FIELDS = ("requestPayFaster", "createBill", "requestCheckDeliveryType")


def next_business_day(day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _require_trust(call: Call) -> None:
    if not (call.session and call.session.trusted):
        raise errors.error(
            403,
            errors.MFA_REQUIRED,
            "Creating payments requires an MFA-trusted session (POST /v3/mfa/challenge)",
        )


def _check(
    call: Call, body: dict[str, Any], check: Checker, reserved: dict[str, int], *, bulk: bool
) -> dict[str, Any]:
    """Validated payment request; ``reserved`` = cents already claimed per bill in this request."""
    check.unknown(body, "", PAYMENT_FIELDS)
    spec: dict[str, Any] = {}
    options = check.obj(body, "processingOptions", "") or {}
    check.unknown(options, "processingOptions.", OPTION_FIELDS)
    for key in ("requestPayFaster", "createBill"):
        check.boolean(options, key, "processingOptions.")
    check.text(options, "requestCheckDeliveryType", "processingOptions.")
    create_bill = bool(options.get("createBill"))
    if create_bill and bulk:
        check.fail("processingOptions.createBill", "bulk payments pay existing bills only")
    spec["options"] = dict(options)
    cents = check.cents(body, "amount", "", required=True)
    if cents is not None and cents <= 0:
        check.fail(
            "amount", "must be greater than zero (negative amounts are not allowed; use vendor credits)"
        )
        cents = None
    spec["cents"] = cents
    if body.get("vendorCredits"):
        check.fail("vendorCredits", "applying vendor credits is not simulated by the sandbox")
    bill_id = check.text(body, "billId", "")
    vendor_id = check.text(body, "vendorId", "", required=create_bill)
    bill = vendor = None
    if create_bill:
        if bill_id is not None:
            check.fail("billId", "must be omitted when processingOptions.createBill is true")
    elif bill_id is None:
        check.fail("billId", "is required (or processingOptions.createBill = true with vendorId)")
    else:
        bill = call.state.store.get(BILLS, call.org, bill_id)
        if bill is None:
            check.fail("billId", f"{bill_id} does not exist in this organization")
        elif bill["archived"]:
            check.fail("billId", f"{bill_id} is archived", errors.INVALID_STATE)
        elif vendor_id is not None and vendor_id != bill["vendorId"]:
            check.fail("vendorId", f"{vendor_id} does not match the bill's vendor {bill['vendorId']}")
        elif cents is not None:
            available = outstanding(bill) - reserved.get(bill_id, 0)
            if cents > available:
                left = money(max(available, 0))
                message = f"cannot overpay bill {bill_id}: {money(cents)} requested, {left} outstanding"
                check.fail("amount", message, errors.OVERPAY)
            reserved[bill_id] = reserved.get(bill_id, 0) + cents
        if bill is not None:
            vendor_id = bill["vendorId"]
    if vendor_id is not None:
        vendor = call.state.store.get(VENDORS, call.org, vendor_id)
        if vendor is None:
            check.fail("vendorId", f"{vendor_id} does not exist in this organization")
        elif vendor["paymentInformation"].get("payByType") not in ("ACH", "CHECK"):
            message = f"vendor {vendor['name']!r} has neither bank details nor a complete mailing address"
            check.fail("vendorId", message, errors.INVALID_STATE)
    spec.update(bill=bill, vendor=vendor)
    funding = check.obj(body, "fundingAccount", "", required=True)
    if funding is not None:
        check.unknown(funding, "fundingAccount.", ("type", "id"))
        kind = check.text(funding, "type", "fundingAccount.", required=True, choices=FUNDING_TYPES)
        account_id = check.text(funding, "id", "fundingAccount.", required=True)
        if kind and account_id:
            account = call.state.store.funding_account(call.org, account_id)
            if account is None or account["type"] != kind:
                check.fail("fundingAccount.id", f"{account_id} is not a {kind} of this organization")
        spec["funding"] = {"type": kind, "id": account_id}
        if kind == "CARD_ACCOUNT":
            check.text(body, "cardFundingPurpose", "", required=True)
    today = dt.datetime.now(dt.UTC).date()
    process = check.date(body, "processDate", "")
    kind = (funding or {}).get("type")
    if process is None and kind in ("WALLET", "AP_CARD") and "processDate" not in body:
        check.fail("processDate", f"is required when funding from {kind}")
    if process is not None and process < today:
        check.fail("processDate", f"{process.isoformat()} is in the past")
    spec["processDate"] = (process or next_business_day(today)).isoformat()
    description = check.text(body, "description", "", limit="payment.description")
    spec["description"] = description
    return spec


def _build(call: Call, spec: dict[str, Any], ms: int) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """(payment, bill, bill_created) for one validated request; the bill's reservation is applied."""
    rng, vendor, bill = call.state.rng, spec["vendor"], spec["bill"]
    payment_id = make_id(call, "payment")
    created = bill is None
    if created:
        fields = {
            "vendor": vendor,
            "invoice": {"invoiceNumber": f"PAY-{payment_id[-10:]}", "invoiceDate": spec["processDate"]},
            "dueDate": spec["processDate"],
            "billLineItems": [{"_cents": spec["cents"], "description": spec["description"] or "Payment"}],
        }
        bill = new_bill_doc(
            make_id(call, "bill"), fields, call.settings.user_id, ms, lambda: make_id(call, "line_item")
        )
    process = dt.date.fromisoformat(spec["processDate"])
    payment = new_payment_doc(
        payment_id,
        vendor,
        [(make_id(call, "bill_payment"), bill["id"], spec["cents"])],
        spec["processDate"],
        funding=spec["funding"],
        single_status="SCHEDULED",
        disbursement_type=vendor["paymentInformation"]["payByType"],
        online=True,
        created_by=call.settings.user_id,
        ms=ms,
        transaction_number="".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(20)),
        confirmation_number=f"P{process:%y%m%d}01 - {rng.randrange(10**7):07d}",
        description=spec["description"],
        processing_options=spec["options"] or None,
    )
    bill["_scheduledCents"] = bill.get("_scheduledCents", 0) + spec["cents"]
    refresh_bill(bill)
    stamp(bill, ms)
    return payment, bill, created


def _save(call: Call, built: list[tuple[dict[str, Any], dict[str, Any], bool]]) -> None:
    with call.state.store.transaction():
        for payment, bill, _ in built:
            call.state.store.put(BILLS, call.org, bill)
            call.state.store.put(PAYMENTS, call.org, payment)
    for payment, bill, created in built:
        call.state.publish(call.org, "bills", "created" if created else "updated", bill)
        call.state.publish(call.org, "payments", "updated", payment)


async def create(call: Call) -> Response:
    _require_trust(call)
    body = json_object(call.body)
    check = Checker("payment", strict=call.strict)
    spec = _check(call, body, check, {}, bulk=False)
    check.raise_if_any()
    built = _build(call, spec, now_ms())
    _save(call, [built])
    return ok(render("payments", built[0], call.settings), 201)


async def bulk_create(call: Call) -> Response:
    _require_trust(call)
    records = json_array(call.body, call.settings.payment_bulk_max, "payments")
    reserved: dict[str, int] = {}
    specs = check_bulk(
        call,
        records,
        lambda record, position: f"[{position}] payment",
        lambda record, check: _check(call, record, check, reserved, bulk=True),
        noun="payments",
    )
    ms = now_ms()
    built, bills = [], {}
    for spec in specs:
        spec["bill"] = bills.get(spec["bill"]["id"], spec["bill"])  # several payments of one bill
        payment, bill, created = _build(call, spec, ms)
        bills[bill["id"]] = bill
        built.append((payment, bill, created))
    _save(call, built)
    return ok([render("payments", payment, call.settings) for payment, _, _ in built], 201)


def _release(call: Call, payment: dict[str, Any], *, key: str, ms: int) -> list[dict[str, Any]]:
    """Take the payment's amounts back off its bills (``_scheduledCents`` or ``_paidCents``)."""
    bills = []
    for part in payment["billPayments"]:
        bill = call.state.store.get(BILLS, call.org, part["billId"])
        if bill is None:
            continue
        cents = to_cents(part["amount"])
        bill[key] = max(0, bill.get(key, 0) - cents)
        refresh_bill(bill)
        stamp(bill, ms)
        bills.append(bill)
    return bills


def _transition(*, target: str, allowed: str, key: str):
    async def handler(call: Call) -> Response:
        payment = fetch(call, PAYMENTS, call.param("id"))
        body = json_object(call.body if call.body is not None else {})
        check = Checker(f"payment {payment['id']}", strict=call.strict)
        check.unknown(body, "", ("voidReason",) if target == "VOIDED" else ())
        reason = check.text(body, "voidReason", "")
        check.raise_if_any()
        if payment["singleStatus"] != allowed:
            raise errors.error(
                400,
                errors.INVALID_STATE,
                f"payment {payment['id']} is {payment['singleStatus']}; "
                f"only a {allowed} payment can become {target}",
            )
        ms = now_ms()
        bills = _release(call, payment, key=key, ms=ms)
        set_payment_status(payment, target, ms)
        if target == "CANCELED":
            payment["cancelRequestSubmitted"] = True
        else:
            payment["voidInfo"] = {
                "voidDate": payment["updatedTime"][:10],
                **({"voidReason": reason} if reason else {}),
            }
        with call.state.store.transaction():
            for bill in bills:
                call.state.store.put(BILLS, call.org, bill)
            call.state.store.put(PAYMENTS, call.org, payment)
        for bill in bills:
            call.state.publish(call.org, "bills", "updated", bill)
        call.state.publish(call.org, "payments", "updated", payment)
        return ok(render("payments", payment, call.settings))

    return handler


def routes() -> list:
    base = "/v3/payments"
    return [
        *resource_routes(base, PAYMENTS, create, bulk_create),
        *record_routes(base, {"GET": get_handler(PAYMENTS)}),
        api_route(
            f"{base}/{{id}}/cancel",
            _transition(target="CANCELED", allowed="SCHEDULED", key="_scheduledCents"),
            ["POST"],
        ),
        api_route(
            f"{base}/{{id}}/void",
            _transition(target="VOIDED", allowed="CLEARED", key="_paidCents"),
            ["POST"],
        ),
    ]
