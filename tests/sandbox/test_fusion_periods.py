"""The Fusion pod's accounting periods: ``accountingPeriodStatusLOV`` read like every collection, an invoice
accounting date outside an Open Payables period refused (or rolled forward, or accepted, as the behaviour
says), and the operator's month end (``/sandbox/periods``). The pod's open month is OPEN_MONTH (Feb-25)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import requests

from connector_sandbox.fusion import FusionSandboxSettings, run_in_thread

from .fusion_pod import Pod, validating
from .serving import served
from .test_fusion_pod_writes import ACTION, invoice_payload, open_order, patch, post

__all__ = ["open_order"]  # the module-scoped order fixture the invoices are matched to

LOV = "accountingPeriodStatusLOV"
US_LEDGER = 300000046975971
PAYABLES = 200
GENERAL_LEDGER = 101


def _statuses(pod: Pod, application: int = PAYABLES) -> dict[str, str]:
    rows = pod.all_items(LOV, q=f"LedgerId={US_LEDGER};ApplicationId={application}")
    return {row["PeriodName"]: row["ClosingStatus"] for row in rows}


def test_the_lov_is_read_like_every_collection(pod: Pod) -> None:
    page = pod.ok(LOV, q=f"LedgerId={US_LEDGER};ApplicationId={PAYABLES};ClosingStatus=O", onlyData="true")
    assert [row["PeriodNameId"] for row in page["items"]] == ["Feb-25"]
    row = page["items"][0]
    assert row == {
        "accountingPeriodStatusLOVUniqID": row["accountingPeriodStatusLOVUniqID"],
        "PeriodNameId": "Feb-25",
        "PeriodName": "Feb-25",
        "ApplicationId": PAYABLES,
        "LedgerId": US_LEDGER,
        "ClosingStatus": "O",
        "StartDate": "2025-02-01",
        "EndDate": "2025-02-28",
        "PeriodYear": 2025,
        "PeriodNumber": 2,
        "EffectivePeriodNumber": 20250002,
        "AdjustmentPeriodFlag": False,
    }
    assert (page["count"], page["hasMore"]) == (1, False)

    expression = pod.ok(
        LOV,
        version=2,
        q=f"PeriodNameId in ('Jan-25', 'Feb-25') and LedgerId = {US_LEDGER}",
        fields="PeriodName",
    )
    assert sorted(item["PeriodName"] for item in expression["items"]) == [
        "Feb-25",
        "Feb-25",
        "Jan-25",
        "Jan-25",
    ]

    first = pod.ok(LOV, q=f"LedgerId={US_LEDGER}", limit=5, totalResults="true", orderBy="StartDate:desc")
    second = pod.ok(LOV, q=f"LedgerId={US_LEDGER}", limit=5, offset=5, orderBy="StartDate:desc")
    assert (first["count"], first["hasMore"], first["limit"]) == (5, True, 5)
    assert first["totalResults"] == 2 * len(_statuses(pod))  # General Ledger and Payables
    assert {item["accountingPeriodStatusLOVUniqID"] for item in first["items"]}.isdisjoint(
        item["accountingPeriodStatusLOVUniqID"] for item in second["items"]
    )

    self_link = next(link["href"] for link in first["items"][0]["links"] if link["rel"] == "self")
    assert self_link.endswith(first["items"][0]["accountingPeriodStatusLOVUniqID"])
    assert pod.ok(self_link)["PeriodName"] == first["items"][0]["PeriodName"]
    latest = pod.get(self_link.replace("/11.13.18.05/", "/latest/"))
    assert latest.status_code == 200 and latest.json()["PeriodName"] == first["items"][0]["PeriodName"]
    found = pod.ok(
        LOV, finder=f"PrimaryKey;PeriodNameId=Feb-25,ApplicationId={GENERAL_LEDGER},LedgerId={US_LEDGER}"
    )
    assert [(item["ApplicationId"], item["ClosingStatus"]) for item in found["items"]] == [
        (GENERAL_LEDGER, "O")
    ]


def test_period_name_is_not_queryable(pod: Pod) -> None:
    refused = pod.get(LOV, q="PeriodName=Feb-25")
    assert refused.status_code == 400 and "PeriodName is not queryable" in refused.text
    assert pod.get(f"{LOV}/{US_LEDGER}").status_code == 404  # a hand-built key finds nothing


def test_statuses_around_the_open_month(pod: Pod) -> None:
    statuses = _statuses(pod)
    assert [statuses[name] for name in ("Jan-24", "Feb-24", "Jan-25", "Feb-25", "Mar-25", "Apr-25")] == [
        "P", "C", "C", "O", "F", "N",
    ]  # fmt: skip
    assert _statuses(pod, GENERAL_LEDGER) == statuses


def _invoice(open_order: dict[str, Any], day: str, **header: Any) -> dict[str, Any]:
    return {**invoice_payload(open_order, f"PER-{uuid.uuid4().hex[:10]}"), "InvoiceDate": day, **header}


def test_an_invoice_outside_the_open_period_is_refused(pod: Pod, open_order: dict[str, Any]) -> None:
    for day, period, status in (
        ("2025-01-15", "Jan-25", "Closed"),
        ("2025-05-10", "May-25", "Never Opened"),
        ("2025-03-05", "Mar-25", "Future Enterable"),
        ("2023-06-01", "Jun-23", "Permanently Closed"),
        ("1999-12-31", "Dec-99", "Never Opened"),  # outside the calendar
    ):
        payload = _invoice(open_order, day)
        refused = post(pod, "invoices", payload)
        assert refused.status_code == 400, (day, refused.text)
        assert refused.text == (
            f"Invoice {payload['InvoiceNumber']}: Acct Date Not In Open Pd: the accounting date {day} is in "
            f"period {period}, whose Payables status is {status}."
        )
        assert pod.ok("invoices", q=f"InvoiceNumber={payload['InvoiceNumber']}")["count"] == 0
    # An AccountingDate given is the one checked, the invoice date may lie anywhere.
    closed_accounting = post(pod, "invoices", _invoice(open_order, "2025-02-10", AccountingDate="2025-01-31"))
    assert closed_accounting.status_code == 400 and "2025-01-31 is in period Jan-25" in closed_accounting.text
    accepted = post(pod, "invoices", _invoice(open_order, "2025-01-20", AccountingDate="2025-02-03"))
    assert accepted.status_code == 201, accepted.text


def test_roll_forward_and_accept(pod: Pod, open_order: dict[str, Any]) -> None:
    pod.set("behaviour", closed_period_answer="roll_forward")
    rolled = post(pod, "invoices", _invoice(open_order, "2025-01-15"))
    assert rolled.status_code == 201, rolled.text
    stored = pod.record("invoices", rolled.json()["InvoiceId"])
    assert (stored["InvoiceDate"], stored["AccountingDate"]) == ("2025-01-15", "2025-02-01")
    assert {line["AccountingDate"] for line in stored["invoiceLines"]} == {"2025-02-01"}
    future = post(pod, "invoices", _invoice(open_order, "2025-04-02"))  # no Open period after it
    assert future.status_code == 400 and "Never Opened" in future.text

    pod.set("behaviour", closed_period_answer="accept")
    kept = post(pod, "invoices", _invoice(open_order, "2024-12-24"))
    assert kept.status_code == 201, kept.text
    assert pod.record("invoices", kept.json()["InvoiceId"])["AccountingDate"] == "2024-12-24"


def test_accounting_date_is_not_patched_and_validate_meets_the_period(
    pod: Pod, open_order: dict[str, Any], contract_breaches: Any
) -> None:
    """Oracle's Payables invoices attribute table: AccountingDate is set on POST, never by PATCH."""
    created = post(pod, "invoices", _invoice(open_order, "2025-02-12"))
    assert created.status_code == 201, created.text
    invoice = created.json()
    href = next(link["href"] for link in invoice["links"] if link["rel"] == "self")
    moved = patch(pod, href, {"AccountingDate": "2025-01-02"})
    assert moved.status_code == 400 and "AccountingDate" in moved.text
    assert [(b.violation.field, b.violation.problem) for b in contract_breaches.seen()] == [
        ("AccountingDate", "unknown")
    ]

    requests.put(f"{pod.admin}/periods/Feb-25", json={"ClosingStatus": "C"}, timeout=30).raise_for_status()
    action = validating(invoice)
    validate = post(pod, "invoices/action/validateInvoice", action, headers=ACTION)
    assert validate.status_code == 400 and "is Closed" in validate.text


def test_the_operator_rolls_the_period(pod: Pod, open_order: dict[str, Any]) -> None:
    rolled = pod.set("periods/roll", LedgerId=US_LEDGER, ApplicationId=PAYABLES)
    assert rolled == {"opened": [{"LedgerId": US_LEDGER, "ApplicationId": PAYABLES, "PeriodName": "Mar-25"}]}
    statuses = _statuses(pod)
    assert [statuses[name] for name in ("Feb-25", "Mar-25", "Apr-25", "May-25")] == ["C", "O", "F", "N"]
    assert _statuses(pod, GENERAL_LEDGER)["Feb-25"] == "O"  # General Ledger is closed on its own
    refused = post(pod, "invoices", _invoice(open_order, "2025-02-27"))
    assert refused.status_code == 400 and "period Feb-25, whose Payables status is Closed" in refused.text
    assert post(pod, "invoices", _invoice(open_order, "2025-03-03")).status_code == 201

    reopened = requests.put(f"{pod.admin}/periods/Feb-25", json={"ClosingStatus": "O"}, timeout=30)
    assert reopened.status_code == 200 and reopened.json()["rows"] == 6  # every ledger and application
    assert post(pod, "invoices", _invoice(open_order, "2025-02-27")).status_code == 201
    for name, status, code in (
        ("Jan-24", "O", 409),
        ("Feb-25", "N", 409),
        ("Feb-25", "X", 400),
        ("Jan-19", "O", 404),
    ):
        answer = requests.put(f"{pod.admin}/periods/{name}", json={"ClosingStatus": status}, timeout=30)
        assert answer.status_code == code, (name, status, answer.text)


def test_the_default_calendar_opens_the_pods_month() -> None:
    with_defaults = run_in_thread(FusionSandboxSettings(scale=0.02))
    for pod in served(with_defaults, Pod):
        today = dt.date.fromisoformat(pod.state()["clock"]["now"][:10])
        opened = pod.ok(LOV, q=f"LedgerId={US_LEDGER};ApplicationId={PAYABLES};ClosingStatus=O")["items"]
        assert [row["StartDate"] for row in opened] == [today.replace(day=1).isoformat()]
        moved = pod.set("periods/reset", open_period="2024-07")
        assert moved["open_month"] == "2024-07"
        assert _statuses(pod)["Jul-24"] == "O"
        pod.set("periods/reset", open_period="2024-07", open_from="2024-05")
        statuses = _statuses(pod)
        assert [statuses[name] for name in ("Apr-24", "May-24", "Jun-24", "Jul-24", "Aug-24")] == [
            "C", "O", "O", "O", "F",
        ]  # fmt: skip
        assert pod.set("periods/roll")["opened"][0]["PeriodName"] == "Aug-24"
        assert [name for name, status in _statuses(pod).items() if status == "O"] == ["Aug-24"]
