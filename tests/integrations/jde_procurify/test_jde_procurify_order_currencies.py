"""JDE -> Procurify purchase orders in the order's currency, without a simulator: an order entered in a
foreign currency (F4301 CRRM F) goes at its lines' own prices (F4311 FRRC / FEA, ``documents``), each line
naming the currency and counting money in its smallest unit (whole yen, fils)."""

from decimal import Decimal

from jde_procurify_parts import requisition_lines
from test_jde_procurify_purchase_orders import HEADER, POLICY, line

from connector_assets.integrations.jde_procurify.order_mappers import line_amounts, order_total
from connector_assets.jde.documents import priced_in_own_currency

YEN_HEADER = {**HEADER, "CRRM": "F", "CRCD": "JPY"}


def test_a_yen_order_goes_at_its_own_prices_in_whole_yen():
    # JDE's domestic figures (PRRC 22.2222 / AEXP 222.22 USD) stay behind; the supplier's are FRRC / FEA.
    ordered = line("1.0", CRCD="JPY", UORG="10", PRRC="22.2222", AEXP="222.22", FRRC="3333", FEA="33330")
    priced = priced_in_own_currency(YEN_HEADER, ordered)
    assert line_amounts(priced) == (Decimal("10.00"), Decimal("3333"), True)
    mapped = requisition_lines(YEN_HEADER, [priced], POLICY, {"M30.6110": "6100"}, "Tokyo Steel KK")
    assert not mapped.problems
    assert (mapped.lines[0]["unit_price"], mapped.lines[0]["currency_code"]) == ("3333", "JPY")
    assert order_total({"line_items": mapped.lines}) == Decimal("33330")


def test_a_yen_line_whose_product_is_not_jdes_extended_price_goes_as_one_unit_at_it():
    ordered = line("1.0", CRCD="JPY", UORG="3", PRRC="1", AEXP="1", FRRC="3333.3333", FEA="9999")
    assert line_amounts(priced_in_own_currency(YEN_HEADER, ordered)) == (
        Decimal("1.00"),
        Decimal("9999"),
        False,
    )


def test_a_domestic_order_keeps_cents_as_before():
    assert line_amounts(priced_in_own_currency(HEADER, line("1.0"))) == (
        Decimal("10.00"),
        Decimal("24.50"),
        True,
    )
