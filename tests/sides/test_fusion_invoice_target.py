"""How the Fusion side's invoice target compares an invoice Fusion holds with the mapped one
(``connector_assets.fusion.invoice_target.differences``). Moved from the Oracle Fusion <-> Procurify
invoices tests."""

from decimal import Decimal

from connector_assets.fusion.invoice_target import differences


def test_fusion_differences_read_as_their_names_say():
    found = {"Supplier": "Acme Supplies", "InvoiceAmount": Decimal("175.3"), "InvoiceDate": "2026-11-20"}
    body = {"Supplier": "Acme Supplies", "InvoiceAmount": "175.30", "InvoiceDate": "2026-11-20"}
    assert differences(found, body) == []
    assert differences({**found, "InvoiceAmount": 170}, body) == ["amount 170 (the bill's: 175.30)"]
