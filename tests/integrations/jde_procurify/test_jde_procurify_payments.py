"""Procurify payments -> JDE and JDE-paid bills -> Procurify: the pure parts (``payment_mappers``, the paid
voucher and mark rules of ``paid_marks``), then both flows end to end through Dagster on the two simulators
(``jde_procurify_world``), with the bills flow (``bills``) posting the bills the payments pay:

* a payment of a bill not yet in JDE pulls the bill (posted once through the bills flow, in the same run),
  waits for R04110ZA's voucher and is recorded once on it (ML_RecordPayment) by the replay; a rerun skips
  it; a payment that does not add up to its bills is refused with both figures; the payment failing
  afterwards is queued for a person, JDE keeps it;
* a bill whose JDE voucher JDE paid while Procurify has no payment is marked paid once (mark-as-paid), a
  rerun skips it; a posted bill that is not approved in Procurify is queued with its status named.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from jde_money import in_document_currency, payment_of_open_amount
from jde_money import paid as paid_in_jde
from jde_procurify_parts import BILLS_FLOW, FLOWS, PAID_MARKS_FLOW, PAYMENTS_FLOW, bill_dependency
from jde_procurify_world import INTEGRATION, JdeProcurifyWorld, mastered_world
from ledger_entries import audit_ids

from connector_assets.flows.core import Mapped, Rejected, validate
from connector_assets.integrations.jde_procurify.bill_mappers import batch_key
from connector_assets.integrations.jde_procurify.paid_marks import map_mark
from connector_assets.integrations.jde_procurify.payment_mappers import (
    SPLIT_WORDING,
    JournalAccounts,
    PostingRules,
    journal_key,
    map_payment,
    split,
)
from connector_assets.jde.paid_vouchers import PaidVoucher
from connector_assets.jde.posted_documents import PostedDocument

PAYMENT = "c1264f4e207a4faf9c6345fe9bd98e10"
BILL_A = "1bd9644a-df71-434e-bcad-b56363ab2211"
BILL_B = "7f1c2b0e-4d7a-4a77-9c1e-2f0a5b6c9d11"
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
VOUCHERS = PostingRules("voucher", "MLPRCFY", "00001", JournalAccounts(None, None))
JOURNALS = PostingRules("journal", "MLPRCFY", "00001", JournalAccounts("1.4110", "1.1110"))


def a_payment(**changes: Any) -> dict[str, Any]:
    """A public payment as ``/api/public/v1/payments/`` gives it (reference 2.7)."""
    payment = {
        "id": 88,
        "uuid": PAYMENT,
        "amount": "500.80",
        "currency": {"id": 3, "name": "USD"},
        "status": "paid",
        "processing_date": "2026-11-22",
        "posted_date": "2026-11-23",
        "bill_groups": [512],
    }
    payment.update(changes)
    return payment


def a_bill(uuid: str, total: float, **changes: Any) -> dict[str, Any]:
    """A slim bill (``/api/v3/ap/bills/``): a float total (quirk 7), its group and payment."""
    bill = {
        "uuid": uuid,
        "invoice_number": f"INV-{uuid[:4]}",
        "total_cost_with_tax": total,
        "group": 512,
        "payment_uuid": PAYMENT,
    }
    bill.update(changes)
    return bill


def mapped(
    bills: list[dict[str, Any]],
    posted: dict[str, str | None],
    rules=VOUCHERS,
    companies: dict[str, str] | None = None,
    **payment: Any,
):
    return list(map_payment(a_payment(**payment), NOW, bills, posted, rules, bill_dependency, companies))


# -- the payment mapper --------------------------------------------------------------------------------


def test_the_amount_is_split_exactly_or_refused_with_both_figures():
    shares = split(a_payment(), [a_bill(BILL_A, 100.3), a_bill(BILL_B, 400.5)], SPLIT_WORDING)
    assert [(s.bill, s.amount) for s in shares] == [(BILL_A, Decimal("100.30")), (BILL_B, Decimal("400.50"))]
    records = mapped([a_bill(BILL_A, 100.3), a_bill(BILL_B, 400.0)], {BILL_A: "x", BILL_B: "y"})
    assert [type(r) for r in records] == [Rejected, Rejected]
    assert {r.source_key for r in records} == {f"{PAYMENT}:{BILL_A}", f"{PAYMENT}:{BILL_B}"}
    reason = records[0].reason
    assert "is 500.80, but its bills add up to 500.30" in reason and "none of it is posted" in reason
    [none] = mapped([], {})
    assert isinstance(none, Rejected) and "lists no bill of its bill groups (512)" in none.reason
    credit = mapped([a_bill(BILL_A, 540.8), a_bill(BILL_B, -40.0)], {BILL_A: "x", BILL_B: "y"})
    assert all(isinstance(r, Rejected) and "bills of zero or less" in r.reason for r in credit)


def test_each_bill_is_paid_on_its_voucher_from_the_bills_flows_xref():
    batch = batch_key("MLPRCFY", BILL_A)
    posted = {BILL_A: batch.target_id, BILL_B: "00001:10042:PV"}
    by_batch, by_document = mapped([a_bill(BILL_A, 100.3, id=7001), a_bill(BILL_B, 400.5)], posted)
    assert isinstance(by_batch, Mapped) and isinstance(by_document, Mapped)
    assert by_batch.source_key == f"{PAYMENT}:{BILL_A}" and by_batch.depends_on is None
    assert (
        by_batch.body
        == {
            **batch.body(),
            "Payment_Amount": "100.30",
            "Currency_Code": "USD",  # the payment's (its bills name none here)
            "Payment_Date": "2026-11-22",  # the processing date: the day the money left
            "Payment_Reference": "PFY88",
            # What the voucher carries in F0411 (VINV), never sent: found by it once JDE purged batch rows.
            "Voucher_Invoice_Number": f"INV-{BILL_A[:4]}",
            "Voucher_Remark": "Procurify bill 7001",  # as the bills flow wrote the voucher's remark
        }
    )
    assert by_document.body == {
        "Document_Company": "00001",
        "Document_Number": 10042,
        "Document_Type": "PV",
        "Payment_Amount": "400.50",
        "Currency_Code": "USD",
        "Payment_Date": "2026-11-22",
        "Payment_Reference": "PFY88",
    }
    assert validate(PAYMENTS_FLOW, [by_batch, by_document]).rejected == []


def test_a_payment_is_sent_in_its_bills_currency_with_that_currencys_decimals():
    euro = {"id": 2, "name": "EUR", "rate": "0.9210"}
    posted = {BILL_A: "00001:10041:PV", BILL_B: "00001:10042:PV"}
    bills = [a_bill(BILL_A, 100.3, currency=euro), a_bill(BILL_B, 400.5, currency=euro)]
    records = mapped(bills, posted, currency={"id": 2, "name": "EUR"})
    assert [(r.body["Currency_Code"], r.body["Payment_Amount"]) for r in records] == [
        ("EUR", "100.30"),
        ("EUR", "400.50"),
    ]
    assert all("Exchange_Rate" not in r.body for r in records)  # Procurify states no rate for a payment
    assert [r.fields["currency"] for r in records] == ["EUR", "EUR"]
    assert validate(PAYMENTS_FLOW, records).rejected == []
    # Yen: whole yen, no decimals; the payment's currency given as a bare id (the reference leaves its
    # nested shape open) is read from the bill.
    yen = {"id": 6, "name": "JPY"}
    [whole] = mapped([a_bill(BILL_A, 135000.0, currency=yen)], posted, amount="135000", currency=6)
    assert isinstance(whole, Mapped) and whole.body["Payment_Amount"] == "135000"
    assert whole.body["Currency_Code"] == "JPY" and validate(PAYMENTS_FLOW, [whole]).rejected == []
    [journal] = list(
        map_payment(
            a_payment(amount="135000", currency=yen), NOW, [a_bill(BILL_A, 135000.0, currency=yen)],
            {BILL_A: "00001:10041:PV"}, JOURNALS, bill_dependency,
        )
    )  # fmt: skip
    assert journal.body["Currency_Code"] == "JPY"
    assert [line["Amount"] for line in journal.body["Lines"]] == ["135000", "-135000"]
    [fractions] = mapped([a_bill(BILL_A, 135000.5, currency=yen)], posted, amount="135000.50", currency=yen)
    assert isinstance(fractions, Rejected)
    assert "Procurify payment 88" in fractions.reason and f"of bill INV-{BILL_A[:4]}" in fractions.reason
    assert "the payment amount: the amount 135000.50 has more decimals than JPY has" in fractions.reason
    # A payment in another currency than its bill's cannot be recorded on the bill's voucher.
    [mismatch] = mapped([a_bill(BILL_A, 500.8, currency=euro)], posted)
    assert isinstance(mismatch, Rejected)
    assert "the payment is in USD but the bill is in EUR" in mismatch.reason


def test_a_bill_not_posted_yet_holds_its_payment_on_the_bill():
    [held] = mapped([a_bill(BILL_A, 500.8)], {BILL_A: None})
    assert isinstance(held, Mapped)
    assert held.depends_on == f"jde_procurify:bill:procurify:{BILL_A}" == BILLS_FLOW.dependency_key(BILL_A)
    assert validate(PAYMENTS_FLOW, [held]).rejected == []  # a valid record, held by the kit, not refused
    [odd] = mapped([a_bill(BILL_A, 500.8)], {BILL_A: "not a jde key"})
    assert isinstance(odd, Rejected) and "names no JDE voucher or batch" in odd.reason


def test_a_journal_payment_whose_bill_batch_jde_purged_is_refused_never_posted_in_a_guessed_company():
    """R09110Z's "purge processed transactions" deletes the bill's journal batch rows once posted: the company
    they named is gone, and the default company is no reading of it."""
    [refused] = mapped(
        [a_bill(BILL_A, 100.3)],
        {BILL_A: batch_key("MLPRCFY", BILL_A).target_id},
        JOURNALS,
        {BILL_A: ""},  # no batch rows left (``PostedDocument.batch_company``)
        amount="100.30",
    )
    assert isinstance(refused, Rejected)
    assert "no longer in JDE's F0911Z1" in refused.reason
    assert "not posted to another company" in refused.reason


def test_a_journal_entry_balances_with_keys_from_the_two_uuids():
    assert PostedDocument.parse("MLPRCFY/PFY0A5B6C9D11/7F1C2B0E4D7A4A779C1E2F").batch is not None
    [entry] = mapped(
        [a_bill(BILL_A, 100.3)],
        {BILL_A: batch_key("MLPRCFY", BILL_A).target_id},
        JOURNALS,
        {BILL_A: "00020"},  # the company of the bill's batch rows
        amount="100.30",
    )
    assert isinstance(entry, Mapped)
    key = journal_key("MLPRCFY", PAYMENT, BILL_A)
    assert (key.batch, key.transaction) == ("PMTC1264F4E207A", "BILL1BD9644ADF71434EBC")
    assert len(key.batch) <= 15 and len(key.transaction) <= 22
    assert key.batch != batch_key("MLPRCFY", BILL_A).batch  # never a bill batch's key
    body = entry.body
    assert (body["Company"], body["GL_Date"], body["EDI_Batch_Number"]) == ("00020", "2026-11-22", key.batch)
    assert [(line["Account"], line["Amount"]) for line in body["Lines"]] == [
        ("1.4110", "100.30"),
        ("1.1110", "-100.30"),
    ]
    refused = PostingRules("journal", "MLPRCFY", "00001", JournalAccounts(None, "1.1110", "account 1.9999 …"))
    [no] = mapped([a_bill(BILL_A, 500.8)], {BILL_A: "00001:10042:PV"}, rules=refused)
    assert isinstance(no, Rejected) and "cannot be a journal entry: account 1.9999" in no.reason


# -- paid marks, pure ----------------------------------------------------------------------------------


def test_a_mark_is_sent_for_an_approved_bill_without_payment_only():
    voucher = PaidVoucher(("00001", 10042, "PV"), date(2026, 11, 23))
    mark = map_mark(BILL_A, voucher, {"status": 2, "payment_uuid": None})
    assert isinstance(mark, Mapped)
    assert mark.body == {"bill_uuids": [BILL_A], "payment_date": "2026-11-23"}
    assert validate(PAID_MARKS_FLOW, [mark]).rejected == []
    assert map_mark(BILL_A, voucher, {"status": 6, "payment_uuid": PAYMENT}) is None  # Procurify pays it
    assert isinstance(map_mark(BILL_A, voucher, {"status": 4}), Mapped)  # Paid already: adopted on write
    refused = map_mark(BILL_A, voucher, {"status": 1, "invoice_number": "INV-1"})
    assert isinstance(refused, Rejected)
    assert "JDE paid its voucher 00001:10042:PV on 2026-11-23, but the bill is Confirmed" in refused.reason


# -- end to end ----------------------------------------------------------------------------------------

BILLS = ("procurify/bills", "jde_procurify/bills_mapped", "jde_procurify/bills_written")
PAYMENTS = ("procurify/payments", "jde_procurify/payments_mapped", "jde_procurify/payments_written")
MARKS = ("jde/ap_ledger", "jde_procurify/paid_marks_mapped", "jde_procurify/paid_marks_written")


class Desk:
    """The two sides' people: Procurify's AP clerk (bills approved, paid) and JDE's payment run."""

    def __init__(self, world: JdeProcurifyWorld) -> None:
        self.world = world

    def approved_bill(self, currency: str | None = None) -> dict[str, Any]:
        """An expense bill entered now and approved (in ``currency``: a vendor Procurify keeps in it), its
        vendor paired with a JDE supplier."""
        return self.world.approved_bill(currency)

    def pay(self, bill: dict[str, Any], amount: str | None = None) -> dict[str, Any]:
        """The AP clerk pays the bill in Procurify (one payment, its own group), status paid."""
        body: dict[str, Any] = {"bill_uuids": [bill["uuid"]], "status": "paid"}
        if amount is not None:
            body["amount"] = amount
        return self.world._operator("payments", body)

    def voucher(self, bill: dict[str, Any]) -> dict[str, Any]:
        """The F0411 voucher R04110ZA made of the bill's batch (its first pay item, as stored)."""
        return self.world.bill_voucher(bill["uuid"])

    def replay(self, flow: str, declared: Any) -> None:
        self.world.replay_queued(flow, declared)

    def jde_pays(self, *bills: dict[str, Any]) -> None:
        """JDE's own payment run pays the bills' vouchers in full (``JdeProcurifyWorld.jde_pays``)."""
        self.world.jde_pays(*(bill["uuid"] for bill in bills))


world = mastered_world("jde_procurify_payments")


@pytest.fixture(scope="module")
def desk(world: JdeProcurifyWorld) -> Desk:
    return Desk(world)


def _item(world: JdeProcurifyWorld, flow: str, key: str):
    [item] = [i for i in world.ledger.open_items(integration=INTEGRATION, flow=flow) if i.source_key == key]
    return item


def test_a_payment_of_a_bill_never_posted_pulls_the_bill_then_is_recorded_once(world, desk):
    bill = desk.approved_bill()
    paid = desk.pay(bill)
    key = f"{paid['payment_uuid']}:{bill['uuid']}"
    reference = f"PFY{paid['payment_id']}"
    batch = batch_key("MLPRCFY", bill["uuid"]).target_id

    # Paid in Procurify before the bill reached JDE: the payments run (the bills flow not in it) posts the
    # bill through the bills flow, once, then maps the payment again; it waits for R04110ZA's voucher.
    meta = world.run(*PAYMENTS)
    mapped, written = meta["jde_procurify/payments_mapped"], meta["jde_procurify/payments_written"]
    assert mapped["held"] >= 1 and written["parents_missing"] == written["parents_left"] == 0
    assert written["parents_pulled"] >= 1 and written["written_after_pull"] >= 1
    posted = audit_ids(world.ledger, INTEGRATION, "bills", "create")
    assert bill["uuid"] in posted and len(posted) == len(set(posted)) == written["parents_pulled"]
    assert world.xrefs("bill")[bill["uuid"]] == batch
    held = _item(world, "payments", key)
    assert (held.status, held.depends_on) == ("held", f"JDE:voucher_batch:F0411Z1:{batch}"), held.reason
    assert written.get("create", 0) == 0 and world.jde_payments(reference) == []
    assert not [
        i
        for i in world.ledger.open_items(integration=INTEGRATION, flow="payments")
        if i.depends_on and i.depends_on.startswith(bill_dependency(""))
    ], "no payment waits for a bill Procurify has"

    # The bills flow's own run finds the bill posted: nothing sent twice.
    assert world.run(*BILLS)["jde_procurify/bills_written"].get("create", 0) == 0
    assert audit_ids(world.ledger, INTEGRATION, "bills", "create") == posted

    # R04110ZA makes the voucher, the replay records the payment on it once.
    world.process_vouchers()
    voucher = desk.voucher(bill)
    desk.replay("payments", FLOWS["payments"])
    [recorded] = world.jde_payments(reference)
    total = Decimal(str(bill["total_cost_with_tax"])).quantize(Decimal("0.01"))
    assert (recorded["kco"].strip(), int(recorded["doc"])) == (voucher["KCO"].strip(), int(voucher["DOC"]))
    assert paid_in_jde(recorded) == total  # in the bill's currency: the sandbox's vendors bill in five
    assert str(recorded.get("currency") or voucher["CRCD"]).strip() == bill["currency"]["name"]
    target = f"{voucher['KCO'].strip()}/{int(voucher['DOC'])}/PV/{reference}/{recorded['payment_number']}"
    assert world.xrefs("payment")[key] == target
    assert world.queue("payments").get(key) is None
    after = desk.voucher(bill)
    assert (int(after["AAP"]), after["PST"]) == (0, "P")

    # A rerun of the day skips it; JDE holds one payment.
    again = world.run(*PAYMENTS)["jde_procurify/payments_written"]
    assert again.get("create", 0) == 0 and again["skip"] >= 1, again
    assert len(world.jde_payments(reference)) == 1

    # The payment fails in Procurify afterwards: a person is asked to void it in JDE, JDE keeps it.
    world._operator(f"payments/{paid['payment_uuid']}/status", {"status": "failed"})
    world.run(*PAYMENTS)
    reason = world.queue("payments")[key]
    assert f"is now failed in Procurify, but JDE holds it as {target}" in reason
    assert len(world.jde_payments(reference)) == 1

    # The voucher JDE shows paid came from Procurify's own payment: no mark-as-paid for it.
    marks = world.run(*MARKS)["jde_procurify/paid_marks_mapped"]
    assert bill["uuid"] not in world.mapped_keys("jde_procurify/paid_marks_mapped"), marks


def test_a_payment_on_a_batch_r04110za_has_not_processed_is_held_then_written_by_the_next_run(world, desk):
    """The bill's voucher batch is in JDE but the Batch Voucher Processor has not run: the payment is held
    on the batch (never failed), and the first run after R04110ZA has made the voucher records it. A euro
    and a yen bill's payments likewise, each recorded in JDE in its bill's currency: the foreign voucher's
    currency amount (ACR, to the cent and to the yen) paid off in full (FAP 0)."""
    bill = desk.approved_bill()
    euro, yen = desk.approved_bill("EUR"), desk.approved_bill("JPY")
    world.run(*BILLS)  # the bills' voucher batches, unprocessed (EDSP 0)
    paid = desk.pay(bill)
    key, reference = f"{paid['payment_uuid']}:{bill['uuid']}", f"PFY{paid['payment_id']}"
    batch = batch_key("MLPRCFY", bill["uuid"]).target_id
    foreign = {desk.pay(b)["payment_id"]: b for b in (euro, yen)}

    written = world.run(*PAYMENTS)["jde_procurify/payments_written"]
    item = _item(world, "payments", key)
    assert (item.status, item.depends_on) == ("held", f"JDE:voucher_batch:F0411Z1:{batch}"), item.reason
    assert f"Batch Voucher Processor (R04110ZA) turns voucher batch {batch}" in item.reason
    assert written["held"] >= 3 and item.attempts == 0
    assert world.jde_payments(reference) == []

    world.process_vouchers()
    again = world.run(*PAYMENTS)["jde_procurify/payments_written"]
    assert again["create"] >= 3, again
    assert world.queue("payments").get(key) is None
    assert len(world.jde_payments(reference)) == 1
    assert "fail" not in [e.action for e in world.ledger.history(key)]
    for payment_id, paid_bill in foreign.items():
        currency = paid_bill["currency"]["name"]
        total = Decimal(str(paid_bill["total_cost_with_tax"]))
        assert total == total.quantize(Decimal("1" if currency == "JPY" else "0.01"))  # whole yen
        [recorded] = world.jde_payments(f"PFY{payment_id}")
        voucher = desk.voucher(paid_bill)
        assert voucher["CRCD"].strip() == currency and in_document_currency(voucher) == total, voucher
        assert paid_in_jde(recorded) == total and str(recorded["currency"]).strip() == currency, recorded
        if str(voucher.get("CRRM")).strip() == "F":  # the company keeps another currency: paid in ACR's
            assert (int(voucher["FAP"]), int(voucher["AAP"]), voucher["PST"]) == (0, 0, "P"), voucher


def test_a_payment_that_does_not_add_up_to_its_bills_is_refused_with_both_figures(world, desk):
    bill = desk.approved_bill()
    paid = desk.pay(bill, amount="1.00")
    world.run(*BILLS)
    world.run(*PAYMENTS)
    reason = world.queue("payments")[f"{paid['payment_uuid']}:{bill['uuid']}"]
    total = Decimal(str(bill["total_cost_with_tax"])).quantize(Decimal("0.01"))
    assert f"is 1.00, but its bills add up to {total}" in reason
    assert world.jde_payments(f"PFY{paid['payment_id']}") == []


def test_a_bill_jde_paid_is_marked_paid_in_procurify_once(world, desk):
    bill, unapproved = desk.approved_bill(), desk.approved_bill()
    world.run(*BILLS)
    world.process_vouchers()
    desk.jde_pays(bill, unapproved)
    world.bill_status(unapproved["uuid"], 1)  # sent back to Confirmed in Procurify meanwhile

    written = world.run(*MARKS)["jde_procurify/paid_marks_written"]
    assert written["create"] == 1, written
    assert world.procurify_record("bills", bill["uuid"])["api"]["status"] == 4
    assert world.xrefs("bill_paid")[bill["uuid"]] == bill["uuid"]
    reason = world.queue("paid_marks")[unapproved["uuid"]]
    assert "but the bill is Confirmed in Procurify" in reason
    calls = world.procurify_state()["calls"]["POST /api/v3/ap/bills/mark-as-paid/"]

    again = world.run(*MARKS)["jde_procurify/paid_marks_written"]
    assert again.get("create", 0) == 0 and again["skip"] == 1, again
    assert world.procurify_state()["calls"]["POST /api/v3/ap/bills/mark-as-paid/"] == calls


def test_with_journal_posting_a_payment_is_one_balanced_journal_entry_in_the_bills_company(
    world, desk, monkeypatch
):
    monkeypatch.setenv("ML_JDE_PROCURIFY_BILL_POSTING", "journal")
    bill = desk.approved_bill()
    world.run(*BILLS)  # the bill posted as a journal entry (F0911Z1, the AP credit)
    bill_key = batch_key("MLPRCFY", bill["uuid"])
    assert world.xrefs("bill")[bill["uuid"]] == bill_key.target_id
    [company] = {
        r["KCO"].strip() for r in world.jde_rows("F0911Z1", EDUS="MLPRCFY", EDTN=bill_key.transaction)
    }
    paid = desk.pay(bill)

    world.run(*PAYMENTS)
    key = journal_key("MLPRCFY", paid["payment_uuid"], bill["uuid"])
    rows = world.jde_rows("F0911Z1", EDUS=key.user, EDBT=key.batch, EDTN=key.transaction)
    total = Decimal(str(bill["total_cost_with_tax"])).quantize(Decimal("0.01"))
    assert sorted(in_document_currency(r, "AA") for r in rows) == [-total, total]
    assert {r["CRCD"].strip() for r in rows} == {bill["currency"]["name"]}
    assert {r["KCO"].strip() for r in rows} == {company}
    assert sorted(r["ANI"].strip() for r in rows) == ["1.1110", "1.4110"]
    assert world.xrefs("payment")[f"{paid['payment_uuid']}:{bill['uuid']}"] == key.target_id

    again = world.run(*PAYMENTS)["jde_procurify/payments_written"]
    assert again.get("create", 0) == 0 and again["skip"] >= 1, again
    assert len(world.jde_rows("F0911Z1", EDUS=key.user, EDBT=key.batch, EDTN=key.transaction)) == 2


def test_a_bill_whose_read_keeps_timing_out_is_queued_naming_it_and_the_others_are_marked(world, desk):
    """A per-record Procurify read that still fails after the retries queues that bill only."""
    stuck, fine = desk.approved_bill(), desk.approved_bill()
    world.run(*BILLS)
    world.process_vouchers()
    desk.jde_pays(stuck, fine)
    detail = f"/api/v2/ap/bills/{stuck['uuid']}"
    try:
        world.procurify_faults(fail_next=1000, fail_next_status=504, fail_next_path_prefix=detail)
        world.run(*MARKS)  # the day succeeds: only one bill's own read failed
        reason = world.queue("paid_marks").get(stuck["uuid"], "")
        assert f"bill {stuck['uuid']}" in reason and "ML_PROCURIFY_MAX_ATTEMPTS" in reason, reason
        assert world.procurify_record("bills", fine["uuid"])["api"]["status"] == 4
        assert world.procurify_record("bills", stuck["uuid"])["api"]["status"] == 2
    finally:
        world.procurify_faults(fail_next=0, fail_next_path_prefix=None)
    desk.replay("paid_marks", FLOWS["paid_marks"])
    assert world.queue("paid_marks").get(stuck["uuid"]) is None, world.queue("paid_marks")
    assert world.procurify_record("bills", stuck["uuid"])["api"]["status"] == 4


def _payment_recorded_with_its_answer_lost(world, desk) -> tuple[str, str, dict]:
    """A paid bill whose payment JDE recorded through an attempt whose answer (and claim) were lost: its
    ledger key, its reference and its JDE voucher."""
    bill = desk.approved_bill()
    world.run(*BILLS)
    world.process_vouchers()
    paid = desk.pay(bill)
    key, reference = f"{paid['payment_uuid']}:{bill['uuid']}", f"PFY{paid['payment_id']}"
    voucher = desk.voucher(bill)
    document = PostedDocument.parse(f"{voucher['KCO'].strip()}:{int(voucher['DOC'])}:PV")
    amount = f"{Decimal(str(bill['total_cost_with_tax'])):.2f}"
    inputs, _ = document.payment(amount, datetime.now(UTC).date(), reference)
    # In the voucher's currency, as the flow's JDE target places it (the sandbox's vendors bill in five).
    inputs = {k: v for k, v in inputs.items() if k != "Payment_Amount"} | payment_of_open_amount(voucher)
    with world.resources["jde"].session() as session:  # the attempt whose answer and claim were lost
        session.orchestrate("ML_RecordPayment", inputs)
    return key, reference, voucher


def test_a_payment_jde_holds_already_is_adopted_with_its_number_on_a_jde_answering_4014(world, desk):
    """JDE recorded the payment (an attempt whose answer, and claim, were lost) and
    answers a repeat with its own code, 4014, not 59AB: the write step reads F0414 after the refusal and
    adopts the payment with JDE's payment number; nothing queued, JDE holds it once."""
    key, reference, voucher = _payment_recorded_with_its_answer_lost(world, desk)
    [recorded] = world.jde_payments(reference)
    world.jde_faults(error_codes={"59AB": "4014"})
    try:
        written = world.run(*PAYMENTS)["jde_procurify/payments_written"]
    finally:
        world.jde_faults(error_codes={})
    assert written["adopt"] >= 1, written  # (the module's earlier payments may still fail: not this one)
    assert world.xrefs("payment")[key].endswith(f"/{reference}/{recorded['payment_number']}")
    assert world.queue("payments").get(key) is None
    assert len(world.jde_payments(reference)) == 1


def test_a_repeat_adopted_where_f0414_cannot_be_read_says_what_is_kept_and_keeps_it(world, desk):
    """The same repeat on a JDE whose AIS user may not read F0414: JDE's 4014 carries no payment number and
    no other documented read gives it, so the ledger keeps voucher and reference, the audit says so and why,
    and the id stays the same when F0414 becomes readable again."""
    key, reference, voucher = _payment_recorded_with_its_answer_lost(world, desk)
    world.jde_faults(error_codes={"59AB": "4014"}, refuse_tables=["F0414"])
    try:
        world.run(*PAYMENTS)
    finally:
        world.jde_faults(error_codes={}, refuse_tables=[])
    kept = f"{voucher['KCO'].strip()}/{int(voucher['DOC'])}/PV/{reference}"
    assert world.xrefs("payment")[key] == kept
    [adopted] = [e for e in world.ledger.history(key) if e.action == "adopt"]
    assert adopted.target_id == kept
    assert f"Kept as {kept}, without JDE's payment number" in adopted.reason
    assert "F0414, where JDE keeps it, could not be read" in adopted.reason
    assert world.queue("payments").get(key) is None and len(world.jde_payments(reference)) == 1

    world.run(*PAYMENTS)  # F0414 readable again: the id the ledger keeps does not change
    assert world.xrefs("payment")[key] == kept
    assert len(world.jde_payments(reference)) == 1


def _voucher_by_remark(world: JdeProcurifyWorld, bill: dict[str, Any]) -> dict[str, Any]:
    """The bill's F0411 voucher found as a person would once the batch rows are gone: by its remark."""
    remark = f"Procurify bill {bill['id']}"
    [item] = [r for r in world.jde_rows("F0411", VINV=bill["invoice_number"]) if r["RMK"].strip() == remark]
    return item


# Last in the module: the purge deletes every processed batch of the module's world.
@pytest.mark.parametrize("purge", ["on_processing", "r0411z1p"])
def test_a_bill_jde_paid_after_purging_its_batch_rows_is_marked_paid_once(world, desk, purge):
    """R04110ZA's "purge processed transactions" (or R0411Z1P later) deletes the bill's F0411Z1 rows: the
    paid voucher is mapped back to its bill by the remark, invoice number and supplier it carries in F0411,
    and the bill is marked paid once, as at a site that keeps the rows; a rerun and a replay mark nothing."""
    bill = desk.approved_bill()
    world.run(*BILLS)
    world.process_and_purge(purge)
    assert world.batch_rows("F0411Z1", bill["uuid"]) == []
    world.jde_pays_vouchers(_voucher_by_remark(world, bill))
    calls = world.procurify_state()["calls"].get("POST /api/v3/ap/bills/mark-as-paid/", 0)

    written = world.run(*MARKS)["jde_procurify/paid_marks_written"]
    assert written["create"] == 1, written
    assert world.procurify_record("bills", bill["uuid"])["api"]["status"] == 4
    assert world.xrefs("bill_paid")[bill["uuid"]] == bill["uuid"]
    assert world.procurify_state()["calls"]["POST /api/v3/ap/bills/mark-as-paid/"] == calls + 1

    again = world.run(*MARKS)["jde_procurify/paid_marks_written"]
    assert again.get("create", 0) == 0, again
    assert world.procurify_state()["calls"]["POST /api/v3/ap/bills/mark-as-paid/"] == calls + 1
