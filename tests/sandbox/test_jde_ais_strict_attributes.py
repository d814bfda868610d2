"""JD Edwards AIS: every orchestration refuses, before any other check, an input
its contract does not declare (top level and inside grid rows) and an input of the wrong JSON type.

Each body also carries another error (an input that is not a number or not a date) that today's
sandbox reports instead; the answer must be the contract's input error 59A0 naming the misfit.
The reference is silent on undeclared inputs (a real orchestration drops them unread), so the
sandbox's refusal is the strict reading; orchestration inputs have no read-only attributes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from connector_sandbox.jde_ais import JdeSandboxSettings, run_in_thread

from .serving import served

pytestmark = pytest.mark.timeout(60)

# Per orchestration: a body whose only error is one bad scalar, and the grid (if any) with one row.
OTHER_ERROR: dict[str, tuple[dict[str, Any], str | None, dict[str, Any]]] = {
    "ML_AddUpdateSupplier": ({"Address_Number": "not-a-number", "Alpha_Name": "Strict GmbH"}, None, {}),
    "ML_CreateJournalBatch": (
        {"EDI_User_ID": "INTEGR8", "Company": "00001", "GL_Date": "not-a-date"},
        "Lines",
        {"EDI_Line_Number": "1", "Account": "1.1110", "Amount": "1.00"},
    ),
    "ML_CreatePurchaseOrder": (
        {"Order_Company": "00001", "Supplier": "not-a-number"},
        "Lines",
        {"Description": "Gloves", "Quantity": "1", "Unit_Cost": "1.00"},
    ),
    "ML_CreateVoucherBatch": (
        {"Company": "00001", "Supplier": "not-a-number"},
        "Distribution",
        {"EDI_Line_Number": "1", "Account": "1.1110", "Amount": "1.00"},
    ),
    "ML_RecordPayment": ({"Document_Company": "00001", "Document_Number": "not-a-number"}, None, {}),
    "ML_UpdatePurchaseOrder": (
        {"Order_Company": "00001", "Order_Number": "not-a-number"},
        "Lines",
        {"Line_Number": "1.000", "Quantity": "2"},
    ),
}
# A string input of each orchestration, to send with a wrong JSON type.
STRING_INPUT = {
    "ML_AddUpdateSupplier": "Alpha_Name",
    "ML_CreateJournalBatch": "Explanation",
    "ML_CreatePurchaseOrder": "Remark",
    "ML_CreateVoucherBatch": "Remark",
    "ML_RecordPayment": "Payment_Reference",
    "ML_UpdatePurchaseOrder": "Remark",
}


def _cases() -> Iterator[Any]:
    for name, (body, grid, row) in OTHER_ERROR.items():
        rows = {grid: [row]} if grid else {}
        yield pytest.param(
            name, {**body, **rows, "Vendor_Category": "A"}, "Vendor_Category", id=f"{name}-unknown"
        )
        yield pytest.param(
            name, {**body, **rows, STRING_INPUT[name]: {"text": "x"}}, STRING_INPUT[name], id=f"{name}-type"
        )
        if grid:
            nested = {**body, grid: [{**row, "Cost_Center": "9"}]}
            yield pytest.param(name, nested, f"{grid}[0].Cost_Center", id=f"{name}-unknown-in-row")
            column = next(key for key in row if key != "EDI_Line_Number")
            typed = {**body, grid: [{**row, column: ["1"]}]}
            yield pytest.param(name, typed, f"{grid}[0].{column}", id=f"{name}-type-in-row")
            yield pytest.param(name, {**body, grid: {"rows": []}}, grid, id=f"{name}-grid-not-array")


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    yield from served(run_in_thread(JdeSandboxSettings(scale=0.02)), lambda url: url)


@pytest.fixture(scope="module")
def token(base: str) -> str:
    body = {"username": "INTEGR8", "password": "integr8-sandbox", "deviceName": "strict"}
    response = requests.post(f"{base}/v2/tokenrequest", json=body, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["userInfo"]["token"]


@pytest.mark.parametrize(("name", "body", "attribute"), list(_cases()))
def test_misfit_input_is_refused_before_other_checks(
    base: str,
    token: str,
    name: str,
    body: dict[str, Any],
    attribute: str,
    behind_the_contract: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The orchestration contract (docs/jde_orchestrations) refuses the same input at the HTTP core; only
    # recorded here, so the simulator's own 59A0 is what is read, and both name the same attribute.
    response = requests.post(
        f"{base}/v3/orchestrator/{name}",
        json=body,
        headers={"jde-AIS-Auth": token, "jde-AIS-Auth-Device": "strict"},
        timeout=10,
    )
    assert response.status_code == 500, response.text
    answer = response.json()
    assert answer["jde__status"] == "ERROR"
    (service_request,) = answer["message"].values()
    (form,) = service_request["JAS Response"].values()
    (error,) = form["errors"]
    assert error["CODE"] == "59A0", error
    assert f"'{attribute}'" in error["MOBILE"], error["MOBILE"]
    assert attribute in {b.violation.field for b in behind_the_contract.seen()}
