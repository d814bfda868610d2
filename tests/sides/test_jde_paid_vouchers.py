"""The JDE side's reading of paid vouchers (``connector_assets.jde.paid_vouchers``) and of a posted
document's key (``connector_assets.jde.posted_documents``). Moved from the JD Edwards <-> Procurify
payments tests."""

from datetime import date
from decimal import Decimal

from connector_assets.jde.paid_vouchers import PaidVoucher, paid_today, paid_voucher
from connector_assets.jde.posted_documents import PostedDocument


def test_a_voucher_is_paid_when_every_pay_item_is_p_with_nothing_open():
    key = ("00001", 10042, "PV")
    paid = [
        {"PST": "P", "AAP": Decimal("0"), "UPMJ": date(2026, 11, 20)},
        {"PST": "P", "AAP": 0, "UPMJ": date(2026, 11, 23)},
    ]
    assert paid_voucher(key, paid) == PaidVoucher(key, date(2026, 11, 23))
    assert paid_voucher(key, [*paid, {"PST": "A", "AAP": Decimal("5.00"), "UPMJ": date(2026, 11, 1)}]) is None
    voided = [{"PST": "V", "AAP": 0, "UPMJ": date(2026, 11, 23)}]  # nothing open, but not paid
    assert paid_voucher(key, voided) is None
    rows = [{"KCO": "00001", "DOC": 7, "DCT": "PV", "PST": "P"}, {"KCO": "00001", "DOC": 8, "PST": "A"}]
    assert paid_today(rows) == [("00001", 7, "PV")]


def test_a_posted_document_is_a_document_key_or_a_batch_key_and_a_payment_names_it_so():
    document = PostedDocument.parse("00001:10042:")
    assert (document.company, document.number, document.doc_type, document.batch) == (
        "00001",
        10042,
        "PV",
        None,
    )
    body, keys = document.payment("12.50", "2026-11-23", "PFY88")
    assert (
        body["Document_Number"] == 10042
        and keys["voucher_number"] == "10042"
        and keys["batch_number"] is None
    )
    batch = PostedDocument.parse("MLPRCFY/PFY0A5B6C9D11/7F1C2B0E4D7A4A779C1E2F")
    body, keys = batch.payment("12.50", "2026-11-23", "PFY88")
    assert body["EDI_Batch_Number"] == "PFY0A5B6C9D11" and "Document_Number" not in body
    assert keys == {
        "company": None,
        "voucher_number": None,
        "batch_number": "PFY0A5B6C9D11",
        "transaction_number": "7F1C2B0E4D7A4A779C1E2F",
    }
    assert PostedDocument.parse("JDE-V-10442") is None
