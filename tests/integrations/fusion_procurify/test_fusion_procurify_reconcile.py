"""Oracle Fusion <-> Procurify reconciliation: the pure comparisons (``reconcile.bills``, ``orders``,
``vendors``, ``account_codes``), then the day end to end on both simulators, on one world synced once
(``synced``: every flow run over a day of bills, POs, vendors, a new Fusion supplier and the account table):

* clean: no difference, and the records the flows leave out on purpose counted as expected gaps with the
  queue's reason (held on a vendor's pair, held on a closed Payables period, skipped as another system's
  order);
* then, behind the connector's back, as other users of each system would (Fusion through its REST API and
  the pod's buyer and AP routes, Procurify through its API): a PO line's price and a PO's status changed in
  Fusion, an invoice's amount, a line's amount and its status changed in Fusion, an invoice and a supplier
  created in Fusion, an invoice paid in Fusion, a bill marked paid in Procurify, a vendor renamed and one
  deactivated, an account code deactivated and one created in Procurify. The reconciliation asset is
  materialized once and each is named, record in both systems, field and both values (money as money), in
  its metadata (a table per kind) and in the CSV beside the staging.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from fusion_procurify_parts import CHARGES, RECONCILIATION, paired_supplier, reconcile_day
from fusion_procurify_proofs import approve_bills, stage_master, usd_po
from fusion_procurify_world import FusionProcurifyWorld, fusion_procurify_world
from ledger_entries import queued
from sandbox_logins import answered

from connector_assets.deployment import integration_component
from connector_assets.flows.reconciliation import Report
from connector_assets.flows.reconciliation_expected import Expectations
from connector_assets.fusion.reconcile_reads import FusionInvoice, FusionInvoiceLine, FusionPo, FusionPoLine
from connector_assets.integrations.fusion_procurify.account_codes import orphan_codes
from connector_assets.integrations.fusion_procurify.reconcile.account_codes import compare_account_codes
from connector_assets.integrations.fusion_procurify.reconcile.bills import (
    BillRows,
    ExpectedInvoice,
    compare_vendor_period,
    expected_lines,
)
from connector_assets.integrations.fusion_procurify.reconcile.day import read_vendors
from connector_assets.integrations.fusion_procurify.reconcile.orders import (
    ExpectedOrder,
    compare_order,
)
from connector_assets.integrations.fusion_procurify.reconcile.vendors import Pair, compare_pair
from connector_assets.procurify.reconcile_reads import RegisterBill
from connector_resources import settings
from connector_resources.fusion.payloads import Invoice, InvoiceDistribution, InvoiceLine, PurchaseOrderLine
from connector_resources.procurify.errors import ProcurifyNotFoundError

VENDOR, SUPPLIER, PERIOD = "Procurify vendor 7 (Acme)", "Fusion supplier Acme (300100)", "2026-11"
AUTH = ("ml.integration", "sandbox-fusion")  # another Fusion user, as the pod's own settings name it
API = "/fscmRestApi/resources/11.13.18.05"
ACTION = {"Content-Type": "application/vnd.oracle.adf.action+json"}
ANOTHER_SYSTEMS_ORDER = "JDE order 4011 OP (company 00001)"  # how JD Edwards -> Procurify marks its own
SUPPLIERS = ("fusion/suppliers", "fusion_procurify/suppliers_mapped", "fusion_procurify/suppliers_written")
VENDORS = ("fusion_procurify/vendors_mapped", "fusion_procurify/vendors_written")
ORDERS = (
    "procurify/purchase_orders",
    "fusion_procurify/purchase_orders_mapped",
    "fusion_procurify/purchase_orders_written",
)
INVOICES = ("procurify/bills", "fusion_procurify/invoices_mapped", "fusion_procurify/invoices_written")
PAYMENTS = (
    "fusion/payments",
    "fusion/invoices",
    "fusion_procurify/payment_status_mapped",
    "fusion_procurify/payment_status_written",
)
CODES = ("fusion_procurify/account_codes_mapped", "fusion_procurify/account_codes_written")


class NoGaps:
    """No queue: every record a side lacks is a difference."""

    def account_for(self, report: Report, flow: str, record: str, *keys: str) -> bool:
        return False


class Queued:
    """A queue holding ``keys`` of ``flow``."""

    def __init__(self, flow: str, *keys: str) -> None:
        self.flow, self.keys = flow, set(keys)

    def account_for(self, report: Report, flow: str, record: str, *keys: str) -> bool:
        if flow == self.flow and self.keys & set(keys):
            report.expect("in the retry queue", record, "queued: a test's reason")
            return True
        return False


def bill(
    uuid: str, amount: str, *, status: str = "Approved", paid: bool = False, currency: str = ""
) -> RegisterBill:
    return RegisterBill(
        uuid,
        f"INV-{uuid}",
        PERIOD,
        Decimal(amount),
        status,
        status in ("Approved", "Paid"),
        paid=paid,
        currency=currency,
    )


def invoice(invoice_id: str, amount: str, **fields: Any) -> FusionInvoice:
    values: dict[str, Any] = {
        "number": f"INV-{invoice_id}",
        "supplier": "Acme",
        "supplier_number": "300",
        "invoice_date": "2026-11-02",
        "currency": "USD",
        "paid": "unpaid",
        "paid_how": "PaidStatus",
        **fields,
    }
    return FusionInvoice(invoice_id, True, amount=Decimal(amount), **values)


def expected(uuid: str, lines: tuple[tuple[str, Decimal], ...] | None = None) -> ExpectedInvoice:
    return ExpectedInvoice(f"INV-{uuid}", "2026-11-02", "USD", lines)


def by_kind(report: Report) -> dict[str, list[Any]]:
    return report.by_kind()


def compared(register: list[Any], invoices: dict[str, Any], gaps: Any, *more: Any) -> tuple[Report, BillRows]:
    """The report and rows of comparing ``register`` with ``invoices`` for the test's vendor and period."""
    report, rows = Report(("Procurify", "Fusion")), BillRows()
    compare_vendor_period(report, rows, VENDOR, SUPPLIER, PERIOD, register, invoices, gaps, *more)
    return report, rows


# -- pure: bills ------------------------------------------------------------------------------------------


def test_a_pair_is_compared_field_by_field_and_line_by_line_procurify_first() -> None:
    lines = (FusionInvoiceLine(1, "Item", Decimal("60.00")), FusionInvoiceLine(2, "Tax", Decimal("5.00")))
    report, rows = compared(
        [bill("a", "65.00"), bill("b", "10.00"), bill("c", "7.00")],
        {
            "a": invoice("1", "65.00", lines=lines),
            "b": invoice("2", "10.00", canceled=True, status="Canceled"),
            "c": invoice("3", "7.50", invoice_date="2026-11-03"),
        },
        NoGaps(),
        {
            "a": expected("a", (("Item", Decimal("55.00")), ("Tax", Decimal("10.00")))),
            "c": expected("c"),
        },
        "300",
    )
    kinds = by_kind(report)
    [first, second] = kinds["invoice line amount"]
    assert (first.record, first.counterpart) == (
        "bill a (invoice INV-a)",
        "Fusion invoice INV-1 (InvoiceId 1)",
    )
    assert first.field == "line 1 (Item) LineAmount" and first.values == ("55.00", "60.00")
    assert second.values == ("10.00", "5.00") and "(difference -5.00)" in second.words
    [status] = kinds["invoice status"]
    assert status.values == ("Approved", "Canceled") and status.counterpart.startswith("Fusion invoice INV-2")
    [amount] = kinds["invoice amount"]
    assert amount.values == ("7.00", "7.50") and amount.field == "InvoiceAmount"
    [day] = kinds["invoice date"]
    assert day.values == ("2026-11-02", "2026-11-03")
    assert report.compared == 3 and rows.out_of_balance == 1


def test_expected_lines_are_the_items_then_tax_then_each_cost() -> None:
    full = {
        "currency": {"id": 3, "name": "USD", "rate": "1.0000"},
        "items": [{"total_cost": "10.00"}, {"quantity": "2", "unit_cost": "2.50"}],
        "tax_amount": "1.20",
        "costs": [{"amount": "3.00"}, {"amount": "0"}],
    }
    assert expected_lines(full) == (
        ("Item", Decimal("10.00")),
        ("Item", Decimal("5.00")),
        ("Tax", Decimal("1.20")),
        ("Freight", Decimal("3.00")),
    )
    assert expected_lines({"items": [{"total_cost": "x"}]}) is None  # refused by the flow: nothing to compare
    yen = {"currency": {"name": "JPY"}, "items": [{"total_cost": "1000.00"}], "tax_amount": "100"}
    assert expected_lines(yen) == (("Item", Decimal("1000")), ("Tax", Decimal("100")))
    assert expected_lines({**yen, "items": [{"total_cost": "1000.5"}]}) is None  # a fraction of a yen


def test_money_is_compared_in_the_bills_currency_and_another_currency_is_named_as_such() -> None:
    report, rows = compared(
        [
            bill("a", "150000", currency="JPY"),
            bill("b", "1000.00", currency="EUR"),
            bill("c", "12.345", currency="KWD"),
            bill("d", "10.00", currency="USD"),
        ],
        {
            "a": invoice("1", "150000", currency="JPY", number="INV-a"),
            "b": invoice("2", "1000", currency="USD", number="INV-b"),  # keyed in dollars in Fusion
            "c": invoice("3", "12.35", currency="KWD"),  # the fils rounded away
            "d": invoice("4", "10.00"),
        },
        NoGaps(),
        {
            "a": ExpectedInvoice("INV-a", "2026-11-02", "JPY", (("Item", Decimal("150000")),)),
            "b": ExpectedInvoice("INV-b", "2026-11-02", "EUR", (("Item", Decimal("1000.00")),)),
        },
    )
    kinds = by_kind(report)
    assert sorted(kinds) == ["currency mismatch", "invoice amount"]
    [mismatch] = kinds["currency mismatch"]
    assert (mismatch.values, mismatch.field) == (("EUR", "USD"), "InvoiceCurrency")
    assert "1,000.00 EUR" in mismatch.words and "1,000.00 USD" in mismatch.words
    [fils] = kinds["invoice amount"]
    assert fils.values == ("12.345", "12.350") and "difference 0.005" in fils.words
    keys = {key[3]: figures for key, figures in rows.rows.items()}
    assert keys["JPY"] == [1, Decimal("150000"), 1, Decimal("150000")]  # yen never added to euros
    assert keys["EUR"] == [1, Decimal("1000.00"), 0, Decimal(0)]  # no dollars counted as euros
    assert rows.out_of_balance == 2  # EUR (the mismatch) and KWD (the fils)


def test_a_bill_missing_in_fusion_is_an_expected_gap_when_queued_else_named() -> None:
    for gaps, named in ((Queued("invoices", "a"), 0), (NoGaps(), 1)):
        report, _rows = compared([bill("a", "10.00")], {}, gaps)
        assert len(report.by_kind().get("bill missing in Fusion", [])) == named
        assert len(report.expected) == 1 - named
    [missing] = report.differences
    assert missing.values == ("10.00", "-") and "not sent yet" in missing.words


def test_paid_status_names_the_side_behind_unless_the_payment_status_flow_queued_it() -> None:
    report, _rows = compared(
        [bill("a", "10.00"), bill("b", "20.00", status="Paid", paid=True), bill("c", "5.00")],
        {
            "a": invoice("1", "10.00", paid="paid", amount_paid=Decimal("10.00")),
            "b": invoice("2", "20.00", paid="unpaid"),
            "c": invoice("3", "5.00", paid="paid"),
        },
        Queued("payment_status", "3"),
    )
    behind = {d.record.split()[1]: d for d in report.differences}
    assert behind["a"].values == ("Approved", "paid by PaidStatus, 10.00 of 10.00 USD paid")
    assert "Procurify is behind" in behind["a"].words
    assert behind["b"].values[0] == "Paid" and "Fusion is behind" in behind["b"].words
    assert "c" not in behind and [e.record for e in report.expected] == ["bill c (invoice INV-c)"]


# -- pure: purchase orders, vendors, account codes ---------------------------------------------------------


def order(expected_lines: tuple[PurchaseOrderLine, ...], **fields: Any) -> ExpectedOrder:
    values: dict[str, Any] = {
        "key": "PO1187",
        "number": "1187",
        "label": "Procurify PO 1187 (Acme)",
        "state": "purchased",
        "cancelled": False,
        "vendor_id": "7",
        "supplier_id": "300100",
        "currency": "USD",
        "total": Decimal("25.00"),
        **fields,
    }
    return ExpectedOrder(lines=expected_lines, **values)


def test_an_order_is_compared_on_status_supplier_and_each_line() -> None:
    mine = (
        PurchaseOrderLine(
            1, Decimal("2"), Decimal("10"), description="Rebar", charge_account="101-10-60000-000"
        ),
        PurchaseOrderLine(2, Decimal("1"), Decimal("5"), description="Tie wire"),
    )
    theirs = FusionPo(
        "2000152",
        True,
        "55",
        "CANCELED",
        "Acme",
        "300999",
        "USD",
        lines=(
            FusionPoLine(
                1, Decimal("2"), Decimal("11"), Decimal("22.00"), "Rebar", account="101-10-61000-000"
            ),
        ),
    )
    report = Report(("Procurify", "Fusion"))
    compare_order(report, order(mine), theirs, NoGaps())
    kinds = by_kind(report)
    assert kinds["order status"][0].values == ("purchased", "CANCELED")
    assert kinds["order supplier"][0].values == ("SupplierId 300100", "SupplierId 300999")
    [amount] = kinds["order line amount"]
    assert (
        amount.values == ("20.00", "22.00")
        and "2 x 10 = 20.00 in Procurify but 2 x 11 = 22.00" in amount.words
    )
    assert amount.counterpart == "Fusion order 2000152, POHeaderId 55"
    assert kinds["order line account"][0].values == ("101-10-60000-000", "101-10-61000-000")
    assert kinds["order line"][0].field == "line 2" and kinds["order line"][0].values[1] == "-"
    queued = Report(("Procurify", "Fusion"))
    compare_order(queued, order(mine), theirs, Queued("purchase_orders", "PO1187"))
    assert queued.differences == [] and len(queued.expected) == 1  # the flow queued the change for a buyer


def test_a_pair_of_vendor_and_supplier_compares_what_the_suppliers_flow_keeps() -> None:
    vendor = {"id": 7, "name": "Acme  Ltd", "external_id": "9", "active": False, "type": 3}
    supplier = {"SupplierId": 300100, "Supplier": "Acme Ltd", "SupplierNumber": "10021", "Status": "ACTIVE"}
    report = Report(("Procurify", "Fusion"))
    compare_pair(report, Pair("7", "300100", vendor, supplier, synced=True))
    kinds = by_kind(report)
    assert kinds["vendor status"][0].values == ("inactive", "active")
    assert kinds["supplier number"][0].values == ("9", "10021")
    assert "vendor name" not in kinds  # the same name once spaces are folded
    manual = Report(("Procurify", "Fusion"))
    compare_pair(manual, Pair("7", "300100", {**vendor, "name": "Acme"}, supplier, manual=True, synced=True))
    assert "vendor name" not in by_kind(manual)  # a manual match renames neither side


def test_a_pair_whose_vendor_update_is_queued_is_one_expected_gap_with_the_queues_reason(ledger) -> None:
    vendor = {"id": 7, "name": "Acme Renamed", "external_id": "10021", "active": True, "type": 3}
    supplier = {"SupplierId": 300100, "Supplier": "Acme Ltd", "SupplierNumber": "10021", "Status": "ACTIVE"}
    other = {**supplier, "SupplierId": 300101}
    refused = "Procurify refused the vendor update: name already used"
    queued(ledger, ("fusion_procurify", "suppliers", "supplier"), "300100", refused)
    queue = Expectations(ledger, "fusion_procurify", ["suppliers"])
    report = Report(("Procurify", "Fusion"))
    compare_pair(report, Pair("7", "300100", vendor, supplier, synced=True), queue)
    compare_pair(report, Pair("8", "300101", {**vendor, "id": 8}, other, synced=True), queue)
    [gap] = report.expected
    assert (gap.kind, gap.reason) == (
        "in the retry queue",
        "Procurify refused the vendor update: name already used",
    )
    assert gap.record == "Procurify vendor 7 (Acme Renamed) (name / Supplier differs)"
    # The pair nobody queued is still named, with both names.
    [named] = report.differences
    assert (named.kind, named.record, named.values) == (
        "vendor name",
        "Procurify vendor 8 (Acme Renamed)",
        ("Acme Renamed", "Acme Ltd"),
    )


def test_account_codes_both_ways() -> None:
    @dataclass
    class Charges:
        accounts: dict[str, str]

        def natural_account_problem(self, natural: str) -> str | None:
            return None if natural != "69000" else "Fusion natural account 69000 has no enabled combination"

    codes = [{"code": "6100", "active": False}, {"code": "6900", "active": True}]
    report = Report(("Procurify", "Fusion"))
    charges = Charges({"6100": "60000", "6900": "69000", "6200": "62000"})
    compare_account_codes(report, charges, codes, [], NoGaps())
    kinds = by_kind(report)
    assert [d.record for d in kinds["account code status"]] == [
        "Procurify account code 6100",
        "Procurify account code 6900",
    ]
    assert kinds["account code status"][1].values == ("active", "inactive")
    assert kinds["account code missing in Procurify"][0].counterpart == "Fusion account 62000"


class VendorSession:
    """Procurify vendors 1..``count``, read by id or listed (50 a page); the calls made."""

    page_size = 50

    def __init__(self, count: int) -> None:
        self.vendors = {str(i): {"id": i, "name": f"V{i}"} for i in range(1, count + 1)}
        self.calls: list[str] = []

    def count(self, entity: str) -> int:
        self.calls.append("count")
        return len(self.vendors)

    def iter_all(self, entity: str) -> Iterator[dict[str, Any]]:
        self.calls += ["page"] * -(-len(self.vendors) // self.page_size)
        return iter(self.vendors.values())

    def get(self, entity: str, key: str) -> dict[str, Any]:
        self.calls.append("get")
        if key not in self.vendors:
            raise ProcurifyNotFoundError(f"vendor {key}")
        return self.vendors[key]


def test_vendors_are_read_by_id_or_listed_whichever_costs_fewer_calls() -> None:
    few = VendorSession(120)  # 3 pages
    assert read_vendors(few, {"1", "2", "999"}) == {
        "1": few.vendors["1"],
        "2": few.vendors["2"],
        "999": None,
    }
    assert few.calls == ["count", "get", "get", "get"]
    many = VendorSession(120)
    found = read_vendors(many, {str(i) for i in range(1, 6)})
    assert many.calls == ["count", "page", "page", "page"] and found["5"] == many.vendors["5"]


def test_the_component_holds_the_asset_job_and_day_closing_schedule() -> None:
    declared = integration_component("fusion_procurify")
    assert [a.key.to_user_string() for a in declared.assets] == [RECONCILIATION]
    assert [j.name for j in declared.jobs if j.name.endswith("_reconcile")] == ["fusion_procurify_reconcile"]
    [schedule] = [s for s in declared.schedules if s.name == "fusion_procurify_reconcile_schedule"]
    assert schedule.cron_schedule == "40 6 * * *"  # ML_FUSION_PROCURIFY_RECONCILE_CRON's default
    assert schedule.job_name == "fusion_procurify_reconcile"


# -- end to end: one world, synced once ------------------------------------------------------------------


@dataclass
class Synced:
    world: FusionProcurifyWorld
    pos: list[dict[str, Any]]  # two USD POs sent to Fusion
    bills: list[dict[str, Any]]  # five approved bills sent to Fusion
    held_on_vendor: dict[str, Any]  # a bill whose vendor has no Fusion supplier
    held_on_period: dict[str, Any]  # a bill dated in a Payables period closed when it was sent
    theirs: int  # a PO bought from a requisition JD Edwards' integration made
    supplier_id: str  # a supplier entered in Fusion, its vendor made by the suppliers flow


def report_of(world: FusionProcurifyWorld) -> Report:
    r = world.resources
    return reconcile_day(r["staging"], r["procurify"], r["fusion"], world.ledger, world.day)


def rest(world: FusionProcurifyWorld, method: str, path: str, body: Any = None, **params: Any) -> Any:
    """A call another Fusion user makes, through the pod's REST API (basic auth)."""
    url = path if path.startswith("http") else f"{world.fusion_url}{API}/{path}"
    headers = ACTION if "/action/" in url else None
    answer = requests.request(method, url, json=body, auth=AUTH, headers=headers, params=params, timeout=30)
    return answered(answer, f"Fusion {method} {path}")


def invoice_named(world: FusionProcurifyWorld, invoice_id: str) -> dict[str, Any]:
    """How Payables invoice actions name an invoice (number, business unit, supplier; no id)."""
    held = world.fusion_record("invoices", invoice_id)
    return {name: held[name] for name in ("InvoiceNumber", "BusinessUnit", "Supplier")}


def self_href(row: dict[str, Any]) -> str:
    return next(link["href"] for link in row["links"] if link["rel"] == "self")


def payables_period(world: FusionProcurifyWorld, day: str, status: str) -> None:
    """The accountants set the Payables period of ``day`` in the connector's ledger (operator route)."""
    ledger = int(settings.read("ML_FUSION_LEDGER_ID"))
    periods = answered(requests.get(f"{world.fusion_url}/sandbox/periods", timeout=30), "periods")["periods"]
    [period] = [
        p
        for p in periods
        if p["LedgerId"] == ledger
        and p["ApplicationId"] == 200
        and p["StartDate"][:10] <= day <= p["EndDate"][:10]
    ]
    body = {"ClosingStatus": status, "LedgerId": ledger, "ApplicationId": 200}
    url = f"{world.fusion_url}/sandbox/periods/{period['PeriodName']}"
    answered(requests.put(url, json=body, timeout=30), "period")


def another_systems_po(world: FusionProcurifyWorld, like: dict[str, Any]) -> int:
    """A requisition JD Edwards' integration made in Procurify (its description marks it), bought like
    ``like``'s first line: the PO number."""
    item = like["order_items"][0]
    line = {
        "item_name": item["name"],
        "vendor_name": item["vendor"]["name"],
        "account_code": item["account"]["account_code"]["code"],
        "unit_price": item["price"],
        "quantity": item["quantity"],
        "unit": item["unit"],
        "currency_code": "USD",
        "custom_fields": [],
    }
    body = {
        "required_date": (date.today() + timedelta(days=14)).isoformat(),
        "location_name": item["account"]["department"]["branch"]["name"],
        "department_name": item["account"]["department"]["name"],
        "description": ANOTHER_SYSTEMS_ORDER,
        "line_items": [line],
    }
    with world.resources["procurify"].session() as session:
        uuid = session.create_requisition(body)["uuid"]
    return int(world.purchase(uuid)["purchase_orders"][0]["procurify_PO"])


def switch_off_orphan_codes(world: FusionProcurifyWorld) -> None:
    """The Procurify admin switches off the seeded codes with no Fusion account (the account table maps
    none of them: what the orphans asset lists), so a clean world has none."""
    charges = CHARGES.load(world.resources["staging"])
    with world.resources["procurify"].session() as session:
        codes = list(session.iter_all("account_codes"))
    for orphan in orphan_codes(codes, charges):
        world.switch_account_code(orphan.id, False)  # in Procurify: its API cannot


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synced]:
    with fusion_procurify_world(tmp_path_factory.mktemp("reconcile")) as world:
        os.environ["ML_FUSION_PROCURIFY_VENDOR_FALLBACK_EMAIL"] = "ap@example.com"  # restored by the world
        stage_master(world)
        world.run_whole("procurify/account_codes", "procurify/departments")
        switch_off_orphan_codes(world)
        [supplier_id] = world.fusion_activity(new_suppliers=1)["created"]["suppliers"]
        pos = []
        for _ in range(2):
            po = usd_po(world)["po"]
            if paired_supplier(world.ledger, po["pref_vendor"]["id"]) is None:
                world.pair_vendor(po["pref_vendor"]["id"], world.unpaired_purchasing_supplier())
            pos.append(po)
        theirs = another_systems_po(world, pos[0])
        bills = approve_bills(world, 5)  # in US dollars: the pod knows no CAD
        [held_on_vendor] = approve_bills(world, 1, pair=False)
        world.run_whole("procurify/account_codes", "procurify/departments", *CODES)
        world.run(*SUPPLIERS, *VENDORS, *ORDERS, *INVOICES, *PAYMENTS)  # one run: each asset after its own
        # The accountants close today's Payables period while a bill is sent, then open it again: the bill
        # stays held on the period (no replay ran since).
        payables_period(world, world.day, "C")
        [held_on_period] = approve_bills(world, 1)
        world.run(*INVOICES)
        payables_period(world, world.day, "O")
        yield Synced(world, pos, bills, held_on_vendor, held_on_period, theirs, str(supplier_id))


@pytest.fixture(scope="module")
def clean(synced: Synced) -> Report:
    """The day reconciled after the clean sync, before anything is planted."""
    return report_of(synced.world)


def test_a_clean_sync_reconciles_with_no_difference_and_counts_what_was_left_out_on_purpose(
    synced: Synced, clean: Report
) -> None:
    world = synced.world
    xrefs = world.xrefs("invoice")
    assert all(xrefs.get(b["uuid"]) for b in synced.bills), world.queue("invoices")
    assert all(world.xrefs("purchase_order").get(f"PO{p['procurify_PO']}") for p in synced.pos)
    assert clean.differences == [], [d.words for d in clean.differences]
    expected = {(e.kind, e.record.split(" (")[0]) for e in clean.expected}
    held = synced.held_on_period["uuid"]
    assert ("held for a closed accounting period", f"bill {held}") in expected, clean.expected
    assert ("held for another record", f"bill {synced.held_on_vendor['uuid']}") in expected
    assert ("skipped by rule", f"Procurify PO {synced.theirs}") in expected
    [skip] = [e for e in clean.expected if e.record.startswith(f"Procurify PO {synced.theirs}")]
    assert "JDE order 4011 OP" in skip.reason and "nothing sent" in skip.reason
    assert clean.counts["bills_in_balance"] >= len(synced.bills)
    assert clean.counts["pos_in_agreement"] >= 2
    assert clean.counts["vendor_pairs_in_agreement"] >= 1 and clean.counts["account_codes_in_agreement"] > 100
    # What a day costs: each side's changes in windows, then records by key in lists.
    calls = sum(clean.calls.values())
    assert clean.compared > 100 and calls < clean.compared / 2, (calls, clean.compared)


@dataclass
class Planted:
    metadata: dict[str, Any]
    check: Any
    rows: list[dict[str, str]]  # the CSV beside the staging
    names: dict[str, Any]  # what was planted, by kind


def _plant(synced: Synced) -> dict[str, Any]:
    world, bills, pos = synced.world, synced.bills, synced.pos
    invoices, orders = world.xrefs("invoice"), world.xrefs("purchase_order")
    names: dict[str, Any] = {}
    # Fusion, a buyer: a change order raising line 1's price; another order cancelled.
    header = orders[f"PO{pos[0]['procurify_PO']}"]
    line = world.fusion_record("purchaseOrders", header)["lines"][0]
    change = {"lines": [{"LineNumber": line["LineNumber"], "Price": str(Decimal(str(line["Price"])) + 1)}]}
    url = f"{world.fusion_url}/sandbox/purchase_orders/{header}/change"
    answered(requests.post(url, json=change, timeout=30), "change order")
    names["order line amount"] = (pos[0]["procurify_PO"], header)
    cancel = orders[f"PO{pos[1]['procurify_PO']}"]
    [row] = rest(world, "GET", "purchaseOrders", q=f"POHeaderId={cancel}")["items"]
    assert rest(world, "POST", self_href(row) + "/action/cancel", {}) == {"result": "SUCCESS"}
    names["order status"] = (pos[1]["procurify_PO"], cancel)
    # Fusion, the AP team: an invoice's amount, another's first line, a third canceled, a fourth paid.
    amount = invoices[bills[0]["uuid"]]
    [row] = rest(world, "GET", "invoices", q=f"InvoiceId={amount}")["items"]
    rest(world, "PATCH", self_href(row), {"InvoiceAmount": "1.23"})
    names["invoice amount"] = (bills[0]["uuid"], amount)
    lined = invoices[bills[1]["uuid"]]
    [row] = rest(world, "GET", "invoices", q=f"InvoiceId={lined}")["items"]
    first = min(
        rest(world, "GET", self_href(row) + "/child/invoiceLines")["items"], key=lambda x: x["LineNumber"]
    )
    rest(world, "PATCH", self_href(first), {"LineAmount": f"{Decimal(str(first['LineAmount'])) + 5:.2f}"})
    names["invoice line amount"] = (bills[1]["uuid"], lined)
    canceled = invoices[bills[2]["uuid"]]
    rest(world, "POST", "invoices/action/cancelInvoice", invoice_named(world, canceled))
    names["invoice status"] = (bills[2]["uuid"], canceled)
    paid = invoices[bills[4]["uuid"]]
    validating = {**invoice_named(world, paid), "ProcessAction": "Validate"}
    rest(world, "POST", "invoices/action/validateInvoice", validating)
    answered(requests.post(f"{world.fusion_url}/sandbox/invoices/{paid}/pay", json={}, timeout=30), "pay")
    names["paid in Fusion"] = (bills[4]["uuid"], paid)
    # Fusion: an invoice typed in for a paired supplier, and a new supplier.
    template = world.fusion_record("invoices", invoices[bills[3]["uuid"]])
    account = next(
        d["DistributionCombination"] for li in template["invoiceLines"] for d in li["invoiceDistributions"]
    )
    with world.resources["fusion"].session() as pod:
        typed = pod.create_invoice(
            Invoice(
                invoice_number="TYPED-IN-1",
                supplier=template["Supplier"],
                supplier_site=template["SupplierSite"],
                amount=Decimal("99.00"),
                invoice_date=date.fromisoformat(world.day),
                currency="USD",
                business_unit=template["BusinessUnit"],
                lines=(
                    InvoiceLine(
                        1,
                        Decimal("99.00"),
                        distributions=(InvoiceDistribution(1, Decimal("99.00"), account),),
                    ),
                ),
            )
        )
    names["invoice only in Fusion"] = typed["InvoiceId"]
    url = f"{world.fusion_url}/sandbox/suppliers"
    [made] = answered(requests.post(url, json={"names": ["Planted Supplier Ltd"]}, timeout=30), "supplier")[
        "created"
    ]
    names["vendor missing in Procurify"] = made["SupplierId"]
    # Procurify: a bill marked paid, a vendor renamed and one deactivated, a code off and one new.
    vendor_of_supplier = world.xrefs("supplier")[synced.supplier_id]
    with world.resources["procurify"].session() as session:
        session.mark_bills_paid([bills[3]["uuid"]], date.fromisoformat(world.day))
        session.update_vendor(int(vendor_of_supplier), {"name": "Renamed In Procurify"})
        deactivated = str(bills[0]["vendor"]["id"])
        session.update_vendor(int(deactivated), {"active": False})
        mapped = set(CHARGES.load(world.resources["staging"]).accounts)
        code = next(c for c in session.iter_all("account_codes") if str(c["code"]) in mapped and c["active"])
        world.switch_account_code(code["id"], False)  # in Procurify: its API cannot
        session.create_account_code(
            {"code": "9999-PLANTED", "description": "Typed in Procurify", "account_type": 5}
        )
    names["marked paid in Procurify"] = (bills[3]["uuid"], invoices[bills[3]["uuid"]])
    names["vendor name"] = (vendor_of_supplier, synced.supplier_id)
    names["vendor status"] = (deactivated, paired_supplier(world.ledger, deactivated))
    names["account code status"] = str(code["code"])
    return names


@pytest.fixture(scope="module")
def planted(synced: Synced, clean: Report) -> Planted:
    """Everything planted, then the reconciliation asset materialized once."""
    names = _plant(synced)
    result = synced.world.materialize(RECONCILIATION)
    [check] = result.get_asset_check_evaluations()
    node = result.asset_materializations_for_node("fusion_procurify__reconciliation")
    metadata = {k: getattr(v, "value", v) for k, v in node[0].metadata.items()}
    with Path(metadata["differences_csv"]).open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    return Planted(metadata, check, rows, names)


def rows_of(planted: Planted, kind: str) -> list[dict[str, str]]:
    return [r for r in planted.rows if r["kind"] == kind]


def one(planted: Planted, kind: str, *mentions: Any) -> dict[str, str]:
    """The single CSV row of ``kind`` naming every one of ``mentions``."""
    found = [r for r in rows_of(planted, kind) if all(str(m) in " ".join(r.values()) for m in mentions)]
    assert len(found) == 1, (kind, mentions, rows_of(planted, kind))
    return found[0]


def test_each_difference_planted_behind_the_connectors_back_is_named_with_both_values(
    planted: Planted,
) -> None:
    names = planted.names
    number, header = names["order line amount"]
    row = one(planted, "order line amount", f"Procurify PO {number}", f"POHeaderId {header}")
    assert row["field"] == "line 1 (Quantity x Price)" and row["Procurify"] != row["Fusion"]
    assert "," in row["Fusion"] or "." in row["Fusion"]  # money, two decimals
    number, header = names["order status"]
    row = one(planted, "order status", f"Procurify PO {number}", f"POHeaderId {header}")
    assert (row["Procurify"], row["Fusion"]) == ("purchased", "CANCELED")
    uuid, invoice_id = names["invoice amount"]
    row = one(planted, "invoice amount", uuid, f"InvoiceId {invoice_id}")
    assert row["Fusion"] == "1.23" and row["field"] == "InvoiceAmount"
    uuid, invoice_id = names["invoice line amount"]
    row = one(planted, "invoice line amount", uuid, f"InvoiceId {invoice_id}")
    assert Decimal(row["Fusion"].replace(",", "")) - Decimal(row["Procurify"].replace(",", "")) == 5
    uuid, invoice_id = names["invoice status"]
    row = one(planted, "invoice status", uuid, f"InvoiceId {invoice_id}")
    assert (row["Procurify"], row["Fusion"]) == ("Approved", "Canceled")
    uuid, invoice_id = names["paid in Fusion"]
    row = one(planted, "paid status", uuid, f"InvoiceId {invoice_id}", "Procurify is behind")
    assert row["Procurify"] == "Approved" and row["Fusion"].startswith("paid")
    uuid, invoice_id = names["marked paid in Procurify"]
    row = one(planted, "paid status", uuid, f"InvoiceId {invoice_id}", "Fusion is behind")
    assert row["Procurify"] == "Paid" and row["Fusion"].startswith("unpaid")
    row = one(planted, "invoice only in Fusion", f"InvoiceId {names['invoice only in Fusion']}")
    assert row["Fusion"] == "99.00" and "TYPED-IN-1" in row["Fusion record"]
    row = one(planted, "vendor missing in Procurify", f"SupplierId {names['vendor missing in Procurify']}")
    assert row["Fusion"] == "Planted Supplier Ltd"
    vendor, supplier = names["vendor name"]
    row = one(planted, "vendor name", f"Procurify vendor {vendor}", f"SupplierId {supplier}")
    assert row["Procurify"] == "Renamed In Procurify" and row["Fusion"].startswith("Neuer Lieferant")
    vendor, supplier = names["vendor status"]
    row = one(planted, "vendor status", f"Procurify vendor {vendor}", f"SupplierId {supplier}")
    assert (row["Procurify"], row["Fusion"]) == ("inactive", "active")
    row = one(planted, "account code status", f"Procurify account code {names['account code status']}")
    assert (row["Procurify"], row["Fusion"]) == ("inactive", "active") and row["Fusion record"].startswith(
        "Fusion"
    )
    row = one(planted, "account code only in Procurify", "9999-PLANTED")
    assert row["Procurify"] == "9999-PLANTED" and row["Fusion"] == "-"


def test_the_check_warns_and_the_metadata_shows_each_kind_and_the_cost(planted: Planted) -> None:
    metadata, check = planted.metadata, planted.check
    assert check.check_name == "in_balance" and not check.passed
    kinds = {r["kind"] for r in planted.rows if not r["kind"].startswith("expected")}
    for kind in kinds:
        slug = "_".join(kind.lower().replace("-", " ").split())
        assert metadata[slug] == len(rows_of(planted, kind)), kind
        assert f"**{kind}**" in metadata["difference_table"]
    assert metadata["differences"] == len([r for r in planted.rows if not r["kind"].startswith("expected")])
    assert (
        metadata["expected_gaps"] >= 3 and "held for a closed accounting period" in metadata["expected_table"]
    )
    assert metadata["records_compared"] > 100 and 0 < metadata["api_calls_per_record"] < 0.5
    assert metadata["fusion_api_calls"] > 0 and metadata["procurify_api_calls"] > 0
    assert "per_vendor_period" in metadata and "per_order" in metadata
