"""Procurify POs linked to the JDE orders they came from, PO_Num set (``jde_procurify.po_links``).

Pure tests of the PO_Num text and the record's schema first (the link keys and a PO's requisitions are the
Procurify side's, ``tests/sides/test_procurify_orders.py``); then real Dagster runs against the
Procurify simulator on a free port: a requisition created through the API the way the purchase order flow
creates it (description naming the JDE order) with the ledger's ``purchase_order`` xref that flow records,
purchased by the simulator's buyer (``/sandbox/requisitions/{uuid}/purchase``), then the flow's steps.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import requests
from jde_procurify_parts import FLOWS, INTEGRATION, OWN, PO_LINKS_FLOW
from jde_procurify_world import JdeProcurifyWorld, jde_procurify_world

from connector_assets.flows.core import Mapped, validate
from connector_assets.flows.replays import Replays, build_replays
from connector_assets.integrations.jde_procurify.po_links import link_record, po_num_text
from connector_resources.replay import replay_items

PO_PUT = "PUT /api/v3/purchase-orders/{id:int}/"
PO_READ = "GET /api/v2/purchase_orders/{id}/"
FLOW_STEPS = (
    "procurify/purchase_orders",
    "procurify/requisitions",
    "jde_procurify/po_links_mapped",
    "jde_procurify/po_links_written",
)

# -- pure -----------------------------------------------------------------------------------------------


def test_po_num_is_the_order_number_type_and_company_as_jde_shows_them_within_procurify_s_30():
    assert po_num_text("00001:4011:OP") == "4011 OP 00001"
    assert po_num_text("00001:0004011:OP") == "4011 OP 00001"
    assert po_num_text("00001:4011:OP:001") == "4011 OP-001 00001"
    assert po_num_text("00001:4011:OP:000") == "4011 OP 00001"
    assert po_num_text("00001:4011:OP/1187") == "4011 OP 00001"  # a second PO of the order: same text
    assert len(po_num_text("99999:99999999:OP:999")) <= 30
    with pytest.raises(ValueError, match="'4011' is not KCOO:DOCO:DCTO"):
        po_num_text("4011")


def test_the_record_s_hash_covers_the_po_and_its_po_num_only_and_the_schema_names_a_bad_field():
    first = link_record("00001:4011:OP", 1187, [12], date(2026, 1, 1))
    again = link_record("00001:4011:OP", 1187)  # re-mapped from the ledger: no requisitions, no date
    assert first.content_hash() == again.content_hash()
    assert first.body == {"procurify_PO": 1187, "PO_Num": "4011 OP 00001"}
    bad = Mapped("x", {}, {"jde_order": "4011", "procurify_PO": 0, "PO_Num": "x" * 31})
    checked = validate(PO_LINKS_FLOW, [first, bad])
    assert checked.valid == [first]
    reason = checked.rejected[0].reason
    assert "field jde_order" in reason and "field procurify_PO" in reason and "field PO_Num" in reason


# -- against the Procurify simulator --------------------------------------------------------------------


@pytest.fixture
def world(tmp_path) -> Iterator[JdeProcurifyWorld]:
    with jde_procurify_world(tmp_path) as world:
        yield world


def _places(world: JdeProcurifyWorld) -> dict[str, Any]:
    """A location, department, account code active there, and two vendors each the only active one of
    its name: what a requisition is created with (by names, §2.4)."""
    with world.resources["procurify"].session() as session:
        accounts = [
            a
            for a in session.iter_all("accounts", filters={"active": True})
            if a["account_code"]["active"] and a["department"]["active"] and a["account_code"]["code"]
        ]
        vendors = [v for v in session.iter_all("vendors") if v.get("active") and int(v["id"]) > 2]
    names = [v["name"] for v in vendors]
    unique = sorted({n for n in names if names.count(n) == 1 and len(n) < 60})
    account = accounts[0]
    return {
        "location_name": account["department"]["branch"]["name"],
        "department_name": account["department"]["name"],
        "account_code": account["account_code"]["code"],
        "vendors": unique[:2],
    }


def _send_order(
    world: JdeProcurifyWorld, order_key: str | None, *, vendors: int = 1, description: str = ""
) -> str:
    """A requisition created as the purchase order flow creates one (description naming the JDE order),
    with that flow's ``purchase_order`` xref when ``order_key`` is given; its uuid. ``vendors`` = 2 puts
    its two lines on two vendors, so purchasing it makes one PO per vendor."""
    places = _places(world)
    kcoo, doco, dcto = (order_key or "00001:0:OP").split(":")[:3]
    lines = [
        {
            "item_name": f"Safety gloves (box) {index}",
            "vendor_name": places["vendors"][index % vendors],
            "account_code": places["account_code"],
            "unit_price": "24.50",
            "quantity": "10",
            "unit": "box",
            "currency_code": "USD",
        }
        for index in range(vendors)
    ]
    body = {
        "description": description or f"JDE order {int(doco)} {dcto} (company {kcoo})",
        "required_date": "2025-03-20",
        "location_name": places["location_name"],
        "department_name": places["department_name"],
        "line_items": lines,
    }
    with world.resources["procurify"].session() as session:
        uuid = session.create_requisition(body)["uuid"]
    if order_key:
        key = (INTEGRATION, "purchase_order", "JDE", order_key, "procurify")
        world.ledger.claim_xref(*key, owner="purchase-order-flow")
        world.ledger.record_target(*key, target_id=uuid, content_hash="sent")
    return uuid


def _purchased(world: JdeProcurifyWorld, uuid: str, po_num: str | None = None) -> list[int]:
    return sorted(int(po["procurify_PO"]) for po in world.purchase(uuid, po_num)["purchase_orders"])


def _po(world: JdeProcurifyWorld, number: int) -> dict[str, Any]:
    record = world.procurify_record("purchase_orders", number)
    assert record is not None, f"Procurify has no PO {number}"
    return record["api"]


def _puts(world: JdeProcurifyWorld) -> int:
    return int(world.procurify_state()["calls"].get(PO_PUT, 0))


def _po_reads(world: JdeProcurifyWorld) -> int:
    return int(world.procurify_state()["calls"].get(PO_READ, 0))


def _observed(result: Any) -> dict[str, int]:
    """What the mapped step observed about the day's POs (``po_links.OBSERVED``)."""
    for event in result.all_events:
        if event.is_asset_observation:
            observation = event.event_specific_data.asset_observation
            if observation.asset_key.to_user_string() == "jde_procurify/po_links_mapped":
                return {k: int(v.value) for k, v in observation.metadata.items()}
    raise AssertionError("the mapped step observed nothing")


def _api(world: JdeProcurifyWorld, method: str, path: str) -> Any:
    """One call to the Procurify API as a user in Procurify would make it (close a PO, change PO_Num)."""
    token = world.procurify_user_token()
    return requests.request(
        method,
        f"{world.procurify_url}{path}",
        headers={"Authorization": f"Bearer {token}", "X-Procurify-Client": "api"},
        timeout=10,
    )


def test_a_purchased_requisition_s_po_is_linked_and_numbered_once_and_others_are_left_alone(world):
    uuid = _send_order(world, "00001:4011:OP")
    (number,) = _purchased(world, uuid)
    others = world.activity(new_purchase_orders=2)  # purchases of requisitions not from JDE
    before = {n: _po(world, int(n))["PO_Num"] for n in others["purchase_orders"]["created"]}
    puts = _puts(world)

    result = world.materialize(*FLOW_STEPS)

    assert _po(world, number)["PO_Num"] == "4011 OP 00001"
    assert world.xrefs("po_link") == {"00001:4011:OP": str(number)}
    assert OWN.links.linked_po(world.ledger, "00001:4011:OP") == str(number)
    assert _puts(world) == puts + 1
    seen = _observed(result)
    assert seen["to_link"] == 1 and seen["not_from_jde"] >= len(before) >= 1, seen
    assert {n: _po(world, int(n))["PO_Num"] for n in before} == before
    assert world.audit_counts("po_links") == {"create": 1}
    assert world.queue("po_links") == {}

    version = _po(world, number)["version"]
    again = world.run(*FLOW_STEPS)
    assert again["jde_procurify/po_links_written"]["skip"] == 1
    assert again["jde_procurify/po_links_written"]["create"] == 0
    assert _puts(world) == puts + 1 and _po(world, number)["version"] == version
    assert world.xrefs("po_link") == {"00001:4011:OP": str(number)}


def test_a_po_num_another_po_already_carries_is_queued_naming_it_and_linked_once_it_is_freed(world):
    stranger = _send_order(world, None, description="Office chairs")
    (other,) = _purchased(world, stranger, po_num="4012 OP 00001")  # someone typed our number by hand
    (number,) = _purchased(world, _send_order(world, "00001:4012:OP"))

    world.materialize(*FLOW_STEPS)

    assert _po(world, number)["PO_Num"] in (None, "")
    queued = world.queue("po_links")
    assert list(queued) == ["00001:4012:OP"]
    assert f"already used by Procurify PO {other}" in queued["00001:4012:OP"]
    assert "did not come from this JDE order" in queued["00001:4012:OP"]
    assert OWN.links.linked_po(world.ledger, "00001:4012:OP") is None

    # The buyer corrects the other PO; the next run links ours, once, and resolves the queue item.
    with world.resources["procurify"].session() as session:
        session.revise_purchase_order(other, {"PO_Num": "CHAIRS-1"})
    world.materialize(*FLOW_STEPS)
    assert _po(world, number)["PO_Num"] == "4012 OP 00001"
    assert world.xrefs("po_link") == {"00001:4012:OP": str(number)}
    assert world.queue("po_links") == {}


def test_a_requisition_purchased_as_one_po_per_vendor_links_both_and_confirms_the_shared_number(world):
    first, second = _purchased(world, _send_order(world, "00001:4013:OP", vendors=2))

    world.materialize(*FLOW_STEPS)

    assert _po(world, first)["PO_Num"] == _po(world, second)["PO_Num"] == "4013 OP 00001"
    assert world.xrefs("po_link") == {"00001:4013:OP": str(first), f"00001:4013:OP/{second}": str(second)}
    assert OWN.links.linked_po(world.ledger, "00001:4013:OP") == str(first)
    assert world.queue("po_links") == {}
    reasons = [e.reason for e in world.ledger.history(f"00001:4013:OP/{second}")]
    assert any("duplicate confirmed" in (r or "") for r in reasons), reasons


def test_a_closed_po_is_queued_with_its_state_and_a_po_already_numbered_is_adopted_without_a_write(world):
    (closed,) = _purchased(world, _send_order(world, "00001:4014:OP"))
    assert _api(world, "POST", f"/api/v3/purchase-orders/{closed}/close/").status_code == 200
    (numbered,) = _purchased(world, _send_order(world, "00001:4015:OP"), po_num="4015 OP 00001")
    puts = _puts(world)

    world.materialize(*FLOW_STEPS)

    queued = world.queue("po_links")
    assert list(queued) == ["00001:4014:OP"]
    assert f"on PO {closed} (closed)" in queued["00001:4014:OP"]
    assert "Reopen the PO in Procurify" in queued["00001:4014:OP"]
    assert world.xrefs("po_link") == {"00001:4015:OP": str(numbered), "00001:4014:OP": None}  # claimed only
    assert _puts(world) == puts + 1  # the closed PO's refused PUT; none for the numbered one
    assert world.audit_counts("po_links") == {"adopt": 1, "fail": 1}


@pytest.fixture
def replays(world) -> Replays:
    """``ml-connector replay``'s handler of the flow on the world's Procurify and staging."""
    return build_replays(
        [FLOWS["po_links"]], lambda: {name: world.resources[name] for name in ("procurify", "staging")}
    )


def test_a_closed_po_reopened_in_procurify_is_linked_by_a_replay_once(world, replays):
    (number,) = _purchased(world, _send_order(world, "00001:4016:OP"))
    assert _api(world, "POST", f"/api/v3/purchase-orders/{number}/close/").status_code == 200
    world.materialize(*FLOW_STEPS)
    assert list(world.queue("po_links")) == ["00001:4016:OP"]

    assert _api(world, "POST", f"/api/v3/purchase-orders/{number}/reopen/").status_code == 200
    items = world.ledger.open_items(integration=INTEGRATION, flow=PO_LINKS_FLOW.name)
    summary = replay_items(world.ledger, items, replays)
    assert len(summary.replayed) == 1 and not summary.failed, summary
    assert _po(world, number)["PO_Num"] == "4016 OP 00001"
    assert world.xrefs("po_link") == {"00001:4016:OP": str(number)}
    assert world.queue("po_links") == {}
    puts = _puts(world)
    assert (
        replay_items(world.ledger, world.ledger.open_items(integration=INTEGRATION), replays).replayed == []
    )
    world.materialize(*FLOW_STEPS)  # the day again: skipped, nothing sent
    assert _puts(world) == puts


def test_without_the_day_s_requisition_headers_the_waiting_requisitions_are_read_back_by_creation_day(world):
    """A server that does not stamp a purchased requisition as modified leaves no header for the day:
    the requisitions waiting for a PO are read back by the day they were created (one list read)."""
    (number,) = _purchased(world, _send_order(world, "00001:4017:OP"))

    result = world.materialize(
        "procurify/purchase_orders", "jde_procurify/po_links_mapped", "jde_procurify/po_links_written"
    )

    assert _observed(result)["requisition_reads"] == 1
    assert _po(world, number)["PO_Num"] == "4017 OP 00001"
    assert world.xrefs("po_link") == {"00001:4017:OP": str(number)}


def test_a_po_num_the_buyer_typed_otherwise_is_replaced_and_the_audit_says_what_it_was(world):
    (number,) = _purchased(world, _send_order(world, "00001:4018:OP"), po_num="4018")

    world.materialize(*FLOW_STEPS)

    assert _po(world, number)["PO_Num"] == "4018 OP 00001"
    reasons = [e.reason or "" for e in world.ledger.history("00001:4018:OP") if e.action == "create"]
    wanted = f"PO {number} linked to JDE order 00001:4018:OP; PO_Num set to '4018 OP 00001' (was '4018')"
    assert reasons == [wanted]


def test_the_day_s_pos_are_not_read_by_number_while_no_requisition_of_ours_can_be_behind_them(world):
    """None of ours waits for its PO and none is among the day's requisition headers: every PO of the day
    is someone else's without reading its lines (a 10-day backfill read 215). Once one of ours waits, the
    day's POs are read by number again, and ours is linked."""
    world.activity(new_purchase_orders=3)  # purchases of requisitions not from JDE
    reads = _po_reads(world)

    seen = _observed(world.materialize(*FLOW_STEPS))

    assert seen["not_from_jde"] == seen["purchase_orders"] >= 3 and seen["to_link"] == 0, seen
    assert _po_reads(world) == reads
    assert world.queue("po_links") == {}

    (number,) = _purchased(world, _send_order(world, "00001:4019:OP"))
    seen = _observed(world.materialize(*FLOW_STEPS))
    assert seen["to_link"] == 1 and _po_reads(world) >= reads + seen["purchase_orders"], seen
    assert _po(world, number)["PO_Num"] == "4019 OP 00001"
