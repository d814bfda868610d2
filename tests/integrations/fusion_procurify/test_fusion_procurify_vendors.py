"""Fusion <-> Procurify vendors and suppliers: the pure mappers (name matching, supplier -> vendor body,
the PATCH of what differs, the site choice), then both flows end to end against the two simulators: a
supplier's vendor created once then skipped, a same-name vendor adopted, several same-name vendors
refused, a manual match written to and never overwritten, a vendor paired by name (exact and ignoring
case), an unmatched vendor refused naming what to do, and records held on a vendor released when its pair
is made; what a vendors poll costs: one vendor list read per run, however many days the run covers, and a
poll with nothing changed no Fusion call, no new attempt, no audit event (abandoned items stay so); and the
purchase orders' requisitions (their notes) read once per run, and no PO of an unpaired vendor read."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from asset_runs import named
from dagster import AssetKey, materialize
from fusion_procurify_parts import INTEGRATION, map_supplier, map_vendor, paired_vendor, vendor_dependency
from fusion_procurify_parts import SUPPLIERS as suppliers_flow
from fusion_procurify_world import MASTER, all_assets, fusion_procurify_world
from instances import instance_for_test

from connector_assets.flows.core import Mapped, Rejected
from connector_assets.flows.values import whole_number
from connector_assets.fusion.supplier_names import EXACT, FOLDED, fold
from connector_assets.fusion.supplier_sites import choose_site
from connector_assets.integrations.fusion_procurify.vendor_mappers import not_paired_why
from connector_assets.procurify.order_fields import PO_CANCELLED, id_of
from connector_assets.procurify.order_reads import latest_staged
from connector_assets.procurify.vendor_changes import VendorRead, read_vendors

FALLBACK = "ap@example.com"
SUPPLIERS = ("fusion/suppliers", "fusion_procurify/suppliers_mapped", "fusion_procurify/suppliers_written")
VENDORS = ("fusion_procurify/vendors_mapped", "fusion_procurify/vendors_written")


def supplier(id_: int, name: str, **more: Any) -> dict[str, Any]:
    return {"SupplierId": id_, "Supplier": name, "SupplierNumber": str(10000 + id_), **more}


# -- pure ----------------------------------------------------------------------------------------------------


def test_map_vendor_pairs_or_refuses_naming_the_vendor_and_what_to_do() -> None:
    vendor = {"id": 812, "name": "Granite  Supply", "type": 3, "active": True}
    paired = map_vendor(vendor, supplier(3, "Granite Supply"), EXACT, [])
    assert isinstance(paired, Mapped)
    assert paired.body == {"SupplierId": "3"} and paired.fields["supplier_number"] == "10003"
    none = map_vendor(vendor, None, FOLDED, [])
    assert isinstance(none, Rejected) and "Procurify vendor 812 (Granite Supply)" in none.reason
    assert "ml-connector xref set 812" in none.reason and "Make the supplier in Fusion" in none.reason
    several = map_vendor(vendor, None, FOLDED, [supplier(3, "a"), supplier(4, "b")])
    assert isinstance(several, Rejected) and "2 active Fusion suppliers" in several.reason
    taken = map_vendor(vendor, supplier(3, "Granite Supply"), EXACT, [], paired_vendor_of_supplier="77")
    assert isinstance(taken, Rejected) and "already paired with Procurify vendor 77" in taken.reason
    assert not_paired_why({"id": 1, "type": 1, "active": True}, None) is not None  # OTHER
    assert not_paired_why({"id": 2, "type": 2, "active": True}, None) is not None  # HIDDEN
    assert not_paired_why({"id": 3, "type": 4, "active": False}, None) == "it is inactive"
    assert "already paired" in (not_paired_why({"id": 4, "type": 3, "active": True}, "9") or "")
    assert not_paired_why({"id": 5, "type": 3, "active": True}, None) is None


def test_map_supplier() -> None:
    made = map_supplier(supplier(7, "Acme"), fallback_email=FALLBACK)
    assert isinstance(made, Mapped)
    assert made.body == {"name": "Acme", "external_id": "10007", "active": True, "email": [FALLBACK]}
    gone = map_supplier(supplier(7, "Acme", Status="INACTIVE"), fallback_email=FALLBACK, paired=True)
    assert isinstance(gone, Mapped) and gone.body["active"] is False
    no_mail = map_supplier(supplier(7, "Acme"))
    assert isinstance(no_mail, Rejected) and "ML_FUSION_PROCURIFY_VENDOR_FALLBACK_EMAIL" in no_mail.reason
    assert isinstance(map_supplier(supplier(7, "Acme"), paired=True), Mapped)  # the vendor keeps its own
    long = map_supplier(supplier(7, "x" * 151), fallback_email=FALLBACK)
    assert isinstance(long, Rejected) and "151 characters" in long.reason


def test_choose_site_by_unit_purpose_and_lowest_id() -> None:
    today = date(2025, 3, 1)
    sites = [
        {"SupplierSiteId": 30, "SupplierSite": "C", "ProcurementBU": "US1", "SitePurposePayFlag": True},
        {"SupplierSiteId": 20, "SupplierSite": "B", "ProcurementBU": "US1"},  # no flags: any purpose
        {"SupplierSiteId": 10, "SupplierSite": "A", "ProcurementBU": "US1", "SitePurposePayFlag": False},
        {"SupplierSiteId": 5, "SupplierSite": "OLD", "ProcurementBU": "US1", "InactiveDate": "2024-01-01"},
        {"SupplierSiteId": 1, "SupplierSite": "EU", "ProcurementBU": "EU1"},
    ]
    chosen, eligible = choose_site(sites, "US1", "pay", today)
    assert chosen["SupplierSite"] == "C" and [s["SupplierSite"] for s in eligible] == ["C", "B"]
    chosen, _ = choose_site(sites, "US1", "purchasing", today)
    assert chosen["SupplierSite"] == "A"  # lowest id among the sites that may purchase
    assert choose_site(sites, "CA1", "pay", today) == (None, [])


# -- end to end ----------------------------------------------------------------------------------------------


def create_vendor(world: Any, name: str, **more: Any) -> str:
    with world.resources["procurify"].session() as session:
        made = session.create_vendor({"name": name, "email": ["buyer@example.com"], **more})
    return str(made["id"])


def hold_on_vendor(world: Any, vendor_id: str, key: str) -> None:
    world.ledger.enqueue(
        integration=INTEGRATION,
        flow="invoices",
        entity="invoice",
        source_key=key,
        payload={},
        reason="waits for its vendor's Fusion supplier",
        status="held",
        depends_on=vendor_dependency(vendor_id),
    )


def held(world: Any, key: str) -> bool:
    items = world.ledger.open_items(integration=INTEGRATION, flow="invoices")
    return any(i.source_key == key and i.status == "held" for i in items)


def test_suppliers_flow_creates_adopts_refuses_and_respects_manual_matches(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ML_FUSION_PROCURIFY_VENDOR_FALLBACK_EMAIL", FALLBACK)
    with fusion_procurify_world(tmp_path) as world:
        created = world.fusion_activity(new_suppliers=4)["created"]["suppliers"]
        new, named, twice, manual = (world.fusion_record("suppliers", i) for i in created[:4])
        adopted = create_vendor(world, named["Supplier"])
        twins = [create_vendor(world, twice["Supplier"]) for _ in range(2)]
        by_hand = create_vendor(world, "Someone Else Entirely")
        world.pair_vendor(by_hand, manual["SupplierId"])
        hold_on_vendor(world, adopted, "bill-a")
        before = set(world.in_procurify("vendors"))

        world.run(*SUPPLIERS)

        pairs = world.xrefs("supplier")
        vendors = world.in_procurify("vendors")
        made = pairs[str(new["SupplierId"])]
        assert made not in before and vendors[made]["external_id"] == new["SupplierNumber"]
        assert vendors[made]["name"] == new["Supplier"] and vendors[made]["email"] == [FALLBACK]
        assert pairs[str(named["SupplierId"])] == adopted  # adopted by its unique name, keyed now
        assert vendors[adopted]["external_id"] == named["SupplierNumber"]
        assert pairs[str(manual["SupplierId"])] == by_hand  # the operator's match is the one written
        assert vendors[by_hand]["external_id"] == manual["SupplierNumber"]
        manual_xref = world.ledger.get_xref(INTEGRATION, "vendor", "procurify", by_hand, "fusion")
        assert manual_xref.manual and manual_xref.target_id == str(manual["SupplierId"])
        refused = world.queue("suppliers")[str(twice["SupplierId"])]
        assert "2 active Procurify vendors are named" in refused and twins[0] in refused
        assert str(twice["SupplierId"]) not in {k for k, v in pairs.items() if v}
        assert not held(world, "bill-a")  # its vendor is paired now: released
        assert len(vendors) == len(before) + 1

        written = world.audit_counts("suppliers")
        assert (written.get("create"), written.get("adopt")) == (1, 2)  # the manual pair adopted too
        world.run(*SUPPLIERS)  # nothing changed: nothing written, nothing created
        assert len(world.in_procurify("vendors")) == len(before) + 1
        again = world.audit_counts("suppliers")
        assert (again.get("create"), again.get("adopt"), again.get("update")) == (1, 2, None)

        world.pair_vendor(twins[1], twice["SupplierId"])  # the operator decides between the twins
        world.replay_queued("suppliers", suppliers_flow)
        assert world.xrefs("supplier")[str(twice["SupplierId"])] == twins[1]
        assert world.queue("suppliers") == {}


def test_vendors_flow_pairs_by_name_refuses_unmatched_and_releases_held(tmp_path) -> None:
    with fusion_procurify_world(tmp_path) as world:
        # The Procurify simulator's seeded vendors share some Fusion names: those pair by themselves.
        seeded = {fold(v["name"]) for v in world.in_procurify("vendors").values()}
        suppliers = [
            s
            for s in world.fusion_suppliers_with_site()
            if s.get("Status") != "INACTIVE" and fold(s["Supplier"]) not in seeded
        ]
        exact, folded, manual_target, name_taken = suppliers[:4]
        same = create_vendor(world, exact["Supplier"])
        loose = create_vendor(world, f"  {folded['Supplier'].upper()} ")
        nobody = create_vendor(world, "No Such Supplier Anywhere 4711")
        # Its name says one supplier, the operator's match another.
        by_hand = create_vendor(world, name_taken["Supplier"])
        world.pair_vendor(by_hand, manual_target["SupplierId"])
        hold_on_vendor(world, same, "bill-same")
        hold_on_vendor(world, nobody, "bill-nobody")

        world.run(*VENDORS)

        pairs = world.xrefs("vendor")
        assert pairs[same] == str(exact["SupplierId"])
        assert pairs[loose] == str(folded["SupplierId"])
        assert pairs[by_hand] == str(manual_target["SupplierId"])  # never overwritten by the name
        assert paired_vendor(world.ledger, name_taken["SupplierId"]) is None
        reason = world.queue("vendors")[nobody]
        assert f"Procurify vendor {nobody} (No Such Supplier Anywhere 4711)" in reason
        assert f"ml-connector xref set {nobody}" in reason
        assert not held(world, "bill-same") and held(world, "bill-nobody")

        queued = world.queue("vendors")
        world.run(*VENDORS)  # unchanged vendors: no new pair, no second refusal of the same vendors
        assert world.xrefs("vendor") == pairs and world.queue("vendors") == queued


def test_suppliers_flow_refuses_a_new_vendor_without_an_email(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("ML_FUSION_PROCURIFY_VENDOR_FALLBACK_EMAIL", raising=False)
    with fusion_procurify_world(tmp_path) as world:
        [made] = world.fusion_activity(new_suppliers=1)["created"]["suppliers"]
        world.run(*SUPPLIERS)
        reason = world.queue("suppliers")[str(made)]
        assert "ML_FUSION_PROCURIFY_VENDOR_FALLBACK_EMAIL" in reason


# -- what a poll costs ---------------------------------------------------------------------------------------

VENDOR_LIST = "GET /api/v3/vendors/"
PAGE = 10  # small pages, so one whole read of the seeded vendors is several calls


def fusion_calls(world: Any) -> Counter[str]:
    """The pod's API calls so far by endpoint (tokens and operator routes apart)."""
    calls = world.fusion_state()["calls"].items()
    return Counter({k: v for k, v in calls if "oauth" not in k and "/sandbox" not in k})


def vendor_list_calls(world: Any) -> int:
    return int(world.procurify_state()["calls"].get(VENDOR_LIST, 0))


def one_list_read(world: Any) -> int:
    """What one whole read of the purchasable vendors costs (the flow's own reader, counted by Procurify)."""
    before = vendor_list_calls(world)
    read = VendorRead()
    assert sum(1 for _ in read_vendors(world.resources["procurify"], read)) == read.vendors > PAGE
    return vendor_list_calls(world) - before


def attempts(world: Any) -> dict[str, int]:
    items = world.ledger.open_items(integration=INTEGRATION, flow="vendors", limit=10_000)
    return {item.source_key: item.attempts for item in items}


def run_range(world: Any, names: tuple[str, ...], days: list[str], instance: Any) -> None:
    """One run of ``names`` over the days ``days[0]`` .. ``days[-1]`` (a backfill run as one)."""
    result = materialize(
        named(names, all_assets()),
        resources=world.resources,
        instance=instance,
        tags={"dagster/asset_partition_range_start": days[0], "dagster/asset_partition_range_end": days[-1]},
        raise_on_error=False,
    )
    assert result.success, [e.message for e in result.all_events if e.is_failure]


def last_days(world: Any, count: int) -> list[str]:
    end = date.fromisoformat(world.day)
    return [(end - timedelta(days=n)).isoformat() for n in range(count - 1, -1, -1)]


def test_a_range_run_reads_the_vendor_list_once_for_its_last_day(tmp_path) -> None:
    with fusion_procurify_world(tmp_path, page_size=PAGE) as world, instance_for_test() as instance:
        nobody = create_vendor(world, "No Such Supplier Anywhere 4712")
        one_read = one_list_read(world)
        days = last_days(world, 3)
        before, fusion_before = vendor_list_calls(world), fusion_calls(world)

        run_range(world, VENDORS, days, instance)

        assert vendor_list_calls(world) - before == one_read  # not one read per day of the range
        searched = fusion_calls(world) - fusion_before
        assert searched and set(searched) == {"GET /fscmRestApi/resources/{version}/suppliers"}
        # Each unpaired vendor's name asked of Fusion once (plus one whole supplier list, paged).
        assert sum(searched.values()) <= len(attempts(world)) + len(world.xrefs("vendor")) + 5
        assert attempts(world)[nobody] == 1
        paired = {k for k, v in world.xrefs("vendor").items() if v}
        assert paired, "the seeded vendors sharing a Fusion name are paired"
        assert world.mapped_keys(VENDORS[0], days[-1]) == paired  # staged on the run's last day
        assert all(world.mapped_keys(VENDORS[0], day) == set() for day in days[:-1])


def test_a_poll_with_nothing_changed_costs_one_list_read_and_writes_nothing(tmp_path) -> None:
    with fusion_procurify_world(tmp_path, page_size=PAGE) as world:
        nobody = create_vendor(world, "No Such Supplier Anywhere 4713")
        one_read = one_list_read(world)
        world.run(*VENDORS)
        queued, audited, pairs = attempts(world), world.audit_counts("vendors"), world.xrefs("vendor")
        assert queued[nobody] == 1 and audited.get("fail") == len(queued)
        before, fusion_before = vendor_list_calls(world), fusion_calls(world)

        world.run(*VENDORS)  # nothing changed in Procurify or Fusion

        assert vendor_list_calls(world) - before == one_read
        assert fusion_calls(world) == fusion_before  # no supplier search: every vendor is paired or queued
        assert attempts(world) == queued  # no refusal counted again
        assert world.audit_counts("vendors") == audited and world.xrefs("vendor") == pairs

        [item] = [
            i
            for i in world.ledger.open_items(integration=INTEGRATION, flow="vendors")
            if i.source_key == nobody
        ]
        world.ledger.abandon(item.id, reason="an employee's vendor; never bought from in Fusion")
        world.run(*VENDORS)
        assert nobody not in attempts(world) and world.audit_counts("vendors") == audited

        with world.resources["procurify"].session() as session:  # renamed: a change, matched again
            session.update_vendor(int(nobody), {"name": "No Such Supplier Anywhere 4714"})
        world.run(*VENDORS)
        assert attempts(world)[nobody] == 1
        assert "No Such Supplier Anywhere 4714" in world.queue("vendors")[nobody]
        assert world.audit_counts("vendors")["fail"] == audited["fail"] + 1


def test_a_range_run_reads_requisitions_once_and_no_po_of_an_unpaired_vendor(tmp_path) -> None:
    """The purchase orders' Description comes from their requisitions: over a range of days, listed once
    per paired vendor (``pref_vendor``), or the whole list once when its pages (100 rows) and a count cost
    fewer calls; a PO of an unpaired vendor is held on the vendor before its full read."""
    requisitions, po_reads = "GET /api/v2/global/orders/", "GET /api/v2/purchase_orders/{id}/"
    with fusion_procurify_world(tmp_path) as world, instance_for_test() as instance:
        world.instance = instance
        world.run_whole(*MASTER)
        days = last_days(world, 30)
        run_range(world, ("procurify/purchase_orders",), days, instance)
        asset = AssetKey(["procurify", "purchase_orders"])
        staged = [
            po for day in days for po in latest_staged(world.resources["staging"], asset, day, "procurify_PO")
        ]
        vendors = sorted({id_of(po.get("pref_vendor")) for po in staged})
        paired = vendors[::2]
        for vendor in paired:
            world.pair_with_next_supplier(vendor)
        # Read in full: a paired vendor's PO, and a cancelled one (skipped or refused as before).
        read = [
            po
            for po in staged
            if id_of(po.get("pref_vendor")) in paired or whole_number(po.get("state")) == PO_CANCELLED
        ]
        assert 1 < len(read) < len(staged), "every PO's vendor paired, or none"
        with world.resources["procurify"].session() as session:
            whole = 1 + -(-session.count("requisitions") // 100)  # a count and pages of 100
        before = world.procurify_state()["calls"]

        run_range(world, ("fusion_procurify/purchase_orders_mapped",), days, instance)

        calls = world.procurify_state()["calls"]
        listed = whole if whole < len(paired) else len(paired)  # each vendor's list fits a page (100 rows)
        assert calls.get(requisitions, 0) - before.get(requisitions, 0) == listed
        assert calls.get(po_reads, 0) - before.get(po_reads, 0) == len(read)
