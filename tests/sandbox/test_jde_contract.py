"""The JD Edwards AIS contract (``connector_sandbox.jde_ais.contract``) held on both sides, with no Dagster.

A request the contract refuses is refused naming system, endpoint and field (a raw one, and one through the
real client); a dead token answered 403 "Token is Invalid" or 444 logs in again while a 403 that is a
permission refusal does not; poservice tells ``ping`` whether R04110ZA purges processed batch rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from sandbox_admin import SandboxAdmin

from connector_resources.jde import JdeAisResource, JdeAuthError, JdeOrchestrationError
from connector_resources.token_store import release_process_tokens
from connector_sandbox.jde_ais import JdeSandboxSettings, run_in_thread
from connector_sandbox.jde_ais.contract import CONTRACT
from sandbox.serving import served

USER, PASSWORD, DEVICE = "INTEGR8", "integr8-sandbox", "contract-test"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxAdmin]:
    yield from served(
        run_in_thread(JdeSandboxSettings(scale=0.02)), lambda url: SandboxAdmin(url.removesuffix("/jderest"))
    )


@pytest.fixture(autouse=True)
def _reset(sandbox: SandboxAdmin) -> Iterator[None]:
    yield
    sandbox.admin("POST", "faults/reset")
    release_process_tokens()


def _jde(sandbox: SandboxAdmin) -> JdeAisResource:
    return JdeAisResource(
        base_url=f"{sandbox.url}/jderest",
        username=USER,
        password=PASSWORD,
        device_name=DEVICE,
        keep_sessions=False,
    )


def _token(sandbox: SandboxAdmin) -> str:
    body = {"username": USER, "password": PASSWORD, "deviceName": DEVICE}
    answer = requests.post(f"{sandbox.url}/jderest/v2/tokenrequest", json=body, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["userInfo"]["token"]


# -- refused as Oracle's reference and our orchestration contracts say --------------------------------


def test_a_data_request_with_a_field_aliens_to_the_reference_is_refused_naming_it(sandbox, contract_breaches):
    body = {
        "token": _token(sandbox),
        "deviceName": DEVICE,
        "targetName": "F0101",
        "targetType": "table",
        "dataServiceType": "BROWSE",
        "maxPageSize": 10,  # a number: the reference has it a string ("100", "No Max")
        "maxRows": "10",  # no such field
    }
    answer = requests.post(f"{sandbox.url}/jderest/v2/dataservice", json=body, timeout=10)
    assert answer.status_code == 400
    assert answer.json()["exception"] == "Exception"  # AIS's ServiceErrorResponse
    seen = {
        (b.side, b.violation.endpoint, b.violation.field, b.violation.problem)
        for b in contract_breaches.seen()
    }
    assert ("request", "POST /jderest/v2/dataservice", "maxRows", "unknown") in seen
    assert ("request", "POST /jderest/v2/dataservice", "maxPageSize", "type") in seen
    assert all(b.violation.system == "jde_ais" for b in contract_breaches.seen())


def test_an_orchestration_input_our_contract_does_not_list_is_refused_through_the_real_client(
    sandbox, contract_breaches
):
    inputs = {
        **{"Document_Company": "00001", "Document_Number": 1, "Payment_Amount": "1.00"},
        **{"Payment_Date": "2025-02-01", "Payment_Reference": "X-1", "Voucher_Remark": "not an input"},
    }
    with _jde(sandbox).session() as s, pytest.raises(JdeOrchestrationError):
        s.orchestrate("ML_RecordPayment", inputs)
    [breach] = contract_breaches.seen()
    assert breach.violation.words.startswith(
        "jde_ais POST /jderest/v3/orchestrator/ML_RecordPayment: body field 'Voucher_Remark' unknown"
    )


def test_every_endpoint_the_client_calls_is_in_the_contract():
    endpoints = set(CONTRACT.endpoints())
    for called in (
        "POST /jderest/v2/tokenrequest",
        "POST /jderest/v2/tokenrequest/logout",
        "POST /jderest/v2/dataservice",
        "POST /jderest/v2/dataservice/next",
        "POST /jderest/v2/poservice",
        "GET /jderest/defaultconfig",
        "GET /jderest/discover",
        "POST /jderest/v3/orchestrator/ML_RecordPayment",
        "POST /jderest/v3/orchestrator/ML_CreateVoucherBatch",
        "POST /jderest/v3/orchestrator/ML_CreateJournalBatch",
        "POST /jderest/v3/orchestrator/ML_AddUpdateSupplier",
        "POST /jderest/v3/orchestrator/ML_CreatePurchaseOrder",
        "POST /jderest/v3/orchestrator/ML_UpdatePurchaseOrder",
    ):
        assert called in endpoints, called


# -- a dead token: log in again; a permission refusal: do not -----------------------------------------


@pytest.mark.parametrize("status", [403, 444])
def test_a_dead_token_is_answered_as_configured_and_the_client_logs_in_again(sandbox, status):
    sandbox.admin("POST", "faults", json={"dead_token_status": status})
    token = _token(sandbox)
    sandbox.admin("POST", "restart")  # every session ends
    body = {"token": token, "deviceName": DEVICE, "targetName": "F0101", "targetType": "table",
            "dataServiceType": "BROWSE", "maxPageSize": "1"}  # fmt: skip
    dead = requests.post(f"{sandbox.url}/jderest/v2/dataservice", json=body, timeout=10)
    assert dead.status_code == status
    assert dead.json()["message"] == ("Token is Invalid" if status == 403 else "Invalid Token")

    with _jde(sandbox).session() as s:
        assert s.sample("F0101") is not None
        sandbox.admin("POST", "restart")
        assert s.sample("F0101") is not None  # logged in again, read again
        assert s.reauths == 1


def test_validate_answers_a_dead_token_403_token_is_invalid(sandbox):
    token = _token(sandbox)
    sandbox.admin("POST", "restart")
    answer = requests.post(
        f"{sandbox.url}/jderest/v2/tokenrequest/validate",
        json={"token": token, "deviceName": DEVICE},
        timeout=10,
    )
    assert (answer.status_code, answer.json()["message"]) == (403, "Token is Invalid")


def test_a_403_permission_refusal_is_a_configuration_error_without_a_new_login(sandbox):
    sandbox.admin("POST", "faults", json={"refuse_tables": ["F0401"]})
    with _jde(sandbox).session() as s:
        with pytest.raises(JdeAuthError):
            s.sample("F0401")
        assert s.reauths == 0


# -- R04110ZA's purge option, read through poservice ---------------------------------------------------


@pytest.mark.parametrize(
    ("purge", "said"),
    [(True, "R04110ZA ZJDE0001 purges processed transactions"), (False, "R04110ZA ZJDE0001 keeps processed")],
)
def test_ping_says_whether_the_sites_batch_voucher_processor_purges_its_batch_rows(sandbox, purge, said):
    sandbox.admin("POST", "faults", json={"purge_processed_batches": purge})
    assert said in _jde(sandbox).ping()


def test_ping_says_so_when_the_processing_options_cannot_be_read(sandbox):
    jde = _jde(sandbox).model_copy(update={"voucher_processor_version": "XJDE9999"})
    assert "R04110ZA XJDE9999 processing options not readable" in jde.ping()


def test_poservice_answers_the_processing_options_of_the_sites_version(sandbox):
    with _jde(sandbox).session() as s:
        options: dict[str, Any] = dict(s.processing_options("R04110ZA", "ZJDE0001"))
    assert options["application"] == "R04110ZA" and "processingOptions" in options
