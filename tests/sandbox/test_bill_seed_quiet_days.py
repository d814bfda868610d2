"""``payments_quiet_days``: make dev's BILL world ends its seeded payment history two days back, so the
first day-closing runs of JD Edwards <-> BILL payments (yesterday's, today's) meet only the payments of bills
JDE sent. A fresh ``make dev`` left overnight queued 72 seeded payments "the bill did not come from JDE" at
its first midnight (bench/first_day.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from connector_sandbox.bill import BillSandboxSettings
from connector_sandbox.bill.testing import SandboxHandle, running
from connector_sandbox.registry import SANDBOXES

from .bill_calls import walk

pytestmark = pytest.mark.timeout(120)
ANCHOR = dt.date(2026, 11, 25)


def _payments_since(bill: SandboxHandle, day: dt.date) -> list[dict[str, Any]]:
    return walk(
        bill, bill.login(), "/v3/payments", filters=f"updatedTime:gte:{day.isoformat()}T00:00:00.000Z"
    )


def test_the_seed_changes_no_payment_in_the_quiet_days_and_the_tests_world_keeps_them() -> None:
    quiet_from = ANCHOR - dt.timedelta(days=2)
    with running(BillSandboxSettings(scale=0.05, anchor_date=ANCHOR)) as bill:
        recent = _payments_since(bill, quiet_from)
    assert recent, "precondition: the tests' world seeds payments changed in the last two days"
    with running(BillSandboxSettings(scale=0.05, anchor_date=ANCHOR, payments_quiet_days=2)) as bill:
        assert _payments_since(bill, quiet_from) == []
        assert _payments_since(bill, quiet_from - dt.timedelta(days=5))  # the history is still there


def test_make_devs_world_keeps_two_quiet_days() -> None:
    assert dict(SANDBOXES["bill"].world)["payments_quiet_days"] == 2
