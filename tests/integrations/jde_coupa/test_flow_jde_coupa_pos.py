"""JDE purchase orders -> Coupa purchase orders: held until the supplier syncs, lines on mapped accounts."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from asset_runs import materialized, named
from jde_coupa_parts import (
    ACCOUNTS,
    PAYMENT_TERMS,
    PURCHASE_ORDERS_FLOW,
    SUPPLIERS_FLOW,
    jde_coupa_assets,
    jde_coupa_po_assets,
    mapped_order,
)
from jde_coupa_world import jde_coupa_world, replay_into_coupa
from ledger_entries import audit_ids
from mapping_rows import import_file, own_ledger, sandbox_path

from connector_assets.coupa.targets import CoupaPurchaseOrders, CoupaSuppliers
from connector_assets.flows.core import Mapped, Rejected, dependency_synced
from connector_assets.jde.assets import jde_assets
from connector_cli.queue_listing import Outlived, summary_lines
from connector_resources.blocked_records import blocking_parents
from connector_resources.exception_causes import exception_causes
from connector_resources.replay import replay_items

DAY = (date.today() - timedelta(days=21)).isoformat()
SOURCES = ("jde/suppliers", "jde/address_book", "jde/po_headers", "jde/po_lines")
SUPPLIER_FLOW = ("jde_coupa/payment_terms_map", "jde_coupa/suppliers_mapped", "jde_coupa/suppliers_written")
PO_FLOW = ("jde_coupa/account_map", "jde_coupa/purchase_orders_mapped", "jde_coupa/purchase_orders_written")


@pytest.fixture
def world(tmp_path):
    with jde_coupa_world(tmp_path) as world:
        yield world.resources, world.ledger


def _run(resources, names, partition=DAY):
    every = [*jde_assets, *jde_coupa_assets, *jde_coupa_po_assets]
    return materialized(named(names, every), resources, partition_key=partition, raise_on_error=False)


def test_an_order_whose_supplier_never_synced_pulls_it_and_is_written_in_the_same_run(world):
    resources, ledger = world
    meta = _run(resources, (*SOURCES, *PO_FLOW))  # the suppliers flow is not in the run
    mapped, written = meta["jde_coupa/purchase_orders_mapped"], meta["jde_coupa/purchase_orders_written"]
    assert mapped["held"].value > 0 and mapped["valid"].value == 0  # no supplier had synced when mapped
    pulled = written["parents_pulled"].value
    assert pulled > 0 and written["parents_missing"].value == 0 and written["parents_left"].value == 0
    assert written["create"].value == written["written_after_pull"].value > 0
    # Each pulled supplier went through its own flow: created once in Coupa, with its cross-reference.
    creates = audit_ids(ledger, "jde_coupa", "suppliers", "create")
    assert len(creates) == len(set(creates)) == pulled
    with resources["coupa"].session(flow="suppliers") as session:
        for number in creates:
            assert session.find_supplier(number=number) is not None
    # Only an order whose supplier its own flow refused (a person must act) still waits, on that supplier.
    still = ledger.open_items(integration="jde_coupa", flow="purchase_orders", status="held")
    refused = {i.source_key for i in ledger.open_items(integration="jde_coupa", flow="suppliers")}
    assert {i.depends_on.rsplit(":", 1)[1] for i in still} <= refused
    with resources["coupa"].session(flow="purchase_orders") as session:
        for number in audit_ids(ledger, "jde_coupa", "purchase_orders", "create"):
            assert session.find_purchase_order(number) is not None

    again = _run(resources, PO_FLOW[1:])  # nothing pulled twice, nothing written twice
    written = again["jde_coupa/purchase_orders_written"]
    assert written["parents_pulled"].value == 0 and written["create"].value == 0


def test_orders_of_a_pulled_supplier_refused_for_its_terms_wait_under_it_then_follow_its_fix(
    world, tmp_path, monkeypatch
):
    resources, ledger = world
    terms = tmp_path / "terms.csv"
    terms.write_text(
        "jde_payment_terms,coupa_payment_term\n"
    )  # no terms mapped: suppliers with terms refused
    own_ledger(monkeypatch, tmp_path)
    monkeypatch.setenv("ML_JDE_COUPA_PAYMENT_TERMS_MAP", str(terms))
    _run(resources, ("jde_coupa/payment_terms_map", *SOURCES, *PO_FLOW))
    refused = ledger.open_items(integration="jde_coupa", flow="suppliers", status="failed")
    assert refused and all(i.refusal_kind == "mapping_missing" for i in refused)
    held = ledger.open_items(integration="jde_coupa", flow="purchase_orders", status="held")
    parents = blocking_parents(ledger, {i.depends_on for i in held})
    assert held and set(parents) == {i.depends_on for i in held}, (
        "every order left waits on a refused supplier"
    )
    # Listed under the missing row's exception (one per terms code), counted once with it, not as a wait
    # that clears by itself.
    causes = exception_causes(ledger)
    text = "\n".join(summary_lines([*refused, *held], lambda _: True, Outlived(parents=parents), causes))
    assert {i.id for i in [*refused, *held]} == frozenset().union(*(c.ids for c in causes))
    assert "clears by itself" not in text
    assert f"payment terms {causes[0].gap.value} has no row in {PAYMENT_TERMS.name}: " in text

    # The row is added: the supplier's replay writes it, which releases its orders; the next run writes them.
    import_file(PAYMENT_TERMS, sandbox_path(PAYMENT_TERMS), note="every term", resources=resources)
    summary = replay_items(
        ledger, refused, replay_into_coupa(SUPPLIERS_FLOW, CoupaSuppliers, resources, remap=True)
    )
    assert len(summary.replayed) == len(refused)
    assert blocking_parents(ledger, ledger.held_dependencies()) == {}
    written = _run(resources, PO_FLOW[1:])["jde_coupa/purchase_orders_written"]
    assert written["create"].value == len(held) and written["parents_pulled"].value == 0
    assert not ledger.open_items(integration="jde_coupa", flow="purchase_orders")


def test_the_pull_limit_leaves_the_rest_for_the_next_run_and_says_so(world, monkeypatch):
    resources, ledger = world
    monkeypatch.setenv("ML_PARENT_PULL_LIMIT", "1")
    meta = _run(resources, (*SOURCES, *PO_FLOW))
    written = meta["jde_coupa/purchase_orders_written"]
    assert written["parents_pulled"].value == 1 and written["parents_left"].value >= 1
    still = ledger.open_items(integration="jde_coupa", flow="purchase_orders", status="held")
    assert still, "the orders of the suppliers left wait for the next run"
    again = _run(resources, PO_FLOW[1:])["jde_coupa/purchase_orders_written"]  # the next run pulls one more
    assert again["parents_pulled"].value == 1


def test_with_pulling_off_orders_wait_for_their_supplier_then_sync_once_with_their_lines(world, monkeypatch):
    resources, ledger = world
    monkeypatch.setenv("ML_PARENT_PULL_LIMIT", "0")  # the suppliers flow reads what held orders wait for
    meta = _run(resources, (*SOURCES, *PO_FLOW))  # the table is staged first in the same run
    mapped = meta["jde_coupa/purchase_orders_mapped"]
    assert mapped["held"].value > 0 and mapped["valid"].value == 0  # no supplier has synced yet
    held = ledger.open_items(integration="jde_coupa", flow="purchase_orders", status="held")
    assert held and all("waits for jde_coupa:supplier:JDE:" in item.reason for item in held)

    # The day's suppliers sync, and so do those of other days that held orders wait for (read by number):
    # their orders are released (due now). Only orders whose supplier Coupa refused stay held.
    _run(resources, SUPPLIER_FLOW)
    synced = {item.id for item in held if dependency_synced(ledger, item.depends_on)}
    still_held = {
        i.id for i in ledger.open_items(integration="jde_coupa", flow="purchase_orders", status="held")
    }
    assert synced and still_held == {item.id for item in held} - synced
    refused = {i.source_key for i in ledger.open_items(integration="jde_coupa", flow="suppliers")}
    assert {i.depends_on.rsplit(":", 1)[1] for i in held if i.id in still_held} <= refused
    assert len(synced) > len(held) // 2, "most orders' suppliers changed on other days, and still synced"
    released = ledger.due(integration="jde_coupa", flow="purchase_orders", limit=10_000)
    assert {item.id for item in released} == synced

    replays = replay_into_coupa(PURCHASE_ORDERS_FLOW, CoupaPurchaseOrders, resources)
    summary = replay_items(ledger, released, replays)
    assert summary.replayed and not summary.failed
    with resources["coupa"].session(flow="purchase_orders") as session:
        for item in released[:3]:
            order = session.find_purchase_order(item.source_key)
            assert order is not None
            assert len(order["order-lines"]) == len(item.payload["body"]["order-lines"])
            assert {line["account"]["code"] for line in order["order-lines"]} <= set(ACCOUNTS.read().values())

    again = _run(resources, PO_FLOW[1:])  # now the suppliers are there: the same orders are skipped
    written = again["jde_coupa/purchase_orders_written"]
    assert written["create"].value == 0 and written["skip"].value == len(released)
    assert again["jde_coupa/purchase_orders_mapped"]["held"].value == len(still_held)


def test_an_unmapped_account_is_rejected_with_the_account_named(world, tmp_path, monkeypatch):
    resources, ledger = world
    mapping = tmp_path / "accounts.csv"
    mapping.write_text("jde_account,coupa_account_code\nLNTY:S,00001-5000-1410\n")  # only stock lines map
    own_ledger(monkeypatch, tmp_path)  # a deployment whose table is imported from that file
    monkeypatch.setenv("ML_JDE_COUPA_ACCOUNT_MAP", str(mapping))
    meta = _run(resources, (*SOURCES, *SUPPLIER_FLOW, *PO_FLOW[:2]))  # stages the table the variable names
    mapped = meta["jde_coupa/purchase_orders_mapped"]
    failed = ledger.open_items(integration="jde_coupa", flow="purchase_orders", status="failed")
    assert mapped["rejected"].value == len(failed) > 0
    assert all(
        "no Coupa account in the mapping table" in item.reason and "account " in item.reason
        for item in failed
    )

    # The table is fixed (the full sandbox table imported); a replay reads each order from JDE again and maps
    # it with today's table: written once. Orders whose supplier has not synced are held on it instead.
    import_file(ACCOUNTS, sandbox_path(ACCOUNTS), note="the full table", resources=resources)
    replays = replay_into_coupa(PURCHASE_ORDERS_FLOW, CoupaPurchaseOrders, resources, remap=True)
    summary = replay_items(ledger, failed, replays)
    assert summary.replayed and not summary.failed
    waiting = ledger.open_items(integration="jde_coupa", flow="purchase_orders", status="held")
    assert {i.id for i in waiting} == set(summary.held)  # held on their supplier, released when it syncs
    assert all("waits for jde_coupa:supplier:JDE:" in i.reason and i.depends_on for i in waiting)
    replayed = [i for i in failed if i.id in summary.replayed]
    with resources["coupa"].session(flow="purchase_orders") as session:
        for item in replayed:
            assert session.find_purchase_order(item.source_key) is not None
    assert len(replay_items(ledger, replayed, replays).already) == len(
        replayed
    )  # already written: nothing sent
    for item in replayed:
        creates = [e for e in ledger.history(item.source_key) if e.action in ("create", "adopt")]
        assert len(creates) == 1


def test_the_mapping_table_refuses_a_duplicate(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("jde_account,coupa_account_code\n1.6810,A\n1.6810,B\n")
    with pytest.raises(ValueError, match="line 3: jde_account 1.6810 is mapped twice"):
        ACCOUNTS.read(bad)


def test_the_sandbox_table_is_refused_once_coupa_points_at_a_real_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("ML_JDE_COUPA_ACCOUNT_MAP", raising=False)
    assert ACCOUNTS.read()  # the sandboxes: the sandbox table
    monkeypatch.setenv("ML_COUPA_URL", "https://acme.coupahost.com")
    with pytest.raises(
        ValueError, match=r"ML_JDE_COUPA_ACCOUNT_MAP is not set, and Coupa Core API is pointed at another"
    ):
        ACCOUNTS.read()
    own = tmp_path / "accounts.csv"
    own.write_text("jde_account,coupa_account_code\n1.6810,US-100-6810\n")
    monkeypatch.setenv("ML_JDE_COUPA_ACCOUNT_MAP", str(own))
    assert ACCOUNTS.read() == {"1.6810": "US-100-6810"}


def test_a_resent_document_updates_its_lines_by_line_number_instead_of_adding_copies():
    from connector_assets.coupa.targets import with_line_ids

    existing = {"order-lines": [{"id": 71, "line-num": 1}, {"id": 72, "line-num": 2}]}
    body = {"po-number": "P-1", "order-lines": [{"line-num": 1, "price": "2"}, {"line-num": 3, "price": "5"}]}
    assert with_line_ids(body, existing, "order-lines") == {
        "po-number": "P-1",
        "order-lines": [{"line-num": 1, "price": "2", "id": 71}, {"line-num": 3, "price": "5"}],
    }
    assert body["order-lines"][0] == {"line-num": 1, "price": "2"}  # the record's own body is not changed


def _order_line(lnid: str) -> dict:
    return {"LNID": lnid, "ANI": "20.8150", "LNTY": "S", "UORG": "1", "PRRC": "10.00", "DSC1": "x"}


def test_lines_that_would_share_a_coupa_line_number_refuse_the_order_naming_both():
    header = {"KCOO": "00001", "DOCO": 4711, "DCTO": "OP", "AN8": 4343, "CRCD": "USD"}
    accounts = {"20.8150": "SF-Ops-8150"}
    refused = mapped_order(header, [_order_line("1.000"), _order_line("1.100")], accounts)
    assert isinstance(refused, Rejected)
    assert refused.reason == (
        "purchase order 00001-4711-OP: lines 1 and 1.1 would both be Coupa line 1 "
        "(Coupa line numbers are whole); renumber the JDE lines"
    )
    # Whole line numbers, however AIS renders them (1.000 or the stored 1000), keep their own lines.
    for lnids in (["1.000", "2.000"], ["1000", "2000"]):
        mapped = mapped_order(header, [_order_line(n) for n in lnids], accounts)
        assert isinstance(mapped, Mapped)
        assert [line["line-num"] for line in mapped.body["order-lines"]] == [int(float(n)) for n in lnids]


def test_a_line_whose_jde_extended_cost_is_not_coupas_rounded_product_goes_as_an_amount_line():
    """250 x 63.2671 = 15816.775: JDE stores 15816.77, Coupa's quantity line would total 15816.78."""
    header = {"KCOO": "00001", "DOCO": 4712, "DCTO": "OP", "AN8": 4343, "CRCD": "USD"}
    accounts = {"20.8150": "SF-Ops-8150"}
    off = {**_order_line("1.000"), "UORG": "250", "PRRC": "63.2671", "AEXP": "15816.77", "DSC1": "Rebar"}
    exact = {
        **_order_line("2.000"),
        "UORG": "3",
        "PRRC": "10.0050",
        "AEXP": "30.02",
    }  # 30.015: both roundings
    amount_only = {**_order_line("3.000"), "UORG": "0", "PRRC": "0", "AEXP": "1200.00", "DSC1": "Freight"}
    mapped = mapped_order(header, [off, exact, amount_only], accounts)
    assert isinstance(mapped, Mapped)
    first, second, third = mapped.body["order-lines"]
    assert first == {
        "line-num": 1,
        "description": "Rebar (250 x 63.2671)",
        "type": "OrderAmountLine",
        "price": "15816.77",
        "account": {"code": "SF-Ops-8150"},
    }
    assert (second["quantity"], second["price"]) == ("3", "10.0050") and "type" not in second
    assert third["type"] == "OrderAmountLine" and third["price"] == "1200.00" and "quantity" not in third
    assert mapped.fields["total"] == float(Decimal("15816.77") + Decimal("30.02") + Decimal("1200.00"))


def test_coupa_totals_each_line_at_jdes_extended_cost(world):
    """Through the Coupa simulator: the order written from JDE lines with 4-decimal costs totals what JDE
    says, line by line (AEXP against Coupa's line total, as the reconciliation compares them)."""
    resources, _ledger = world
    lines = [
        {**_order_line("1.000"), "UORG": "250", "PRRC": "63.2671", "AEXP": "15816.77"},
        {**_order_line("2.000"), "UORG": "7", "PRRC": "1.1250", "AEXP": "7.88"},  # 7.875: half up 7.88
        {**_order_line("3.000"), "UORG": "2", "PRRC": "19.9900", "AEXP": "39.98"},
    ]
    with resources["coupa"].session(flow="purchase_orders") as session:
        accounts = session.search("accounts", {"active": True}, limit=1)
        code = accounts[0]["code"]
        supplier = next(
            s for s in session.search("suppliers", {"status": "active"}, limit=50) if s.get("number")
        )
        header = {"KCOO": "00001", "DOCO": 987654, "DCTO": "OP", "AN8": supplier["number"], "CRCD": "USD"}
        mapped = mapped_order(header, lines, {"20.8150": code})
        assert isinstance(mapped, Mapped), mapped
        created = session.create_purchase_order(mapped.body)
        order = session.get("purchase_orders", created["id"])
    totals = [
        Decimal(str(line["total"])) for line in sorted(order["order-lines"], key=lambda x: x["line-num"])
    ]
    assert totals == [Decimal("15816.77"), Decimal("7.88"), Decimal("39.98")]
    assert totals == [Decimal(line["AEXP"]) for line in lines]


def test_an_order_whose_lines_have_no_coupa_account_names_each_missing_row_as_data():
    header = {"KCOO": "00001", "DOCO": 4711, "DCTO": "OP", "AN8": 4343, "CRCD": "USD"}
    stock = {**_order_line("2.000"), "ANI": "", "LNTY": "S"}  # no account: looked up by its line type
    refused = mapped_order(header, [{**_order_line("1.000"), "ANI": "20.8199"}, stock], {})
    assert isinstance(refused, Rejected) and refused.refusal is not None
    assert refused.refusal.kind == "mapping_missing" and refused.refusal.sentence == refused.reason
    assert refused.refusal.params["value"] == ["20.8199", "LNTY:S"]
    assert refused.refusal.params["table"] == "jde_coupa/account_map"
