"""Procurify -> JDE bills: the pure mapper (``bill_mappers``), then the flow end to end through Dagster on
both simulators (``jde_procurify_world``): an approved bill becomes one voucher batch (F0411Z1 + F0911Z1)
and a rerun skips it; a batch written by a crashed attempt is adopted on JDE's 59A4; a bill on account code
4000-0-0-0 is queued with that reason and replayed once after the map is fixed; a bill of an unpaired
vendor is held, then released and posted once the vendor is paired; a bill that maps differently after
posting is queued, not re-posted; and the journal posting writes a balanced F0911Z1 entry.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import jde_procurify_parts as parts
import pytest
import sqlalchemy as sa
from dagster import AssetKey
from jde_money import in_document_currency
from jde_procurify_parts import BILLS_FLOW, BillInputs, vendor_dependency
from jde_procurify_world import INTEGRATION, JdeProcurifyWorld, mastered_world
from ledger_entries import audit_ids
from mapping_rows import own_ledger, save_rows
from procurify_bills import UUID, a_bill

from connector_assets.flows.core import Mapped, Rejected, validate
from connector_assets.integrations.jde_procurify.account_map import account_refusal
from connector_assets.integrations.jde_procurify.bill_mappers import batch_key, map_bill, uuid_hex
from connector_assets.jde.accounts import GlAccounts
from connector_assets.jde.target_base import BatchKey
from connector_resources.ledger import Ledger
from connector_resources.mapping_gaps import MappingGap, mapping_gaps
from connector_resources.procurify.session import ProcurifySession

GL = GlAccounts(
    [
        {"MCU": "1", "OBJ": "6110", "SUB": "", "CO": "00001", "PEC": ""},
        {"MCU": "1", "OBJ": "6320", "SUB": "", "CO": "00001", "PEC": ""},
        {"MCU": "1", "OBJ": "4110", "SUB": "", "CO": "00001", "PEC": ""},
        {"MCU": "1", "OBJ": "6810", "SUB": "", "CO": "00001", "PEC": ""},
        {"MCU": "20", "OBJ": "6110", "SUB": "", "CO": "00020", "PEC": ""},
    ]
)
ACCOUNTS = {"6100": "1.6110", "6800": "1.6320", "9000": "20.6110"}
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def account_of(code: str) -> tuple[str | None, str | None]:
    """A stand-in for ``account_map.jde_account`` over ``ACCOUNTS`` and ``GL`` (its own tests are A's)."""
    account = ACCOUNTS.get(code)
    if account is None or GL.lookup(account) is None:
        return None, f"account code {code} not found in F0901"
    return account, None


def inputs(bill: dict[str, Any], **changes: Any) -> Any:
    values: dict[str, Any] = {
        "bill": bill,
        "an8": "1014",
        "vendor_dependency": "",
        "updated_at": NOW,
        "posting": "voucher",
        "batch_user": "MLPRCFY",
    }
    values.update(changes)
    return BillInputs(**values)


# -- the mapper ---------------------------------------------------------------------------------------


def test_batch_keys_hold_the_whole_uuid_within_jde_lengths():
    key = batch_key("MLPRCFY", UUID)
    assert (key.user, key.batch, key.transaction) == ("MLPRCFY", "PFY0A5B6C9D11", "7F1C2B0E4D7A4A779C1E2F")
    assert len(key.batch) <= 15 and len(key.transaction) <= 22
    # one-to-one: the two keys put back together are the uuid, dashes or not, any case
    assert (key.transaction + key.batch[3:]).lower() == uuid_hex(UUID)
    assert batch_key("MLPRCFY", UUID.replace("-", "").upper()) == key
    other = batch_key("MLPRCFY", UUID[:-1] + "2")  # differs only in the last digit
    assert other.transaction == key.transaction and other.batch != key.batch
    with pytest.raises(ValueError, match="not a bill UUID"):
        batch_key("MLPRCFY", "107")


def test_an_approved_bill_becomes_one_voucher_with_a_line_per_item_and_the_tax():
    record = map_bill(inputs(a_bill()), account_of, GL)
    assert isinstance(record, Mapped), record
    body = record.body
    assert BatchKey.of_body(body) == BatchKey("MLPRCFY", "PFY0A5B6C9D11", "7F1C2B0E4D7A4A779C1E2F")
    assert (body["Company"], body["Supplier"], body["Invoice_Number"]) == ("00001", 1014, "INV-000107")
    assert (body["Invoice_Date"], body["GL_Date"], body["Due_Date"]) == (
        "2026-11-20",
        "2026-11-23",
        "2027-01-07",
    )
    assert body["Currency_Code"] == "GBP" and body["Pay_Items"] == [
        {"EDI_Line_Number": 1, "Gross_Amount": "175.30"}
    ]
    assert [(d["Account"], d["Amount"], d["Explanation"]) for d in body["Distribution"]] == [
        ("1.6110", "52.75", 'Plywood 3/4" CDX'),
        ("1.6320", "112.90", "Copper wire 12 AWG 250 ft, spo"),  # the PO line's code; EXA is 30 long
        ("1.6320", "9.65", "Tax"),  # the tax follows the largest item
    ]
    assert record.depends_on is None and record.fields["waits_for"] == ""
    assert validate(BILLS_FLOW, [record]).rejected == []


def test_the_float_total_is_read_as_decimal_and_a_difference_is_refused_with_both_figures():
    tiny = a_bill(
        total_cost_with_tax=0.1 + 0.2, tax_amount="0", items=[dict(a_bill()["items"][0], total_cost="0.30")]
    )
    assert isinstance(map_bill(inputs(tiny), account_of, GL), Mapped)  # 0.30000000000000004 is 0.30
    off = map_bill(inputs(a_bill(total_cost_with_tax=180.0)), account_of, GL)
    assert isinstance(off, Rejected)
    assert "items and tax come to 175.30 GBP but Procurify's total with tax is 180.00 GBP" in off.reason


# -- the bill's currency, and the order it was raised against ---------------------------------------


def test_a_euro_bill_is_sent_in_euros_and_a_stated_procurify_rate_is_not_sent():
    bill = a_bill(currency={"id": 2, "name": "EUR", "rate": "0.9210"})
    record = map_bill(inputs(bill), account_of, GL)
    assert isinstance(record, Mapped), record
    body = record.body
    # Procurify's currency rate is its own currency table's against its base currency, not the bill's rate
    # into the JDE company's currency: JDE's F0015 decides (the target places a foreign bill in ACR).
    assert body["Currency_Code"] == "EUR" and "Exchange_Rate" not in body
    assert body["Pay_Items"][0]["Gross_Amount"] == "175.30"
    assert [d["Amount"] for d in body["Distribution"]] == ["52.75", "112.90", "9.65"]
    assert record.fields["currency"] == "EUR" and record.fields["gross_amount"] == "175.30"
    assert validate(BILLS_FLOW, [record]).rejected == []


def yen_bill(item_cost: str, tax: str, total: float) -> dict[str, Any]:
    items = [dict(a_bill()["items"][0], total_cost=item_cost, unit_cost=item_cost)]
    return a_bill(currency={"id": 6, "name": "JPY", "rate": "151.2"}, items=items, tax_amount=tax,
                  total_cost_with_tax=total)  # fmt: skip


def test_a_yen_bill_keeps_whole_yen_and_one_with_fractions_is_refused_naming_the_item():
    record = map_bill(inputs(yen_bill("125000.00", "10000", 135000.0)), account_of, GL)
    assert isinstance(record, Mapped), record
    body = record.body
    assert body["Currency_Code"] == "JPY" and body["Pay_Items"][0]["Gross_Amount"] == "135000"
    assert [d["Amount"] for d in body["Distribution"]] == ["125000", "10000"]
    assert record.fields["gross_amount"] == "135000"
    assert validate(BILLS_FLOW, [record]).rejected == []
    fractions = map_bill(inputs(yen_bill("125000.50", "10000", 135000.5)), account_of, GL)
    assert isinstance(fractions, Rejected)
    assert fractions.reason.startswith(f"bill {UUID} (invoice INV-000107, Coastal HVAC AG)")
    assert "item 169: the amount 125000.50 has more decimals than JPY has (no decimals)" in fractions.reason
    assert fractions.refusal.group == "source_invalid · items.amount"
    tax = map_bill(inputs(yen_bill("125000", "10000.25", 135000.25)), account_of, GL)
    assert isinstance(tax, Rejected) and "the tax amount (tax_amount): the amount 10000.25" in tax.reason
    assert tax.refusal.params == {"field": "tax_amount", "value": "10000.25 JPY"}


def test_a_dinar_bill_keeps_its_three_decimals():
    items = [dict(a_bill()["items"][0], total_cost="100.125", unit_cost="100.125")]
    bill = a_bill(
        currency={"id": 7, "name": "KWD"}, items=items, tax_amount="0.010", total_cost_with_tax=100.135
    )
    record = map_bill(inputs(bill), account_of, GL)
    assert isinstance(record, Mapped), record
    assert record.body["Pay_Items"][0]["Gross_Amount"] == "100.135"
    assert [d["Amount"] for d in record.body["Distribution"]] == ["100.125", "0.010"]


def test_a_bill_on_one_jde_order_names_it_on_the_voucher_and_nowhere_else():
    order = ("00001:4011:OP",)
    record = map_bill(inputs(a_bill(), orders=order), account_of, GL)
    assert isinstance(record, Mapped), record
    body = record.body
    assert (body["Order_Company"], body["Order_Number"], body["Order_Type"]) == ("00001", 4011, "OP")
    assert record.fields["jde_order"] == "00001:4011:OP"
    assert validate(BILLS_FLOW, [record]).rejected == []
    # Two POs of the same order: still that order. A PO from no JDE order beside it, or two orders: none
    # (a voucher names one order; naming one of several would send A/P to the wrong order for the rest).
    same = map_bill(inputs(a_bill(), orders=(*order, "00001:4011:OP")), account_of, GL)
    assert isinstance(same, Mapped) and same.body["Order_Number"] == 4011
    for orders in ((*order, None), (*order, "00050:77:OP"), (None,), ()):
        none = map_bill(inputs(a_bill(), orders=orders), account_of, GL)
        assert isinstance(none, Mapped) and "Order_Number" not in none.body, orders
        assert none.fields["jde_order"] == ""
    # A journal entry has no order reference: JDE's journal batch carries no document to match.
    journal = map_bill(inputs(a_bill(), orders=order, posting="journal", ap_account="1.4110"), account_of, GL)
    assert isinstance(journal, Mapped) and "Order_Number" not in journal.body
    assert journal.body["Currency_Code"] == "GBP"


def test_the_jde_order_of_a_linked_po_is_read_from_the_po_links_ledger(tmp_path):
    from connector_assets.integrations.jde_procurify.own import LINK_ENTITY
    from connector_assets.integrations.jde_procurify.po_links import jde_orders

    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    for source, po in (("00001:4011:OP", "1200"), ("00001:4011:OP/1201", "1201"), ("00050:77:OP", "1300")):
        key = (INTEGRATION, LINK_ENTITY, "procurify", source, "procurify")
        ledger.claim_xref(*key, owner="test")
        ledger.record_target(*key, target_id=po, content_hash="linked")
    found = jde_orders(parts.OWN.links, ledger, [1200, 1201, 1300, 1999])
    assert found == {1200: "00001:4011:OP", 1201: "00001:4011:OP", 1300: "00050:77:OP", 1999: None}


# -- additional costs ---------------------------------------------------------------

FREIGHT = [{"name": "Freight", "amount": "25.00"}, {"amount": "0.96"}]  # 175.30 + 25.96 = 201.26


def test_additional_costs_post_on_the_freight_account_so_the_voucher_is_the_bills_total():
    bill = a_bill(total_cost_with_tax=201.26, costs=FREIGHT)
    record = map_bill(inputs(bill, freight_account="1.6810"), account_of, GL)
    assert isinstance(record, Mapped), record
    assert record.body["Pay_Items"] == [{"EDI_Line_Number": 1, "Gross_Amount": "201.26"}]
    assert [(d["Account"], d["Amount"], d["Explanation"]) for d in record.body["Distribution"]][2:] == [
        ("1.6320", "9.65", "Tax"),
        ("1.6810", "25.00", "Freight"),
        ("1.6810", "0.96", "Freight and additional costs"),
    ]
    assert sum(Decimal(d["Amount"]) for d in record.body["Distribution"]) == Decimal("201.26")
    assert validate(BILLS_FLOW, [record]).rejected == []
    journal = map_bill(
        inputs(bill, freight_account="1.6810", posting="journal", ap_account="1.4110"), account_of, GL
    )
    assert isinstance(journal, Mapped), journal
    assert journal.body["Lines"][-1]["Amount"] == "-201.26"
    assert sum(Decimal(x["Amount"]) for x in journal.body["Lines"]) == 0


def test_additional_costs_without_the_freight_setting_are_refused_naming_it_the_bill_and_the_amount():
    bill = a_bill(total_cost_with_tax=201.26, costs=FREIGHT)
    record = map_bill(inputs(bill), account_of, GL)
    assert isinstance(record, Rejected) and record.source_key == UUID
    assert record.reason.startswith(f"bill {UUID} (invoice INV-000107, Coastal HVAC AG)")
    wanted = (
        "additional costs (freight) come to 25.96 GBP and ML_JDE_PROCURIFY_BILL_FREIGHT_ACCOUNT is not set"
    )
    assert wanted in record.reason, record.reason
    assert "Procurify's total" not in record.reason  # the one cause, not a sum that cannot add up
    assert record.refusal.group == "configuration · JDE"
    assert record.refusal.params["setting"] == "ML_JDE_PROCURIFY_BILL_FREIGHT_ACCOUNT"
    unreadable = map_bill(inputs(a_bill(costs=[{"note": "?"}]), freight_account="1.6810"), account_of, GL)
    assert isinstance(unreadable, Rejected)
    assert "additional cost 1 ({'note': '?'}) has no amount" in unreadable.reason


def test_an_unknown_account_code_refuses_the_bill_naming_it():
    bill = a_bill()
    bill["items"][0]["account"]["account_code"]["code"] = "4000-0-0-0"
    record = map_bill(inputs(bill), account_of, GL)
    assert isinstance(record, Rejected) and record.source_key == UUID
    assert "item 169: account code 4000-0-0-0 not found in F0901" in record.reason
    assert record.reason.startswith(f"bill {UUID} (invoice INV-000107, Coastal HVAC AG)")
    # as data: a row the account map lacks, named with its value, whatever the sentence says
    assert (record.refusal.sentence, record.refusal.group) == (
        record.reason,
        f"mapping_missing · {parts.ACCOUNTS.name}",
    )
    assert mapping_gaps(record.refusal.kind, record.refusal.params) == [
        MappingGap("account code", "4000-0-0-0", parts.ACCOUNTS.name)
    ]


def test_the_account_maps_problems_are_a_missing_row_or_a_missing_jde_account():
    table = parts.AccountMap({"1.6110": "6100", "1.9999": "6900"}, parts.AccountScope(()))
    name = parts.ACCOUNTS.name
    unmapped = account_refusal("4000-0-0-0", "account code 4000-0-0-0 not found in F0901", table, name)
    assert unmapped.group == f"mapping_missing · {name}"
    assert unmapped.params["value"] == "4000-0-0-0"
    gone = account_refusal("6900", "account code 6900 not found in F0901", table, name)
    assert (gone.group, gone.params["value"]) == ("master_missing · JDE · account", "1.9999")


def test_an_item_with_no_account_code_is_refused_naming_it_and_procurify_as_the_place_to_fix_it():
    bill = a_bill()
    bill["items"][0]["account"] = None  # neither the bill line nor a PO line carries an account
    record = map_bill(inputs(bill), account_of, GL)
    assert isinstance(record, Rejected) and record.source_key == UUID
    assert "item 169 has no account code in Procurify" in record.reason, record.reason
    assert "set the account on that line in Procurify" in record.reason
    assert "account map cannot supply one" in record.reason


def test_an_invoice_number_longer_than_jde_holds_is_refused_not_cut():
    number = "RE-00000107/ÄÄÄÄÄÄÄÄÄÄ-999999999999999999999999999"
    record = map_bill(inputs(a_bill(invoice_number=number)), account_of, GL)
    assert isinstance(record, Rejected)
    assert f"{len(number)} characters, more than JDE's 25 (F0411 VINV); it is not cut short" in record.reason
    exact = "X" * 25
    assert isinstance(map_bill(inputs(a_bill(invoice_number=exact)), account_of, GL), Mapped)


def test_accounts_of_two_companies_and_a_zero_bill_are_refused():
    bill = a_bill(total_cost_with_tax=175.3)
    bill["items"][1]["orderitem"]["account"]["account_code"]["code"] = "9000"
    two = map_bill(inputs(bill), account_of, GL)
    assert isinstance(two, Rejected) and "companies 00001, 00020" in two.reason
    assert two.refusal.group == "refused · bill charges several companies"
    zero_items = [dict(i, total_cost="0.00") for i in a_bill()["items"]]
    zero = map_bill(inputs(a_bill(items=zero_items, tax_amount="0", total_cost_with_tax=0.0)), account_of, GL)
    assert isinstance(zero, Rejected) and "0.00 GBP: nothing to post" in zero.reason


def test_an_unpaired_vendor_holds_the_bill_on_its_dependency():
    # A purchasable, active vendor with no ERP key: the vendors flow will send it.
    key = vendor_dependency("69", {"external_id": None, "type": 4, "active": True})
    assert key == f"{INTEGRATION}:vendor:procurify:69"
    assert vendor_dependency("69", {"external_id": "10069"}) == f"{INTEGRATION}:supplier:JDE:10069"
    assert vendor_dependency("69", {"external_id": "JDE-V-10069"}) is None  # no flow pairs it: refused
    record = map_bill(inputs(a_bill(), an8=None, vendor_dependency=key), account_of, GL)
    assert isinstance(record, Mapped) and record.depends_on == key
    assert record.body["Supplier"] is None and record.fields["supplier_number"] == ""
    assert validate(BILLS_FLOW, [record]).rejected == []
    unheld = Mapped(record.source_key, record.body, {**record.fields, "waits_for": ""})
    assert validate(BILLS_FLOW, [unheld]).rejected  # no supplier and not held: not writable


def test_the_journal_posting_credits_the_ap_account_with_the_supplier_as_subledger():
    record = map_bill(inputs(a_bill(), posting="journal", ap_account="1.4110"), account_of, GL)
    assert isinstance(record, Mapped), record
    lines = record.body["Lines"]
    assert [(x["Account"], x["Amount"]) for x in lines] == [
        ("1.6110", "52.75"),
        ("1.6320", "112.90"),
        ("1.6320", "9.65"),
        ("1.4110", "-175.30"),
    ]
    assert sum(Decimal(x["Amount"]) for x in lines) == 0
    assert lines[-1] | {} == {
        "EDI_Line_Number": 4,
        "Account": "1.4110",
        "Amount": "-175.30",
        "Explanation": "Inv INV-000107",
        "Subledger": "1014",
        "Subledger_Type": "A",
    }
    assert record.body["Company"] == "00001" and record.body["GL_Date"] == "2026-11-23"
    assert record.fields["posting"] == "journal" and validate(BILLS_FLOW, [record]).rejected == []


# -- the flow through Dagster, on both simulators -----------------------------------------------------

BILLS = ("procurify/bills", "jde_procurify/bills_mapped", "jde_procurify/bills_written")


class Scenario:
    """A world's bills: approved by the AP clerk today, their vendors paired (or not) in the ledger."""

    def __init__(self, world: JdeProcurifyWorld) -> None:
        self.world = world
        self.suppliers = [int(r["AN8"]) for r in world.jde_rows("F0401")]

    def new_bill(self, *, unpaired: bool = False) -> dict[str, Any]:
        """An expense bill entered now and approved (status 2) by the AP clerk: its API record. With
        ``unpaired``, one whose vendor no earlier step paired (the sandbox picks vendors at random)."""
        for _ in range(20):
            made = self.world.activity(new_bills=1)["bills"]["created"]
            bill = self.world.procurify_record("bills", made[0])["api"]
            if not unpaired or parts.PAIRING.paired_supplier(self.world.ledger, bill["vendor"]["id"]) is None:
                self.world.bill_status(made[0], 2)
                return self.world.procurify_record("bills", made[0])["api"]
        raise AssertionError("the sandbox made no bill of an unpaired vendor in 20 tries")

    def pair(self, vendor_id: int | str) -> int:
        """The vendor paired with a JDE supplier as the ``vendors`` flow records it (tested there): the next
        supplier no vendor has, unless an earlier step paired this vendor already. The paired AN8."""
        ledger: Ledger = self.world.ledger
        known = parts.PAIRING.paired_supplier(ledger, vendor_id)
        if known is not None:
            return int(known)
        an8 = self.free_supplier()
        key = (INTEGRATION, "vendor", "procurify", str(vendor_id), "JDE")
        ledger.claim_xref(*key, owner="test-pairing")
        ledger.record_target(*key, target_id=str(an8), content_hash="paired-by-test")
        return an8

    def free_supplier(self) -> int:
        """A JDE supplier no vendor is paired with yet (either flow's cross-reference)."""
        taken = {int(t) for t in self.world.xrefs("vendor").values() if t}
        taken |= {int(k) for k, t in self.world.xrefs("supplier").items() if t}
        return next(n for n in self.suppliers if n not in taken)

    def batch_rows(self, table: str, bill_uuid: str) -> list[dict]:
        return self.world.batch_rows(table, bill_uuid)

    def replay(self) -> None:
        self.world.replay_queued("bills", parts.FLOWS["bills"])


world = mastered_world("jde_procurify_bills")


@pytest.fixture(scope="module")
def scenario(world: JdeProcurifyWorld) -> Scenario:
    return Scenario(world)


def test_an_approved_bill_is_posted_once_and_a_rerun_skips_it(world, scenario):
    bill = scenario.new_bill()
    scenario.first = bill
    an8 = scenario.pair(bill["vendor"]["id"])
    written = world.run(*BILLS)["jde_procurify/bills_written"]
    assert world.queue("bills").get(bill["uuid"]) is None, world.queue("bills")
    assert written["create"] >= 1, written
    pay_items, distribution = (scenario.batch_rows(t, bill["uuid"]) for t in ("F0411Z1", "F0911Z1"))
    assert len(pay_items) == 1 and len(distribution) == len(bill["items"]), (pay_items, distribution)
    assert int(pay_items[0]["AN8"]) == an8
    assert pay_items[0]["VINV"].strip() == bill["invoice_number"]
    total = Decimal(str(bill["total_cost_with_tax"])).quantize(Decimal("0.01"))
    # In the bill's currency: AG for a bill in the company's, ACR (mode F) for another (the sandbox's
    # vendors bill in USD, CAD, EUR, CNY or GBP).
    assert pay_items[0]["CRCD"].strip() == bill["currency"]["name"]
    assert in_document_currency(pay_items[0]) == total
    assert sum(in_document_currency(r, "AA") for r in distribution) == total
    key = batch_key("MLPRCFY", bill["uuid"])
    assert world.xrefs("bill")[bill["uuid"]] == key.target_id
    again = world.run(*BILLS)["jde_procurify/bills_written"]
    assert again["create"] == 0 and again["skip"] >= 1, again
    assert len(scenario.batch_rows("F0411Z1", bill["uuid"])) == 1


def test_a_batch_a_crashed_attempt_wrote_is_adopted_on_59a4(world, scenario):
    bill = scenario.new_bill()
    scenario.pair(bill["vendor"]["id"])
    world.run("procurify/bills", "jde_procurify/bills_mapped")
    staged = {
        json.loads(row["payload"])["source_key"]: json.loads(row["payload"])
        for row in world.resources["staging"].read_rows(
            AssetKey(["jde_procurify", "bills_mapped"]), world.day
        )
    }
    body = dict(staged[bill["uuid"]]["body"])
    # The crashed attempt: JDE took the batch, the ledger never heard of it.
    with world.resources["jde"].session() as session:
        for name in ("Invoice_Date", "GL_Date", "Due_Date"):
            body[name] = datetime.fromisoformat(body[name]).date() if body.get(name) else None
        session.orchestrate("ML_CreateVoucherBatch", body)
    assert len(scenario.batch_rows("F0411Z1", bill["uuid"])) == 1
    before = world.audit_counts("bills").get("adopt", 0)
    world.run("jde_procurify/bills_written")
    assert world.audit_counts("bills").get("adopt", 0) == before + 1
    assert world.xrefs("bill")[bill["uuid"]] == batch_key("MLPRCFY", bill["uuid"]).target_id
    assert len(scenario.batch_rows("F0411Z1", bill["uuid"])) == 1


def test_an_unknown_account_code_is_queued_then_replayed_once_after_the_map_is_fixed(
    world, scenario, tmp_path, monkeypatch
):
    own_ledger(monkeypatch, tmp_path)  # the account map imported from the sandbox file on first use
    bill = scenario.new_bill()
    scenario.pair(bill["vendor"]["id"])
    code = bill_code(world, bill)
    # A Procurify admin renames the account code to one JDE does not have.
    # What AccountCodeUpdateRequest takes: code, description, account_type (parent and active are not).
    writable = {k: v for k, v in code.items() if k in ("code", "description", "account_type")}
    with world.resources["procurify"].session() as session:
        session.update_account_code(code["id"], {**writable, "code": "4000-0-0-0"})
    world.run(*BILLS)
    reason = world.queue("bills").get(bill["uuid"])
    assert reason and "account code 4000-0-0-0 not found in F0901" in reason, world.queue("bills")
    assert scenario.batch_rows("F0411Z1", bill["uuid"]) == []
    # The fix: the map names the renamed code for the JDE account the old code had.
    [account] = [k for k, v in parts.ACCOUNTS.current().items() if v == code["code"]]
    save_rows(parts.ACCOUNTS, {account: "4000-0-0-0"}, note="the code renamed", resources=world.resources)
    scenario.replay()
    assert world.queue("bills").get(bill["uuid"]) is None, world.queue("bills")
    assert len(scenario.batch_rows("F0411Z1", bill["uuid"])) == 1
    scenario.replay()  # nothing left to replay; a second replay never posts it again
    world.run(*BILLS)
    assert len(scenario.batch_rows("F0411Z1", bill["uuid"])) == 1
    # The sandbox and the staged map as the other tests expect them.
    with world.resources["procurify"].session() as session:
        session.update_account_code(code["id"], writable)
    save_rows(parts.ACCOUNTS, {account: code["code"]}, note="the code back", resources=world.resources)
    world.run_whole("jde_procurify/account_map")


def bill_code(world: JdeProcurifyWorld, bill: dict[str, Any]) -> dict[str, Any]:
    """The account code of the bill's first item, as the API renders it."""
    with world.resources["procurify"].session() as session:
        full = session.get("bills", bill["uuid"])
    item = full["items"][0]
    found = item["account"]["account_code"]
    return {k: found[k] for k in ("id", "code", "description", "account_type", "active", "parent")}


def test_a_bill_of_an_unpaired_vendor_is_refused_or_held_then_posted_once_paired(world, scenario):
    bill = scenario.new_bill(unpaired=True)
    vendor_id, an8 = bill["vendor"]["id"], scenario.free_supplier()
    # Another system's key in external_id: no flow pairs the vendor, so the bill is refused, saying so.
    with world.resources["procurify"].session() as session:
        session.update_vendor(vendor_id, {"external_id": f"JDE-V-{an8}"})
    world.run(*BILLS)
    reason = world.queue("bills").get(bill["uuid"], "")
    assert f"external_id 'JDE-V-{an8}' is not a JDE address number" in reason, world.queue("bills")
    # Fixed in Procurify: the AN8 as external_id. The replay now holds it for the suppliers flow's pair.
    with world.resources["procurify"].session() as session:
        session.update_vendor(vendor_id, {"external_id": str(an8)})
    scenario.replay()
    held = {
        i.source_key: i for i in world.ledger.open_items(integration=INTEGRATION, flow="bills", status="held")
    }
    assert bill["uuid"] in held, world.queue("bills")
    assert held[bill["uuid"]].depends_on == parts.PAIRING.supplier_dependency(an8)
    assert scenario.batch_rows("F0411Z1", bill["uuid"]) == []
    scenario.replay()  # not paired yet: still held, nothing sent
    assert scenario.batch_rows("F0411Z1", bill["uuid"]) == []
    # The suppliers flow pairs JDE supplier an8 with the vendor (its cross-reference; tested there).
    key = (INTEGRATION, "supplier", "JDE", str(an8), "procurify")
    world.ledger.claim_xref(*key, owner="test-pairing")
    world.ledger.record_target(*key, target_id=str(vendor_id), content_hash="paired-by-test")
    scenario.replay()
    assert world.queue("bills").get(bill["uuid"]) is None, world.queue("bills")
    pay_items = scenario.batch_rows("F0411Z1", bill["uuid"])
    assert len(pay_items) == 1 and int(pay_items[0]["AN8"]) == an8
    world.run(*BILLS)
    assert len(scenario.batch_rows("F0411Z1", bill["uuid"])) == 1


def test_a_bill_of_a_vendor_made_in_procurify_pulls_the_vendor_into_jde_and_is_posted_in_the_same_run(
    world, scenario
):
    """A vendor the AP clerk made in Procurify today, a bill of it approved: the bills run (the vendors flow
    not in it) adds the vendor's JDE supplier through the vendors flow, once, then posts the bill on it."""
    [vendor_id] = world.activity(new_vendors=1)["vendors"]["created"]
    bill = world._operator("bills", {"vendor": vendor_id, "status": 2})["bill_uuid"]
    meta = world.run(*BILLS)
    mapped, written = meta["jde_procurify/bills_mapped"], meta["jde_procurify/bills_written"]
    assert mapped["held"] >= 1 and written["parents_missing"] == written["parents_left"] == 0
    assert written["parents_pulled"] >= 1 and written["written_after_pull"] >= 1
    made = audit_ids(world.ledger, INTEGRATION, "vendors", "create")
    assert made.count(str(vendor_id)) == 1 and len(made) == len(set(made))
    an8 = parts.PAIRING.paired_supplier(world.ledger, vendor_id)
    assert an8 is not None, "the vendors flow recorded the pair"
    pay_items = scenario.batch_rows("F0411Z1", bill)
    assert len(pay_items) == 1 and int(pay_items[0]["AN8"]) == int(an8)
    assert world.queue("bills").get(bill) is None
    again = world.run(*BILLS)["jde_procurify/bills_written"]  # nothing pulled or posted twice
    assert again["parents_pulled"] == 0 and len(scenario.batch_rows("F0411Z1", bill)) == 1
    assert audit_ids(world.ledger, INTEGRATION, "vendors", "create") == made


def test_journal_posting_writes_a_balanced_entry_and_voucher_bills_already_posted_are_queued_not_resent(
    world, scenario, monkeypatch
):
    first = scenario.first["uuid"]
    first_rows = (scenario.batch_rows("F0411Z1", first), scenario.batch_rows("F0911Z1", first))
    monkeypatch.setenv("ML_JDE_PROCURIFY_BILL_POSTING", "journal")
    bill = scenario.new_bill()
    an8 = scenario.pair(bill["vendor"]["id"])
    world.run(*BILLS)
    assert world.queue("bills").get(bill["uuid"]) is None, world.queue("bills")
    lines = scenario.batch_rows("F0911Z1", bill["uuid"])
    assert scenario.batch_rows("F0411Z1", bill["uuid"]) == []
    assert len(lines) == len(bill["items"]) + 1, lines
    assert sum(in_document_currency(r, "AA") for r in lines) == 0
    credit = max(lines, key=lambda r: int(r["EDLN"]))
    total = Decimal(str(bill["total_cost_with_tax"])).quantize(Decimal("0.01"))
    assert in_document_currency(credit, "AA") == -total
    assert str(credit.get("SBL") or "").strip().lstrip("0") == str(an8)
    assert str(credit.get("SBLT") or "").strip() == "A"
    assert world.xrefs("bill")[bill["uuid"]] == batch_key("MLPRCFY", bill["uuid"]).target_id
    # The voucher posted before now maps as a journal: queued for a person, never sent a second time.
    assert "already posted to JDE as" in world.queue("bills").get(first, ""), world.queue("bills")
    assert (scenario.batch_rows("F0411Z1", first), scenario.batch_rows("F0911Z1", first)) == first_rows


def test_a_bill_another_process_exported_is_skipped_not_posted(world, scenario):
    approved = [
        b
        for b in world.in_procurify("bills").values()
        if b["status"] == 2 and b.get("last_export_date") and b.get("uuid")
    ]
    assert approved, "the sandbox seeds approved bills exported by another process"
    bill = approved[0]
    day = datetime.fromisoformat(bill["last_modified_datetime"].replace("Z", "+00:00")).astimezone(UTC)
    world.run(*BILLS, partition=day.date().isoformat())
    with world.ledger.engine.begin() as conn:
        reasons = (
            conn.execute(
                sa.text(
                    "select reason from mlc_audit_event where integration = :i and flow = 'bills' "
                    "and action = 'skip' and source_id = :k"
                ),
                {"i": INTEGRATION, "k": bill["uuid"]},
            )
            .scalars()
            .all()
        )
    assert reasons and "exported from Procurify on" in reasons[0] and "by another process" in reasons[0]
    assert bill["uuid"] not in world.xrefs("bill") and bill["uuid"] not in world.queue("bills")
    assert scenario.batch_rows("F0411Z1", bill["uuid"]) == []


def test_a_journal_ap_account_jde_does_not_have_fails_the_partition_and_sends_nothing(
    world, scenario, monkeypatch
):
    monkeypatch.setenv("ML_JDE_PROCURIFY_BILL_POSTING", "journal")
    monkeypatch.setenv("ML_JDE_PROCURIFY_AP_ACCOUNT", "1.4999")
    bill = scenario.new_bill()
    scenario.pair(bill["vendor"]["id"])
    result = world.materialize(*BILLS, ok=False)
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failures and "account 1.4999 not found in F0901" in str(failures[0].event_specific_data.error)
    assert bill["uuid"] not in world.xrefs("bill") and bill["uuid"] not in world.queue("bills")
    assert scenario.batch_rows("F0911Z1", bill["uuid"]) == []


# -- Procurify timing out ---------------------------------------------------------


def detail_path(bill: dict[str, Any]) -> str:
    """The path of one bill's full read (``GET /api/v2/ap/bills/{uuid}/``), for a fault on it alone."""
    return f"/api/v2/ap/bills/{bill['uuid']}"


def two_paired_bills(scenario: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two new bills whose vendors are paired with JDE suppliers: one to fault, one to post beside it."""
    bills = scenario.new_bill(), scenario.new_bill()
    for each in bills:
        scenario.pair(each["vendor"]["id"])
    return bills


def test_one_gateway_timeout_on_a_bills_read_is_retried_and_the_day_is_posted(world, scenario):
    bill, other = two_paired_bills(scenario)
    try:
        world.procurify_faults(fail_next=1, fail_next_status=504, fail_next_path_prefix=detail_path(bill))
        world.run(*BILLS)
        assert world.procurify_state()["faults"]["fail_next"] == 0  # the one 504 was answered, then retried
    finally:
        world.procurify_faults(fail_next=0, fail_next_path_prefix=None)
    for each in (bill, other):
        assert world.queue("bills").get(each["uuid"]) is None, world.queue("bills")
        assert len(scenario.batch_rows("F0411Z1", each["uuid"])) == 1


def test_a_bill_whose_read_keeps_timing_out_is_queued_naming_it_and_the_rest_is_posted(world, scenario):
    bill, other = two_paired_bills(scenario)
    try:
        world.procurify_faults(fail_next=1000, fail_next_status=504, fail_next_path_prefix=detail_path(bill))
        world.run(*BILLS)  # the day succeeds: the list was read, one bill's own read was not
        reason = world.queue("bills").get(bill["uuid"], "")
        assert bill["uuid"] in reason and "its full bill" in reason, world.queue("bills")
        assert "ML_PROCURIFY_MAX_ATTEMPTS" in reason and "504" in reason, reason
        assert scenario.batch_rows("F0411Z1", bill["uuid"]) == []
        assert len(scenario.batch_rows("F0411Z1", other["uuid"])) == 1
        assert world.queue("bills").get(other["uuid"]) is None
        scenario.replay()  # Procurify still times out on it: it stays queued, nothing sent
        assert bill["uuid"] in world.queue("bills").get(bill["uuid"], "")
        assert scenario.batch_rows("F0411Z1", bill["uuid"]) == []
    finally:
        world.procurify_faults(fail_next=0, fail_next_path_prefix=None)
    scenario.replay()  # the fault is gone: the replay posts it, once
    assert world.queue("bills").get(bill["uuid"]) is None, world.queue("bills")
    assert len(scenario.batch_rows("F0411Z1", bill["uuid"])) == 1
    world.run(*BILLS)
    assert len(scenario.batch_rows("F0411Z1", bill["uuid"])) == 1
    assert len(scenario.batch_rows("F0411Z1", other["uuid"])) == 1


def with_freight(monkeypatch: pytest.MonkeyPatch, bill_uuid: str, cost: str) -> None:
    """Procurify's full read of this one bill answers with an additional cost (freight) of ``cost`` in
    ``costs`` and in its total. The Procurify sandbox renders ``costs`` empty on every bill (the reference
    lists the field but not its shape), so the answer is amended here; every call still goes over HTTP."""
    real = ProcurifySession.get

    def get(self: ProcurifySession, entity: str, id: str | int) -> dict[str, Any]:
        got = real(self, entity, id)
        if entity == "bills" and str(got.get("uuid")) == bill_uuid:
            total = Decimal(str(got["total_cost_with_tax"])) + Decimal(cost)
            got = {**got, "costs": [{"name": "Freight", "amount": cost}], "total_cost_with_tax": float(total)}
        return got

    monkeypatch.setattr(ProcurifySession, "get", get)


def item_business_unit(world: JdeProcurifyWorld, bill: dict[str, Any]) -> str:
    """The JDE business unit the bill's first item posts to (through the sandbox account map, else the
    code read as BU.OBJ), so a freight account there belongs to the bill's company."""
    code = bill_code(world, bill)["code"]
    rows = Path("mappings/sandbox/jde_procurify_accounts.csv").read_text(encoding="utf-8").splitlines()
    mapped = [line.split(",")[0] for line in rows if line.split(",")[-1] == code]
    return (mapped[0] if mapped else code).split(".")[0]


def test_a_bill_with_freight_is_refused_naming_the_setting_then_posted_with_the_freight_line_once_set(
    world, scenario, monkeypatch
):
    bill = scenario.new_bill()
    scenario.pair(bill["vendor"]["id"])
    with_freight(monkeypatch, bill["uuid"], "25.37")
    monkeypatch.delenv("ML_JDE_PROCURIFY_BILL_FREIGHT_ACCOUNT", raising=False)
    world.run(*BILLS)
    reason = world.queue("bills").get(bill["uuid"], "")
    assert reason.startswith(f"bill {bill['uuid']}"), world.queue("bills")
    wanted = (
        "additional costs (freight) come to 25.37 {} and ML_JDE_PROCURIFY_BILL_FREIGHT_ACCOUNT is not set"
    )
    assert wanted.format(bill["currency"]["name"]) in reason, reason
    assert scenario.batch_rows("F0411Z1", bill["uuid"]) == []
    unit = item_business_unit(world, bill)
    # F0901 holds Freight In (6810) in that unit (JDE stores MCU right-aligned in 12).
    assert world.jde_rows("F0901", MCU=unit.rjust(12), OBJ="6810"), unit
    monkeypatch.setenv("ML_JDE_PROCURIFY_BILL_FREIGHT_ACCOUNT", f"{unit}.6810")
    scenario.replay()
    assert world.queue("bills").get(bill["uuid"]) is None, world.queue("bills")
    [pay_item] = scenario.batch_rows("F0411Z1", bill["uuid"])
    lines = scenario.batch_rows("F0911Z1", bill["uuid"])
    total = Decimal(str(bill["total_cost_with_tax"])).quantize(Decimal("0.01")) + Decimal("25.37")
    assert in_document_currency(pay_item) == total
    assert sum(in_document_currency(r, "AA") for r in lines) == total
    freight = [r for r in lines if str(r["OBJ"]).strip() == "6810" and str(r["MCU"]).strip() == unit]
    assert [in_document_currency(r, "AA") for r in freight] == [Decimal("25.37")], lines
    world.run(*BILLS)
    assert len(scenario.batch_rows("F0411Z1", bill["uuid"])) == 1


# -- a foreign bill, a yen bill, a bill on a JDE order: in JDE in their currency, naming the order ------


def answered_as(monkeypatch: pytest.MonkeyPatch, changes: dict[str, Any]) -> None:
    """Procurify's full read of each bill in ``changes`` (uuid -> how to amend the answer) answers amended:
    the Procurify sandbox bills in its vendors' currencies (USD, CAD, EUR, CNY, GBP: no yen) and renders no
    PO on an expense bill, so the currency, amounts or PO are set here; every call still goes over HTTP."""
    real = ProcurifySession.get

    def get(self: ProcurifySession, entity: str, id: str | int) -> dict[str, Any]:
        got = real(self, entity, id)
        change = changes.get(str(got.get("uuid"))) if entity == "bills" else None
        return change(got) if change is not None else got

    monkeypatch.setattr(ProcurifySession, "get", get)


def in_euros(bill: dict[str, Any]) -> dict[str, Any]:
    return {**bill, "currency": {"id": 2, "name": "EUR", "rate": "0.9210"}}


def in_yen(bill: dict[str, Any]) -> dict[str, Any]:
    """The bill with every amount read as whole yen (its cents become yen: 52.75 -> 5275)."""

    def yen(value: Any) -> str:
        return str(int(Decimal(str(value)) * 100))

    items = [{**item, "total_cost": yen(item["total_cost"]), "unit_cost": None} for item in bill["items"]]
    total = int(Decimal(str(bill["total_cost_with_tax"])) * 100)
    return {
        **bill,
        "currency": {"id": 9, "name": "JPY", "rate": "151.2"},
        "items": items,
        "tax_amount": yen(bill.get("tax_amount") or 0),
        "total_cost_with_tax": float(total),
    }


def test_a_euro_and_a_yen_bill_post_in_their_currency_and_a_bill_on_a_jde_order_names_it(
    world, scenario, monkeypatch
):
    euro, yen, ordered = (scenario.new_bill() for _ in range(3))
    for bill in (euro, yen, ordered):
        scenario.pair(bill["vendor"]["id"])
    # The PO the third bill bills was purchased from a JDE order's requisition and linked by po_links.
    order = world.jde_rows("F4301")[0]
    kcoo, doco, dcto = order["KCOO"].strip(), int(order["DOCO"]), order["DCTO"].strip()
    link = (INTEGRATION, "po_link", "procurify", f"{kcoo}:{doco}:{dcto}", "procurify")
    world.ledger.claim_xref(*link, owner="test-po-links")
    world.ledger.record_target(*link, target_id="98765", content_hash="linked")

    def on_the_order(bill: dict[str, Any]) -> dict[str, Any]:
        return {**bill, "added_purchase_orders": [{"uuid": "f" * 32, "procurify_PO": 98765}]}

    answered_as(monkeypatch, {euro["uuid"]: in_euros, yen["uuid"]: in_yen, ordered["uuid"]: on_the_order})
    world.run(*BILLS)
    queued = world.queue("bills")
    assert not {b["uuid"] for b in (euro, yen, ordered)} & set(queued), queued
    world.process_vouchers()  # R04110ZA: the batches become F0411 vouchers, foreign ones converted
    euro_total = Decimal(str(euro["total_cost_with_tax"])).quantize(Decimal("0.01"))
    yen_total = Decimal(str(yen["total_cost_with_tax"])).quantize(Decimal("0.01")) * 100  # whole yen
    for bill, currency, total in ((euro, "EUR", euro_total), (yen, "JPY", yen_total)):
        [pay_item] = scenario.batch_rows("F0411Z1", bill["uuid"])
        voucher = world.bill_voucher(bill["uuid"])
        assert voucher["CRCD"].strip() == pay_item["CRCD"].strip() == currency
        assert in_document_currency(voucher) == total, voucher  # ACR of a foreign voucher, to the yen
        if str(voucher.get("CRRM")).strip() == "F":  # the company's currency is another: JDE converted it
            rate = Decimal(int(voucher["CRR"])).scaleb(-7)  # CRR is stored with its 7 decimals
            domestic = (total * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            assert Decimal(int(voucher["AG"])) / 100 == domestic, voucher
        lines = scenario.batch_rows("F0911Z1", bill["uuid"])
        assert sum(in_document_currency(r, "AA") for r in lines) == total, lines
    [pay_item] = scenario.batch_rows("F0411Z1", ordered["uuid"])
    assert (pay_item["PKCO"].strip(), int(pay_item["PO"]), pay_item["PDCT"].strip()) == (kcoo, doco, dcto)
    voucher = world.bill_voucher(ordered["uuid"])
    assert (voucher["PKCO"].strip(), int(voucher["PO"]), voucher["PDCT"].strip()) == (kcoo, doco, dcto)
    # A rerun sends none of them again.
    calls = world.orchestration_calls("ML_CreateVoucherBatch")
    world.run(*BILLS)
    assert world.orchestration_calls("ML_CreateVoucherBatch") == calls
