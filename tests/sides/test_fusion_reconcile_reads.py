"""Oracle Fusion read back for a reconciliation (``fusion.reconcile_reads``) on a stand-in pod: an invoice's
amount, cancellation and paid state, an order by header id or by our number."""

from decimal import Decimal
from typing import Any

from connector_assets.fusion.reconcile_reads import fusion_invoice, fusion_order
from connector_resources.fusion.errors import FusionNotFoundError


class Pod:
    def __init__(
        self, records: dict[tuple[str, str], dict[str, Any]], by_number: dict[str, dict] | None = None
    ) -> None:
        self.records, self.by_number = records, by_number or {}

    def get(self, entity: str, key: str) -> dict[str, Any]:
        if (entity, key) not in self.records:
            raise FusionNotFoundError(f"{entity} {key}")
        return self.records[(entity, key)]

    def find_purchase_order(self, number: str) -> dict[str, Any] | None:
        return self.by_number.get(number)


def test_an_invoice_reads_its_amount_cancellation_and_paid_status():
    pod = Pod(
        {
            ("invoices", "9"): {
                "InvoiceNumber": "N9",
                "InvoiceAmount": "12.346",
                "PaidStatus": "Paid",
                "CanceledFlag": "Y",
            }
        }
    )
    invoice = fusion_invoice(pod, "9")
    assert (invoice.found, invoice.amount, invoice.canceled, invoice.paid) == (
        True,
        Decimal("12.35"),
        True,
        "paid",
    )
    assert invoice.label == "Fusion invoice N9 (InvoiceId 9)"
    assert fusion_invoice(pod, "8").found is False


def test_an_order_is_read_by_header_id_else_found_by_our_number():
    pod = Pod(
        {("purchase_orders", "55"): {"OrderNumber": "PFY1", "POHeaderId": 55, "Status": "open"}},
        {"PFY2": {"StatusCode": "CANCELED"}},
    )
    assert fusion_order(pod, "55", "PFY1").label == "Fusion order PFY1, POHeaderId 55"
    assert fusion_order(pod, "56", "PFY2").status == "CANCELED"
    assert fusion_order(pod, None, "PFY3").found is False
