"""BILL v3 sandbox resources over loopback HTTP: vendors, bills, payments, record-payment, chart of
accounts and departments; list filters, sorting, paging caps and tokens, validation errors, uniqueness
rules, and the seeded data's promises.

Expected results are never hard-coded: filters are checked against a full unfiltered walk of the same
list filtered in Python (an independent oracle), and writes against the operator's stored records.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
import requests

from connector_sandbox.bill import BillSandboxSettings
from connector_sandbox.bill.testing import SandboxHandle, running

from .bill_calls import call, ok, walk

pytestmark = pytest.mark.timeout(120)

BILL_SETTINGS = {"scale": 0.3}  # the `bill` fixture's (tests/sandbox/conftest.py)
ORG_2 = "00801SANDBOXORG00002"
ID = re.compile(r"^[0-9a-z]{3}02[0-9A-Za-z]{15}$")


@pytest.fixture(autouse=True)
def _simulator_rules_behind_the_contract(behind_the_contract: Any) -> None:
    """These tests hold the simulator's own rules, which BILL's contract (``contract.py``, checked first)
    would otherwise answer for: bad requests on purpose, and filters, sorts and paths the simulator serves
    beyond what BILL publishes. So the contract only records requests here; the simulator's answers must
    still be ones BILL gives."""


@pytest.fixture
def session(bill: SandboxHandle) -> str:
    return bill.login()


@pytest.fixture
def trusted(bill: SandboxHandle) -> str:
    """A session made MFA-trusted through the challenge (the sandbox's SMS code is a setting)."""
    session = bill.login()
    headers = bill.headers(session)
    challenge = requests.post(f"{bill.base}/v3/mfa/challenge", headers=headers, json={}, timeout=15).json()
    body = {"challengeId": challenge["challengeId"], "token": bill.initial.mfa_code}
    assert requests.post(f"{bill.base}/v3/mfa/challenge/validate", headers=headers, json=body, timeout=15).ok
    return session


def problems(response: requests.Response, status: int = 400) -> list[dict[str, Any]]:
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body, list) and body
    return body


def messages(response: requests.Response, status: int = 400) -> str:
    return "\n".join(f"{entry['code']} {entry['message']}" for entry in problems(response, status))


def payable_vendor(bill: SandboxHandle, session: str) -> dict[str, Any]:
    vendors = walk(bill, session, "/v3/vendors", filters="archived:eq:false,billCurrency:eq:USD")
    return next(vendor for vendor in vendors if vendor["paymentInformation"]["payByType"] in ("ACH", "CHECK"))


def classification_ids(bill: SandboxHandle, session: str, kind: str, *, archived: bool = False) -> list[str]:
    rows = walk(bill, session, f"/v3/classifications/{kind}", filters=f"archived:eq:{str(archived).lower()}")
    return [row["id"] for row in rows]


def new_bill_body(
    bill: SandboxHandle, session: str, vendor_id: str, number: str, **extra: Any
) -> dict[str, Any]:
    accounts = classification_ids(bill, session, "chart-of-accounts")
    departments = classification_ids(bill, session, "departments")
    return {
        "vendorId": vendor_id,
        "dueDate": (dt.date.today() + dt.timedelta(days=30)).isoformat(),
        "invoice": {"invoiceNumber": number, "invoiceDate": dt.date.today().isoformat()},
        "billLineItems": [
            {
                "description": "Safety gloves (box)",
                "quantity": 10,
                "price": 24.5,
                "classifications": {"chartOfAccountId": accounts[-1], "departmentId": departments[0]},
            },
            {
                "amount": 100.25,
                "classifications": {"chartOfAccountId": accounts[-2], "departmentId": departments[1]},
            },
        ],
        **extra,
    }


# -- paging, filters, sorting -----------------------------------------------------------------------


def test_default_page_size_and_the_cap_of_100(bill: SandboxHandle, session: str) -> None:
    assert len(ok(call(bill, session, "GET", "/v3/vendors"))["results"]) == 20
    assert len(ok(call(bill, session, "GET", "/v3/vendors", params={"max": 100}))["results"]) == 100
    for size in (101, 0, "ten"):
        assert "max" in messages(call(bill, session, "GET", "/v3/vendors", params={"max": size}))
    bill.settings(variants={"page_size_over_cap": "clamp"})
    assert len(ok(call(bill, session, "GET", "/v3/vendors", params={"max": 500}))["results"]) == 100


def test_pages_cover_every_row_once_and_prev_page_goes_back(bill: SandboxHandle, session: str) -> None:
    first = ok(call(bill, session, "GET", "/v3/vendors", params={"max": 7}))
    assert "prevPage" not in first
    second = ok(call(bill, session, "GET", "/v3/vendors", params={"max": 7, "page": first["nextPage"]}))
    back = ok(call(bill, session, "GET", "/v3/vendors", params={"max": 7, "page": second["prevPage"]}))
    assert [row["id"] for row in back["results"]] == [row["id"] for row in first["results"]]
    ids = [row["id"] for row in walk(bill, session, "/v3/vendors", max=7)]
    assert len(ids) == len(set(ids))
    assert set(ids) == {row["id"] for row in walk(bill, session, "/v3/vendors", max=100)}


def test_prev_page_variant(bill: SandboxHandle, session: str) -> None:
    bill.settings(variants={"prev_page": False})
    first = ok(call(bill, session, "GET", "/v3/vendors", params={"max": 5}))
    second = ok(call(bill, session, "GET", "/v3/vendors", params={"max": 5, "page": first["nextPage"]}))
    assert "prevPage" not in second and "nextPage" in second


def test_a_page_token_belongs_to_its_query(bill: SandboxHandle, session: str) -> None:
    token = ok(call(bill, session, "GET", "/v3/bills", params={"max": 5}))["nextPage"]
    other = call(
        bill, session, "GET", "/v3/bills", params={"max": 5, "page": token, "filters": "archived:eq:false"}
    )
    assert "different query" in messages(other)
    assert "page" in messages(call(bill, session, "GET", "/v3/bills", params={"page": "garbage!"}))


def test_vendor_filters_match_an_independent_python_filter(bill: SandboxHandle, session: str) -> None:
    everything = walk(bill, session, "/v3/vendors")
    tricky = next(vendor for vendor in everything if vendor["name"] == "O'Brien, Walsh & Partners, LLC")
    cases = {
        f'name:eq:"{tricky["name"].upper()}"': lambda v: v["name"].casefold() == tricky["name"].casefold(),
        'name:sw:"müller"': lambda v: v["name"].casefold().startswith("müller"),
        "name:sw:北京": lambda v: v["name"].startswith("北京"),
        'accountType:in:"PERSON,NONE"': lambda v: v["accountType"] in ("PERSON", "NONE"),
        "archived:eq:true": lambda v: v["archived"],
        "billCurrency:ne:USD": lambda v: v["billCurrency"] != "USD",
    }
    for expression, keep in cases.items():
        found = walk(bill, session, "/v3/vendors", filters=expression)
        assert {v["id"] for v in found} == {v["id"] for v in everything if keep(v)}, expression
        assert found, expression
    unquoted = call(bill, session, "GET", "/v3/vendors", params={"filters": f"name:eq:{tricky['name']}"})
    assert "quote" in messages(unquoted)
    assert "operator 'gt'" in messages(
        call(bill, session, "GET", "/v3/vendors", params={"filters": "name:gt:A"})
    )
    assert "'taxId'" in messages(call(bill, session, "GET", "/v3/vendors", params={"filters": "taxId:eq:1"}))


def test_time_filters_take_every_documented_pattern(bill: SandboxHandle, session: str) -> None:
    everything = walk(bill, session, "/v3/bills")
    times = sorted(row["updatedTime"] for row in everything)
    middle = times[len(times) // 2]
    expected = {row["id"] for row in everything if row["updatedTime"] >= middle}
    moment = dt.datetime.fromisoformat(middle)
    spellings = [
        f'"{middle}"',
        '"' + moment.strftime("%Y-%m-%dT%H:%M:%S.") + f'{moment.microsecond // 1000:03d}Z"',
        '"'
        + (moment.astimezone(dt.timezone(dt.timedelta(hours=2)))).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
        + '+0200"',
    ]
    for spelling in spellings:
        found = walk(bill, session, "/v3/bills", filters=f"updatedTime:gte:{spelling}")
        assert {row["id"] for row in found} == expected, spelling
    day = middle[:10]
    found = walk(bill, session, "/v3/bills", filters=f"createdTime:lt:{day}")
    assert {row["id"] for row in found} == {row["id"] for row in everything if row["createdTime"] < day}
    unencoded_plus = f"updatedTime:gte:{middle.replace('+', ' ')}"
    assert "%2B" in messages(call(bill, session, "GET", "/v3/bills", params={"filters": unencoded_plus}))


def test_bill_filters_match_an_independent_python_filter(bill: SandboxHandle, session: str) -> None:
    everything = walk(bill, session, "/v3/bills")
    sample = next(row for row in everything if len(row["billLineItems"]) > 1)
    account = sample["billLineItems"][-1]["classifications"]["chartOfAccountId"]
    department = sample["billLineItems"][0]["classifications"]["departmentId"]

    def lines(row: dict[str, Any], key: str) -> set[str]:
        found = {line.get("classifications", {}).get(key) for line in row["billLineItems"]}
        return found | {row.get("classifications", {}).get(key)}

    cases = {
        'paymentStatus:in:"UNPAID,PARTIAL"': lambda r: r["paymentStatus"] in ("UNPAID", "PARTIAL"),
        f"vendorId:eq:{sample['vendorId']}": lambda r: r["vendorId"] == sample["vendorId"],
        f"dueDate:lte:{sample['dueDate']}": lambda r: r["dueDate"] <= sample["dueDate"],
        f"classifications.chartOfAccountId:eq:{account}": lambda r: account in lines(r, "chartOfAccountId"),
        f"classifications.departmentId:ne:{department}": lambda r: department not in lines(r, "departmentId"),
        f'invoice.invoiceNumber:eq:"{sample["invoice"]["invoiceNumber"]}"': lambda r: (
            r["invoice"]["invoiceNumber"] == sample["invoice"]["invoiceNumber"]
        ),
        f"archived:eq:false,paymentStatus:nin:PAID,vendorId:ne:{sample['vendorId']}": lambda r: (
            not r["archived"] and r["paymentStatus"] != "PAID" and r["vendorId"] != sample["vendorId"]
        ),
    }
    for expression, keep in cases.items():
        found = walk(bill, session, "/v3/bills", filters=expression)
        assert {r["id"] for r in found} == {r["id"] for r in everything if keep(r)}, expression
        assert found, expression
    bad_enum = call(bill, session, "GET", "/v3/bills", params={"filters": "paymentStatus:eq:OPEN"})
    assert "UNPAID" in messages(bad_enum)
    bill.settings(variants={"bill_invoice_number_filter": False})
    off = call(bill, session, "GET", "/v3/bills", params={"filters": "invoice.invoiceNumber:eq:X"})
    assert "invoice.invoiceNumber" in messages(off)


def test_sorting_by_documented_fields(bill: SandboxHandle, session: str) -> None:
    rows = walk(bill, session, "/v3/bills", sort="dueDate:desc,amount:asc")
    keys = [(row["dueDate"], -Decimal(str(row["amount"]))) for row in rows]
    assert keys == sorted(keys, reverse=True)
    names = [row["name"].casefold() for row in walk(bill, session, "/v3/vendors", sort="name:asc")]
    assert names == sorted(names)
    assert "sortable" in messages(call(bill, session, "GET", "/v3/bills", params={"sort": "vendorName:asc"}))
    assert "asc or desc" in messages(call(bill, session, "GET", "/v3/bills", params={"sort": "dueDate:up"}))


def test_unknown_query_parameters_are_misspelt_params(bill: SandboxHandle, session: str) -> None:
    response = call(bill, session, "GET", "/v3/bills", params={"filter": "archived:eq:false"})
    assert problems(response)[0]["code"] == "BDC_1002"


@pytest.mark.parametrize("paging", ["offset", "keyset"])
def test_paging_while_data_changes_offset_shifts_keyset_does_not(
    bill: SandboxHandle, session: str, paging: str
) -> None:
    bill.settings(variants={"paging": paging})
    params = {"max": 5, "sort": "updatedTime:asc", "filters": "archived:eq:false"}
    first = ok(call(bill, session, "GET", "/v3/vendors", params=params))
    before = [row["id"] for row in walk(bill, session, "/v3/vendors", **params)]
    moved = first["results"][0]
    ok(call(bill, session, "PATCH", f"/v3/vendors/{moved['id']}", json={"phone": "5035550000"}))
    second = ok(call(bill, session, "GET", "/v3/vendors", params={**params, "page": first["nextPage"]}))
    seen = [row["id"] for row in first["results"] + second["results"]]
    if paging == "offset":
        assert before[5] not in seen  # the moved row pulled an unchanged one back onto page 1
    else:
        assert seen[5:] == before[5:10]


def test_many_records_share_one_updated_time_and_paging_through_the_tie_is_exact(
    bill: SandboxHandle, session: str
) -> None:
    rows = walk(bill, session, "/v3/bills")
    stamp, count = Counter(row["updatedTime"] for row in rows).most_common(1)[0]
    assert count >= len(rows) // 10
    tied = walk(
        bill, session, "/v3/bills", max=3, sort="updatedTime:asc", filters=f'updatedTime:eq:"{stamp}"'
    )
    assert len(tied) == len({row["id"] for row in tied}) == count


# -- vendors ----------------------------------------------------------------------------------------


def test_vendor_create_answers_201_with_the_documented_shape(bill: SandboxHandle, session: str) -> None:
    body = {
        "name": "Société Nouvelle d'Échafaudage",
        "accountType": "BUSINESS",
        "email": "ap@sne.example",
        "billCurrency": "EUR",
        "address": {
            "line1": "12 Rue de la Paix",
            "city": "Paris",
            "zipOrPostalCode": "75002",
            "country": "FR",
        },
        "additionalInfo": {"taxId": "FR12345678901", "taxIdType": "VAT"},
    }
    created = ok(call(bill, session, "POST", "/v3/vendors", json=body), 201)
    assert ID.match(created["id"]) and created["id"].startswith("009")
    assert created["name"] == body["name"] and created["archived"] is False
    assert created["networkStatus"] == "NOT_CONNECTED"
    assert created["paymentInformation"] == {
        "payeeName": body["name"],
        "payByType": "CHECK",
        "virtualCard": {"status": "NOT_ENROLLED"},
    }
    assert created["createdTime"] == created["updatedTime"]
    stored = bill.record("vendors", created["id"])
    assert stored["address"] == body["address"]
    assert ok(call(bill, session, "GET", f"/v3/vendors/{created['id']}")) == created


def test_vendor_validation_names_the_record_and_every_field(bill: SandboxHandle, session: str) -> None:
    body = {
        "name": "N" * 101,
        "email": "not-an-email",
        "accountType": "COMPANY",
        "nmae": "typo",
        "address": {"country": "France"},
    }
    text = messages(call(bill, session, "POST", "/v3/vendors", json=body))
    for expected in (
        "name: is 101 characters long",
        "email: 'not-an-email' is not an e-mail address",
        "accountType: 'COMPANY'",
        "BDC_1002 vendor 'NNN",
        "nmae: unknown field",
        "address.country: 'France' is not an ISO-2 code",
    ):
        assert expected in text
    assert "vendor: name: is required" in messages(
        call(bill, session, "POST", "/v3/vendors", json={"email": "a@b.co"})
    )
    bill.settings(variants={"reject_unknown_fields": False})
    ok(call(bill, session, "POST", "/v3/vendors", json={"name": "Lenient Ltd", "nmae": "ignored"}), 201)


def test_a_repeated_vendor_create_makes_a_second_vendor_unless_the_variant_refuses(
    bill: SandboxHandle, session: str
) -> None:
    body = {"name": "Twice Created Supply"}
    first = ok(call(bill, session, "POST", "/v3/vendors", json=body), 201)
    second = ok(call(bill, session, "POST", "/v3/vendors", json=body), 201)
    assert first["id"] != second["id"]  # no idempotency keys in BILL
    bill.settings(variants={"reject_duplicate_vendor_names": True})
    refused = call(bill, session, "POST", "/v3/vendors", json={"name": "twice created SUPPLY"})
    assert problems(refused)[0]["code"] == "BDC_1005"


def test_vendor_bulk_is_all_or_nothing_and_capped_at_20(bill: SandboxHandle, session: str) -> None:
    before = bill.state()["row_counts"]["vendors"]
    batch = [{"name": f"Bulk Vendor {n}"} for n in range(3)] + [{"name": ""}]
    body = problems(call(bill, session, "POST", "/v3/vendors/bulk", json=batch))
    assert body[0]["code"] == "BDC_1246" and "1 of 4" in body[0]["message"]
    assert any(entry["message"].startswith("[3] vendor: name") for entry in body)
    assert bill.state()["row_counts"]["vendors"] == before
    too_many = call(bill, session, "POST", "/v3/vendors/bulk", json=[{"name": f"V{n}"} for n in range(21)])
    assert problems(too_many)[0]["code"] == "BDC_1006"
    created = ok(
        call(bill, session, "POST", "/v3/vendors/bulk", json=[{"name": f"V{n}"} for n in range(20)]), 201
    )["vendors"]  # the collection's 'Create multiple vendors' answer
    assert len({vendor["id"] for vendor in created}) == 20
    assert bill.state()["row_counts"]["vendors"] == before + 20


def test_vendor_patch_merges_put_replaces_archive_is_idempotent(bill: SandboxHandle, session: str) -> None:
    created = ok(
        call(
            bill,
            session,
            "POST",
            "/v3/vendors",
            json={"name": "Patchable", "phone": "5035550199", "email": "ap@patch.example"},
        ),
        201,
    )
    path = f"/v3/vendors/{created['id']}"
    patched = ok(call(bill, session, "PATCH", path, json={"phone": "5035550111"}))
    assert patched["phone"] == "5035550111" and patched["email"] == "ap@patch.example"
    assert patched["updatedTime"] >= created["updatedTime"]
    replaced = ok(call(bill, session, "PUT", path, json={"name": "Patchable Inc."}))
    assert "email" not in replaced and replaced["name"] == "Patchable Inc."
    archived = ok(call(bill, session, "POST", f"{path}/archive"))
    again = ok(call(bill, session, "POST", f"{path}/archive"))
    assert (
        archived["archived"] is again["archived"] is True and again["updatedTime"] == archived["updatedTime"]
    )
    assert ok(call(bill, session, "POST", f"{path}/restore"))["archived"] is False
    bill.settings(variants={"vendor_archive_routes": False})
    assert problems(call(bill, session, "POST", f"{path}/archive"), 404)[0]["code"] == "BDC_1121"
    assert (
        problems(call(bill, session, "GET", "/v3/vendors/00902NOSUCHVENDOR000"), 404)[0]["code"] == "BDC_1205"
    )


def test_vendor_bank_details_need_an_mfa_trusted_session(
    bill: SandboxHandle, session: str, trusted: str
) -> None:
    body = {
        "name": "Direct Deposit Co",
        "paymentInformation": {
            "bankAccount": {
                "nameOnAccount": "Direct Deposit Co",
                "accountNumber": "000123456789",
                "routingNumber": "121000358",
            }
        },
    }
    refused = call(bill, session, "POST", "/v3/vendors", json=body)
    assert problems(refused, 403)[0]["code"] == "BDC_1003"
    created = ok(call(bill, trusted, "POST", "/v3/vendors", json=body), 201)
    assert created["paymentInformation"]["payByType"] == "ACH"
    assert "000123456789" not in str(created)  # bank details are never echoed


# -- bills ------------------------------------------------------------------------------------------


def test_bill_create_computes_amounts_and_keeps_line_classifications(
    bill: SandboxHandle, session: str
) -> None:
    vendor = payable_vendor(bill, session)
    body = new_bill_body(bill, session, vendor["id"], "INV-TEST-0001", description="March supplies")
    created = ok(call(bill, session, "POST", "/v3/bills", json=body), 201)
    assert created["id"].startswith("00n") and ID.match(created["id"])
    assert created["amount"] == 345.25 == created["dueAmount"]  # 10 x 24.50 + 100.25
    assert created["paymentStatus"] == "UNPAID" and created["approvalStatus"] == "UNASSIGNED"
    assert created["vendorName"] == vendor["name"]
    lines = created["billLineItems"]
    assert [line["amount"] for line in lines] == [245.0, 100.25]
    assert all(ID.match(line["id"]) for line in lines)
    assert lines[0]["classifications"] == body["billLineItems"][0]["classifications"]
    department = body["billLineItems"][1]["classifications"]["departmentId"]
    found = walk(
        bill,
        session,
        "/v3/bills",
        filters=f"classifications.departmentId:eq:{department},vendorId:eq:{vendor['id']}",
    )
    assert created["id"] in {row["id"] for row in found}


def test_bill_validation_lists_every_problem_with_record_and_field(bill: SandboxHandle, session: str) -> None:
    vendor = payable_vendor(bill, session)
    archived_account = classification_ids(bill, session, "chart-of-accounts", archived=True)[0]
    body = new_bill_body(bill, session, vendor["id"], "INV-BAD-1", dueDate="04/09/2025")
    body["billLineItems"] += [
        {"quantity": 2},
        {"amount": 10, "classifications": {"departmentId": "0de02DOESNOTEXIST000"}},
        {"amount": 5.555},
        {"amount": 7, "classifications": {"chartOfAccountId": archived_account}},
    ]
    text = messages(call(bill, session, "POST", "/v3/bills", json=body))
    for expected in (
        "bill 'INV-BAD-1': dueDate: '04/09/2025' is not a date in yyyy-MM-dd format",
        "billLineItems[2].price: quantity and price go together",
        "billLineItems[3].classifications.departmentId: 0de02DOESNOTEXIST000 does not exist",
        "billLineItems[4].amount: 5.555 has more than two decimals",
        f"BDC_1004 bill 'INV-BAD-1': billLineItems[5].classifications.chartOfAccountId: {archived_account}",
    ):
        assert expected in text
    missing = messages(call(bill, session, "POST", "/v3/bills", json={}))
    for field in (
        "vendorId: is required",
        "dueDate: is required",
        "invoice: is required",
        "billLineItems: is required",
    ):
        assert field in missing


def test_a_repeated_bill_create_makes_a_duplicate_unless_the_variant_refuses(
    bill: SandboxHandle, session: str
) -> None:
    vendor = payable_vendor(bill, session)
    body = new_bill_body(bill, session, vendor["id"], "INV-RETRY-7")
    first = ok(call(bill, session, "POST", "/v3/bills", json=body), 201)
    second = ok(call(bill, session, "POST", "/v3/bills", json=body), 201)
    assert first["id"] != second["id"]
    same = walk(
        bill,
        session,
        "/v3/bills",
        filters=f'vendorId:eq:{vendor["id"]},invoice.invoiceNumber:eq:"INV-RETRY-7"',
    )
    assert len(same) == 2  # what quirk 8 tells clients to search for before re-creating
    bill.settings(variants={"reject_duplicate_invoice_numbers": True})
    assert problems(call(bill, session, "POST", "/v3/bills", json=body))[0]["code"] == "BDC_1005"


def test_bill_bulk_is_all_or_nothing(bill: SandboxHandle, session: str) -> None:
    vendor = payable_vendor(bill, session)
    good = [new_bill_body(bill, session, vendor["id"], f"INV-BULK-{n}") for n in range(3)]
    bad = {**good[0], "vendorId": "00902NOTAVENDOR00000"}
    before = bill.state()["row_counts"]["bills"]
    body = problems(call(bill, session, "POST", "/v3/bills/bulk", json=[*good, bad]))
    assert body[0]["code"] == "BDC_1246"
    assert any(entry["message"].startswith("[3] bill 'INV-BULK-0': vendorId") for entry in body)
    assert bill.state()["row_counts"]["bills"] == before
    assert len(ok(call(bill, session, "POST", "/v3/bills/bulk", json=good), 201)) == 3


def test_bill_patch_put_archive_restore_and_approvals(bill: SandboxHandle, session: str) -> None:
    vendor = payable_vendor(bill, session)
    created = ok(
        call(bill, session, "POST", "/v3/bills", json=new_bill_body(bill, session, vendor["id"], "INV-E1")),
        201,
    )
    path = f"/v3/bills/{created['id']}"
    patched = ok(
        call(bill, session, "PATCH", path, json={"description": "Corrected", "purchaseOrderNumber": "PO-9"})
    )
    assert patched["description"] == "Corrected" and patched["billLineItems"] == created["billLineItems"]
    body = new_bill_body(bill, session, vendor["id"], "INV-E1")
    body["billLineItems"] = [{"id": created["billLineItems"][0]["id"], "amount": 50}]
    replaced = ok(call(bill, session, "PUT", path, json=body))
    assert replaced["amount"] == 50 and "purchaseOrderNumber" not in replaced
    assert replaced["billLineItems"][0]["id"] == created["billLineItems"][0]["id"]
    assert ok(call(bill, session, "POST", f"{path}/archive"))["archived"] is True
    assert ok(call(bill, session, "POST", f"{path}/archive"))["archived"] is True  # documented no-op
    assert problems(call(bill, session, "PATCH", path, json={"description": "x"}))[0]["code"] == "BDC_1004"
    assert ok(call(bill, session, "POST", f"{path}/restore"))["archived"] is False
    assigned = walk(bill, session, "/v3/bills", filters="archived:eq:false")
    approved = next(row for row in assigned if row["approvalStatus"] == "APPROVED")
    with_approvals = ok(
        call(bill, session, "GET", f"/v3/bills/{approved['id']}", params={"billApprovals": "true"})
    )
    assert with_approvals["approvers"] and all(a["status"] == "APPROVED" for a in with_approvals["approvers"])
    assert "approvers" not in ok(call(bill, session, "GET", f"/v3/bills/{approved['id']}"))


def test_due_amount_is_a_variant(bill: SandboxHandle, session: str) -> None:
    bill.settings(variants={"bill_due_amount": False})
    rows = ok(call(bill, session, "GET", "/v3/bills"))["results"]
    assert rows and all("dueAmount" not in row and "amount" in row for row in rows)


# -- payments ---------------------------------------------------------------------------------------


def _fresh_bill(bill: SandboxHandle, session: str, number: str) -> dict[str, Any]:
    vendor = payable_vendor(bill, session)
    return ok(
        call(bill, session, "POST", "/v3/bills", json=new_bill_body(bill, session, vendor["id"], number)), 201
    )


def _bank_account(bill: SandboxHandle, kind: str = "BANK_ACCOUNT") -> dict[str, str]:
    accounts = bill.state()["funding_accounts"]["00801SANDBOXORG00001"]
    return {"type": kind, "id": next(account["id"] for account in accounts if account["type"] == kind)}


def test_creating_a_payment_needs_an_mfa_trusted_session(bill: SandboxHandle, session: str) -> None:
    target = _fresh_bill(bill, session, "INV-PAY-0")
    body = {"billId": target["id"], "amount": 10, "fundingAccount": _bank_account(bill)}
    assert problems(call(bill, session, "POST", "/v3/payments", json=body), 403)[0]["code"] == "BDC_1003"


def test_payment_schedules_reserves_and_cancels(bill: SandboxHandle, trusted: str) -> None:
    target = _fresh_bill(bill, trusted, "INV-PAY-1")
    funding = _bank_account(bill)

    def pay(**body: Any) -> requests.Response:
        return call(bill, trusted, "POST", "/v3/payments", json={"billId": target["id"], **body})

    payment = ok(pay(amount=300, fundingAccount=funding), 201)
    assert payment["id"].startswith("stp") and payment["singleStatus"] == payment["status"] == "SCHEDULED"
    assert payment["billPayments"][0]["billId"] == target["id"] and payment["billPayments"][0][
        "id"
    ].startswith("blp")
    assert payment["processDate"] > dt.date.today().isoformat()  # next business day by default
    assert ok(call(bill, trusted, "GET", f"/v3/bills/{target['id']}"))["paymentStatus"] == "SCHEDULED"
    overpay = pay(amount=45.26, fundingAccount=funding)
    assert problems(overpay)[0]["code"] == "BDC_1159"
    text = messages(pay(amount=-5, processDate="2020-01-01", fundingAccount=_bank_account(bill, "WALLET")))
    assert "amount: must be greater than zero" in text and "processDate: 2020-01-01 is in the past" in text
    wallet = pay(amount=1, fundingAccount=_bank_account(bill, "WALLET"))
    assert "processDate: is required when funding from WALLET" in messages(wallet)
    card = pay(amount=1, fundingAccount=_bank_account(bill, "CARD_ACCOUNT"))
    assert "cardFundingPurpose: is required" in messages(card)
    canceled = ok(call(bill, trusted, "POST", f"/v3/payments/{payment['id']}/cancel"))
    assert canceled["singleStatus"] == "CANCELED" and canceled["cancelRequestSubmitted"] is True
    assert ok(call(bill, trusted, "GET", f"/v3/bills/{target['id']}"))["paymentStatus"] == "UNPAID"
    assert (
        problems(call(bill, trusted, "POST", f"/v3/payments/{payment['id']}/cancel"))[0]["code"] == "BDC_1004"
    )
    listed = walk(bill, trusted, "/v3/payments", filters=f"billId:eq:{target['id']}")
    assert [row["id"] for row in listed] == [payment["id"]]


def test_scheduled_payments_clear_through_business_activity() -> None:
    with running(BillSandboxSettings(scale=0.05)) as small:
        session = small.login()
        scheduled = walk(small, session, "/v3/payments", filters="singleStatus:eq:SCHEDULED")
        target = scheduled[0]["billId"]
        assert ok(call(small, session, "GET", f"/v3/bills/{target}"))["paymentStatus"] == "SCHEDULED"
        summary = small.activity(cleared_payments=len(scheduled), new_bills=2, updated_vendors=1)
        assert sorted(summary["changed"]["payments.updated"]) == sorted(row["id"] for row in scheduled)
        after = ok(call(small, session, "GET", f"/v3/bills/{target}"))
        assert after["paymentStatus"] == "PAID" and after["dueAmount"] == 0
        assert after["updatedTime"] == summary["updatedTime"]
        stamped = walk(small, session, "/v3/bills", filters=f'updatedTime:eq:"{summary["updatedTime"]}"')
        assert len(stamped) >= 2 + 1  # the new bills and the paid one share the activity's timestamp


def test_payment_with_create_bill_makes_the_bill_as_well(bill: SandboxHandle, trusted: str) -> None:
    vendor = payable_vendor(bill, trusted)
    body = {
        "vendorId": vendor["id"],
        "amount": 80,
        "fundingAccount": _bank_account(bill),
        "processingOptions": {"createBill": True},
        "description": "Deposit for crane",
    }
    payment = ok(call(bill, trusted, "POST", "/v3/payments", json=body), 201)
    made = ok(call(bill, trusted, "GET", f"/v3/bills/{payment['billId']}"))
    assert made["vendorId"] == vendor["id"] and made["amount"] == 80 and made["paymentStatus"] == "SCHEDULED"
    text = messages(
        call(
            bill,
            trusted,
            "POST",
            "/v3/payments",
            json={**body, "billId": made["id"], "description": "x" * 71},
        )
    )
    assert "billId: must be omitted" in text and "description: is 71 characters long; at most 70" in text


def test_payment_bulk_is_all_or_nothing(bill: SandboxHandle, trusted: str) -> None:
    target = _fresh_bill(bill, trusted, "INV-PAY-3")
    funding = _bank_account(bill)
    halves = [{"billId": target["id"], "amount": 172.5, "fundingAccount": funding}] * 2
    over = [*halves, {"billId": target["id"], "amount": 0.26, "fundingAccount": funding}]
    body = problems(call(bill, trusted, "POST", "/v3/payments/bulk", json=over))
    assert body[0]["code"] == "BDC_1246" and any(entry["code"] == "BDC_1159" for entry in body)
    assert not walk(bill, trusted, "/v3/payments", filters=f"billId:eq:{target['id']}")
    assert len(ok(call(bill, trusted, "POST", "/v3/payments/bulk", json=halves), 201)) == 2


def test_record_payment_pays_bills_outside_bill_all_or_nothing_and_can_be_voided(
    bill: SandboxHandle, session: str
) -> None:
    first, second = _fresh_bill(bill, session, "INV-REC-1"), _fresh_bill(bill, session, "INV-REC-2")
    vendor_id = first["vendorId"]
    today = dt.date.today().isoformat()
    body = {
        "vendorId": vendor_id,
        "processDate": today,
        "toPrintCheck": False,
        "payments": [{"billId": first["id"], "amount": 345.25}, {"billId": second["id"], "amount": 45.25}],
    }
    overpaid = {**body, "payments": [*body["payments"], {"billId": second["id"], "amount": 300.01}]}
    assert "BDC_1159" in messages(call(bill, session, "POST", "/v3/bills/record-payment", json=overpaid))
    assert ok(call(bill, session, "GET", f"/v3/bills/{second['id']}"))["paymentStatus"] == "UNPAID"
    recorded = ok(call(bill, session, "POST", "/v3/bills/record-payment", json=body))
    assert (
        recorded["onlinePayment"] is False
        and recorded["singleStatus"] == "CLEARED"
        and recorded["amount"] == 390.5
    )
    assert ok(call(bill, session, "GET", f"/v3/bills/{first['id']}"))["paymentStatus"] == "PAID"
    partial = ok(call(bill, session, "GET", f"/v3/bills/{second['id']}"))
    assert partial["paymentStatus"] == "PARTIAL" and partial["dueAmount"] == 300
    voided = ok(
        call(bill, session, "POST", f"/v3/payments/{recorded['id']}/void", json={"voidReason": "Wrong bill"})
    )
    assert voided["singleStatus"] == "VOIDED" and voided["voidInfo"][0]["reason"] == "Wrong bill"
    assert ok(call(bill, session, "GET", f"/v3/bills/{first['id']}"))["paymentStatus"] == "UNPAID"
    wrong_vendor = {**body, "vendorId": payable_vendor_other(bill, session, vendor_id)}
    assert "belongs to vendor" in messages(
        call(bill, session, "POST", "/v3/bills/record-payment", json=wrong_vendor)
    )


def payable_vendor_other(bill: SandboxHandle, session: str, not_this: str) -> str:
    vendors = walk(bill, session, "/v3/vendors", filters=f"archived:eq:false,id:ne:{not_this}", max=5)
    return vendors[0]["id"]


# -- classifications --------------------------------------------------------------------------------


def test_chart_of_accounts_crud_with_unique_account_numbers(bill: SandboxHandle, session: str) -> None:
    base = "/v3/classifications/chart-of-accounts"
    created = ok(
        call(
            bill,
            session,
            "POST",
            base,
            json={"name": "Kranmiete", "accountNumber": "5031", "type": "COST_OF_GOODS_SOLD"},
        ),
        201,
    )
    assert created["id"].startswith("0ca") and created["archived"] is False
    duplicate = call(bill, session, "POST", base, json={"name": "Other", "accountNumber": "5031"})
    assert problems(duplicate)[0]["code"] == "BDC_1005"
    renamed = ok(
        call(bill, session, "PATCH", f"{base}/{created['id']}", json={"name": "Kranmiete (Baustelle)"})
    )
    assert renamed["name"] == "Kranmiete (Baustelle)" and renamed["account"]["number"] == "5031"
    archived = ok(call(bill, session, "POST", f"{base}/bulk/archive", json=[created["id"]]))
    assert archived[0]["archived"] is True
    assert created["id"] in classification_ids(bill, session, "chart-of-accounts", archived=True)
    rollback = call(
        bill, session, "POST", f"{base}/bulk/restore", json=[created["id"], "0ca02NOSUCHACCOUNT00"]
    )
    assert problems(rollback)[0]["code"] == "BDC_1246"
    assert ok(call(bill, session, "GET", f"{base}/{created['id']}"))["archived"] is True
    numbers = [row["account"]["number"] for row in walk(bill, session, base, sort="accountNumber:asc")]
    assert numbers == sorted(numbers)


def test_departments_and_other_classifications_follow_the_same_pattern(
    bill: SandboxHandle, session: str
) -> None:
    base = "/v3/classifications/departments"
    created = ok(
        call(bill, session, "POST", f"{base}/bulk", json=[{"name": "Logistik"}, {"name": "Qualité"}]), 201
    )
    assert all(row["id"].startswith("0de") for row in created)
    ok(call(bill, session, "POST", f"{base}/{created[0]['id']}/archive"))
    vendor = payable_vendor(bill, session)
    body = new_bill_body(bill, session, vendor["id"], "INV-DEPT-1")
    body["billLineItems"][0]["classifications"]["departmentId"] = created[0]["id"]
    assert "is archived" in messages(call(bill, session, "POST", "/v3/bills", json=body))
    for kind in ("locations", "accounting-classes", "jobs", "items", "employees"):
        assert ok(call(bill, session, "GET", f"/v3/classifications/{kind}"))["results"], kind
    assert "unknown field" in messages(
        call(bill, session, "POST", base, json={"name": "X", "accountNumber": "1"})
    )


# -- seeded data ------------------------------------------------------------------------------------


def test_seeded_data_is_realistic_and_cross_consistent() -> None:
    with running(BillSandboxSettings(scale=0.05)) as fresh:
        _check_seeded_data(fresh, fresh.login())


def _check_seeded_data(bill: SandboxHandle, session: str) -> None:
    vendors = {row["id"]: row for row in walk(bill, session, "/v3/vendors")}
    names = [vendor["name"] for vendor in vendors.values()]
    for name in ("Müller Baustoffe GmbH", "Société Générale d'Équipement", "北京建材"):
        assert name in names
    assert sum(len(name) == 100 for name in names) >= 2
    assert any(len(name) == 100 and not name.isascii() for name in names)
    accounts = {row["id"] for row in walk(bill, session, "/v3/classifications/chart-of-accounts")}
    departments = {row["id"] for row in walk(bill, session, "/v3/classifications/departments")}
    bills = walk(bill, session, "/v3/bills")
    cleared: Counter[str] = Counter()
    for payment in walk(bill, session, "/v3/payments", filters="singleStatus:eq:CLEARED"):
        for part in payment["billPayments"]:
            cleared[part["billId"]] += round(part["amount"] * 100)
    for row in bills:
        assert row["vendorId"] in vendors
        total = sum(round(line["amount"] * 100) for line in row["billLineItems"])
        assert total == round(row["amount"] * 100)
        assert row["dueAmount"] == (total - cleared[row["id"]]) / 100
        if row["paymentStatus"] == "PAID":
            assert cleared[row["id"]] >= total
        for line in row["billLineItems"]:
            assert line["classifications"]["chartOfAccountId"] in accounts
            assert line["classifications"]["departmentId"] in departments
    assert {row["paymentStatus"] for row in bills} == {"UNPAID", "PARTIAL", "SCHEDULED", "PAID"}
    assert any(len(row["invoice"]["invoiceNumber"]) == 50 for row in bills)


def test_each_organization_has_its_own_data(bill: SandboxHandle, session: str) -> None:
    other = bill.login(ORG_2)
    mine = {row["id"] for row in walk(bill, session, "/v3/vendors")}
    theirs = walk(bill, other, "/v3/vendors")
    assert theirs and not mine & {row["id"] for row in theirs}
    foreign = next(iter(mine))
    assert problems(call(bill, other, "GET", f"/v3/vendors/{foreign}"), 404)[0]["code"] == "BDC_1205"
