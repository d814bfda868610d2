"""The bills target's search of a chunk of claimed records at once (``LedgerBills.find_many``), against the
BILL simulator over loopback: the same answer as ``find`` one record at a time, in one listing of the
chunk's vendors' bills, with their currencies read 100 to a call; what the chunk cannot settle is left to
``find``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import requests

from connector_assets.flows.core import Mapped
from connector_assets.integrations.jde_bill.bill_target import BillCurrencyMismatch, BillsFromJde
from connector_resources.bill import BillResource, forget_sessions
from connector_sandbox.bill import BillSandboxSettings
from connector_sandbox.bill.testing import SandboxHandle, running


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxHandle]:
    with running(BillSandboxSettings(scale=0.05)) as handle:
        yield handle


@pytest.fixture
def session(sandbox: SandboxHandle) -> Iterator[Any]:
    forget_sessions()
    settings = sandbox.initial
    resource = BillResource(
        base_url=sandbox.base,
        username=settings.username,
        password=settings.password,
        organization_id=settings.organizations[0].id,
        dev_key=settings.dev_key,
    )
    with resource.session() as opened:
        yield opened
    forget_sessions()
    sandbox.restore_defaults()


def _calls(sandbox: SandboxHandle) -> dict[str, int]:
    return dict(sandbox.state()["calls"])


def _spent(sandbox: SandboxHandle, before: dict[str, int]) -> dict[str, int]:
    after = _calls(sandbox)
    return {route: n - before.get(route, 0) for route, n in after.items() if n != before.get(route, 0)}


def _lookups(session: Any) -> tuple[list[str], str, str]:
    """Three USD vendors, an expense account and a department to write bills with."""
    usd = [
        v["id"]
        for v in session.iter_records("vendors")
        if not v["archived"] and str(v.get("billCurrency") or "USD") == "USD"
    ][:3]
    account = next(
        c["id"]
        for c in session.iter_records("chart_of_accounts")
        if not c["archived"] and (c.get("account") or {}).get("type") == "EXPENSE"
    )
    department = next(d["id"] for d in session.iter_records("departments") if not d["archived"])
    return usd, account, department


def _bill(session: Any, vendor: str, number: str, account: str, department: str) -> str:
    line = {
        "amount": Decimal("10.00"),
        "classifications": {"chartOfAccountId": account, "departmentId": department},
    }
    body = {
        "vendorId": vendor,
        "dueDate": date(2030, 4, 9),
        "invoice": {"invoiceNumber": number, "invoiceDate": "2030-03-10"},
        "billLineItems": [line],
    }
    return str(session.create_bill(body)["id"])


def _record(key: str, vendor: str, numbers: list[str], currency: str = "USD") -> Mapped:
    natural = {"supplier": 4343, "invoice_numbers": numbers, "currency": currency}
    return Mapped(
        source_key=key, body={"vendorId": vendor}, fields={"invoice_number": numbers[0]}, natural_key=natural
    )


def test_a_chunk_is_searched_in_one_listing_as_find_would_answer_and_shared_keys_are_left_alone(
    sandbox, session
):
    (a, b, c), account, department = _lookups(session)
    tag = uuid.uuid4().hex[:8]
    first = _bill(session, a, f"A-{tag}", account, department)
    second = _bill(session, b, f"B-{tag}", account, department)
    records = [
        _record("PV:1", a, [f"A-{tag}"]),
        _record("PV:2", b, [f"B-{tag}-NEW", f"B-{tag}"]),  # found by its second number
        _record("PV:3", c, [f"C-{tag}"]),  # none in BILL
        _record("PV:4", a, [f"S-{tag}"]),  # these two share a vendor and a number: left to ``find``
        _record("PV:5", a, [f"S-{tag}"]),
        _record("PV:6", c, [f"E-{tag}"], currency="EUR"),
    ]
    target = BillsFromJde(session, ledger=None)  # type: ignore[arg-type]

    before = _calls(sandbox)
    answer = target.find_many(records)
    spent = _spent(sandbox, before)

    assert answer == {"PV:1": first, "PV:2": second, "PV:3": None, "PV:6": None}
    # One listing of the chunk's bills and one read of its vendors' currencies (``id:in``), where ``find``
    # listed the bills once per record and number and each vendor was read by id.
    assert spent == {"GET /connect/v3/bills": 1, "GET /connect/v3/vendors": 1}
    assert {r.source_key: target.find(r) for r in records if r.source_key in answer} == answer

    before = _calls(sandbox)
    with pytest.raises(BillCurrencyMismatch):
        target.create(records[5])
    assert _spent(sandbox, before) == {}  # its vendor's currency was read with the chunk

    # A later chunk naming a vendor and number an earlier chunk asked about: searched alone, no listing.
    before = _calls(sandbox)
    assert target.find_many([_record("PO:7", a, [f"A-{tag}"])]) == {}
    assert _spent(sandbox, before) == {}


def test_the_chunk_is_searched_by_vendor_alone_where_bill_refuses_the_invoice_number_filter(sandbox, session):
    (a, b, _), account, department = _lookups(session)
    tag = uuid.uuid4().hex[:8]
    first = _bill(session, a, f"A-{tag}", account, department)
    sandbox.settings(variants={"bill_invoice_number_filter": False})
    target = BillsFromJde(session, ledger=None)  # type: ignore[arg-type]
    records = [_record("PV:1", a, [f"A-{tag}"]), _record("PV:2", b, [f"B-{tag}"])]

    assert target.find_many(records) == {"PV:1": first, "PV:2": None}
    before = _calls(sandbox)
    assert target.find_many([_record("PV:3", b, [f"C-{tag}"])]) == {"PV:3": None}
    assert _spent(sandbox, before)["GET /connect/v3/bills"] == 1  # the refused filter is not tried again


def test_an_archived_bill_is_not_found_and_a_previews_placeholder_vendor_is_left_to_find(sandbox, session):
    (a, _, _), account, department = _lookups(session)
    tag = uuid.uuid4().hex[:8]
    archived = _bill(session, a, f"A-{tag}", account, department)
    headers = sandbox.headers(sandbox.login())
    answer = requests.post(f"{sandbox.base}/v3/bills/{archived}/archive", headers=headers, timeout=15)
    assert answer.status_code < 300, answer.text
    target = BillsFromJde(session, ledger=None)  # type: ignore[arg-type]
    records = [_record("PV:1", a, [f"A-{tag}"]), _record("PV:2", "(new) AN8:4343", [f"N-{tag}"])]

    before = _calls(sandbox)
    assert target.find_many(records) == {"PV:1": None}
    assert _spent(sandbox, before) == {"GET /connect/v3/bills": 1, "GET /connect/v3/vendors": 1}
    assert target.find(records[0]) is None  # as the one-record search answers
