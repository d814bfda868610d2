"""The Oracle Fusion sandbox pod's AP team on demand: ``POST /sandbox/invoices/{InvoiceId}/pay`` approves an
invoice sent through REST (ApprovalStatus Required) and pays it with one payment, the same records the
activity's payments make; ``POST /sandbox/payments/{CheckId}/void`` takes a payment back. Both operator
routes are neither authenticated, faulted nor counted. Everything is checked through the REST API a client
reads (payablesPayments, PaidInvoicesFinder, invoices) and the stored records."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from connector_sandbox.fusion.writes import VALIDATED_RESULT

from .fusion_pod import Pod, named, validating
from .test_fusion_pod_writes import ACTION, invoice_payload, post

pytestmark = pytest.mark.timeout(120)

FUSION_SETTINGS = {"seed": 11}


def pay(pod: Pod, invoice_id: int | str, **body: Any) -> requests.Response:
    return requests.post(f"{pod.admin}/invoices/{invoice_id}/pay", json=body or None, timeout=30)


def void(pod: Pod, check_id: int | str, **body: Any) -> requests.Response:
    return requests.post(f"{pod.admin}/payments/{check_id}/void", json=body or None, timeout=30)


def rest_invoice(pod: Pod, order: dict[str, Any], *, validate: bool = True) -> dict[str, Any]:
    """An invoice a client sent through REST (and validated with Fusion's action), as stored."""
    created = post(pod, "invoices", invoice_payload(order))
    assert created.status_code == 201, created.text
    invoice_id = created.json()["InvoiceId"]
    if validate:
        done = post(pod, "invoices/action/validateInvoice", validating(created.json()), headers=ACTION)
        assert done.json() == {"result": VALIDATED_RESULT}
    return pod.record("invoices", invoice_id)


def payments_of(pod: Pod, number: str) -> list[dict[str, Any]]:
    """The invoice's payments as a client finds them (PaidInvoicesFinder), with their related rows."""
    return pod.ok(
        "payablesPayments", finder=f"PaidInvoicesFinder;InvoiceNumber={number}", expand="relatedInvoices"
    )["items"]


def test_a_rest_invoice_is_approved_and_paid_in_full_as_the_activity_pays(
    pod: Pod, order: dict[str, Any]
) -> None:
    invoice = rest_invoice(pod, order)
    assert (invoice["ApprovalStatus"], invoice["PaidStatus"]) == ("Required", "Unpaid")
    calls_before = pod.state()["calls"]

    answer = pay(pod, invoice["InvoiceId"])

    assert answer.status_code == 200, answer.text
    paid = answer.json()
    assert paid["ApprovalStatus"] == "Approved" and paid["PaidStatus"] == "Paid"
    assert paid["PaymentAmount"] == paid["AmountPaid"] == f"{invoice['InvoiceAmount']:.2f}"
    assert pod.state()["calls"] == calls_before  # operator routes are not counted
    stored = pod.record("invoices", invoice["InvoiceId"])
    assert stored["ApprovalStatus"] == "Approved" and stored["PaidStatus"] == "Paid"
    assert stored["AmountPaid"] == invoice["InvoiceAmount"]
    assert stored["invoiceInstallments"][0]["UnpaidAmount"] == 0
    assert stored["LastUpdateDate"] > invoice["LastUpdateDate"]
    [payment] = payments_of(pod, invoice["InvoiceNumber"])
    assert payment["CheckId"] == paid["CheckId"] and payment["VoidDate"] is None
    assert payment["PaymentDate"] == paid["PaymentDate"] == pod.state()["clock"]["now"][:10]
    assert payment["LastUpdateDate"] == stored["LastUpdateDate"]
    assert payment["Payee"] == invoice["Supplier"] and payment["PaymentAmount"] == invoice["InvoiceAmount"]
    [row] = payment["relatedInvoices"]
    assert row["InvoiceId"] == invoice["InvoiceId"] and row["AmountPaid"] == invoice["InvoiceAmount"]
    # The activity's payments look the same: a payment and one related row, the invoice Paid.
    activity = pod.set("activity", new_payments=1)
    [check] = activity["created"]["payablesPayments"]
    theirs = pod.record("payablesPayments", check)
    assert set(theirs) == set(pod.record("payablesPayments", paid["CheckId"]))
    assert pay(pod, invoice["InvoiceId"]).status_code == 409  # nothing is open any more


def test_a_partial_payment_on_a_given_day_then_the_rest(pod: Pod, order: dict[str, Any]) -> None:
    invoice = rest_invoice(pod, order)
    first = pay(pod, invoice["InvoiceId"], amount="10.25", payment_date="2025-03-04")
    assert first.status_code == 200, first.text
    assert first.json()["PaidStatus"] == "Partially paid" and first.json()["AmountPaid"] == "10.25"
    assert first.json()["PaymentDate"] == "2025-03-04"
    stored = pod.record("invoices", invoice["InvoiceId"])
    assert stored["PaidStatus"] == "Partially paid" and stored["AmountPaid"] == 10.25
    assert stored["invoiceInstallments"][0]["UnpaidAmount"] == pytest.approx(invoice["InvoiceAmount"] - 10.25)

    rest = pay(pod, invoice["InvoiceId"])  # default: what is open
    assert rest.json()["PaidStatus"] == "Paid"
    assert float(rest.json()["PaymentAmount"]) == pytest.approx(invoice["InvoiceAmount"] - 10.25)
    assert len(payments_of(pod, invoice["InvoiceNumber"])) == 2


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"amount": "0"}, "above 0"),
        ({"amount": "1000000000"}, "at most what is open"),
        ({"amount": "1.005"}, "2 places"),
        ({"amount": "lots"}, "decimal"),
        ({"payment_date": "04/03/2025"}, "YYYY-MM-DD"),
        ({"reference": "x"}, "takes only"),
    ],
)
def test_a_bad_body_is_400_and_pays_nothing(
    pod: Pod, order: dict[str, Any], body: dict[str, Any], says: str
) -> None:
    invoice = rest_invoice(pod, order)
    answer = pay(pod, invoice["InvoiceId"], **body)
    assert answer.status_code == 400 and says in answer.json()["error"]
    assert pod.record("invoices", invoice["InvoiceId"])["ApprovalStatus"] == "Required"
    assert payments_of(pod, invoice["InvoiceNumber"]) == []


def test_unknown_not_validated_and_canceled_invoices_are_refused(pod: Pod, order: dict[str, Any]) -> None:
    assert pay(pod, 1).status_code == 404 and "no invoice" in pay(pod, 1).json()["error"]
    draft = rest_invoice(pod, order, validate=False)
    refused = pay(pod, draft["InvoiceId"])
    assert refused.status_code == 409 and "not validated" in refused.json()["error"]
    post(pod, "invoices/action/cancelInvoice", named(draft), headers=ACTION)
    canceled = pay(pod, draft["InvoiceId"])
    assert canceled.status_code == 409 and "canceled" in canceled.json()["error"]
    assert payments_of(pod, draft["InvoiceNumber"]) == []


def test_the_operator_routes_are_not_faulted_or_authenticated(pod: Pod, order: dict[str, Any]) -> None:
    invoice = rest_invoice(pod, order)
    pod.set("faults", maintenance=True)
    pod.set("tokens/revoke")
    paid = pay(pod, invoice["InvoiceId"])
    assert paid.status_code == 200, paid.text
    assert void(pod, paid.json()["CheckId"]).status_code == 200


def test_a_void_takes_the_payment_off_its_invoice(pod: Pod, order: dict[str, Any]) -> None:
    invoice = rest_invoice(pod, order)
    part = pay(pod, invoice["InvoiceId"], amount="5.00").json()
    full = pay(pod, invoice["InvoiceId"]).json()
    before = pod.record("invoices", invoice["InvoiceId"])
    pod.set("clock", advance_seconds=60)

    answer = void(pod, full["CheckId"], void_date="2025-03-06")

    assert answer.status_code == 200, answer.text
    assert answer.json()["invoices"] == [
        {"InvoiceId": invoice["InvoiceId"], "AmountPaid": "5.00", "PaidStatus": "Partially paid"}
    ]
    stored = pod.record("invoices", invoice["InvoiceId"])
    assert stored["PaidStatus"] == "Partially paid" and stored["AmountPaid"] == 5
    assert stored["invoiceInstallments"][0]["UnpaidAmount"] == pytest.approx(invoice["InvoiceAmount"] - 5)
    assert stored["LastUpdateDate"] > before["LastUpdateDate"]
    voided = {p["CheckId"]: p for p in payments_of(pod, invoice["InvoiceNumber"])}
    assert voided[full["CheckId"]]["VoidDate"] == "2025-03-06"
    assert voided[full["CheckId"]]["LastUpdateDate"] == stored["LastUpdateDate"]
    assert voided[part["CheckId"]]["VoidDate"] is None
    again = void(pod, full["CheckId"])
    assert again.status_code == 409 and "already void" in again.json()["error"]
    assert void(pod, 1).status_code == 404

    assert void(pod, part["CheckId"]).json()["invoices"][0]["PaidStatus"] == "Unpaid"
    assert pod.record("invoices", invoice["InvoiceId"])["AmountPaid"] == 0
