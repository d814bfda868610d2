"""Procurify's published contract at the simulator's door: a request Procurify's OpenAPI refuses is refused
naming system, endpoint and field; the PO update our client builds is the one the spec requires."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from connector_resources.procurify import ProcurifyResource
from connector_resources.procurify.po_revisions import full_revision
from connector_resources.procurify.values import json_body
from connector_sandbox.procurify.contract import CONTRACT
from connector_sandbox.procurify.contract_models import PO_UPDATE_BODY
from tests.sandbox.test_procurify_sandbox import CLIENT_ID, CLIENT_SECRET, Sandbox, start

from .serving import served

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    yield from served(start())


@pytest.fixture
def procurify(box: Sandbox) -> str:
    return box.base


def token_headers(url: str) -> dict[str, str]:
    return Sandbox(url).headers()


def sandbox_session(url: str) -> Any:
    resource = ProcurifyResource(
        base_url=url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, rate_per_second=0, backoff_base=0.05
    )
    return resource.session()


def _fields(breaches: Any) -> set[tuple[str, str]]:
    return {(b.violation.field, b.violation.problem) for b in breaches}


def test_every_endpoint_cites_an_artifact_and_covers_the_api_paths() -> None:
    assert all(op.source for op in CONTRACT.operations)
    assert CONTRACT.covers("/api/v3/vendors/") and CONTRACT.covers("/oauth/token")
    assert not CONTRACT.covers("/sandbox/variants")
    assert "PUT /api/v3/purchase-orders/{procurify_PO}/" in CONTRACT.endpoints()


def test_a_po_num_write_back_missing_the_required_fields_is_refused_naming_each(
    procurify: str, contract_breaches: Any
) -> None:
    headers = token_headers(procurify)
    number = first_po(procurify, headers)["procurify_PO"]
    answer = requests.put(
        f"{procurify}/api/v3/purchase-orders/{number}/",
        json={"PO_Num": "JDE 1", "confirm_duplicate_external_po_number": True, "payment_terms": "Net 30"},
        headers=headers,
        timeout=10,
    )
    assert answer.status_code == 400
    said = answer.json()
    assert "procurify PUT /api/v3/purchase-orders/{procurify_PO}/" in said["version"][0]
    seen = _fields(contract_breaches.seen())
    for name in ("version", "buyer_name", "receiver_address", "order_items", "tax", "discount"):
        assert (name, "required") in seen
    assert ("confirm_duplicate_external_po_number", "unknown") in seen  # a query parameter, not a field
    assert ("payment_terms", "unknown") in seen  # the update sets terms by *_ref ids


def test_a_line_without_its_custom_fields_is_refused(procurify: str, contract_breaches: Any) -> None:
    headers = token_headers(procurify)
    po = first_po(procurify, headers)
    body, _ = full_revision(po, {"PO_Num": "JDE 2"})
    body = json_body(body, "PO")
    body["order_items"][0].pop("custom_fields")
    body["order_items"][0]["total_cost"] = "1.00"
    answer = requests.put(
        f"{procurify}/api/v3/purchase-orders/{po['procurify_PO']}/", json=body, headers=headers, timeout=10
    )
    assert answer.status_code == 400
    assert _fields(contract_breaches.seen()) == {
        ("order_items[0].custom_fields", "required"),
        ("order_items[0].total_cost", "unknown"),
    }


def test_the_client_revision_is_what_the_spec_requires_and_the_sandbox_takes_it(procurify: str) -> None:
    with sandbox_session(procurify) as session:
        po = next(iter(session.iter_all("purchase_orders", filters={"status": "open"})))
        number = int(po["procurify_PO"])
        current = session.get("purchase_orders", number)
        body, _ = full_revision(current, {"PO_Num": f"JDE {number}"})
        assert set(PO_UPDATE_BODY["required"]) <= set(body)
        assert all("custom_fields" in line for line in body["order_items"])
        revised = session.revise_purchase_order(number, {"PO_Num": f"JDE {number}"}, current=current)
        assert revised["PO_Num"] == f"JDE {number}"
        assert session.get("purchase_orders", number)["version"] == current["version"] + 1


def test_an_endpoint_procurify_does_not_publish_is_a_404_and_a_breach(
    procurify: str, contract_breaches: Any
) -> None:
    answer = requests.get(
        f"{procurify}/api/v3/account-codes/1/", headers=token_headers(procurify), timeout=10
    )
    assert answer.status_code == 404
    assert [b.violation.problem for b in contract_breaches.seen()] == ["no such endpoint"]


def test_a_payments_window_as_a_date_is_refused_as_the_wrong_form(
    procurify: str, contract_breaches: Any
) -> None:
    answer = requests.get(
        f"{procurify}/api/public/v1/payments/",
        params={"updated_at_after": "2026-11-08"},
        headers=token_headers(procurify),
        timeout=10,
    )
    assert answer.status_code == 400
    assert _fields(contract_breaches.seen()) == {("updated_at_after", "form")}


def first_po(url: str, headers: dict[str, str]) -> dict[str, Any]:
    listed = requests.get(f"{url}/api/v2/purchase_orders/purchased/open/", headers=headers, timeout=10).json()
    number = listed["data"][0]["procurify_PO"]
    return requests.get(f"{url}/api/v2/purchase_orders/{number}/", headers=headers, timeout=10).json()["data"]


def test_vendor_types_are_asked_by_name_each_repeated_not_as_a_comma_list_of_codes(
    procurify: str, contract_breaches: Any
) -> None:
    headers = token_headers(procurify)
    url = f"{procurify}/api/v3/vendors/"
    codes = requests.get(url, params={"type__in": "3,4"}, headers=headers, timeout=10)
    assert codes.status_code == 400
    assert {b.violation.field for b in contract_breaches.seen()} == {"type__in"}  # not a type name
    names = requests.get(
        url, params=[("type__in", "preferred"), ("type__in", "regular")], headers=headers, timeout=10
    )
    assert names.status_code == 200
    assert {vendor["type"] for vendor in names.json()["data"]} <= {3, 4}
    assert len(contract_breaches.seen()) == 1


def test_a_vendor_create_without_type_and_score_is_refused_and_the_client_sends_both(
    procurify: str, contract_breaches: Any
) -> None:
    bare = {"name": "Contract Check Co", "email": ["ap@check.example"]}
    answer = requests.post(
        f"{procurify}/api/v3/vendors/", json=bare, headers=token_headers(procurify), timeout=10
    )
    assert answer.status_code == 400 and set(answer.json()) == {"type", "overall_score"}
    with sandbox_session(procurify) as session:
        made = session.create_vendor({**bare, "external_id": "CONTRACT-1"})
    assert made["type"] == 3


def test_an_account_code_created_with_active_is_refused_naming_the_field(
    procurify: str, contract_breaches: Any
) -> None:
    from connector_resources.procurify.errors import ProcurifyValidationError

    made = requests.post(
        f"{procurify}/api/v3/account-codes/",
        json={"code": "CONTRACT-AC1", "description": "Contract check", "active": True},
        headers=token_headers(procurify),
        timeout=10,
    )
    assert made.status_code == 400 and set(made.json()) == {"active"}
    assert ("active", "unknown") in _fields(contract_breaches.seen())
    # the client never sends it on a create
    with sandbox_session(procurify) as session, pytest.raises(ProcurifyValidationError, match="active"):
        session.create_account_code({"code": "CONTRACT-AC1", "description": "x", "active": True})


class _ProcurifyIgnoringActive:
    """A session over a Procurify that keeps a code's ``active`` whatever a PUT says (AccountCodeUpdateRequest
    has no such field), as DRF drops an unknown field."""

    def __init__(self, row: dict[str, Any]) -> None:
        self.row = row

    def iter_all(self, entity: str) -> list[dict[str, Any]]:
        return [dict(self.row)]

    def update_account_code(self, code_id: int, body: dict[str, Any]) -> dict[str, Any]:
        self.row.update({k: v for k, v in body.items() if k in ("code", "description", "account_type")})
        return dict(self.row)


def test_a_code_procurify_keeps_on_or_off_against_the_erp_asks_a_person_to_switch_it() -> None:
    from connector_assets.flows.core import Mapped
    from connector_assets.procurify.account_codes import CodeSwitchOff, ProcurifyAccountCodeTarget
    from connector_resources.refusal_actions import action_for, timed

    session = _ProcurifyIgnoringActive({"id": 4, "code": "6100", "description": "Old", "active": True})
    closed = Mapped("1.6110", {"code": "6100", "description": "New", "active": False}, {}, {"code": "6100"})
    with pytest.raises(CodeSwitchOff) as raised:
        ProcurifyAccountCodeTarget(session).update("4", closed)
    refusal = raised.value.refusal
    assert "switch it off in Procurify by hand" in refusal.sentence and "6100" in refusal.sentence
    assert timed(refusal) and action_for(refusal.group, refusal.params).startswith("In Procurify: switch")
    assert session.row["description"] == "New"  # the rest was written
    session.row["active"] = False  # the admin, in Procurify
    ProcurifyAccountCodeTarget(session).update("4", closed)  # the replay: nothing left to ask
    opened = Mapped("1.6110", {"code": "6100", "description": "New", "active": True}, {}, {"code": "6100"})
    with pytest.raises(CodeSwitchOff, match="switch it on in Procurify by hand"):
        ProcurifyAccountCodeTarget(session).update("4", opened)


def test_an_admin_switches_a_code_off_in_the_sandbox(procurify: str) -> None:
    with sandbox_session(procurify) as session:
        code = session.create_account_code({"code": "CONTRACT-AC4", "description": "Admin check"})
        switched = requests.post(
            f"{procurify}/sandbox/account-codes/{code['id']}/active", json={"active": False}, timeout=10
        )
        assert switched.status_code == 200
        assert session.find_account_code("CONTRACT-AC4")["active"] is False


def test_a_requisition_without_required_date_line_currency_or_vendor_is_refused_naming_each(
    procurify: str, contract_breaches: Any
) -> None:
    line = {
        "item_name": "Gloves",
        "vendor_name": None,
        "account_code": "6100",
        "unit_price": "1.00",
        "quantity": "1",
        "unit": "box",
        "custom_fields": [],
    }
    body = {"location_name": "Head Office", "department_name": "Finance", "line_items": [line]}
    answer = requests.post(
        f"{procurify}/api/v3/requisitions/", json=body, headers=token_headers(procurify), timeout=10
    )
    assert answer.status_code == 400 and {"required_date", "line_items"} <= set(answer.json())
    seen = {field for field, _problem in _fields(contract_breaches.seen())}
    assert {"required_date", "line_items[0].currency_code", "line_items[0].vendor_name"} <= seen


def test_a_jde_order_s_currency_and_required_date_come_from_the_order_or_a_named_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from jde_procurify_parts import missing_required, order_currency, required_date

    monkeypatch.delenv("ML_JDE_PROCURIFY_ORDER_CURRENCY", raising=False)
    monkeypatch.delenv("ML_JDE_PROCURIFY_REQUIRED_DATE", raising=False)
    header = {"KCOO": "00001", "DOCO": 7, "DCTO": "OP", "TRDJ": "2025-03-01"}
    assert order_currency({**header, "CRCD": "eur"}) == "EUR"
    assert order_currency(header, [{"CRCD": ""}, {"CRCD": "CAD"}]) == "CAD"  # the lines' own
    field, why = missing_required(header, [{"CRCD": ""}])  # neither: refused naming field and setting
    assert field == "F4301 CRCD" and "ML_JDE_PROCURIFY_ORDER_CURRENCY" in why
    monkeypatch.setenv("ML_JDE_PROCURIFY_ORDER_CURRENCY", "USD")
    assert order_currency(header) == "USD"
    field, why = missing_required(header, [])  # the default refuses an order with no requested date
    assert field == "F4301 DRQJ" and "ML_JDE_PROCURIFY_REQUIRED_DATE=order_date" in why
    assert required_date({**header, "DRQJ": "2025-03-20"}) == "2025-03-20"
    monkeypatch.setenv("ML_JDE_PROCURIFY_REQUIRED_DATE", "order_date")
    assert required_date(header) == "2025-03-01" and missing_required(header, []) is None
