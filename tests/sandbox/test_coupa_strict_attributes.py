"""Coupa: every written resource refuses an unknown attribute (top level and in a
nested object or line), a read-only one and one of the wrong JSON type, before any other check.

Each body also carries another error that today's sandbox reports (or none it would refuse), so the
answer must be the confirmed 400 ``{"errors": {"<element>": [...]}}`` naming the misfit attribute.
The reference is silent on unknown attributes; the strict reading is the sandbox's default
(``reject_unknown_attributes``, see connector_sandbox/coupa/attributes.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from connector_sandbox.coupa import CoupaSandboxSettings, run_in_thread
from connector_sandbox.coupa.settings import FaultSettings

from .serving import served
from .test_coupa_sandbox import Sandbox, simulators_own_checks  # noqa: F401  (autouse fixture)

pytestmark = pytest.mark.timeout(60)

LINE = {"description": "Gloves", "quantity": "1", "price": "2.00"}
ADDRESS = {"street1": "1 Main St", "city": "Portland"}

# (resource path, element, whether it is a PUT on an existing record, body with another error)
RESOURCES: dict[str, tuple[str, str, bool, dict[str, Any]]] = {
    "supplier-create": ("suppliers", "supplier", False, {"status": "nonsense"}),
    "supplier-update": ("suppliers", "supplier", True, {"status": "nonsense"}),
    "po-create": ("purchase_orders", "order-header", False, {"po-number": "STRICT-1", "order-lines": [LINE]}),
    "po-update": ("purchase_orders", "order-header", True, {"ship-to-address": "not an object"}),
    "invoice-create": (
        "invoices",
        "invoice-header",
        False,
        {"invoice-date": "not-a-date", "invoice-lines": [LINE]},
    ),
    "invoice-update": ("invoices", "invoice-header", True, {"invoice-date": "not-a-date"}),
    "account-create": ("accounts", "account", False, {"code": "STRICT-1"}),
    "account-update": ("accounts", "account", True, {"active": "maybe"}),
    "lookup-value-create": ("lookup_values", "lookup-value", False, {"description": "no name"}),
    "lookup-value-update": ("lookup_values", "lookup-value", True, {"active": "maybe"}),
    "payment-update": ("coupa_pay/payments", "payment", True, {"exported": "maybe"}),
}


def _line_misfits(lines: str, read_only: dict[str, str]) -> dict[str, tuple[dict[str, Any], str]]:
    """A document's misfits inside its ``lines``: an unknown attribute on a line, a read-only one set."""
    (name,) = read_only
    return {
        "nested-unknown": ({lines: [{**LINE, "colour": "red"}]}, f"{lines}[1] colour is an unknown"),
        "line-read-only": ({lines: [{**LINE, **read_only}]}, f"{lines}[1] {name} is read only"),
    }


# Per resource: (attribute added, label the answer must name) for each kind of misfit; every resource also
# refuses an unknown attribute at its top (UNKNOWN).
UNKNOWN = ({"vendor-category": "A"}, "vendor-category is an unknown attribute")
MISFITS: dict[str, dict[str, tuple[dict[str, Any], str]]] = {
    "supplier": {
        "nested-unknown": ({"primary-address": {**ADDRESS, "county": "Multnomah"}}, "county is an unknown"),
        "read-only": ({"created-at": "2025-01-01T00:00:00Z"}, "created-at is read only"),
        "type": ({"on-hold": {"until": "May"}}, "on-hold is not a valid boolean"),
    },
    "order-header": {
        **_line_misfits("order-lines", {"received": "1"}),
        "read-only": ({"total": "2.00"}, "total is read only"),
        "type": ({"order-lines": {"line": LINE}}, "order-lines must be a list of objects"),
    },
    "invoice-header": {
        **_line_misfits("invoice-lines", {"total": "2.00"}),
        "read-only": ({"status": "approved"}, "status is read only"),
        "type": ({"paid": ["yes"]}, "paid is not a valid boolean"),
    },
    "account": {
        "nested-unknown": (
            {"account-type": {"name": "US Chart of Accounts", "colour": "red"}},
            "colour is an unknown",
        ),
        "read-only": ({"updated-at": "2025-01-01T00:00:00Z"}, "updated-at is read only"),
        "type": ({"segment-1": {"code": "SF"}}, "segment-1 is not a valid string"),
    },
    "lookup-value": {
        "nested-unknown": ({"lookup": {"name": "Departments", "colour": "red"}}, "colour is an unknown"),
        "read-only": ({"depth": 2}, "depth is read only"),
        "type": ({"is-default": {"yes": True}}, "is-default is not a valid boolean"),
    },
    "payment": {
        "nested-unknown": ({"pay-to-account": {"name": "Main", "colour": "red"}}, "colour is an unknown"),
        "read-only": ({"created-at": "2025-01-01T00:00:00Z"}, "created-at is read only"),
        "type": ({"pay-from-total": {"amount": "1"}}, "pay-from-total is not a valid decimal"),
    },
}


def _cases() -> Iterator[Any]:
    for name, (path, element, update, body) in RESOURCES.items():
        for kind, (extra, label) in {"unknown": UNKNOWN, **MISFITS[element]}.items():
            yield pytest.param(path, element, update, {**body, **extra}, label, id=f"{name}-{kind}")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    settings = CoupaSandboxSettings(scale=0.1, faults=FaultSettings(rate_limit_enabled=False))
    yield from served(run_in_thread(settings), Sandbox)


@pytest.mark.parametrize(("path", "element", "update", "body", "label"), list(_cases()))
def test_misfit_attribute_is_refused_before_other_checks(
    sandbox: Sandbox, path: str, element: str, update: bool, body: dict[str, Any], label: str
) -> None:
    if update:
        records = sandbox.records(path.rsplit("/", 1)[-1])
        response = sandbox.send("PUT", f"{path}/{records[0]['id']}", body)
    else:
        response = sandbox.send("POST", path, body)
    assert response.status_code == 400, response.text
    messages = response.json()["errors"][element]
    assert any(label in message for message in messages), messages


def test_lenient_reading_is_a_setting(sandbox: Sandbox) -> None:
    """With ``reject_unknown_attributes`` off an unknown attribute is dropped, as Rails would."""
    sandbox.settings(reject_unknown_attributes=False)
    try:
        body = {"name": "Lenient Strict Co", "vendor-category": "A"}
        created = sandbox.ok(sandbox.send("POST", "suppliers", body), 201)
        assert "vendor-category" not in created
    finally:
        sandbox.http.post(f"{sandbox.admin}/settings/reset", timeout=10)
