"""JDE -> Coupa in the document's currency, without a simulator: a voucher entered in a foreign currency
(F0411 CRRM F) becomes an invoice in that currency at its own amounts (ACR, F0911 ledger CA), an order
entered in one at its lines' own prices (F4311 FRRC/FEA), each with the currency's decimals; a domestic
document's body is what it always was."""

from decimal import Decimal
from typing import Any

from jde_coupa_parts import mapped_invoice, order_record

from connector_assets.flows.core import Mapped, Rejected
from connector_assets.jde.documents import JdePurchaseOrder, priced_in_own_currency

KEY = ("00001", 70101, "PV")
ACCOUNTS = {"1.6110": "C-6110", "1.6120": "C-6120", "1.7110": "C-7110"}


def _items(currency: str, *amounts: tuple[Any, Any], **more: Any) -> list[dict[str, Any]]:
    """Pay items entered in ``currency``: (ACR its own amount, AG JDE's conversion into USD)."""
    return [
        {"KCO": "00001", "DOC": 70101, "DCT": "PV", "SFX": f"{n:03d}", "AN8": 4343, "VINV": "INV-FX",
         "DIVJ": None, "PO": "", "CRRM": "F", "CRCD": currency, "ACR": acr, "AG": ag, "STAM": 0, **more}
        for n, (acr, ag) in enumerate(amounts, 1)
    ]  # fmt: skip


def _ca_lines(*rows: tuple[str, Any]) -> list[dict[str, Any]]:
    """F0911 ledger CA lines: each distribution line in the voucher's currency."""
    return [
        {"JELN": n, "LT": "CA", "ANI": a, "AA": amount, "EXA": f"line {n}"}
        for n, (a, amount) in enumerate(rows, 1)
    ]


def test_a_euro_voucher_goes_to_coupa_in_euros_at_its_acr_lines_not_at_jdes_dollars():
    record = mapped_invoice(
        KEY,
        _items("EUR", (Decimal("1000.0"), Decimal("1083.4"))),
        {},
        _ca_lines(("1.6110", Decimal("600.0")), ("1.6120", Decimal("400.0"))),
        ACCOUNTS,
    )
    assert isinstance(record, Mapped), record
    assert record.body["currency"] == {"code": "EUR"}
    assert [(x["account"]["code"], x["price"]) for x in record.body["invoice-lines"]] == [
        ("C-6110", "600.00"),
        ("C-6120", "400.00"),
    ]


def test_a_yen_voucher_on_an_order_goes_in_whole_yen_per_pay_item():
    items = _items("JPY", (150000, Decimal("1000.5")), (25000, Decimal("166.75")), PO="4512")
    record = mapped_invoice(KEY, items, {4512: "1.7110"}, [], ACCOUNTS)
    assert isinstance(record, Mapped), record
    assert record.body["currency"] == {"code": "JPY"}
    assert [x["price"] for x in record.body["invoice-lines"]] == ["150000", "25000"]


def test_a_foreign_voucher_is_refused_when_its_own_amounts_do_not_fit_or_its_tax_is_not_in_its_currency():
    finer = mapped_invoice(
        KEY, _items("JPY", (Decimal("150000.5"), 1000), PO="4512"), {4512: "1.7110"}, [], ACCOUNTS
    )
    assert isinstance(finer, Rejected)
    assert finer.reason == (
        "voucher 00001/70101/PV (invoice INV-FX): the amount 150000.5 has more decimals than JPY has "
        "(no decimals)"
    )
    taxed = _items("EUR", (Decimal("1100.00"), Decimal("1191.74")), PO="4512", STAM=Decimal("108.34"))
    refused = mapped_invoice(KEY, taxed, {4512: "1.7110"}, [], ACCOUNTS)
    assert isinstance(refused, Rejected)
    assert "its tax in EUR (CTAM) is not read by this integration" in refused.reason
    unbalanced = mapped_invoice(
        KEY, _items("EUR", (Decimal("1000"), 1083)), {}, _ca_lines(("1.6110", 999)), ACCOUNTS
    )
    assert isinstance(unbalanced, Rejected)
    assert "its G/L distribution in F0911 totals 999.00 but its pay items total 1000.00" in unbalanced.reason


def test_a_domestic_voucher_goes_exactly_as_before():
    items = [{**_items("USD", (None, Decimal("100.0")))[0], "CRRM": "D"}]
    record = mapped_invoice(
        KEY, items, {}, [{"JELN": 1, "ANI": "1.6110", "AA": Decimal("100.0"), "EXA": ""}], ACCOUNTS
    )
    assert isinstance(record, Mapped)
    assert [x["price"] for x in record.body["invoice-lines"]] == ["100.0"]  # JDE's text, as it always went


def _order(currency: str, mode: str, *lines: dict[str, Any]) -> JdePurchaseOrder:
    header = {"KCOO": "00001", "DOCO": 4512, "DCTO": "OP", "SFXO": "000", "AN8": 4343, "CRRM": mode,
              "CRCD": currency}  # fmt: skip
    priced = [priced_in_own_currency(header, {"CRCD": currency, "ANI": "1.7110", **line}) for line in lines]
    return JdePurchaseOrder(("00001", 4512, "OP", "000"), header, priced)


def test_a_yen_order_goes_at_its_lines_own_prices_an_amount_line_in_whole_yen():
    order = _order(
        "JPY",
        "F",
        # 3 x 3333.3333 JPY rounds to 10000 yen, JDE's extended price is 9999: an amount line, in whole yen.
        {"LNID": 1, "UORG": 3, "PRRC": Decimal("22.2222"), "AEXP": Decimal("66.67"),
         "FRRC": Decimal("3333.3333"), "FEA": 9999, "DSC1": "Rebar"},
        {"LNID": 2, "UORG": 2, "PRRC": Decimal("6.67"), "AEXP": Decimal("13.34"), "FRRC": 1000, "FEA": 2000},
    )  # fmt: skip
    record = order_record(order, ACCOUNTS)
    assert isinstance(record, Mapped), record
    assert record.body["currency"] == {"code": "JPY"}
    lines = record.body["order-lines"]
    assert (lines[0]["type"], lines[0]["price"]) == ("OrderAmountLine", "9999")
    assert (lines[1]["quantity"], lines[1]["price"]) == ("2", "1000")
    assert record.fields["total"] == 11999


def test_a_domestic_order_line_keeps_jdes_own_prices():
    line = {"LNID": 1, "UORG": 2, "PRRC": Decimal("10"), "AEXP": Decimal("20"), "FRRC": 0, "FEA": 0}
    assert priced_in_own_currency({"CRRM": "D", "CRCD": "USD"}, line) is line  # JDE's row, untouched
    order = _order("USD", "D", line)
    record = order_record(order, ACCOUNTS)
    assert isinstance(record, Mapped)
    assert (record.body["order-lines"][0]["quantity"], record.body["order-lines"][0]["price"]) == ("2", "10")
