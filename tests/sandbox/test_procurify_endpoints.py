"""Each Procurify endpoint of the sandbox: filters, ordering, field shaping, writes and their errors.

Expected results come from full reads of the same sandbox (every page, filtered in Python), never
from numbers written into the test; writes are checked by reading the records back.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests

from tests.sandbox.test_procurify_sandbox import TEST_SETTINGS, Sandbox, start

from .serving import served

pytestmark = pytest.mark.timeout(120)


# Tests of the simulator's own answers to requests Procurify's published contract refuses (Django's 301 /
# 404 / 405, its validators, its variants, filters it ignores): the contract check in front of it records
# them instead of refusing (ML_SANDBOX_CONTRACT=record), so what is tested is the layer behind it. What the
# contract itself refuses is tested in test_procurify_contract.py.
BEHIND_THE_CONTRACT = pytest.mark.usefixtures("behind_the_contract")


VENDOR_KEYS = {
    "id",
    "name",
    "active",
    "addressLineOne",
    "addressLineTwo",
    "postalCode",
    "city",
    "state_province",
    "country",
    "phoneOne",
    "phoneTwo",
    "fax",
    "email",
    "contact",
    "url",
    "comments",
    "external_id",
    "dateModified",
    "currency",
    "payment_term_ref",
    "shipping_term_ref",
    "payment_method_ref",
    "shipping_method_ref",
    "payment_methods",
    "tax",
    "type",
    "default_payment_method",
    "is_1099_eligible",
    "overall_score",
    "is_auto_email_po_enabled",
}
SLIM_BILL_KEYS = {
    "id",
    "uuid",
    "version",
    "status",
    "locked",
    "currency",
    "items",
    "vendor",
    "invoice_number",
    "invoice_date",
    "due_date",
    "submitted_date",
    "gl_post_date",
    "total_cost_with_tax",
    "last_modified_datetime",
    "last_export_date",
    "last_export_user",
    "group",
    "type",
    "user",
    "creator",
    "approver",
    "past_due",
    "payment_uuid",
    "invoice_uuid",
}
PAYMENT_KEYS = {
    "id",
    "uuid",
    "amount",
    "currency",
    "status",
    "processing_date",
    "posted_date",
    "created_at",
    "updated_at",
    "creator",
    "vendor_name",
    "gl_code",
    "bill_groups",
    "payment_source_type",
    "vendor_payment_method_rail",
}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    yield from served(start(TEST_SETTINGS))


@pytest.fixture(autouse=True)
def _back_to_defaults(sandbox: Sandbox) -> Iterator[None]:
    yield
    for path in ("faults/reset", "variants/reset"):
        requests.post(f"{sandbox.admin}/{path}", timeout=10)
    requests.post(f"{sandbox.admin}/clock", json={"reset": True}, timeout=10)


def ids(records: list[dict[str, Any]], key: str = "id") -> list[Any]:
    return [record[key] for record in records]


def day(stamp: str) -> str:
    return stamp[:10]


def middle(values: list[str]) -> str:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def modified_from_the_middle_day(
    sandbox: Sandbox, path: str, stamp: str, key: str
) -> tuple[list[dict[str, Any]], str, list[dict[str, Any]]]:
    """Every record of ``path``, the middle day of their ``stamp`` and what ``modified_date_0`` of that day
    answers, checked to be exactly the records modified on that day or later (the filter takes whole days)."""
    everything = sandbox.all_pages(path)
    pivot = day(middle([record[stamp] for record in everything]))
    since = sandbox.all_pages(path, {"modified_date_0": pivot})
    assert sorted(ids(since, key)) == sorted(
        record[key] for record in everything if day(record[stamp]) >= pivot
    )
    return everything, pivot, since


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# --- vendors ---------------------------------------------------------------------------------------------


def test_vendor_fields_use_procurifys_mixed_naming(sandbox: Sandbox) -> None:
    vendor = sandbox.ok("/api/v3/vendors/3/")
    assert vendor["metadata"] == {} and set(vendor["data"]) == VENDOR_KEYS
    data = vendor["data"]
    assert isinstance(data["email"], list) and data["email"]
    assert data["dateModified"].endswith("Z")
    assert data["payment_term_ref"] is None or set(data["payment_term_ref"]) == {
        "id",
        "name",
        "description",
        "active",
    }
    assert sandbox.get("/api/v3/vendors/999999/").json() == {"detail": "Not found."}


@BEHIND_THE_CONTRACT
def test_vendor_filters_match_a_python_oracle(sandbox: Sandbox) -> None:
    everything = sandbox.all_pages("/api/v3/vendors/")
    assert everything[0]["type"] == 1  # OTHER is in the unfiltered list
    no_other = sandbox.all_pages("/api/v3/vendors/", {"exclude_other": "true"})
    assert ids(no_other) == [v["id"] for v in everything if v["type"] != 1]
    target = next(v for v in everything if v["external_id"])
    assert ids(sandbox.all_pages("/api/v3/vendors/", {"external_id": target["external_id"]})) == [
        v["id"] for v in everything if v["external_id"] == target["external_id"]
    ]
    same_name = sandbox.all_pages("/api/v3/vendors/", {"name": "Granite Supply Co"})
    assert len(same_name) == sum(v["name"] == "Granite Supply Co" for v in everything) >= 2  # names repeat
    assert ids(sandbox.all_pages("/api/v3/vendors/", {"type": 4})) == [
        v["id"] for v in everything if v["type"] == 4
    ]
    assert ids(sandbox.all_pages("/api/v3/vendors/", {"type__in": ["employee", "cc_provider"]})) == [
        v["id"] for v in everything if v["type"] in (5, 6)
    ]
    bad = sandbox.get("/api/v3/vendors/", {"type": 9})
    assert bad.status_code == 400
    assert bad.json() == {"type": ["Select a valid choice. 9 is not one of the available choices."]}


def test_vendor_search_is_case_insensitive_beyond_ascii(sandbox: Sandbox) -> None:
    """Every word must appear, in any letter case, in the name, external id, contact or emails."""
    everything = sandbox.all_pages("/api/v3/vendors/")

    def matches(vendor: dict[str, Any], words: list[str]) -> bool:
        fields = [
            vendor["name"],
            vendor["external_id"] or "",
            vendor["contact"] or "",
            json.dumps(vendor["email"], ensure_ascii=False),
        ]
        return all(any(word.casefold() in field.casefold() for field in fields) for word in words)

    for query in ("MÜLLER baustoffe", "øresund", "d'ÉQUIPEMENT", "北京", "granite"):
        found = sandbox.all_pages("/api/v3/vendors/", {"search": query})
        assert found and ids(found) == [v["id"] for v in everything if matches(v, query.split())], query


@BEHIND_THE_CONTRACT
def test_unknown_vendor_filters_are_ignored_silently(sandbox: Sandbox) -> None:
    """A client that thinks it filters by modification date gets everything (and the call count shows it)."""
    everything = sandbox.ok("/api/v3/vendors/")["metadata"]["pagination"]["count"]
    for params in (
        {"modified_date_0": "2025-01-01"},
        {"dateModified__gte": "2030-01-01"},
        {"updated_since": "x"},
    ):
        assert sandbox.ok("/api/v3/vendors/", params)["metadata"]["pagination"]["count"] == everything


def test_vendor_order_by_date_modified_ignored_unless_variant(sandbox: Sandbox) -> None:
    default_ids = ids(sandbox.ok("/api/v3/vendors/", {"page_size": 50})["data"])
    assert (
        ids(sandbox.ok("/api/v3/vendors/", {"page_size": 50, "order_by": "-dateModified"})["data"])
        == default_ids
    )
    sandbox.variants(vendor_order_by_date_modified=True)
    ordered = sandbox.all_pages("/api/v3/vendors/", {"order_by": "-dateModified"})
    stamps = [v["dateModified"] for v in ordered]
    assert stamps == sorted(stamps, key=lambda s: s.replace("Z", ".000000Z")[:26], reverse=True)


@BEHIND_THE_CONTRACT
def test_vendor_group_ignored_by_default_and_a_filter_by_variant(sandbox: Sandbox) -> None:
    everything = sandbox.all_pages("/api/v3/vendors/")
    assert len(sandbox.all_pages("/api/v3/vendors/", {"vendor_group": "credit_card_providers"})) == len(
        everything
    )
    sandbox.variants(vendor_group="filter")
    cards = sandbox.all_pages("/api/v3/vendors/", {"vendor_group": "credit_card_providers"})
    assert cards and ids(cards) == [v["id"] for v in everything if v["type"] == 6]
    assert sandbox.get("/api/v3/vendors/", {"vendor_group": "nonsense"}).status_code == 400


@BEHIND_THE_CONTRACT
def test_create_vendor_returns_201_envelope_and_is_listed(sandbox: Sandbox) -> None:
    external_id = unique("JDE-V")
    body = {
        "name": "Müller Baustoffe GmbH",
        "email": ["ap@mueller.example"],
        "external_id": external_id,
        "addressLineOne": "Hauptstraße 1",
        "state_province": "BY",
        "type": 4,
        "currency": 2,
    }
    response = sandbox.send("POST", "/api/v3/vendors/", body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["metadata"] == {} and created["data"]["name"] == "Müller Baustoffe GmbH"
    assert (created["data"]["addressLineOne"], created["data"]["type"], created["data"]["currency"]) == (
        "Hauptstraße 1",
        4,
        2,
    )
    assert ids(sandbox.all_pages("/api/v3/vendors/", {"external_id": external_id})) == [created["data"]["id"]]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"name": ["This field is required."], "email": ["This field is required."]}),
        (
            {"name": "  ", "email": "ap@x.example"},
            {
                "name": ["This field may not be blank."],
                "email": ['Expected a list of items but got type "str".'],
            },
        ),
        (
            {"name": "X" * 151, "email": []},
            {
                "name": ["Ensure this field has no more than 150 characters."],
                "email": ["This list may not be empty."],
            },
        ),
        (
            {"name": "Ok", "email": ["good@x.example", "not-an-email"]},
            {"email": {"1": ["Enter a valid email address."]}},
        ),
        ({"name": "Ok", "email": ["a@x.example"], "type": 1}, {"type": ['"1" is not a valid choice.']}),
        (
            {"name": "Ok", "email": ["a@x.example"], "currency": 99},
            {"currency": ['Invalid pk "99" - object does not exist.']},
        ),
        (
            {"name": "Ok", "email": ["a@x.example"], "external_id": "E" * 101},
            {"external_id": ["Ensure this field has no more than 100 characters."]},
        ),
        (
            {"name": "Ok", "email": ["a@x.example"], "active": "maybe"},
            {"active": ["Must be a valid boolean."]},
        ),
    ],
    ids=[
        "empty",
        "blank-and-string",
        "too-long-and-empty",
        "bad-email",
        "system-type",
        "bad-currency",
        "long-external-id",
        "bad-boolean",
    ],
)
@BEHIND_THE_CONTRACT
def test_vendor_validation_errors_name_each_field(sandbox: Sandbox, body: dict, errors: dict) -> None:
    before = sandbox.ok("/api/v3/vendors/")["metadata"]["pagination"]["count"]
    response = sandbox.send("POST", "/api/v3/vendors/", body)
    assert response.status_code == 400
    assert response.json() == errors
    assert sandbox.ok("/api/v3/vendors/")["metadata"]["pagination"]["count"] == before


@BEHIND_THE_CONTRACT
def test_vendor_body_must_be_json(sandbox: Sandbox) -> None:
    response = requests.post(
        f"{sandbox.base}/api/v3/vendors/",
        data="name=x",
        timeout=10,
        headers={**sandbox.headers(), "Content-Type": "text/plain"},
    )
    assert response.status_code == 415 and response.json() == {
        "detail": 'Unsupported media type "text/plain" in request.'
    }
    broken = requests.post(
        f"{sandbox.base}/api/v3/vendors/",
        data="{",
        timeout=10,
        headers={**sandbox.headers(), "Content-Type": "application/json"},
    )
    assert broken.status_code == 400 and broken.json()["detail"].startswith("JSON parse error")


@BEHIND_THE_CONTRACT
def test_vendor_external_id_uniqueness_is_a_variant(sandbox: Sandbox) -> None:
    external_id = unique("JDE-V")
    body = {"name": "Twin Supply", "email": ["ap@twin.example"], "external_id": external_id}
    assert sandbox.send("POST", "/api/v3/vendors/", body).status_code == 201
    assert sandbox.send("POST", "/api/v3/vendors/", body).status_code == 201  # not unique by default
    sandbox.variants(vendor_external_id_unique=True)
    refused = sandbox.send("POST", "/api/v3/vendors/", body)
    assert refused.status_code == 400
    assert refused.json() == {"external_id": ["vendor with this external id already exists."]}


@BEHIND_THE_CONTRACT
def test_vendor_patch_put_and_date_modified(sandbox: Sandbox) -> None:
    created = sandbox.send("POST", "/api/v3/vendors/", {"name": "Patch Me", "email": ["p@x.example"]}).json()[
        "data"
    ]
    sandbox.post_admin("clock", advance_seconds=5)
    patched = sandbox.send("PATCH", f"/api/v3/vendors/{created['id']}/", {"phoneOne": "5035550199"})
    assert patched.status_code == 200
    assert patched.json()["data"]["phoneOne"] == "5035550199" and patched.json()["data"]["name"] == "Patch Me"
    assert patched.json()["data"]["dateModified"] > created["dateModified"]
    put_missing = sandbox.send("PUT", f"/api/v3/vendors/{created['id']}/", {"name": "Renamed"})
    assert put_missing.status_code == 400 and put_missing.json() == {"email": ["This field is required."]}
    put = sandbox.send(
        "PUT",
        f"/api/v3/vendors/{created['id']}/",
        {"name": "Renamed", "email": ["r@x.example"], "active": False},
    )
    assert put.status_code == 200 and (put.json()["data"]["name"], put.json()["data"]["active"]) == (
        "Renamed",
        False,
    )
    assert (
        sandbox.send("PUT", "/api/v3/vendors/1/", {"name": "Other", "email": ["o@x.example"]}).status_code
        == 400
    )


# --- setup: account codes, departments, accounts, locations -----------------------------------------


def test_account_code_filters(sandbox: Sandbox) -> None:
    everything = sandbox.all_pages("/api/v3/account-codes/")
    assert (
        max(len(c["code"]) for c in everything) == 50
        and max(len(c["description"]) for c in everything) == 200
    )
    assert ids(sandbox.all_pages("/api/v3/account-codes/", {"active": "false"})) == [
        c["id"] for c in everything if not c["active"]
    ]
    parents = {c["parent"] for c in everything if c["parent"] is not None}
    assert set(ids(sandbox.all_pages("/api/v3/account-codes/", {"is_parent": "true"}))) == parents
    assert ids(sandbox.all_pages("/api/v3/account-codes/", {"code": "6100"})) == [
        c["id"] for c in everything if c["code"] == "6100"
    ]
    assert all(c["code_length"] == len(c["code"]) for c in everything)


@BEHIND_THE_CONTRACT
def test_account_code_create_update_and_uniqueness(sandbox: Sandbox) -> None:
    departments = sandbox.ok("/api/v3/departments/", {"page_size": 2})["data"]
    code = unique("9")[:20]
    body = {
        "code": code,
        "description": "Sandbox cost pool",
        "account_type": 5,
        "parent": None,
        "departments": [d["id"] for d in departments],
    }
    created = sandbox.send("POST", "/api/v3/account-codes/", body)
    assert created.status_code == 201, created.text
    code_id = created.json()["data"]["id"]
    accounts = sandbox.all_pages("/api/v3/accounts/", {"account_code": code_id})
    assert sorted(a["department"]["id"] for a in accounts) == sorted(d["id"] for d in departments)
    duplicate = sandbox.send("POST", "/api/v3/account-codes/", {"code": code})
    assert duplicate.status_code == 400 and duplicate.json() == {
        "code": ["account code with this code already exists."]
    }
    updated = sandbox.send(
        "PUT", f"/api/v3/account-codes/{code_id}/", {"code": code, "description": "Renamed", "active": False}
    )
    assert updated.status_code == 200 and (
        updated.json()["data"]["description"],
        updated.json()["data"]["active"],
    ) == ("Renamed", False)
    own_parent = sandbox.send("PUT", f"/api/v3/account-codes/{code_id}/", {"code": code, "parent": code_id})
    assert own_parent.json() == {"parent": ["An account code cannot be its own parent."]}
    errors = sandbox.send(
        "POST", "/api/v3/account-codes/", {"code": "C" * 51, "account_type": 9, "departments": [999999]}
    )
    assert errors.json() == {
        "code": ["Ensure this field has no more than 50 characters."],
        "account_type": ['"9" is not a valid choice.'],
        "departments": ['Invalid pk "999999" - object does not exist.'],
    }
    assert sandbox.send("PATCH", f"/api/v3/account-codes/{code_id}/", {"description": "x"}).status_code == 405


def test_departments_filters_create_and_uniqueness_per_branch(sandbox: Sandbox) -> None:
    everything = sandbox.all_pages("/api/v3/departments/")
    assert max(len(d["name"]) for d in everything) == 150
    branch = everything[0]["branch"]["id"]
    assert ids(sandbox.all_pages("/api/v3/departments/", {"branch": branch})) == [
        d["id"] for d in everything if d["branch"]["id"] == branch
    ]
    name = unique("Dept")
    created = sandbox.send(
        "POST", "/api/v3/departments/", {"branch": branch, "name": name, "external_id": "JDE-BU-X"}
    )
    assert created.status_code == 201 and created.json()["data"]["branch"]["id"] == branch
    clash = sandbox.send("POST", "/api/v3/departments/", {"branch": branch, "name": name})
    assert clash.status_code == 400 and clash.json() == {
        "non_field_errors": ["The fields branch, name must make a unique set."]
    }
    sandbox.variants(department_name_unique_per_branch=False)
    assert sandbox.send("POST", "/api/v3/departments/", {"branch": branch, "name": name}).status_code == 201
    invalid = sandbox.send("POST", "/api/v3/departments/", {"branch": 999, "name": ""})
    assert invalid.json() == {
        "branch": ['Invalid pk "999" - object does not exist.'],
        "name": ["This field may not be blank."],
    }
    department_id = created.json()["data"]["id"]
    put = sandbox.send(
        "PUT",
        f"/api/v3/departments/{department_id}/",
        {"branch": branch, "name": name + " 2", "active": False},
    )
    assert put.status_code == 200 and put.json()["data"]["active"] is False


def test_accounts_and_locations(sandbox: Sandbox) -> None:
    accounts = sandbox.all_pages("/api/v3/accounts/")
    department = accounts[0]["department"]["id"]
    assert ids(sandbox.all_pages("/api/v3/accounts/", {"department": department})) == [
        a["id"] for a in accounts if a["department"]["id"] == department
    ]
    # in_effect is a filter of accounts_list, not a field of its rows.
    assert set(accounts[0]) == {"id", "account_code", "department", "active"}
    assert sandbox.get("/api/v3/accounts/", {"department": 999999}).json() == {
        "department": ["Select a valid choice. That choice is not one of the available choices."]
    }
    locations = sandbox.all_pages("/api/v2/locations/")
    assert (
        "北京办事处" in [loc["name"] for loc in locations]
        and sum(loc["headquarter"] for loc in locations) == 1
    )


# --- requisitions and lines ------------------------------------------------------------------------------


@BEHIND_THE_CONTRACT
def test_order_date_filters_are_inclusive_days(sandbox: Sandbox) -> None:
    everything, pivot, since = modified_from_the_middle_day(
        sandbox, "/api/v2/global/orders/", "dateModified", "num"
    )
    window = sandbox.all_pages("/api/v2/global/orders/", {"date_0": pivot, "date_1": pivot})
    assert sorted(ids(window, "num")) == sorted(o["num"] for o in everything if day(o["date"]) == pivot)
    us_format = dt.date.fromisoformat(pivot).strftime("%m/%d/%Y")  # Django also takes its other date formats
    assert len(sandbox.all_pages("/api/v2/global/orders/", {"modified_date_0": us_format})) == len(since)


@BEHIND_THE_CONTRACT
def test_order_filters_and_shape(sandbox: Sandbox) -> None:
    everything = sandbox.all_pages("/api/v2/global/orders/")
    order = everything[0]
    assert {
        "num",
        "uuid",
        "branch",
        "user",
        "department",
        "currency",
        "date",
        "dateRequired",
        "dateModified",
        "lineCount",
        "totalPrice",
        "status",
        "next_approver",
        "item_count",
        "total_cost_in_base_currency",
    } <= set(order)
    assert isinstance(order["totalPrice"], str) and "." in order["totalPrice"]
    for params, keep in (
        ({"status": 3}, lambda o: o["status"] == 3),
        (
            {"department": order["department"]["id"]},
            lambda o: o["department"]["id"] == order["department"]["id"],
        ),
        ({"requester": order["user"]["id"]}, lambda o: o["user"]["id"] == order["user"]["id"]),
        ({"branch": order["branch"]["id"]}, lambda o: o["branch"]["id"] == order["branch"]["id"]),
    ):
        assert sorted(ids(sandbox.all_pages("/api/v2/global/orders/", params), "num")) == sorted(
            o["num"] for o in everything if keep(o)
        ), params
    problems = sandbox.get(
        "/api/v2/global/orders/", {"status": 9, "modified_date_1": "2025-13-45", "requester": 999999}
    )
    assert problems.status_code == 400
    assert problems.json() == {
        "status": ["Select a valid choice. 9 is not one of the available choices."],
        "modified_date": ["Enter a valid date."],
        "requester": ["Select a valid choice. That choice is not one of the available choices."],
    }
    assert (
        sandbox.get("/api/v2/global/orders/", {"modified_date_0": "2025-03-01T10:00:00"}).status_code == 400
    )


def test_order_items_filters(sandbox: Sandbox) -> None:
    everything = sandbox.all_pages("/api/v2/global/order_items/")
    pivot = day(middle([i["last_modified"] for i in everything]))
    modified = sandbox.all_pages(
        "/api/v2/global/order_items/", {"last_modified_0": pivot, "last_modified_1": pivot}
    )
    assert sorted(ids(modified)) == sorted(i["id"] for i in everything if day(i["last_modified"]) == pivot)
    purchased = sandbox.all_pages("/api/v2/global/order_items/", {"is_purchased": "true"})
    assert sorted(ids(purchased)) == sorted(i["id"] for i in everything if i["purchase_order"] is not None)
    line = purchased[0]
    by_order = sandbox.all_pages("/api/v2/global/order_items/", {"orderNum": line["orderNum"]})
    assert sorted(ids(by_order)) == sorted(i["id"] for i in everything if i["orderNum"] == line["orderNum"])
    code_id = line["account"]["account_code"]["id"]
    by_code = sandbox.all_pages("/api/v2/global/order_items/", {"account_code": code_id})
    assert sorted(ids(by_code)) == sorted(
        i["id"] for i in everything if i["account"]["account_code"]["id"] == code_id
    )
    assert line["accountCode"] == line["account"]["account_code"]["code"]
    assert all(isinstance(line[k], str) for k in ("quantity", "price", "total_cost", "receivedPassQty"))


def test_create_requisition_by_names(sandbox: Sandbox) -> None:
    line = sandbox.all_pages("/api/v2/global/order_items/", {"is_purchased": "true"})[0]
    account = line["account"]
    department = account["department"]
    location = sandbox.all_pages("/api/v2/locations/")
    location_name = next(loc["name"] for loc in location if loc["id"] == department["branch"]["id"])
    body = {
        "required_date": "2030-04-01",
        "location_name": location_name,
        "department_name": department["name"],
        "line_items": [
            {
                "item_name": "Safety gloves (box)",
                "vendor_name": "北京建材",
                "account_code": account["account_code"]["code"],
                "unit_price": "24.50",
                "quantity": "10",
                "unit": "box",
                "currency_code": "USD",
                "custom_fields": [],
            }
        ],
    }
    response = sandbox.send("POST", "/api/v3/requisitions/", body)
    assert response.status_code == 201, response.text
    assert set(response.json()) == {"metadata", "data"} and set(response.json()["data"]) == {"uuid"}
    stored = sandbox.record("orders", response.json()["data"]["uuid"])["api"]
    assert (stored["status"], stored["totalPrice"], stored["dateRequired"]) == (0, "245.00", "2030-04-01")


@BEHIND_THE_CONTRACT
def test_requisition_errors_are_reported_per_line(sandbox: Sandbox) -> None:
    body = {
        "location_name": "Atlantis",
        "department_name": "Operations",
        "line_items": [
            {
                "item_name": "Ok",
                "vendor_name": "Granite Supply Co",
                "account_code": "6100",
                "unit_price": "1",
                "quantity": "1",
            },
            {
                "item_name": "",
                "vendor_name": "No Such Vendor",
                "account_code": "6100",
                "unit_price": "1.234",
                "quantity": "0",
            },
        ],
    }
    response = sandbox.send("POST", "/api/v3/requisitions/", body)
    assert response.status_code == 400
    errors = response.json()
    assert errors["location_name"] == ['Location "Atlantis" does not exist.']
    first, second = errors["line_items"]
    assert first == {}
    assert second == {
        "item_name": ["This field may not be blank."],
        "vendor_name": ['Vendor "No Such Vendor" does not exist or is inactive.'],
        "unit_price": ["Ensure that there are no more than 2 decimal places."],
        "quantity": ["Ensure this value is greater than or equal to 0.01."],
    }
    assert sandbox.send(
        "POST", "/api/v3/requisitions/", {"location_name": "Head Office", "department_name": "Operations"}
    ).json() == {"line_items": ["This field is required."]}


# --- purchase orders --------------------------------------------------------------------------------------


def test_purchase_order_lists_by_role_and_status_with_counts(sandbox: Sandbox) -> None:
    everything = sandbox.all_pages("/api/v2/purchase_orders/purchased/all/")
    body = sandbox.ok("/api/v2/purchase_orders/purchased/all/")
    counts = body["metadata"]["counts"]["purchased"]
    assert counts["all"] == len(everything) == body["metadata"]["pagination"]["count"] and counts["page"] == 1
    expected = {
        "open": lambda p: p["state"] in (0, 5),
        "partial": lambda p: p["state"] in (0, 5) and p["fulfilment_status"] == "partial",
        "closed": lambda p: p["state"] == 3,
        "cancelled": lambda p: p["state"] == 1,
        "paid": lambda p: p["state"] == 4,
    }
    for status, keep in expected.items():
        listed = sandbox.all_pages(f"/api/v2/purchase_orders/purchased/{status}/")
        assert sorted(ids(listed, "procurify_PO")) == sorted(
            p["procurify_PO"] for p in everything if keep(p)
        ), status
        if status in counts:
            assert counts[status] == len(listed)
    receivable = sandbox.all_pages("/api/v2/purchase_orders/receivable/all/")
    assert {p["fulfilment_status"] for p in receivable} <= {"empty", "partial"} and {
        p["state"] for p in receivable
    } <= {0, 5}
    assert "receivable" in sandbox.ok("/api/v2/purchase_orders/receivable/open/")["metadata"]["counts"]
    assert sandbox.get("/api/v2/purchase_orders/approved/all/").json() == {"detail": "Not found."}


def test_purchase_order_filters(sandbox: Sandbox) -> None:
    everything, _, _ = modified_from_the_middle_day(
        sandbox, "/api/v2/purchase_orders/purchased/all/", "last_modified", "procurify_PO"
    )
    totals = sorted(float(p["total"]) for p in everything)
    low, high = totals[len(totals) // 4], totals[3 * len(totals) // 4]
    ranged = sandbox.all_pages("/api/v2/purchase_orders/purchased/all/", {"total_0": low, "total_1": high})
    assert sorted(ids(ranged, "procurify_PO")) == sorted(
        p["procurify_PO"] for p in everything if low <= float(p["total"]) <= high
    )
    vendor = everything[0]["pref_vendor"]["id"]
    assert sorted(
        ids(
            sandbox.all_pages("/api/v2/purchase_orders/purchased/all/", {"pref_vendor": vendor}),
            "procurify_PO",
        )
    ) == sorted(p["procurify_PO"] for p in everything if p["pref_vendor"]["id"] == vendor)


def test_purchase_order_detail_by_number_or_uuid(sandbox: Sandbox) -> None:
    listed = sandbox.ok("/api/v2/purchase_orders/purchased/all/", {"page_size": 1})["data"][0]
    assert "order_items" not in listed
    by_number = sandbox.ok(f"/api/v2/purchase_orders/{listed['procurify_PO']}/")["data"]
    by_uuid = sandbox.ok(f"/api/v2/purchase_orders/{listed['uuid']}/")["data"]
    by_hex = sandbox.ok(f"/api/v2/purchase_orders/{listed['uuid'].replace('-', '')}/")["data"]
    assert by_number == by_uuid == by_hex
    assert len(by_number["order_items"]) == by_number["item_count"]
    assert {line["PO_line_num"] for line in by_number["order_items"]} == set(
        range(1, by_number["item_count"] + 1)
    )
    assert isinstance(by_number["tax"]["value"], float) and by_number["tax"]["type"] in (
        "amount",
        "percentage",
    )
    assert sandbox.get("/api/v2/purchase_orders/00000000-0000-4000-8000-000000000000/").status_code == 404


def _purchased_po(sandbox: Sandbox) -> dict[str, Any]:
    """A new PO from a new requisition: create (API), approve and purchase (the sandbox plays the buyer)."""
    result = sandbox.post_admin("activity", new_requisitions=1)
    order_uuid = sandbox.record("orders", result["requisitions"]["created"][0])["api"]["uuid"]
    purchased = requests.post(
        f"{sandbox.admin}/requisitions/{order_uuid}/purchase", json={}, timeout=10
    ).json()
    return sandbox.ok(f"/api/v2/purchase_orders/{purchased['purchase_orders'][0]['uuid']}/")["data"]


@BEHIND_THE_CONTRACT
def test_revise_purchase_order_with_erp_number_and_lines(sandbox: Sandbox) -> None:
    po = _purchased_po(sandbox)
    number = po["procurify_PO"]
    assert (po["state"], po["version"], po["PO_Num"]) == (0, 1, None)
    po_num = unique("JDE-OP")[:30]
    line = po["order_items"][0]
    sandbox.post_admin("clock", advance_seconds=3)
    revised = sandbox.send(
        "PUT",
        f"/api/v3/purchase-orders/{number}/",
        {
            "PO_Num": po_num,
            "freight": "12.50",
            "order_items": [{"id": line["id"], "quantity": "3", "price": "10.00"}],
        },
    )
    assert revised.status_code == 200, revised.text
    data = revised.json()["data"]
    assert (data["PO_Num"], data["version"], data["freight"]) == (po_num, 2, "12.50")
    # The update answers with its own fields (PurchaseOrderUpdateSerializerSingle); the PO shows the rest.
    shown = sandbox.ok(f"/api/v2/purchase_orders/{number}/")["data"]
    assert shown["last_modified"] > po["last_modified"]
    changed = next(item for item in shown["order_items"] if item["id"] == line["id"])
    assert (changed["quantity"], changed["price"], changed["total_cost"]) == ("3.00", "10.00", "30.00")
    subtotal = sum(float(item["total_cost"]) for item in shown["order_items"])
    assert shown["subtotal"] == f"{subtotal:.2f}"
    other = _purchased_po(sandbox)
    duplicate = sandbox.send("PUT", f"/api/v3/purchase-orders/{other['procurify_PO']}/", {"PO_Num": po_num})
    assert duplicate.status_code == 400 and list(duplicate.json()) == ["PO_Num"]
    # The confirmation is a query parameter (as the spec documents it on the revise path).
    confirmed = sandbox.send(
        "PUT",
        f"/api/v3/purchase-orders/{other['procurify_PO']}/?confirm_duplicate_external_po_number=True",
        {"PO_Num": po_num},
    )
    assert confirmed.status_code == 200 and confirmed.json()["data"]["PO_Num"] == po_num
    bad = sandbox.send(
        "PUT",
        f"/api/v3/purchase-orders/{number}/",
        {"PO_Num": "X" * 31, "tax": {"value": -1, "type": "vat"}, "order_items": [{"id": -5}]},
    )
    assert bad.status_code == 400
    assert bad.json()["PO_Num"] == ["Ensure this field has no more than 30 characters."]
    assert set(bad.json()["tax"]) == {"value", "type"}
    assert bad.json()["order_items"] == [{"id": ["Order item -5 is not a line of this purchase order."]}]


@BEHIND_THE_CONTRACT
def test_a_buyer_cancels_an_open_po_and_the_api_then_refuses_to_revise_it(sandbox: Sandbox) -> None:
    po = _purchased_po(sandbox)
    number = po["procurify_PO"]
    sandbox.post_admin("clock", advance_seconds=3)
    assert sandbox.post_admin(f"purchase-orders/{number}/cancel") == {"procurify_PO": number, "state": 1}
    after = sandbox.ok(f"/api/v2/purchase_orders/{number}/")["data"]
    assert after["state"] == 1 and after["last_modified"] > po["last_modified"]
    listed = sandbox.all_pages("/api/v2/purchase_orders/purchased/cancelled/")
    assert number in {row["procurify_PO"] for row in listed}
    refused = sandbox.send("PUT", f"/api/v3/purchase-orders/{number}/", {"PO_Num": "LATE"})
    assert refused.status_code == 400 and "cancelled" in refused.json()["non_field_errors"][0]
    again = requests.post(f"{sandbox.admin}/purchase-orders/{number}/cancel", json={}, timeout=10)
    assert again.status_code == 409 and "not open" in again.json()["error"]
    received = _purchased_po(sandbox)["procurify_PO"]
    sandbox.post_admin(f"purchase-orders/{received}/receive", fraction=1.0)
    refused = requests.post(f"{sandbox.admin}/purchase-orders/{received}/cancel", json={}, timeout=10)
    assert refused.status_code == 409 and "close it instead" in refused.json()["error"]


@BEHIND_THE_CONTRACT
def test_close_reopen_and_deprecated_revise(sandbox: Sandbox) -> None:
    po = _purchased_po(sandbox)
    number = po["procurify_PO"]
    closed = sandbox.send("POST", f"/api/v3/purchase-orders/{number}/close/", {})
    assert (
        closed.status_code == 200
        and closed.json()["data"]["state"] == 3
        and closed.json()["data"]["closed_date"]
    )
    refused = sandbox.send("PUT", f"/api/v3/purchase-orders/{number}/", {"PO_Num": "LATE"})
    assert refused.status_code == 400 and "closed" in refused.json()["non_field_errors"][0]
    assert sandbox.send("POST", f"/api/v3/purchase-orders/{number}/close/", {}).status_code == 400
    reopened = sandbox.send("POST", f"/api/v3/purchase-orders/{number}/reopen/", {})
    assert reopened.json()["data"]["state"] == 5 and reopened.json()["data"]["closed_date"] is None
    sandbox.post_admin("calls/reset")
    old_path = sandbox.send("PUT", f"/api/v2/purchase_order/revise/{number}/", {"freight": "7.25"})
    assert old_path.status_code == 200 and old_path.json()["data"]["freight"] == "7.25"
    assert sandbox.state()["calls"] == {"PUT /api/v2/purchase_order/revise/{id}/": 1}


@BEHIND_THE_CONTRACT
def test_billing_history_lists_bills_per_po(sandbox: Sandbox) -> None:
    rows = sandbox.all_pages("/api/v3/purchase-orders/billing-history/")
    number = rows[0]["purchase_order"]["procurify_PO"]
    only = sandbox.all_pages("/api/v3/purchase-orders/billing-history/", {"purchase_order": number})
    expected = sorted(r["bill"]["uuid"] for r in rows if r["purchase_order"]["procurify_PO"] == number)
    assert expected and sorted(r["bill"]["uuid"] for r in only) == expected


# --- bills ------------------------------------------------------------------------------------------


def test_slim_bill_shape_summary_and_permissions(sandbox: Sandbox) -> None:
    body = sandbox.ok("/api/v3/ap/bills/")
    assert set(body["data"][0]) == SLIM_BILL_KEYS
    assert isinstance(body["data"][0]["total_cost_with_tax"], float)  # a float, unlike other money
    assert set(body["metadata"]) == {"summary", "permissions", "pagination"}
    everything = sandbox.all_pages("/api/v3/ap/bills/")
    summary = body["metadata"]["summary"]
    # Summed exactly in each bill's currency decimals (yen, cents, fils), shown with the most of them.
    total = sum(Decimal(str(b["total_cost_with_tax"])) for b in everything)
    assert Decimal(summary["total_cost"]) == total and summary["total_cost"].partition(".")[2] != ""
    assert summary["has_multiple_currency"] == (len({b["currency"]["id"] for b in everything}) > 1)
    assert body["metadata"]["permissions"] == {"can_edit": True, "can_delete": True, "can_approve": True}


@BEHIND_THE_CONTRACT
def test_bill_datetime_filter_is_exact_and_inclusive(sandbox: Sandbox) -> None:
    everything = sandbox.all_pages("/api/v3/ap/bills/")
    pivot = middle([b["last_modified_datetime"] for b in everything])
    since = sandbox.all_pages("/api/v3/ap/bills/", {"last_modified_datetime_0": pivot})
    assert sorted(ids(since)) == sorted(
        b["id"] for b in everything if _instant(b["last_modified_datetime"]) >= _instant(pivot)
    )
    upto = sandbox.all_pages("/api/v3/ap/bills/", {"last_modified_datetime_1": pivot})
    assert len(since) + len(upto) == len(everything) + sum(
        b["last_modified_datetime"] == pivot for b in everything
    )
    offset = _instant(pivot).astimezone(dt.timezone(dt.timedelta(hours=-7))).isoformat()
    assert len(sandbox.all_pages("/api/v3/ap/bills/", {"last_modified_datetime_0": offset})) == len(since)
    deprecated = sandbox.all_pages("/api/v3/ap/bills/", {"modified_date_0": day(pivot)})
    assert sorted(ids(deprecated)) == sorted(
        b["id"] for b in everything if day(b["last_modified_datetime"]) >= day(pivot)
    )
    assert sandbox.get("/api/v3/ap/bills/", {"last_modified_datetime_0": "noon"}).json() == {
        "last_modified_datetime": ["Enter a valid date/time."]
    }


def _instant(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


@BEHIND_THE_CONTRACT
def test_bill_filters(sandbox: Sandbox) -> None:
    everything = sandbox.all_pages("/api/v3/ap/bills/")
    checks = {
        "has_payment=true": ({"has_payment": "true"}, lambda b: b["payment_uuid"] is not None),
        "is_exported=false": ({"is_exported": "false"}, lambda b: b["last_export_date"] is None),
        "type=1": ({"type": 1}, lambda b: b["type"] == 1),
        "invoice_date": (
            {"invoice_date_1": middle([b["invoice_date"] for b in everything])},
            lambda b: b["invoice_date"] <= middle([x["invoice_date"] for x in everything]),
        ),
    }
    for name, (params, keep) in checks.items():
        assert sorted(ids(sandbox.all_pages("/api/v3/ap/bills/", params))) == sorted(
            b["id"] for b in everything if keep(b)
        ), name
    two = sorted({b["vendor"]["id"] for b in everything})[:2]
    for params in ({"vendor": two}, {"vendor[]": two}):
        assert sorted(ids(sandbox.all_pages("/api/v3/ap/bills/", params))) == sorted(
            b["id"] for b in everything if b["vendor"]["id"] in two
        )


def test_full_bill_by_uuid_only(sandbox: Sandbox) -> None:
    slim = next(b for b in sandbox.all_pages("/api/v3/ap/bills/") if b["type"] == 0)
    full = sandbox.ok(f"/api/v2/ap/bills/{slim['uuid']}/")["data"]
    assert full == sandbox.ok(f"/api/v2/ap/bills/{slim['uuid'].replace('-', '')}/")["data"]
    assert {
        "items",
        "costs",
        "bill_statuses",
        "subtotal_cost",
        "total_cost",
        "tax_amount",
        "bill_payment",
        "payment_terms",
        "note",
        "added_purchase_orders",
        "vendor_address",
    } <= set(full)
    assert [item["id"] for item in full["items"]] == slim["items"]
    assert full["items"][0]["orderitem"]["account"]["account_code"]["code"]
    assert full["added_purchase_orders"]
    # The URL only matches lower-case hex: an integer id is looked up as a UUID, upper case is no URL at all.
    assert sandbox.get(f"/api/v2/ap/bills/{slim['id']}/").json() == {"detail": "Not found."}
    upper = sandbox.get(f"/api/v2/ap/bills/{slim['uuid'].upper()}/")
    assert upper.status_code == 404 and upper.headers["content-type"].startswith("text/html")


@pytest.mark.off_contract_answer(
    "the legacy {data: {paid, skipped}} answer variant; the spec's example echoes the request"
)
@BEHIND_THE_CONTRACT
def test_mark_as_paid_all_or_nothing_and_partial_variant(sandbox: Sandbox) -> None:
    # The sandbox's assumed answer; by default it echoes the request, as the spec's example shows.
    sandbox.variants(mark_as_paid_answer="lists")

    def approved_bill() -> dict[str, Any]:
        po = _purchased_po(sandbox)
        sandbox.post_admin(f"purchase-orders/{po['procurify_PO']}/receive", fraction=1.0)
        bill = sandbox.post_admin(f"purchase-orders/{po['procurify_PO']}/bill", status=2)
        return sandbox.ok(f"/api/v2/ap/bills/{bill['bill_uuid']}/")["data"]

    first, second = approved_bill(), approved_bill()
    draft = next(b for b in sandbox.all_pages("/api/v3/ap/bills/") if b["status"] == 0)
    refused = sandbox.send(
        "POST",
        "/api/v3/ap/bills/mark-as-paid/",
        {"bill_uuids": [first["uuid"], draft["uuid"]], "payment_date": "2030-01-31"},
    )
    assert refused.status_code == 400 and draft["uuid"] in refused.json()["bill_uuids"][0]
    assert sandbox.ok(f"/api/v2/ap/bills/{first['uuid']}/")["data"]["status"] == 2  # nothing changed
    paid = sandbox.send(
        "POST",
        "/api/v3/ap/bills/mark-as-paid/",
        {"bill_uuids": [first["uuid"]], "payment_date": "2030-01-31"},
    )
    assert paid.status_code == 200 and paid.json()["data"] == {"paid": [first["uuid"]], "skipped": []}
    after = sandbox.ok(f"/api/v2/ap/bills/{first['uuid']}/")["data"]
    assert (after["status"], after["payment_date"], after["locked"]) == (4, "2030-01-31", True)
    sandbox.variants(mark_as_paid="partial")
    partial = sandbox.send(
        "POST",
        "/api/v3/ap/bills/mark-as-paid/",
        {"bill_uuids": [second["uuid"], draft["uuid"]], "payment_date": "2030-02-01"},
    )
    assert partial.json()["data"] == {
        "paid": [second["uuid"]],
        "skipped": [{"uuid": draft["uuid"], "reason": "is not approved"}],
    }
    missing = sandbox.send("POST", "/api/v3/ap/bills/mark-as-paid/", {"bill_uuids": []})
    assert missing.json() == {
        "payment_date": ["This field is required."],
        "bill_uuids": ["This list may not be empty."],
    }


def test_ap_items_billed_filter(sandbox: Sandbox) -> None:
    everything = sandbox.all_pages("/api/v2/ap/items/")
    billed = sandbox.all_pages("/api/v2/ap/items/", {"billed": "true"})
    assert sorted(ids(billed)) == sorted(i["id"] for i in everything if i["billed"])
    bill_uuid = billed[0]["bill_uuid"]
    assert sorted(ids(sandbox.all_pages("/api/v2/ap/items/", {"bill_uuid": bill_uuid}))) == sorted(
        i["id"] for i in everything if i["bill_uuid"] == bill_uuid
    )


# --- payments ---------------------------------------------------------------------------------------


@BEHIND_THE_CONTRACT
def test_public_payments_shape_and_iso_datetime_filters(sandbox: Sandbox) -> None:
    everything = sandbox.all_pages("/api/public/v1/payments/")
    assert set(everything[0]) == PAYMENT_KEYS and isinstance(everything[0]["amount"], str)
    assert everything[0]["currency"] == {
        "id": everything[0]["currency"]["id"],
        "name": everything[0]["currency"]["name"],
    }
    pivot = middle([p["updated_at"] for p in everything])
    after = sandbox.all_pages("/api/public/v1/payments/", {"updated_at_after": pivot})
    assert sorted(ids(after)) == sorted(
        p["id"] for p in everything if _instant(p["updated_at"]) >= _instant(pivot)
    )
    before = sandbox.all_pages("/api/public/v1/payments/", {"updated_at_before": pivot})
    assert sorted(ids(before)) == sorted(
        p["id"] for p in everything if _instant(p["updated_at"]) <= _instant(pivot)
    )
    date_only = sandbox.get("/api/public/v1/payments/", {"updated_at_after": day(pivot)})
    assert date_only.status_code == 400 and date_only.json() == {"updated_at": ["Enter a valid date/time."]}


@BEHIND_THE_CONTRACT
def test_public_payments_list_filters_and_ordering(sandbox: Sandbox) -> None:
    everything = sandbox.all_pages("/api/public/v1/payments/")
    statuses = sorted({p["status"] for p in everything})[:2]
    by_status = sandbox.all_pages("/api/public/v1/payments/", {"status": ",".join(statuses)})
    assert sorted(ids(by_status)) == sorted(p["id"] for p in everything if p["status"] in statuses)
    some = [p["id"] for p in everything[:3]]
    assert sorted(
        ids(sandbox.all_pages("/api/public/v1/payments/", {"ids": ",".join(map(str, some))}))
    ) == sorted(some)
    group = everything[0]["bill_groups"][0]
    assert everything[0]["id"] in ids(
        sandbox.all_pages("/api/public/v1/payments/", {"bill_groups": str(group)})
    )
    ordered = sandbox.all_pages("/api/public/v1/payments/", {"order_by": "updated_at"})
    assert [_instant(p["updated_at"]) for p in ordered] == sorted(
        _instant(p["updated_at"]) for p in everything
    )
    bad = sandbox.get("/api/public/v1/payments/", {"order_by": "amount", "status": "lost"})
    assert bad.json() == {
        "status": ["Select a valid choice. lost is not one of the available choices."],
        "order_by": ["Select a valid choice. amount is not one of the available choices."],
    }


@pytest.mark.off_contract_answer(
    "the code-string and id-integer currency variants; the spec's currency is {id, name}"
)
@BEHIND_THE_CONTRACT
@pytest.mark.parametrize(("variant", "check"), [("code", str), ("id", int)])
def test_payment_currency_shape_variants(sandbox: Sandbox, variant: str, check: type) -> None:
    sandbox.variants(payment_currency=variant)
    payment = sandbox.ok("/api/public/v1/payments/", {"page_size": 1})["data"][0]
    assert isinstance(payment["currency"], check)


def test_deprecated_v2_payments_disappear_after_june_5_2026(sandbox: Sandbox) -> None:
    def move_clock_to(day_: dt.date) -> None:
        sandbox.post_admin("clock", reset=True)
        now = dt.datetime.now(dt.UTC)
        target = dt.datetime.combine(day_, dt.time(12), tzinfo=dt.UTC)
        sandbox.post_admin("clock", advance_seconds=(target - now).total_seconds())

    move_clock_to(dt.date(2026, 6, 1))
    body = sandbox.ok("/api/v2/ap/payments/", {"payment_method__type": 2})
    assert body["data"] and all(p["payment_method"]["type"] == 2 for p in body["data"])
    move_clock_to(dt.date(2026, 6, 6))
    gone = sandbox.get("/api/v2/ap/payments/")
    assert gone.status_code == 404 and gone.headers["content-type"].startswith("text/html")
    sandbox.variants(v2_payments="available")
    assert sandbox.get("/api/v2/ap/payments/").status_code == 200
    sandbox.variants(v2_payments="removed")
    move_clock_to(dt.date(2026, 1, 1))
    assert sandbox.get("/api/v2/ap/payments/").status_code == 404


def test_default_list_order_variant(sandbox: Sandbox) -> None:
    newest = ids(sandbox.ok("/api/v2/global/orders/", {"page_size": 20})["data"], "num")
    assert newest == sorted(newest, reverse=True)
    sandbox.variants(default_list_order="oldest_first")
    oldest = ids(sandbox.ok("/api/v2/global/orders/", {"page_size": 20})["data"], "num")
    assert oldest == sorted(oldest) and oldest[0] == 1


def test_newest_first_paging_shifts_when_records_arrive(sandbox: Sandbox) -> None:
    """Why a client must not page a newest-first list while it changes: the next page repeats a record."""
    first = ids(sandbox.ok("/api/v2/global/orders/", {"page_size": 5})["data"], "num")
    sandbox.post_admin("activity", new_requisitions=1)
    second = ids(sandbox.ok("/api/v2/global/orders/", {"page_size": 5, "page": 2})["data"], "num")
    assert second[0] == first[-1]
