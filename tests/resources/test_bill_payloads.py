"""The BILL client's pure parts: exact JSON, error shapes, field naming, timestamps, signatures.

These need no server: they are the functions every BILL answer and request passes through, checked
on the shapes the reference documents (v3 error arrays, the v2 envelope, v3 and v2 time styles).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from connector_resources.bill import BillInputError, clause, encode_json, parse_time, verify_bill_signature
from connector_resources.bill.errors import problems_in, with_fields
from connector_resources.bill.payloads import bill_body


def test_decimals_are_written_exactly_and_floats_refused():
    body = {"amount": Decimal("245.10"), "big": Decimal("12345678901234567.89"), "n": 3, "name": "Müller"}
    assert encode_json(body) == '{"amount":245.10,"big":12345678901234567.89,"n":3,"name":"Müller"}'.encode()
    assert json.loads(encode_json(body), parse_float=Decimal)["big"] == Decimal("12345678901234567.89")
    with pytest.raises(TypeError, match="float"):
        encode_json({"amount": 1.1})


def test_bill_body_converts_dates_and_string_amounts_and_names_bad_fields():
    bill = {
        "vendorId": "00902GRANITESUPPLY01",
        "dueDate": date(2025, 4, 9),
        "invoice": {"invoiceNumber": "INV-1", "invoiceDate": "2025-03-10"},
        "billLineItems": [{"quantity": 10, "price": "24.50"}],
    }
    body = bill_body(bill)
    assert body["dueDate"] == "2025-04-09" and body["billLineItems"][0]["price"] == Decimal("24.50")
    with pytest.raises(
        BillInputError, match=r"bill 'INV-1' of vendor 00902GRANITESUPPLY01: dueDate is '9/4/25'"
    ):
        bill_body({**bill, "dueDate": "9/4/25"})
    with pytest.raises(
        BillInputError, match=r"billLineItems\[0\] needs an amount, or a quantity and a price"
    ):
        bill_body({**bill, "billLineItems": [{"price": "1.00"}]})


def test_error_shapes_v3_array_single_object_and_v2_envelope():
    v3 = [
        {
            "timestamp": "2025-03-05T12:00:00.000+00:00",
            "code": "BDC_1109",
            "severity": "ERROR",
            "category": "DOWNSTREAM",
            "message": "Session is invalid.  Please log in.",
            "help": "Log in again",
        }
    ]
    [problem] = problems_in(v3)
    assert (problem.code, problem.category) == ("BDC_1109", "DOWNSTREAM")
    assert problem.message == "Session is invalid. Please log in. (Log in again)"
    assert [p.code for p in problems_in({"code": "BDC_1322", "message": "busy"})] == ["BDC_1322"]
    v2 = {
        "response_status": 1,
        "response_message": "Error",
        "response_data": {"error_code": "BDC_1144", "error_message": "Max number of allowed requests"},
    }
    assert [(p.code, p.message) for p in problems_in(v2)] == [("BDC_1144", "Max number of allowed requests")]
    # Records are not errors, even in an array (a bulk create's answer), nor is an empty list.
    assert problems_in([{"id": "00902X", "name": "Acme"}]) == [] and problems_in([]) == []
    assert problems_in({"response_status": 0, "response_data": {}}) == []


def test_fields_are_named_from_the_message_but_never_from_prose():
    sent = {
        "name": "Acme",
        "billLineItems": [{"amount": 1}, {"amount": 2, "classifications": {"departmentId": "x"}}],
    }
    problems = problems_in(
        [
            {
                "code": "BDC_1000",
                "message": "billLineItems[1].classifications.departmentId: x does not exist",
            },
            {"code": "BDC_1000", "message": "email: 'x' is not an e-mail address"},
            {"code": "BDC_1000", "message": "Bulk operation rolled back: 1 of 2 failed"},
            {"code": "BDC_1000", "message": "The vendorId does not exist"},
            {"code": "BDC_1000", "message": "bad value", "field": "dueDate"},
        ]
    )
    assert [p.field for p in with_fields(problems, sent)] == [
        "billLineItems[1].classifications.departmentId",
        "email",
        "",
        "vendorId",
        "dueDate",
    ]
    bulk = problems_in([{"code": "BDC_1000", "message": "[1] vendor 'B': phone: too long"}])
    [named] = with_fields(bulk, [{"name": "A"}, {"name": "B", "phone": "1" * 40}])
    assert (named.index, named.field) == (1, "phone")


def test_both_timestamp_styles_and_filter_clauses():
    expected = datetime(2025, 3, 10, 15, 0, 0, 123000, tzinfo=UTC)
    assert parse_time("2025-03-10T15:00:00.123+00:00") == expected
    assert parse_time("2025-03-10T08:00:00.123-0700") == expected  # v2 style, no colon
    assert parse_time("2025-03-10T15:00:00.123Z") == expected
    assert parse_time("2025-03-10") == datetime(2025, 3, 10, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_time("10/03/2025")
    assert clause("updatedTime", "gte", expected) == 'updatedTime:gte:"2025-03-10T15:00:00.123Z"'
    assert (
        clause("name", "eq", "O'Brien, Walsh & Partners, LLC") == 'name:eq:"O\'Brien, Walsh & Partners, LLC"'
    )
    assert clause("archived", "eq", False) == "archived:eq:false"


def test_signature_is_base64_hmac_sha256_of_the_raw_body():
    body = b'{"metadata":{"eventId":"e1"},"bill":{"amount":245.00}}'
    # The reference's definition, computed independently of the function under test.
    header = base64.b64encode(hmac.new(b"key-1", body, hashlib.sha256).digest()).decode()
    assert verify_bill_signature(body, header, "key-1")
    assert verify_bill_signature(body, f" {header}\n", "key-1")
    assert not verify_bill_signature(body, header, "key-2")
    assert not verify_bill_signature(body.replace(b"245.00", b"245.0"), header, "key-1")
    assert not verify_bill_signature(body, "", "key-1") and not verify_bill_signature(body, header, "")
    assert not verify_bill_signature(body, header.upper(), "key-1")
