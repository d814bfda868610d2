"""Which JDE voucher a Coupa Pay payment is recorded on, when R04110ZA does or does not write back DOC.

The reference only says the Batch Voucher Processor sets ``EDSP = 1`` on the rows it processed; a server
that leaves the batch row's document number blank must still get its payments recorded, on the voucher
found in F0411 by supplier and invoice number.
"""

from typing import Any

import pytest

from connector_assets.components import CoupaJde
from connector_assets.flows.core import Mapped
from connector_assets.integrations.coupa_jde.batch_keys import DEFAULT_BATCH_USER, BatchKey
from connector_assets.integrations.coupa_jde.own import Own
from connector_assets.integrations.coupa_jde.payments import VoucherPayments
from connector_assets.jde.targets import VoucherBatches, VoucherChanged, VoucherNotReady

OWN = Own.of(CoupaJde())  # the default Coupa -> JDE instance


class Session:
    """Answers browses from fixed rows per table and keeps the conditions it was asked."""

    def __init__(self, tables: dict[str, list[dict[str, Any]]]) -> None:
        self.tables = tables
        self.asked: list[tuple[str, list[tuple[str, str, Any]]]] = []

    def browse(self, table: str, *, columns, conditions) -> list[dict[str, Any]]:
        self.asked.append((table, [(c.column, c.operator, c.value) for c in conditions]))
        return self.tables.get(table, [])


def _payment(invoice_id: str = "77") -> Mapped:
    batch = OWN.batch_key(invoice_id)
    return Mapped(
        source_key=f"9:{invoice_id}",
        body={
            "EDI_User_ID": batch.user,
            "EDI_Batch_Number": batch.batch,
            "EDI_Transaction_Number": batch.transaction,
        },
        fields={"invoice_id": invoice_id},
    )


def _target(tables: dict[str, list[dict[str, Any]]]) -> tuple[VoucherPayments, Session]:
    session = Session(tables)
    return VoucherPayments(session, ledger=None, run_id=None, partition=None), session


def _z1(**row: Any) -> dict[str, Any]:
    return {"EDLN": 1, "EDSP": "1", "KCO": "00001", "DOC": 0, "AN8": 4343, "VINV": "INV-9", **row}


def test_the_document_number_on_the_processed_batch_row_is_used_as_is():
    target, session = _target({"F0411Z1": [_z1(DOC=" 300451 ")]})
    assert target._voucher(_payment()) == ("00001", 300451)
    assert [table for table, _ in session.asked] == ["F0411Z1"]


def test_a_processed_row_without_its_document_number_is_matched_in_f0411_by_supplier_and_invoice():
    f0411 = [{"KCO": "00001", "DOC": "300452", "SFX": "001"}, {"KCO": "00001", "DOC": 300452, "SFX": "002"}]
    target, session = _target({"F0411Z1": [_z1(DOC="")], "F0411": f0411})
    assert target._voucher(_payment()) == ("00001", 300452)
    table, conditions = session.asked[-1]
    assert table == "F0411"
    assert ("F0411.AN8", "EQUAL", 4343) in conditions and ("F0411.VINV", "EQUAL", "INV-9") in conditions


@pytest.mark.parametrize(
    ("f0411", "said"),
    [
        ([], "has no voucher for supplier 4343 invoice INV-9"),
        ([{"KCO": "00001", "DOC": 1}, {"KCO": "00001", "DOC": 2}], "has 2 vouchers for supplier 4343"),
    ],
)
def test_no_or_several_f0411_vouchers_leave_the_payment_waiting_saying_so(f0411, said):
    target, _ = _target({"F0411Z1": [_z1(DOC=None)], "F0411": f0411})
    with pytest.raises(VoucherNotReady, match=said):
        target._voucher(_payment())


def test_an_unprocessed_batch_still_waits_for_r04110za():
    target, _ = _target({"F0411Z1": [_z1(EDSP="0", DOC=300451)]})
    with pytest.raises(VoucherNotReady, match="R04110ZA"):
        target._voucher(_payment())


# -- batch rows purged (R04110ZA's "purge processed transactions", or R0411Z1P) ------------------------


def _marked(invoice_id: str = "77", number: str | None = "INV-9") -> Mapped:
    """The payment as ``map_payment`` makes it: the marks its voucher carries in F0411 beside the key."""
    payment = _payment(invoice_id)
    marks = {"Voucher_Remark": f"Coupa invoice {invoice_id}"}
    if number:
        marks["Voucher_Invoice_Number"] = number
    return Mapped(payment.source_key, {**payment.body, **marks}, payment.fields)


def test_a_purged_batch_finds_its_voucher_in_f0411_by_what_the_voucher_carries():
    voucher = {"KCO": "00001", "DOC": 300460, "SFX": "001", "VINV": "INV-9", "RMK": "Coupa invoice 77 "}
    target, session = _target({"F0411Z1": [], "F0411": [voucher]})
    assert target._voucher(_marked()) == ("00001", 300460)
    table, conditions = session.asked[-1]
    assert table == "F0411"
    assert ("F0411.VINV", "EQUAL", "INV-9") in conditions
    assert ("F0411.RMK", "EQUAL", "Coupa invoice 77") in conditions
    assert ("F0411.DCT", "EQUAL", "PV") in conditions


def test_a_voucher_of_another_remark_is_never_taken_for_the_purged_batchs():
    other = {"KCO": "00001", "DOC": 300461, "VINV": "INV-9", "RMK": "Coupa invoice 78"}
    target, _ = _target({"F0411Z1": [], "F0411": [other]})
    with pytest.raises(VoucherNotReady, match="not in JDE's F0411Z1.*no voucher for invoice INV-9"):
        target._voucher(_marked())


def test_a_purged_batch_of_a_payment_carrying_no_marks_waits_saying_why():
    target, session = _target({"F0411Z1": [], "F0411": [{"KCO": "00001", "DOC": 1}]})
    with pytest.raises(VoucherNotReady, match="carries nothing the voucher carries"):
        target._voucher(_payment())
    assert [table for table, _ in session.asked] == ["F0411Z1"]


def test_the_coupa_payment_carries_its_vouchers_marks():
    from datetime import UTC, datetime

    from connector_assets.integrations.coupa_jde.payments import map_payment

    payment = {
        "id": 9,
        "created-at": "2025-03-01T10:00:00Z",
        "payment-details": [
            {"source-transaction-id": "77", "source-transaction-reference": "INV-9", "payment-total": "10.00"}
        ],
    }
    (record,) = map_payment(payment, datetime(2025, 3, 1, tzinfo=UTC), OWN)
    assert record.body["Voucher_Remark"] == "Coupa invoice 77"
    # Under the setting's default batch user, the transaction number every deployment has written.
    assert BatchKey.of_body(record.body) == BatchKey(DEFAULT_BATCH_USER, "CP77", "COUPA-INV-77")
    assert record.body["Voucher_Invoice_Number"] == "INV-9"


# -- a voucher batch written by an earlier attempt, processed and purged before the retry ------------------


def _voucher_record(invoice_id: str = "77") -> Mapped:
    batch = OWN.batch_key(invoice_id)
    body = {**batch.body(), "Company": "00001", "Supplier": 4343, "Invoice_Number": "INV-9"}
    return Mapped(invoice_id, {**body, "Remark": f"Coupa invoice {invoice_id}"}, {})


def _batches(tables: dict[str, list[dict[str, Any]]]) -> VoucherBatches:
    return VoucherBatches(Session(tables), ledger=None, run_id=None, partition=None)


def test_a_purged_batch_whose_voucher_f0411_holds_is_adopted_not_written_twice():
    voucher = {"KCO": "00001", "DOC": 300470, "AN8": 4343, "VINV": "INV-9", "RMK": "Coupa invoice 77"}
    record = _voucher_record()
    assert (
        _batches({"F0411Z1": [], "F0411": [voucher]})._adoptable(record)
        == BatchKey.of_body(record.body).target_id
    )


def test_a_purged_batch_is_not_taken_for_a_voucher_of_another_remark_or_one_never_written():
    hand_keyed = {"KCO": "00001", "DOC": 300471, "AN8": 4343, "VINV": "INV-9", "RMK": "entered by hand"}
    assert _batches({"F0411Z1": [], "F0411": [hand_keyed]})._adoptable(_voucher_record()) is None
    assert _batches({"F0411Z1": [], "F0411": []})._adoptable(_voucher_record()) is None


def test_two_vouchers_carrying_the_purged_batchs_marks_are_a_persons_to_sort_out():
    twins = [
        {"KCO": "00001", "DOC": d, "AN8": 4343, "VINV": "INV-9", "RMK": "Coupa invoice 77"} for d in (1, 2)
    ]
    with pytest.raises(VoucherChanged, match="2 vouchers of supplier 4343 invoice INV-9"):
        _batches({"F0411Z1": [], "F0411": twins})._adoptable(_voucher_record())


def test_a_purged_batch_is_never_looked_for_by_invoice_number_alone():
    """Another supplier's voucher may carry the same invoice number; only our remark names the document."""
    payment = _payment()
    by_number = Mapped(
        payment.source_key, {**payment.body, "Voucher_Invoice_Number": "INV-9"}, payment.fields
    )
    target, session = _target({"F0411Z1": [], "F0411": [{"KCO": "00009", "DOC": 5, "VINV": "INV-9"}]})
    with pytest.raises(VoucherNotReady, match="the remark naming its source document"):
        target._voucher(by_number)
    assert [table for table, _ in session.asked] == ["F0411Z1"]
