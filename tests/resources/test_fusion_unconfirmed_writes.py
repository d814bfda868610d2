"""A create sends no attribute the reference leaves unconfirmed (``OrderNumber`` on draft
orders, ``Description`` on invoice distributions) unless ML_FUSION_SEND_UNCONFIRMED names it."""

from __future__ import annotations

from datetime import date

import pytest

from connector_resources.fusion.errors import FusionInputError
from connector_resources.fusion.payloads import (
    DraftPurchaseOrder,
    Invoice,
    InvoiceDistribution,
    InvoiceLine,
    PurchaseOrderLine,
    unconfirmed_names,
    without_unconfirmed,
)

DRAFT = DraftPurchaseOrder(
    supplier="Acme",
    supplier_site="MAIN",
    order_number="PFY1187",
    procurement_bu="US1 Business Unit",
    lines=(PurchaseOrderLine(1, 2, "10.00", description="Bolts"),),
)
INVOICE = Invoice(
    invoice_number="INV-1",
    supplier="Acme",
    supplier_site="MAIN",
    amount="30.00",
    invoice_date=date(2026, 11, 1),
    currency="USD",
    business_unit="US1 Business Unit",
    lines=(
        InvoiceLine(
            1,
            "30.00",
            line_type="Freight",
            distributions=(InvoiceDistribution(1, "30.00", "101-10-60000-000", description="Freight"),),
        ),
    ),
)


def _distributions(payload: dict) -> list[dict]:
    return [d for line in payload["invoiceLines"] for d in line.get("invoiceDistributions", ())]


def test_by_default_no_unconfirmed_attribute_is_sent_at_any_depth() -> None:
    draft = without_unconfirmed("draft_purchase_orders", DRAFT.payload(), unconfirmed_names(""))
    assert "OrderNumber" not in draft and draft["Supplier"] == "Acme" and draft["lines"]
    invoice = without_unconfirmed("invoices", INVOICE.payload(), unconfirmed_names(""))
    assert all("Description" not in d for d in _distributions(invoice)) and _distributions(invoice)
    assert invoice["InvoiceNumber"] == "INV-1"  # confirmed (reference 2.6): always sent


def test_the_setting_sends_the_attributes_it_names() -> None:
    both = unconfirmed_names("OrderNumber, invoiceDistributions.Description")
    assert without_unconfirmed("draft_purchase_orders", DRAFT.payload(), both)["OrderNumber"] == "PFY1187"
    invoice = without_unconfirmed("invoices", INVOICE.payload(), both)
    assert [d["Description"] for d in _distributions(invoice)] == ["Freight"]


def test_an_unknown_name_in_the_setting_is_refused_naming_it() -> None:
    with pytest.raises(FusionInputError, match="ML_FUSION_SEND_UNCONFIRMED names Status"):
        unconfirmed_names("OrderNumber,Status")
