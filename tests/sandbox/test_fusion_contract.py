"""The Fusion pod checked against Oracle's published contract (connector_sandbox/fusion/contract.py): a
request Oracle refuses is refused naming system, endpoint and field, through raw HTTP and through our own
client; the invoice validation break stays fixed (the documented parameters, the answer read, a refused
validation marked, never dropped); and the behaviours the pod gained from Oracle's pages."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from connector_assets.fusion.invoice_target import FusionInvoices
from connector_resources.fusion import FusionResource, FusionValidationError
from connector_resources.fusion.entities import ENTITIES
from connector_resources.fusion.session import Validation
from connector_sandbox.fusion.contract import CONTRACT, ROOT
from connector_sandbox.fusion.writes import VALIDATED_RESULT

from .fusion_pod import USER, Pod, named, validating
from .test_fusion_pod_writes import ACTION, invoice_payload, open_order, patch, post
from .test_fusion_sandbox import self_href

__all__ = ["open_order"]  # the module fixture, shared with the pod's write tests

VALIDATE = "POST /fscmRestApi/resources/{version}/invoices/action/validateInvoice"


def client(pod: Pod, **settings: Any) -> FusionResource:
    """Our real client on the pod (basic auth as the pod's integration user)."""
    return FusionResource.from_settings(
        {},
        base_url=pod.base,
        auth="basic",
        username=USER[0],
        password=USER[1],
        backoff_base=0.01,
        backoff_cap=0.05,
        read_timeout=10.0,
        deadline=30.0,
        **settings,
    )


def created_invoice(pod: Pod, order: dict[str, Any]) -> dict[str, Any]:
    response = post(pod, "invoices", invoice_payload(order))
    assert response.status_code == 201, response.text
    return response.json()


def seen(breaches: Any) -> set[tuple[str, str, str]]:
    return {(b.violation.endpoint, b.violation.field, b.violation.problem) for b in breaches.seen()}


# -- refused naming system, endpoint and field ----------------------------------------------------------


def test_the_undocumented_invoice_id_body_is_refused_naming_system_endpoint_and_field(
    pod: Pod, open_order: dict[str, Any], contract_breaches: Any
) -> None:
    """The named break: validateInvoice posted as {"InvoiceId": n}, as the client used to."""
    invoice = created_invoice(pod, open_order)
    refused = post(
        pod, "invoices/action/validateInvoice", {"InvoiceId": invoice["InvoiceId"]}, headers=ACTION
    )
    assert refused.status_code == 400
    detail = refused.json()["detail"]
    assert f"fusion {VALIDATE}: body field 'InvoiceId' unknown" in detail
    assert seen(contract_breaches) == {
        (VALIDATE, "InvoiceId", "unknown"),
        *(
            (VALIDATE, name, "required")
            for name in ("InvoiceNumber", "BusinessUnit", "Supplier", "ProcessAction")
        ),
    }
    assert pod.record("invoices", invoice["InvoiceId"])["ValidationStatus"] != "Validated"


def test_our_client_sending_a_field_oracle_does_not_take_is_refused_by_name(
    pod: Pod, open_order: dict[str, Any], contract_breaches: Any
) -> None:
    """AccountingDate is set on POST only (Oracle's Payables invoices attribute table): a PATCH of it by our
    own client fails naming the system, the endpoint and the field, and the error says which."""
    invoice = created_invoice(pod, open_order)
    with client(pod).session() as s, pytest.raises(FusionValidationError) as caught:
        s.update_invoice(invoice, {"AccountingDate": "2025-02-03"})
    assert "AccountingDate" in str(caught.value)
    assert seen(contract_breaches) == {
        ("PATCH /fscmRestApi/resources/{version}/invoices/{id}", "AccountingDate", "unknown")
    }


def test_output_only_and_unknown_fields_in_a_create_are_refused(
    pod: Pod, open_order: dict[str, Any], contract_breaches: Any
) -> None:
    body = {**invoice_payload(open_order), "ApprovalStatus": "Approved", "VendorName": "x"}
    body["invoiceLines"][0]["InvoiceDistributionId"] = 1
    assert post(pod, "invoices", body).status_code == 400
    endpoint = "POST /fscmRestApi/resources/{version}/invoices"
    assert seen(contract_breaches) == {
        (endpoint, "ApprovalStatus", "output-only"),
        (endpoint, "VendorName", "unknown"),
        (endpoint, "invoiceLines[0].InvoiceDistributionId", "unknown"),
    }


def test_query_parameters_in_another_form_are_refused(pod: Pod, contract_breaches: Any) -> None:
    assert pod.get("invoices", onlyData="yes", expand="lines;schedules", totalResults="1").status_code == 400
    endpoint = "GET /fscmRestApi/resources/{version}/invoices"
    assert seen(contract_breaches) == {
        (endpoint, "onlyData", "form"),
        (endpoint, "expand", "form"),
        (endpoint, "totalResults", "form"),
    }


# -- the validation break fixed --------------------------------------------------------------------------


def test_our_client_validates_with_the_documented_parameters_and_reads_the_answer(
    pod: Pod, open_order: dict[str, Any]
) -> None:
    invoice = created_invoice(pod, open_order)
    with client(pod).session() as s:
        answered = s.validate_invoice(invoice)
    assert answered == Validation(VALIDATED_RESULT, None)
    assert pod.record("invoices", invoice["InvoiceId"])["ValidationStatus"] == "Validated"


def test_validating_a_written_invoice_costs_one_call_as_before(pod: Pod, open_order: dict[str, Any]) -> None:
    """The flow names the invoice from what it holds: no read before the action, none after it by default."""
    invoice = created_invoice(pod, open_order)
    with client(pod).session() as s:
        s.authenticate()
        before = s.http.metrics.calls
        s.validate_invoice(invoice)
        assert s.http.metrics.calls - before == 1


def test_with_validation_check_status_a_hold_is_read_back(pod: Pod, open_order: dict[str, Any]) -> None:
    invoice = created_invoice(pod, open_order)
    assert patch(pod, self_href(invoice), {"InvoiceAmount": "1.00"}).status_code == 200  # lines differ now
    with client(pod, validation_check="status").session() as s:
        answered = s.validate_invoice(invoice)
    assert (answered.result, answered.status, answered.held) == (VALIDATED_RESULT, "Needs revalidation", True)


class _Refusing:
    """A session whose pod refuses validation (as every pod refused the old id body)."""

    business_unit = "US1 Business Unit"

    def validate_invoice(self, invoice: Any) -> Validation:
        raise FusionValidationError("fusion: invoice SIM-1: HTTP 400: ProcessAction is required", status=400)


class _Holding:
    business_unit = "US1 Business Unit"

    def validate_invoice(self, invoice: Any) -> Validation:
        return Validation(VALIDATED_RESULT, "Needs revalidation")


@pytest.mark.parametrize(
    ("session", "words"),
    [(_Refusing(), "Fusion refused its validation"), (_Holding(), "Needs revalidation")],
)
def test_a_refused_or_held_validation_is_marked_warned_not_swallowed(session: Any, words: str) -> None:
    target = FusionInvoices.__new__(FusionInvoices)  # only ``validate`` is exercised: no ledger needed
    target.session = session
    verdict = target.validate("300000000000001", {"InvoiceNumber": "SIM-1", "Supplier": "Acme"})
    assert words in verdict.words and verdict.marks == ("warned",)


# -- behaviours the pod takes from Oracle's pages --------------------------------------------------------


def test_the_pod_itself_refuses_an_id_body_and_answers_the_documented_message(
    pod: Pod, open_order: dict[str, Any], behind_the_contract: Any
) -> None:
    invoice = created_invoice(pod, open_order)
    by_id = post(pod, "invoices/action/validateInvoice", {"InvoiceId": invoice["InvoiceId"]}, headers=ACTION)
    assert by_id.status_code == 400 and "InvoiceId" in by_id.text
    wrong = post(
        pod,
        "invoices/action/validateInvoice",
        {**validating(invoice), "ProcessAction": "Check"},
        headers=ACTION,
    )
    assert wrong.status_code == 400 and "ProcessAction" in wrong.text
    done = post(pod, "invoices/action/validateInvoice", validating(invoice), headers=ACTION)
    assert done.status_code == 200 and done.json() == {"result": VALIDATED_RESULT}
    cancel = post(pod, "invoices/action/cancelInvoice", named(invoice), headers=ACTION)
    assert cancel.status_code == 200


def test_the_pod_does_not_patch_what_oracle_sets_on_create_only(
    pod: Pod, open_order: dict[str, Any], behind_the_contract: Any
) -> None:
    invoice = created_invoice(pod, open_order)
    for name, value in (("AccountingDate", "2025-02-03"), ("InvoiceGroup", "OTHER")):
        refused = patch(pod, self_href(invoice), {name: value})
        assert refused.status_code == 400 and name in refused.text


def test_every_resource_our_client_reads_is_in_the_contract() -> None:
    for spec in ENTITIES.values():
        path = f"{ROOT}/11.13.18.05/{spec.resource}"
        assert CONTRACT.operation("GET", path) is not None, path
        assert CONTRACT.operation("GET", f"{path}/300000000000001") is not None, path
    assert CONTRACT.operation("GET", f"{ROOT}/11.13.18.05/accountingPeriodStatusLOV") is not None
    assert CONTRACT.operation("POST", f"{ROOT}/latest/invoices/action/validateInvoice") is not None
    assert CONTRACT.operation("POST", f"{ROOT}/latest/draftPurchaseOrders/1/action/submit") is not None


def test_the_pods_answers_keep_oracles_envelope(pod: Pod) -> None:
    """An answer outside the contract would fail this test (the autouse contract check)."""
    page = pod.ok("invoices", limit=2, totalResults="true", onlyData="true")
    assert {"items", "count", "hasMore", "limit", "offset", "totalResults"} <= set(page)
    requests.get(f"{pod.api}/invoices/describe", auth=USER, timeout=30).raise_for_status()
