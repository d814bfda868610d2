"""What a Procore requisition line pays this period (``procore.requisition_amounts``), alone (no I/O)."""

from decimal import Decimal

from connector_assets.procore.requisition_amounts import line_payable, retainage_this_period

RETAINED = "work_completed_retainage_retained_this_period"


def test_an_invoice_line_stating_this_period_s_retainage_is_read_by_it():
    """Procore's own line fields (public API material; the reference only says "retainage fields"): work
    and stored materials each retained this period, work retainage released; no total_retainage."""
    line = {
        "work_completed_this_period": "1000.00",
        "materials_presently_stored": 200.0,
        "work_completed_retainage_retained_this_period": "100.00",
        "materials_stored_retainage_retained_this_period": "20.00",
        "work_completed_retainage_released_this_period": "30.00",
    }
    assert retainage_this_period(line) == Decimal("90.00")
    assert line_payable(line) == Decimal("1110.00")
    assert "is not an amount" in str(retainage_this_period({**line, RETAINED: "ten"}))
    # the sandbox's way (retainage to date at a percent) is still read when no line states this period's
    sandbox = {"work_completed_this_period": "1000.00", "materials_presently_stored": "0.00"}
    sandbox |= {"work_completed_from_previous_application": "500.00", "retainage_percent": "10.0%"}
    assert line_payable({**sandbox, "total_retainage": "150.00"}) == Decimal("900.00")


def test_retainage_on_earlier_work_is_rounded_in_the_commitments_currency():
    """Procore rounds each line's retainage in the commitment's currency: 10 % of 11,340,857 yen billed
    before is 1,134,086 yen (half up), never a fraction of a yen; without a currency, to the cent."""
    line = {
        "work_completed_from_previous_application": "11340857",
        "work_completed_this_period": "1142460",
        "materials_presently_stored": "0",
        "retainage_percent": "10.0",
        "total_retainage": "1248332",
    }
    assert retainage_this_period(line, "JPY") == Decimal("114246")
    assert line_payable(line, "JPY") == Decimal("1028214")
    assert line_payable(line) == Decimal("1028213.70")  # the cent: what a yen voucher refused before
