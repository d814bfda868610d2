"""``make dev`` for Oracle Fusion <-> Procurify keeps the two simulators' vendor masters coherent:
every active, purchasable Procurify vendor that the set-up did not pair by hand gets its Fusion
supplier under its name, at start and for the vendors the Procurify activity adds each round, so the
vendors flow pairs them all and a fresh sandbox queues no mismatch nobody made. Before, the vendors flow
refused every seeded vendor but the few paired by hand ("no active Fusion supplier is named ...")."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from fusion_procurify_world import fusion_procurify_world

from connector_assets.fusion.sandbox_operators import enter_suppliers
from connector_assets.integrations.fusion_procurify.sandbox import (
    FusionProcurifyPeople,
    active_vendor_ids,
    pair_seeded_vendors,
    suppliers_with_sites,
    supply_unmatched_vendors,
)
from connector_assets.procurify.sandbox_operators import active_vendors

VENDORS = ("fusion_procurify/vendors_mapped", "fusion_procurify/vendors_written")


def test_after_set_up_and_a_round_the_vendors_flow_pairs_every_active_vendor_and_queues_none(
    tmp_path: Path,
) -> None:
    with fusion_procurify_world(tmp_path) as world:
        procurify = world.resources["procurify"]
        business_unit = world.resources["fusion"].business_unit
        suppliers = suppliers_with_sites(world.fusion_url, business_unit)
        by_hand = pair_seeded_vendors(world.ledger, active_vendor_ids(procurify), suppliers)
        entered = supply_unmatched_vendors(world.fusion_url, procurify, world.ledger)
        vendors = active_vendors(procurify)
        assert by_hand > 0 and entered > 0 and by_hand + entered <= len(vendors)
        assert supply_unmatched_vendors(world.fusion_url, procurify, world.ledger) == 0  # a second start

        world.run(*VENDORS)
        assert world.queue("vendors") == {}
        assert set(world.xrefs("vendor")) == {str(v["id"]) for v in vendors}

        # The Procurify activity adds vendors; the next round's supplier administrators enter theirs.
        added = world.activity(new_vendors=3)["vendors"]["created"]
        people = FusionProcurifyPeople(
            world.procurify_url, world.db, procurify, world.fusion_url, currency="USD"
        )
        try:
            assert people.round()["suppliers_for_new_vendors"] == len(added) == 3
        finally:
            people.dispose()
        world.run(*VENDORS)
        assert world.queue("vendors") == {}
        assert {str(v) for v in added} <= set(world.xrefs("vendor"))


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"names": []}, "names must be a list"),
        ({"names": ["  "]}, "non-blank"),
        ({"names": ["x" * 361]}, "at most 360"),
        ({"names": ["Acme"], "Status": "INACTIVE"}, "takes only"),
    ],
)
def test_the_supplier_administrators_route_refuses_what_fusion_would_not_take(tmp_path, body, says) -> None:
    with fusion_procurify_world(tmp_path) as world:
        answer = requests.post(f"{world.fusion_url}/sandbox/suppliers", json=body, timeout=30)
        assert answer.status_code == 400 and says in answer.text
        assert enter_suppliers(world.fusion_url, []) == 0  # nothing to enter: no call
