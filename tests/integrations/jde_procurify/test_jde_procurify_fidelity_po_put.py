"""JDE <-> Procurify against what the Procurify reference leaves open about purchase orders and requisitions
(``docs/reference/procurify.md`` §2.4, §2.5), played both ways on the simulator's variants.

* ``PUT /api/v3/purchase-orders/{n}/`` is an "update", partial or full not stated. The client sends the PO
  whole as read with the change laid over it (``connector_resources.procurify.po_revisions``), so both
  flows that PUT work on a partial server (variant ``po_put=partial``, the default) and on one that
  requires every writable field and every line (``po_put=full``): ``po_links`` setting ``PO_Num`` and
  ``purchase_orders`` revising a linked PO's lines, neither moving anything else on the PO.
* The requisition create example shows no ``description`` and no line ``sku``. A Procurify that drops the
  description (``requisition_description=ignored``) is noticed on the run's first create: that requisition
  is kept and recorded, the other orders are not sent, the write step fails naming
  ``ML_JDE_PROCURIFY_DESCRIPTION_CHECK``; with the check off they are created once each. A Procurify that
  drops the sku (``requisition_line_sku=ignored``): a revision matches PO lines by name, then line order.

Runs are real Dagster runs of the flows' steps against the simulators on ephemeral ports and a real
ledger. The purchase order flow's write step is run on mapped records staged as its mapped step stages
them, made by ``order_mappers`` from JDE-shaped orders (the mapping from JDE itself is proven in
``test_jde_procurify_purchase_orders``), so the proof needs no JDE activity and stays short.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import requests
from dagster import AssetKey
from instances import instance_for_test
from jde_procurify_parts import OWN, requisition_body, requisition_lines
from jde_procurify_world import JdeProcurifyWorld, jde_procurify_world

from connector_assets.flows.assets import MAPPED_COLUMNS
from connector_assets.flows.core import Mapped
from connector_assets.integrations.jde_procurify.order_records import requisition_record
from connector_assets.jde.order_status import OrderPolicy, order_source_key
from connector_resources.procurify.po_revisions import full_revision
from connector_sandbox.procurify.contract_models import PO_UPDATE_BODY

POLICY = OrderPolicy(frozenset({"OP"}), approved_status=220, closed_status=980, stock_account="")
ORDERS_WRITTEN = "jde_procurify/purchase_orders_written"
LINKS = (
    "procurify/purchase_orders",
    "procurify/requisitions",
    "jde_procurify/po_links_mapped",
    "jde_procurify/po_links_written",
)
PO_PUT = "PUT /api/v3/purchase-orders/{id:int}/"
REQUISITION_POST = "POST /api/v3/requisitions/"
AN8 = "4343"


# -- pure ------------------------------------------------------------------------------------------------

RENDERED_PO = {  # as GET /api/v2/purchase_orders/{id}/ renders it (reference 2.5 example + lines)
    "procurify_PO": 1187,
    "PO_Num": None,
    "version": 1,
    "promise_date": "2025-03-20T00:00:00Z",
    "payment_terms": "Net 30",
    "shipping_terms": None,
    "shipping_method": None,
    "freight": "0.00",
    "tax": {"value": 7.5, "type": "percentage"},
    "discount": {"value": 0.0, "type": "amount"},
    "other": "0.00",
    "total": "245.00",
    **{
        f"{role}_{name}": value
        for role in ("buyer", "receiver")
        for name, value in (
            ("name", "Head Office"),
            ("contact", "Ana Ng"),
            ("addressLineOne", "1 Main St"),
            ("postalCode", "97201"),
            ("city", "Portland"),
            ("state_province", "OR"),
            ("country", "US"),
            ("address", {"id": 5, "name": "Head Office"}),
        )
    },
    "order_items": [
        {"id": 72, "PO_line_num": 2, "name": "Rope", "sku": None, "quantity": "1.00", "price": "9.00"}
        | {"unit": "each", "total_cost": "9.00", "custom_fields": []},
        {"id": 71, "PO_line_num": 1, "name": "Gloves", "sku": "JDE 4011 line 1", "quantity": "10.00"}
        | {"price": "24.50", "unit": "box", "total_cost": "245.00"}
        | {"custom_fields": [{"id": 9, "value": "Site 7", "field": {"id": 3, "name": "Site"}}]},
    ],
}


def test_a_revision_carries_the_po_whole_as_the_api_takes_it_with_the_change_laid_over():
    body, resent = full_revision(RENDERED_PO, {"PO_Num": "4011 OP 00001"})
    assert body["PO_Num"] == "4011 OP 00001" and not resent  # a changed PO_Num is not confirmed unasked
    assert body["promise_date"] == "2025-03-20T00:00:00Z"  # the update's field is a date-time, as read
    assert body["tax"] == {"value": Decimal("7.5"), "type": "percentage"}  # never a binary float
    assert body["version"] == 1  # required by PurchaseOrderUpdateRequest, sent back as read
    assert body["buyer_address"] == 5 and body["receiver_name"] == "Head Office"  # addresses by id
    assert "payment_terms" not in body and "total" not in body  # not fields of the update
    assert set(PO_UPDATE_BODY["required"]) <= set(body)
    assert [line["id"] for line in body["order_items"]] == [72, 71]  # every line, as read
    assert "sku" not in body["order_items"][0]  # null in the read; the update's sku takes no null
    assert body["order_items"][1] == {
        "id": 71,
        "name": "Gloves",
        "sku": "JDE 4011 line 1",
        "quantity": "10.00",
        "price": "24.50",
        "unit": "box",
        "custom_fields": [{"field": 3, "value": "Site 7"}],
    }
    numbered = {**RENDERED_PO, "PO_Num": "4011 OP 00001"}
    lines, resent = full_revision(numbered, {"order_items": [{"id": 72, "quantity": "3.00"}]})
    assert resent and lines["PO_Num"] == "4011 OP 00001"  # re-sent as it is: confirmed, never a new one
    assert [(li["id"], li["quantity"]) for li in lines["order_items"]] == [(72, "3.00"), (71, "10.00")]


def _jde_line(number: int, name: str, quantity: str, price: str) -> dict[str, Any]:
    amount = (Decimal(quantity) * Decimal(price)).quantize(Decimal("0.01"))
    return {
        "LNID": f"{number}.000",
        "LNTY": "J",
        "ANI": "M30.6110",
        "MCU": "M30",
        "DSC1": name,
        "UOM": "EA",
        "UORG": quantity,
        "PRRC": price,
        "AEXP": str(amount),
        "LTTR": "220",
        "NXTR": "280",
    }


def _header(doco: int) -> dict[str, Any]:
    return {
        **{"KCOO": "00001", "DOCO": doco, "DCTO": "OP", "SFXO": "000", "MCU": "M30", "AN8": int(AN8)},
        **{"CRCD": "USD", "DRQJ": "2025-03-20"},  # what Procurify's requisition create requires
    }


# -- against the simulators ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Places:
    """What a requisition is created with (§2.4, by names) and the vendor it names."""

    location: str
    department: str
    code: str
    vendor_id: str
    vendor: str


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JdeProcurifyWorld]:
    folder = tmp_path_factory.mktemp("fidelity_po_put")
    with jde_procurify_world(folder) as world, instance_for_test() as dagster:
        world.instance = dagster  # one Dagster instance for the module's runs (a new one per run is slow)
        yield world


@pytest.fixture(scope="module")
def places(world: JdeProcurifyWorld) -> Places:
    with world.resources["procurify"].session() as session:
        account = next(
            a
            for a in session.iter_all("accounts", filters={"active": True})
            if a["account_code"]["active"] and a["department"]["active"] and a["account_code"]["code"]
        )
        vendors = [v for v in session.iter_all("vendors") if v.get("active") and int(v["id"]) > 2]
    names = [v["name"] for v in vendors]
    vendor = next(v for v in vendors if names.count(v["name"]) == 1 and len(v["name"]) < 60)
    return Places(
        account["department"]["branch"]["name"],
        account["department"]["name"],
        account["account_code"]["code"],
        str(vendor["id"]),
        vendor["name"],
    )


@pytest.fixture(autouse=True)
def default_variants(world: JdeProcurifyWorld) -> Iterator[None]:
    yield
    requests.post(f"{world.procurify_url}/sandbox/variants/reset", timeout=10).raise_for_status()


def _order(
    world: JdeProcurifyWorld, places: Places, doco: int, lines: list[dict[str, Any]], linked: bool = False
) -> Mapped:
    """A JDE order as the purchase order flow's mapped step makes it (``order_mappers``,
    ``order_records.requisition_record``)."""
    header = _header(doco)
    key = order_source_key(header)
    mapped = requisition_lines(header, lines, POLICY, {"M30.6110": places.code}, places.vendor)
    assert not mapped.problems, mapped.problems
    body = requisition_body(header, places.location, places.department, mapped.lines)
    po = OWN.links.linked_po(world.ledger, key) if linked else None
    return requisition_record(key, body, AN8, date.today().isoformat(), po, places.vendor_id)


def _write_orders(world: JdeProcurifyWorld, *records: Mapped, ok: bool = True) -> Any:
    """The purchase order flow's write step (Dagster) over ``records`` staged as its mapped step stages
    them for the day."""
    staging = world.resources["staging"]
    writer = staging.writer(AssetKey(["jde_procurify", "purchase_orders_mapped"]), world.day, MAPPED_COLUMNS)
    for record in records:
        writer.write({"source_key": record.source_key, "payload": json.dumps(record.to_payload())})
    writer.commit()
    return world.materialize(ORDERS_WRITTEN, ok=ok)


def _variants(world: JdeProcurifyWorld, **values: Any) -> None:
    requests.post(f"{world.procurify_url}/sandbox/variants", json=values, timeout=10).raise_for_status()


def _po(world: JdeProcurifyWorld, number: int | str) -> dict[str, Any]:
    record = world.procurify_record("purchase_orders", number)
    assert record is not None, f"Procurify has no PO {number}"
    return record["api"]


def _calls(world: JdeProcurifyWorld, endpoint: str) -> int:
    return int(world.procurify_state()["calls"].get(endpoint, 0))


def _lines(po: dict[str, Any]) -> dict[int, tuple[str, Decimal, Decimal, str]]:
    return {
        int(i["id"]): (i["name"], Decimal(i["quantity"]), Decimal(i["price"]), str(i["unit"]))
        for i in po["order_items"]
    }


STILL = ("promise_date", "payment_terms", "shipping_terms", "shipping_method", "freight", "tax", "discount")


def _send_and_link(world: JdeProcurifyWorld, places: Places, doco: int, lines: list[dict]) -> tuple[str, int]:
    """The order created through the flow's write step, purchased in Procurify, then linked by the
    ``po_links`` flow (one PUT setting PO_Num; nothing else on the PO moves); (order key, PO number)."""
    record = _order(world, places, doco, lines)
    _write_orders(world, record)
    uuid = world.xrefs("purchase_order")[record.source_key]
    assert uuid
    (po,) = world.purchase(uuid)["purchase_orders"]
    number = int(po["procurify_PO"])
    before, puts = _po(world, number), _calls(world, PO_PUT)
    world.materialize(*LINKS)
    after = _po(world, number)
    assert after["PO_Num"] == f"{doco} OP 00001"
    assert world.xrefs("po_link")[record.source_key] == str(number)
    assert record.source_key not in world.queue("po_links")
    assert _calls(world, PO_PUT) == puts + 1 and after["version"] == before["version"] + 1
    assert {k: after[k] for k in STILL} == {k: before[k] for k in STILL}
    assert _lines(after) == _lines(before)
    return record.source_key, number


def test_procurify_refuses_a_po_num_alone_naming_each_field_its_update_requires(
    world, places, contract_breaches
):
    # A requisition someone made in Procurify (not from JDE: no flow links its PO), purchased.
    body = _order(world, places, 4020, [_jde_line(1, "Pallet wrap", "3", "12.5")]).body
    with world.resources["procurify"].session() as session:
        uuid = session.create_requisition({**body, "description": "Pallet wrap for the yard"})["uuid"]
    (po,) = world.purchase(uuid)["purchase_orders"]
    headers = {"Authorization": f"Bearer {world.procurify_user_token()}", "X-Procurify-Client": "api"}
    path = f"{world.procurify_url}/api/v3/purchase-orders/{po['procurify_PO']}/"
    refused = requests.put(path, json={"PO_Num": "BY HAND 1"}, headers=headers, timeout=10)
    assert refused.status_code == 400
    # PurchaseOrderUpdateRequest's required fields, each named (whatever the po_put variant).
    assert set(refused.json()) == set(PO_UPDATE_BODY["required"])
    assert {b.violation.field for b in contract_breaches.seen()} == set(PO_UPDATE_BODY["required"])
    assert _po(world, po["procurify_PO"])["PO_Num"] in (None, "")


@pytest.mark.parametrize(("po_put", "doco"), [("partial", 4031), ("full", 4032)])
def test_po_links_sets_po_num_and_a_changed_order_revises_its_po_on_a_partial_and_a_full_update_server(
    world, places, po_put, doco
):
    _variants(world, po_put=po_put)
    jde = [_jde_line(1, "Safety gloves", "10", "24.5"), _jde_line(2, "Rope 50m", "2", "39.99")]
    key, number = _send_and_link(world, places, doco, jde)
    before = _po(world, number)
    # JDE changes line 1's quantity and line 2's description; the purchase order flow revises the PO.
    changed = [_jde_line(1, "Safety gloves", "15", "24.5"), _jde_line(2, "Rope 50m, blue", "2", "39.99")]
    puts = _calls(world, PO_PUT)
    written = _write_orders(world, _order(world, places, doco, changed, linked=True))
    assert written.success
    after = _po(world, number)
    assert _calls(world, PO_PUT) == puts + 1
    by_line = {i["sku"]: i for i in after["order_items"]}
    assert Decimal(by_line[f"JDE {doco} line 1"]["quantity"]) == 15
    assert by_line[f"JDE {doco} line 2"]["name"] == "Rope 50m, blue"
    assert Decimal(by_line[f"JDE {doco} line 2"]["quantity"]) == 2
    assert after["PO_Num"] == f"{doco} OP 00001"  # the link stays
    assert {k: after[k] for k in STILL} == {k: before[k] for k in STILL}
    assert Decimal(after["subtotal"]) == Decimal("15") * Decimal("24.50") + 2 * Decimal("39.99")
    assert key not in world.queue("purchase_orders")
    assert world.audit_counts("purchase_orders").get("update", 0) >= 1


def test_a_procurify_that_drops_line_skus_has_its_po_revised_by_name_and_line_order(world, places):
    _variants(world, po_put="full", requisition_line_sku="ignored")
    doco = 4041
    jde = [
        _jde_line(1, "Hard hat", "5", "18"),
        _jde_line(2, "Hi-vis vest", "5", "12"),
        _jde_line(3, "Ear plugs", "100", "0.25"),
    ]
    key, number = _send_and_link(world, places, doco, jde)
    po = _po(world, number)
    assert not any(i["sku"] for i in po["order_items"])  # the variant: Procurify kept no sku
    ids = {i["name"]: int(i["id"]) for i in po["order_items"]}
    # Quantity of line 2 changed, line 1 renamed (before the first name match: paired by line order), and
    # a line 4 added after the last: reported, the rest revised.
    changed = [
        _jde_line(1, "Hard hat, white", "5", "18"),
        _jde_line(2, "Hi-vis vest", "8", "12"),
        jde[2],
        _jde_line(4, "Gloves", "5", "3"),
    ]
    _write_orders(world, _order(world, places, doco, changed, linked=True))
    after = {int(i["id"]): i for i in _po(world, number)["order_items"]}
    assert Decimal(after[ids["Hi-vis vest"]]["quantity"]) == 8
    assert after[ids["Hard hat"]]["name"] == "Hard hat, white"
    assert Decimal(after[ids["Hard hat"]]["quantity"]) == 5
    assert Decimal(after[ids["Ear plugs"]]["quantity"]) == 100
    assert len(after) == 3
    reason = world.queue("purchase_orders")[key]
    assert reason.startswith(f"purchase_order {key}: revised PO {number} where the API allows"), reason
    assert "line 4 (Gloves) matches no line of PO" in reason and "Hard hat" not in reason
    # Line 4 cancelled again in JDE: the order is what the PO holds; the queue item is resolved.
    _write_orders(world, _order(world, places, doco, changed[:3], linked=True))
    assert key not in world.queue("purchase_orders")
    assert _po(world, number)["PO_Num"] == f"{doco} OP 00001"


def test_a_procurify_that_drops_the_description_stops_the_creates_and_fails_the_step_naming_the_setting(
    world, places, monkeypatch: pytest.MonkeyPatch
):
    _variants(world, requisition_description="ignored")
    orders = [_order(world, places, doco, [_jde_line(1, "Cable ties", "50", "0.4")]) for doco in (4051, 4052)]
    posts = _calls(world, REQUISITION_POST)
    failed = _write_orders(world, *orders, ok=False)
    message = " ".join(
        e.event_specific_data.error.to_string() for e in failed.all_events if e.is_step_failure
    )
    assert "ML_JDE_PROCURIFY_DESCRIPTION_CHECK=off" in message, message
    assert "kept its description as ''" in message
    assert _calls(world, REQUISITION_POST) == posts + 1  # the first only: no other requisition sent
    made = {k: v for k, v in world.xrefs("purchase_order").items() if k in {o.source_key for o in orders}}
    first = next(k for k, v in made.items() if v)
    other = next(o.source_key for o in orders if o.source_key != first)
    assert not made.get(other)
    assert "not sent: Procurify made requisition" in world.queue("purchase_orders")[other]

    # The operator knows this Procurify drops descriptions and accepts the risk: the next run creates the
    # other once; the first is skipped (recorded), never made twice.
    monkeypatch.setenv("ML_JDE_PROCURIFY_DESCRIPTION_CHECK", "off")
    _write_orders(world, *orders)
    assert _calls(world, REQUISITION_POST) == posts + 2
    assert world.xrefs("purchase_order")[other]
    assert other not in world.queue("purchase_orders")
    # A change before purchase is compared with the requisition found by its uuid, not its description.
    _write_orders(world, _order(world, places, 4051, [_jde_line(1, "Cable ties", "60", "0.4")]))
    reason = world.queue("purchase_orders")["00001:4051:OP"]
    assert "is not purchased yet; the API cannot change a requisition" in reason
    assert "line 1 quantity is 50.00 in Procurify, 60.00 in JDE" in reason
