"""The BILL sandbox's AP team pays bills (``new_payments``) and the bank settles them a later round; with
``activity_pays = "api_bills"`` (``make dev``'s JD Edwards <-> BILL set-up) only the bills a client created
through ``/v3/bills``: a fresh ``make dev`` queued a payment of a seeded bill "that did not come from JDE"
every round."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
import requests

from connector_sandbox.bill.testing import SandboxHandle

pytestmark = pytest.mark.timeout(120)


BILL_SETTINGS = {"scale": 0.01}  # the `bill` fixture's (tests/sandbox/conftest.py)


def api(bill: SandboxHandle, session: str, method: str, path: str, **kwargs: Any) -> Any:
    response = requests.request(
        method, f"{bill.base}{path}", headers=bill.headers(session), timeout=30, **kwargs
    )
    assert response.status_code in (200, 201), response.text
    return response.json()


def scheduled(bill: SandboxHandle, session: str) -> set[str]:
    """Scheduled payments, read page by page (``singleStatus`` is no documented payment filter)."""
    found: set[str] = set()
    params: dict[str, Any] = {"max": 100}
    while True:
        page = api(bill, session, "GET", "/v3/payments", params=params)
        found |= {row["id"] for row in page["results"] if row.get("singleStatus") == "SCHEDULED"}
        if not page.get("nextPage") or not page["results"]:
            return found
        params = {"max": 100, "page": page["nextPage"]}


def a_bill_through_the_api(bill: SandboxHandle, session: str) -> dict[str, Any]:
    vendors = api(bill, session, "GET", "/v3/vendors", params={"filters": "archived:eq:false", "max": 100})
    vendor = next(v for v in vendors["results"] if v["paymentInformation"]["payByType"] in ("ACH", "CHECK"))
    today = dt.date.today()
    body = {
        "vendorId": vendor["id"],
        "dueDate": (today + dt.timedelta(days=30)).isoformat(),
        "invoice": {"invoiceNumber": f"JDE-{today:%j}-1", "invoiceDate": today.isoformat()},
        "billLineItems": [{"description": "Voucher 10042", "quantity": 1, "price": 250.0}],
    }
    return api(bill, session, "POST", "/v3/bills", json=body)


def test_with_api_bills_only_the_bills_a_client_created_are_paid_then_settled(bill: SandboxHandle) -> None:
    bill.settings(activity_pays="api_bills")
    session = bill.login()
    seeded = scheduled(bill, session)
    assert seeded, "the seed schedules payments of its own bills"
    created = a_bill_through_the_api(bill, session)

    paid = bill.activity(new_payments=5, cleared_payments=100, failed_payments=100)
    [payment_id] = paid["changed"]["payments.updated"]  # the one API bill scheduled; no seeded one settled
    payment = api(bill, session, "GET", f"/v3/payments/{payment_id}")
    assert payment["billId"] == created["id"] and payment["singleStatus"] == "SCHEDULED"
    assert scheduled(bill, session) == seeded | {payment_id}

    bill.activity(cleared_payments=100)
    assert api(bill, session, "GET", f"/v3/payments/{payment_id}")["singleStatus"] == "CLEARED"
    assert api(bill, session, "GET", f"/v3/bills/{created['id']}")["paymentStatus"] == "PAID"
    assert scheduled(bill, session) == seeded  # the seed's own payments still wait


def test_by_default_any_bill_is_paid_and_settled(bill: SandboxHandle) -> None:
    session = bill.login()
    seeded = scheduled(bill, session)
    paid = bill.activity(new_payments=2)
    made = set(paid["changed"]["payments.updated"])
    assert len(made) == 2 and scheduled(bill, session) == seeded | made
    bill.activity(cleared_payments=100)
    assert scheduled(bill, session) == set()


def _running(key: str, root: str) -> SimpleNamespace:
    """What ``registry.start`` answers for one simulator, as far as the set-up reads it."""
    return SimpleNamespace(spec=SimpleNamespace(key=key, root=lambda: root))


def test_make_devs_jde_bill_set_up_picks_api_bills_on_the_embedded_sandboxes_only(
    bill: SandboxHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connector_assets.integrations.jde_bill.sandbox import set_up

    both = [_running("bill", bill.root), _running("jde_ais", "http://127.0.0.1:9")]  # JDE is not asked
    monkeypatch.setenv("ML_JDE_ENVIRONMENT", "JPD920")  # a real JDE is configured
    assert set_up(both, "sqlite://") == {}
    assert set_up(both[:1], "sqlite://") == {}  # or only BILL runs
    assert bill.settings()["activity_pays"] == "any"

    monkeypatch.delenv("ML_JDE_ENVIRONMENT")
    assert set_up(both, "sqlite://") == {"activity_pays": "api_bills"}
    assert bill.settings()["activity_pays"] == "api_bills"
