"""Vendors made in Procurify -> JDE suppliers (``jde_procurify`` flow ``vendors``).

Mappers alone (no I/O): which vendors are sent, the supplier inputs, refusals naming the field, the content
fingerprint. Then real Dagster runs against the JDE and Procurify simulators on free loopback ports, with
the Procurify simulator in its ``vendor_date_modified=frozen`` variant (``dateModified`` never moves after
creation), so every change the flow notices it noticed by content: created once then skipped, the AN8
written back as ``external_id``, a poll with nothing new costing one list call per page, a vendor JDE
cannot take queued with the field named and sent once corrected, a supplier a crashed attempt left in JDE
adopted (and what waited for it released), a failed write-back replayed once, and a kill -9 of the write
step (a child process, killed between JDE's answer and the ledger's record of it) followed by a rerun that
takes the killed run's claims over at once (their 30-minute leases are not waited out: the process holding
them has ended) and leaves one supplier per vendor, each vendor carrying its AN8.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import requests
from asset_runs import metadata_values, named, run_named
from dagster import DagsterEventType, ExecuteInProcessResult, instance_for_test, materialize
from jde_procurify_parts import FLOWS, INSTANCE, INTEGRATION, OWN, PAIRING, VENDORS_FLOW, vendor_assets
from jde_procurify_world import JdeProcurifyWorld, jde_procurify_world
from kill9 import kill_mid_write
from ledger_entries import held_on

from connector_assets.flows.core import Mapped, Rejected, validate
from connector_assets.flows.replays import build_replays
from connector_assets.integrations.jde_procurify import vendor_mappers
from connector_assets.integrations.jde_procurify.vendor_mappers import fingerprint
from connector_assets.integrations.jde_procurify.vendors import EXTERNAL_ID_PENDING
from connector_assets.jde.targets import ADD_UPDATE_SUPPLIER
from connector_resources.replay import replay_items

FLOW_ASSETS = ("jde_procurify/vendors_mapped", "jde_procurify/vendors_written")
# The mappers as the default instance's vendors flow calls them.
map_vendor = partial(vendor_mappers.map_vendor, addresses=OWN.long_addresses())
not_sent = partial(vendor_mappers.not_sent, it=INSTANCE)
VENDOR_LIST = "GET /api/v3/vendors/"
LONG_NAME = "Northwest Industrial Fastener & Rigging Supply Cooperative"  # 58 characters


def _vendor(**changes: Any) -> dict[str, Any]:
    vendor = {
        "id": 812,
        "name": "Granite  Supply Co",
        "active": True,
        "type": 3,
        "external_id": None,
        "addressLineOne": "400 Quarry Rd",
        "addressLineTwo": None,
        "city": "Portland",
        "state_province": "or",
        "postalCode": "97201",
        "country": "us",
        "phoneOne": "5035550100",
        "email": ["ap@granite.example", "orders@granite.example"],
        "dateModified": "2025-03-04T18:22:10.511Z",
        "currency": 3,
        "tax": None,
    }
    return {**vendor, **changes}


# -- mappers -----------------------------------------------------------------------------------------------


def test_a_vendor_made_in_procurify_becomes_supplier_inputs_keyed_by_its_long_address_number():
    record = map_vendor(_vendor(), company="00001")
    assert isinstance(record, Mapped)
    assert record.source_key == "812"
    assert record.body == {
        "Long_Address_Number": "PFY812",  # F0101 ALKY: how a crashed attempt's supplier is found again
        "Company": "00001",
        "Alpha_Name": "Granite Supply Co",
        "Address_Line_1": "400 Quarry Rd",
        "City": "Portland",
        "State": "OR",
        "Postal_Code": "97201",
        "Country": "US",
        "Phone_Number": "5035550100",
        "Email_Address": "ap@granite.example",
    }
    assert validate(VENDORS_FLOW, [record]).rejected == []


def test_a_value_longer_than_its_jde_column_refuses_the_vendor_naming_field_and_column():
    refused = map_vendor(_vendor(name=LONG_NAME, state_province="British Columbia"), company="00001")
    assert isinstance(refused, Rejected) and refused.source_key == "812"
    assert f"Procurify vendor 812 ({LONG_NAME})" in refused.reason
    assert "name is 58 characters" in refused.reason
    assert "supplier name (F0101 ALPH, input Alpha_Name) holds 40" in refused.reason
    assert "state_province is 16 characters" in refused.reason and "(F0116 ADDS" in refused.reason
    assert "does not cut values" in refused.reason and "correct the vendor in Procurify" in refused.reason
    empty = map_vendor(_vendor(name="  "), company="00001")
    assert isinstance(empty, Rejected) and "name is empty" in empty.reason


def test_only_active_purchasable_vendors_without_erp_key_or_pair_are_sent():
    assert not_sent(_vendor(), None) is None
    assert not_sent(_vendor(type=4), None) is None
    assert "ERP key" in (not_sent(_vendor(external_id="4343"), None) or "")
    assert "not a purchasable vendor" in (not_sent(_vendor(type=5), None) or "")  # employee
    assert "not a purchasable vendor" in (not_sent(_vendor(type=1), None) or "")  # the OTHER bucket
    assert "inactive" in (not_sent(_vendor(active=False), None) or "")
    assert "already the vendor of JDE supplier 4343" in (not_sent(_vendor(), "4343") or "")
    # This flow's own pair whose AN8 is not on the vendor yet is sent (to write it), even if deactivated.
    assert not_sent(_vendor(active=False), "4343", ours=True) is None


def test_vendors_below_the_go_live_floor_are_not_sent(monkeypatch: pytest.MonkeyPatch):
    vendor_id = int(_vendor()["id"])
    monkeypatch.setenv("ML_JDE_PROCURIFY_VENDOR_FIRST_ID", str(vendor_id + 1))
    assert "existed before go-live" in (not_sent(_vendor(), None) or "")
    monkeypatch.setenv("ML_JDE_PROCURIFY_VENDOR_FIRST_ID", str(vendor_id))
    assert not_sent(_vendor(), None) is None
    monkeypatch.setenv("ML_JDE_PROCURIFY_VENDOR_FIRST_ID", "twelve")
    with pytest.raises(
        ValueError, match="ML_JDE_PROCURIFY_VENDOR_FIRST_ID=.twelve.: expected a Procurify vendor id"
    ):
        not_sent(_vendor(), None)


def test_the_fingerprint_follows_what_is_sent_and_decided_not_date_modified():
    base = fingerprint(_vendor())
    assert fingerprint(_vendor(dateModified="2030-01-01T00:00:00Z", currency=9)) == base
    assert fingerprint(_vendor(name="Granite Supply Company")) != base
    assert fingerprint(_vendor(external_id="4343")) != base
    assert fingerprint(_vendor(active=False)) != base
    assert fingerprint(_vendor(email=["billing@granite.example"])) != base


def calls_per_poll(vendors: int, page_size: int) -> int:
    """List calls of a whole vendor read: what a poll with nothing to send costs (the token is cached)."""
    return max(1, math.ceil(vendors / page_size))


def test_calls_per_poll_is_one_list_call_per_page():
    assert [calls_per_poll(n, 100) for n in (0, 71, 100, 101, 1500)] == [1, 1, 1, 2, 15]


# -- against the simulators ----------------------------------------------------------------------------------


@pytest.fixture
def world(tmp_path: Path) -> Iterator[JdeProcurifyWorld]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with jde_procurify_world(tmp_path) as world:
            world.procurify_variants(vendor_date_modified="frozen")
            yield world


def _run(world: JdeProcurifyWorld) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """One poll of the flow (its own assets only): the run's metadata by asset, and the poll's figures."""
    result: ExecuteInProcessResult = run_named(world.resources, FLOW_ASSETS, vendor_assets, world.day)
    [poll] = _polls(result)
    return metadata_values(result), poll


def _polls(result: ExecuteInProcessResult) -> list[dict[str, Any]]:
    """The figures of each poll the run's mapped step observed."""
    return [
        {k: getattr(v, "value", v) for k, v in e.event_specific_data.asset_observation.metadata.items()}
        for e in result.all_events
        if e.event_type == DagsterEventType.ASSET_OBSERVATION
        and e.asset_key is not None
        and e.asset_key.to_user_string() == "jde_procurify/vendors_mapped"
    ]


def _new_vendor(world: JdeProcurifyWorld, name: str, **fields: Any) -> dict[str, Any]:
    body = {"name": name, "email": ["ap@new-vendor.example"], "type": 3, "city": "Portland", **fields}
    with world.resources["procurify"].session() as session:
        return session.create_vendor(body)


def _vendor_now(world: JdeProcurifyWorld, vendor_id: int) -> dict[str, Any]:
    record = world.procurify_record("vendors", vendor_id)
    assert record is not None
    return record["api"]


def _suppliers_from_procurify(world: JdeProcurifyWorld) -> dict[str, list[int]]:
    """F0101 rows whose long address number says they were made from a Procurify vendor, by ALKY."""
    found: dict[str, list[int]] = {}
    for row in world.jde_rows("F0101"):
        alky = str(row.get("ALKY") or "").strip()
        if alky.startswith("PFY"):
            found.setdefault(alky, []).append(int(row["AN8"]))
    return found


def _calls(world: JdeProcurifyWorld) -> dict[str, int]:
    return {k: v for k, v in world.procurify_state()["calls"].items() if v}


def test_created_once_then_skipped_with_the_an8_written_back_and_no_change_polls_one_call_a_page(world):
    vendor = _new_vendor(world, "Cascade Pallet Works", state_province="OR", country="US")
    stamp = vendor["dateModified"]

    metadata, poll = _run(world)
    xrefs = world.xrefs("vendor")
    an8 = xrefs[str(vendor["id"])]
    assert an8 and an8.isdigit()
    created = metadata["jde_procurify/vendors_written"]["create"]
    assert created == poll["to_send"] == len(xrefs) >= 2  # the seeded vendors without an ERP key too
    # JDE holds one supplier per vendor, named and keyed as sent, in the configured company.
    made = _suppliers_from_procurify(world)
    assert made == {f"PFY{key}": [int(target)] for key, target in xrefs.items()}
    [book] = world.jde_rows("F0101", AN8=int(an8))
    assert book["ALPH"].strip() == "Cascade Pallet Works" and book["AT1"].strip() == "V"
    [supplier] = world.jde_rows("F0401", AN8=int(an8))
    assert str(supplier["KCOP"]).strip() == "00001"
    # The AN8 is the vendor's ERP key now, and the pair is one pair for every flow.
    after = _vendor_now(world, vendor["id"])
    assert after["external_id"] == an8
    assert after["dateModified"] == stamp  # frozen: the write-back did not move it
    assert PAIRING.paired_supplier(world.ledger, vendor["id"]) == an8
    assert PAIRING.paired_vendor(world.ledger, an8) == str(vendor["id"])
    assert all(x.content_hash != EXTERNAL_ID_PENDING for x in _vendor_xrefs(world))

    # The next poll sees the written-back external_ids (content changed, dateModified not) and sends nothing.
    metadata, poll = _run(world)
    assert poll["changed"] == created and poll["to_send"] == 0
    assert metadata["jde_procurify/vendors_written"]["records"] == 0

    # A poll with nothing new: one list call per page of vendors, no write anywhere.
    requests_before = _calls(world)
    jde_before = len(world.jde_rows("F0101"))
    metadata, poll = _run(world)
    assert poll["changed"] == 0 and poll["to_send"] == 0
    assert poll["api_calls"] == poll["pages"] == calls_per_poll(poll["vendors_read"], 100) == 1
    spent = {k: v - requests_before.get(k, 0) for k, v in _calls(world).items()}
    assert {k: v for k, v in spent.items() if v} == {"GET /api/v3/vendors/": 1}
    assert len(world.jde_rows("F0101")) == jde_before
    assert world.audit_counts("vendors") == {"create": created}


def _vendor_xrefs(world: JdeProcurifyWorld) -> list[Any]:
    return [
        x
        for key in world.xrefs("vendor")
        if (x := world.ledger.get_xref(INTEGRATION, "vendor", "procurify", key, "JDE")) is not None
    ]


def test_a_vendor_jde_cannot_take_is_queued_once_and_sent_when_corrected_though_date_modified_stays(world):
    _run(world)  # the seeded vendors without an ERP key, out of the way
    vendor = _new_vendor(world, LONG_NAME)
    key, stamp = str(vendor["id"]), vendor["dateModified"]

    _, poll = _run(world)
    assert poll["to_send"] == 1
    reason = world.queue("vendors")[key]
    assert "name is 58 characters" in reason and "(F0101 ALPH, input Alpha_Name) holds 40" in reason
    assert key not in world.xrefs("vendor") and f"PFY{key}" not in _suppliers_from_procurify(world)

    # Unchanged: not queued again on every poll (one attempt), it waits for a correction or a replay.
    _, poll = _run(world)
    assert poll["to_send"] == 0 and poll["unchanged_in_queue"] == 1
    [item] = [
        i for i in world.ledger.open_items(integration=INTEGRATION, flow="vendors") if i.source_key == key
    ]
    assert item.attempts == 1

    # The buyer shortens the name; the server leaves dateModified where it was; the poll sees the content.
    with world.resources["procurify"].session() as session:
        session.update_vendor(vendor["id"], {"name": "NW Fastener & Rigging Co-op"})
    assert _vendor_now(world, vendor["id"])["dateModified"] == stamp
    metadata, poll = _run(world)
    assert poll["changed"] == 1 and poll["to_send"] == 1
    assert metadata["jde_procurify/vendors_written"]["create"] == 1
    an8 = world.xrefs("vendor")[key]
    assert _suppliers_from_procurify(world)[f"PFY{key}"] == [int(an8)]
    assert _vendor_now(world, vendor["id"])["external_id"] == an8
    assert key not in world.queue("vendors")  # resolved by the write


def test_a_supplier_a_crashed_attempt_left_in_jde_is_adopted_and_what_waited_for_it_released(world):
    _run(world)
    vendor = _new_vendor(world, "Willamette Shoring Rentals")
    key = str(vendor["id"])
    # What a run killed after JDE answered leaves: the claim in the ledger, the supplier in JDE, nothing else.
    record = map_vendor(_vendor_now(world, vendor["id"]), company="00001")
    assert isinstance(record, Mapped)
    world.ledger.claim_xref(INTEGRATION, "vendor", "procurify", key, "JDE")
    with world.resources["jde"].session() as session:
        an8 = str(session.orchestrate(ADD_UPDATE_SUPPLIER, record.body).outputs["Address_Number"])
    # A bill of this vendor's supplier waits for it (held on the supplier's dependency key).
    supplier, waits = PAIRING.supplier_dependency(an8), f"waits for JDE supplier {an8}"
    held_on(world.ledger, (INTEGRATION, "bills", "bill"), "bill-held-on-supplier", supplier, waits)

    metadata, _ = _run(world)
    written = metadata["jde_procurify/vendors_written"]
    assert (written["adopt"], written["create"]) == (1, 0)
    assert world.xrefs("vendor")[key] == an8
    assert _suppliers_from_procurify(world)[f"PFY{key}"] == [int(an8)]  # not added twice
    assert _vendor_now(world, vendor["id"])["external_id"] == an8
    [bill] = [i for i in world.ledger.open_items(integration=INTEGRATION, flow="bills")]
    assert bill.status == "failed" and bill.reason.startswith(f"released: JDE supplier {an8} was made from")


def test_a_failed_external_id_write_back_keeps_the_pair_and_a_replay_writes_it_once(world):
    _run(world)
    vendor = _new_vendor(world, "Tualatin Survey Stakes")
    key = str(vendor["id"])
    path = f"/api/v3/vendors/{vendor['id']}/"
    world.procurify_faults(fail_next=50, fail_next_status=500, fail_next_path_prefix=path)

    metadata, _ = _run(world)
    assert metadata["jde_procurify/vendors_written"]["fail"] == 1
    an8 = world.xrefs("vendor")[key]
    assert an8  # JDE answered: the pair is in the ledger at once, for every other flow
    assert PAIRING.paired_vendor(world.ledger, an8) == key
    reason = world.queue("vendors")[key]
    assert f"JDE supplier {an8} was made from Procurify vendor {key} (the pair is in the ledger)" in reason
    assert f"writing {an8} as the vendor's external_id failed" in reason and "(HTTP 500)" in reason
    assert not _vendor_now(world, vendor["id"])["external_id"]

    # Polls leave the queued, unchanged vendor to the replay: no second supplier meanwhile.
    world.procurify_faults(fail_next=0)
    _, poll = _run(world)
    assert poll["to_send"] == 0 and poll["unchanged_in_queue"] == 1
    resources = lambda: {k: world.resources[k] for k in ("jde", "procurify", "staging")}  # noqa: E731
    [item] = [
        i for i in world.ledger.open_items(integration=INTEGRATION, flow="vendors") if i.source_key == key
    ]
    assert replay_items(world.ledger, [item], build_replays([FLOWS["vendors"]], resources)).replayed == [
        item.id
    ]
    assert _vendor_now(world, vendor["id"])["external_id"] == an8
    assert _suppliers_from_procurify(world)[f"PFY{key}"] == [int(an8)]
    assert key not in world.queue("vendors")


def test_the_frozen_variant_keeps_date_modified_on_api_writes(world):
    vendor = _new_vendor(world, "Frozen Stamp Supply")
    with world.resources["procurify"].session() as session:
        session.update_vendor(vendor["id"], {"phoneOne": "5035550199"})
    after = _vendor_now(world, vendor["id"])
    assert after["phoneOne"] == "5035550199" and after["dateModified"] == vendor["dateModified"]
    # People's edits in Procurify (the simulator's activity) leave it too.
    answer = world.activity(updated_vendors=1)
    [edited] = answer["vendors"]["updated"]
    assert _vendor_now(world, edited)["dateModified"] != answer["now"]
    world.procurify_variants(vendor_date_modified="on_write")
    with world.resources["procurify"].session() as session:
        session.update_vendor(vendor["id"], {"phoneOne": "5035550198"})
    assert _vendor_now(world, vendor["id"])["dateModified"] != vendor["dateModified"]


# -- kill -9 of the write step -------------------------------------------------------------------------------


def _orchestrations(world: JdeProcurifyWorld) -> int:
    return world.orchestration_calls(ADD_UPDATE_SUPPLIER)


def test_kill_9_mid_write_then_a_rerun_leaves_one_supplier_per_vendor_each_with_its_an8(world):
    run_named(world.resources, ("jde_procurify/vendors_mapped",), vendor_assets, world.day)
    to_send = set(world.mapped_keys("jde_procurify/vendors_mapped"))
    assert len(to_send) >= 4 and not _suppliers_from_procurify(world)
    calls_before = _orchestrations(world)
    requests.post(f"{world.jde_root}/sandbox/faults", json={"latency_ms": 150}, timeout=10).raise_for_status()
    two_in_jde = lambda: len(_suppliers_from_procurify(world)) >= 2  # noqa: E731
    kill_mid_write(world, "jde_procurify/vendors_written", two_in_jde, never="JDE got no supplier")
    in_jde = {alky.removeprefix("PFY") for alky in _suppliers_from_procurify(world)}
    xrefs = world.xrefs("vendor")
    orphans = in_jde - {key for key, target in xrefs.items() if target}
    assert 2 <= len(in_jde) < len(to_send) and len(orphans) == 1, (in_jde, xrefs)
    assert orphans <= {key for key, target in xrefs.items() if target is None}  # claimed, never recorded
    requests.post(f"{world.jde_root}/sandbox/faults/reset", timeout=10).raise_for_status()

    rerun = metadata_values(
        run_named(world.resources, ("jde_procurify/vendors_written",), vendor_assets, world.day)
    )
    written = rerun["jde_procurify/vendors_written"]
    assert written["adopt"] == 1 and written["fail"] == written["leased"] == 0, written
    assert written["create"] == len(to_send) - len(in_jde), written
    # A pair recorded at once whose final hash was still in the write step's batch (``flows.deferred``)
    # when the kill came is sent again as an update (the same values: a no-op in JDE), never created again.
    assert written["skip"] + written["update"] == len(in_jde) - len(orphans), written
    made = _suppliers_from_procurify(world)
    xrefs = world.xrefs("vendor")
    assert made == {f"PFY{key}": [int(xrefs[key])] for key in to_send}  # one supplier each, all paired
    # + the adopted one's update, and those updates
    assert _orchestrations(world) - calls_before == len(to_send) + 1 + written["update"]
    for key in to_send:
        assert _vendor_now(world, int(key))["external_id"] == xrefs[key]
    assert not world.queue("vendors")


def test_a_backfill_range_polls_once_on_its_first_day_and_sends_each_vendor_once(world):
    """A poll reads every purchasable vendor whatever its day: in a range, each later day read them all again
    and mapped every vendor once more for the write step to skip."""
    vendor = _new_vendor(world, "Range Pallet Works", state_province="OR", country="US")
    first = (date.fromisoformat(world.day) - timedelta(days=2)).isoformat()
    tags = {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": world.day}
    before = _calls(world).get(VENDOR_LIST, 0)
    with instance_for_test() as instance:
        result = materialize(
            named(FLOW_ASSETS, vendor_assets),
            resources=world.resources,
            instance=instance,
            tags=tags,
            raise_on_error=False,
        )
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    [poll] = _polls(result)
    assert _calls(world)[VENDOR_LIST] - before == poll["api_calls"] >= 1
    assert world.audit_counts("vendors") == {"create": poll["to_send"]}  # each vendor sent once
    assert world.xrefs("vendor")[str(vendor["id"])]
