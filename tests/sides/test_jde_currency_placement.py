"""Money written to JDE in the document's currency, without any server: the currencies' decimals
(``amounts``), the placement a JDE target applies before each call (``batch_bodies.place_currency``: the
company's currency stays domestic, any other moves to ``Currency_Amount`` in mode F) checked against the
orchestrations' contracts as the JDE sandbox checks them, the targets reading F0010's currency once, the
Coupa mapper's currency and order reference, and a record written before these inputs existed skipped."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from built_parts import built

from connector_assets.components import CoupaJde
from connector_assets.flows import amounts
from connector_assets.flows.core import Mapped, Rejected, write_one
from connector_assets.flows.records import Unchanged
from connector_assets.integrations.coupa_jde import invoices as coupa
from connector_assets.integrations.coupa_jde.accounts import AccountMap
from connector_assets.integrations.coupa_jde.own import Own
from connector_assets.integrations.coupa_jde.payments import VoucherPayments, map_payment
from connector_assets.jde import batch_bodies as bb
from connector_assets.jde.accounts import GlAccounts
from connector_assets.jde.periods import CompanyCurrencyUnknown
from connector_assets.jde.targets import BatchKey, DocumentPayments, VoucherBatches, VoucherChanged
from connector_resources.ledger import Ledger
from connector_sandbox.jde_ais.contracts import load_contracts, validate_inputs
from connector_sandbox.jde_ais.dates import compile_pattern

CONTRACTS = Path(__file__).resolve().parents[2] / "docs" / "jde_orchestrations"
KEY = BatchKey("MLCOUPA", "CP7", "COUPA-INV-7")
OWN, COUPA_JDE = Own.of(CoupaJde()), built("coupa_jde")  # the default Coupa -> JDE instance
ACCOUNTS = AccountMap({}, OWN.accounts.name)
PAYMENTS_FLOW = COUPA_JDE.flow("payments").spec


CONTRACT = load_contracts(CONTRACTS)
ISO = compile_pattern("yyyy-MM-dd")


def accepted(name: str, payload: dict[str, Any]) -> bool:
    """Whether the JDE sandbox's contract check (the documented inputs, types and decimals) takes it."""
    return bool(validate_inputs(CONTRACT[name], payload, ISO))


def voucher(currency: str, gross: str, lines: list[str], **more: Any) -> dict[str, Any]:
    return bb.voucher_batch_body(
        KEY, company="00001", supplier=4343, invoice_number="INV-7", invoice_date="2026-03-02",
        gl_date="2026-03-02", due_date=None, currency=currency, remark="Coupa invoice 7",
        gross=Decimal(gross), distribution=[bb.LedgerLine("1.8150", Decimal(a), "line") for a in lines],
        **more,
    )  # fmt: skip


def test_each_currency_has_its_own_decimals_and_a_finer_amount_is_refused_not_rounded():
    assert [amounts.minor_units(c) for c in ("JPY", "krw", "EUR", "USD", "KWD", "BHD", None)] == [
        0,
        0,
        2,
        2,
        3,
        3,
        2,
    ]
    assert amounts.money(Decimal("1000"), "JPY") == "1000"
    assert amounts.money(Decimal("12.5"), "EUR") == "12.50"
    assert amounts.money(Decimal("12.345"), "KWD") == "12.345"
    assert amounts.money(Decimal("1.005")) == "1.00"  # no currency: two decimals, as before
    with pytest.raises(
        amounts.CurrencyDecimalsError, match=r"1000\.5 has more decimals than JPY has \(no dec"
    ):
        amounts.money(Decimal("1000.5"), "JPY")
    with pytest.raises(ValueError, match="KWD has \\(3 decimals\\)"):
        amounts.money(Decimal("1.2345"), "KWD")


def test_a_foreign_voucher_goes_in_currency_amount_in_mode_f_and_passes_the_contract():
    order = bb.OrderReference("00001", 4711, "OP")
    placed = bb.place_currency(voucher("EUR", "1000", ["600", "400"], order=order), "USD")
    assert (
        placed["Currency_Mode"] == "F" and placed["Currency_Code"] == "EUR" and "Exchange_Rate" not in placed
    )
    assert placed["Pay_Items"] == [{"EDI_Line_Number": 1, "Currency_Amount": "1000.00"}]
    assert [line["Currency_Amount"] for line in placed["Distribution"]] == ["600.00", "400.00"]
    assert not any(
        "Amount" in line or "Gross_Amount" in line for line in placed["Distribution"] + placed["Pay_Items"]
    )
    assert (placed["Order_Company"], placed["Order_Number"], placed["Order_Type"]) == ("00001", 4711, "OP")
    assert accepted("ML_CreateVoucherBatch", placed)


def test_jpy_has_no_decimals_and_kwd_three_in_the_currency_amount():
    jpy = bb.place_currency(voucher("JPY", "150000", ["150000"]), "USD")
    assert (
        jpy["Pay_Items"][0]["Currency_Amount"] == "150000"
        and jpy["Distribution"][0]["Currency_Amount"] == "150000"
    )
    kwd = bb.place_currency(voucher("KWD", "12.345", ["12.345"]), "USD")
    assert kwd["Pay_Items"][0]["Currency_Amount"] == "12.345"
    for placed in (jpy, kwd):
        assert accepted("ML_CreateVoucherBatch", placed)
    with pytest.raises(amounts.CurrencyDecimalsError):
        voucher("JPY", "1000.50", ["1000.50"])


def test_a_domestic_document_stays_in_mode_d_and_a_stated_rate_is_dropped():
    placed = bb.place_currency(voucher("eur", "10", ["10"], exchange_rate=Decimal("1.0834")), "EUR")
    assert (
        placed["Currency_Mode"] == "D" and placed["Currency_Code"] == "EUR" and "Exchange_Rate" not in placed
    )
    assert (
        placed["Pay_Items"][0]["Gross_Amount"] == "10.00" and placed["Distribution"][0]["Amount"] == "10.00"
    )
    assert accepted("ML_CreateVoucherBatch", placed)
    unnamed = bb.place_currency({**voucher("", "10", ["10"])}, "USD")  # no currency: the company's
    assert (unnamed["Currency_Code"], unnamed["Currency_Mode"]) == ("USD", "D")


def test_a_stated_rate_goes_with_a_foreign_document_and_journals_and_payments_are_placed_alike():
    foreign = bb.place_currency(voucher("EUR", "10", ["10"], exchange_rate=Decimal("1.0834")), "USD")
    assert foreign["Exchange_Rate"] == "1.0834"
    with pytest.raises(bb.ExchangeRateError, match="more than 7 decimals"):
        bb.rate_text(Decimal("1.083412345"))
    journal = bb.transfer_journal_body(
        KEY, company="00001", gl_date="2026-03-02", amount=Decimal("5000"), debit=("1.4110", "Inv 7"),
        credit=("1.1110", "Pay 7"), explanation="Pay 7", currency="JPY",
    )  # fmt: skip
    placed = bb.place_currency(journal, "USD")
    assert placed["Currency_Mode"] == "F" and [r["Currency_Amount"] for r in placed["Lines"]] == [
        "5000",
        "-5000",
    ]
    assert accepted("ML_CreateJournalBatch", placed)
    payment = {
        "Document_Company": "00001", "Document_Number": 10008, "Document_Type": "PV",
        **bb.payment_inputs(Decimal("1000"), currency="EUR", paid_on="2026-03-02", reference="COUPAPAY-1"),
    }  # fmt: skip
    paid = bb.place_currency(payment, "USD")
    assert (paid["Currency_Mode"], paid["Currency_Amount"]) == (
        "F",
        "1000.00",
    ) and "Payment_Amount" not in paid
    assert accepted("ML_RecordPayment", paid)


class RecordingJde:
    """A JDE session that accepts every orchestration (recording its inputs) and answers reads from
    ``rows`` per table (conditions not applied), counting them."""

    def __init__(self, rows: dict[str, list[dict[str, Any]]]) -> None:
        self.rows, self.calls, self.reads = rows, [], []

    def orchestrate(self, name: str, inputs: dict[str, Any]) -> Any:
        self.calls.append((name, inputs))
        return SimpleNamespace(outputs={"Payment_Number": 700001}, warnings=())

    def browse(self, table: str, **query: Any) -> list[dict[str, Any]]:
        self.reads.append(table)
        return self.rows.get(table, [])


def test_the_target_reads_the_companys_currency_once_and_sends_each_document_in_its_own():
    session = RecordingJde({"F0010": [{"CO": "00001", "CRCD": "USD"}]})
    target = VoucherBatches(session, None, None, None)
    target.create(Mapped("7", voucher("EUR", "1000", ["1000"]), {}))
    target.create(Mapped("8", voucher("USD", "5", ["5"]), {}))
    (_, eur), (_, usd) = session.calls
    assert eur["Currency_Mode"] == "F" and eur["Pay_Items"][0] == {
        "EDI_Line_Number": 1,
        "Currency_Amount": "1000.00",
    }
    assert usd["Currency_Mode"] == "D" and usd["Pay_Items"][0]["Gross_Amount"] == "5.00"
    assert session.reads.count("F0010") == 1  # once per session, with the periods
    payment = {
        "Document_Company": "00001", "Document_Number": 10008, "Document_Type": "PV",
        **bb.payment_inputs(Decimal("150000"), currency="JPY", paid_on="2026-03-02", reference="P1"),
    }  # fmt: skip
    DocumentPayments(session, None, None, None).create(Mapped("P1", payment, {}))
    name, paid = session.calls[-1]
    assert name == "ML_RecordPayment" and (paid["Currency_Mode"], paid["Currency_Amount"]) == ("F", "150000")
    assert "Payment_Amount" not in paid and accepted("ML_RecordPayment", paid)


def test_a_company_f0010_gives_no_currency_holds_the_record_and_sends_nothing():
    session = RecordingJde({"F0010": [{"CO": "00001", "CRCD": " "}]})
    with pytest.raises(CompanyCurrencyUnknown, match="JDE company 00001 has no currency in F0010") as held:
        VoucherBatches(session, None, None, None).create(Mapped("7", voucher("EUR", "1", ["1"]), {}))
    assert held.value.depends_on == "JDE:company:F0010:00001" and "INV-7" in held.value.reason
    assert session.calls == []


GL = GlAccounts([{"MCU": "1", "OBJ": "8150", "SUB": "", "CO": "00001", "PEC": ""}])


def coupa_invoice(currency: str, *lines: tuple[str, str | None]) -> dict[str, Any]:
    total = sum((Decimal(amount) for amount, _ in lines), Decimal(0))
    return {
        "id": 7,
        "invoice-number": "INV-7",
        "invoice-date": "2026-03-02T00:00:00Z",
        "currency": {"code": currency},
        "total-with-taxes": f"{total:f}",
        "supplier": {"id": 61, "name": "Granite Supply Co", "number": "4343"},
        "invoice-lines": [
            {
                "line-num": n,
                "description": "gloves",
                "total": amount,
                "account": {"code": "1-8150", "segment-1": "1", "segment-2": "8150"},
                "po-number": po,
            }
            for n, (amount, po) in enumerate(lines, start=1)
        ],
    }


def test_a_coupa_invoice_goes_in_its_currency_and_names_the_one_jde_order_its_lines_bill():
    order = bb.OrderReference("00001", 4711, "OP")
    at = datetime(2026, 3, 2, tzinfo=UTC)
    record = coupa.map_invoice(
        coupa_invoice("JPY", ("150000", "00001-4711-OP")), at, GL, ACCOUNTS, "4343", OWN, order
    )
    assert isinstance(record, Mapped), record
    assert (
        record.body["Pay_Items"][0]["Gross_Amount"] == "150000" and record.fields["gross_amount"] == "150000"
    )
    assert (record.body["Currency_Code"], record.body["Order_Number"], record.body["Order_Type"]) == (
        "JPY",
        4711,
        "OP",
    )
    refused = coupa.map_invoice(coupa_invoice("JPY", ("1000.50", None)), at, GL, ACCOUNTS, "4343", OWN)
    assert isinstance(refused, Rejected)
    assert refused.reason.startswith("invoice 7 (INV-7): amount 1000.50 on account 1.8150 has more decimals")
    assert "currency JPY has (0) (Coupa account 1-8150, line 1)" in refused.reason


def test_the_order_is_named_only_when_the_lines_bill_one_order_jde_to_coupa_created():
    class Ledger:
        def get_xref(self, integration, entity, source, key, target):
            known = {"00001-4711-OP": "501", "00001-4712-OP": "502", "00001-4713-OP": ""}
            assert (integration, entity, source, target) == ("jde_coupa", "purchase order", "JDE", "coupa")
            return SimpleNamespace(target_id=known[key]) if key in known else None

    def order(*pos: str | None) -> bb.OrderReference | None:
        return coupa.invoice_order(Ledger(), coupa_invoice("EUR", *((("1", po)) for po in pos)), OWN)

    assert order("00001-4711-OP", "00001-4711-OP", None) == bb.OrderReference("00001", 4711, "OP")
    assert order("00001-4711-OP", "00001-4712-OP") is None  # several orders: none named
    assert order("PO-1187") is None  # a Coupa order JDE never had
    assert order("00001-4713-OP") is None  # not (yet) in Coupa through the flow


def test_a_coupa_pay_payment_is_in_its_invoices_currency_with_its_decimals():
    payment = {
        "id": 91, "payment-date": "2026-03-05", "pay-to-currency": {"code": "JPY"},
        "payment-details": [
            {"source-transaction-id": "7", "source-transaction-reference": "INV-7",
             "payment-total": "150000"},
            {"source-transaction-id": "8", "source-transaction-reference": "INV-8", "payment-total": "9.5",
             "currency": {"code": "JPY"}},
        ],
    }  # fmt: skip
    good, fractional = list(map_payment(payment, datetime(2026, 3, 5, tzinfo=UTC), OWN))
    assert isinstance(good, Mapped) and (good.body["Payment_Amount"], good.body["Currency_Code"]) == (
        "150000",
        "JPY",
    )
    assert good.fields["currency"] == "JPY"
    assert isinstance(fractional, Rejected) and "9.5 has more decimals than JPY has (0)" in fractional.reason


def test_a_record_written_before_the_new_inputs_is_skipped_unchanged_not_queued_as_changed():
    before = {
        **KEY.body(),
        "Payment_Amount": "80.00",
        "Payment_Date": "2026-01-31",
        "Payment_Reference": "P55",
    }
    written = Mapped("P55", before, {}).content_hash()
    now = Mapped("P55", {**before, "Currency_Code": "USD"}, {"invoice_id": "7"})

    class Target(VoucherBatches):
        def _xref(self, record: Mapped) -> Any:
            return SimpleNamespace(target_id="MLCOUPA/CP7/COUPA-INV-7", content_hash=written)

    kept = Target(RecordingJde({}), None, None, None).update("MLCOUPA/CP7/COUPA-INV-7", now)
    assert isinstance(kept, Unchanged) and "Currency_Code" in kept.reason


def test_a_coupa_payment_recorded_before_payments_named_their_currency_is_skipped_not_changed(tmp_path):
    """A payment ML_RecordPayment took before payment bodies carried ``Currency_Code`` (the mapper's body
    then: batch keys, amount, date, reference) maps today to the same payment plus its currency: the write
    kit skips it, keeping the new hash, with no JDE call; a payment whose amount changed is still a change."""

    coupa_pay = {
        "id": 55, "payment-date": "2026-01-31", "pay-to-currency": {"code": "USD"},
        "payment-details": [
            {"source-transaction-id": "7", "source-transaction-reference": "INV-7", "payment-total": "80"}
        ],
    }  # fmt: skip
    [now] = map_payment(coupa_pay, datetime(2026, 1, 31, tzinfo=UTC), OWN)
    assert isinstance(now, Mapped) and now.body["Currency_Code"] == "USD"
    then = {  # exactly what the mapper sent before: no currency
        **OWN.batch_key("7").body(),
        "Payment_Amount": "80.00",
        "Payment_Date": "2026-01-31",
        "Payment_Reference": "COUPAPAY-55",
    }
    # Since then the body also carries the voucher's marks (found by in F0411 once JDE purges the batch).
    added = ("Currency_Code", "Voucher_Invoice_Number", "Voucher_Remark")
    assert {k: v for k, v in now.body.items() if k not in added} == then
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    spec = PAYMENTS_FLOW
    keys = (spec.integration, spec.entity, spec.source_system, now.source_key, spec.target_system)
    paid = "00001/10008/PV/COUPAPAY-55/700001"
    ledger.record_target(*keys, paid, Mapped(now.source_key, then, {}).content_hash())
    session = RecordingJde({})
    target = VoucherPayments(session, ledger, "run-2", "2026-01-31", spec)

    done = write_one(spec, target, ledger, now, run_id="run-2", partition="2026-01-31")
    assert (done.action, done.target_id) == ("skip", paid) and "Currency_Code" in done.reason
    assert "Voucher_Remark" in done.reason
    assert session.calls == [] and ledger.get_xref(*keys).content_hash == now.content_hash()
    again = write_one(spec, target, ledger, now, run_id="run-3", partition="2026-01-31")
    assert (again.action, again.reason) == ("skip", "unchanged since the last write")

    more = Mapped(now.source_key, {**now.body, "Payment_Amount": "85.00"}, now.fields)
    with pytest.raises(VoucherChanged):
        write_one(spec, target, ledger, more, run_id="run-4", partition="2026-01-31")
    assert session.calls == []
