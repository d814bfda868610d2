"""JDE -> BILL in the document's currency, without a simulator: a voucher or order entered in a foreign
currency becomes a bill at its own amounts (F0411 ACR, F0911 ledger CA, F4311 FRRC/FEA) with that
currency's decimals, the vendor is billed in the supplier's A/P currency (F0401 CRRP), and a bill whose
currency is not its BILL vendor's is refused naming both, before anything is sent."""

from contextlib import nullcontext
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from test_jde_bill_bill_mappers import SUPPLIES, _books, _line

from connector_assets.flows.core import Mapped, Rejected
from connector_assets.integrations.jde_bill.bill_mappers import map_order_bill, map_voucher_bill
from connector_assets.integrations.jde_bill.bill_target import BillCurrencyMismatch, BillsFromJde
from connector_assets.integrations.jde_bill.vendors import map_vendor
from connector_assets.jde.documents import JdePurchaseOrder, JdeSupplier, JdeVoucher, priced_in_own_currency


def _foreign_item(currency: str, acr: Any, ag: Any, **more: Any) -> dict[str, Any]:
    """An F0411 pay item of a voucher entered in ``currency`` (CRRM F): ACR its own, AG JDE's conversion."""
    return {"KCO": "00001", "DOC": 9101, "DCT": "PV", "SFX": "001", "AN8": 4343, "VINV": "INV-FX",
            "PST": "A", "DIVJ": date(2025, 3, 10), "DDJ": date(2025, 4, 9), "CRRM": "F", "CRCD": currency,
            "ACR": acr, "AG": ag, "STAM": 0, "PO": "", "MCU": "          20", **more}  # fmt: skip


def _distribution(currency: str, *amounts: Any) -> list[dict[str, Any]]:
    """F0911 ledger CA lines (the voucher's own currency), as the reader keeps them for a foreign voucher."""
    return [
        {"JELN": n, "LT": "CA", "ANI": "20.8150", "AA": a, "CRCD": currency, "EXA": f"line {n}"}
        for n, a in enumerate(amounts, 1)
    ]


def test_a_euro_voucher_is_billed_at_its_acr_not_at_jdes_dollars():
    voucher = JdeVoucher(
        ("00001", 9101, "PV"),
        [_foreign_item("EUR", Decimal("1000.00"), Decimal("1083.40"))],
        distribution=_distribution("EUR", Decimal("600.00"), Decimal("400.00")),
    )
    mapped = map_voucher_bill(voucher, _books())
    assert isinstance(mapped, Mapped), mapped
    assert [line["amount"] for line in mapped.body["billLineItems"]] == ["600.00", "400.00"]
    assert mapped.fields["total"] == 1000.0 and mapped.natural_key["currency"] == "EUR"


def test_a_yen_voucher_on_an_order_is_billed_in_whole_yen_and_a_fraction_of_a_yen_is_refused():
    item = _foreign_item("JPY", 150000, Decimal("1000.50"), PO="4512", PKCO="00001", PDCT="OP")
    order_line = {"DOCO": 4512, "ANI": "20.8150", "LNTY": "J"}
    mapped = map_voucher_bill(JdeVoucher(("00001", 9101, "PV"), [item], order_line=order_line), _books())
    assert isinstance(mapped, Mapped), mapped
    assert [line["amount"] for line in mapped.body["billLineItems"]] == ["150000"]
    assert mapped.natural_key["currency"] == "JPY"

    finer = _foreign_item("JPY", Decimal("150000.5"), Decimal("1000.50"), PO="4512")
    refused = map_voucher_bill(JdeVoucher(("00001", 9101, "PV"), [finer], order_line=order_line), _books())
    assert isinstance(refused, Rejected)
    assert refused.reason == (
        "voucher 00001/9101/PV (invoice INV-FX): the amount 150000.5 has more decimals than JPY has "
        "(no decimals)"
    )


def test_a_foreign_voucher_whose_own_amount_was_not_read_is_refused_never_sent_at_its_domestic_amount():
    voucher = JdeVoucher(
        ("00001", 9101, "PV"),
        [_foreign_item("EUR", None, Decimal("1083.40"))],
        distribution=_distribution("EUR", Decimal("1000.00")),
    )
    refused = map_voucher_bill(voucher, _books())
    assert isinstance(refused, Rejected)
    assert (
        "pay item 001 is in EUR (F0411 CRRM F) but its amount in that currency (F0411 ACR)" in refused.reason
    )


def test_a_domestic_voucher_is_billed_exactly_as_before():
    item = {**_foreign_item("USD", None, "150.00"), "CRRM": "D", "PO": "4512"}
    voucher = JdeVoucher(
        ("00001", 9101, "PV"), [item], order_line={"DOCO": 4512, "ANI": "20.8150", "LNTY": "J"}
    )
    mapped = map_voucher_bill(voucher, _books())
    assert isinstance(mapped, Mapped)
    assert mapped.body["billLineItems"][0]["amount"] == "150.00" and mapped.natural_key["currency"] == "USD"


def test_an_order_entered_in_euros_is_billed_at_its_lines_own_prices():
    header = {"KCOO": "00001", "DOCO": 4512, "DCTO": "OP", "AN8": 4343, "TRDJ": date(2025, 3, 1),
              "PTC": "N30", "CRRM": "F", "CRCD": "EUR"}  # fmt: skip
    line = _line(1, CRCD="EUR", FRRC=Decimal("12.5"), FEA=Decimal("25.00"))  # PRRC 10 / AEXP 20: USD
    order = JdePurchaseOrder(("00001", 4512, "OP", "000"), header, [priced_in_own_currency(header, line)])
    mapped = map_order_bill(order, _books())
    assert isinstance(mapped, Mapped), mapped
    assert mapped.body["billLineItems"][0]["amount"] == "25.00"
    assert "(2 x 12.5)" in mapped.body["billLineItems"][0]["description"]
    assert mapped.natural_key["currency"] == "EUR"


def test_the_vendor_is_billed_in_the_suppliers_ap_currency():
    book = {"AN8": 4343, "ALPH": "Müller Baustoffe GmbH", "TAX": "DE811", "TAXC": "C"}
    euro = map_vendor(JdeSupplier(4343, {"AN8": 4343, "CRRP": "EUR"}, book))
    assert isinstance(euro, Mapped) and euro.body["billCurrency"] == "EUR"
    blank = map_vendor(JdeSupplier(4343, {"AN8": 4343, "CRRP": " "}, book))
    assert isinstance(blank, Mapped) and "billCurrency" not in blank.body  # BILL keeps its own (USD)


class _Bill:
    """BILL's side of the bills target: vendors by id, and every write it would receive."""

    def __init__(self, currencies: dict[str, str]) -> None:
        self.currencies, self.sent, self.reads = currencies, [], 0

    def get(self, entity: str, record_id: str) -> dict[str, Any]:
        assert entity == "vendors"
        self.reads += 1
        return {"id": record_id, "billCurrency": self.currencies[record_id]}

    def create_bill(self, body: dict[str, Any]) -> dict[str, Any]:
        self.sent.append(body)
        return {"id": f"00n{len(self.sent)}"}


def _record(currency: str, vendor: str) -> Mapped:
    body = {"vendorId": vendor, "invoice": {"invoiceNumber": "INV-FX"}, "billLineItems": []}
    natural = {"supplier": 4343, "invoice_numbers": ["INV-FX"], "currency": currency}
    return Mapped(
        source_key="PV:00001:9101:PV", body=body, fields={"invoice_number": "INV-FX"}, natural_key=natural
    )


def test_a_bill_in_another_currency_than_its_bill_vendor_is_refused_naming_both_and_nothing_is_sent():
    bill = _Bill({"009EUR": "EUR", "009USD": ""})
    target = BillsFromJde(bill, ledger=None)  # type: ignore[arg-type]
    with pytest.raises(BillCurrencyMismatch) as refused:
        target.create(_record("EUR", "009USD"))
    assert str(refused.value).startswith(
        "the JDE document is in EUR but BILL vendor 009USD (supplier 4343) is billed in USD "
        "(its billCurrency)"
    )
    assert not bill.sent
    assert target.create(_record("EUR", "009EUR")) == "00n1"
    assert target.create(_record("EUR", "009EUR")) == "00n2" and bill.reads == 2  # each vendor read once
    assert [b["vendorId"] for b in bill.sent] == ["009EUR", "009EUR"]
    assert SUPPLIES  # the classification ids the mappers above code lines with


# -- the reconciliations compare money in the document's currency -----------------------------------------


class _Session:
    """One system as a reconciliation reads it, its calls counted (``metrics.calls``)."""

    def __init__(self) -> None:
        self.metrics = SimpleNamespace(calls=0)

    def session(self):
        return nullcontext(self)


class _BillSide(_Session):
    """BILL: the day's payments (changed in the window), bills and vendors by id (``id:in``)."""

    def __init__(self, **records: list[dict[str, Any]]) -> None:
        super().__init__()
        self.records = records

    def iter_changed(self, entity: str, start: Any, end: Any):
        self.metrics.calls += 1
        return iter(self.records[entity])

    def iter_records(self, entity: str, filters: list[str]):
        self.metrics.calls += 1
        by_id = filters[0].startswith("id:in:")
        ids = filters[0].removeprefix("id:in:").strip('"').split(",") if by_id else []
        return iter(r for r in self.records.get(entity, []) if r["id"] in ids)


class _JdeSide(_Session):
    """JDE: rows per table, a browse answering the rows whose columns hold one of the conditions' values."""

    def __init__(self, tables: dict[str, list[dict[str, Any]]]) -> None:
        super().__init__()
        self.tables = tables

    def browse(self, table: str, *, columns=None, conditions=(), match="MATCH_ALL", **_: Any):
        self.metrics.calls += 1
        wanted: dict[str, set] = {}
        for condition in conditions:
            wanted.setdefault(condition.column.split(".")[-1], set()).add(condition.value)
        return [r for r in self.tables.get(table, []) if all(r.get(k) in v for k, v in wanted.items())]


def _pay_item(doc: int, currency: str, gross: str, open_amount: str, domestic: str) -> dict[str, Any]:
    """An F0411 pay item as AIS answers it: a foreign one's own money in ACR / FAP, AG / AAP converted."""
    foreign = currency != "USD"
    own, left = Decimal(gross), Decimal(open_amount)
    return {"KCO": "00001", "DOC": doc, "DCT": "PV", "SFX": "001", "CRCD": currency,
            "CRRM": "F" if foreign else "D", "ACR": own if foreign else 0, "FAP": left if foreign else 0,
            "AG": Decimal(domestic), "AAP": left if not foreign else 0}  # fmt: skip


def test_the_payments_reconciliation_names_a_currency_mismatch_and_compares_amounts_in_one_currency(tmp_path):
    """BILL pays in its vendor's billCurrency. A euro voucher paid by a vendor billed in EUR is in balance
    (JDE's 1,083.40 USD is not compared); the vendor of a second euro voucher, and of an order's journal,
    was switched to USD in BILL: each is one currency mismatch naming both codes, its amounts (500.00 EUR
    against 541.70 USD) not compared; a dollar voucher JDE shows less paid on is still an amount
    difference, in dollars."""
    from connector_assets.components import JdeBill
    from connector_assets.integrations.jde_bill.payments import journal_key
    from connector_assets.integrations.jde_bill.reconcile.payments import reconcile_payments
    from connector_resources.ledger import Ledger

    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    origins = {
        "00nEUR": "PV:00001:9101:PV",
        "00nSWITCHED": "PV:00001:9102:PV",
        "00nORDER": "PO:00001:4041:OP",
        "00nUSD": "PV:00001:9103:PV",
    }
    for bill_id, key in origins.items():
        ledger.record_target("jde_bill", "bill", "JDE", key, "bill", bill_id, "h")
    ledger.record_target("jde_bill", "vendor", "JDE", "4343", "bill", "009EUR", "h")
    ledger.record_target("jde_bill", "vendor", "JDE", "4344", "bill", "009USD", "h")

    def payment(payment_id: str, vendor: str, bill_id: str, paid: str) -> dict[str, Any]:
        lines = [{"billId": bill_id, "amount": paid}]
        return {"id": payment_id, "vendorId": vendor, "singleStatus": "CLEARED", "onlinePayment": True,
                "processDate": "2026-03-02", "billPayments": lines}  # fmt: skip

    bill = _BillSide(
        payments=[
            payment("stpEUR", "009EUR", "00nEUR", "1000.00"),
            payment("stpSWITCHED", "009USD", "00nSWITCHED", "541.70"),
            payment("stpORDER", "009USD", "00nORDER", "80.00"),
            payment("stpUSD", "009USD", "00nUSD", "250.00"),
        ],
        bills=[{"id": b, "vendorId": "009EUR"} for b in origins],  # no dueAmount: nothing paid before assumed
        vendors=[{"id": "009EUR", "billCurrency": "EUR"}, {"id": "009USD"}],  # blank: USD
    )
    journal = journal_key("stpORDER", "00nORDER")
    lines = [
        {"EDUS": journal.user, "EDBT": journal.batch, "EDTN": journal.transaction, "EDLN": n, "AA": amount,
         "ACR": amount, "CRRM": "F", "CRCD": "EUR"}
        for n, amount in ((1, Decimal("80.00")), (2, Decimal("-80.00")))
    ]  # fmt: skip
    items = [
        _pay_item(9101, "EUR", "1000.00", "0", "1083.40"),  # paid in full, in euros
        _pay_item(9102, "EUR", "500.00", "0", "541.70"),
        _pay_item(9103, "USD", "300.00", "100.00", "300.00"),  # 200.00 paid
    ]
    jde = _JdeSide({"F0411": items, "F0911Z1": lines})

    report = reconcile_payments(JdeBill(), None, jde, bill, ledger, "2026-03-02")
    named = {(d.kind, d.record, d.field, d.values) for d in report.differences}
    assert named == {
        ("currency mismatch", "voucher 00001/9102/PV", "currency", ("EUR", "USD")),
        ("currency mismatch", f"journal batch {journal.target_id}", "currency", ("EUR", "USD")),
        ("amount", "voucher 00001/9103/PV", "paid amount", ("200.00", "250.00")),
    }
    [switched] = [d for d in report.differences if d.counterpart == "stpSWITCHED"]
    assert switched.words == (
        "BILL payment stpSWITCHED of 541.70 USD on bill 00nSWITCHED to vendor 009USD (supplier 4344) is in "
        "USD in BILL (its vendor's billCurrency) but JDE holds voucher 00001/9102/PV (F0411 CRCD) in EUR: "
        "amounts in two currencies are not compared"
    )
    [short] = [d for d in report.differences if d.kind == "amount"]
    assert "voucher 00001/9103/PV shows 200.00 USD paid in JDE (F0411)" in short.words
    assert report.compared == 4 and report.counts["currency_mismatch"] == 2
    # The day's payments (changed in it, created in it and changed since), their vendors, their bills.
    assert report.calls["bill"] == 4


def test_the_bills_reconciliation_names_a_currency_mismatch_and_leaves_line_amounts_uncompared():
    """A euro voucher's bill against a BILL bill whose vendor is billed in USD now: one currency mismatch
    naming both, the line amounts (in two currencies) not compared, the other fields still are."""
    from connector_assets.flows.reconciliation_totals import SideTotals
    from connector_assets.integrations.jde_bill.reconcile.bills import _planned
    from connector_assets.integrations.jde_bill.reconcile.planned_bills import Planned
    from connector_assets.integrations.jde_bill.reconcile.reads import new_report, supplier_totals

    invoice = {"invoiceNumber": "INV-FX", "invoiceDate": "2026-03-02"}
    lines = [{"amount": "600.00"}, {"amount": "400.00"}]
    body = {"vendorId": "009V", "invoice": invoice, "dueDate": "2026-04-01", "billLineItems": lines}
    their_lines = [{"amount": "650.10"}, {"amount": "433.30"}]  # the same euros, shown as dollars
    found = {
        **body,
        "id": "00nB",
        "invoice": {**invoice, "invoiceNumber": "INV-FX-2"},
        "billLineItems": their_lines,
    }
    planned = Planned("PV:00001:9101:PV", "voucher 00001/9101/PV", "4343", "00nB", body, currency="EUR")

    class NoQueue:
        def account_for(self, *args: Any) -> bool:
            return False

    def compared(currencies: dict[str, str]) -> set[tuple[str, str, tuple[str, str]]]:
        report, totals = new_report(), supplier_totals()
        assert isinstance(totals, SideTotals)
        _planned(report, NoQueue(), totals, planned, found, {}, currencies)  # type: ignore[arg-type]
        return {(d.kind, d.field, d.values) for d in report.differences}

    assert compared({"009V": "USD"}) == {
        ("currency mismatch", "currency", ("EUR", "USD")),
        ("invoice number", "invoice.invoiceNumber", ("INV-FX", "INV-FX-2")),
    }
    assert compared({"009V": "EUR"}) == {  # one currency: the amounts are compared as before
        ("invoice number", "invoice.invoiceNumber", ("INV-FX", "INV-FX-2")),
        ("line amount", "line 1 amount", ("600.00", "650.10")),
        ("line amount", "line 2 amount", ("400.00", "433.30")),
    }


def test_the_vendors_reconciliation_names_a_vendor_billed_in_another_currency_than_its_suppliers():
    from connector_assets.integrations.jde_bill.reconcile.compare import Drift, vendor_drift

    book = {"AN8": 4343, "ALPH": "Müller Baustoffe GmbH", "TAX": "DE811", "TAXC": "C"}
    euro = map_vendor(JdeSupplier(4343, {"AN8": 4343, "CRRP": "EUR"}, book))
    blank = map_vendor(JdeSupplier(4343, {"AN8": 4343, "CRRP": " "}, book))
    assert isinstance(euro, Mapped) and isinstance(blank, Mapped)
    in_bill = {**euro.body, "id": "009V", "archived": False}
    assert vendor_drift(euro.body, in_bill) == []
    switched = {**in_bill, "billCurrency": "USD"}  # changed in BILL behind the connector's back
    assert vendor_drift(euro.body, switched) == [Drift("currency mismatch", "billCurrency", "EUR", "USD")]
    assert vendor_drift(euro.body, {**in_bill, "billCurrency": None}) == [
        Drift("currency mismatch", "billCurrency", "EUR", "USD")  # BILL's blank is USD
    ]
    assert vendor_drift(blank.body, switched) == []  # JDE names none: BILL keeps its own
