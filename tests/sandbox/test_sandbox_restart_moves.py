"""What people and clients changed in a simulator, beyond its records, is what a restart on the same kept
folder finds: Fusion's and JD Edwards' accounting periods as a month-end rehearsal left them, a clock an
operator moved, BILL's webhook subscriptions written to the file as they change (a server killed without
its stop loses none), and the ERP numbers Coupa's suppliers were pointed at."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from .kept_world import FIRST_DAY, NEXT_DAY, SCALE, activity, simulator

pytestmark = pytest.mark.timeout(120)

US_LEDGER, PAYABLES = 300000046975971, 200


def _answered(response: requests.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def _fusion_calendar(root: str) -> list[dict[str, Any]]:
    return _answered(requests.get(f"{root}/sandbox/periods", timeout=30))["periods"]


def test_a_fusion_month_end_rehearsal_stays_as_it_was_left_after_a_restart(tmp_path: Path) -> None:
    """The rehearsal closes the open month and opens the next one, and an accountant closes an old period
    for good; the pod restarted the next day keeps both, and Payables still refuses an invoice dated in
    the month closed (the calendar was rebuilt around the day at every start, reopening it)."""
    from connector_sandbox.fusion.errors import FusionError
    from connector_sandbox.fusion.periods import PayablesPeriods

    with simulator("fusion", tmp_path, FIRST_DAY) as (_state, root):
        seeded = _fusion_calendar(root)
        payables = [row for row in seeded if (row["LedgerId"], row["ApplicationId"]) == (US_LEDGER, PAYABLES)]
        [was_open] = [row for row in payables if row["ClosingStatus"] == "O"]
        older = next(row for row in payables if row["ClosingStatus"] == "C")
        _answered(requests.post(f"{root}/sandbox/periods/roll", json={}, timeout=30))
        _answered(
            requests.put(
                f"{root}/sandbox/periods/{older['PeriodName']}", json={"ClosingStatus": "P"}, timeout=30
            )
        )
        rehearsed = _fusion_calendar(root)
    assert rehearsed != seeded

    with simulator("fusion", tmp_path, NEXT_DAY) as (state, root):
        assert state.seed_report.reused is True
        kept = _fusion_calendar(root)
        assert kept == rehearsed
        statuses = {
            row["PeriodName"]: row["ClosingStatus"]
            for row in kept
            if (row["LedgerId"], row["ApplicationId"]) == (US_LEDGER, PAYABLES)
        }
        assert (statuses[was_open["PeriodName"]], statuses[older["PeriodName"]]) == ("C", "P")
        rule = PayablesPeriods(state.store, state.settings.periods, state.behaviour)
        with pytest.raises(FusionError):
            rule.accounting_date(
                "US1 Business Unit", was_open["StartDate"], record="Invoice R-1", attribute="AccountingDate"
            )


def test_a_jde_month_end_stays_rolled_after_a_restart_even_with_a_configured_current_period(
    tmp_path: Path,
) -> None:
    """``current_period_date`` places a new database's periods; a kept one keeps them as rolled since."""
    configured = {"periods": {"current_period_date": FIRST_DAY}}
    with simulator("jde_ais", tmp_path, FIRST_DAY, **configured) as (_state, root):
        before = _answered(requests.get(f"{root}/sandbox/periods", timeout=30))["companies"]
        rolled = _answered(requests.post(f"{root}/sandbox/periods/roll", json={}, timeout=30))["companies"]
    assert [company["gl"]["period"] for company in before] == [FIRST_DAY.month] * len(before)
    assert [company["gl"]["period"] for company in rolled] == [FIRST_DAY.month + 1] * len(before)

    with simulator("jde_ais", tmp_path, NEXT_DAY, **configured) as (_state, root):
        assert _answered(requests.get(f"{root}/sandbox/periods", timeout=30))["companies"] == rolled


def _clock_offset(key: str, root: str) -> float:
    """The offset the simulator says its clock is moved by (Fusion in its state, the others at the clock)."""
    if key == "fusion":
        return _answered(requests.get(f"{root}/sandbox/state", timeout=30))["clock"]["offset_seconds"]
    return _answered(requests.get(f"{root}/sandbox/clock", timeout=30))["offset_seconds"]


@pytest.mark.parametrize("key", ["coupa", "procurify", "fusion"])
def test_a_moved_clock_stays_moved_after_a_restart(key: str, tmp_path: Path) -> None:
    """Records stamped on the moved clock must not lie in the future of the ones made after the restart
    (a client's "updated since" cursor past them would never see those)."""
    day = 86_400
    with simulator(key, tmp_path, FIRST_DAY) as (state, root):
        _answered(requests.post(f"{root}/sandbox/clock", json={"advance_seconds": day}, timeout=30))
        assert state.clock_offset.total_seconds() == day
    with simulator(key, tmp_path, NEXT_DAY) as (state, root):
        assert state.clock_offset.total_seconds() == day
        assert _clock_offset(key, root) == day
        if key != "fusion":  # Fusion's clock only moves forward
            _answered(requests.post(f"{root}/sandbox/clock", json={"reset": True}, timeout=30))
    if key != "fusion":
        with simulator(key, tmp_path, NEXT_DAY) as (state, _root):
            assert state.clock_offset.total_seconds() == 0


def _kept_subscriptions(path: Path) -> list[dict[str, Any]]:
    """The BILL subscriptions in the kept file, read by a connection of its own (what a start reads)."""
    from connector_sandbox.bill.store import Store
    from connector_sandbox.store import read_meta

    conn = sqlite3.connect(path)
    try:
        kept = read_meta(conn, "webhook_subscriptions", Store.meta_table)
    finally:
        conn.close()
    return json.loads(kept or "{}").get("subscriptions", [])


def test_bills_webhook_subscriptions_are_in_the_file_as_soon_as_they_change(tmp_path: Path) -> None:
    """Not only at the stop: a server killed without one keeps the subscription and the rotated key the
    vault holds."""
    from connector_sandbox.bill.testing import SandboxHandle

    path = tmp_path / f"bill-{SCALE:g}.sqlite"
    body = {
        "name": "ml-connector",
        "status": {"enabled": True},  # required (BILL's 'Webhook Events and Subscriptions' guide)
        "notificationUrl": "http://127.0.0.1:9/webhooks/bill",
        "events": [{"type": "bill.updated", "version": "1"}],
    }
    with simulator("bill", tmp_path, FIRST_DAY) as (state, root):
        bill = SandboxHandle(f"{root}/connect", state.settings)
        headers = bill.headers(bill.login())
        made = requests.post(
            f"{bill.events}/v3/subscriptions",
            json=body,
            headers={**headers, "X-Idempotent-Key": str(uuid.uuid4())},
            timeout=30,
        )
        assert made.status_code == 201, made.text
        [kept] = _kept_subscriptions(path)
        assert (kept["id"], kept["security_key"]) == (made.json()["id"], made.json()["securityKey"])

        url = f"{bill.events}/v3/subscriptions/{made.json()['id']}"
        rotated = requests.post(
            f"{url}/security_key", headers={**headers, "X-Idempotent-Key": str(uuid.uuid4())}, timeout=30
        )
        assert rotated.status_code == 200, rotated.text
        [kept] = _kept_subscriptions(path)
        assert kept["security_key"] == rotated.json()["securityKey"] != made.json()["securityKey"]

        assert requests.delete(url, headers=headers, timeout=30).status_code == 204
        assert _kept_subscriptions(path) == []


def test_coupas_erp_numbers_are_kept_and_number_the_suppliers_made_after_a_restart(tmp_path: Path) -> None:
    from connector_sandbox.coupa.schema import RESOURCES

    numbers = list(range(70_001, 70_501))  # more than the seeded suppliers take
    with simulator("coupa", tmp_path, FIRST_DAY) as (state, root):
        pointed = requests.post(
            f"{root}/sandbox/suppliers/erp-numbers", json={"numbers": numbers}, timeout=60
        )
        assert pointed.status_code == 200, pointed.text
        activity("coupa", root)
    given = [str(number) for number in numbers]

    with simulator("coupa", tmp_path, NEXT_DAY) as (state, root):
        assert state.erp_numbers == given
        table = RESOURCES["suppliers"].table
        last = int(state.store.conn.execute(f'SELECT MAX("id") FROM "{table}"').fetchone()[0])
        made = requests.post(f"{root}/sandbox/activity", json={"new_suppliers": 2}, timeout=60)
        assert made.status_code == 200, made.text
        docs = [
            json.loads(row[0])
            for row in state.store.conn.execute(f'SELECT "doc" FROM "{table}" WHERE "id" > ?', (last,))
        ]
    assert len(docs) == 2
    numbered = [doc["number"] for doc in docs if doc["number"] is not None]
    assert numbered and set(numbered) <= set(given)


def test_coupas_call_out_receivers_registered_by_the_operator_are_kept_with_their_ids(tmp_path: Path) -> None:
    """Call-outs are Coupa's configuration (Setup -> Call Outs): a receiver registered, and one removed,
    stay so after a restart; the ids are the ones the operator was given."""
    receiver = {"url": "http://127.0.0.1:9/coupa", "resource": "invoices", "auth": "basic"}
    with simulator("coupa", tmp_path, FIRST_DAY) as (_state, root):
        made = [
            requests.post(
                f"{root}/sandbox/callouts", json={**receiver, "username": name, "password": "pw"}, timeout=30
            )
            for name in ("kept", "removed")
        ]
        assert [answer.status_code for answer in made] == [201, 201], [answer.text for answer in made]
        kept, removed = (answer.json() for answer in made)
        gone = requests.delete(f"{root}/sandbox/callouts/{removed['id']}", timeout=30)
        assert gone.status_code == 200, gone.text
        listed = _answered(requests.get(f"{root}/sandbox/callouts", timeout=30))
    assert listed["subscriptions"] == [kept]

    with simulator("coupa", tmp_path, NEXT_DAY) as (state, root):
        assert _answered(requests.get(f"{root}/sandbox/callouts", timeout=30)) == listed
        assert state.callouts.subscriptions()[kept["id"]].password == "pw"  # it still authenticates
