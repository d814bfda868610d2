"""kill -9 of the BILL write steps (JDE suppliers -> vendors, JDE orders and vouchers -> bills) while
several records are in flight, then a rerun: exactly one copy of each record in BILL, nothing lost.

BILL has no idempotency keys and no duplicate check (reference §2.5): a second POST is a second vendor or
bill. What stands between a rerun and a copy is the ledger's claim on each record and the search before a
create (vendor: tax ID then name; bill: vendor + invoice number). The write step writes
``FlowSpec.write_concurrency`` records at once, so a kill leaves several records half-written at once:
claimed and not sent, sent and not answered, or created in BILL and not yet recorded in the ledger (the
window that doubles a record if the rerun does not search first).

The write step runs in a child process (a real Dagster run) against the simulators, which are threads of
this test process reached over loopback. BILL answers slowly (injected latency) so requests overlap, and
the child records each BILL id in the ledger ``T_SLOW_RECORD`` seconds after BILL answered (a slow
ledger): that widens the crash window, so the kill lands inside it for some records. Nothing else in the
child differs from a scheduled run. The rerun is a new in-process run; it takes the killed run's leases
over at once (their holder's process has ended), then adopts what BILL holds and creates the rest.

The payments flow (BILL -> JDE, one record at a time) gets the same treatment: killed after JDE recorded
payments and before the ledger did, its rerun finds each in JDE (F0414, by its reference) before sending it
again and adopts it with JDE's payment number, on a JDE that answers a duplicate reference with a code of
its own (4014, not the contract's 59AB).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from built_parts import built
from jde_bill_world import (
    MASTER,
    ORDER_SOURCES,
    SUPPLIER_SOURCES,
    BillClerk,
    JdeBillWorld,
    bills_held_on_their_vendors,
    jde_bill_world,
    nothing_lost,
    one_copy_each,
    vendor_identity,
)
from kill9 import kill_mid_write

from connector_sandbox.bill import BillSandboxSettings
from connector_sandbox.jde_ais import JdeSandboxSettings

VENDORS_FLOW, BILLS_FLOW, PAYMENTS_FLOW = built("jde_bill").specs
SOURCES = (*ORDER_SOURCES, *SUPPLIER_SOURCES)
VENDORS_MAPPED = VENDORS_FLOW.key("mapped").to_user_string()
VENDORS_WRITTEN = VENDORS_FLOW.key("written").to_user_string()
BILLS_MAPPED = BILLS_FLOW.key("mapped").to_user_string()
BILLS_WRITTEN = BILLS_FLOW.key("written").to_user_string()


class World(JdeBillWorld):
    """The shared world, with a write step run in a child process and killed -9 mid-write."""

    def kill_mid_write(self, asset: str, ready: Callable[[], bool], *, partition: str | None = None) -> None:
        """Run ``asset`` (of ``partition``, else the JDE day) in a child process and kill -9 it as soon as
        ``ready()``; then wait until BILL has ended the requests the kill cut off (created, or dropped as
        the client is gone), so what is counted next is what BILL holds for good."""
        deadline = kill_mid_write(
            self, asset, ready, never="the target never received the writes", partition=partition, settle=0
        )
        while sum(self.bill_state()["limits"]["in_flight"].values()):
            assert time.monotonic() < deadline
            time.sleep(0.02)

    def bill_writes_under_way(self, table: str, at_least: int) -> tuple[Callable[[], bool], list[int]]:
        """``ready`` for ``kill_mid_write``: BILL holds ``at_least`` more rows of ``table`` than now and 2
        or more requests are in flight; the in-flight count it last saw is kept in the list."""
        before = self.bill_state()["row_counts"][table]
        seen = [0]

        def ready() -> bool:
            state = self.bill_state()
            seen[0] = sum(state["limits"]["in_flight"].values())
            return state["row_counts"][table] - before >= at_least and seen[0] >= 2

        return ready, seen


def _after_kill(world: World, entity: str, ours: set[str]) -> tuple[int, int]:
    """(records the killed run was writing: claimed, no BILL id; of those, records BILL created)."""
    xrefs = world.xrefs(entity)
    half_written = [key for key, target in xrefs.items() if target is None]
    orphans = ours - {target for target in xrefs.values() if target}
    return len(half_written), len(orphans)


def _killed_then_rerun(world: World, entity: str, written: str, seeded: set[str], keys: set[str]) -> dict:
    """kill -9 of the ``written`` step with several ``entity`` writes in flight (BILL answering slowly),
    then the rerun: several were at once, some inside the crash window, and the rerun adopted every
    record BILL created and nobody recorded. The rerun's counts."""
    table = f"{entity}s"
    world.bill_faults(latency_ms=150)
    ready, in_flight = world.bill_writes_under_way(table, 4)
    world.kill_mid_write(written, ready)
    ours = set(world.in_bill(table)) - seeded
    half_written, orphans = _after_kill(world, entity, ours)
    print(
        f"{table}: {len(ours)} in BILL at the kill, {in_flight[0]} requests in flight, "
        f"{half_written} claimed not recorded, {orphans} created not recorded"
    )
    assert 0 < len(ours) < len(keys)
    assert half_written >= 2 and orphans >= 1  # several at once; some inside the crash window

    world.bill_faults(latency_ms=0)
    rerun = world.run(written)[written]
    assert rerun["adopt"] == orphans and rerun["leased"] == 0 and rerun["fail"] == 0, rerun
    return rerun


def test_kill_9_mid_write_of_vendors_then_bills_then_rerun_leaves_one_copy_of_each(tmp_path):
    with jde_bill_world(tmp_path, World, jde=JdeSandboxSettings(scale=0.1)) as world:
        # Bills first: every one is held for its supplier, so the vendors flow's day holds all of them.
        mapped = world.run(*MASTER, *SOURCES, BILLS_MAPPED)[BILLS_MAPPED]
        assert mapped["held"] == mapped["records"] >= 40, mapped
        world.run(VENDORS_MAPPED)
        vendor_keys = world.mapped_keys(VENDORS_MAPPED)
        assert len(vendor_keys) >= 40, len(vendor_keys)
        seeded_vendors = set(world.in_bill("vendors"))
        seeded_bills = set(world.in_bill("bills"))

        # ---- vendors: kill -9 with several in flight, rerun
        rerun = _killed_then_rerun(world, "vendor", VENDORS_WRITTEN, seeded_vendors, vendor_keys)
        assert rerun["create"] + rerun["adopt"] + rerun["skip"] == len(vendor_keys), rerun
        written = nothing_lost(world, "vendor", VENDORS_FLOW.name, vendor_keys)
        vendors = {i: v for i, v in world.in_bill("vendors").items() if i not in seeded_vendors}
        assert set(written.values()) == set(vendors)  # each supplier is one vendor, each vendor one supplier
        assert len(vendors) == len(written) == len(vendor_keys)
        # JDE may hold two suppliers of one name (different tax IDs): a vendor is its name and tax ID.
        names = Counter(vendor_identity(v) for v in vendors.values())
        assert names.most_common(1)[0][1] == 1, names.most_common(3)

        # ---- bills: released by their vendors, kill -9 with several in flight, rerun
        mapped = world.run(BILLS_MAPPED)[BILLS_MAPPED]
        bill_keys = world.mapped_keys(BILLS_MAPPED)
        assert mapped["held"] == 0 and len(bill_keys) == mapped["valid"] >= 40, mapped
        posts_before = world.bill_state()["calls"].get("POST /connect/v3/bills", 0)
        rerun = _killed_then_rerun(world, "bill", BILLS_WRITTEN, seeded_bills, bill_keys)
        assert rerun["create"] + rerun["adopt"] + rerun["skip"] == len(bill_keys), rerun
        written = nothing_lost(world, "bill", BILLS_FLOW.name, bill_keys)
        bills = {i: b for i, b in world.in_bill("bills").items() if i not in seeded_bills}
        assert set(written.values()) == set(bills)
        keys = Counter((b["vendorId"], b["invoice"]["invoiceNumber"]) for b in bills.values())
        assert keys.most_common(1)[0][1] == 1, keys.most_common(3)
        # BILL created one bill per POST that reached it; the POSTs the kill cut off created nothing.
        posts = world.bill_state()["calls"]["POST /connect/v3/bills"] - posts_before
        print(f"bills: {posts} POSTs for {len(bills)} bills")
        assert posts >= len(bills)


def test_kill_9_while_the_bills_step_pulls_never_synced_vendors_then_rerun_leaves_one_copy_of_each(tmp_path):
    """The bills' write step pulls the vendors its held bills wait for (``flows.parent_pull``) and is killed
    -9 with several vendor creates in flight; the rerun pulls them again, adopts what BILL created and
    nobody recorded, creates the rest, then writes every bill: one copy of each vendor and each bill."""
    with jde_bill_world(tmp_path, World, jde=JdeSandboxSettings(scale=0.1)) as world:
        held = bills_held_on_their_vendors(world, *MASTER, *SOURCES, BILLS_MAPPED)
        world.bill_faults(latency_ms=150)
        ready, in_flight = world.bill_writes_under_way("vendors", 4)
        world.kill_mid_write(BILLS_WRITTEN, ready)
        ours = set(world.in_bill("vendors")) - held.seeded_vendors
        half_written, orphans = _after_kill(world, "vendor", ours)
        print(f"pulled vendors: {len(ours)} in BILL at the kill, {half_written} claimed not recorded, "
              f"{orphans} created not recorded, {in_flight[0]} in flight")  # fmt: skip
        assert 0 < len(ours) < len(held.vendors) and half_written >= 1

        world.bill_faults(latency_ms=0)
        rerun = world.run(BILLS_WRITTEN)[BILLS_WRITTEN]
        assert rerun["fail"] == rerun["leased"] == 0 and rerun["parents_missing"] == 0, rerun
        one_copy_each(world, held)


def test_kill_9_mid_write_of_bill_payments_to_jde_then_rerun_records_each_payment_once(tmp_path):
    """BILL payments -> JDE (``ML_RecordPayment`` on the voucher a bill came from), one record at a time:
    killed after JDE recorded payments and before the ledger did (the write step's batch not yet recorded,
    ``flows.deferred``); the rerun reads each in JDE's F0414 by its reference and adopts it with JDE's
    payment number, though this JDE numbers its duplicate-reference refusal 4014, not 59AB. Each payment
    is in JDE once, each voucher's open amount reduced once, none queued."""

    def open_amount(voucher: dict) -> int:
        [row] = world.jde_rows("F0411", KCO=voucher["KCO"], DOC=voucher["DOC"], DCT="PV", SFX="001")
        return row["AAP"]

    anchor = date.today() - timedelta(days=400)  # BILL's seeded history ends long before today
    bill = BillSandboxSettings(scale=0.05, anchor_date=anchor)
    with jde_bill_world(tmp_path, World, bill=bill) as world:
        world.jde_faults(error_codes={"59AB": "4014"})  # a duplicate reference answered 4014, not 59AB
        vouchers = world.open_vouchers()[:8]
        assert len(vouchers) == 8
        clerk = BillClerk(world.bill_url)
        paid: dict[str, dict] = {}  # BILL payment id -> the voucher its bill came from
        ours: set[str] = set()  # the payments flow's source keys: "<payment id>:<bill id>"
        for number, voucher in enumerate(vouchers):
            bill_id, payment_id = clerk.paid_bill(f"VB-K{number}", "100.25")
            world.from_jde(f"PV:{voucher['KCO']}:{voucher['DOC']}:PV", bill_id)
            paid[payment_id] = voucher
            ours.add(f"{payment_id}:{bill_id}")
        before = {payment_id: open_amount(voucher) for payment_id, voucher in paid.items()}
        clerk.clear_payments()
        day = datetime.now(UTC).date().isoformat()
        world.run(
            "jde/gl_accounts", "bill/payments", PAYMENTS_FLOW.key("mapped").to_user_string(), partition=day
        )
        mapped = world.mapped_keys(PAYMENTS_FLOW.key("mapped").to_user_string(), day)
        assert ours <= mapped, (ours, mapped)

        world.jde_faults(latency_ms=150)
        world.kill_mid_write(
            PAYMENTS_FLOW.key("written").to_user_string(),
            lambda: len(world.jde_payments(*paid)) >= 2,
            partition=day,
        )
        time.sleep(0.5)  # a request the kill cut off ends at JDE (dropped as its client is gone)
        recorded = {p["reference"] for p in world.jde_payments(*paid)}
        xrefs = world.xrefs("payment", "JDE")
        unrecorded = {
            ref for ref in recorded if not any(k.startswith(f"{ref}:") and t for k, t in xrefs.items())
        }
        print(f"payments: {len(recorded)} of {len(paid)} in JDE at the kill, {len(unrecorded)} unrecorded")
        assert 0 < len(recorded) < len(paid) and unrecorded  # killed inside the crash window

        world.jde_faults(latency_ms=0)
        rerun = world.run(PAYMENTS_FLOW.key("written").to_user_string(), partition=day)[
            PAYMENTS_FLOW.key("written").to_user_string()
        ]
        assert rerun["adopt"] == len(unrecorded) and rerun["leased"] == 0 and rerun["fail"] == 0, rerun
        assert not ours & set(world.queue(PAYMENTS_FLOW.name)), world.queue(PAYMENTS_FLOW.name)
        written = nothing_lost(world, "payment", PAYMENTS_FLOW.name, mapped, target="JDE")
        numbers = {p["reference"]: p["payment_number"] for p in world.jde_payments(*paid)}
        targets = world.xrefs("payment", "JDE")
        for key in ours:  # the ledger keeps JDE's payment number of each, adopted or created
            assert targets[key].endswith(f"/{numbers[key.split(':')[0]]}"), (key, targets[key])
        assert ours <= set(written)
        references = Counter(p["reference"] for p in world.jde_payments(*paid))
        assert references == Counter({payment_id: 1 for payment_id in paid}), references
        for payment_id, voucher in paid.items():
            assert open_amount(voucher) == before[payment_id] - 10025
