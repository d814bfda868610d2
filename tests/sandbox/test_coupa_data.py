"""The Coupa sandbox's seeded data: deterministic, realistic and consistent across resources.

Read through the operator route ``/sandbox/records`` (the records exactly as the API renders them),
so every rule below is a property a client can rely on when it syncs the sandbox.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests

from connector_sandbox.coupa import CoupaSandboxSettings, run_in_thread
from connector_sandbox.coupa.schema import PAYMENT_STATUSES, PO_STATUSES

pytestmark = pytest.mark.timeout(120)
ANCHOR = dt.date(2025, 6, 1)
CHART_FOR_CURRENCY = {
    "USD": "US Chart of Accounts",
    "CAD": "US Chart of Accounts",
    "GBP": "US Chart of Accounts",
    "JPY": "US Chart of Accounts",
    "EUR": "EU Chart of Accounts",
    "CNY": "China Chart of Accounts",
}


def dump(base: str, resources: tuple[str, ...]) -> dict[str, list[dict[str, Any]]]:
    found = {}
    for resource in resources:
        response = requests.get(f"{base}/sandbox/records/{resource}", timeout=30)
        assert response.status_code == 200 and response.json()["total"] < 5000
        found[resource] = response.json()["records"]
    return found


RESOURCES = (
    "suppliers",
    "purchase_orders",
    "invoices",
    "payments",
    "accounts",
    "lookup_values",
    "departments",
)


@pytest.fixture(scope="module")
def data() -> Iterator[dict[str, list[dict[str, Any]]]]:
    base, stop = run_in_thread(CoupaSandboxSettings(scale=0.5, anchor_date=ANCHOR))
    try:
        yield dump(base, RESOURCES)
    finally:
        stop()


def test_same_seed_and_anchor_give_the_same_data(data: dict[str, list[dict[str, Any]]]) -> None:
    base, stop = run_in_thread(CoupaSandboxSettings(scale=0.5, anchor_date=ANCHOR))
    try:
        again = dump(base, RESOURCES)
    finally:
        stop()
    assert again == data


def test_scale_drives_the_volume(data: dict[str, list[dict[str, Any]]]) -> None:
    base, stop = run_in_thread(CoupaSandboxSettings(scale=0.05, anchor_date=ANCHOR))
    try:
        counts = requests.get(f"{base}/sandbox/state", timeout=10).json()["row_counts"]
    finally:
        stop()
    assert counts["invoices"] * 5 < len(data["invoices"])
    assert counts["purchase_orders"] * 5 < len(data["purchase_orders"])
    assert counts["suppliers"] < len(data["suppliers"])


def test_names_in_many_scripts_and_at_maximum_length(data: dict[str, list[dict[str, Any]]]) -> None:
    names = {supplier["name"] for supplier in data["suppliers"]}
    assert {"Müller Baustoffe GmbH", "Société Générale d'Équipement", "北京建材"} <= names
    longest = [name for name in names if len(name) == 100]
    assert len(longest) >= 3 and any(not name.isascii() for name in longest)
    assert len({name.casefold() for name in names}) == len(names)  # unique, ignoring case
    numbers = [s["number"] for s in data["suppliers"] if s["number"]]
    assert len(numbers) == len(set(numbers))
    assert {s["status"] for s in data["suppliers"]} == {"active", "inactive", "draft"}
    assert max(len(o["po-number"]) for o in data["purchase_orders"]) == 20
    assert max(len(i["invoice-number"]) for i in data["invoices"]) == 40


def test_many_records_share_updated_at_stamps(data: dict[str, list[dict[str, Any]]]) -> None:
    for resource in ("suppliers", "purchase_orders", "invoices"):
        stamps = Counter(record["updated-at"] for record in data[resource])
        stamp, ties = stamps.most_common(1)[0]
        assert ties >= 0.12 * len(data[resource]), resource
        assert ties > 50 or resource == "suppliers"  # the tie spans more than one page of 50
        assert dt.datetime.fromisoformat(stamp) < dt.datetime.combine(ANCHOR, dt.time(), dt.UTC)


def test_timestamps_are_ordered_and_inside_the_history(data: dict[str, list[dict[str, Any]]]) -> None:
    end = dt.datetime.combine(ANCHOR, dt.time(), dt.UTC)
    for resource in ("suppliers", "purchase_orders", "invoices", "payments"):
        for record in data[resource]:
            created, updated = (dt.datetime.fromisoformat(record[k]) for k in ("created-at", "updated-at"))
            assert created <= updated < end, (resource, record["id"])


def test_documents_refer_to_records_that_exist_and_agree(data: dict[str, list[dict[str, Any]]]) -> None:
    suppliers = {s["id"]: s for s in data["suppliers"]}
    lines = {line["id"]: order for order in data["purchase_orders"] for line in order["order-lines"]}
    for order in data["purchase_orders"]:
        supplier = suppliers[order["supplier"]["id"]]
        assert dt.datetime.fromisoformat(supplier["created-at"]) <= dt.datetime.fromisoformat(
            order["created-at"]
        )
        chart = CHART_FOR_CURRENCY[order["currency"]["code"]]
        assert all(line["account"]["account-type"]["name"] == chart for line in order["order-lines"])
        total = sum(Decimal(line["total"]) for line in order["order-lines"])
        assert Decimal(order["total"]) == total
    seen: set[tuple[int, str]] = set()
    for invoice in data["invoices"]:
        key = (invoice["supplier"]["id"], invoice["invoice-number"])
        assert key not in seen, f"invoice number repeated for one supplier: {key}"
        seen.add(key)
        for line in invoice["invoice-lines"]:
            if line["order-line-id"] is None:
                continue
            order = lines[line["order-line-id"]]
            assert order["supplier"]["id"] == invoice["supplier"]["id"]
            assert order["po-number"] == line["po-number"]
            assert order["currency"]["code"] == invoice["currency"]["code"]
        gross = sum(Decimal(line["total"]) for line in invoice["invoice-lines"])
        assert Decimal(invoice["gross-total"]) == gross
        if invoice["paid"]:
            paid = sum(Decimal(p["amount-paid"]) for p in invoice["payments"])
            assert paid == Decimal(invoice["total-with-taxes"]) and invoice["payment-date"]
    numbers = Counter(invoice["invoice-number"] for invoice in data["invoices"])
    assert max(numbers.values()) > 1  # the same number at different suppliers is legal and present
    assert any(i["order-line-id"] for inv in data["invoices"] for i in inv["invoice-lines"])


def test_coupa_pay_payments_settle_approved_invoices(data: dict[str, list[dict[str, Any]]]) -> None:
    invoices = {invoice["id"]: invoice for invoice in data["invoices"]}
    assert data["payments"]
    for payment in data["payments"]:
        for detail in payment["payment-details"]:
            invoice = invoices[detail["source-transaction-id"]]
            assert invoice["invoice-number"] == detail["source-transaction-reference"]
            assert invoice["status"] == "approved" and invoice["payment-channel"] == "coupa_pay"
            assert detail["payment-total"] == invoice["total-with-taxes"]
        assert Decimal(payment["pay-to-total"]) == sum(
            Decimal(d["payment-total"]) for d in payment["payment-details"]
        )


def test_vocabularies_are_the_documented_ones(data: dict[str, list[dict[str, Any]]]) -> None:
    assert {o["status"] for o in data["purchase_orders"]} <= set(PO_STATUSES)
    assert {"approved", "voided", "pending_approval", "draft"} <= {i["status"] for i in data["invoices"]}
    assert {i["document-type"] for i in data["invoices"]} == {"Invoice", "Credit Note"}
    assert {True, False} == {i["exported"] for i in data["invoices"]}
    assert {p["status"] for p in data["payments"]} <= set(PAYMENT_STATUSES)
    accounts = data["accounts"]
    assert all(a["code"] == "-".join(a[f"segment-{n}"] for n in (1, 2, 3)) for a in accounts)
    assert {True, False} == {a["active"] for a in accounts}


def test_lookup_values_form_a_hierarchy(data: dict[str, list[dict[str, Any]]]) -> None:
    values = {value["id"]: value for value in data["lookup_values"]}
    assert {v["depth"] for v in values.values()} == {1, 2, 3}
    for value in values.values():
        if value["parent"] is None:
            assert value["depth"] == 1 and value["external-ref-code"] == value["external-ref-num"]
            continue
        parent = values[value["parent"]["id"]]
        assert value["depth"] == parent["depth"] + 1
        assert value["external-ref-code"] == f"{parent['external-ref-code']}-{value['external-ref-num']}"
