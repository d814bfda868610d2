"""BILL: every write refuses an unknown field (top level and nested: address,
payment information, bill lines, record-payment entries, processing options, subscription events), a
read-only response field and a value of the wrong JSON type, whatever else is wrong in the record.

Each body also carries another error (a bad choice or date); the answer must be the documented v3 error
array holding BDC_1002 ("often a misspelt param") for the unknown or read-only field, or the sandbox's
validation code for the wrong type, naming the field's path. The reference is silent on read-only
fields; refusing them is the strict reading (connector_sandbox/bill/validation.py, Checker.unknown).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from connector_sandbox.bill.testing import SandboxHandle

from .test_bill_data import trusted  # noqa: F401 - the MFA-trusted session fixture
from .test_bill_sandbox import assert_error

BILL_SETTINGS = {"scale": 0.05}  # the `bill` fixture's (tests/sandbox/conftest.py)
UNKNOWN, VALIDATION = "BDC_1002", "BDC_1000"
LINE = {"amount": 10.0, "description": "Gloves"}

# (method, path, base body with another error) per written resource; {vendor}/{bill}/{account} are ids.
WRITES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "vendor-create": ("POST", "/v3/vendors", {"name": "Strict Co", "accountType": "WRONG"}),
    "vendor-patch": ("PATCH", "/v3/vendors/{vendor}", {"accountType": "WRONG"}),
    "vendor-bulk": ("POST", "/v3/vendors/bulk", {"name": "Strict Co", "accountType": "WRONG"}),
    "bill-create": (
        "POST",
        "/v3/bills",
        {
            "vendorId": "{vendor}",
            "dueDate": "not-a-date",
            "invoice": {"invoiceNumber": "S-1", "invoiceDate": "2025-01-02"},
            "billLineItems": [LINE],
        },
    ),
    "bill-patch": ("PATCH", "/v3/bills/{bill}", {"dueDate": "not-a-date"}),
    "bill-bulk": (
        "POST",
        "/v3/bills/bulk",
        {
            "vendorId": "{vendor}",
            "dueDate": "not-a-date",
            "invoice": {"invoiceNumber": "S-2", "invoiceDate": "2025-01-02"},
            "billLineItems": [LINE],
        },
    ),
    "record-payment": (
        "POST",
        "/v3/bills/record-payment",
        {
            "vendorId": "{vendor}",
            "processDate": "not-a-date",
            "payments": [{"billId": "{bill}", "amount": 1}],
        },
    ),
    "payment-create": (
        "POST",
        "/v3/payments",
        {"billId": "{bill}", "amount": 1, "processDate": "not-a-date"},
    ),
    "account-create": ("POST", "/v3/classifications/chart-of-accounts", {"name": "Strict", "type": "WRONG"}),
    "account-patch": ("PATCH", "/v3/classifications/chart-of-accounts/{account}", {"type": "WRONG"}),
    "subscription-create": (
        "POST",
        "/connect-events/v3/subscriptions",
        {
            "name": "Strict",
            "notificationUrl": "ftp://nowhere",
            "events": [{"type": "bill.updated", "version": "1"}],
        },
    ),
}
# Per write: (field added, path the error names, expected code) for each kind of misfit.
MISFITS: dict[str, dict[str, tuple[dict[str, Any], str, str]]] = {
    "vendor": {
        "unknown": ({"vendorCategory": "A"}, "vendorCategory", UNKNOWN),
        "nested-unknown": ({"address": {"line1": "1 Main St", "county": "X"}}, "address.county", UNKNOWN),
        "read-only": ({"networkStatus": "CONNECTED"}, "networkStatus", UNKNOWN),
        "nested-read-only": (
            {"paymentInformation": {"payByType": "ACH"}},
            "paymentInformation.payByType",
            UNKNOWN,
        ),
        "type": ({"email": 42}, "email", VALIDATION),
    },
    "bill": {
        "unknown": ({"vendorCategory": "A"}, "vendorCategory", UNKNOWN),
        "nested-unknown": (
            {"billLineItems": [{**LINE, "colour": "red"}]},
            "billLineItems[0].colour",
            UNKNOWN,
        ),
        "read-only": ({"paymentStatus": "PAID"}, "paymentStatus", UNKNOWN),
        "type": ({"purchaseOrderNumber": ["PO-1"]}, "purchaseOrderNumber", VALIDATION),
    },
    "record-payment": {
        "unknown": ({"vendorCategory": "A"}, "vendorCategory", UNKNOWN),
        "nested-unknown": (
            {"payments": [{"billId": "{bill}", "amount": 1, "colour": "red"}]},
            "payments[0].colour",
            UNKNOWN,
        ),
        "type": ({"toPrintCheck": "yes"}, "toPrintCheck", VALIDATION),
    },
    "payment": {
        "unknown": ({"vendorCategory": "A"}, "vendorCategory", UNKNOWN),
        "nested-unknown": ({"processingOptions": {"colour": "red"}}, "processingOptions.colour", UNKNOWN),
        "read-only": ({"status": "PAID"}, "status", UNKNOWN),
        "type": ({"description": 7}, "description", VALIDATION),
    },
    "account": {
        "unknown": ({"vendorCategory": "A"}, "vendorCategory", UNKNOWN),
        "read-only": ({"archived": True}, "archived", UNKNOWN),
        "type": ({"description": 7}, "description", VALIDATION),
    },
    "subscription": {
        "unknown": ({"vendorCategory": "A"}, "vendorCategory", UNKNOWN),
        "nested-unknown": (
            {"events": [{"type": "bill.updated", "version": "1", "colour": "red"}]},
            "events[0].colour",
            UNKNOWN,
        ),
        "read-only": ({"organizationId": "00801SANDBOXORG00001"}, "organizationId", UNKNOWN),
        "type": ({"status": {"enabled": "yes"}}, "status.enabled", VALIDATION),
    },
}


def _cases() -> Iterator[Any]:
    for name, (method, path, body) in WRITES.items():
        kind = name.rsplit("-", 1)[0] if not name.startswith("record") else "record-payment"
        for misfit, (extra, label, code) in MISFITS[kind].items():
            yield pytest.param(method, path, {**body, **extra}, label, code, id=f"{name}-{misfit}")


def _ids(bill: SandboxHandle, session: str) -> dict[str, str]:
    def first(path: str, **params: str) -> str:
        response = requests.get(
            f"{bill.base}{path}", headers=bill.headers(session), params=params, timeout=15
        )
        assert response.status_code == 200, response.text
        return response.json()["results"][0]["id"]

    return {
        "vendor": first("/v3/vendors", filters="archived:eq:false"),
        "bill": first("/v3/bills", filters="archived:eq:false"),
        "account": first("/v3/classifications/chart-of-accounts", filters="archived:eq:false"),
    }


def _filled(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids) if value.startswith("{") else value
    if isinstance(value, dict):
        return {key: _filled(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [_filled(item, ids) for item in value]
    return value


@pytest.mark.parametrize(("method", "path", "body", "label", "code"), list(_cases()))
def test_misfit_field_is_refused_whatever_else_is_wrong(
    bill: SandboxHandle,
    trusted: str,  # noqa: F811 - the fixture imported above
    method: str,
    path: str,
    body: dict[str, Any],
    label: str,
    code: str,  # noqa: F811
    contract_breaches,  # type: ignore[no-untyped-def]  # every case is a known-bad request
) -> None:
    session = trusted
    ids = _ids(bill, session)
    payload: Any = _filled(body, ids)
    if path.endswith("/bulk"):
        payload = [payload]
    headers = {**bill.headers(session), "X-Idempotent-Key": str(uuid.uuid4())}
    url = (bill.root if path.startswith("/connect-events") else bill.base) + path.format(**ids)
    response = requests.request(method, url, headers=headers, json=payload, timeout=15)
    assert response.status_code == 400, response.text
    named = [entry for entry in response.json() if label in entry["message"]]
    assert named, response.json()
    assert_error(response, 400, code)
    assert code in {entry["code"] for entry in named}, named
    if code == UNKNOWN:  # unknown and read-only fields lead the array, whatever else is wrong
        messages = [entry["message"] for entry in response.json() if entry["code"] != "BDC_1246"]
        assert label in messages[0], messages
