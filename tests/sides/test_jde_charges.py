"""What a JDE order line or voucher is charged to (``jde/charges.py``), read one way for every flow."""

from decimal import Decimal

from connector_assets.jde.charges import (
    jde_amount,
    line_number,
    order_line_charge,
    typed_account,
    voucher_order_charge,
    voucher_totals,
)
from connector_assets.jde.documents import JdePurchaseOrder, JdeVoucher


def _voucher(items, distribution=(), order_line=None) -> JdeVoucher:
    return JdeVoucher(("00001", 10008, "PV"), list(items), order_line, list(distribution))


def test_an_account_is_read_as_typed_else_composed_from_its_parts():
    assert typed_account({"ANI": " 20.8150 ", "MCU": "30", "OBJ": "1"}) == "20.8150"
    assert typed_account({"MCU": "  M30", "OBJ": "7110", "SUB": "CONC"}) == "M30.7110.CONC"
    assert typed_account({"MCU": "M30", "OBJ": "", "SUB": "CONC"}) == ""


def test_an_order_line_is_charged_to_its_account_or_its_branch_when_stock():
    assert order_line_charge({"ANI": "20.8150.X"}) == ("20.8150.X", "20")
    assert order_line_charge({"LNTY": "S", "MCU": "  M30 "}) == (None, "M30")
    assert order_line_charge({"LNTY": "J"}) is None
    assert line_number({"LNID": Decimal("1.100")}) == "1.1" and jde_amount("") == 0


def test_a_voucher_on_an_order_is_charged_as_the_orders_first_line():
    voucher = _voucher([{"MCU": "M30", "AG": 10, "PO": "4041"}], order_line={"LNTY": "S"})
    assert voucher_order_charge(voucher, None) == (None, "M30")
    order = JdePurchaseOrder(("00001", 4041, "OP", "000"), {}, [{"ANI": "20.8150"}])
    assert voucher_order_charge(voucher, order) == ("20.8150", "20")
    assert "has no lines in F4311" in voucher_order_charge(_voucher([{"PO": "4041"}]), None)  # type: ignore[operator]


def test_a_vouchers_totals_are_its_tax_its_net_and_its_distribution():
    voucher = _voucher([{"AG": "110", "STAM": "10"}, {"AG": 5}], [{"AA": "100"}, {"AA": 5}])
    assert voucher_totals(voucher) == (Decimal(10), Decimal(105), Decimal(105))
