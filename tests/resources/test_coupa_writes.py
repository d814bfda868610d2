"""Coupa writes against the simulator: validation errors, natural-key search, no duplicates.

Two kinds of lost answer, both after the write was applied: the simulator's gateway timeout (a 504
after the handler ran, per its README) and ``LosingProxy``, a real proxy that resets the connection
instead of passing the answer on. That is the case the ledger's search-before-create exists for.
"""

# Fixtures are imported from test_coupa_support by name, and pytest passes them back as parameters.
# ruff: noqa: F811

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from coupa_support import (  # noqa: F401  (fixtures by name)
    CoupaBox,
    LosingProxy,
    _fresh_state,
    box,
    coupa,
)

from connector_resources.coupa import (
    FLOW_SCOPES,
    CoupaInputError,
    CoupaNotFoundError,
    CoupaOutcomeUnknownError,
    CoupaSession,
    CoupaValidationError,
)

WRITER_SCOPES = sorted(
    set(FLOW_SCOPES["suppliers"] + FLOW_SCOPES["purchase_orders"] + FLOW_SCOPES["invoices"])
)


@pytest.fixture
def writer(box: CoupaBox):
    """A session that may write suppliers, purchase orders and invoices."""
    with coupa(box).session(WRITER_SCOPES) as session:
        yield session


def an_active_supplier(session: CoupaSession) -> dict[str, Any]:
    return next(s for s in session.search("suppliers", {"status": "active"}, limit=50) if s.get("number"))


def a_usd_account(session: CoupaSession) -> dict[str, Any]:
    return session.search(
        "accounts", {"active": True, "account_type[name]": "US Chart of Accounts"}, limit=1
    )[0]


def invoice_fields(supplier: dict, account: dict, number: str, **extra: Any) -> dict[str, Any]:
    return {
        "invoice-number": number,
        "supplier": {"number": supplier["number"]},
        "invoice-date": date(2026, 3, 10),
        "currency": {"code": "USD"},
        "invoice-lines": [
            {
                "description": "Safety gloves (box)",
                "quantity": Decimal("10"),
                "price": Decimal("24.50"),
                "account": {"code": account["code"]},
            },
            {"description": "Freight", "price": Decimal("0.10"), "account": {"code": account["code"]}},
        ],
        **extra,
    }


def lose_the_next_answer(box: CoupaBox) -> None:
    """Writes still happen, but their answer becomes a 504 after the fact."""
    box.faults(gateway_timeout_ms=1, latency_per_record_ms=20)


def count(box: CoupaBox, resource: str) -> int:
    return box.state()["row_counts"][resource]


# -- creates, amounts, validation -------------------------------------------------------------------


def test_an_invoice_is_created_with_decimal_amounts_and_found_by_number_and_supplier(box, writer):
    supplier, account = an_active_supplier(writer), a_usd_account(writer)
    created = writer.create_invoice(invoice_fields(supplier, account, "JDE-V-1001"))
    assert created["status"] == "draft" and created["id"]
    assert Decimal(created["gross-total"]) == Decimal("245.10")  # 10 x 24.50 + 0.10, no float drift
    assert [Decimal(line["price"]) for line in created["invoice-lines"]] == [
        Decimal("24.50"),
        Decimal("0.10"),
    ]
    assert created["invoice-date"].startswith("2026-03-10")  # sent date-only, the day is kept
    found = writer.find_invoice("JDE-V-1001", {"number": supplier["number"]})
    assert found is not None and found["id"] == created["id"]
    assert writer.find_invoice("JDE-V-1001", {"id": supplier["id"]})["id"] == created["id"]
    assert writer.find_invoice("JDE-V-1001", {"number": "no-such-supplier"}) is None


def test_floats_and_date_times_are_refused_before_sending_naming_record_and_field(box, writer):
    supplier, account = an_active_supplier(writer), a_usd_account(writer)
    calls = writer.metrics.calls
    fields = invoice_fields(supplier, account, "JDE-V-FLOAT")
    fields["invoice-lines"][1]["price"] = 0.1
    with pytest.raises(
        CoupaInputError, match=r"invoice JDE-V-FLOAT .*invoice-lines\[2\]\.price: 0\.1 is a binary float"
    ) as e:
        writer.create_invoice(fields)
    assert e.value.field == "invoice-lines[2].price"
    with pytest.raises(CoupaInputError, match="invoice-date .* send a date only"):
        writer.create_invoice(
            invoice_fields(supplier, account, "JDE-V-DT", **{"invoice-date": "2026-03-10T00:00:00Z"})
        )
    missing = invoice_fields(supplier, account, "JDE-V-NOACCT")
    del missing["invoice-lines"][0]["account"]
    with pytest.raises(CoupaInputError, match=r"invoice-lines\[1\]\.account is required"):
        writer.create_invoice(missing)
    with pytest.raises(CoupaInputError, match="at most 40"):
        writer.create_invoice(invoice_fields(supplier, account, "X" * 41))
    assert writer.metrics.calls == calls


@pytest.mark.parametrize("status", [400, 422])
def test_coupa_validation_errors_carry_its_words_the_record_and_the_field(box, status):
    box.settings(validation_error_status=status)
    with coupa(box).session(flow="invoices") as session:
        supplier, account = an_active_supplier(session), a_usd_account(session)
        fields = invoice_fields(supplier, account, f"JDE-V-BAD-{status}")
        fields["invoice-lines"][1]["account"] = {"code": "99999-0000-0000"}
        with pytest.raises(CoupaValidationError) as caught:
            session.create_invoice(fields)
        error = caught.value
        assert error.status == status
        assert f"invoice JDE-V-BAD-{status} of supplier {supplier['number']}" in str(error)
        assert error.fields == ("invoice-lines[2].account",)
        assert "Invoice line 2" in error.messages[0].text and error.messages[0].element == "invoice-header"

        session.create_invoice(invoice_fields(supplier, account, f"JDE-V-DUP-{status}"))
        with pytest.raises(CoupaValidationError, match="already been taken") as dup:
            session.create_invoice(invoice_fields(supplier, account, f"JDE-V-DUP-{status}"))
        assert dup.value.already_taken and "invoice-number" in dup.value.fields


def test_suppliers_are_created_active_and_found_by_number_tax_id_and_name(box, writer):
    fields = {
        "name": "Cascade Rebar & Mesh",
        "number": "JDE-44120",
        "tax-id": "93-7654321",
        "po-method": "email",
        "po-email": "orders@cascade.example",
        "payment-term": {"code": "Net 30"},
        "primary-address": {"street1": "1 Mill St", "city": "Tacoma", "state": "WA", "postal-code": "98402",
                            "country": {"code": "US"}},
    }  # fmt: skip
    created = writer.create_supplier(fields)
    assert created["status"] == "active"  # Coupa's own default would be a draft
    assert writer.find_supplier(number="JDE-44120")["id"] == created["id"]
    assert writer.find_supplier(tax_id="93-7654321")["id"] == created["id"]
    assert writer.find_supplier(name=" cascade rebar & mesh")["id"] == created["id"]  # case, edges
    assert writer.find_supplier(number="JDE-nope", name="Cascade Rebar & Mesh")["id"] == created["id"]
    assert writer.find_supplier(number="JDE-nope") is None
    updated = writer.update_supplier(created["id"], {"status": "inactive", "name": "Cascade Rebar & Mesh"})
    assert updated["status"] == "inactive"
    with pytest.raises(CoupaNotFoundError, match="not found"):
        writer.update_supplier(987654, {"status": "inactive"})


def test_an_external_purchase_order_is_created_with_lines_on_accounts(box, writer):
    supplier, account = an_active_supplier(writer), a_usd_account(writer)
    created = writer.create_purchase_order(
        {
            "po-number": "JDE-OP-5501",
            "supplier": {"number": supplier["number"]},
            "currency": {"code": "USD"},
            "order-lines": [
                {
                    "line-num": 1,
                    "description": "Rebar #4",
                    "quantity": 12,
                    "price": Decimal("8.75"),
                    "account": {"code": account["code"]},
                },
                {
                    "line-num": 2,
                    "description": "Delivery",
                    "price": "40.00",
                    "account": {"id": account["id"]},
                },
            ],
        }  # fmt: skip
    )
    assert created["type"] == "ExternalOrderHeader"
    assert Decimal(created["total"]) == Decimal("145.00")
    assert [line["account"]["code"] for line in created["order-lines"]] == [account["code"]] * 2
    assert writer.find_purchase_order("JDE-OP-5501")["id"] == created["id"]
    assert writer.find_purchase_order("JDE-OP-NONE") is None
    with pytest.raises(CoupaInputError, match="only creates ExternalOrderHeader"):
        writer.create_purchase_order({**created, "po-number": "JDE-OP-5502", "type": "OrderHeader"})
    with pytest.raises(CoupaInputError, match="at most 20"):
        writer.create_purchase_order({"po-number": "P" * 21, "supplier": {"id": 1}, "order-lines": [{}]})


def test_lines_added_by_update_and_state_actions_are_sent_once(box, writer):
    supplier, account = an_active_supplier(writer), a_usd_account(writer)
    line = {"description": "Formwork", "quantity": 2, "price": "55.00", "account": {"code": account["code"]}}
    order = writer.create_purchase_order(
        {"po-number": "JDE-OP-6001", "supplier": {"number": supplier["number"]}, "order-lines": [line]}
    )
    box.faults(fail_next=1, fail_next_status=500)  # an ambiguous failure: may have been applied
    with pytest.raises(CoupaOutcomeUnknownError, match="purchase order JDE-OP-6001"):
        writer.update_purchase_order(
            order["id"], {"po-number": "JDE-OP-6001", "order-lines": [{**line, "line-num": 2}]}
        )
    assert writer.metrics.statuses[500] == 1  # adding a line is not replayed
    changed = writer.update_purchase_order(order["id"], {"order-lines": [{**line, "line-num": 2}]})
    assert len(changed["order-lines"]) == 2

    invoice = writer.create_invoice(invoice_fields(supplier, account, "JDE-V-4001"))
    submitted = writer.invoice_action(invoice["id"], "submit")
    assert submitted["status"] != "draft"
    with pytest.raises(CoupaInputError, match="action 'approve' is not one of"):
        writer.invoice_action(invoice["id"], "approve")
    with pytest.raises(CoupaValidationError, match="can't be changed|does not allow"):
        writer.update_invoice(invoice["id"], {"invoice-date": date(2026, 3, 11)})


# -- search before create ----------------------------------------------------------------------------


def test_search_then_create_never_duplicates_even_when_the_create_answer_is_lost(box, writer):
    supplier, account = an_active_supplier(writer), a_usd_account(writer)
    ref = {"number": supplier["number"]}
    before = count(box, "invoices")
    assert writer.find_invoice("JDE-V-2001", ref) is None
    first = writer.create_invoice(invoice_fields(supplier, account, "JDE-V-2001"))
    assert writer.find_invoice("JDE-V-2001", ref)["id"] == first["id"]

    # A crashed earlier attempt: the create happened, its caller only saw a 504.
    posts = box.calls("POST /api/invoices")
    lose_the_next_answer(box)
    with pytest.raises(CoupaOutcomeUnknownError, match="may or may not have been applied") as lost:
        writer.create_invoice(invoice_fields(supplier, account, "JDE-V-2002"))
    assert (
        lost.value.status == 504
        and lost.value.record == f"invoice JDE-V-2002 of supplier {supplier['number']}"
    )
    assert box.calls("POST /api/invoices") == posts + 1  # a create is never replayed blindly
    box.faults(gateway_timeout_ms=0, latency_per_record_ms=0)
    assert writer.find_invoice("JDE-V-2002", ref) is not None  # the search finds what the lost create made
    assert box.calls("POST /api/invoices") == posts + 1
    assert count(box, "invoices") == before + 2

    # The answer to this very call is lost (connection reset): the create says so; the search finds it.
    with LosingProxy(box.url) as proxy, coupa(box, base_url=proxy.url).session(flow="invoices") as session:
        proxy.lose_next("POST", "/api/invoices")
        with pytest.raises(CoupaOutcomeUnknownError):
            session.create_invoice(invoice_fields(supplier, account, "JDE-V-2003"))
        assert session.find_invoice("JDE-V-2003", ref) is not None
        assert len(proxy.hits("/api/invoices", "POST")) == 1
    assert count(box, "invoices") == before + 3


def test_a_search_by_natural_key_finds_a_supplier_created_meanwhile_and_a_po_already_there(box, writer):
    fields = {"name": "Basalt Aggregates", "number": "JDE-51000", "tax-id": "91-0000001"}
    suppliers = count(box, "suppliers")
    with LosingProxy(box.url) as proxy, coupa(box, base_url=proxy.url).session(flow="suppliers") as session:
        proxy.lose_next("POST", "/api/suppliers")
        with pytest.raises(CoupaOutcomeUnknownError):
            session.create_supplier(fields)
        made = session.find_supplier(number="JDE-51000")
        assert made is not None
    # Another number, same tax id and name: the search falls back to them and finds the same supplier.
    again = writer.find_supplier(number="JDE-51001", tax_id=fields["tax-id"], name=fields["name"])
    assert again is not None and again["id"] == made["id"]
    assert count(box, "suppliers") == suppliers + 1

    supplier, account = an_active_supplier(writer), a_usd_account(writer)
    line = {"description": "Gravel", "quantity": 3, "price": "10.00", "account": {"code": account["code"]}}
    po = {"po-number": "JDE-OP-7001", "supplier": {"id": supplier["id"]}, "order-lines": [line]}
    assert writer.find_purchase_order("JDE-OP-7001") is None
    created = writer.create_purchase_order(po)
    assert writer.find_purchase_order("JDE-OP-7001")["id"] == created["id"]


def test_a_503_storm_on_create_is_retried_because_coupa_refused_before_doing_anything(box, writer):
    supplier, account = an_active_supplier(writer), a_usd_account(writer)
    before = count(box, "invoices")
    box.faults(fail_next=2, fail_next_status=503)
    created = writer.create_invoice(invoice_fields(supplier, account, "JDE-V-3001"))
    assert created["id"] and count(box, "invoices") == before + 1
    assert writer.metrics.statuses[503] == 2


# -- payments and export marks -------------------------------------------------------------------------


def test_an_erp_payment_is_recorded_once_even_when_its_answer_is_lost(box):
    with (
        LosingProxy(box.url) as proxy,
        coupa(box, base_url=proxy.url).session(flow="invoice_payments") as session,
    ):
        invoice = next(
            i
            for i in session.search("invoices", {"status": "approved", "paid": False}, limit=20)
            if not i["payments"]
        )
        path = f"/api/invoices/{invoice['id']}"
        total = Decimal(invoice["total-with-taxes"])
        assert session.find_invoice_payment(invoice, notes="JDE check 100234") is None
        first = session.record_invoice_payment(
            invoice["id"],
            amount=total - Decimal("0.01"),
            payment_date=date(2026, 4, 5),
            notes="JDE check 100234",
        )
        # What tells a second attempt not to record it again: the payment is found on the invoice.
        again = session.get("invoices", invoice["id"])
        assert session.find_invoice_payment(again, notes="JDE check 100234", amount=total - Decimal("0.01"))
        assert first["id"] == again["id"]
        proxy.lose_next("PUT", path)
        with pytest.raises(CoupaOutcomeUnknownError):
            session.record_invoice_payment(
                invoice["id"],
                amount=Decimal("0.01"),
                payment_date=date(2026, 4, 6),
                notes="JDE check 100299",
                paid=True,
            )
        after = session.get("invoices", invoice["id"])
        assert session.find_invoice_payment(after, notes="JDE check 100299", amount=Decimal("0.01"))
        assert len(proxy.hits(path, "PUT")) == 2  # an appending PUT is never replayed
        final = session.get("invoices", invoice["id"])
    payments = final["payments"]
    assert [p["notes"] for p in payments] == ["JDE check 100234", "JDE check 100299"]
    assert sum(Decimal(p["amount-paid"]) for p in payments) == total
    assert final["paid"] is True


def test_marking_exported_is_a_separate_put_and_needs_the_write_scope(box):
    with coupa(box).session(flow="polling") as session:
        invoice = session.search("invoices", {"exported": False, "status": "approved"}, limit=1)[0]
        marked = session.mark_exported("invoices", invoice["id"])
        assert marked["exported"] is True
        with pytest.raises(CoupaInputError, match="only invoices, purchase_orders, payments"):
            session.mark_exported("suppliers", 1)
    with coupa(box).session() as reader, pytest.raises(Exception, match=r"core\.invoice\.write"):
        reader.mark_exported("invoices", invoice["id"])
