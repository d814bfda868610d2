"""The Oracle Fusion sandbox pod's invoices in a currency of their own: a foreign invoice needs a conversion
rate type and converts on its accounting date unless told otherwise; a user rate goes with the type User
only; amounts keep their currency's precision (whole yen, a dinar's fils) and anything finer is a 400 naming
the attribute and the currency, never rounded; the AP team's pay route pays in the invoice's currency.

Payloads are the expense form of the reference's example (one distributed line on an account the pod
serves), in the US1 business unit, whose ledger is in US dollars."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from connector_sandbox.fusion.writes import VALIDATED_RESULT

from .fusion_pod import Pod, validating
from .test_fusion_pay_route import pay
from .test_fusion_pod_writes import ACTION, post

pytestmark = pytest.mark.timeout(120)

FUSION_SETTINGS = {"seed": 13}


def expense_invoice(order: dict[str, Any], currency: str, amount: str, **header: Any) -> dict[str, Any]:
    """One line of ``amount`` in ``currency``, distributed once on the order's charge account."""
    account = order["lines"][0]["schedules"][0]["distributions"][0]["POChargeAccount"]
    line = {
        "LineNumber": 1,
        "LineType": "Item",
        "LineAmount": amount,
        "invoiceDistributions": [
            {"DistributionLineNumber": 1, "DistributionAmount": amount, "DistributionCombination": account}
        ],
    }
    return {
        "InvoiceNumber": f"FX-{uuid.uuid4().hex[:10]}",
        "InvoiceCurrency": currency,
        "InvoiceAmount": amount,
        "InvoiceDate": "2025-02-03",
        "AccountingDate": "2025-02-05",
        "BusinessUnit": order["BillToBU"],
        "Supplier": order["Supplier"],
        "SupplierSite": order["SupplierSite"],
        "invoiceLines": [line],
        **header,
    }


def created(pod: Pod, payload: dict[str, Any]) -> dict[str, Any]:
    response = post(pod, "invoices", payload)
    assert response.status_code == 201, response.text
    return pod.record("invoices", response.json()["InvoiceId"])


def refused(pod: Pod, payload: dict[str, Any]) -> str:
    response = post(pod, "invoices", payload)
    assert response.status_code == 400, response.text
    assert pod.ok("invoices", q=f"InvoiceNumber={payload['InvoiceNumber']}")["count"] == 0
    return response.text


def test_a_foreign_invoice_converts_at_its_rate_type_on_its_accounting_date(
    pod: Pod, order: dict[str, Any]
) -> None:
    euro = created(pod, expense_invoice(order, "EUR", "1000.00", ConversionRateType="Corporate"))
    assert (euro["InvoiceCurrency"], euro["PaymentCurrency"], euro["InvoiceAmount"]) == ("EUR", "EUR", 1000)
    assert (euro["ConversionRateType"], euro["ConversionDate"]) == ("Corporate", "2025-02-05")
    assert euro["ConversionRate"] is None  # the ledger's daily rate: the pod keeps none (README)
    dated = created(
        pod,
        expense_invoice(order, "EUR", "5.00", ConversionRateType="Corporate", ConversionDate="2025-02-04"),
    )
    assert dated["ConversionDate"] == "2025-02-04"
    user = created(
        pod, expense_invoice(order, "GBP", "80.00", ConversionRateType="User", ConversionRate="1.2712")
    )
    assert (user["ConversionRateType"], user["ConversionRate"]) == ("User", 1.2712)
    domestic = created(pod, expense_invoice(order, "USD", "10.00", ConversionRateType="Corporate"))
    assert (domestic["ConversionRateType"], domestic["ConversionDate"]) == (None, None)  # nothing converts


@pytest.mark.parametrize(
    ("header", "named"),
    [
        ({}, "ConversionRateType"),
        ({"ConversionRateType": "User"}, "ConversionRate"),
        ({"ConversionRateType": "Corporate", "ConversionRate": "1.08"}, "ConversionRate"),
    ],
    ids=["no rate type", "user type without a rate", "a rate with another type"],
)
def test_conversion_attributes_a_foreign_invoice_cannot_go_without_or_with(
    pod: Pod, order: dict[str, Any], header: dict[str, Any], named: str
) -> None:
    payload = expense_invoice(order, "EUR", "10.00", **header)
    text = refused(pod, payload)
    assert named in text and payload["InvoiceNumber"] in text


def test_amounts_keep_their_currency_precision_and_nothing_finer_is_rounded(
    pod: Pod, order: dict[str, Any]
) -> None:
    yen = created(pod, expense_invoice(order, "JPY", "150000", ConversionRateType="Corporate"))
    assert yen["InvoiceAmount"] == 150000 and yen["invoiceLines"][0]["LineAmount"] == 150000
    dinar = created(pod, expense_invoice(order, "KWD", "12.345", ConversionRateType="Corporate"))
    assert dinar["InvoiceAmount"] == 12.345  # the fils kept, not 12.35
    assert dinar["invoiceLines"][0]["invoiceDistributions"][0]["DistributionAmount"] == 12.345
    assert dinar["invoiceInstallments"][0]["GrossAmount"] == 12.345
    fractional = expense_invoice(order, "JPY", "1000.5", ConversionRateType="Corporate")
    text = refused(pod, fractional)
    assert "InvoiceAmount" in text and "JPY" in text and "no decimals" in text
    line = expense_invoice(order, "JPY", "1000", ConversionRateType="Corporate")
    line["invoiceLines"][0]["LineAmount"] = "1000.50"
    assert "LineAmount" in refused(pod, line)
    finer = expense_invoice(order, "KWD", "1.2345", ConversionRateType="Corporate")
    assert "at most 3 decimals" in refused(pod, finer)


def test_the_ap_team_pays_in_the_invoice_currency(pod: Pod, order: dict[str, Any]) -> None:
    yen = created(pod, expense_invoice(order, "JPY", "1001", ConversionRateType="Corporate"))
    done = post(pod, "invoices/action/validateInvoice", validating(yen), headers=ACTION)
    assert done.json() == {"result": VALIDATED_RESULT}
    half_yen = pay(pod, yen["InvoiceId"], amount="500.5")
    assert half_yen.status_code == 400 and "at most 0 places in JPY" in half_yen.text
    paid = pay(pod, yen["InvoiceId"], amount="501")
    assert paid.status_code == 200, paid.text
    assert (paid.json()["PaymentAmount"], paid.json()["AmountPaid"]) == ("501", "501")
    payment = pod.ok(f"payablesPayments/{paid.json()['CheckId']}", expand="relatedInvoices")
    assert (payment["PaymentAmount"], payment["PaymentCurrency"]) == (501, "JPY")
    assert payment["relatedInvoices"][0]["AmountPaid"] == 501
    assert pod.record("invoices", yen["InvoiceId"])["PaidStatus"] == "Partially paid"
