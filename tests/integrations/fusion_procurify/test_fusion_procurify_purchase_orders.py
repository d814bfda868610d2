"""Procurify -> Fusion purchase orders: the pure mappers alone, then the flow end to end through Dagster
against both simulators (created once then skipped, a draft left INCOMPLETE adopted and submitted, held on
an unpaired vendor then released, a bad account queued then replayed once the map is fixed)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fusion_procurify_parts import ACCOUNTS, PURCHASE_ORDERS_FLOW, fusion_order_number, paired_vendor
from fusion_procurify_parts import PURCHASE_ORDERS as purchase_orders_flow
from fusion_procurify_proofs import draft_left_in_fusion, usd_po
from fusion_procurify_world import BUSINESS_UNIT, INTEGRATION, FusionProcurifyWorld, fusion_procurify_world
from ledger_entries import audit_ids
from mapping_rows import import_file, own_ledger, sandbox_path

from connector_assets.fusion import draft_orders
from connector_assets.fusion.supplier_names import fold
from connector_assets.integrations.fusion_procurify import order_mappers as om
from connector_assets.integrations.fusion_procurify import po_numbers
from connector_assets.procurify.order_fields import live_items
from connector_resources.fusion.payloads import DraftPurchaseOrder, PurchaseOrderLine

FLOW = "purchase_orders"
MAPPED = PURCHASE_ORDERS_FLOW.key("mapped").to_user_string()
WRITTEN = PURCHASE_ORDERS_FLOW.key("written").to_user_string()
SOURCE = "procurify/purchase_orders"


# -- pure -------------------------------------------------------------------------------------------------


def test_order_numbers_keep_the_procurify_number_both_ways() -> None:
    assert po_numbers.po_source_key("01187") == "PO1187"
    assert fusion_order_number("PO1187", "PFY") == "PFY1187"
    assert fusion_order_number("REQ60", "PFY") == "PFYR60"
    assert fusion_order_number(po_numbers.requisition_source_key(60, 2041), "PFY") == "PFYR60-2041"
    for key in ("PO1187", "REQ60", "REQ60-2041"):
        assert po_numbers.source_key_of(fusion_order_number(key, "PFY"), "PFY") == key
    assert po_numbers.source_key_of("1000183", "PFY") is None  # a Fusion order this flow did not make
    with pytest.raises(ValueError, match="longer than 20"):
        fusion_order_number("PO12345678901234567", "PFYX")


def _item(line: int, code: str = "6100", **over: Any) -> dict[str, Any]:
    item = {
        "id": 100 + line,
        "PO_line_num": line,
        "name": f"Item {line}",
        "quantity": "2.00",
        "price": "12.50",
        "unit": "each",
        "status": 2,
        "orderNum": 60,
        "vendor": {"id": 5, "name": "Acme"},
        "account": {
            "account_code": {"code": code},
            "department": {"name": "Operations", "branch": {"name": "Head Office"}},
        },
    }
    return {**item, **over}


def _accounts(code: str, department: str | None) -> tuple[str | None, str | None]:
    assert department == "Head Office|Operations"
    if code == "6100":
        return "101-30-60000-000", None
    return (
        None,
        f"Procurify account code {code} has no row in the account map (ML_FUSION_PROCURIFY_ACCOUNT_MAP)",
    )


def test_lines_carry_quantity_price_unit_and_charge_account_and_name_what_is_wrong() -> None:
    items = live_items([_item(2, code="7004"), _item(1), _item(3, status=7)])
    assert [i["PO_line_num"] for i in items] == [1, 2]  # line order; the denied line dropped
    mapped = om.order_lines("Procurify PO 1187", items, _accounts)
    assert mapped.problems == [
        "Procurify PO 1187 line 2 (Item 2): Procurify account code 7004 has no row in the account map "
        "(ML_FUSION_PROCURIFY_ACCOUNT_MAP)"
    ]
    [line] = mapped.lines
    assert (line.line_number, line.quantity, line.price, line.uom, line.charge_account) == (
        1,
        Decimal("2.00"),
        Decimal("12.50"),
        "each",
        "101-30-60000-000",
    )


def test_description_is_the_requisition_notes_cut_to_240() -> None:
    assert om.notes(["Materials  for site #60", "Materials for site #60", None, "Rush"]) == (
        "Materials for site #60; Rush"
    )
    long = om.notes(["x" * 300])
    assert long is not None and len(long) == 240 and long.endswith("…")
    assert om.notes(["", None]) is None


def _body(**header: Any) -> dict[str, Any]:
    draft = DraftPurchaseOrder(
        supplier="Acme",
        supplier_site="MAIN",
        order_number="PFY1187",
        procurement_bu=BUSINESS_UNIT,
        description="Materials for site #60",
        lines=(PurchaseOrderLine(1, Decimal("2"), Decimal("12.50"), description="Item 1"),),
    )
    body = draft_orders.body_of(draft)
    # the ledger's JSON gives the same draft back
    assert draft_orders.draft_of(body).payload() == draft.payload()
    return {**body, **header}


def test_a_changed_description_is_patchable_lines_and_prices_are_not() -> None:
    order = {"OrderNumber": "PFY1187", "Supplier": "Acme", "SupplierSite": "MAIN", "Description": "old"}
    lines = [{"LineNumber": 1, "Quantity": Decimal("2"), "Price": Decimal("12.5"), "Description": "Item 1"}]
    same = draft_orders.order_differences(
        {**order, "Description": "Materials for site #60"}, lines, _body(), source="Procurify"
    )
    assert same.header == {} and same.problems == []
    changed = draft_orders.order_differences(order, lines, _body(), source="Procurify")
    assert changed.header == {"Description": "Materials for site #60"} and changed.problems == []
    repriced = draft_orders.order_differences(
        order, [{**lines[0], "Price": Decimal("11")}, {"LineNumber": 2}], _body(), source="Procurify"
    )
    assert repriced.problems == [
        "line(s) 2 of Fusion order PFY1187 are no longer in Procurify",
        "line 1: price 12.50 in Procurify, 11 in Fusion",
    ]


# -- end to end ------------------------------------------------------------------------------------------


@pytest.fixture
def world(tmp_path: Path) -> Iterator[FusionProcurifyWorld]:
    with fusion_procurify_world(tmp_path) as made:
        _master(made)
        made.seeded_orders = {o["POHeaderId"] for o in made.fusion_records("purchaseOrders")}
        yield made


def _master(world: FusionProcurifyWorld) -> None:
    """The mapping tables and Fusion's combinations staged; the department table directly while its module
    lists it in no ``*_assets`` / ``*_tables`` list the world discovers."""
    from dagster import materialize
    from fusion_procurify_parts import department_map_asset as fusion_procurify_department_map

    world.master()
    if not any(a.key.to_user_string() == "fusion_procurify/department_map" for a in world.world_assets()):
        staging = world.resources["staging"]
        assert materialize([fusion_procurify_department_map], resources={"staging": staging}).success


def _sync(world: FusionProcurifyWorld) -> None:
    world.run(SOURCE, MAPPED, WRITTEN)


def _new_orders(world: FusionProcurifyWorld) -> list[dict]:
    """The orders (drafts included) Fusion holds beyond its seed: each test makes one Procurify PO, so
    these are the orders made for it, whatever number Fusion gave them (OrderNumber is not ours to set
    unless ML_FUSION_SEND_UNCONFIRMED says so)."""
    seeded = world.seeded_orders  # type: ignore[attr-defined]
    return [o for o in world.fusion_records("purchaseOrders") if o["POHeaderId"] not in seeded]


def test_a_purchase_order_is_created_once_submitted_and_then_skipped(world: FusionProcurifyWorld) -> None:
    made = usd_po(world)
    po, requisition = made["po"], made["requisition"]
    world.pair_vendor(po["pref_vendor"]["id"], world.unpaired_purchasing_supplier())
    _sync(world)
    key, number = f"PO{po['procurify_PO']}", f"PFY{po['procurify_PO']}"
    assert key not in world.queue(FLOW)
    [order] = _new_orders(world)
    assert world.xrefs("purchase_order")[key] == str(order["POHeaderId"])
    # By default OrderNumber is not sent (the reference does not confirm it is writable): Fusion numbers it.
    assert order["OrderNumber"] and order["OrderNumber"] != number
    assert order["StatusCode"] == "OPEN" and order["ProcurementBU"] == BUSINESS_UNIT
    assert order["Description"] == requisition["description"]
    stored = world.fusion_record("purchaseOrders", order["POHeaderId"])
    assert [(li["LineNumber"], li["Description"]) for li in stored["lines"]] == [
        (i["PO_line_num"], i["name"]) for i in po["order_items"]
    ]
    charged = [
        d["POChargeAccount"] for li in stored["lines"] for s in li["schedules"] for d in s["distributions"]
    ]
    assert charged and all(account.startswith("101-") for account in charged)
    _sync(world)
    assert len(_new_orders(world)) == 1
    counts = world.audit_counts(FLOW)
    assert counts.get("create") == 1  # the second run wrote nothing: unchanged since the last write
    assert world.xrefs("purchase_order")[key] == str(order["POHeaderId"])


def test_a_draft_left_incomplete_by_a_crash_is_submitted_not_created_again(
    world: FusionProcurifyWorld,
) -> None:
    made = usd_po(world)
    po = made["po"]
    supplier_id = world.unpaired_purchasing_supplier()
    world.pair_vendor(po["pref_vendor"]["id"], supplier_id)
    key, number = f"PO{po['procurify_PO']}", f"PFY{po['procurify_PO']}"
    # What a crash between create and submit leaves: the draft in Fusion, nothing in the ledger.
    supplier, site = world.purchasing_site(supplier_id)
    description = made["requisition"]["description"]
    left = draft_left_in_fusion(world, po, supplier, site, order_number=number, description=description)
    assert left["StatusCode"] == "INCOMPLETE"
    _sync(world)
    assert key not in world.queue(FLOW)
    [order] = _new_orders(world)
    assert order["POHeaderId"] == left["POHeaderId"] and order["StatusCode"] == "OPEN"
    assert world.xrefs("purchase_order")[key] == str(left["POHeaderId"])
    assert world.audit_counts(FLOW).get("adopt") == 1


def test_an_order_of_an_unpaired_vendor_is_held_then_released_by_the_pair(
    world: FusionProcurifyWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ML_PARENT_PULL_LIMIT", "0")  # the operator's pair releasing the hold is judged here
    po = usd_po(world)["po"]
    key = f"PO{po['procurify_PO']}"
    _sync(world)
    items = {i.source_key: i for i in world.ledger.open_items(integration="fusion_procurify", flow=FLOW)}
    assert items[key].status == "held"
    assert items[key].depends_on == f"fusion_procurify:vendor:procurify:{po['pref_vendor']['id']}"
    assert items[key].reason == f"purchase_order {key} waits for {items[key].depends_on} to sync"
    assert items[key].refusal_kind == "waits_for_record"  # held before its full read, in the same words
    assert _new_orders(world) == []
    world.pair_vendor(po["pref_vendor"]["id"], world.unpaired_purchasing_supplier())
    world.replay_queued(FLOW, purchase_orders_flow)
    assert key not in world.queue(FLOW)
    [order] = _new_orders(world)
    assert order["StatusCode"] == "OPEN"


def test_an_order_of_a_vendor_never_paired_gets_it_paired_by_name_and_is_sent_in_the_same_run(
    world: FusionProcurifyWorld,
) -> None:
    """Day one: the order's vendor has a Fusion supplier of its name but no poll paired them yet; the write
    step pulls the vendor (paired by name through the vendors flow, once) and sends the order with the day."""
    po = usd_po(world)["po"]
    vendor, key = str(po["pref_vendor"]["id"]), f"PO{po['procurify_PO']}"
    names = {fold(v["name"]) for v in world.in_procurify("vendors").values()}
    supplier = next(
        s
        for s in world.fusion_suppliers_with_site(purpose="SitePurposePurchasingFlag")
        if paired_vendor(world.ledger, s["SupplierId"]) is None and fold(s["Supplier"]) not in names
    )
    with world.resources["procurify"].session() as session:  # the vendor is named as Fusion names it
        session.update_vendor(int(vendor), {"name": supplier["Supplier"]})
    run = world.run(SOURCE, MAPPED, WRITTEN)
    assert run[MAPPED]["held"] >= 1, run[MAPPED]
    written = run[WRITTEN]
    assert written["parents_pulled"] >= 1 and written["written_after_pull"] >= 1, written
    assert world.xrefs("vendor")[vendor] == str(supplier["SupplierId"])
    pairs = [
        k for action in ("create", "adopt") for k in audit_ids(world.ledger, INTEGRATION, "vendors", action)
    ]
    assert pairs.count(vendor) == 1, pairs  # paired once
    assert key not in world.queue(FLOW)
    order = world.fusion_record("purchaseOrders", world.xrefs("purchase_order")[key])
    assert order is not None and str(order["SupplierId"]) == str(supplier["SupplierId"])
    assert audit_ids(world.ledger, INTEGRATION, FLOW, "create").count(key) == 1
    # Nothing left held on a vendor the pull paired.
    held = world.ledger.open_items(integration=INTEGRATION, flow=FLOW)
    assert not [i for i in held if i.depends_on == f"{INTEGRATION}:vendor:procurify:{vendor}"], held


def test_an_order_invoices_wait_for_is_sent_by_a_run_of_a_day_it_did_not_change_on(
    world: FusionProcurifyWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An order last changed before any day the flow reads (make dev: a bill approved today on an order of
    last month) is read for the invoices held on it, by the next run of any day."""
    import datetime as dt

    from fusion_procurify_parts import INVOICES_FLOW

    from connector_assets.flows.core import Rejected, queue_failure

    # Pulling off: the other day's orders held on vendors would be sent too; this judges the awaited read.
    monkeypatch.setenv("ML_PARENT_PULL_LIMIT", "0")
    po = usd_po(world)["po"]
    world.pair_vendor(po["pref_vendor"]["id"], world.unpaired_purchasing_supplier())
    key = f"PO{po['procurify_PO']}"
    queue_failure(
        INVOICES_FLOW,
        world.ledger,
        Rejected("bill-4711", f"invoice bill-4711 waits for {key}", {"source_key": "bill-4711"}),
        status="held",
        depends_on=PURCHASE_ORDERS_FLOW.dependency_key(key),
        run_id="run-0",
        partition=world.day,
    )
    other_day = (dt.date.fromisoformat(str(world.day)) - dt.timedelta(days=3)).isoformat()
    assert key not in world.mapped_keys(MAPPED, other_day)
    world.run(SOURCE, MAPPED, WRITTEN, partition=other_day)
    assert key in world.xrefs("purchase_order"), world.queue(FLOW)
    [order] = _new_orders(world)
    assert world.xrefs("purchase_order")[key] == str(order["POHeaderId"])


def test_a_po_whose_read_keeps_timing_out_is_queued_naming_it_and_the_rest_is_written(
    world: FusionProcurifyWorld,
) -> None:
    """Procurify not answering one PO's full read after every retry (504s) queues that
    PO naming the read; the day's other POs are written, and a replay writes it once Procurify answers."""
    stuck, other = usd_po(world)["po"], usd_po(world)["po"]
    for po in (stuck, other):
        world.pair_vendor(po["pref_vendor"]["id"], world.unpaired_purchasing_supplier())
    key = f"PO{stuck['procurify_PO']}"
    read = f"/api/v2/purchase_orders/{stuck['procurify_PO']}/"
    try:
        world.procurify_faults(fail_next=1000, fail_next_status=504, fail_next_path_prefix=read)
        _sync(world)  # the day succeeds: its list was read, one PO's own read was not
    finally:
        world.procurify_faults(fail_next=0, fail_next_path_prefix=None)
    reason = world.queue(FLOW)[key]
    assert f"Procurify PO {stuck['procurify_PO']}" in reason and "its full record" in reason, reason
    assert "ML_PROCURIFY_MAX_ATTEMPTS" in reason and "504" in reason, reason
    assert f"PO{other['procurify_PO']}" not in world.queue(FLOW)
    assert len(_new_orders(world)) == 1  # the other PO's order
    world.replay_queued(FLOW, purchase_orders_flow)
    assert key not in world.queue(FLOW)
    assert len(_new_orders(world)) == 2


def test_a_line_without_an_account_row_is_queued_then_replayed_once_the_map_is_fixed(
    world: FusionProcurifyWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    po = usd_po(world)["po"]
    key = f"PO{po['procurify_PO']}"
    world.pair_vendor(po["pref_vendor"]["id"], world.unpaired_purchasing_supplier())
    first = po["order_items"][0]
    code = first["account"]["account_code"]["code"]
    full = Path("mappings/sandbox/fusion_procurify_accounts.csv").read_text().splitlines()
    broken = tmp_path / "accounts.csv"
    broken.write_text("\n".join(row for row in full if not row.startswith(f"{code},")) + "\n")
    own_ledger(monkeypatch, tmp_path)  # a deployment whose map is imported from that file
    monkeypatch.setenv("ML_FUSION_PROCURIFY_ACCOUNT_MAP", str(broken))
    _master(world)
    _sync(world)
    reason = world.queue(FLOW)[key]
    assert f"Procurify PO {po['procurify_PO']} line {first['PO_line_num']} ({first['name']})" in reason
    assert f"account code {code} has no row in the account map" in reason
    assert _new_orders(world) == []
    import_file(ACCOUNTS, sandbox_path(ACCOUNTS), note="the full map", resources=world.resources)  # fixed
    world.replay_queued(FLOW, purchase_orders_flow)
    assert key not in world.queue(FLOW)
    assert len(_new_orders(world)) == 1
    world.replay_queued(FLOW, purchase_orders_flow)
    assert len(_new_orders(world)) == 1


def test_a_price_changed_in_procurify_after_submit_is_queued_not_sent_as_a_second_order(
    world: FusionProcurifyWorld,
) -> None:
    po = usd_po(world)["po"]
    key = f"PO{po['procurify_PO']}"
    world.pair_vendor(po["pref_vendor"]["id"], world.unpaired_purchasing_supplier())
    _sync(world)
    [order] = _new_orders(world)
    line = po["order_items"][0]
    with world.resources["procurify"].session() as session:
        session.revise_purchase_order(
            int(po["procurify_PO"]), {"order_items": [{"id": line["id"], "price": "99.00"}]}
        )
    _sync(world)
    reason = world.queue(FLOW)[key]
    assert f"line {line['PO_line_num']}: price 99.00 in Procurify" in reason
    assert "a second order would duplicate the spend" in reason
    assert [o["POHeaderId"] for o in _new_orders(world)] == [order["POHeaderId"]]
    # Fusion numbered the order: the reason names it by Fusion's number, ours beside it, never ours alone.
    number = f"PFY{po['procurify_PO']}"
    assert f"Fusion order {order['OrderNumber']} (Fusion's number; ours is {number}; POHeaderId " in reason
    assert f"Fusion order {number}" not in reason


def test_a_failed_submit_names_the_draft_by_the_number_fusion_gave_it(
    world: FusionProcurifyWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ML_FUSION_SEND_UNCONFIRMED blank (the default): Fusion numbers the draft. When its submit fails, the
    reason names the draft by Fusion's number (ours beside it), not ours as if Fusion had kept it."""
    from connector_resources.fusion.session import FusionSession

    po = usd_po(world)["po"]
    key, number = f"PO{po['procurify_PO']}", f"PFY{po['procurify_PO']}"
    world.pair_vendor(po["pref_vendor"]["id"], world.unpaired_purchasing_supplier())
    submit = FusionSession.submit_draft_purchase_order

    def refused(session: FusionSession, draft: Any, **options: Any) -> Any:
        world.fusion_faults(fail_next=1, fail_next_status=400)  # the pod refuses the submit's first call
        return submit(session, draft, **options)

    monkeypatch.setattr(FusionSession, "submit_draft_purchase_order", refused)
    _sync(world)
    [draft] = [
        o for o in world.fusion_records("draftPurchaseOrders") if o["POHeaderId"] not in world.seeded_orders
    ]  # type: ignore[attr-defined]
    assert draft["OrderNumber"] != number
    reason = world.queue(FLOW)[key]
    assert reason.startswith(
        f"purchase_order {key}: draft order {draft['OrderNumber']} (Fusion's number; ours is {number}; "
        f"POHeaderId {draft['POHeaderId']}) was created in Fusion but its submit failed: "
    ), reason
    assert f"order {number} was created" not in reason
    assert "finds it by its supplier, site and lines" in reason
    monkeypatch.undo()
    _sync(world)  # the next run finds the draft (not by our number: Fusion has none of ours) and submits it
    assert key not in world.queue(FLOW)
    [order] = _new_orders(world)
    assert order["POHeaderId"] == draft["POHeaderId"] and order["StatusCode"] == "OPEN"


def test_with_the_setting_on_our_order_number_is_sent_kept_and_finds_a_crashed_draft(
    tmp_path: Path,
) -> None:
    """ML_FUSION_SEND_UNCONFIRMED=OrderNumber against a pod that lets it be set (the sandbox's other
    reading): the order carries PFY<n>, and a draft left by a crash is found by that number."""
    with fusion_procurify_world(tmp_path, fusion_fields={"send_unconfirmed": "OrderNumber"}) as world:
        _master(world)
        world.fusion_behaviour(order_number_writable=True)
        world.seeded_orders = {o["POHeaderId"] for o in world.fusion_records("purchaseOrders")}  # type: ignore[attr-defined]
        po = usd_po(world)["po"]
        world.pair_vendor(po["pref_vendor"]["id"], world.unpaired_purchasing_supplier())
        key, number = f"PO{po['procurify_PO']}", f"PFY{po['procurify_PO']}"
        _sync(world)
        [order] = _new_orders(world)
        assert order["OrderNumber"] == number and order["StatusCode"] == "OPEN"
        assert world.xrefs("purchase_order")[key] == str(order["POHeaderId"])
        _sync(world)
        assert len(_new_orders(world)) == 1


def test_a_create_refused_for_good_is_sent_once_across_reruns_then_by_a_replay(tmp_path: Path) -> None:
    """A strict pod refused every order create (OrderNumber is read only) and each rerun
    POSTed it again. A record refused for good and unchanged now waits in the queue for a replay."""
    from fusion_procurify_proofs import fusion_posts

    with fusion_procurify_world(tmp_path, fusion_fields={"send_unconfirmed": "OrderNumber"}) as world:
        _master(world)  # the client sends OrderNumber; the pod keeps its default reading (read only)
        world.seeded_orders = {o["POHeaderId"] for o in world.fusion_records("purchaseOrders")}  # type: ignore[attr-defined]
        po = usd_po(world)["po"]
        world.pair_vendor(po["pref_vendor"]["id"], world.unpaired_purchasing_supplier())
        key = f"PO{po['procurify_PO']}"
        _sync(world)
        assert "read only" in world.queue(FLOW)[key]
        posts = fusion_posts(world, "draftPurchaseOrders")

        _sync(world)  # a rerun of the day: nothing POSTed again, the record stays queued with its reason
        assert fusion_posts(world, "draftPurchaseOrders") == posts
        assert "read only" in world.queue(FLOW)[key]
        waits = [e.reason for e in world.ledger.history(key) if e.action == "skip"]
        assert any("not sent again" in reason and "ml-connector replay" in reason for reason in waits), waits

        world.fusion_behaviour(order_number_writable=True)  # the cause fixed on the pod
        world.replay_queued(FLOW, purchase_orders_flow)
        assert key not in world.queue(FLOW)
        [order] = _new_orders(world)
        assert order["OrderNumber"] == f"PFY{po['procurify_PO']}"
