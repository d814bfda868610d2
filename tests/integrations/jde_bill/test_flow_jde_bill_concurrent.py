"""Two runs of the same day's BILL writes at once, on one PostgreSQL ledger: each vendor and each bill is
created in BILL once; the run that loses a record skips it (or holds it, never POSTs it).

In production the Dagster pool ``bill_<org>`` (limit 1) keeps two BILL write steps of one instance apart;
two instances on one ledger, a run started by hand beside a scheduled one, or a pool limit not applied
meet here, and BILL (no idempotency keys, no duplicate check) would keep two copies of whatever both
POSTed. Each run is a real Dagster run in a spawned process of its own (its own BILL login and in-flight
cap, ``FlowSpec.write_concurrency`` records at once), started at one moment by a barrier, against the BILL
and JDE simulators (threads of this test process) and the same PostgreSQL schema. BILL answers slowly
(injected latency) so the two runs' searches and creates overlap. The two runs share BILL's 3 requests in
flight, so BILL refuses some requests with BDC_1322 and the client retries them.

PostgreSQL is 127.0.0.1:5432, database ``test`` (``conftest.pg_schema_url``: a schema per test); the test
skips with the reason when it is unreachable, and fails in CI (``CI=true``).
"""

from __future__ import annotations

from collections import Counter

import pytest
from built_parts import built
from flow_proofs import two_runs_write_once
from jde_bill_world import (
    MASTER,
    ORDER_SOURCES,
    SUPPLIER_SOURCES,
    JdeBillWorld,
    bills_held_on_their_vendors,
    jde_bill_world,
    nothing_lost,
    one_copy_each,
    vendor_identity,
)

from connector_assets.flows.replays import Replays, build_replays
from connector_sandbox.jde_ais import JdeSandboxSettings

pytestmark = pytest.mark.timeout(900)  # two races of two spawned runs, mapping and replays: load 15 too
PARTS = built("jde_bill")
VENDORS, BILLS = PARTS.flow("vendors"), PARTS.flow("bills")
VENDORS_FLOW, BILLS_FLOW = VENDORS.spec, BILLS.spec
SOURCES = (*ORDER_SOURCES, *SUPPLIER_SOURCES)
VENDORS_MAPPED, VENDORS_WRITTEN = "jde_bill/vendors_mapped", "jde_bill/vendors_written"
BILLS_MAPPED, BILLS_WRITTEN = "jde_bill/bills_mapped", "jde_bill/bills_written"
POSTS = {"vendors": "POST /connect/v3/vendors", "bills": "POST /connect/v3/bills"}
# The two runs share BILL's 3 requests in flight: BDC_1322 is retried, with room to spare.
PATIENT_BILL = {"backoff_base": 0.05, "backoff_cap": 0.5, "max_attempts": 40}


def _race(world: JdeBillWorld, asset: str, flow: str, keys: set[str], table: str, replays: Replays) -> None:
    """Two runs of ``asset`` create each record once; a run may adopt what the other created and had not
    recorded yet. Every POST BILL answered created one record; a POST BILL refused as the 4th in flight
    (BDC_1322) was retried."""
    two_runs_write_once(
        world,
        asset,
        flow,
        keys,
        lambda: world.bill_state()["calls"].get(POSTS[table], 0),
        adopt=True,
        refused=lambda: world.bill_state()["error_codes"].get("BDC_1322", 0),
        bill=PATIENT_BILL,
        replays=replays,
    )


def test_two_runs_writing_one_day_to_bill_on_one_postgresql_ledger_create_each_record_once(
    tmp_path, pg_schema_url, monkeypatch
):
    with jde_bill_world(tmp_path, jde=JdeSandboxSettings(scale=0.1), db=pg_schema_url) as world:
        # A held record's replay (``two_runs_write_once``) writes through the flows' own handlers.
        resources = lambda: {k: world.resources[k] for k in ("jde", "bill", "staging")}  # noqa: E731
        replays = build_replays([VENDORS, BILLS], resources)
        mapped = world.run(*MASTER, *SOURCES, BILLS_MAPPED)[BILLS_MAPPED]  # every bill held on its vendor
        assert mapped["held"] == mapped["records"] >= 40, mapped
        world.run(VENDORS_MAPPED)
        vendor_keys = world.mapped_keys(VENDORS_MAPPED)
        seeded_vendors, seeded_bills = set(world.in_bill("vendors")), set(world.in_bill("bills"))
        world.bill_faults(latency_ms=80)

        # ---- vendors: both runs write the day's suppliers; a run meeting the other's claim waits for
        # that write (up to 2 s) and skips the record
        monkeypatch.setenv("ML_LEDGER_LEASE_WAIT_SECONDS", "2")
        _race(world, VENDORS_WRITTEN, VENDORS_FLOW.name, vendor_keys, "vendors", replays)
        written = nothing_lost(world, "vendor", VENDORS_FLOW.name, vendor_keys)
        vendors = {i: v for i, v in world.in_bill("vendors").items() if i not in seeded_vendors}
        assert set(written.values()) == set(vendors) and len(vendors) == len(vendor_keys)
        assert Counter(map(vendor_identity, vendors.values())).most_common(1)[0][1] == 1

        # ---- bills: released by their vendors; both runs write the day's bills, and a run meeting the
        # other's claim holds the record at once (no wait): both runs create, the holds are replayed
        monkeypatch.setenv("ML_LEDGER_LEASE_WAIT_SECONDS", "0.001")
        mapped = world.run(BILLS_MAPPED)[BILLS_MAPPED]
        bill_keys = world.mapped_keys(BILLS_MAPPED)
        assert mapped["held"] == 0 and len(bill_keys) == mapped["valid"] >= 40, mapped
        _race(world, BILLS_WRITTEN, BILLS_FLOW.name, bill_keys, "bills", replays)
        written = nothing_lost(world, "bill", BILLS_FLOW.name, bill_keys)
        bills = {i: b for i, b in world.in_bill("bills").items() if i not in seeded_bills}
        assert set(written.values()) == set(bills) and len(bills) == len(bill_keys)
        keys = Counter((b["vendorId"], b["invoice"]["invoiceNumber"]) for b in bills.values())
        assert keys.most_common(1)[0][1] == 1, keys.most_common(3)


@pytest.mark.timeout(900)  # two spawned runs, each pulling the same vendors through a slow BILL: load 15 too
def test_two_runs_pulling_the_same_never_synced_vendors_create_each_vendor_and_bill_once(
    tmp_path, pg_schema_url, monkeypatch
):
    """Both runs' bill write steps find every bill held on a vendor the ledger never synced and pull the
    same vendors at once (``flows.parent_pull``): each vendor is created in BILL once (the other run waits
    on its claim, then skips it), and each bill once; what a run held behind the other is replayed."""
    from racing import race_written

    with jde_bill_world(tmp_path, jde=JdeSandboxSettings(scale=0.1), db=pg_schema_url) as world:
        resources = lambda: {k: world.resources[k] for k in ("jde", "bill", "staging")}  # noqa: E731
        replays = build_replays([VENDORS, BILLS], resources)
        held = bills_held_on_their_vendors(world, *MASTER, *SOURCES, BILLS_MAPPED)
        world.bill_faults(latency_ms=80)
        monkeypatch.setenv("ML_LEDGER_LEASE_WAIT_SECONDS", "2")
        calls = lambda table: world.bill_state()["calls"].get(POSTS[table], 0)  # noqa: E731
        before = {table: calls(table) for table in POSTS}

        outcomes = race_written(world, BILLS_WRITTEN, bill=PATIENT_BILL)
        print(f"pulled: {outcomes}")
        assert sum(run["parents_pulled"] for run in outcomes.values()) >= len(held.vendors)
        refused = world.bill_state()["error_codes"].get("BDC_1322", 0)
        assert len(held.vendors) <= calls("vendors") - before["vendors"] <= len(held.vendors) + refused
        # A bill a run held behind the other's claim is replayed without a POST; each bill is in BILL once.
        left = world.ledger.open_items(integration="jde_bill", flow="bills")
        if left:
            from connector_resources.replay import replay_items

            replay_items(world.ledger, left, replays)
        one_copy_each(world, held)
        assert calls("bills") - before["bills"] <= len(held.bills) + refused
