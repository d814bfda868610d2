"""The Coupa simulator refuses what Coupa's R39 specs and Compass pages say Coupa refuses, naming system,
endpoint and field; our client's requests pass; a JDE debit memo becomes a Coupa credit note tied to its
original invoice. Cheap: one simulator, no Dagster run."""

# Fixtures are imported from coupa_support by name, and pytest passes them back as parameters.
# ruff: noqa: F811
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import requests
from coupa_support import CoupaBox, _fresh_state, box, coupa  # noqa: F401  (fixtures by name)
from jde_coupa_parts import mapped_invoice
from sandbox_logins import client_credentials_token

from connector_resources.coupa import FLOW_SCOPES, CoupaResource, CoupaValidationError
from connector_sandbox.coupa.contract import CONTRACT

WRITER_SCOPES = sorted(set(FLOW_SCOPES["invoices"]))


@pytest.fixture
def writer(box: CoupaBox):
    with coupa(box).session(WRITER_SCOPES) as session:
        yield session


def _token(box: CoupaBox) -> dict[str, str]:
    scope = "core.invoice.read core.invoice.write core.supplier.read core.accounting.read"
    token = client_credentials_token(f"{box.url}/oauth2/token", CoupaResource, scope=scope)
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


def _problems(breaches: Any) -> set[tuple[str, str, str]]:
    return {(b.violation.endpoint, b.violation.field, b.violation.problem) for b in breaches.seen()}


def _supplier_and_account(writer) -> tuple[dict, dict]:  # type: ignore[no-untyped-def]
    supplier = next(s for s in writer.search("suppliers", {"status": "active"}, limit=50) if s.get("number"))
    account = writer.search(
        "accounts", {"active": True, "account_type[name]": "US Chart of Accounts"}, limit=1
    )
    return supplier, account[0]


def test_a_known_bad_invoice_is_refused_naming_system_endpoint_and_field(box: CoupaBox, contract_breaches):
    """``document-type`` is output only; ``frobnicate`` is no invoice field; a line's ``total`` is Coupa's;
    a new line needs its price."""
    body = {
        "invoice-number": "BAD-1",
        "invoice-date": "2026-03-10",
        "document-type": "Credit Note",
        "frobnicate": 1,
        "invoice-lines": [
            {"description": "x", "price": "1.00", "total": "1.00"},
            {"description": "no price"},
        ],
    }
    answer = requests.post(f"{box.url}/api/invoices", json=body, headers=_token(box), timeout=10)
    assert answer.status_code == 400
    words = answer.json()["errors"]["invoice-header"]
    assert any(
        w.startswith("coupa POST /api/invoices: body field 'document-type' output-only") for w in words
    )
    assert _problems(contract_breaches) == {
        ("POST /api/invoices", "document-type", "output-only"),
        ("POST /api/invoices", "frobnicate", "unknown"),
        ("POST /api/invoices", "invoice-lines[0].total", "output-only"),
        ("POST /api/invoices", "invoice-lines[1].price", "required"),
    }
    assert not [r for r in box.records("invoices") if r["invoice-number"] == "BAD-1"]  # nothing stored


def test_query_forms_and_endpoints_are_the_documented_ones(box: CoupaBox, contract_breaches):
    headers = _token(box)
    bad_time = requests.get(
        f"{box.url}/api/invoices", params={"updated_at[gt_or_eq]": "yesterday"}, headers=headers, timeout=10
    )
    text_on_time = requests.get(
        f"{box.url}/api/invoices", params={"updated-at[contains]": "2026"}, headers=headers, timeout=10
    )
    paging = requests.get(f"{box.url}/api/invoices", params={"limit": "fifty"}, headers=headers, timeout=10)
    nowhere = requests.put(f"{box.url}/api/invoices/1/pay", headers=headers, timeout=10)
    assert (bad_time.status_code, text_on_time.status_code, paging.status_code) == (400, 400, 400)
    assert nowhere.status_code == 404
    assert _problems(contract_breaches) == {
        ("GET /api/invoices", "updated_at[gt_or_eq]", "form"),
        ("GET /api/invoices", "updated-at[contains]", "not"),
        ("GET /api/invoices", "limit", "form"),
        ("PUT /api/invoices/1/pay", "", "no such endpoint"),
    }


def test_the_clients_reads_and_writes_pass_the_contract(box: CoupaBox, writer, contract_breaches):
    """What the flows send (a change-feed read, a search, an invoice create, a mark-exported) breaks
    nothing Coupa documents; the simulator's answers fit the specs' models."""
    supplier, account = _supplier_and_account(writer)
    rows = list(writer.iter_changed("invoices", *_window(box)))
    created = writer.create_invoice(
        {
            "invoice-number": "OK-1",
            "supplier": {"number": supplier["number"]},
            "invoice-date": date(2026, 3, 10),
            "currency": {"code": "USD"},
            "invoice-lines": [
                {"description": "Gloves", "price": Decimal("24.50"), "account": {"code": account["code"]}}
            ],
        }
    )
    assert created["document-type"] == "Invoice" and rows is not None
    assert contract_breaches.seen() == []


def _window(box: CoupaBox):  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta

    end = datetime.now(UTC)
    return end - timedelta(days=2), end


def _debit_memo(number: str, account: str, original: dict | None) -> Any:
    memo = [
        {
            "KCO": "00001",
            "DOC": 70002,
            "DCT": "PD",
            "AN8": 4343,
            "VINV": number,
            "PO": "",
            "DIVJ": date(2026, 3, 20),
            "SFX": "001",
            "AG": Decimal("-120.00"),
            "STAM": Decimal("0"),
            "ODOC": 70001,
            "ODCT": "PV",
        }
    ]
    line = [{"JELN": 10, "ANI": "1.6110", "AA": Decimal("-120.00"), "EXA": "returned goods"}]
    return mapped_invoice(("00001", 70002, "PD"), memo, {}, line, {"1.6110": account}, original)


def test_a_jde_debit_memo_is_created_as_a_coupa_credit_note_tied_to_its_original_invoice(
    box: CoupaBox, writer, contract_breaches
):
    supplier, account = _supplier_and_account(writer)
    original = {"VINV": "INV-ORIG-7", "DIVJ": date(2026, 3, 2)}
    mapped = _debit_memo("CM-7", account["code"], original)
    body = {**mapped.body, "supplier": {"number": supplier["number"]}}
    created = writer.create_invoice(body)
    assert created["document-type"] == "Credit Note" and created["is-credit-note"] is True
    assert created["original-invoice-number"] == "INV-ORIG-7"
    assert created["original-invoice-date"][:10] == "2026-03-02"
    assert [line["price"] for line in created["invoice-lines"]][0].startswith("-120")
    assert contract_breaches.seen() == []


def test_a_credit_note_without_its_original_invoice_is_refused(box: CoupaBox, writer, contract_breaches):
    supplier, account = _supplier_and_account(writer)
    body = {
        "invoice-number": "CM-8",
        "supplier": {"number": supplier["number"]},
        "invoice-date": date(2026, 3, 20),
        "currency": {"code": "USD"},
        "is-credit-note": True,
        "invoice-lines": [
            {"description": "x", "price": Decimal("-5.00"), "account": {"code": account["code"]}}
        ],
    }
    with pytest.raises(CoupaValidationError, match="original-invoice-number"):
        writer.create_invoice(body)
    assert _problems(contract_breaches) == {
        ("POST /api/invoices", "original-invoice-number", "required"),
        ("POST /api/invoices", "original-invoice-date", "required"),
    }


def test_the_contract_names_its_artifacts_and_every_endpoint_the_client_calls():
    assert all(a.version and a.licence for a in CONTRACT.artifacts)
    for endpoint in (
        "POST /oauth2/token",
        "GET /api/invoices",
        "POST /api/invoices",
        "PUT /api/invoices/{id}",
        "PUT /api/invoices/{id}/submit",
        "GET /api/coupa_pay/payments",
        "PUT /api/coupa_pay/payments/{id}",
        "POST /api/suppliers",
        "PUT /api/purchase_orders/{id}/issue",
        "GET /api/lookup_values",
        "GET /api/payment_terms",
    ):
        assert endpoint in CONTRACT.endpoints()
