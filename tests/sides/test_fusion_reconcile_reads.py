"""Oracle Fusion read back for a reconciliation (``fusion.reconcile_reads``) on stand-in pods: an invoice's
amount, cancellation and paid state, an order by header id or by our number, invoices and orders read in
lists of keys with their lines, and the day a record was created."""

from decimal import Decimal
from typing import Any

from connector_assets.fusion.reconcile_reads import (
    FusionInvoiceLine,
    FusionPoLine,
    created_on,
    fusion_invoices,
    fusion_order,
    fusion_orders,
    fusion_po_of,
    invoice_of,
)
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
                "InvoiceCurrency": "kwd",
                "PaidStatus": "Paid",
                "CanceledFlag": "Y",
            }
        }
    )
    invoice = invoice_of(pod, "9", pod.get("invoices", "9"))
    # Read exactly, in the invoice's currency: a dinar invoice's fils are not rounded to cents before the
    # reconciliation compares them with the bill's.
    assert (invoice.found, invoice.amount, invoice.currency, invoice.canceled, invoice.paid) == (
        True,
        Decimal("12.346"),
        "KWD",
        True,
        "paid",
    )
    assert invoice.label == "Fusion invoice N9 (InvoiceId 9)"
    assert invoice_of(pod, "8", None).found is False


def test_an_order_is_read_by_header_id_else_found_by_our_number():
    pod = Pod(
        {("purchase_orders", "55"): {"OrderNumber": "PFY1", "POHeaderId": 55, "Status": "open"}},
        {"PFY2": {"StatusCode": "CANCELED"}},
    )
    assert fusion_order(pod, "55", "PFY1").label == "Fusion order PFY1, POHeaderId 55"
    assert fusion_order(pod, "56", "PFY2").status == "CANCELED"
    assert fusion_order(pod, None, "PFY3").found is False


class ListPod:
    """Records by (entity, key attribute value), answered in lists as ``iter_in`` answers them; the calls
    made."""

    def __init__(self, records: dict[str, list[dict[str, Any]]]) -> None:
        self.records, self.calls = records, []

    def iter_in(self, entity: str, attribute: str, values: Any, *, expand: Any = ()) -> Any:
        wanted = [str(v) for v in values]
        self.calls.append((entity, attribute, tuple(wanted), tuple(expand)))
        return [r for r in self.records.get(entity, []) if str(r.get(attribute)) in wanted]


def test_invoices_are_read_in_one_list_with_their_lines_in_line_order():
    pod = ListPod(
        {
            "invoices": [
                {
                    "InvoiceId": 9,
                    "InvoiceNumber": "N9",
                    "InvoiceAmount": 12.5,
                    "InvoiceDate": "2026-11-02",
                    "InvoiceCurrency": "usd",
                    "PaidStatus": "Unpaid",
                    "invoiceLines": [
                        {"LineNumber": 2, "LineType": "Tax", "LineAmount": 2.5},
                        {"LineNumber": 1, "LineAmount": "10", "PurchaseOrderNumber": "PFY1"},
                    ],
                }
            ]
        }
    )
    found = fusion_invoices(pod, ["9", "8", "9"])
    assert pod.calls == [("invoices", "InvoiceId", ("8", "9"), ("invoiceLines",))]
    assert found["8"].found is False
    nine = found["9"]
    assert (nine.invoice_date, nine.currency, nine.paid) == ("2026-11-02", "USD", "unpaid")
    assert nine.lines == (
        FusionInvoiceLine(1, "Item", Decimal("10.00"), "PFY1"),
        FusionInvoiceLine(2, "Tax", Decimal("2.50")),
    )


def test_orders_are_read_in_lists_with_lines_and_charge_accounts_drafts_apart():
    line = {
        "LineNumber": 1,
        "Quantity": "2.0",
        "Price": 10,
        "Amount": 20,
        "Description": "Rebar",
        "schedules": [{"distributions": [{"POChargeAccount": "101-10-60000-000"}]}],
    }
    pod = ListPod(
        {
            "purchase_orders": [{"POHeaderId": 5, "StatusCode": "OPEN", "SupplierId": 7, "lines": [line]}],
            "draft_purchase_orders": [{"POHeaderId": 6, "StatusCode": "INCOMPLETE", "lines": []}],
        }
    )
    found = fusion_orders(pod, ["5", "6", "4"])
    assert [c[0] for c in pod.calls] == ["purchase_orders", "draft_purchase_orders"]
    assert pod.calls[1][2] == ("4", "6")  # only the ids the orders did not answer for
    order = fusion_po_of(found["5"], "PFY1")
    assert (order.status, order.supplier_id, order.total) == ("OPEN", "7", Decimal("20.00"))
    assert order.lines == (
        FusionPoLine(1, Decimal("2"), Decimal("10"), Decimal("20.00"), "Rebar", account="101-10-60000-000"),
    )
    assert fusion_po_of(found["6"], "PFY2").status == "INCOMPLETE" and "4" not in found


def test_a_record_is_created_on_a_day_by_its_creation_date():
    assert created_on({"CreationDate": "2026-11-23T23:59:59.000+00:00"}, "2026-11-23")
    assert not created_on({"CreationDate": "2026-11-22T23:00:00-02:00"}, "2026-11-22")  # 01:00 UTC next day
    assert not created_on({}, "2026-11-23")
