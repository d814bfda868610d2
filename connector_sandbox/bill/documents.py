"""The stored shape of vendors, bills and payments, and how they are rendered on the wire.

Seeding, business activity and the API's create/update handlers all build objects here, so a seeded
bill and one a client created are indistinguishable. Stored documents carry internal ``_`` keys
(integer cents, epoch milliseconds, approvers) that ``render`` strips.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from .formats import money, render_time, to_cents
from .settings import BillSandboxSettings

# USD per unit of the bill currency, for fundingAmount / exchangeRate of foreign bills.
EXCHANGE_RATES: dict[str, Decimal] = {
    "USD": Decimal("1"),
    "EUR": Decimal("1.0850"),
    "GBP": Decimal("1.2700"),
    "CAD": Decimal("0.7400"),
    "MXN": Decimal("0.0590"),
    "CNY": Decimal("0.1390"),
    "AUD": Decimal("0.6600"),
    "CHF": Decimal("1.1300"),
    "JPY": Decimal("0.0067"),
}


def stamp(doc: dict[str, Any], ms: int, *, created: bool = False) -> None:
    """Set updatedTime (and createdTime for a new object) from epoch milliseconds."""
    if created:
        doc["_createdMs"] = ms
        doc["createdTime"] = render_time(ms)
    doc["_updatedMs"] = ms
    doc["updatedTime"] = render_time(ms)


def bill_payment_status(amount: int, paid: int, scheduled: int) -> str:
    """PAID > SCHEDULED > PARTIAL > UNPAID: what a payables clerk would call the bill."""
    if paid >= amount:
        return "PAID"
    if scheduled > 0:
        return "SCHEDULED"
    if paid > 0:
        return "PARTIAL"
    return "UNPAID"


def refresh_bill(doc: dict[str, Any]) -> None:
    """Recompute amount, dueAmount, paymentStatus and foreign-currency fields from lines and payments."""
    amount = sum(to_cents(line["amount"]) for line in doc["billLineItems"])
    doc["_amountCents"] = amount
    doc["amount"] = money(amount)
    paid, scheduled = doc.get("_paidCents", 0), doc.get("_scheduledCents", 0)
    doc["dueAmount"] = money(max(amount - paid, 0))
    doc["paymentStatus"] = bill_payment_status(amount, paid, scheduled)
    currency = doc.get("_currency", "USD")
    if currency != "USD":
        rate = EXCHANGE_RATES[currency]
        doc["exchangeRate"] = float(rate)
        doc["fundingAmount"] = money(int((Decimal(amount) * rate).quantize(Decimal("1"))))
    else:
        doc.pop("exchangeRate", None)
        doc.pop("fundingAmount", None)


def outstanding(doc: dict[str, Any]) -> int:
    """Cents still payable: neither paid nor already scheduled."""
    return doc["_amountCents"] - doc.get("_paidCents", 0) - doc.get("_scheduledCents", 0)


def _strip_internal(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _strip_internal(item) for key, item in value.items() if not key.startswith("_")}
    if isinstance(value, list):
        return [_strip_internal(item) for item in value]
    return value


def render(
    kind: str, doc: dict[str, Any], settings: BillSandboxSettings, *, approvals: bool = False
) -> dict[str, Any]:
    """The v3 response shape of a stored object."""
    body = _strip_internal(doc)
    if kind == "chart-of-accounts":
        # BILL's chart-of-accounts model nests the account's type and number under ``account`` (the
        # collection's 'Get list of chart of accounts' answer); the sandbox keeps them flat inside.
        account = {"type": body.pop("type", None), "number": body.pop("accountNumber", None)}
        if any(account.values()):
            body["account"] = {key: value for key, value in account.items() if value is not None}
    if kind == "bills":
        if not settings.variants.bill_due_amount:
            body.pop("dueAmount", None)
        if approvals:
            # BILL's bill model lists them as ``approvers`` (the collection's bill answers).
            body["approvers"] = copy.deepcopy(doc.get("_approvals", []))
    if kind == "payments" and isinstance(body.get("voidInfo"), dict):
        # BILL's payment model lists void requests: ``voidInfo [{id, requestedBy, type, status, reason,
        # createdTime, updatedTime}]`` (the collection); the sandbox keeps one void's date and reason.
        void = body.pop("voidInfo")
        moment = f"{void.get('voidDate', str(body.get('updatedTime', ''))[:10])}T00:00:00.000+00:00"
        body["voidInfo"] = [
            {
                "type": "VOID_ONLY",
                "status": "PROCESSED",
                **({"reason": void["voidReason"]} if void.get("voidReason") else {}),
                "createdTime": moment,
                "updatedTime": moment,
            }
        ]
    if kind == "payments" and "checkDisbursement" in body:
        # ``checkDisbursement`` is part of ``disbursementInfo`` in BILL's payment model (the collection).
        check = dict(body.pop("checkDisbursement"))
        if str(check.get("checkNumber", "")).isdigit():  # an integer in BILL's model
            check["checkNumber"] = int(check["checkNumber"])
        body["disbursementInfo"] = {"checkDisbursement": check}
    return body


def webhook_entity(kind: str, doc: dict[str, Any], settings: BillSandboxSettings) -> dict[str, Any]:
    """The entity part of a notification: bill events carry every bill response field (since 2025-02);
    payment events the documented subset (id, billIds, transactionNumber, status, ...)."""
    if kind == "bills":
        body = render(kind, doc, settings)
        if settings.variants.webhook_invoice_date_as_timestamp and body.get("invoice", {}).get("invoiceDate"):
            invoice_date = body["invoice"]["invoiceDate"]
            body["invoice"] = {**body["invoice"], "invoiceDate": invoice_date + "T00:00:00.000Z"}
        return body
    if kind == "payments":
        return {
            "id": doc["id"],
            "billIds": [part["billId"] for part in doc.get("billPayments", [])],
            "transactionNumber": doc.get("transactionNumber"),
            "status": doc["status"],
            "createdBy": doc.get("createdBy"),
            "processDate": doc.get("processDate"),
            "funding": {
                "type": (doc.get("fundingAccount") or {}).get("type"),
                "id": (doc.get("fundingAccount") or {}).get("id"),
                "amount": doc["amount"],
            },
            "disbursement": {
                "type": doc.get("disbursementType"),
                "status": doc.get("disbursementStatus"),
                **(
                    {"checkNumber": doc["checkDisbursement"]["checkNumber"]}
                    if doc.get("checkDisbursement")
                    else {}
                ),
            },
            "createdTime": doc["createdTime"],
            "updatedTime": doc["updatedTime"],
        }
    return render(kind, doc, settings)


def pay_by_type(doc: dict[str, Any]) -> str:
    """ACH when BILL holds bank details, CHECK when the address is complete enough to mail one."""
    if doc.get("_bank"):
        return "ACH"
    address = doc.get("address") or {}
    if all(address.get(key) for key in ("line1", "city", "zipOrPostalCode", "country")):
        return "CHECK"
    return "NONE"


def apply_vendor_fields(doc: dict[str, Any], fields: dict[str, Any], bank: dict[str, str] | None) -> None:
    """Replace every client-writable field (PUT semantics; PATCH merges before it gets here)."""
    for key in ("shortName", "email", "phone", "address", "additionalInfo"):
        doc.pop(key, None)
    doc.update({key: value for key, value in fields.items() if value is not None})
    if bank is not None:
        doc["_bank"] = bank
    payee = (fields.get("paymentInformation") or {}).get("payeeName") or doc["name"]
    # ``virtualCard`` is part of ``paymentInformation`` in BILL's vendor model (the collection's answers).
    card = (doc.get("paymentInformation") or {}).get("virtualCard") or {"status": "NOT_ENROLLED"}
    doc["paymentInformation"] = {"payeeName": payee, "payByType": pay_by_type(doc), "virtualCard": card}


def new_vendor_doc(
    vendor_id: str,
    fields: dict[str, Any],
    bank: dict[str, str] | None,
    ms: int,
    *,
    network: str = "NOT_CONNECTED",
) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": vendor_id, "archived": False, "networkStatus": network}
    apply_vendor_fields(doc, fields, bank)
    stamp(doc, ms, created=True)
    return doc


def apply_bill_fields(doc: dict[str, Any], fields: dict[str, Any], new_line_id: Callable[[], str]) -> None:
    """Write validated fields into a bill; lines that name one of the bill's line ids keep it."""
    vendor = fields["vendor"]
    for key in ("description", "purchaseOrderNumber", "payFromChartOfAccountId"):
        doc.pop(key, None)
    doc["vendorId"] = vendor["id"]
    doc["vendorName"] = vendor["name"]
    doc["_currency"] = vendor.get("billCurrency") or "USD"
    doc["invoice"] = fields["invoice"]
    doc["dueDate"] = fields["dueDate"]
    for key in ("description", "purchaseOrderNumber", "payFromChartOfAccountId"):
        if fields.get(key) is not None:
            doc[key] = fields[key]
    doc["classifications"] = fields.get("classifications") or {}
    known = {line["id"] for line in doc.get("billLineItems", [])}
    lines = []
    for clean in fields["billLineItems"]:
        line = {
            "id": clean["id"] if clean.get("id") in known else new_line_id(),
            "amount": money(clean["_cents"]),
        }
        for key in ("quantity", "price", "description", "classifications"):
            if key in clean:
                line[key] = clean[key]
        lines.append(line)
    doc["billLineItems"] = lines
    refresh_bill(doc)


def new_bill_doc(
    bill_id: str,
    fields: dict[str, Any],
    created_by: str,
    ms: int,
    new_line_id: Callable[[], str],
    *,
    approval_status: str = "UNASSIGNED",
    approvals: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": bill_id, "archived": False, "_paidCents": 0, "_scheduledCents": 0}
    apply_bill_fields(doc, fields, new_line_id)
    doc["approvalStatus"] = approval_status
    doc["_approvals"] = approvals or []
    doc["createdBy"] = created_by
    stamp(doc, ms, created=True)
    return doc


# Internal mark (never rendered: ``_`` keys are stripped) of a bill a client created through /v3/bills, so
# the business activity can pay only those (``activity_pays = "api_bills"``).
MADE_THROUGH_API = "_madeThroughApi"


def made_through_api(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` marked as a bill a client created through the API (answered for chaining)."""
    doc[MADE_THROUGH_API] = True
    return doc


def set_payment_status(doc: dict[str, Any], single_status: str, ms: int) -> None:
    """The sandbox keeps status, singleStatus and disbursementStatus equal (their split is undocumented)."""
    doc["status"] = doc["singleStatus"] = doc["disbursementStatus"] = single_status
    stamp(doc, ms)


def new_payment_doc(
    payment_id: str,
    vendor: dict[str, Any],
    parts: list[tuple[str, str, int]],
    process_date: str,
    *,
    funding: dict[str, str] | None,
    single_status: str,
    disbursement_type: str,
    online: bool,
    created_by: str,
    ms: int,
    transaction_number: str,
    confirmation_number: str,
    description: str | None = None,
    processing_options: dict[str, Any] | None = None,
    check_number: str | None = None,
) -> dict[str, Any]:
    """A payment covering ``parts`` = [(bill payment id ``blp…``, bill id, cents)]."""
    amount = sum(cents for _, _, cents in parts)
    doc: dict[str, Any] = {
        "id": payment_id,
        "vendorId": vendor["id"],
        "vendorName": vendor["name"],
        "billPayments": [
            {"id": part_id, "billId": bill_id, "amount": money(cents)} for part_id, bill_id, cents in parts
        ],
        "amount": money(amount),
        "_amountCents": amount,
        "processDate": process_date,
        "transactionNumber": transaction_number,
        "confirmationNumber": confirmation_number,
        "disbursementType": disbursement_type,
        "onlinePayment": online,
        "createdBy": created_by,
        "cancelRequestSubmitted": False,
    }
    if len(parts) == 1:
        doc["billId"] = parts[0][1]  # only a single-bill payment names one billId
    if funding is not None:
        doc["fundingAccount"] = funding
    if processing_options:
        doc["processingOptions"] = processing_options
    if description:
        doc["description"] = description
    if check_number:
        doc["checkDisbursement"] = {"checkNumber": check_number}
    stamp(doc, ms, created=True)
    set_payment_status(doc, single_status, ms)
    return doc
