"""JDE purchase orders -> Procurify requisitions (``jde_procurify.purchase_orders``).

Pure mapper tests first (which orders are approved, lines and amounts; the revision of a purchased order's
PO is the Procurify side's, ``tests/sides/test_procurify_orders.py``), then runs through Dagster against
the JDE and Procurify simulators on ephemeral ports: a new approved order whose supplier never synced pulls
it (the suppliers flow's write, in the same run) and is created once, skipped after; a crash after the
create is adopted by its description; an unmapped account is refused naming it; a changed order revises its
linked PO, and what the API cannot do is queued with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from jde_procurify_parts import (
    ACCOUNTS,
    DEPARTMENTS,
    FLOWS,
    INTEGRATION,
    OWN,
    PAIRING,
    PURCHASE_ORDERS_FLOW,
    lines_refusal,
    order_policy,
    requisition_body,
    requisition_lines,
)
from jde_procurify_world import ORDER_SOURCES, SUPPLIER_SOURCES, JdeProcurifyWorld, jde_procurify_world
from ledger_entries import audit_ids
from mapping_rows import own_ledger

from connector_assets.flows.core import Mapped, Rejected
from connector_assets.flows.replays import build_replays
from connector_assets.integrations.jde_procurify.departments import Placement, ProcurifyDepartments, placement
from connector_assets.integrations.jde_procurify.order_mappers import (
    line_amounts,
    line_name,
    order_description,
)
from connector_assets.integrations.jde_procurify.vendor_pairs import an8_key
from connector_assets.jde.order_status import (
    OrderPolicy,
    all_done,
    live_lines,
    not_approved,
    order_source_key,
)
from connector_resources.replay import replay_items

POLICY = OrderPolicy(frozenset({"OP"}), approved_status=220, closed_status=980, stock_account="{bu}.1410")
HEADER = {
    "KCOO": "00001",
    "DOCO": 4011,
    "DCTO": "OP",
    "SFXO": "000",
    "MCU": "         M30",
    "AN8": 4343,
    "CRCD": "USD",
    "HOLD": " ",
    "DRQJ": "2025-03-20",
    "TRDJ": "2025-03-01",
}


def line(lnid: str, **values: object) -> dict[str, object]:
    base: dict[str, object] = {
        "LNID": lnid,
        "LNTY": "J",
        "ANI": "M30.6110",
        "MCU": "         M30",
        "DSC1": "Safety gloves",
        "UOM": "BX",
        "UORG": "10",
        "PRRC": "24.5000",
        "AEXP": "245.00",
        "LTTR": "220",
        "NXTR": "280",
    }
    return {**base, **values}


# -- pure -----------------------------------------------------------------------------------------------


def test_an_order_is_keyed_and_described_by_its_number_type_and_company_only():
    assert order_source_key(HEADER) == "00001:4011:OP"
    assert order_source_key({**HEADER, "SFXO": "001"}) == "00001:4011:OP:001"
    assert order_description(HEADER) == "JDE order 4011 OP (company 00001)"
    assert order_description({**HEADER, "DESC": "changed", "AN8": 1}) == order_description(HEADER)


def test_only_an_order_off_hold_with_every_live_line_approved_is_sent():
    approved = [line("1.0"), line("2.0", LTTR="280", NXTR="400")]
    assert not_approved(HEADER, approved, POLICY) is None
    assert not_approved({**HEADER, "HOLD": "A1"}, approved, POLICY) == "on hold in JDE (F4301 hold code A1)"
    waiting = [line("1.0"), line("2.0", LTTR="210", NXTR="220")]
    assert not_approved(HEADER, waiting, POLICY) == "line(s) 2 not approved yet (last status below 220)"
    # A cancelled line neither blocks nor counts; an order of cancelled lines only is not approved.
    assert not_approved(HEADER, [line("1.0"), line("2.0", LTTR="980", NXTR="999")], POLICY) is None
    assert not_approved(HEADER, [line("1.0", LTTR="980", NXTR="999")], POLICY) == "every line is cancelled"
    assert all_done([line("1.0", LTTR="400", NXTR="999"), line("2.0", LTTR="980", NXTR="999")], POLICY)
    assert not all_done(approved, POLICY)


def test_a_line_with_no_account_names_the_line_and_the_jde_line_as_the_fix_not_the_account_map():
    """A line nobody gave an account: "add the account to the account map" cannot fix it."""
    blank = requisition_lines(HEADER, [line("1.0", ANI="")], POLICY, {}, "X")
    reason = lines_refusal(blank)
    assert reason.startswith("line 1 has no G/L account in JDE (F4311.ANI blank)"), reason
    assert "enter it on that line in JDE" in reason and "account map cannot supply one" in reason
    assert "jde_procurify/account_map or" not in reason  # no advice that cannot work
    stock = replace(POLICY, stock_account="")
    reason = lines_refusal(requisition_lines(HEADER, [line("2.0", LNTY="S", ANI="")], stock, {}, "X"))
    assert "line 2 is a stock line" in reason and "ML_JDE_PROCURIFY_STOCK_ACCOUNT is blank" in reason
    both = requisition_lines(HEADER, [line("1.0", ANI=""), line("2.0", ANI="M30.6990")], POLICY, {}, "X")
    reason = lines_refusal(both)
    assert "line 1 has no G/L account in JDE" in reason
    assert reason.endswith(
        "line 2: account M30.6990 has no Procurify account code (add account M30.6990 to "
        "jde_procurify/account_map or $ML_JDE_PROCURIFY_ACCOUNT_SCOPE, then replay)"
    ), reason


def test_a_line_goes_as_ordered_when_procurify_can_hold_it_to_the_cent_else_one_unit_at_jde_s_extended_cost():
    assert line_amounts(line("1.0")) == (Decimal("10.00"), Decimal("24.50"), True)
    fractional = line("1.0", UORG="250", PRRC="63.2671", AEXP="15816.77", LNTY="S", ANI="", LITM="CEM-25")
    assert line_amounts(fractional) == (Decimal("1.00"), Decimal("15816.77"), False)
    assert line_name(fractional) == "Safety gloves (CEM-25) (250 x 63.2671)"


def test_requisition_lines_name_the_vendor_code_and_jde_line_and_refuse_an_account_without_a_code():
    lines = [
        line("1.0"),
        line("2.0", LNTY="S", ANI="", LITM="CEM-25", DSC1="Cement 25kg"),
        line("3.0", LTTR="980", NXTR="999"),
    ]
    codes = {"M30.6110": "6100", "M30.1410": "M30.1410"}
    mapped = requisition_lines(HEADER, lines, POLICY, codes, "Granite Supply Co")
    assert not mapped.problems
    assert [li["sku"] for li in mapped.lines] == ["JDE 4011 line 1", "JDE 4011 line 2"]  # line 3 cancelled
    first = mapped.lines[0]
    assert first == {
        "item_name": "Safety gloves",
        "sku": "JDE 4011 line 1",
        "vendor_name": "Granite Supply Co",
        "account_code": "6100",
        "unit_price": "24.50",
        "quantity": "10.00",
        "unit": "BX",
        "custom_fields": [],
        "currency_code": "USD",
    }
    assert mapped.lines[1]["account_code"] == "M30.1410"  # the stock account, {bu} = the branch/plant
    refused = requisition_lines(HEADER, [line("1.0", ANI="M30.6990")], POLICY, {"M30.6990": None}, "X")
    assert refused.problems == ["line 1: account M30.6990 has no Procurify account code"]
    body = requisition_body(HEADER, "Seattle Branch", "Operations", mapped.lines)
    assert body["description"] == "JDE order 4011 OP (company 00001)"
    assert (body["location_name"], body["department_name"], body["required_date"]) == (
        "Seattle Branch",
        "Operations",
        "2025-03-20",
    )


def test_the_department_table_places_a_business_unit_and_procurify_s_departments_check_the_names():
    table = DEPARTMENTS.read()
    assert placement("         M30", table) == Placement("Seattle Branch", "Operations")
    assert placement("ZZZ", table) is None
    default = {**table, "*": "Head Office|Operations"}
    assert placement("ZZZ", default) == Placement("Head Office", "Operations")
    known = ProcurifyDepartments(
        [
            {"name": "Operations", "branch": {"name": "Seattle Branch"}, "active": True},
            {"name": "Finance", "branch": {"name": "Seattle Branch"}, "active": False},
        ]
    )
    assert known.problem(Placement("Seattle Branch", "Operations"), "M30", DEPARTMENTS) is None
    assert "inactive" in (known.problem(Placement("Seattle Branch", "Finance"), "M30", DEPARTMENTS) or "")
    atlantis = known.problem(Placement("Atlantis", "Operations"), "M30", DEPARTMENTS)
    assert "no location named 'Atlantis'" in (atlantis or "")


def test_a_malformed_department_row_is_refused_naming_the_line(tmp_path, monkeypatch: pytest.MonkeyPatch):
    bad = tmp_path / "departments.csv"
    bad.write_text("jde_business_unit,procurify_department\nM30,Seattle Branch\n", encoding="utf-8")
    monkeypatch.setenv("ML_JDE_PROCURIFY_DEPARTMENT_MAP", str(bad))
    with pytest.raises(ValueError, match="line 2: jde_business_unit M30 .* Location name\\|Department name"):
        DEPARTMENTS.read()


# -- through Dagster, against the JDE and Procurify simulators -------------------------------------------

CODES = ("jde_procurify/account_codes_mapped", "jde_procurify/account_codes_written")
ORDERS = (*ORDER_SOURCES, "jde_procurify/purchase_orders_mapped", "jde_procurify/purchase_orders_written")
SUPPLIERS = (
    *SUPPLIER_SOURCES,
    "jde/supplier_addresses",
    "jde_procurify/suppliers_mapped",
    "jde_procurify/suppliers_written",
)
LINKS = (
    "procurify/purchase_orders",
    "procurify/requisitions",
    "jde_procurify/po_links_mapped",
    "jde_procurify/po_links_written",
)
EXPENSE_SCOPE = "6000-8999"  # the sandbox default: stock lines' inventory account (BU.1410) is outside it
WITH_INVENTORY = "1410, 6000-8999"  # the fix: inventory accounts get codes of their own too


def julian_day(value: int) -> str:
    """JDE's CYYDDD as an ISO date (the partition a row with that UPMJ is in)."""
    year = 1900 + value // 1000
    return (date(year, 1, 1) + timedelta(days=value % 1000 - 1)).isoformat()


@dataclass
class Story:
    world: JdeProcurifyWorld
    patch: pytest.MonkeyPatch
    orders: dict[str, dict]  # source key -> F4301 row of the day's new orders the flow sends
    stocked: set[str]  # of those, orders with a stock line: refused while inventory has no code


def _requisitions(world: JdeProcurifyWorld, key: str) -> list[dict]:
    header = next(iter(world.jde_rows("F4301", DOCO=int(key.split(":")[1]))))
    with world.resources["procurify"].session() as session:
        return session.find_requisitions(
            description=order_description(header), created_since=date(2000, 1, 1)
        )


def _mapped_now(world: JdeProcurifyWorld, key: str) -> Mapped | Rejected:
    """The order as the flow's mapper makes it now (what a replay writes), read from both sandboxes."""
    given = {k: v for k, v in world.resources.items() if k != "ledger"}
    resources = SimpleNamespace(**given, ledger=SimpleNamespace(get=lambda: world.ledger))
    found = [
        r
        for r in PURCHASE_ORDERS_FLOW.remap(SimpleNamespace(resources=resources), [key])
        if r.source_key == key
    ]
    assert len(found) == 1, found
    return found[0]


def _remapped(world: JdeProcurifyWorld, key: str) -> Mapped:
    mapped = _mapped_now(world, key)
    assert isinstance(mapped, Mapped), mapped
    return mapped


def _replay(world: JdeProcurifyWorld, keys: set[str]) -> None:
    """``ml-connector replay`` of the story's queued orders (other orders the day's activity changed are
    left alone: some are refused for reasons of their own, e.g. a vendor name two vendors share)."""
    replays = build_replays(
        [FLOWS["purchase_orders"]], lambda: {k: world.resources[k] for k in ("jde", "procurify", "staging")}
    )
    items = [
        i
        for i in world.ledger.open_items(integration=INTEGRATION, flow="purchase_orders")
        if i.source_key in keys
    ]
    summary = replay_items(world.ledger, items, replays)
    assert summary.replayed and not summary.failed, summary.line()


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    patch = pytest.MonkeyPatch()
    patch.setenv("ML_JDE_PROCURIFY_ACCOUNT_SCOPE", EXPENSE_SCOPE)
    folder = tmp_path_factory.mktemp("purchase_orders")
    # The operator's account table before the fix: the sandbox table without inventory (BU.1410) rows.
    sandbox = ACCOUNTS.path()
    table = folder / "accounts_without_inventory.csv"
    kept = [row for row in sandbox.read_text(encoding="utf-8").splitlines() if ".1410," not in row]
    table.write_text("\n".join(kept) + "\n", encoding="utf-8")
    own_ledger(patch, folder)  # a deployment whose table is imported from that file
    patch.setenv("ML_JDE_PROCURIFY_ACCOUNT_MAP", str(table))
    # Half the sandbox's suppliers have no e-mail in F01151; Procurify requires one on every vendor.
    patch.setenv("ML_JDE_PROCURIFY_VENDOR_FALLBACK_EMAIL", "ap@ml-sandbox.example")
    try:
        with jde_procurify_world(folder) as world:
            world.master()
            world.run_whole(*CODES)
            made = world.jde_activity(new_purchase_orders=8)["new_purchase_orders"]
            policy = order_policy()
            orders, stocked = {}, set()
            for made_order in made:
                header = world.jde_rows("F4301", DOCO=made_order["DOCO"])[0]
                lines = world.jde_rows("F4311", DOCO=made_order["DOCO"])
                sendable = (
                    header["DCTO"] in policy.order_types and not_approved(header, lines, policy) is None
                )
                if sendable and not all_done(lines, policy):
                    key = order_source_key(header)
                    orders[key] = header
                    if any(li["LNTY"].strip() == "S" for li in live_lines(lines, policy)):
                        stocked.add(key)
            assert stocked and set(orders) - stocked, "the day's new orders need both kinds; ask for more"
            yield Story(world, patch, orders, stocked)
    finally:
        patch.undo()


def test_new_orders_pull_their_never_synced_supplier_and_an_account_without_a_code_is_refused_naming_it(
    story: Story,
):
    world = story.world
    meta = world.run(*ORDERS)  # the suppliers flow is not in the run
    mapped, written = (
        meta["jde_procurify/purchase_orders_mapped"],
        meta["jde_procurify/purchase_orders_written"],
    )
    assert mapped["held"] + mapped["rejected"] >= len(story.orders) and mapped["valid"] == 0
    # No supplier had synced when the orders were mapped; the write step read those suppliers from JDE by
    # number, wrote them through the suppliers flow (each vendor created once), then wrote the orders.
    sendable = set(story.orders) - story.stocked
    assert written["parents_pulled"] >= 1 and written["parents_missing"] == written["parents_left"] == 0
    assert written["create"] == written["written_after_pull"] >= len(sendable)
    vendors = audit_ids(world.ledger, INTEGRATION, "suppliers", "create")
    assert vendors and len(vendors) == len(set(vendors)) and written["parents_pulled"] >= len(vendors)
    queue = world.queue("purchase_orders")
    for key, header in story.orders.items():
        if key in story.stocked:
            unit = header["MCU"].strip()
            assert f"account {unit}.1410 has no Procurify account code" in queue[key], queue[key]
            assert "jde_procurify/account_map or $ML_JDE_PROCURIFY_ACCOUNT_SCOPE" in queue[key]
            assert not _requisitions(world, key)
        else:
            assert key not in queue and len(_requisitions(world, key)) == 1, key
            assert PAIRING.paired_vendor(world.ledger, an8_key(header["AN8"]))
    held = world.ledger.open_items(integration=INTEGRATION, flow="purchase_orders", status="held")
    assert not [i for i in held if i.depends_on and ":supplier:JDE:" in i.depends_on], "none waits on one"


def test_the_fixed_account_map_sends_the_refused_orders_once_a_crashed_create_adopted(story: Story):
    world = story.world
    story.patch.setenv("ML_JDE_PROCURIFY_ACCOUNT_SCOPE", WITH_INVENTORY)  # the operator's fix
    world.run_whole(*CODES)
    for day in sorted(  # the suppliers of the refused orders (a refused order pulls nothing)
        {julian_day(world.jde_rows("F0401", AN8=story.orders[k]["AN8"])[0]["UPMJ"]) for k in story.stocked}
    ):
        world.run(*SUPPLIERS, partition=day)
    # A crashed earlier attempt: its requisition reached Procurify, its id never reached the ledger.
    crashed = sorted(story.stocked)[0]
    with world.resources["procurify"].session() as session:
        session.create_requisition(_remapped(world, crashed).body)
    _replay(world, story.stocked)
    for key in story.orders:
        assert len(_requisitions(world, key)) == 1, key
    assert world.audit_counts("purchase_orders")["create"] == len(story.orders) - 1
    assert world.audit_counts("purchase_orders")["adopt"] == 1
    assert world.xrefs("purchase_order")[crashed] == _requisitions(world, crashed)[0]["uuid"]
    assert not set(world.queue("purchase_orders")) & set(story.orders)


def test_a_rerun_skips_every_order_already_sent(story: Story):
    world = story.world
    written = world.run(*ORDERS)["jde_procurify/purchase_orders_written"]
    assert written["adopt"] == written["update"] == 0 and written["skip"] >= len(story.orders)
    # Only an order of the day refused before the fix and held on its supplier since is created: after its
    # supplier's pull. None of the story's is sent again.
    assert written["create"] == written["written_after_pull"]
    created = audit_ids(world.ledger, INTEGRATION, "purchase_orders", "create")
    assert len(created) == len(set(created))  # each order created once, the story's before this run
    assert all(len(_requisitions(world, key)) == 1 for key in story.orders)


def test_an_order_whose_vendor_read_keeps_timing_out_is_queued_naming_it_then_maps_once_procurify_answers(
    story: Story,
):
    """The per-order read of the paired vendor failing after the retries queues that order."""
    world = story.world
    key = sorted(set(story.orders) - story.stocked)[0]
    vendor_id = PAIRING.paired_vendor(world.ledger, an8_key(story.orders[key]["AN8"]))
    assert vendor_id, "the supplier was paired by the tests before"
    try:
        world.procurify_faults(
            fail_next=1000, fail_next_status=504, fail_next_path_prefix=f"/api/v3/vendors/{vendor_id}/"
        )
        refused = _mapped_now(world, key)
        assert isinstance(refused, Rejected) and refused.source_key == key, refused
        assert refused.reason.startswith(f"purchase order {key}: "), refused.reason
        assert (
            f"Procurify vendor {vendor_id}" in refused.reason
            and "ML_PROCURIFY_MAX_ATTEMPTS" in refused.reason
        )
    finally:
        world.procurify_faults(fail_next=0, fail_next_path_prefix=None)
    assert isinstance(_mapped_now(world, key), Mapped)


def _change(world: JdeProcurifyWorld, key: str, lines: list[dict]) -> None:
    """A buyer changes the order in E1 (``ML_UpdatePurchaseOrder``)."""
    company, number, kind = key.split(":")[:3]
    inputs = {"Order_Company": company, "Order_Number": int(number), "Order_Type": kind, "Lines": lines}
    with world.resources["jde"].session() as session:
        session.orchestrate("ML_UpdatePurchaseOrder", inputs)


def test_a_changed_order_revises_its_linked_po_and_queues_what_the_api_cannot_do(story: Story):
    world = story.world
    # An order of G/L lines in whole cents (sent as ordered) is purchased; another one is not.
    key = sorted(set(story.orders) - story.stocked)[0]
    other = sorted(set(story.orders) - {key})[0]
    uuid = world.xrefs("purchase_order")[key]
    world.purchase(uuid)  # Procurify's approver and buyer
    world.run(*LINKS)
    po_number = OWN.links.linked_po(world.ledger, key)
    assert po_number, world.queue("po_links")
    po = world.procurify_record("purchase_orders", po_number)["api"]
    first = min(po["order_items"], key=lambda i: int(i["PO_line_num"]))
    number = first["sku"].rsplit(" ", 1)[-1]
    quantity = int(Decimal(first["quantity"])) + 5
    _change(world, key, [{"Line_Number": number, "Quantity": quantity, "Description": "Revised by buyer"}])
    _change(world, other, [{"Line_Number": "1", "Description": "Changed before purchase"}])
    written = world.run(*ORDERS)["jde_procurify/purchase_orders_written"]
    assert written["update"] == 1 and written["fail"] == 1
    revised = {i["id"]: i for i in world.procurify_record("purchase_orders", po_number)["api"]["order_items"]}
    assert Decimal(revised[first["id"]]["quantity"]) == quantity
    assert revised[first["id"]]["name"].startswith("Revised by buyer")
    now = {li["sku"]: li for li in _remapped(world, key).body["line_items"]}
    for item in revised.values():  # every line of the PO is what JDE says now
        assert Decimal(item["quantity"]) == Decimal(now[item["sku"]]["quantity"])
        assert Decimal(item["price"]) == Decimal(now[item["sku"]]["unit_price"])
    assert len(_requisitions(world, key)) == 1  # revised, never a second requisition
    assert (
        "is not purchased yet; the API cannot change a requisition" in world.queue("purchase_orders")[other]
    )
    # A line added in JDE: the PUT cannot add one; queued with what to do, the rest still revised.
    _change(
        world,
        key,
        [
            {
                "Line_Number": None,
                "Line_Type": "J",
                "Quantity": 2,
                "Unit_Cost": "10.00",
                "Account": f"{story.orders[key]['MCU'].strip()}.6110",
                "Description": "Extra",
            }
        ],
    )
    world.run(*ORDERS)
    reason = world.queue("purchase_orders")[key]
    assert "was added in JDE after the order was purchased in Procurify" in reason
    assert f"add a line to PO {po_number}" in reason


def test_a_vendor_name_two_active_vendors_share_refuses_the_order_with_that_reason(story: Story):
    world = story.world
    key = sorted(story.orders)[-1]
    an8 = str(story.orders[key]["AN8"])
    vendor_id = world.xrefs("supplier")[an8]
    with world.resources["procurify"].session() as session:
        name = session.get("vendors", vendor_id)["name"]
        twin = session.create_vendor({"name": name, "email": ["twin@ml-sandbox.example"], "active": True})
    refused = _mapped_now(world, key)
    assert isinstance(refused, Rejected)
    assert f"JDE supplier {an8} is Procurify vendor {vendor_id} ({name!r})" in refused.reason
    assert f"active vendor(s) {twin['id']} have the same name" in refused.reason
