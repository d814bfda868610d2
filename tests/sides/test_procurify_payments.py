"""The Procurify side's reading of payments (``connector_assets.procurify.payments``): which bills a
payment pays, and its amounts in its currency's decimals (to the cent without one). Moved from the JD
Edwards <-> Procurify payments tests."""

from decimal import Decimal
from typing import Any

from connector_assets.procurify.payments import (
    SplitWording,
    in_units,
    payment_bills,
    payment_currency,
    split,
)

PAYMENT = "c1264f4e207a4faf9c6345fe9bd98e10"
BILL_A = "1bd9644a-df71-434e-bcad-b56363ab2211"
BILL_B = "7f1c2b0e-4d7a-4a77-9c1e-2f0a5b6c9d11"


def a_payment() -> dict[str, Any]:
    """A public payment as ``/api/public/v1/payments/`` gives it (reference 2.7)."""
    return {"id": 88, "uuid": PAYMENT, "amount": "500.80", "status": "paid", "bill_groups": [512]}


def a_bill(uuid: str, total: float, **changes: Any) -> dict[str, Any]:
    """A slim bill (``/api/v3/ap/bills/``): a float total (quirk 7), its group and payment."""
    return {"uuid": uuid, "total_cost_with_tax": total, "group": 512, "payment_uuid": PAYMENT, **changes}


def test_a_payments_bills_are_those_of_its_groups_naming_it_or_no_payment():
    bills = [
        a_bill(BILL_A, 100.3),
        a_bill(BILL_B, 400.5, payment_uuid=None),
        a_bill("9" * 32, 10.0, payment_uuid="ab" * 16),  # in the group, another payment's
        a_bill("8" * 32, 10.0, group=513),  # another group
    ]
    assert [b["uuid"] for b in payment_bills(a_payment(), bills)] == [BILL_A, BILL_B]


def test_amounts_are_read_to_the_cent_float_noise_aside():
    # Without a currency: decimal text, or a JSON number for bill totals, to the cent; finer is unreadable.
    assert in_units(175.3, None) == Decimal("175.30") and in_units("0.1", None) == Decimal("0.10")
    assert not isinstance(in_units(1.005, None), Decimal)


def test_a_payment_is_split_in_its_currency_decimals_fils_and_whole_yen():
    wording = SplitWording(no_bills="nothing is sent", not_exact="nothing is sent")
    dinars = {**a_payment(), "amount": "79.013", "currency": {"id": 7, "name": "KWD"}}
    shares = split(dinars, [a_bill(BILL_A, 3.675), a_bill(BILL_B, 75.338)], wording)
    assert [s.amount for s in shares] == [Decimal("3.675"), Decimal("75.338")]  # not refused as unreadable
    # A payment rendered with a currency id only is read in its bills' one currency.
    yen = {**a_payment(), "amount": "18877", "currency": 6}
    in_yen = [
        a_bill(BILL_A, 1807.0, currency={"name": "JPY"}),
        a_bill(BILL_B, 17070.0, currency={"name": "JPY"}),
    ]
    assert payment_currency(yen, in_yen) == "JPY"
    assert [s.amount for s in split(yen, in_yen, wording)] == [Decimal("1807"), Decimal("17070")]
    # A figure finer than the currency is kept as written: the flow refuses it naming the bill it pays.
    finer = split({**yen, "amount": "18877.50"}, in_yen, wording)
    assert "is 18877.50, but its bills add up to 18877" in finer
    short = split({**dinars, "amount": "79.010"}, [a_bill(BILL_A, 3.675), a_bill(BILL_B, 75.338)], wording)
    assert "is 79.010, but its bills add up to 79.013" in short


def test_without_a_currency_amounts_are_read_to_the_cent_as_before():
    assert payment_currency(a_payment(), [a_bill(BILL_A, 1.0)]) is None
    assert in_units("12.345", None) == "'12.345' cannot be read as money"
    assert in_units(12.345, "KWD") == Decimal("12.345") and in_units("1000.00", "JPY") == Decimal("1000")
    assert in_units(3.6750000000000003, "KWD") == Decimal("3.675")  # float noise (quirk 7) dropped
    assert (
        in_units(1000.5, "JPY") == Decimal("1000.50")
        and in_units("x", "JPY") == "'x' cannot be read as money"
    )
