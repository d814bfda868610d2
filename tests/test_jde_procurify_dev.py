"""``make dev`` for JD Edwards <-> Procurify, on both simulators on free ports: the seeded Procurify vendors'
ERP keys name real JDE suppliers, and the Procurify sandbox's people carry the connector's requisitions on
to purchase orders, bills and payments, one step per activity round."""

from __future__ import annotations

import re

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
        people = ProcurifyPeople(world.procurify_url, world.db)
        try:
            first = people.round()
            assert first == {"purchased": 1, "billed": 0, "paid": 0}
            assert world.procurify_record("orders", num)["row"]["status"] == 3  # purchased
            [po] = people.to_bill
            second = people.round()
            assert second == {"purchased": 0, "billed": 1, "paid": 0}  # the requisition is not bought twice
            [bill_uuid] = people.to_pay
            bill = world.procurify_record("bills", bill_uuid)
            assert bill["row"]["status"] == 2  # approved: what the bills flow posts
            assert world.procurify_record("purchase_orders", po)["row"]["procurify_PO"] == po
            third = people.round()
            assert third == {"purchased": 0, "billed": 0, "paid": 1}
            assert world.procurify_record("bills", bill_uuid)["row"]["status"] == 4  # Paid
            assert people.round() == {"purchased": 0, "billed": 0, "paid": 0}
        finally:
            people.dispose()


def test_a_make_dev_activity_round_gives_the_procurify_sourced_flows_something_to_move(tmp_path):
    with jde_procurify_world(tmp_path) as world:
        done = world.activity(**SANDBOXES["procurify"].activity)
        assert done["vendors"]["created"]  # vendors flow: a vendor made in Procurify, no ERP key
        assert not world.procurify_record("vendors", done["vendors"]["created"][0])["api"]["external_id"]
        assert done["bills"]["updated"]  # bills flow: bills moved on towards approved
        assert done["payments"]["created"] and done["payments"]["updated"]  # payments flow
