"""JDE -> BILL in the document's currency, without a simulator: a voucher or order entered in a foreign
currency becomes a bill at its own amounts (F0411 ACR, F0911 ledger CA, F4311 FRRC/FEA) with that
currency's decimals, the vendor is billed in the supplier's A/P currency (F0401 CRRP), and a bill whose
currency is not its BILL vendor's is refused naming both, before anything is sent."""

from datetime import date
from decimal import Decimal
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
