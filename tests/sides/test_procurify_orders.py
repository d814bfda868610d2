"""The Procurify side's purchase orders and requisitions (``connector_assets.procurify``), pure: a changed
order against the PO its requisition became (``po_revisions``: lines matched by sku, else by name then line
order; what the v3 PUT cannot do named), a PO's requisitions and its link keys (``order_fields``,
``po_origins``), an integration's PO links in its ledger (``po_links``), the staged latest version of each
PO (``order_reads``). The flows that use them run end to
end in ``tests/integrations/jde_procurify`` and ``tests/integrations/fusion_procurify``.

Requisition bodies are written here as the JDE -> Procurify flow sends them (``line_items`` with the JDE
line in ``sku``), so ``source`` is ``JDE``.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from dagster import AssetKey

from connector_assets.flows.targets import FlowRoute
from connector_assets.procurify.order_fields import live_items, requisition_numbers
from connector_assets.procurify.order_reads import latest_staged
from connector_assets.procurify.po_links import PoLinks
from connector_assets.procurify.po_origins import day_ranges, link_key, order_of
from connector_assets.procurify.po_revisions import match_po_lines, requisition_differences, revision
from connector_resources.ledger import Ledger

SOURCE = "JDE"


def _line(number: int, name: str, quantity: str, price: str, code: str = "6100") -> dict[str, Any]:
    """A requisition line as sent for JDE order 4011's line ``number``."""
    sku = f"JDE 4011 line {number}"
    return {"item_name": name, "sku": sku, "account_code": code, "quantity": quantity, "unit_price": price}


def _body(*lines: dict[str, Any]) -> dict[str, Any]:
    return {"description": "JDE order 4011 OP (company 00001)", "line_items": list(lines)}


def _po(state: int = 0, **first: object) -> dict[str, object]:
    return {
        "procurify_PO": 1187,
        "state": state,
        "pref_vendor": {"id": 2041},
        "order_items": [
            {
                "id": 71,
                "PO_line_num": 1,
                "sku": "JDE 4011 line 1",
                "name": "Safety gloves",
                "quantity": "10.00",
                "price": "24.50",
                "account": {"account_code": {"code": "6100"}},
                **first,
            },
            {"id": 72, "PO_line_num": 2, "sku": "JDE 4011 line 2", "name": "Rope", "quantity": "1"}
            | {"price": "9"},
        ],
    }


GLOVES, ROPE = _line(1, "Safety gloves", "10.00", "24.50"), _line(2, "Rope", "1.00", "9.00")


def test_a_changed_order_revises_quantity_price_and_name_of_matching_lines_and_names_what_the_api_cannot():
    changed = _body(_line(1, "Safety gloves XL", "12.00", "24.50"), ROPE)
    plan = revision(_po(), changed, "2041", "00001:4011:OP", source=SOURCE)
    assert plan.order_items == [{"id": 71, "quantity": "12.00", "name": "Safety gloves XL"}]
    assert plan.problems == []
    added = _body(GLOVES, ROPE, _line(3, "Safety gloves", "10.00", "24.50"))
    problems = revision(_po(), added, "2041", "k", source=SOURCE).problems
    assert len(problems) == 1 and "line 3 was added in JDE" in problems[0]
    assert "'JDE 4011 line 3'" in problems[0]
    removed = revision(_po(), _body(GLOVES), "2041", "k", source=SOURCE).problems
    assert len(removed) == 1 and "line 2 (Rope) is cancelled or gone in JDE" in removed[0]
    closed = revision(_po(state=3), changed, "2041", "k", source=SOURCE)
    assert closed.order_items == [] and "PO 1187 is closed" in closed.problems[0]
    other_vendor = revision(_po(), changed, "9999", "k", source=SOURCE).problems
    assert "cannot change a PO's vendor" in other_vendor[0]
    moved = revision(
        _po(), _body(_line(1, "Safety gloves", "10.00", "24.50", code="6200"), ROPE), None, "k", source=SOURCE
    )
    assert moved.problems == [
        "line 1 is now on account code 6200 (was 6100); the API cannot change a PO line's account: change it "
        "on PO 1187 in Procurify"
    ]


def test_without_skus_po_lines_are_matched_by_name_then_by_line_order_and_the_rest_reported():
    po = {
        "procurify_PO": 9,
        "order_items": [
            {"id": 3, "PO_line_num": 3, "name": "Rope", "sku": None, "quantity": "1.00", "price": "9.00"},
            {"id": 1, "PO_line_num": 1, "name": "Gloves", "sku": "", "quantity": "10.00", "price": "2.00"},
            {"id": 2, "PO_line_num": 2, "name": "Tape", "sku": None, "quantity": "4.00", "price": "1.00"},
        ],
    }
    # Line 2 renamed in JDE (no name match: left to line order), line 3's quantity changed (by name).
    now = [
        _line(1, "Gloves", "10.00", "2.00"),
        _line(2, "Duct tape", "4.00", "1.00"),
        _line(3, "Rope", "2.00", "9.00"),
    ]
    match = match_po_lines(po, _body(*now), source=SOURCE)
    assert {sku: item["id"] for sku, item in match.by_sku.items()} == {
        "JDE 4011 line 1": 1,
        "JDE 4011 line 2": 2,
        "JDE 4011 line 3": 3,
    }
    plan = revision(po, _body(*now), None, "00001:4011:OP", source=SOURCE)
    assert plan.problems == []
    assert sorted(plan.order_items, key=lambda c: c["id"]) == [
        {"id": 2, "name": "Duct tape"},
        {"id": 3, "quantity": "2.00"},
    ]
    # Line 2 cancelled and a line 4 added in JDE: names still pair 1 and 3; the rest is not guessed.
    changed = [now[0], now[2], _line(4, "Gloves XL", "1.00", "5.00")]
    plan = revision(po, _body(*changed), None, "00001:4011:OP", source=SOURCE)
    assert plan.order_items == [{"id": 3, "quantity": "2.00"}]
    assert any("line 4 (Gloves XL) matches no line of PO 9" in p for p in plan.problems), plan.problems
    assert any("Procurify line 2 (Tape) on PO 9 matches no line of the JDE order" in p for p in plan.problems)


def test_a_requisition_not_purchased_yet_is_compared_line_by_line_in_a_finance_user_s_words():
    items = _po()["order_items"]
    assert requisition_differences(items, _body(GLOVES, ROPE), source=SOURCE) == []
    differences = requisition_differences(items, _body(_line(1, "Gloves", "12.00", "24.50")), source=SOURCE)
    assert differences == [
        "line 1 quantity is 10.00 in Procurify, 12.00 in JDE",
        "line 1 is named 'Safety gloves' in Procurify",
        "line 2 (Rope) is no longer on the JDE order",
    ]


def test_the_first_po_of_an_order_is_keyed_by_the_order_and_any_other_by_order_and_po_number():
    assert link_key("00001:4011:OP", 1187, first=True) == "00001:4011:OP"
    assert link_key("00001:4011:OP", 1190, first=False) == "00001:4011:OP/1190"
    assert order_of("00001:4011:OP/1190") == "00001:4011:OP"
    assert order_of("00001:4011:OP:001") == "00001:4011:OP:001"


def test_requisitions_of_a_po_come_from_its_lines_and_creation_days_merge_into_ranges():
    detail = {"order_items": [{"orderNum": 12}, {"orderNum": "12"}, {"orderNum": 9}, {"orderNum": None}]}
    assert requisition_numbers(detail) == [9, 12]
    assert requisition_numbers({"order_items": [{"orderNum": {"num": 7}}, {"orderNum": True}]}) == [7]
    assert requisition_numbers({"procurify_PO": 1}) == []
    days = [date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 5)]
    assert day_ranges(days) == [(date(2026, 1, 1), date(2026, 1, 2)), (date(2026, 1, 5), date(2026, 1, 5))]


def test_live_items_drop_rejected_denied_and_draft_lines_and_keep_po_line_order():
    items = [{"id": 5, "PO_line_num": 2, "status": 2}, {"id": 6, "status": 7}, {"id": 4, "PO_line_num": 1}]
    assert [i["id"] for i in live_items(items)] == [4, 5]


def test_the_latest_staged_version_of_each_record_wins_whatever_the_row_order():
    def row(po: int, note: str, hour: int | None) -> dict[str, Any]:
        stamp = datetime(2026, 1, 1, hour) if hour is not None else None  # naive: read as UTC
        return {
            "id": f"row{po}{note}",
            "record": json.dumps({"procurify_PO": po, "note": note}),
            "updated_at": stamp,
        }

    rows = [row(1, "late", 9), row(1, "early", 8), row(2, "only", None)]
    staging = SimpleNamespace(read_rows=lambda asset, partition: rows)
    latest = latest_staged(staging, "procurify/purchase_orders", "2026-01-01", "procurify_PO")
    assert sorted((r["procurify_PO"], r["note"]) for r in latest) == [(1, "late"), (2, "only")]


def test_po_links_name_an_order_s_first_po_its_others_the_waiting_requisitions_and_a_queued_link_s_po():
    sent, linked = FlowRoute("x", "ERP", "procurify"), FlowRoute("x", "procurify", "procurify")
    requisitions = AssetKey(["procurify", "requisitions"])
    links = PoLinks(
        "x", "purchase_order", "po_link", order_route=sent, link_route=linked, requisitions=requisitions
    )
    ledger = Ledger("sqlite://")
    try:
        for order, uuid in (("1:10:OP", "u-10"), ("1:11:OP", "u-11")):
            ledger.record_target("x", "purchase_order", "ERP", order, "procurify", uuid, "h")
        ledger.record_target("x", "po_link", "procurify", "1:10:OP/8", "procurify", "8", "h")
        assert links.linked_po(ledger, "1:10:OP") == "8"  # only a second PO linked: it names the order
        ledger.record_target("x", "po_link", "procurify", "1:10:OP", "procurify", "7", "h")
        assert (links.linked_po(ledger, "1:10:OP"), links.linked_pos(ledger, "1:10:OP")) == ("7", [7, 8])
        assert links.link_of(ledger, 8) == "1:10:OP/8" and links.link_of(ledger, 9) is None
        assert list(links.waiting_requisitions(ledger)) == ["u-11"]  # 10 has its PO
        assert links.requisition_sent(ledger, "1:11:OP") is not None
        assert links.po_of_key(ledger, "1:10:OP/8", "po_links") == 8
        assert links.po_of_key(ledger, "1:10:OP", "po_links") == 7
        link = {"integration": "x", "flow": "po_links", "entity": "po_link", "source_key": "1:11:OP"}
        ledger.enqueue(**link, payload={"procurify_PO": 12}, reason="r")
        assert links.po_of_key(ledger, "1:11:OP", "po_links") == 12
        assert links.po_of_key(ledger, "1:11:OP", "other") is None
    finally:
        ledger.dispose()
