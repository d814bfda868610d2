"""The Procurify sandbox in currencies of 0 and 3 decimals: a vendor in yen and one in dinars are seeded
with a paid bill and its payment each; money is stored in its currency's minor unit and rendered with its
decimals (whole yen, fils); ``POST /sandbox/bills`` enters a bill in a chosen currency; filters and the
bills' summary compare and add money across currencies exactly."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests

from tests.sandbox.test_procurify_sandbox import Sandbox, start

from .serving import served

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    yield from served(start())


def decimals(text: str) -> int:
    return len(text.partition(".")[2])


def currency_of(sandbox: Sandbox, code: str) -> int:
    """The currency id of ``code``, as a yen or dinar bill names it."""
    bills = sandbox.all_pages("/api/v3/ap/bills/")
    return next(b["currency"]["id"] for b in bills if b["currency"]["name"] == code)


@pytest.mark.parametrize(("code", "places"), [("JPY", 0), ("KWD", 3)])
def test_a_seeded_vendor_bills_and_is_paid_in_its_currency_with_its_decimals(
    sandbox: Sandbox, code: str, places: int
) -> None:
    currency = currency_of(sandbox, code)
    # The seeded bill is the first in the currency (other tests of the module may enter more).
    seeded = min(sandbox.all_pages("/api/v3/ap/bills/", {"currency": currency}), key=lambda b: b["id"])
    assert seeded["status"] == 4 and seeded["currency"]["name"] == code
    full = sandbox.ok(f"/api/v2/ap/bills/{seeded['uuid']}/")["data"]
    for item in full["items"]:
        assert decimals(item["unit_cost"]) == decimals(item["total_cost"]) == places, item
        assert decimals(item["quantity"]) == 2  # quantities keep two decimals whatever the currency
    items = sum(Decimal(item["total_cost"]) for item in full["items"])
    assert Decimal(full["subtotal_cost"]) == items and decimals(full["subtotal_cost"]) == places
    total = Decimal(full["subtotal_cost"]) + Decimal(full["tax_amount"])
    assert Decimal(str(seeded["total_cost_with_tax"])) == total
    vendor = sandbox.ok(f"/api/v3/vendors/{seeded['vendor']['id']}/")["data"]
    assert vendor["currency"] == currency
    [payment] = sandbox.all_pages("/api/public/v1/payments/", {"bill_groups": str(seeded["group"])})
    assert payment["currency"] == {"id": currency, "name": code} and payment["status"] == "paid"
    assert Decimal(payment["amount"]) == total and decimals(payment["amount"]) == places
    assert full["bill_payment"]["amount"] == payment["amount"]
    # payment_amount compares the figure as written in the payment's currency.
    found = sandbox.all_pages("/api/public/v1/payments/", {"payment_amount": payment["amount"]})
    assert payment["id"] in [p["id"] for p in found]


def test_a_bill_is_entered_in_a_chosen_currency_and_paid_in_it(sandbox: Sandbox) -> None:
    made = sandbox.post_admin("bills", currency="KWD", status=2)
    assert made["currency"] == "KWD"
    bill = sandbox.ok(f"/api/v2/ap/bills/{made['bill_uuid']}/")["data"]
    assert (bill["status"], bill["currency"]["name"], bill["type"]) == (2, "KWD", 1)
    assert all(decimals(item["total_cost"]) == 3 for item in bill["items"])
    paid = sandbox.post_admin("payments", bill_uuids=[made["bill_uuid"]], amount="1.234")
    [payment] = sandbox.all_pages("/api/public/v1/payments/", {"ids": str(paid["payment_id"])})
    assert payment["amount"] == "1.234"
    by_vendor = sandbox.post_admin("bills", vendor=made["vendor"])
    assert by_vendor["currency"] == "KWD"
    assert sandbox.ok(f"/api/v2/ap/bills/{by_vendor['bill_uuid']}/")["data"]["status"] == 1


def test_no_vendor_in_a_currency_or_an_unknown_vendor_is_refused(sandbox: Sandbox) -> None:
    nobody = requests.post(f"{sandbox.base}/sandbox/bills", json={"currency": "XAU"}, timeout=10)
    unknown = requests.post(f"{sandbox.base}/sandbox/bills", json={"vendor": 999_999}, timeout=10)
    neither = requests.post(f"{sandbox.base}/sandbox/bills", json={}, timeout=10)
    assert (nobody.status_code, unknown.status_code, neither.status_code) == (404, 404, 400)
    assert "XAU" in nobody.text and "999999" in unknown.text


def test_random_activity_bills_only_in_two_decimal_currencies(sandbox: Sandbox) -> None:
    # The yen and dinar vendors are billed on request only, so every test's random activity keeps to the
    # currencies (and amounts to the cent) it always had.
    made = sandbox.post_admin("activity", new_bills=30)["bills"]["created"]
    currencies = {sandbox.record("bills", uuid)["api"]["currency"]["name"] for uuid in made}
    assert currencies and not currencies & {"JPY", "KWD"}


def test_the_summary_adds_bills_of_every_currency_exactly(sandbox: Sandbox) -> None:
    everything = sandbox.all_pages("/api/v3/ap/bills/")
    summary: dict[str, Any] = sandbox.ok("/api/v3/ap/bills/")["metadata"]["summary"]
    assert summary["has_multiple_currency"] is True
    assert Decimal(summary["total_cost"]) == sum(Decimal(str(b["total_cost_with_tax"])) for b in everything)
    assert decimals(summary["total_cost"]) == 3  # the dinar bills' fils are kept
    kwd = currency_of(sandbox, "KWD")
    only = sandbox.ok("/api/v3/ap/bills/", {"currency": kwd})["metadata"]["summary"]
    assert only["has_multiple_currency"] is False and decimals(only["total_cost"]) == 3
