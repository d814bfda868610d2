"""A JDE write already made is recognised by reading JDE, not by an error code: a payment
refused for any reason is looked up in F0414 by its reference and adopted with JDE's payment number; a
duplicate refusal F0414 cannot confirm is adopted whatever its code (the setting's codes, else a title that
says duplicate); any other refusal stays a refusal. A voucher batch refused with a code that is not 59A4 is
adopted when its batch key's rows hold it. A JDE answering 4014 end to end: the BILL payments kill -9
proof (``tests/integrations/jde_bill/test_flow_jde_bill_kill9.py``)."""

from __future__ import annotations

from typing import Any

import pytest

from connector_assets.flows.core import Created, Mapped
from connector_assets.jde.targets import DocumentPayments, JdeRefused, VoucherBatches
from connector_resources.jde import JdeAuthError, JdeMessage, JdeOrchestrationError

VOUCHER = {"Document_Company": "00001", "Document_Number": 10008, "Document_Type": "PV"}
# The company's constants every money write reads first: its currency says domestic or foreign money.
COMPANY = {"F0010": [{"CO": "00001", "CRCD": "USD"}]}
PAYMENT = {**VOUCHER, "Payment_Amount": "80.00", "Payment_Date": "2026-01-31", "Payment_Reference": "PFY55"}


class RefusingJde:
    """A JDE session that refuses every orchestration with ``code`` / ``title`` and holds ``rows`` per
    table for the data service (the conditions are not applied: the rows are the ones they would find)."""

    def __init__(self, code: str, title: str, rows: dict[str, list[dict[str, Any]]] | None = None) -> None:
        self.code, self.title, self.rows = code, title, {**COMPANY, **(rows or {})}
        self.reads: list[str] = []

    def orchestrate(self, name: str, inputs: dict[str, Any]) -> Any:
        message = JdeMessage(self.code, self.title, mobile=f"{self.title}.")
        raise JdeOrchestrationError(f"{name} failed", orchestration=name, messages=[message])

    def browse(self, table: str, **query: Any) -> list[dict[str, Any]]:
        self.reads.append(table)
        return self.rows.get(table, [])


def _pay(session: RefusingJde) -> Any:
    return DocumentPayments(session, None, None, None).create(Mapped("P55:B1", PAYMENT, {}))


def test_a_refused_payment_jde_shows_in_f0414_is_adopted_with_its_payment_number():
    held = {"F0414": [{"PYID": 700123, "RMK": "PFY55"}]}
    created = _pay(RefusingJde("4014", "Duplicate Payment Reference", held))
    assert isinstance(created, Created) and created.action == "adopt"
    assert created.target_id == "00001/10008/PV/PFY55/700123"
    assert "as payment 700123" in created.reason


def test_a_duplicate_refusal_f0414_cannot_confirm_is_adopted_by_its_title_or_a_code_of_the_setting(
    monkeypatch,
):
    created = _pay(RefusingJde("4014", "Error: Duplicate Payment Reference"))  # the title says it
    assert isinstance(created, Created) and created.action == "adopt"
    assert created.target_id == "00001/10008/PV/PFY55" and "4014" in created.reason

    unworded = RefusingJde("7701", "Reference Exists")  # a title that does not say duplicate
    with pytest.raises(JdeRefused, match="7701"):
        _pay(unworded)
    assert unworded.reads == ["F0010", "F0008", "F0414"]  # the company first; after the refusal, F0414
    monkeypatch.setenv("ML_JDE_DUPLICATE_PAYMENT_CODES", "59AB, 7701")
    assert _pay(unworded).action == "adopt"


class UnreadableF0414(RefusingJde):
    """A JDE whose AIS user may not read F0414 (the data service answers 403)."""

    def browse(self, table: str, **query: Any) -> list[dict[str, Any]]:
        if table != "F0414":
            return super().browse(table, **query)
        self.reads.append(table)
        raise JdeAuthError(f"JDE refused to read {table}: Authorization Failure (HTTP 403)", status=403)


def test_a_duplicate_adopted_without_its_number_says_what_the_ledger_keeps_and_why():
    """No documented read gives JDE's payment number without F0414 (the refusal carries none; the F0413
    header holds no reference): the ledger keeps voucher and reference, and the adoption says so and why."""
    unreadable = _pay(UnreadableF0414("4014", "Duplicate Payment Reference"))
    assert isinstance(unreadable, Created) and unreadable.action == "adopt"
    assert unreadable.target_id == "00001/10008/PV/PFY55"
    assert "Kept as 00001/10008/PV/PFY55, without JDE's payment number" in unreadable.reason
    assert "F0414, where JDE keeps it, could not be read (JDE refused to read F0414" in unreadable.reason
    assert (
        "This id stays as it is; find the payment number in JDE by the reference PFY55" in unreadable.reason
    )

    no_row = _pay(RefusingJde("4014", "Duplicate Payment Reference"))  # F0414 read, nothing under PFY55
    assert no_row.target_id == "00001/10008/PV/PFY55"
    assert "F0414 holds no row of this reference" in no_row.reason


def test_any_other_refusal_of_a_payment_stays_a_refusal():
    with pytest.raises(JdeRefused, match="larger than the voucher's open amount"):
        _pay(RefusingJde("59AC", "Error: Payment Exceeds Open Amount"))


def test_a_voucher_batch_refused_with_another_code_is_adopted_when_its_rows_hold_it():
    keys = {"EDI_User_ID": "MLCONNECTR", "EDI_Batch_Number": "PFY", "EDI_Transaction_Number": "PFY9"}
    body = {**keys, "Supplier": 4343, "Invoice_Number": "INV-9", "Invoice_Date": "2026-01-31"}
    rows = {"F0411Z1": [{"EDUS": "MLCONNECTR", "EDBT": "PFY", "EDTN": "PFY9", "AN8": 4343, "VINV": "INV-9"}]}
    session = RefusingJde("4004", "Duplicate Key", rows)  # not the contract's 59A4
    created = VoucherBatches(session, None, None, None).create(Mapped("B9", body, {}))
    assert isinstance(created, Created) and created.action == "adopt"
    assert created.target_id == "MLCONNECTR/PFY/PFY9" and "4004" in created.reason
    with pytest.raises(JdeRefused):  # no rows under the key: the refusal stands, whatever its title
        VoucherBatches(RefusingJde("4004", "Duplicate Key"), None, None, None).create(Mapped("B9", body, {}))
