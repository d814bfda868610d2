"""Procurify: every written resource refuses an attribute its body may not carry (at
the top level and inside a line or nested object), a read-only one and one of the wrong JSON type, named
in the DRF-style 400 together with the body's other problems.

Each body also carries another error the sandbox reports, so the misfit must be named whatever else is
wrong. DRF itself drops unknown and read-only keys; whether Procurify does is unconfirmed (reference 3.12),
so the strict reading is the sandbox's default (variant ``unknown_attributes``) and the lenient one is
tested too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .serving import served
from .test_procurify_sandbox import Sandbox, start

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(autouse=True)
def _behind_the_contract(behind_the_contract: Any) -> None:
    """These tests are of the simulator's own attribute checks (variant ``unknown_attributes``), behind
    the contract check in front of it: that records instead of refusing here (ML_SANDBOX_CONTRACT=record);
    what the contract itself refuses is tested in test_procurify_contract.py."""


UNKNOWN = ["This field is not an attribute of this resource."]
READ_ONLY = ["This field is read-only."]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    yield from served(start())


@pytest.fixture(autouse=True)
def _defaults(sandbox: Sandbox) -> Iterator[None]:
    yield
    sandbox.post_admin("variants/reset")


def _first(sandbox: Sandbox, path: str) -> dict[str, Any]:
    return sandbox.ok(path, {"page_size": 1})["data"][0]


def _purchased_po(sandbox: Sandbox) -> dict[str, Any]:
    result = sandbox.post_admin("activity", new_requisitions=1)
    order_uuid = sandbox.record("orders", result["requisitions"]["created"][0])["api"]["uuid"]
    purchased = sandbox.post_admin(f"requisitions/{order_uuid}/purchase")
    return sandbox.ok(f"/api/v2/purchase_orders/{purchased['purchase_orders'][0]['uuid']}/")["data"]


def _requisition_line(**extra: Any) -> dict[str, Any]:
    return {
        "item_name": "Gloves",
        "vendor_name": "No such vendor",
        "unit_price": "1.00",
        "quantity": "1",
        **extra,
    }


# Per written resource: (method, path of the call, body carrying another error); the path and body may
# depend on records the sandbox holds, so each is built from the running sandbox.
Call = Callable[[Sandbox], tuple[str, str, dict[str, Any]]]
CALLS: dict[str, Call] = {
    "vendor-create": lambda s: ("POST", "/api/v3/vendors/", {"name": "", "email": ["a@b.example"]}),
    "vendor-update": lambda s: (
        "PUT",
        f"/api/v3/vendors/{_first(s, '/api/v3/vendors/?type=3')['id']}/",
        {"name": "", "email": ["a@b.example"]},
    ),
    "vendor-patch": lambda s: (
        "PATCH",
        f"/api/v3/vendors/{_first(s, '/api/v3/vendors/?type=3')['id']}/",
        {"email": ["not an e-mail"]},
    ),
    "department-create": lambda s: ("POST", "/api/v3/departments/", {"branch": 999999, "name": "Strict"}),
    "department-update": lambda s: (
        "PUT",
        f"/api/v3/departments/{_first(s, '/api/v3/departments/')['id']}/",
        {"branch": 999999, "name": "Strict"},
    ),
    "account-code-create": lambda s: ("POST", "/api/v3/account-codes/", {"code": "C" * 51}),
    "account-code-update": lambda s: (
        "PUT",
        f"/api/v3/account-codes/{_first(s, '/api/v3/account-codes/')['id']}/",
        {"code": "C" * 51},
    ),
    "requisition-create": lambda s: (
        "POST",
        "/api/v3/requisitions/",
        {
            "location_name": "No such location",
            "department_name": "Nowhere",
            "line_items": [_requisition_line()],
        },
    ),
    "po-update": lambda s: (
        "PUT",
        f"/api/v3/purchase-orders/{_purchased_po(s)['procurify_PO']}/",
        {"PO_Num": "X" * 31},
    ),
    "mark-as-paid": lambda s: ("POST", "/api/v3/ap/bills/mark-as-paid/", {"bill_uuids": []}),
}

# Per resource: misfits as (attribute(s) added, where the answer names it, the message there).
TOP = {"external_ref": "A"}
MISFITS: dict[str, list[tuple[dict[str, Any], list[Any], Any]]] = {
    "vendor": [
        (TOP, ["external_ref"], UNKNOWN),
        ({"dateModified": "2026-01-01T00:00:00Z"}, ["dateModified"], READ_ONLY),
        ({"payment_methods": []}, ["payment_methods"], READ_ONLY),
        ({"active": {"yes": True}}, ["active"], ["Must be a valid boolean."]),
    ],
    "department": [
        (TOP, ["external_ref"], UNKNOWN),
        ({"id": 5}, ["id"], READ_ONLY),
        ({"active": [True]}, ["active"], ["Must be a valid boolean."]),
    ],
    "account-code": [
        (TOP, ["external_ref"], UNKNOWN),
        ({"code_length": 4}, ["code_length"], READ_ONLY),
        ({"account_type": "expense"}, ["account_type"], ['"expense" is not a valid choice.']),
    ],
    "requisition": [
        (TOP, ["external_ref"], UNKNOWN),
        ({"line_items": [_requisition_line(colour="red")]}, ["line_items", 0, "colour"], UNKNOWN),
        ({"line_items": [_requisition_line(quantity=["1"])]}, ["line_items", 0, "quantity"], None),
    ],
    "po": [
        (TOP, ["external_ref"], UNKNOWN),
        ({"procurify_PO": 1}, ["procurify_PO"], UNKNOWN),
        ({"tax": {"value": "1.00", "type": "amount", "rate": "5"}}, ["tax", "rate"], UNKNOWN),
        ({"freight": {"amount": "1"}}, ["freight"], ["A valid number is required."]),
    ],
    "mark-as-paid": [
        (TOP, ["external_ref"], UNKNOWN),
        ({"payment_date": 20260101}, ["payment_date"], None),
    ],
}


def _resource(call: str) -> str:
    return next(name for name in MISFITS if call.startswith(name))


def _named(errors: Any, where: list[Any]) -> Any:
    for step in where:
        errors = errors[step]
    return errors


CASES = [
    pytest.param(call, index, id=f"{call}-{'-'.join(map(str, MISFITS[_resource(call)][index][1]))}")
    for call in CALLS
    for index in range(len(MISFITS[_resource(call)]))
]


@pytest.mark.parametrize(("call", "index"), CASES)
def test_a_misfit_attribute_is_refused_and_named_with_the_other_problems(
    sandbox: Sandbox, call: str, index: int
) -> None:
    method, path, body = CALLS[call](sandbox)
    added, where, message = MISFITS[_resource(call)][index]
    if "line_items" in added:  # the line replaces the body's own line, which carried no misfit
        body = {**body, "line_items": added["line_items"]}
    answer = sandbox.send(method, path, {**body, **added})
    assert answer.status_code == 400, answer.text
    errors = answer.json()
    named = _named(errors, where)
    assert named if message is None else named == message, errors
    # The body's other problem is named too: the misfit is not what hid it, nor it the misfit.
    assert len(errors) > 1 or isinstance(errors.get("line_items"), list), errors


def test_the_lenient_reading_drops_unknown_and_read_only_attributes(sandbox: Sandbox) -> None:
    """Variant ``unknown_attributes=ignored``: DRF's default, the write succeeds and stores none of them."""
    sandbox.variants(unknown_attributes="ignored")
    vendor = _first(sandbox, "/api/v3/vendors/?type=3")
    answer = sandbox.send(
        "PATCH",
        f"/api/v3/vendors/{vendor['id']}/",
        {"comments": "lenient", "external_ref": "A", "dateModified": "2000-01-01T00:00:00Z"},
    )
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    assert data["comments"] == "lenient" and "external_ref" not in data
    assert data["dateModified"] != "2000-01-01T00:00:00Z"
