"""Posting a payment to JDE (``jde/payment_postings.py``): the voucher it pays, the two bodies with their
record columns, where a record came from in JDE and a posting to reverse by hand."""

from decimal import Decimal

import pandas as pd

from connector_assets.jde.payment_postings import (
    JdeOrigin,
    JdePostingRecord,
    JournalAccounts,
    Voucher,
    jde_origin,
    journal_key,
    payment_journal,
    posted_to_reverse,
    voucher_payment,
)
from connector_resources.ledger import Ledger


def test_a_voucher_key_is_read_from_a_source_key_and_paid_by_record_payment():
    assert Voucher.of_key("PV:00001:10008:PV") == Voucher("00001", 10008, "PV")
    assert Voucher.of_key("PO:00001:4041:OP") is None and Voucher.of_key("PV:00001:x:PV") is None
    posting = voucher_payment(Voucher("00001", 10008, "PV"), Decimal("12.5"), "2026-01-31", "stp02P1")
    assert posting.body["Payment_Amount"] == "12.50" and posting.body["Document_Number"] == 10008
    assert posting.fields["posting"] == "voucher" and posting.fields["voucher_number"] == "10008"
    assert posting.natural_key == {"voucher": "00001 10008 PV", "Payment_Reference": "stp02P1"}
    JdePostingRecord.validate(pd.DataFrame([posting.fields]))


def test_a_journal_debits_and_credits_the_amount_under_keys_from_the_ids_alone():
    batch = journal_key("MLTEST", "00n02ABCDEFGHIJKLMNOPQRS", "stp02P1")
    assert (batch.user, batch.batch, batch.transaction) == ("MLTEST", "EFGHIJKLMNOPQRS", "stp02P1")
    accounts = JournalAccounts("1.4310", "1.1110")
    posting = payment_journal(
        batch, "stp02P1", "00001", "2026-01-31", Decimal(80), accounts, ("pmt " * 10, "doc")
    )
    debit, credit = posting.body["Lines"]
    assert (debit["Account"], debit["Amount"], credit["Account"], credit["Amount"]) == (
        "1.4310", "80.00", "1.1110", "-80.00"
    )  # fmt: skip
    assert len(posting.body["Explanation"]) == 30 and posting.natural_key == {"target_id": batch.target_id}
    JdePostingRecord.validate(pd.DataFrame([posting.fields]))


def test_where_a_record_came_from_and_a_posting_to_reverse(tmp_path):
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    ledger.record_target("toy", "doc", "JDE", "PO:00001:4041:OP", "x", "X1", "h")
    assert jde_origin(ledger, "toy", "doc", "link", "x", "X1") == JdeOrigin("PO:00001:4041:OP", None)
    ledger.record_target("toy", "link", "JDE", "PV:00001:10008:PV", "x", "X1", "h")
    origin = jde_origin(ledger, "toy", "doc", "link", "x", "X1")
    assert origin.voucher == Voucher("00001", 10008, "PV") and origin.company == "00001"
    assert jde_origin(ledger, "toy", "doc", "link", "x", "X2") is None

    assert posted_to_reverse(ledger, "toy", "payment", "x", "P1:X1") is None
    ledger.record_target("toy", "payment", "x", "P1:X1", "JDE", "00001/10008/PV/P1", "h")
    assert posted_to_reverse(ledger, "toy", "payment", "x", "P1:X1") == "00001/10008/PV/P1"
    item = ledger.enqueue(
        integration="toy", flow="payments", entity="payment", source_key="P1:X1", payload={}, reason="void"
    )
    ledger.abandon(item.id, reason="reversed by hand")
    assert posted_to_reverse(ledger, "toy", "payment", "x", "P1:X1") is None
