"""Payments never wait forever: a record held on a parent that will never be written is
refused (failed, payload kept, a reason naming the parent and why, a ``fail`` audit event) instead of
staying held, and ``replay --dry-run`` lists such holds; one held on a parent another process took (a bill
exported elsewhere) went there with it, and is skipped for good instead, never queued.

One test per cause the ledger knows (``connector_resources.held_parents``): the parent exported by another
process (the real bills flow's skip, Procurify -> JDE, and the real Coupa invoices mapping), refused for
good by its target (on SQLite and PostgreSQL), abandoned by a person (how a parent deleted
at the source ends), a chain of them; parents that can still come keep their children held. The held
payments are the real payment mappers' records, queued as the flows' mapped steps queue them; the replays
go through the real replay handler. The last test runs both Procurify -> JDE flows end to end on the
simulators (``jde_procurify_world``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from built_parts import built
from click.testing import CliRunner
from given_replays import replays_of
from jde_procurify_parts import BILLS_FLOW, OWN, PAYMENTS_FLOW, bill_dependency, bills_taken_elsewhere
from ledger_entries import held_on, queued

from connector_assets.components import CoupaJde
from connector_assets.flows.core import (
    Mapped,
    Rejected,
    Skipped,
    hold_until_synced,
    queue_failure,
)
from connector_assets.flows.documents import Version
from connector_assets.flows.never_written import never_written_settled
from connector_assets.flows.replays import replay_handler
from connector_assets.flows.writer import REFUSED_FOR_GOOD as WRITER_MARK
from connector_assets.integrations.coupa_jde import invoices as coupa_invoices
from connector_assets.integrations.coupa_jde import payments as coupa_payments
from connector_assets.integrations.coupa_jde.own import Own
from connector_assets.integrations.jde_procurify import bills
from connector_assets.integrations.jde_procurify.payment_mappers import (
    JournalAccounts,
    PostingRules,
    map_payment,
)
from connector_cli.main import cli
from connector_resources.held_parents import held_on_gone, parents_first
from connector_resources.ledger import Ledger, QueueItem
from connector_resources.parent_verdicts import PARENT_GONE, REFUSED_FOR_GOOD
from connector_resources.replay import release_synced
from connector_resources.replay import replay_items as replay
from connector_resources.replay_report import queue_report

INTEGRATION = "jde_procurify"
PAYMENT = "c1264f4e207a4faf9c6345fe9bd98e10"
BILL = "1bd9644a-df71-434e-bcad-b56363ab2211"
OTHER_BILL = "7f1c2b0e-4d7a-4a77-9c1e-2f0a5b6c9d11"
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
DAY = "2026-11-23"
VOUCHERS = PostingRules("voucher", "MLPRCFY", "00001", JournalAccounts(None, None))
BILL_KEY = bill_dependency(BILL)
APPROVED = bills.PostingRules("voucher", "MLPRCFY", frozenset({2}), None, None)


@pytest.fixture
def ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Ledger:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", url)  # what the CLI reads
    return Ledger(url)


@contextmanager
def no_target() -> Iterator[Any]:
    raise AssertionError("a payment whose bill is not in JDE was sent to JDE")
    yield


# What the replays here are handed: the payments flow's replay handler on the queued payload (its real
# ``replay_handler``), on a target that is never opened, since a payment whose bill is not in JDE must never
# reach it; no sweep check of a flow (the ledger's own rules decide).
REPLAYS = replays_of({(INTEGRATION, "payments"): replay_handler(PAYMENTS_FLOW, no_target)})


def a_bill(uuid: str = BILL, **changes: Any) -> dict[str, Any]:
    bill = {
        "uuid": uuid,
        "status": 2,
        "invoice_number": f"INV-{uuid[:4]}",
        "total_cost_with_tax": 500.8,
        "group": 512,
        "payment_uuid": PAYMENT,
        "vendor": {"id": 41, "name": "Granite Supply Co"},
    }
    bill.update(changes)
    return bill


def a_payment(uuid: str = PAYMENT) -> dict[str, Any]:
    """A paid Procurify payment (id 88) of the bill group of ``a_bill``."""
    return {
        "id": 88,
        "uuid": uuid,
        "amount": "500.80",
        "status": "paid",
        "processing_date": "2026-11-22",
        "posted_date": "2026-11-23",
        "bill_groups": [512],
    }


def held_payment(ledger: Ledger, bill: str = BILL, payment: str = PAYMENT) -> QueueItem:
    """A paid Procurify payment of ``bill``, mapped before the bill is in JDE and held on it as the payments
    flow's mapped step holds it."""
    [record] = map_payment(a_payment(payment), NOW, [a_bill(bill)], {bill: None}, VOUCHERS, bill_dependency)
    assert isinstance(record, Mapped) and record.depends_on == bill_dependency(bill)
    hold_until_synced(PAYMENTS_FLOW, ledger, record, run_id="run-payments", partition=DAY)
    [item] = ledger.queue_for(record.source_key)
    return item


def left_held(ledger: Ledger, bill: str = BILL, payment: str = PAYMENT) -> QueueItem:
    """The payment of ``bill`` held on it as a run left it before its bill was taken elsewhere (a ledger
    written by an earlier version, or a hold that came first): put in the queue directly, since the mapped
    step no longer holds a record whose parent another process took (``held_parents.settled_before_hold``)."""
    [record] = map_payment(a_payment(payment), NOW, [a_bill(bill)], {bill: None}, VOUCHERS, bill_dependency)
    assert isinstance(record, Mapped)
    reason = f"payment {record.source_key} waits for {record.depends_on} to sync"
    where = (INTEGRATION, "payments", "payment")
    return held_on(ledger, where, record.source_key, record.depends_on, reason, payload=record.to_payload())


def _hold(ledger: Ledger, flow: str, entity: str, key: str, payload: dict, depends_on: str) -> QueueItem:
    reason = f"{entity} {key} waits for {depends_on} to sync"
    where = (INTEGRATION, flow, entity)
    return held_on(ledger, where, key, depends_on, reason, payload=payload, run_id="run-mapped")


def refused_bill(ledger: Ledger, bill: str = BILL) -> None:
    """The bill's write JDE refused for good, queued as the write step queues it (``writer._queue``)."""
    reason = f"bill {bill}: ML_CreateVoucherBatch refused it: supplier 4343 is on payment hold (0Y2)"
    payload = {"source_key": bill, "body": {"Supplier": "4343"}, REFUSED_FOR_GOOD: True}
    queue_failure(BILLS_FLOW, ledger, Rejected(bill, reason, payload), run_id="run-bills", partition=DAY)


def item_of(ledger: Ledger, held: QueueItem) -> QueueItem:
    [item] = [q for q in ledger.queue_for(held.source_key) if q.id == held.id]
    return item


def actions(ledger: Ledger, key: str) -> list[str]:
    return [event.action for event in ledger.history(key)]


def skip_exported(ledger: Ledger, bill: dict[str, Any]) -> list[Mapped | Rejected]:
    """The bills flow's mapped step meeting ``bill`` (its real reader and records, no Procurify call)."""
    reader = bills.BillReader(OWN, BILLS_FLOW, None, ledger, None, {}, APPROVED)  # type: ignore[arg-type]
    return list(reader.settled([(bill, NOW)], run_id="run-bills", partition=DAY))


def test_the_refused_for_good_mark_is_the_one_the_write_step_sets() -> None:
    assert REFUSED_FOR_GOOD == WRITER_MARK


def test_a_payment_held_on_a_bill_refused_for_good_is_refused_naming_it_then_follows_the_fixed_bill(
    db_url: str,
) -> None:
    ledger = Ledger(db_url)
    held = held_payment(ledger)
    refused_bill(ledger)

    # The sweep every replay starts and ends with: the payment is refused, not left held on the bill.
    assert release_synced(ledger, REPLAYS) == []
    item = item_of(ledger, held)
    assert item.status == "failed" and item.depends_on == BILL_KEY and item.attempts == 0
    assert item.reason.startswith(
        f"refused: payment {held.source_key} waits for {BILL_KEY}, which will not be written (refused for "
        f"good: bill {BILL}: ML_CreateVoucherBatch refused it: supplier 4343 is on payment hold (0Y2)). "
        "Fix that record and replay it: this one follows as soon as it syncs"
    ), item.reason
    assert item.payload == {**held.payload, PARENT_GONE: BILL_KEY}  # nothing of the payment is lost
    assert item.next_attempt_at is not None and item.next_attempt_at > datetime.now(UTC)
    assert held.id not in {due.id for due in ledger.due()}  # a replay could only fail it: not due at once
    assert actions(ledger, held.source_key) == ["hold", "fail"]
    assert ledger.history(held.source_key)[-1].reason == item.reason
    assert release_synced(ledger, REPLAYS) == []  # refused once
    assert actions(ledger, held.source_key) == ["hold", "fail"]

    # Replayed while the bill is still refused: failed again (counted), never held again, nothing sent.
    summary = replay(ledger, [item], REPLAYS)
    assert summary.failed == [held.id] and not summary.held
    again = item_of(ledger, held)
    assert (again.status, again.attempts, again.reason) == ("failed", 1, item.reason)
    assert actions(ledger, held.source_key) == ["hold", "fail", "fail"]
    assert "(attempt 1; next attempt " in ledger.history(held.source_key)[-1].reason

    # The AP team fixes the supplier and the bill is written: the payment is due at once, unmarked.
    ledger.record_target(
        INTEGRATION, "bill", "procurify", BILL, "JDE", target_id="MLPRCFY/B1/T1", content_hash="h"
    )
    [released] = release_synced(ledger, REPLAYS)
    assert released.id == held.id and released.status == "failed"
    assert released.reason == f"released: {BILL_KEY} has synced; due for replay"
    assert PARENT_GONE not in released.payload and released.payload["body"] == held.payload["body"]
    assert held.id in {due.id for due in ledger.due()}
    assert actions(ledger, held.source_key)[-1] == "release"


def test_a_payment_held_on_a_bill_another_process_exported_is_skipped_when_the_bills_flow_skips_it(
    ledger: Ledger,
) -> None:
    held = held_payment(ledger)
    exported = a_bill(last_export_date="2026-11-20T10:00:00Z")

    assert skip_exported(ledger, exported) == []  # skipped, never posted
    [skip] = ledger.history(BILL)
    assert skip.action == "skip" and skip.detail == {"never_written": "exported_elsewhere"}
    assert "by another process" in skip.reason

    # Its payment went where the bill went: skipped for good in the same step, not queued for a person.
    item = item_of(ledger, held)
    assert item.status == "resolved" and ledger.open_items() == []
    assert item.reason == (
        f"skipped: payment {held.source_key} belongs to {BILL_KEY}, which another process took (exported by "
        f"another process: {skip.reason}); it is recorded there, not by this integration"
    )
    [hold, skipped] = ledger.history(held.source_key)
    assert (hold.action, skipped.action, skipped.run_id) == ("hold", "skip", "run-bills")
    assert skipped.detail == {"never_written": "exported_elsewhere"}
    # The bills flow meeting the bill again audits the skip again; the payment is not touched twice.
    skip_exported(ledger, exported)
    assert actions(ledger, BILL) == ["skip", "skip"] and len(ledger.history(held.source_key)) == 2


def test_a_replayed_payment_of_a_bill_another_process_exported_is_skipped_never_sent(ledger: Ledger) -> None:
    """A payment queued as failed (as an older version refused it) whose bill another process exported: the
    replay skips it for good instead of failing it again, and sends nothing."""
    skip_exported(ledger, a_bill(last_export_date="2026-11-20T10:00:00Z"))
    held = left_held(ledger, payment="e3364f4e207a4faf9c6345fe9bd98e12")
    with ledger.transaction() as conn:  # as the old sweep left it: failed, not held
        ledger.record_attempt_failure(held.id, "refused earlier", retry_in=timedelta(0), conn=conn)
    summary = replay(ledger, [item_of(ledger, held)], REPLAYS)
    assert (summary.skipped, summary.failed) == ([held.id], [])
    assert "1 skipped (what they belong to was taken by another process)" in summary.line()
    assert item_of(ledger, held).status == "resolved" and ledger.open_items() == []
    assert actions(ledger, held.source_key)[-1] == "skip"


def test_a_payment_mapped_after_its_bill_was_skipped_as_exported_elsewhere_is_skipped_not_held(
    ledger: Ledger,
) -> None:
    skip_exported(ledger, a_bill(last_export_date="2026-11-20T10:00:00Z"))
    elsewhere = bills_taken_elsewhere(ledger, [BILL, OTHER_BILL])
    assert list(elsewhere) == [BILL] and "by another process" in elsewhere[BILL]
    paid, posted = a_payment(), {BILL: None}
    [record] = map_payment(paid, NOW, [a_bill()], posted, VOUCHERS, bill_dependency, None, elsewhere)
    assert isinstance(record, Skipped) and record.source_key == f"{PAYMENT}:{BILL}"
    assert f"payment 88 ({PAYMENT}) of bill INV-1bd9: its bill is not posted to JDE by this " in record.reason
    # Without the skip it is held on the bill, as a payment of a bill still to come is.
    [waiting] = map_payment(paid, NOW, [a_bill()], posted, VOUCHERS, bill_dependency)
    assert isinstance(waiting, Mapped) and waiting.depends_on == BILL_KEY


def test_replay_dry_run_lists_the_holds_whose_parent_cannot_come_and_the_sweep_refuses_only_those(
    ledger: Ledger,
) -> None:
    skip_exported(ledger, a_bill(last_export_date="2026-11-20T10:00:00Z"))
    # Held on the bill as an earlier run left it, and another on a bill still to come.
    doomed = left_held(ledger)
    waiting = held_payment(ledger, OTHER_BILL, payment="d2264f4e207a4faf9c6345fe9bd98e11")

    [(parent, count)] = held_on_gone(ledger, checks=REPLAYS.parents)
    assert (parent.key, parent.cause, count) == (BILL_KEY, "exported_elsewhere", 1)
    report = queue_report(ledger.queue_overview(), gone=held_on_gone(ledger, checks=REPLAYS.parents))
    assert "1 held record(s) wait for 1 record(s) that will never be written" in "\n".join(report)

    dry = CliRunner().invoke(cli, ["replay", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "0 due now, 0 failed and not yet due, 2 held" in dry.output
    assert "1 held record(s) wait for 1 record(s) that will never be written: a replay refuses them" in (
        dry.output
    )
    assert f"  {BILL_KEY}: 1 held; exported by another process: bill {BILL} (invoice INV-1bd9, " in dry.output
    assert f"{bill_dependency(OTHER_BILL)}: 1 held; " not in dry.output
    assert {i.status for i in ledger.open_items()} == {"held"}  # a dry run changes nothing

    release_synced(ledger, REPLAYS)
    assert item_of(ledger, doomed).status == "resolved" and item_of(ledger, waiting).status == "held"
    assert held_on_gone(ledger, checks=REPLAYS.parents) == []


def test_a_payment_whose_bill_another_process_took_is_closed_once_and_never_held_again_by_later_runs(
    ledger: Ledger,
) -> None:
    """It used to alternate: a run held it on the bill, the next sweep skipped it (closed), the next run
    held it again. Now the run closes it with the reason, and later runs leave it closed."""
    held = held_payment(ledger)
    skip_exported(ledger, a_bill(last_export_date="2026-11-20T10:00:00Z"))  # closes the held payment
    assert item_of(ledger, held).status == "resolved"
    for _ in range(3):  # three more runs of the payments flow meet it: no hold, no new event, no open item
        [record] = map_payment(a_payment(), NOW, [a_bill()], {BILL: None}, VOUCHERS, bill_dependency)
        hold_until_synced(PAYMENTS_FLOW, ledger, record, run_id="run-again", partition=DAY)
    assert ledger.open_items() == [] and actions(ledger, held.source_key) == ["hold", "skip"]
    release_synced(ledger, REPLAYS)
    assert ledger.open_items() == [] and actions(ledger, held.source_key) == ["hold", "skip"]

    # One mapped only after its bill was taken is closed by the run at once, with the same reason.
    other = "f4464f4e207a4faf9c6345fe9bd98e13"
    [record] = map_payment(a_payment(other), NOW, [a_bill()], {BILL: None}, VOUCHERS, bill_dependency)
    hold_until_synced(PAYMENTS_FLOW, ledger, record, run_id="run-late", partition=DAY)
    hold_until_synced(PAYMENTS_FLOW, ledger, record, run_id="run-later", partition=DAY)
    [skipped] = ledger.history(record.source_key)
    assert skipped.action == "skip" and skipped.detail == {"never_written": "exported_elsewhere"}
    assert skipped.reason.startswith(f"skipped: payment {record.source_key} belongs to {BILL_KEY}, which ")
    assert ledger.queue_for(record.source_key) == [] and ledger.open_items() == []


def test_a_payment_mapped_after_its_bill_was_refused_for_good_is_refused_at_once_and_once(
    ledger: Ledger,
) -> None:
    refused_bill(ledger)
    [record] = map_payment(a_payment(), NOW, [a_bill()], {BILL: None}, VOUCHERS, bill_dependency)
    for run in ("run-1", "run-2"):  # refused by the first run, left as it is by the next (not held again)
        hold_until_synced(PAYMENTS_FLOW, ledger, record, run_id=run, partition=DAY)
    [item] = ledger.queue_for(record.source_key)
    assert (item.status, item.payload[PARENT_GONE]) == ("failed", BILL_KEY)
    assert item.reason.startswith(
        f"refused: payment {record.source_key} waits for {BILL_KEY}, which will not"
    )
    assert actions(ledger, record.source_key) == ["fail"]


def test_a_payment_held_on_a_bill_a_person_abandoned_is_refused_naming_why(ledger: Ledger) -> None:
    # How a bill deleted in Procurify ends: its replay says it is gone, a person abandons its item.
    queue_failure(
        BILLS_FLOW,
        ledger,
        Rejected(BILL, f"bill {BILL} is no longer in procurify as something to write; abandon this item"),
        run_id="run-bills",
        partition=DAY,
    )
    [bill_item] = ledger.open_items(flow="bills")
    held = held_payment(ledger)
    release_synced(ledger, REPLAYS)
    assert item_of(ledger, held).status == "held"  # failed is not gone: a replay may still write it

    ledger.abandon(bill_item.id, reason="deleted in Procurify by the AP team (duplicate of INV-0042)")
    release_synced(ledger, REPLAYS)
    item = item_of(ledger, held)
    assert item.status == "failed"
    assert (
        "which will not be written (abandoned: deleted in Procurify by the AP team (duplicate of INV-0042)). "
        "If that record should be written after all, run its flow for it again; otherwise settle this one by "
        "hand and abandon this item"
    ) in item.reason
    assert actions(ledger, held.source_key) == ["hold", "fail"]


def test_parents_that_can_still_come_keep_their_children_held(ledger: Ledger) -> None:
    unknown = held_payment(ledger, bill="b0000000-0000-0000-0000-000000000001", payment="p1")
    mapping = held_payment(ledger, bill="b0000000-0000-0000-0000-000000000002", payment="p2")
    queue_failure(  # failed for a mapping a replay may find fixed: it can still come
        BILLS_FLOW,
        ledger,
        Rejected("b0000000-0000-0000-0000-000000000002", "account code 4000-0-0-0 not found in F0901"),
        run_id="run-bills",
        partition=DAY,
    )
    waits = held_payment(ledger, bill="b0000000-0000-0000-0000-000000000003", payment="p3")
    _hold(
        ledger,
        "bills",
        "bill",
        "b0000000-0000-0000-0000-000000000003",
        {},
        "jde_procurify:vendor:procurify:41",
    )
    own = _hold(  # held behind another live run writing the record itself
        ledger, "payments", "payment", "p4:b4", {}, "jde_procurify:payment:procurify:p4:b4"
    )

    assert held_on_gone(ledger, checks=REPLAYS.parents) == []
    release_synced(ledger, REPLAYS)
    for held in (unknown, mapping, waits, own):
        assert item_of(ledger, held).status == "held", held.source_key
        assert "fail" not in actions(ledger, held.source_key)


def test_a_chain_is_followed_a_payment_on_a_bill_held_on_an_abandoned_vendor_is_refused(
    ledger: Ledger,
) -> None:
    vendor_key = "jde_procurify:vendor:procurify:41"
    reason = "vendor 41: Procurify has no such vendor"
    vendor = queued(ledger, (INTEGRATION, "vendors", "vendor"), "41", reason)
    ledger.abandon(vendor.id, reason="vendor 41 was merged into vendor 12 in Procurify")
    bill = _hold(ledger, "bills", "bill", BILL, {"body": {}}, vendor_key)
    held = held_payment(ledger)

    release_synced(ledger, REPLAYS)
    assert item_of(ledger, bill).status == "failed"
    assert "(abandoned: vendor 41 was merged into vendor 12 in Procurify)" in item_of(ledger, bill).reason
    payment = item_of(ledger, held)
    assert payment.status == "failed"
    assert (
        f"which will not be written (its own parent cannot come: it waits for {vendor_key}, which will not "
        "be written). Settle that record first: this one follows as soon as it syncs"
    ) in payment.reason


def test_a_coupa_payment_held_on_an_invoice_another_process_exported_is_skipped(ledger: Ledger) -> None:
    invoice_id = "7001"
    pay = {
        "id": 5501,
        "status": "payment_initiated",
        "created-at": "2026-11-22T09:00:00-08:00",
        "payment-details": [{"source-transaction-id": invoice_id, "payment-total": "120.00"}],
    }
    own, parts = Own.of(CoupaJde()), built("coupa_jde")
    [record] = coupa_payments.map_payment(pay, NOW, own)
    assert isinstance(record, Mapped)
    queue_failure(
        parts.flow("payments").spec,
        ledger,
        Rejected(record.source_key, "waits for its invoice", record.to_payload()),
        status="held",
        depends_on=record.depends_on,
        run_id="run-pay",
        partition=DAY,
    )
    invoice = {"id": int(invoice_id), "invoice-number": "INV-9", "status": "approved", "exported": True}
    staging = SimpleNamespace(read_rows=lambda *_: [{"MCU": "1", "OBJ": "1110", "CO": "00001"}])
    versions = [Version(invoice_id, NOW, invoice, "poll")]
    records = coupa_invoices._invoice_records(own, staging, ledger, versions, {})  # type: ignore[arg-type]
    flow = parts.flow("invoices").spec
    assert list(never_written_settled(flow, ledger, records, run_id="run-inv", partition=DAY)) == []

    [item] = ledger.queue_for(record.source_key)
    assert item.status == "resolved" and item.reason.startswith(f"skipped: payment {record.source_key} ")
    assert flow.dependency_key(invoice_id) in item.reason
    assert "invoice 7001 (INV-9) was exported from Coupa by another process" in item.reason
    assert [e.action for e in ledger.history(invoice_id)] == ["skip"]


def test_a_replay_writes_a_parent_before_the_children_waiting_for_it() -> None:
    def item(n: int, entity: str, key: str, depends_on: str | None) -> QueueItem:
        failed_once = {"payload": {}, "reason": "failed", "status": "failed", "attempts": 1}
        stamps = {"next_attempt_at": NOW, "created_at": NOW, "updated_at": NOW, "resolved_at": None}
        where = {"integration": "i", "flow": f"{entity}s", "entity": entity, "source_key": key}
        return QueueItem(id=n, **where, **failed_once, depends_on=depends_on, last_run_id=None, **stamps)

    payment = item(1, "payment", "P1", "i:bill:procurify:B1")
    bill = item(2, "bill", "B1", "i:vendor:procurify:V1")
    vendor = item(3, "vendor", "V1", None)
    other = item(4, "payment", "P2", "i:bill:procurify:B9")  # its bill is not in this replay
    assert parents_first([payment, bill, other, vendor]) == [other, vendor, bill, payment]


# -- end to end: both Procurify -> JDE flows on the simulators ----------------------------------------------

BILLS = ("procurify/bills", "jde_procurify/bills_mapped", "jde_procurify/bills_written")
PAYMENTS = ("procurify/payments", "jde_procurify/payments_mapped", "jde_procurify/payments_written")


def test_end_to_end_a_payment_of_a_bill_another_process_exported_is_skipped_never_held_for_ever(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jde_procurify_world import jde_procurify_world

    monkeypatch.setenv("ML_PARENT_PULL_LIMIT", "0")  # the payment is held first: the bill's skip settles it
    with jde_procurify_world(tmp_path) as world:
        world.master()
        exported = [
            b
            for b in world.in_procurify("bills").values()
            if b["status"] == 2 and b.get("last_export_date") and b.get("uuid")
        ]
        assert exported, "the sandbox seeds approved bills exported by another process"
        bill = exported[0]
        paid = world._operator("payments", {"bill_uuids": [bill["uuid"]], "status": "paid"})
        key = f"{paid['payment_uuid']}:{bill['uuid']}"

        # The payment is mapped first: the bill is not in JDE, so it is held on it.
        world.run(*PAYMENTS)
        [held] = [i for i in world.ledger.open_items(flow="payments") if i.source_key == key]
        assert held.status == "held" and held.depends_on == bill_dependency(bill["uuid"])

        # The bills flow meets the bill (the day it changed, and today after the payment): skipped as
        # exported by another process, and the payment with it, in the same step: nothing left queued.
        day = bill["last_modified_datetime"][:10]
        for partition in sorted({day, world.day}):
            world.run(*BILLS, partition=partition)
        item = item_of(world.ledger, held)
        assert item.status == "resolved", item.reason
        assert item.reason.startswith(f"skipped: payment {key} belongs to {bill_dependency(bill['uuid'])}")
        assert "by another process (not this" in item.reason
        assert bill["uuid"] not in world.xrefs("bill")

        # The payments flow meeting the payment again skips it at once (audited), never holds it again.
        world.run(*PAYMENTS)
        assert [i for i in world.ledger.open_items() if i.source_key == key] == []
        assert actions(world.ledger, key) == ["hold", "skip", "skip"]
        assert world.jde_payments(f"PFY{paid['payment_id']}") == []
