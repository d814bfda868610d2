"""``make dev`` for JD Edwards <-> Procurify, on both simulators on free ports: the seeded Procurify vendors'
ERP keys name real JDE suppliers, and the Procurify sandbox's people carry the connector's requisitions on
to purchase orders, bills and payments, one step per activity round."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import requests
from jde_procurify_world import jde_procurify_world

from connector_cli.dev import jde_supplier_numbers
from connector_cli.dev_procurify import ProcurifyPeople, link_procurify_vendors_to_jde
from connector_sandbox.registry import SANDBOXES


def test_the_seeded_vendors_erp_keys_are_repointed_to_real_jde_suppliers_once(tmp_path):
    with jde_procurify_world(tmp_path) as world:
        before = world.in_procurify("vendors")
        done = link_procurify_vendors_to_jde(world.procurify_url, world.jde_root)
        assert done["repointed"] > 0 and done["suppliers"] > 0
        after = world.in_procurify("vendors")
        suppliers = set(jde_supplier_numbers(world.jde_root))
        keyed = {
            vid: v["external_id"] for vid, v in after.items() if re.fullmatch(r"\d+", v["external_id"] or "")
        }
        assert len(keyed) == done["repointed"]
        assert {int(an8) for an8 in keyed.values()} <= suppliers
        assert len(set(keyed.values())) == len(keyed)  # one vendor per supplier
        # A vendor made in Procurify (no ERP key) keeps none: the vendors flow adds it to JDE.
        for vid, vendor in before.items():
            if not vendor["external_id"]:
                assert not after[vid]["external_id"]
        # Its change date is not moved: an operator's fix of the seed, not a person's edit.
        assert all(after[v]["dateModified"] == before[v]["dateModified"] for v in keyed)
        again = link_procurify_vendors_to_jde(world.procurify_url, world.jde_root)
        assert again["repointed"] == 0 and again["already_linked"] == done["repointed"]
        bad = requests.post(
            f"{world.procurify_url}/sandbox/vendors/erp-links", json={"numbers": ["x"]}, timeout=10
        )
        assert bad.status_code == 400 and "numbers" in bad.text


def test_the_sandbox_people_purchase_receive_bill_and_pay_the_connectors_requisitions(tmp_path):
    with jde_procurify_world(tmp_path) as world:
        # A requisition as the purchase orders flow leaves it: pending in Procurify, its xref recorded.
        [num] = world.activity(new_requisitions=1)["requisitions"]["created"]
        uuid = world.procurify_record("orders", num)["api"]["uuid"]
        world.ledger.record_target(
            "jde_procurify", "purchase_order", "JDE", "00001:4011:OP", "procurify", uuid, "h"
        )
        people = ProcurifyPeople(world.procurify_url, world.db, world.jde_root)
        try:
            first = people.round()
            assert first == {"vouchered": 0, "purchased": 1, "billed": 0, "paid": 0}
            assert world.procurify_record("orders", num)["row"]["status"] == 3  # purchased
            [po] = people.to_bill
            second = people.round()
            assert second == {
                "vouchered": 0,
                "purchased": 0,
                "billed": 1,
                "paid": 0,
            }  # the requisition is not bought twice
            [bill_uuid] = people.to_pay
            bill = world.procurify_record("bills", bill_uuid)
            assert bill["row"]["status"] == 2  # approved: what the bills flow posts
            assert world.procurify_record("purchase_orders", po)["row"]["procurify_PO"] == po
            third = people.round()
            assert third == {"vouchered": 0, "purchased": 0, "billed": 0, "paid": 1}
            assert world.procurify_record("bills", bill_uuid)["row"]["status"] == 4  # Paid
            assert people.round() == {"vouchered": 0, "purchased": 0, "billed": 0, "paid": 0}
        finally:
            people.dispose()


def test_a_make_dev_activity_round_gives_the_procurify_sourced_flows_something_to_move(tmp_path):
    with jde_procurify_world(tmp_path) as world:
        done = world.activity(**SANDBOXES["procurify"].activity)
        assert done["vendors"]["created"]  # vendors flow: a vendor made in Procurify, no ERP key
        assert not world.procurify_record("vendors", done["vendors"]["created"][0])["api"]["external_id"]
        assert done["bills"]["updated"]  # bills flow: bills moved on towards approved
        assert done["payments"]["created"] and done["payments"]["updated"]  # payments flow


def test_each_round_runs_jdes_batch_voucher_processor_on_the_batches_written(tmp_path):
    """A voucher batch as the bills flow writes it becomes a JDE voucher at the next round (R04110ZA is a
    scheduled job on a real JDE), so the payments flow finds the voucher to pay."""
    with jde_procurify_world(tmp_path) as world:
        with world.resources["jde"].session() as jde:
            supplier = next(iter(jde.browse("F0401", columns=["AN8"])))["AN8"]
            gl = next(
                a for a in jde.browse("F0901", columns=["CO", "MCU", "OBJ", "SUB", "PEC"]) if a["PEC"] == ""
            )
            account = ".".join(part for part in (gl["MCU"], gl["OBJ"], gl["SUB"]) if part)
            amount = Decimal("310.25")
            jde.orchestrate(
                "ML_CreateVoucherBatch",
                {
                    "EDI_User_ID": "MLPRCFY",
                    "EDI_Batch_Number": "PFYDEVTEST",
                    "EDI_Transaction_Number": "PFYDEVTEST-1",
                    "Company": gl["CO"],
                    "Supplier": supplier,
                    "Invoice_Number": "DEV-1",
                    "Invoice_Date": date.today(),
                    "GL_Date": date.today(),
                    "Pay_Items": [{"EDI_Line_Number": 1, "Gross_Amount": amount}],
                    "Distribution": [{"EDI_Line_Number": 1, "Account": account, "Amount": amount}],
                },
            )
        people = ProcurifyPeople(world.procurify_url, world.db, world.jde_root)
        try:
            assert people.round()["vouchered"] == 1
            [batch] = world.jde_rows("F0411Z1", EDTN="PFYDEVTEST-1")
            assert batch["EDSP"] == "1" and world.jde_rows("F0411", DOC=batch["DOC"])
            assert people.round()["vouchered"] == 0  # processed once
        finally:
            people.dispose()
