"""BILL payments -> JD Edwards end to end: the BILL and JDE simulators, the real webhook receiver on
loopback, the real clients, Dagster ``materialize`` and the ledger.

Bills are made and paid through BILL's API (an MFA-trusted session, as a payables clerk would), cleared
by the simulator's business activity, and BILL's signed webhooks go to the receiver, which stores them in
the inbox under ``bill``. Where a bill came from in JDE is written into the ledger the way the bills flow
(JDE -> BILL) records it (xref entity ``bill``, source key ``PV:...`` / ``PO:...``), against real vouchers
and orders of the JDE simulator. What JDE holds is read back from the JDE simulator's stored rows.
"""

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from built_parts import built
from dagster import AssetKey, SensorResult, SkipReason, build_sensor_context
from instances import instance_for_test
from jde_bill_world import BillClerk, JdeBillWorld, forget_target, jde_bill_world
from jde_money import stored
from ledger_entries import queued

from connector_assets.bill.documents import read_current
from connector_assets.components import JdeBill
from connector_assets.flows.core import Mapped, Rejected, validate
from connector_assets.flows.out_of_scope import OUT_OF_SCOPE, OutOfScope
from connector_assets.flows.replays import build_replays
from connector_assets.integrations.jde_bill.payments import (
    BillPayments,
    PostingRules,
    bill_origin,
    map_payment,
)
from connector_assets.jde.payment_postings import JdeOrigin, JournalAccounts, Voucher
from connector_assets.jde.targets import VoucherNotReady
from connector_resources.ledger import Ledger, LedgerResource
from connector_resources.replay import replay_items
from connector_resources.webhooks import bill_source, create_receiver
from connector_sandbox.bill import BillSandboxSettings
from connector_sandbox.serve import serve_in_thread

pytestmark = pytest.mark.timeout(600)  # Dagster runs: load 15 too

PARTS, IT = built("jde_bill"), JdeBill()  # the default instance's parts, and the instance
PAYMENTS = PARTS.flow("payments")
PAYMENTS_FLOW = PAYMENTS.spec
[payments_inbox_sensor] = PARTS.sensors
CREDIT_ENV, POSTING_ENV = IT.variable("payment_credit_account"), IT.variable("payment_posting")
KEY = "sandbox-bill-webhook"  # the BILL simulator's fixed securityKey
FLOW = ("jde_bill/payments_mapped", "jde_bill/payments_written", "jde_bill/payments_inbox_done")


class World(JdeBillWorld):
    bill: BillClerk  # BILL as the test's payables clerk drives it

    def orders(self) -> list[dict]:
        """The purchase orders JDE holds (their keys)."""
        with self.resources["jde"].session() as session:
            return list(session.browse("F4301", columns=["KCOO", "DOCO", "DCTO"]))

    def order(self) -> dict:
        return self.orders()[0]


@pytest.fixture
def world(tmp_path):
    # Seeded history ends long before today: today's partition holds what the test does (and the seeded
    # payments the activity clears, for bills that never came from JDE).
    settings = BillSandboxSettings(
        scale=0.05,
        anchor_date=date.today() - timedelta(days=400),
        webhooks={"auto_deliver": False, "duplicate_rate": 1.0},  # every event delivered twice
    )
    with jde_bill_world(tmp_path, World, bill=settings) as made:
        made.day = None  # runs name their partition (today's); the F0901 cache has none
        hooks_url, stop_hooks = serve_in_thread(
            create_receiver({"bill": bill_source("bill", security_key=KEY)}, made.ledger)
        )
        try:
            made.bill = BillClerk(made.bill_url)
            made.bill.vendor()  # the clerk's vendor is added before BILL's webhooks go to the receiver
            made.bill.sandbox("webhooks/subscriptions", {"notificationUrl": f"{hooks_url}/webhooks/bill"})
            made.run("jde/gl_accounts")  # the F0901 cache journal accounts are checked against
            yield made
        finally:
            stop_hooks()


def _queue(ledger: Ledger) -> dict[str, Any]:
    return {i.source_key: i for i in ledger.open_items(integration="jde_bill", flow="payments")}


def _inbox_statuses(ledger: Ledger, event_type: str = "") -> dict[str, int]:
    """Inbox rows by status (of one BILL event type when given)."""
    query = (
        "select status, count(*) from mlc_webhook_inbox where cast(body as text) like :kind group by status"
    )
    with ledger.engine.connect() as conn:
        rows = conn.execute(sa.text(query), {"kind": f"%{event_type}%"}).all()
    return dict(rows)


def test_a_paid_payment_on_a_voucher_bill_is_recorded_once_from_webhooks_and_poll(world):
    voucher = world.open_vouchers()[0]
    paid, payment = world.bill.paid_bill("VB-100", "100.25")
    world.from_jde(f"PV:{voucher['KCO']}:{voucher['DOC']}:PV", paid)
    foreign, foreign_payment = world.bill.paid_bill("NJ-100", "40.00")  # BILL's own bill: no JDE origin
    world.bill.clear_payments()
    outcomes = world.bill.sandbox("webhooks/deliver")["outcomes"]
    assert any(o.get("duplicate") for o in outcomes) and all(o.get("ok") for o in outcomes)
    day = datetime.now(UTC).date().isoformat()

    # The sensor asks for a run of the events' day, and acknowledges the vendor event no flow applies.
    with (
        instance_for_test() as instance,
        build_sensor_context(instance=instance, resources={"ledger": world.resources["ledger"]}) as context,
    ):
        tick = payments_inbox_sensor(context)
    assert isinstance(tick, SensorResult) and [r.partition_key for r in tick.run_requests] == [day]
    assert _inbox_statuses(world.ledger).get("failed") is None
    assert _inbox_statuses(world.ledger, "vendor.updated") == {"processed": 1}  # by the sensor, not failed

    # The run the sensor asked for, before any poll: the webhooks alone (each delivered twice) drive it.
    assert world.resources["staging"].count(AssetKey(["bill", "payments"]), day) == 0
    run = world.run(*FLOW, partition=day)
    written = run["jde_bill/payments_written"]
    assert written["create"] == 1 and written["fail"] == 0
    assert run["jde_bill/payments_inbox_done"]["processed"] > 0
    [recorded] = world.jde_payments(payment)
    assert (recorded["kco"], recorded["doc"], recorded["amount"]) == (voucher["KCO"], voucher["DOC"], 10025)
    [after] = world.jde_rows("F0411", KCO=voucher["KCO"], DOC=voucher["DOC"], DCT="PV", SFX="001")
    assert after["AAP"] == int(voucher["AAP"] * 100) - 10025
    xref = world.ledger.get_xref("jde_bill", "payment", "bill", f"{payment}:{paid}", "JDE")
    assert xref.target_id == f"{voucher['KCO']}/{voucher['DOC']}/PV/{payment}/{recorded['payment_number']}"
    # A payment of BILL's own bill is out of the integration's scope: skipped with its rule, never queued.
    assert f"{foreign_payment}:{foreign}" not in _queue(world.ledger)
    [skipped] = [e for e in world.ledger.history(f"{foreign_payment}:{foreign}") if e.action == "skip"]
    assert skipped.detail == {OUT_OF_SCOPE: "bill not from JDE"}
    assert "the bill did not come from JDE" in skipped.reason
    assert world.ledger.inbox_pending(source="bill", limit=1000) == []  # every delivery acknowledged
    assert _inbox_statuses(world.ledger).get("failed") is None

    # The poll of the day reads the same payment (the fallback for missed webhooks): nothing sent again.
    assert world.run("bill/payments", partition=day)["bill/payments"]
    assert payment in {
        row["id"] for row in world.resources["staging"].read_rows(AssetKey(["bill", "payments"]), day)
    }
    again = world.run(*FLOW, partition=day)["jde_bill/payments_written"]
    assert again["create"] == 0 and again["skip"] == 1
    assert len(world.jde_payments(payment)) == 1

    # JDE recorded it but the ledger lost the answer (a crash between the two): JDE's duplicate-reference
    # refusal (59AB) is adopted, the voucher is not paid twice.
    forget_target(world.ledger, "payment", f"{payment}:{paid}")
    adopted = world.run(*FLOW, partition=day)["jde_bill/payments_written"]
    assert adopted["adopt"] == 1 and adopted["create"] == 0
    assert len(world.jde_payments(payment)) == 1
    assert world.ledger.get_xref("jde_bill", "payment", "bill", f"{payment}:{paid}", "JDE").target_id == (
        xref.target_id
    )

    # The payment is voided in BILL afterwards: JDE keeps it (never reversed by the integration), and a
    # person is asked to reverse it there.
    world.bill.call("POST", f"payments/{payment}/void", {"voidReason": "Check lost"})
    world.bill.sandbox("webhooks/deliver")
    world.run(*FLOW, partition=day)
    undone = _queue(world.ledger)[f"{payment}:{paid}"]
    assert f"is now VOIDED in BILL, but JDE holds it as {xref.target_id}" in undone.reason
    assert len(world.jde_payments(payment)) == 1


def test_without_webhooks_or_the_bill_poll_the_flow_reads_its_day_itself_and_posts_once(world):
    voucher = world.open_vouchers()[0]
    paid, payment = world.bill.paid_bill("VB-300", "75.40")
    world.from_jde(f"PV:{voucher['KCO']}:{voucher['DOC']}:PV", paid)
    world.bill.clear_payments()  # no webhook is delivered, and bill_payments (bill_sources) never runs
    day = datetime.now(UTC).date().isoformat()
    assert world.ledger.inbox_pending(source="bill", limit=10) == []
    staging = world.resources["staging"]
    assert not staging.exists(AssetKey(["bill", "payments"]), day)

    written = world.run(*FLOW, partition=day)["jde_bill/payments_written"]
    assert written["create"] == 1 and written["fail"] == 0, written
    [recorded] = world.jde_payments(payment)
    assert (recorded["kco"], recorded["doc"], recorded["amount"]) == (voucher["KCO"], voucher["DOC"], 7540)
    assert payment in {
        row["id"] for row in staging.read_rows(AssetKey(["bill", "payments"]), day)
    }  # its own read, staged

    # Rerun, and the poll beside it: incremental reads from one cursor, nothing posted again.
    lists = world.bill_state()["calls"].get("GET /connect/v3/payments", 0)
    again = world.run(*FLOW, partition=day)["jde_bill/payments_written"]
    assert again["create"] == 0 and again["skip"] == 1
    assert (
        world.bill_state()["calls"].get("GET /connect/v3/payments", 0) - lists == 1
    )  # one page, from the cursor
    assert world.run("bill/payments", partition=day)["bill/payments"]["run_rows"] >= 1
    third = world.run(*FLOW, partition=day)["jde_bill/payments_written"]
    assert third["create"] == 0
    assert len(world.jde_payments(payment)) == 1


def test_make_devs_bill_activity_pays_only_the_bills_jde_sent_and_nothing_is_queued(world):
    """``make dev`` (``jde_bill.sandbox``: ``activity_pays`` = ``api_bills``): BILL's AP team pays the bill
    the bills flow made from a JDE voucher, the bank clears it a round later and the flow records it on the
    voucher; BILL's own seeded payments stay scheduled, so none is queued as a bill that did not come from
    JDE (a fresh ``make dev`` queued such payments every round)."""
    voucher = world.open_vouchers()[0]
    today = date.today().isoformat()
    body = {
        "vendorId": world.bill.vendor(),
        "dueDate": today,
        "invoice": {"invoiceNumber": "VB-400", "invoiceDate": today},
        "billLineItems": [{"amount": 75.40, "description": "Voucher goods"}],
    }
    bill = world.bill.call("POST", "bills", body)
    world.from_jde(f"PV:{voucher['KCO']}:{voucher['DOC']}:PV", bill["id"])
    world.bill.sandbox("settings", {"activity_pays": "api_bills"})

    paid = world.bill.sandbox("activity", {"new_payments": 1, "cleared_payments": 10_000})
    [payment] = paid["changed"]["payments.updated"]  # scheduled; no seeded payment settled
    world.bill.sandbox("activity", {"cleared_payments": 10_000})  # a round later: it clears

    written = world.run(*FLOW, partition=datetime.now(UTC).date().isoformat())["jde_bill/payments_written"]
    assert written["create"] == 1 and written["fail"] == 0, written
    [recorded] = world.jde_payments(payment)
    assert (recorded["kco"], recorded["doc"], recorded["amount"]) == (voucher["KCO"], voucher["DOC"], 7540)
    assert _queue(world.ledger) == {}


def test_a_past_day_is_read_once_by_whichever_of_the_flow_and_the_poll_reads_it_first(world):
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    before = (datetime.now(UTC).date() - timedelta(days=2)).isoformat()

    def lists() -> int:
        return world.bill_state()["calls"].get("GET /connect/v3/payments", 0)

    start = lists()
    world.run(*FLOW, partition=yesterday)  # no poll ran for it: the flow reads the day whole
    assert lists() > start and world.resources["staging"].exists(AssetKey(["bill", "payments"]), yesterday)
    start = lists()
    world.run(*FLOW, partition=yesterday)  # staged after the day ended: complete, not read again
    assert lists() == start

    world.run("bill/payments", partition=before)  # the poll closed that day first
    start = lists()
    world.run(*FLOW, partition=before)
    assert lists() == start


def test_a_payment_posted_as_a_journal_is_adopted_not_paid_again_once_a_voucher_took_its_bill_over(world):
    order, voucher = world.order(), world.open_vouchers()[0]
    paid, payment = world.bill.paid_bill("PO-400", "55.00")
    world.from_jde(f"PO:{order['KCOO']}:{order['DOCO']}:{order['DCTO']}", paid)
    # A second order of dollar company 00001 billed to a vendor BILL bills in euros: a journal in euros.
    other = next(o for o in world.orders() if o["KCOO"].strip() == "00001" and o != order)
    euro_bill, euro_payment = world.bill.paid_bill("PO-401", "1234.56", currency="EUR")
    world.from_jde(f"PO:{other['KCOO']}:{other['DOCO']}:{other['DCTO']}", euro_bill)
    world.bill.clear_payments()
    day = datetime.now(UTC).date().isoformat()
    assert world.run(*FLOW, partition=day)["jde_bill/payments_written"]["create"] == 2  # journal entries
    assert len(world.jde_rows("F0911Z1", EDUS="MLBILL", EDTN=payment)) == 2
    # Sent in Currency_Mode F (company 00001 keeps USD): each line's euros in ACR, its dollars left to
    # JDE's rate (the journal processor's, R09110Z), never the euros in the domestic AA.
    lines = world.jde_rows("F0911Z1", EDUS="MLBILL", EDTN=euro_payment)
    assert {(r["KCO"], r["CRCD"], r["CRRM"]) for r in lines} == {("00001", "EUR", "F")}
    assert sorted(stored(r, "ACR") for r in lines) == [Decimal("-1234.56"), Decimal("1234.56")]
    assert {r["AA"] for r in lines} == {0}

    # A voucher takes the order's bill over, and the ledger loses the posting: the voucher is not paid too.
    voucher_key = f"PV:{voucher['KCO']}:{voucher['DOC']}:PV"
    world.ledger.record_target("jde_bill", "bill_voucher", "JDE", voucher_key, "bill", paid, "h")
    forget_target(world.ledger, "payment", f"{payment}:{paid}")
    written = world.run(*FLOW, partition=day)["jde_bill/payments_written"]
    assert written["create"] == 0 and written["adopt"] == 1, written
    assert world.jde_payments(payment) == []
    assert len(world.jde_rows("F0911Z1", EDUS="MLBILL", EDTN=payment)) == 2


def _stale_account_cache(world: World, account: str) -> None:
    """The staged F0901 cache says ``account`` is postable while JDE no longer lets it be posted to (the
    cache is read daily; the account was made a summary account since)."""
    path = world.resources["staging"].path(AssetKey(["jde", "gl_accounts"]), None)
    frame = pd.read_parquet(path)
    bu, obj = account.split(".")
    hit = (
        (frame["MCU"].str.strip() == bu)
        & (frame["OBJ"].str.strip() == obj)
        & (frame["SUB"].str.strip() == "")
    )
    assert hit.sum() == 1
    frame.loc[hit, "PEC"] = ""
    frame.to_parquet(path, index=False)


def test_an_order_bill_without_voucher_posts_one_journal_entry_and_a_jde_refusal_is_replayed_once(
    world, monkeypatch
):
    order = world.order()
    paid, payment = world.bill.paid_bill("PO-200", "300.00")
    world.from_jde(f"PO:{order['KCOO']}:{order['DOCO']}:{order['DCTO']}", paid)
    world.bill.clear_payments()
    world.bill.sandbox("webhooks/deliver")  # no sensor runs here: the run itself reads the inbox
    day = datetime.now(UTC).date().isoformat()
    _stale_account_cache(world, "1.1000")
    monkeypatch.setenv(CREDIT_ENV, "1.1000")  # a non-posting summary account in JDE
    world.run("bill/payments", partition=day)

    written = world.run(*FLOW, partition=day)["jde_bill/payments_written"]
    assert written["fail"] == 1 and written["create"] == 0
    item = _queue(world.ledger)[f"{payment}:{paid}"]
    assert "an account is not postable in JDE (JDE 59A3" in item.reason and "1.1000" in item.reason
    assert world.jde_rows("F0911Z1", EDUS="MLBILL", EDTN=payment) == []
    # Every delivery is acknowledged, the vendor.updated no flow applies too, none as a failure.
    assert world.ledger.inbox_pending(source="bill", limit=1000) == []
    assert _inbox_statuses(world.ledger).get("failed") is None
    assert _inbox_statuses(world.ledger, "vendor.updated") == {"processed": 1}

    # Finance names the right bank account; the replay reads the payment from BILL again: written once.
    monkeypatch.setenv(CREDIT_ENV, "1.1110")
    replays = build_replays([PAYMENTS], lambda: {k: world.resources[k] for k in ("jde", "bill", "staging")})
    summary = replay_items(world.ledger, [item], replays)
    assert summary.replayed == [item.id] and not summary.failed
    rows = world.jde_rows("F0911Z1", EDUS="MLBILL", EDTN=payment)
    assert sorted((r["ANI"], r["AA"], r["KCO"]) for r in rows) == [
        ("1.1110", -30000, order["KCOO"]),
        ("1.4310", 30000, order["KCOO"]),
    ]
    assert {r["EDBT"] for r in rows} == {paid[-15:]}
    assert replay_items(world.ledger, [item], replays).already == [item.id]  # in JDE already: nothing sent
    rerun = world.run(*FLOW, partition=day)["jde_bill/payments_written"]
    assert rerun["create"] == 0 and rerun["skip"] == 1
    assert len(world.jde_rows("F0911Z1", EDUS="MLBILL", EDTN=payment)) == 2
    creates = [e for e in world.ledger.history(f"{payment}:{paid}") if e.action in ("create", "adopt")]
    assert [e.action for e in creates] == ["create"]

    # A voucher JDE does not find (deleted, or not there yet) is not ready, retried: not a refusal.
    body = {
        "Document_Company": order["KCOO"],
        "Document_Number": 99999999,
        "Document_Type": "PV",
        "Payment_Amount": "1.00",
        "Payment_Date": day,
        "Payment_Reference": payment,
    }
    with (
        BillPayments.for_replay(world.resources, world.ledger, PAYMENTS_FLOW) as target,
        pytest.raises(VoucherNotReady, match="is not in JDE's A/P ledger .F0411.; retried later"),
    ):
        target.create(Mapped("missing", body, {"posting": "voucher"}))


# -- without simulators ---------------------------------------------------------------------------------


def _event(kind: str, entity: dict[str, Any], event_id: str) -> bytes:
    return json.dumps(
        {"metadata": {"eventId": event_id, "eventType": kind, "version": "1"}, kind.split(".")[0]: entity}
    ).encode()


def test_the_sensor_requests_a_run_for_the_events_day_and_acknowledges_other_event_types(tmp_path):
    db = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    ledger = Ledger(db)
    put = ledger.inbox_put
    payment = {
        "id": "stp02AAAAAAAAAAAAAAA",
        "status": "CLEARED",
        "updatedTime": "2026-03-02T23:30:00.000-08:00",
    }
    bill = {
        "id": "00n02BBBBBBBBBBBBBBB",
        "paymentStatus": "PAID",
        "updatedTime": "2026-03-04T10:00:00.000+00:00",
    }
    vendor = {"id": "00902CCCCCCCCCCCCCCC", "updatedTime": "2026-03-05T10:00:00.000+00:00"}
    put(source="bill", event_id="e1", body=_event("payment.updated", payment, "e1"), headers={})
    put(source="bill", event_id="e2", body=_event("bill.updated", bill, "e2"), headers={})
    put(source="bill", event_id="e3", body=_event("vendor.updated", vendor, "e3"), headers={})
    put(source="bill", event_id="e4", body=b"not json", headers={})
    put(source="coupa_invoices", event_id="c1", body=b"{}", headers={})  # another sensor's
    last = ledger.inbox_pending(limit=100)[-1].id
    resources = {"ledger": LedgerResource(db_url=db)}
    with (
        instance_for_test() as instance,
        build_sensor_context(instance=instance, resources=resources) as context,
    ):
        result = payments_inbox_sensor(context)
    assert isinstance(result, SensorResult) and result.cursor == str(last)
    # 23:30 in Los Angeles on 2 March is 3 March in UTC: partitions are UTC days.
    assert [(r.partition_key, r.run_key) for r in result.run_requests] == [
        (d, f"bill-inbox-{d}-{last}") for d in ("2026-03-03", "2026-03-04")
    ]
    assert {e.event_id for e in ledger.inbox_pending(limit=100)} == {"e1", "e2", "c1"}
    assert _inbox_statuses(ledger) == {"pending": 3, "processed": 1, "failed": 1}  # vendor: done, not failed
    with (
        instance_for_test() as instance,
        build_sensor_context(instance=instance, resources=resources, cursor=result.cursor) as context,
    ):
        assert isinstance(payments_inbox_sensor(context), SkipReason)


RULES = PostingRules("voucher_else_journal", JournalAccounts("1.4310", "1.1110"), IT)
PAID_ON = datetime(2026, 3, 2, 10, tzinfo=UTC)


def _payment(*lines: tuple[str, str]) -> dict[str, Any]:
    return {
        "id": "stp02PAYMENT00000001",
        "processDate": "2026-03-02",
        "billPayments": [
            {"id": f"blp{n}", "billId": bill, "amount": amount} for n, (bill, amount) in enumerate(lines)
        ],
    }


def test_each_bill_of_a_payment_posts_by_its_origin_and_bad_amounts_are_refused_in_finance_words():
    voucher_bill, order_bill, foreign, credit = (f"00n02BILL{n:011d}" for n in range(4))
    origins = {
        voucher_bill: JdeOrigin("PV:00001:10008:PV", Voucher("00001", 10008, "PV")),
        order_bill: JdeOrigin("PO:00001:4041:OP", None),
        foreign: None,
        credit: JdeOrigin("PV:00001:10012:PV", Voucher("00001", 10012, "PV")),
    }
    payment = _payment((voucher_bill, "125.10"), (order_bill, "80"), (foreign, "5.00"), (credit, "-20.00"))
    voucher, journal, not_jde, negative = map_payment(payment, PAID_ON, origins, RULES)
    assert isinstance(voucher, Mapped) and voucher.body == {
        "Document_Company": "00001",
        "Document_Number": 10008,
        "Document_Type": "PV",
        "Payment_Amount": "125.10",
        "Currency_Code": None,  # not told (no BILL vendor read here): JDE takes the company's
        "Payment_Date": "2026-03-02",
        "Payment_Reference": "stp02PAYMENT00000001",
    }
    assert isinstance(journal, Mapped) and journal.body["EDI_Batch_Number"] == order_bill[-15:]
    assert journal.body["EDI_Transaction_Number"] == "stp02PAYMENT00000001"
    assert [(line["Account"], line["Amount"]) for line in journal.body["Lines"]] == [
        ("1.4310", "80.00"),
        ("1.1110", "-80.00"),
    ]
    assert validate(PAYMENTS_FLOW, [voucher, journal]).rejected == []
    assert isinstance(not_jde, OutOfScope) and "the bill did not come from JDE" in not_jde.reason
    assert isinstance(negative, Rejected) and negative.reason.startswith(
        f"BILL payment stp02PAYMENT00000001 of bill {credit} is -20.00: JDE payments cannot be negative"
    )

    # Waiting for a voucher instead of a journal; and a journal whose accounts F0901 refuses.
    waiting = PostingRules("voucher", RULES.journal, IT)
    [held] = map_payment(_payment((order_bill, "80")), PAID_ON, origins, waiting)
    assert (
        isinstance(held, Rejected)
        and "has no voucher in JDE yet" in held.reason
        and "retried later" in held.reason
    )
    broken = PostingRules(
        "voucher_else_journal", JournalAccounts("1.4310", "1.1000", "account 1.1000 is not postable"), IT
    )
    [refused] = map_payment(_payment((order_bill, "80")), PAID_ON, origins, broken)
    assert (
        isinstance(refused, Rejected)
        and "cannot be a journal entry: account 1.1000 is not postable" in refused.reason
    )
    # Every journal posting chooses the same keys from the ids alone, within the contract's lengths.
    [again] = map_payment(_payment((order_bill, "80")), PAID_ON, origins, RULES)
    assert again.body == journal.body and len(again.body["EDI_Batch_Number"]) == 15


def test_a_payment_posts_in_its_vendors_bill_currency_with_that_currencys_decimals():
    from connector_assets.integrations.jde_bill.payments import vendor_currencies

    voucher_bill, order_bill = "00n02BILL00000000001", "00n02BILL00000000002"
    origins = {
        voucher_bill: JdeOrigin("PV:00050:20008:PV", Voucher("00050", 20008, "PV")),
        order_bill: JdeOrigin("PO:00050:5041:OP", None),
    }
    payment = _payment((voucher_bill, "1000.00"), (order_bill, "80"))
    voucher, journal = map_payment(payment, PAID_ON, origins, RULES, "EUR")
    assert voucher.body["Currency_Code"] == "EUR" and voucher.body["Payment_Amount"] == "1000.00"
    assert "Exchange_Rate" not in voucher.body  # BILL's bill rate is to USD, not the payment's into JDE
    assert journal.body["Currency_Code"] == "EUR"
    assert [line["Amount"] for line in journal.body["Lines"]] == ["80.00", "-80.00"]
    assert voucher.fields["currency"] == journal.fields["currency"] == "EUR"
    assert validate(PAYMENTS_FLOW, [voucher, journal]).rejected == []
    [yen] = map_payment(_payment((voucher_bill, 135000.0)), PAID_ON, origins, RULES, "JPY")
    assert yen.body["Payment_Amount"] == "135000" and validate(PAYMENTS_FLOW, [yen]).rejected == []
    [fraction] = map_payment(_payment((voucher_bill, 135000.5)), PAID_ON, origins, RULES, "JPY")
    assert isinstance(fraction, Rejected) and fraction.reason == (
        f"BILL payment stp02PAYMENT00000001 of bill {voucher_bill}: its amount: the amount 135000.5 has "
        "more decimals than JPY has (no decimals)"
    )
    gone = {**_payment((voucher_bill, "5.00")), "vendorId": "009GONE"}
    [unknown] = map_payment(gone, PAID_ON, origins, RULES, None)
    assert isinstance(unknown, Rejected) and "its vendor 009GONE is not in BILL" in unknown.reason

    class Vendors:  # BILL's vendors by id (``id:in``): one has no billCurrency (BILL bills it in USD)
        calls: list[list[str]] = []

        def session(self):
            from contextlib import nullcontext

            return nullcontext(self)

        def iter_records(self, entity: str, filters: list[str]):
            self.calls.append(filters)
            rows = [{"id": "009EU", "billCurrency": "EUR"}, {"id": "009US"}]
            return iter(rows if entity == "vendors" else [])

    bill = Vendors()
    payments = [{"vendorId": "009EU"}, {"vendorId": "009US"}, {"vendorId": "009EU"}, {}]
    assert vendor_currencies(bill, payments) == {"009EU": "EUR", "009US": "USD"}
    assert len(bill.calls) == 1  # the vendors of a day's payments in one call


def test_a_purchase_order_bill_pays_the_voucher_later_applied_to_it(tmp_path, monkeypatch):
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    ledger.record_target("jde_bill", "bill", "JDE", "PO:00001:4041:OP", "bill", "00n02ORDERBILL000001", "h")
    assert bill_origin(ledger, "jde_bill", "00n02ORDERBILL000001") == JdeOrigin("PO:00001:4041:OP", None)
    ledger.record_target(
        "jde_bill", "bill_voucher", "JDE", "PV:00001:10008:PV", "bill", "00n02ORDERBILL000001", "h"
    )
    origin = bill_origin(ledger, "jde_bill", "00n02ORDERBILL000001")
    assert origin.voucher == Voucher("00001", 10008, "PV") and origin.company == "00001"
    assert bill_origin(ledger, "jde_bill", "00n02NOTFROMJDE00001") is None
    monkeypatch.setenv(POSTING_ENV, "sometimes")
    from connector_resources.settings import SettingError

    with pytest.raises(SettingError, match="ML_JDE_BILL_PAYMENT_POSTING='sometimes'"):
        IT.setting("payment_posting")


def test_a_payment_recorded_into_bill_from_outside_is_not_sent_back_to_jde():
    from connector_assets.flows.documents import Version
    from connector_assets.integrations.jde_bill.payments import payment_records

    class NoLedger:  # an offline payment is dropped before any bill is looked up
        def find_xref_by_target(self, *args, **kwargs):
            raise AssertionError("looked up a bill of a payment JDE already holds")

        def get_xref(self, *args, **kwargs):
            return None  # the scheduled one: never posted, so nothing to reverse either

    recorded = {
        **_payment(("00n02BILL00000000001", "10.00")),
        "singleStatus": "CLEARED",
        "onlinePayment": False,
    }
    scheduled = {**_payment(("00n02BILL00000000001", "10.00")), "singleStatus": "SCHEDULED"}
    versions = [Version("stp1", PAID_ON, recorded, "poll"), Version("stp2", PAID_ON, scheduled, "poll")]
    assert list(payment_records(IT, NoLedger(), None, versions)) == []


class _Bill:
    """BILL as ``read_current`` sees it: payments by id, and lists filtered by bill (or, when that filter
    is refused, by vendor); counts the calls."""

    def __init__(self, payments: list[dict[str, Any]], bill_filter: bool = True) -> None:
        self.payments, self.bill_filter, self.calls = {p["id"]: p for p in payments}, bill_filter, []

    def session(self):
        from contextlib import nullcontext

        return nullcontext(self)

    def get(self, entity: str, record_id: str) -> dict[str, Any]:
        from connector_resources.bill.errors import BillNotFoundError

        self.calls.append(("get", record_id))
        if record_id not in self.payments:
            raise BillNotFoundError(f"no payment {record_id}")
        return self.payments[record_id]

    def iter_records(self, entity: str, filters: list[str]):
        from connector_resources.bill.changes import UnsupportedQuery

        self.calls.append(("list", filters[0]))
        if filters[0].startswith("billId") and not self.bill_filter:
            raise UnsupportedQuery("billId is not a filterable field of payments")
        return iter(self.payments.values())


def test_a_webhook_is_completed_from_bill_and_a_paid_bills_event_reads_its_payments():
    from types import SimpleNamespace

    stamp = "2026-03-02T10:00:00.000+00:00"
    mine = {"id": "stp02P1", "billPayments": [{"billId": "00n02B1", "amount": "5.00"}], "updatedTime": stamp}
    other = {"id": "stp02P2", "billPayments": [{"billId": "00n02B9", "amount": "7.00"}], "updatedTime": stamp}
    event = {"_eventType": "payment.updated", "id": "stp02P1", "status": "CLEARED", "billIds": ["00n02B1"]}
    paid = {"_eventType": "bill.updated", "id": "00n02B1", "vendorId": "009V", "paymentStatus": "PAID"}
    unpaid = {"_eventType": "bill.updated", "id": "00n02B2", "paymentStatus": "UNPAID"}
    gone = {"_eventType": "payment.updated", "id": "stp02GONE"}
    for bill_filter in (True, False):
        bill = _Bill([mine, other], bill_filter)
        context = SimpleNamespace(resources=SimpleNamespace(bill=bill))
        found = read_current(context, [event, paid, unpaid, gone, event])
        assert [[v.document_id for v in versions] for versions in found] == [
            ["stp02P1"],
            ["stp02P1"],
            [],
            [],
            ["stp02P1"],
        ]
        assert found[0][0].record == mine and found[0][0].origin == "read"  # the amounts per bill, from BILL
        assert bill.calls.count(("get", "stp02P1")) == 1  # each payment read once per run
    assert ("list", "vendorId:eq:009V") in bill.calls  # BILL refused the billId filter: by vendor instead


def test_a_payment_voided_after_it_reached_jde_is_raised_once_for_a_person(tmp_path):
    from connector_assets.flows.documents import Version
    from connector_assets.integrations.jde_bill.payments import payment_records

    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    key = "stp02PAYMENT00000001:00n02BILL00000000001"
    ledger.record_target(
        "jde_bill", "payment", "bill", key, "JDE", "00001/10008/PV/stp02PAYMENT00000001", "h"
    )
    voided = {**_payment(("00n02BILL00000000001", "10.00")), "singleStatus": "VOIDED", "onlinePayment": True}
    versions = [Version("stp02PAYMENT00000001", PAID_ON, voided, "poll")]
    [raised] = payment_records(IT, ledger, None, versions)
    assert (
        raised.source_key == key
        and "is now VOIDED in BILL" in raised.reason
        and "void the payment" in raised.reason
    )
    item = queued(ledger, ("jde_bill", "payments", "payment"), key, raised.reason)
    ledger.abandon(item.id, reason="reversed in JDE by AP")
    assert (
        list(payment_records(IT, ledger, None, versions)) == []
    )  # the day's later runs do not raise it again


def test_a_replay_reads_each_vendors_currency_once_however_many_of_its_payments_it_replays(world):
    """Two payments of BILL's own bills queued as refusals, as the flow queued them before such a payment was
    out of its scope: a replay reads each again, their one vendor's currency once, and resolves each as
    skipped (out of scope), not failed again."""
    bills = [world.bill.paid_bill(number, "20.00") for number in ("OWN-1", "OWN-2")]  # not from JDE
    world.bill.clear_payments()
    day = datetime.now(UTC).date().isoformat()
    world.run("bill/payments", partition=day)
    world.run(*FLOW, partition=day)  # out of scope today: the run queues neither
    assert not {f"{payment}:{paid}" for paid, payment in bills} & set(_queue(world.ledger))
    where = ("jde_bill", "payments", "payment")
    said = "the bill did not come from JDE (queued before it was out of scope)"
    items = [queued(world.ledger, where, f"{payment}:{paid}", said) for paid, payment in bills]

    calls = world.bill_state()["calls"]
    replays = build_replays([PAYMENTS], lambda: {k: world.resources[k] for k in ("jde", "bill", "staging")})
    summary = replay_items(world.ledger, items, replays)
    assert sorted(summary.already) == sorted(item.id for item in items) and summary.failed == []
    assert not {item.source_key for item in items} & set(_queue(world.ledger))
    spent = {k: n - calls.get(k, 0) for k, n in world.bill_state()["calls"].items() if n != calls.get(k, 0)}
    # Each payment is read again by id; their one vendor's currency once (``id:in``), not once a payment.
    assert spent == {"GET /connect/v3/payments/{id}": 2, "GET /connect/v3/vendors": 1}
