"""BILL's vendor and bill bodies with their record columns (``bill/bodies.py``) and a bill line's BILL
classifications checked on BILL's side (``bill/line_classifications.py``)."""

from datetime import date
from decimal import Decimal

import pandas as pd

from connector_assets.bill.bodies import BillColumns, BillVendorColumns, bill_line, bill_parts, vendor_parts
from connector_assets.bill.classifications import BillClassification
from connector_assets.bill.line_classifications import BillLineCoding, bill_id_check

SUPPLIES, ARCHIVED, OPERATIONS = "0ca01SUPPLIES", "0ca01ARCHIVED", "0de01OPERATIONS"


def test_a_vendor_body_sends_only_what_is_known_and_its_columns_fit_bill():
    body, fields = vendor_parts("Acme", False, "Acme Lockbox", None, None)
    assert body == {
        "name": "Acme",
        "accountType": "BUSINESS",
        "paymentInformation": {"payeeName": "Acme Lockbox"},
    }
    address = {"line1": "1 Main St", "city": "Springfield", "country": "US"}
    body, fields = vendor_parts("Jo Doe", True, "Jo Doe", "12-3456789", address)
    assert body["accountType"] == "PERSON" and body["additionalInfo"] == {"taxId": "12-3456789"}
    assert fields["address_line1"] == "1 Main St" and fields["address_state"] is None
    BillVendorColumns.validate(pd.DataFrame([fields]))


def test_a_bill_body_names_its_vendor_and_order_once_known_and_totals_its_lines():
    lines = [bill_line(Decimal("10.005"), "x" * 1200, {"chartOfAccountId": SUPPLIES})]
    assert lines[0]["amount"] == "10.00" and len(lines[0]["description"]) == 1000
    body, fields = bill_parts(("INV-1", date(2026, 1, 31)), date(2026, 3, 2), "an order", lines, None, 4041)
    assert "vendorId" not in body and body["purchaseOrderNumber"] == "4041"
    assert (fields["invoice_date"], fields["due_date"], fields["lines"], fields["total"]) == (
        "2026-01-31", "2026-03-02", 1, 10.0
    )  # fmt: skip
    BillColumns.validate(pd.DataFrame([fields]))


def test_a_line_is_classified_only_with_ids_bill_holds_and_units_the_source_has():
    coding = BillLineCoding(
        {"20.8150": SUPPLIES, "20.9000": ARCHIVED},
        {"20": OPERATIONS},
        {SUPPLIES: BillClassification("Supplies", False), ARCHIVED: BillClassification("Ads", True)},
        {OPERATIONS: BillClassification("Operations", False)},
        ("ACCOUNTS_TABLE", "DEPARTMENTS_TABLE"),
        lambda unit, where: None if unit == "20" else f"unit {unit} unknown ({where})",
    )
    assert coding.classify("20.8150", "account 20.8150", "20", "line 1") == {
        "chartOfAccountId": SUPPLIES, "departmentId": OPERATIONS
    }  # fmt: skip
    assert "ACCOUNTS_TABLE" in coding.classify("20.1", "account 20.1", "20", "line 1")  # type: ignore[operator]
    assert "is archived in BILL" in coding.classify("20.9000", "account 20.9000", "20", "line 1")  # type: ignore[operator]
    assert coding.classify("20.8150", "account 20.8150", "30", "line 1") == "unit 30 unknown (line 1)"
    assert bill_id_check("0ca", "chart-of-accounts")(SUPPLIES) is None
    assert "starts with 0ca" in bill_id_check("0ca", "chart-of-accounts")("0de01X")  # type: ignore[operator]
