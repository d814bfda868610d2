"""Procurify -> Fusion invoices: the pure mapper (``bill_mappers``: distribution lines, PO-matched lines,
tax, holds, refusals), then the flow end to end through Dagster on both simulators
(``fusion_procurify_world``): an approved bill becomes one validated Fusion invoice and a rerun skips it;
an invoice Fusion already holds is adopted (and one that disagrees is refused naming the difference); a
bill of an unpaired vendor is held, then sent once the vendor is paired; a bill on an unmapped account code
is queued with that reason and replayed once the map is fixed; a bill billing a Procurify PO is held until
the PO is in Fusion, then sent with its lines matched to that order.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from dagster import AssetKey
from fusion_procurify_parts import (
    ACCOUNTS,
    INVOICES_FLOW,
    IT,
    InvoiceTarget,
    order_dependency,
    vendor_dependency,
)
from fusion_procurify_parts import INVOICES as invoices_flow
from fusion_procurify_proofs import ClerkBetweenSearchAndCreate, mapped_invoices, stage_master
from fusion_procurify_world import BUSINESS_UNIT, INTEGRATION, FusionProcurifyWorld, fusion_procurify_world
from ledger_entries import audit_ids
from mapping_rows import import_file, own_ledger
from procurify_bills import UUID
from procurify_bills import a_bill as procurify_bill

from connector_assets.flows.core import Mapped, Rejected, validate
from connector_assets.flows.mapping_tables import ROOT
from connector_assets.fusion.invoice_target import invoice_of
from connector_assets.fusion.supplier_sites import SupplierSite
from connector_assets.integrations.fusion_procurify.bill_mappers import BillInputs, FusionOrder, map_bill
from connector_assets.procurify.bill_fields import item_account
from connector_resources.ledger import schema
from connector_sandbox.fusion.writes import VALIDATED_RESULT

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
SITE = SupplierSite("300000047200008", "Acme Supplies", "1001", "MAIN", "300000047500014", BUSINESS_UNIT)
COMBINATIONS = {("6100", "Head Office|Finance"): "101-10-60000-000", ("6800", None): "101-10-61000-000"}
FLOW_ASSETS = ("procurify/bills", "fusion_procurify/invoices_mapped", "fusion_procurify/invoices_written")


def combination_of(code: str, department: str | None) -> tuple[str | None, str | None]:
    """A stand-in for ``ChargeAccounts.combination`` (its own tests are helper A's)."""
    found = COMBINATIONS.get((code, department))
    if found is None:
        return (
            None,
            f"Procurify account code {code} has no row in the account map (ML_FUSION_PROCURIFY_ACCOUNT_MAP)",
        )
    return found, None


def a_bill(**changes: Any) -> dict[str, Any]:
    """The bill of the JDE <-> Procurify tests (``procurify_bills``) in dollars, without a due date and with
    a note, its items coded as the Fusion account map reads them (the first by its department and branch,
    the second by the PO line it bills)."""
    bill = procurify_bill()
    plywood, wire = bill.pop("items")
    del bill["due_date"]
    department = {"name": "Finance", "branch": {"name": "Head Office"}}
    po_line = {"id": 901, "PO_line_num": 2, "account": {"account_code": {"code": "6800"}}}
    bill.update(
        currency={"id": 2, "name": "USD", "rate": "1.0000"},
        note="",
        items=[
            {**plywood, "account": {"account_code": {"code": "6100"}, "department": department}},
            {**wire, "description": "Copper wire 12 AWG", "orderitem": po_line},
        ],
        added_purchase_orders=[],
    )
    bill.update(changes)
    return bill


def inputs(bill: dict[str, Any], **changes: Any) -> BillInputs:
    values: dict[str, Any] = {
        "bill": bill,
        "site": SITE,
        "vendor_dependency": "",
        "business_unit": BUSINESS_UNIT,
        "updated_at": NOW,
        "variable": IT.variable,
    }
    values.update(changes)
    return BillInputs(**values)


# -- the mapper ---------------------------------------------------------------------------------------


def test_an_expense_bill_becomes_an_invoice_with_a_distribution_per_item_and_a_tax_line():
    record = map_bill(inputs(a_bill(note="Site #151 supplies")), combination_of)
    assert isinstance(record, Mapped), record
    body = record.body
    assert (body["InvoiceNumber"], body["Supplier"], body["SupplierSite"], body["BusinessUnit"]) == (
        "INV-000107",
        "Acme Supplies",
        "MAIN",
        BUSINESS_UNIT,
    )
    assert (body["InvoiceAmount"], body["InvoiceCurrency"], body["InvoiceDate"]) == (
        "175.30",
        "USD",
        "2026-11-20",
    )
    assert body["AccountingDate"] == "2026-11-23" and body["Description"] == "Site #151 supplies"
    assert "ConversionRateType" not in body  # the ledger's own currency
    lines = [
        (
            line["LineType"],
            line["LineAmount"],
            [(d["DistributionAmount"], d["DistributionCombination"]) for d in line["invoiceDistributions"]],
        )
        for line in body["invoiceLines"]
    ]
    assert lines == [
        ("Item", "52.75", [("52.75", "101-10-60000-000")]),
        ("Item", "112.90", [("112.90", "101-10-61000-000")]),  # the PO line's code (no PO in Fusion)
        ("Tax", "9.65", [("9.65", "101-10-61000-000")]),  # the tax follows the largest item
    ]
    assert [line["LineNumber"] for line in body["invoiceLines"]] == [1, 2, 3]
    assert record.natural_key == {"InvoiceNumber": "INV-000107", "Supplier": "Acme Supplies"}
    assert record.depends_on is None and record.fields["po_matched_lines"] == 0
    assert validate(INVOICES_FLOW, [record]).rejected == []
    assert invoice_of(body).payload() == body  # what the target sends is what was mapped


def test_items_of_a_po_in_fusion_are_matched_to_its_lines_and_the_po_describes_the_invoice():
    orders = {1136: FusionOrder("PFY1136", description="Materials for site #151")}
    record = map_bill(inputs(a_bill(), item_lines={"901": (1136, 2)}, orders=orders), combination_of)
    assert isinstance(record, Mapped), record
    matched = record.body["invoiceLines"][1]
    assert {k: matched[k] for k in ("PurchaseOrderNumber", "PurchaseOrderLineNumber")} == {
        "PurchaseOrderNumber": "PFY1136",
        "PurchaseOrderLineNumber": 2,
    }
    assert matched["PurchaseOrderScheduleLineNumber"] == 1
    assert (matched["Quantity"], matched["UnitPrice"], matched["LineAmount"]) == ("2.00", "56.45", "112.90")
    assert "invoiceDistributions" not in matched and "DistributionCombination" not in matched
    assert record.body["Description"] == "Materials for site #151"  # no note: the Fusion PO's
    assert record.body["invoiceLines"][2]["invoiceDistributions"][0]["DistributionCombination"] == (
        "101-10-60000-000"  # tax on the largest item with an account of its own
    )
    assert record.fields["po_matched_lines"] == 1


def test_a_bill_of_a_po_not_in_fusion_or_of_an_unpaired_vendor_is_held():
    waiting = {1136: FusionOrder(None, dependency=order_dependency(1136))}
    held = map_bill(inputs(a_bill(), item_lines={"901": (1136, 2)}, orders=waiting), combination_of)
    assert isinstance(held, Mapped) and held.depends_on == f"{INTEGRATION}:purchase_order:procurify:PO1136"
    assert held.depends_on == INVOICES_FLOW.dependency_key("PO1136").replace(":invoice:", ":purchase_order:")
    unpaired = map_bill(inputs(a_bill(), site=None, vendor_dependency=vendor_dependency(69)), combination_of)
    assert isinstance(unpaired, Mapped) and unpaired.depends_on == f"{INTEGRATION}:vendor:procurify:69"
    assert unpaired.fields["supplier"] == "" and validate(INVOICES_FLOW, [held, unpaired]).rejected == []


def test_an_unmapped_account_code_and_totals_that_disagree_are_refused_naming_them():
    bill = a_bill()
    bill["items"][0]["account"]["account_code"]["code"] = "4000"
    refused = map_bill(inputs(bill), combination_of)
    assert isinstance(refused, Rejected) and refused.source_key == UUID
    assert refused.reason.startswith(f"bill {UUID} (invoice INV-000107, Coastal HVAC AG): item 169: ")
    assert "Procurify account code 4000 has no row in the account map" in refused.reason
    off = map_bill(inputs(a_bill(total_cost_with_tax=180.0)), combination_of)
    assert (
        isinstance(off, Rejected)
        and "come to 175.30 USD but Procurify's total with tax is 180.00 USD" in off.reason
    )
    assert isinstance(map_bill(inputs(a_bill(invoice_number=" ")), combination_of), Rejected)


def test_freight_a_tax_account_setting_and_a_foreign_currency():
    bill = a_bill(costs=[{"amount": "10.00"}], total_cost_with_tax=185.3, currency={"name": "EUR"})
    record = map_bill(inputs(bill, tax_account="101-10-22500-000"), combination_of)
    assert isinstance(record, Mapped), record
    tail = [
        (line["LineType"], line["invoiceDistributions"][0]["DistributionCombination"])
        for line in record.body["invoiceLines"][2:]
    ]
    assert tail == [("Tax", "101-10-22500-000"), ("Freight", "101-10-61000-000")]
    assert record.body["ConversionRateType"] == "Corporate"


def priced(bill: dict[str, Any], currency: str, amounts: list[str], tax: str, total: float) -> dict[str, Any]:
    """``bill`` in ``currency``, its two items at ``amounts`` (quantity 1) and its tax at ``tax``."""
    for item, amount in zip(bill["items"], amounts, strict=True):
        item.update(quantity="1", unit_cost=amount, total_cost=amount)
    bill.update(
        currency={"id": 9, "name": currency, "rate": "1.0000"}, tax_amount=tax, total_cost_with_tax=total
    )
    return bill


def test_a_euro_bill_is_invoiced_in_euros_converting_on_its_accounting_date():
    record = map_bill(inputs(priced(a_bill(), "EUR", ["600.00", "390.35"], "9.65", 1000.0)), combination_of)
    assert isinstance(record, Mapped), record
    body = record.body
    assert (body["InvoiceCurrency"], body["InvoiceAmount"]) == ("EUR", "1000.00")  # EUR, never converted
    assert (body["ConversionRateType"], body["ConversionDate"]) == ("Corporate", "2026-11-23")  # gl_post_date
    assert "ConversionRate" not in body  # Procurify's currency table rate is not the document's
    assert [line["LineAmount"] for line in body["invoiceLines"]] == ["600.00", "390.35", "9.65"]
    no_gl_date = map_bill(
        inputs(priced(a_bill(gl_post_date=None), "EUR", ["600.00", "390.35"], "9.65", 1000.0)), combination_of
    )
    assert isinstance(no_gl_date, Mapped)
    assert no_gl_date.body["ConversionDate"] == "2026-11-20"  # no gl_post_date: the invoice date
    assert invoice_of(body).payload() == body
    in_pounds = map_bill(inputs(a_bill(), ledger_currency="GBP", conversion_rate_type="Spot"), combination_of)
    assert isinstance(in_pounds, Mapped)  # a dollar bill in a sterling ledger: foreign, at the set rate type
    assert (in_pounds.body["ConversionRateType"], in_pounds.body["ConversionDate"]) == ("Spot", "2026-11-23")


def test_a_yen_bill_keeps_whole_yen_and_a_fraction_of_a_yen_is_refused_naming_the_item():
    record = map_bill(inputs(priced(a_bill(), "JPY", ["100000", "48000"], "14800", 162800.0)), combination_of)
    assert isinstance(record, Mapped), record
    body = record.body
    assert (body["InvoiceCurrency"], body["InvoiceAmount"]) == ("JPY", "162800")
    assert [line["LineAmount"] for line in body["invoiceLines"]] == ["100000", "48000", "14800"]
    assert body["invoiceLines"][0]["invoiceDistributions"][0]["DistributionAmount"] == "100000"
    assert record.fields["invoice_amount"] == "162800" and validate(INVOICES_FLOW, [record]).rejected == []
    fraction = map_bill(
        inputs(priced(a_bill(), "JPY", ["100000.50", "48000"], "0", 148000.5)), combination_of
    )
    assert isinstance(fraction, Rejected)
    assert "item 169: the amount 100000.50 has more decimals than JPY has (no decimals)" in fraction.reason


def test_a_dinar_bill_keeps_its_fils():
    record = map_bill(inputs(priced(a_bill(), "KWD", ["52.125", "112.905"], "9.650", 174.68)), combination_of)
    assert isinstance(record, Mapped), record
    assert (record.body["InvoiceAmount"], record.body["ConversionRateType"]) == ("174.680", "Corporate")
    assert [line["LineAmount"] for line in record.body["invoiceLines"]] == ["52.125", "112.905", "9.650"]
    assert validate(INVOICES_FLOW, [record]).rejected == []
    finer = map_bill(inputs(priced(a_bill(), "KWD", ["52.1255", "112.905"], "9.65", 174.68)), combination_of)
    assert isinstance(finer, Rejected) and "more decimals than KWD has (3 decimals)" in finer.reason


# -- end to end ---------------------------------------------------------------------------------------


def unpaired_approved_bill(world: FusionProcurifyWorld) -> dict[str, Any]:
    """An expense bill entered and approved now, its vendor left unpaired (as the API renders it)."""
    [made] = world.activity(new_bills=1)["bills"]["created"]
    world.bill_status(made, 2)
    return world.procurify_record("bills", made)["api"]


def full_bill(world: FusionProcurifyWorld, bill_uuid: str) -> dict[str, Any]:
    with world.resources["procurify"].session() as session:
        return session.get("bills", bill_uuid)


def invoices_in_fusion(world: FusionProcurifyWorld, number: str) -> list[dict]:
    return world.fusion_records("invoices", InvoiceNumber=number)


def audit_reasons(world: FusionProcurifyWorld, source_key: str) -> list[tuple[str, str]]:
    table = schema.audit_event
    query = (
        sa.select(table.c.action, table.c.reason)
        .where(
            table.c.integration == INTEGRATION, table.c.flow == "invoices", table.c.source_id == source_key
        )
        .order_by(table.c.id)
    )
    with world.ledger.engine.connect() as conn:
        return [(row.action, row.reason) for row in conn.execute(query)]


@pytest.fixture
def world(tmp_path: Path):
    with fusion_procurify_world(tmp_path) as world:
        stage_master(world)
        yield world


def test_an_approved_bill_is_created_once_validated_then_skipped(world: FusionProcurifyWorld):
    bill = world.approved_bill()
    first = world.run(*FLOW_ASSETS)
    assert first["fusion_procurify/invoices_written"]["create"] == 1, world.queue("invoices")
    invoice_id = world.xrefs("invoice")[bill["uuid"]]
    stored = world.fusion_record("invoices", invoice_id)
    assert (stored["InvoiceNumber"], stored["BusinessUnit"]) == (bill["invoice_number"], BUSINESS_UNIT)
    assert Decimal(str(stored["InvoiceAmount"])) == Decimal(str(bill["total_cost_with_tax"])).quantize(
        Decimal("0.01")
    )
    assert stored["ValidationStatus"] == "Validated"
    assert sum(Decimal(str(line["LineAmount"])) for line in stored["invoiceLines"]) == Decimal(
        str(stored["InvoiceAmount"])
    )
    assert any(
        f"Fusion validation: {VALIDATED_RESULT}" in reason
        for action, reason in audit_reasons(world, bill["uuid"])
        if action == "create"
    )
    again = world.run(*FLOW_ASSETS)
    assert again["fusion_procurify/invoices_written"]["skip"] == 1
    assert again["fusion_procurify/invoices_written"]["create"] == 0
    assert len(invoices_in_fusion(world, bill["invoice_number"])) == 1


def test_an_invoice_fusion_already_holds_is_adopted_and_one_that_disagrees_is_refused(
    world: FusionProcurifyWorld,
):
    kept, other = world.approved_bill(), world.approved_bill()
    world.run("procurify/bills", "fusion_procurify/invoices_mapped")
    staged = {
        json.loads(r["payload"])["source_key"]: json.loads(r["payload"])
        for r in world.resources["staging"].read_rows(
            AssetKey(["fusion_procurify", "invoices_mapped"]), world.day
        )
    }
    with world.resources["fusion"].session() as session:  # an AP clerk keyed both invoices by hand
        same = session.create_invoice(invoice_of(staged[kept["uuid"]]["body"]))
        changed = dict(staged[other["uuid"]]["body"])
        changed["InvoiceAmount"] = "1.00"
        session.create_invoice(invoice_of(changed))
    written = world.run("fusion_procurify/invoices_written")["fusion_procurify/invoices_written"]
    assert (written["adopt"], written["create"], written["fail"]) == (1, 0, 1)
    assert world.xrefs("invoice")[kept["uuid"]] == str(same["InvoiceId"])
    assert len(invoices_in_fusion(world, kept["invoice_number"])) == 1
    reason = world.queue("invoices")[other["uuid"]]
    assert "Fusion already holds it" in reason and "amount 1" in reason and "not adopted" in reason


def test_a_bill_of_an_unpaired_vendor_is_held_then_sent_once_paired(world: FusionProcurifyWorld):
    bill = unpaired_approved_bill(world)
    run = world.run(*FLOW_ASSETS)
    assert run["fusion_procurify/invoices_mapped"]["held"] == 1
    [item] = [i for i in world.ledger.open_items(integration=INTEGRATION, flow="invoices")]
    assert (item.status, item.depends_on) == ("held", vendor_dependency(bill["vendor"]["id"]))
    world.pair_with_next_supplier(bill["vendor"]["id"])
    world.replay_queued("invoices", invoices_flow)
    assert world.queue("invoices") == {}
    assert world.xrefs("invoice")[bill["uuid"]] is not None
    assert len(invoices_in_fusion(world, bill["invoice_number"])) == 1


def test_a_bill_on_an_unmapped_account_code_is_queued_then_replayed_once_the_map_is_fixed(
    world: FusionProcurifyWorld, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    bill = world.approved_bill()
    codes = {item_account(i)[0] for i in full_bill(world, bill["uuid"])["items"]}
    sandbox = ROOT / "mappings" / "sandbox" / str(ACCOUNTS.sandbox_file)
    with sandbox.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    broken = tmp_path / "accounts.csv"
    with broken.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(r for r in rows if r["procurify_account_code"] not in codes)
    own_ledger(monkeypatch, tmp_path)  # a deployment whose map is imported from that file
    monkeypatch.setenv("ML_FUSION_PROCURIFY_ACCOUNT_MAP", str(broken))
    stage_master(world)
    world.run(*FLOW_ASSETS)
    reason = world.queue("invoices")[bill["uuid"]]
    assert "has no row in the account map (ML_FUSION_PROCURIFY_ACCOUNT_MAP)" in reason
    assert invoices_in_fusion(world, bill["invoice_number"]) == []
    import_file(ACCOUNTS, sandbox, note="the full map", resources=world.resources)  # fixed
    world.replay_queued("invoices", invoices_flow)
    assert world.queue("invoices") == {}
    assert len(invoices_in_fusion(world, bill["invoice_number"])) == 1
    world.replay_queued("invoices", invoices_flow)  # nothing left: never sent twice
    assert len(invoices_in_fusion(world, bill["invoice_number"])) == 1


def test_a_bill_of_a_procurify_po_not_in_fusion_pulls_the_po_then_matches_its_fusion_lines(
    world: FusionProcurifyWorld,
):
    """A bill of a PO the purchase orders flow never wrote waits for it at mapping; the invoices' write step
    pulls the PO through that flow (created once, in Fusion) and writes the invoice matched to its lines."""
    # A requisition in US dollars purchased now (the Fusion sandbox's business unit keeps a USD ledger
    # and knows no CAD, so a CAD bill would be refused for its currency, which is not this test's point).
    order = next(
        o
        for o in (world.purchased_order() for _ in range(20))
        if o["requisition"]["currency"]["name"] == "USD"
    )
    number = int(order["purchase_orders"][0]["procurify_PO"])
    world.receive(number)
    world.enter_bill(number, status=2)
    [bill] = [
        b
        for b in world.in_procurify("bills").values()
        if b["status"] == 2
        and not b.get("last_export_date")
        and full_bill(world, b["uuid"]).get("added_purchase_orders")
        and full_bill(world, b["uuid"])["added_purchase_orders"][0]["procurify_PO"] == number
    ]
    lines = [
        i["orderitem"]["PO_line_num"] for i in full_bill(world, bill["uuid"])["items"] if i.get("orderitem")
    ]
    # The vendor paired with a supplier that has both a pay site and a purchasing site in the business unit.
    suppliers = {str(s["SupplierId"]) for s in world.fusion_suppliers_with_site()}
    supplier = next(
        row["SupplierId"]
        for row in world.fusion_records("purchaseOrders", StatusCode="OPEN", BillToBU=BUSINESS_UNIT)
        if str(row["SupplierId"]) in suppliers
    )
    world.pair_vendor(bill["vendor"]["id"], supplier)
    run = world.run(*FLOW_ASSETS)
    assert run["fusion_procurify/invoices_mapped"]["held"] == 1, world.queue("invoices")
    written = run["fusion_procurify/invoices_written"]
    assert written["parents_pulled"] == 1 and written["written_after_pull"] == written["create"] == 1, written
    assert world.queue("invoices") == {}
    assert audit_ids(world.ledger, INTEGRATION, "purchase_orders", "create") == [f"PO{number}"]  # once
    fusion_po = world.fusion_record("purchaseOrders", world.xrefs("purchase_order")[f"PO{number}"])
    assert fusion_po is not None and str(fusion_po["SupplierId"]) == str(supplier)
    stored = world.fusion_record("invoices", world.xrefs("invoice")[bill["uuid"]])
    matched = [line for line in stored["invoiceLines"] if line.get("PurchaseOrderNumber")]
    assert {line["PurchaseOrderNumber"] for line in matched} == {fusion_po["OrderNumber"]}
    assert sorted(line["PurchaseOrderLineNumber"] for line in matched) == sorted(lines)
    note = " ".join(str(full_bill(world, bill["uuid"]).get("note") or "").split())
    assert stored["Description"] == (note or fusion_po["Description"])[:240]
    again = world.run(*FLOW_ASSETS)["fusion_procurify/invoices_written"]
    assert again["parents_pulled"] == 0 and again["create"] == 0, again


def test_a_duplicate_refusal_on_create_becomes_an_adoption(world: FusionProcurifyWorld):
    bill = world.approved_bill()
    world.run("procurify/bills", "fusion_procurify/invoices_mapped")
    record = mapped_invoices(world)[bill["uuid"]]
    with world.resources["fusion"].session() as session:
        racing = ClerkBetweenSearchAndCreate(session, invoice_of(record.body))
        created = InvoiceTarget(racing, world.ledger, None, None, INVOICES_FLOW).create(record)
    assert racing.raced and created.action == "adopt"
    assert (
        "refused as a duplicate" in created.reason
        and f"Fusion validation: {VALIDATED_RESULT}" in created.reason
    )
    [held] = invoices_in_fusion(world, bill["invoice_number"])
    assert str(held["InvoiceId"]) == created.target_id


def test_a_changed_bill_updates_the_header_with_if_match_and_queues_changed_lines(
    world: FusionProcurifyWorld,
):
    bill = world.approved_bill()
    world.run(*FLOW_ASSETS)
    invoice_id = world.xrefs("invoice")[bill["uuid"]]
    record = mapped_invoices(world)[bill["uuid"]]
    header = {**record.body, "Description": "Corrected note", "InvoiceDate": "2026-11-02"}
    with world.resources["fusion"].session() as session:
        target = InvoiceTarget(session, world.ledger, None, None, INVOICES_FLOW)
        target.update(invoice_id, Mapped(record.source_key, header, record.fields))
        stored = world.fusion_record("invoices", invoice_id)
        assert (stored["Description"], stored["InvoiceDate"]) == ("Corrected note", "2026-11-02")
        assert stored["ValidationStatus"] == "Validated"  # re-validated after the date change
        lines = [dict(line) for line in record.body["invoiceLines"]]
        lines[0]["LineAmount"] = "1.00"
        with pytest.raises(ValueError, match="does not rewrite Fusion invoice lines"):
            target.update(
                invoice_id, Mapped(record.source_key, {**header, "invoiceLines": lines}, record.fields)
            )
    assert world.fusion_record("invoices", invoice_id)["invoiceLines"][0]["LineAmount"] != 1


def bill_in(world: FusionProcurifyWorld, currency: str) -> dict[str, Any]:
    """An expense bill entered now in ``currency`` by a vendor Procurify keeps in it (the simulator's
    ``/sandbox/bills``: EUR, JPY, KWD ...), approved, its vendor paired with a Fusion supplier."""
    made = world._operator("bills", {"currency": currency, "status": 2})
    bill = world.procurify_record("bills", made["bill_uuid"])["api"]
    world.pair_with_next_supplier(bill["vendor"]["id"])
    return bill


def test_a_euro_and_a_yen_bill_land_in_fusion_in_their_currency_to_the_cent_and_the_yen(
    world: FusionProcurifyWorld,
):
    # Bills of vendors Procurify keeps in euros and in yen: the US1 unit's ledger is in dollars, so Fusion
    # converts each on its accounting date at its Corporate rate; the invoice stays in the bill's currency.
    euro, yen = bill_in(world, "EUR"), bill_in(world, "JPY")
    run = world.run(*FLOW_ASSETS)
    assert run["fusion_procurify/invoices_written"]["create"] >= 2, world.queue("invoices")
    for bill, currency, unit in ((euro, "EUR", Decimal("0.01")), (yen, "JPY", Decimal("1"))):
        stored = world.fusion_record("invoices", world.xrefs("invoice")[bill["uuid"]])
        total = Decimal(str(bill["total_cost_with_tax"]))
        assert total == total.quantize(unit)  # Procurify's figure has no finer part: whole yen
        assert (stored["InvoiceCurrency"], Decimal(str(stored["InvoiceAmount"]))) == (currency, total)
        lines = [Decimal(str(line["LineAmount"])) for line in stored["invoiceLines"]]
        assert sum(lines) == total and all(line == line.quantize(unit) for line in lines), lines
        detail = full_bill(world, bill["uuid"])
        assert sorted(lines) == sorted(Decimal(item["total_cost"]) for item in detail["items"])
        assert (stored["ConversionRateType"], stored["ConversionDate"]) == (
            "Corporate",
            stored["AccountingDate"],
        )
        assert stored["ValidationStatus"] == "Validated"
