"""Purchase orders found by number many at a time (``connector_resources.fusion.key_batches``: ``q`` with
``OrderNumber in (...)``, framework version 2 and later), on the sandbox pod: a batch costs one query on
the orders and one on the drafts for those still unmatched, and answers what ``find_purchase_order``
answers, record by record; a number the batch shares, it leaves to that search. Under framework version 1
nothing is batched. The order target batches only where the order numbers are ours.
"""

from __future__ import annotations

import uuid

import pytest
from test_fusion_client import Pod

from connector_assets.flows.core import Mapped
from connector_assets.fusion.order_target import FusionPurchaseOrders
from connector_resources.fusion.key_batches import find_purchase_orders


def test_a_batch_of_order_numbers_answers_what_find_answers_in_two_queries(pod: Pod) -> None:
    orders = [o for o in pod.records("purchaseOrders") if o.get("OrderNumber") and o.get("ProcurementBU")]
    known = orders[:3]
    units = {o["ProcurementBU"] for o in orders}
    elsewhere = next(
        (o, unit)
        for o in orders[3:]
        for unit in units
        if not any(p["OrderNumber"] == o["OrderNumber"] and p["ProcurementBU"] == unit for p in orders)
    )
    tag = uuid.uuid4().hex[:8].upper()
    keys = {
        **{f"known-{n}": (o["OrderNumber"], o["ProcurementBU"]) for n, o in enumerate(known)},
        "other-unit": (elsewhere[0]["OrderNumber"], elsewhere[1]),  # that number, not in this unit
        "new": (f"PFY-{tag}", known[0]["ProcurementBU"]),
        "twin-a": (f"TW-{tag}", known[0]["ProcurementBU"]),  # one number twice: left to find
        "twin-b": (f"TW-{tag}", known[0]["ProcurementBU"]),
    }
    with pod.resource(page_size=50).session() as session:
        assert session.framework_version >= 2
        before = pod.rest_gets("purchaseOrders"), pod.rest_gets("draftPurchaseOrders")
        answer = find_purchase_orders(session, keys)
        after = pod.rest_gets("purchaseOrders"), pod.rest_gets("draftPurchaseOrders")
        expected = {
            token: session.find_purchase_order(number, procurement_bu=unit)
            for token, (number, unit) in keys.items()
        }
    assert (after[0] - before[0], after[1] - before[1]) == (1, 1)
    assert set(answer) == set(keys) - {"twin-a", "twin-b"}
    ids = {token: row and row["POHeaderId"] for token, row in answer.items()}
    assert ids == {token: expected[token] and expected[token]["POHeaderId"] for token in answer}
    assert [ids[f"known-{n}"] for n in range(3)] == [o["POHeaderId"] for o in known]
    assert answer["other-unit"] is None and answer["new"] is None


def test_under_framework_version_1_nothing_is_batched(pod: Pod) -> None:
    with pod.resource(framework_version=1).session() as session:
        assert find_purchase_orders(session, {"a": ("PO-1", None), "b": ("PO-2", None)}) == {}


def test_the_order_target_batches_only_numbers_of_ours_and_leaves_another_suppliers_order_to_find(
    pod: Pod,
) -> None:
    known = next(o for o in pod.records("purchaseOrders") if o.get("OrderNumber") and o.get("SupplierId"))
    tag = uuid.uuid4().hex[:8].upper()

    def order(token: str, number: str, supplier_id: object) -> Mapped:
        key = {"order_number": number, "business_unit": known["ProcurementBU"], "supplier_id": supplier_id}
        return Mapped(token, {"Supplier": "x"}, {}, key)

    records = [
        order("ours", known["OrderNumber"], known["SupplierId"]),
        order("theirs", known["OrderNumber"], f"{known['SupplierId']}9"),  # another supplier's
        order("new", f"PFY-{tag}", known["SupplierId"]),
    ]
    with pod.resource(send_unconfirmed="OrderNumber").session() as session:
        target = FusionPurchaseOrders(session)
        assert target.find_many(records[:1] + records[2:]) == {"ours": str(known["POHeaderId"]), "new": None}
        with pytest.raises(ValueError, match="not adopted"):
            target.find(records[1])
        with_theirs = target.find_many(records[1:])
    assert with_theirs == {"new": None}  # another supplier's order: left to find, which refuses it
    with pod.resource().session() as session:  # Fusion numbers the orders: fingerprinted, searched alone
        assert FusionPurchaseOrders(session).find_many(records) == {}
