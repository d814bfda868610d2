"""A Procurify bill's fields as the Procurify side reads them for both bill flows
(``connector_assets.procurify.bill_fields``): an item's account code and department, the bill's currency
and dates. Moved from the JD Edwards <-> Procurify bills and Oracle Fusion <-> Procurify invoices tests."""

from datetime import date

from connector_assets.procurify.bill_fields import (
    bill_day,
    currency_code,
    item_account,
    item_account_code,
    item_label,
)


def test_an_item_account_code_comes_from_the_item_then_its_po_line():
    assert item_account_code({"account": {"account_code": {"code": " 6100 "}}}) == "6100"
    assert item_account_code({"account": None, "orderitem": {"accountCode": "6800"}}) == "6800"
    assert item_account_code({"account": None, "orderitem": None}) is None


def test_an_item_account_carries_its_department_as_the_department_table_keys_it():
    item = {
        "account": {
            "account_code": {"code": "6100"},
            "department": {"name": "Finance", "branch": {"name": "Head Office"}},
        },
        "orderitem": None,
    }
    assert item_account(item) == ("6100", "Head Office|Finance")


def test_a_bills_currency_and_dates_read_as_codes_and_days():
    assert currency_code({"currency": {"id": 2, "name": "usd", "rate": "1.0000"}}) == "USD"
    assert currency_code({"currency": "EUR"}) == "EUR"
    assert bill_day("2026-11-20T08:00:00Z") == date(2026, 11, 20)
    assert bill_day("") is None and bill_day("soon") is None


def test_an_item_is_labelled_by_its_description_folded_and_cut_or_by_its_position():
    assert item_label({"description": 'Plywood 3/4"  CDX'}, 1, 30) == 'Plywood 3/4" CDX'
    assert item_label({"description": "", "name": "Copper wire 12 AWG"}, 2, 6) == "Copper"
    assert item_label({}, 3, 30) == "Procurify bill item 3"
