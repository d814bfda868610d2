"""Procurify -> JDE money meets JD Edwards' accounting periods, end to end on both simulators, the JDE one
enforcing its fiscal date edits and moved by its operator routes (``/sandbox/periods``): a month end (the
current period rolled), a company put back on a period, a close window declared.

* Under ``refuse`` a voucher, a journal entry and a payment dated in the month just closed are held on the
  JDE period (the reason naming the document, its date, the period and what to do; the day's check WARNs
  with ``held_closed_period``); JDE is asked nothing for them on the run, a rerun or a replay while nothing
  changed, and the replay after the period is opened again writes each once. A voucher written in the
  month before the roll stays written; a new one dated in that month is held.
* Under ``first_open_day`` each is written once on the first open day: the voucher's ``GL_Date`` moved and
  its ``Invoice_Date`` kept, the payment's ``GL_Date`` input sent beside its ``Payment_Date``, the
  journal's ``GL_Date`` moved; the audit trail says so and the day's figures count ``redated``. A policy
  changed to ``first_open_day`` releases a held record by the replay sweep.
* A declared close window holds money ("period close in progress") and the replay after it has ended
  sends it once; a date after JDE's open periods draws a warning (PACO / WACO) kept in the audit reason and
  counted ``warned``.

What JDE was asked is counted in the JDE simulator's own request log, per record.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from asset_runs import metadata_values
from jde_procurify_parts import FLOWS
from jde_procurify_world import BATCH_USER, INTEGRATION, JdeProcurifyWorld, jde_procurify_world
from request_log import RequestLog, logged_simulators
from sandbox_logins import answered

from connector_assets.flows.replays import build_replays
from connector_assets.flows.written_check import CHECK
from connector_assets.integrations.jde_procurify.bill_mappers import batch_key
from connector_assets.jde.targets import CREATE_JOURNALS, CREATE_VOUCHERS, RECORD_PAYMENT
from connector_resources.jde.dates import DatePattern, julian_to_date
from connector_resources.replay import release_synced

BILLS = ("procurify/bills", "jde_procurify/bills_mapped", "jde_procurify/bills_written")
PAYMENTS = ("procurify/payments", "jde_procurify/payments_mapped", "jde_procurify/payments_written")
POLICY = "ML_JDE_PROCURIFY_GL_DATE_POLICY"
CLOSE = "ML_JDE_PROCURIFY_CLOSE_CALENDAR"
SENT_DATES = DatePattern("MM/dd/yyyy")  # the date format of the JDE user the world logs in as (INTEGR8)
REPLAYS = {"bills": FLOWS["bills"], "payments": FLOWS["payments"]}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[JdeProcurifyWorld, RequestLog]]:
    with logged_simulators() as logs, jde_procurify_world(tmp_path) as made:
        made.master()
        yield made, logs["jde_ais"][0]


# -- the JDE operator's period routes -------------------------------------------------------------------


def companies(world: JdeProcurifyWorld) -> dict[str, dict[str, Any]]:
    """Each company's current period and open days per ledger, as the sandbox reports them."""
    listed = answered(requests.get(f"{world.jde_root}/sandbox/periods", timeout=10), "JDE periods")
    return {entry["company"]: entry for entry in listed["companies"]}


def month_end(world: JdeProcurifyWorld) -> None:
    """The accountants close the current period of every company: the next one becomes current."""
    answered(requests.post(f"{world.jde_root}/sandbox/periods/roll", json={}, timeout=10), "period roll")


def put_on(world: JdeProcurifyWorld, day: str) -> None:
    """Every company put on the period holding ``day`` (that period and the next are open)."""
    for company in companies(world):
        url = f"{world.jde_root}/sandbox/periods/{company}"
        answered(requests.put(url, json={"date": day}, timeout=10), f"period of {company}")


# -- what JDE was asked, and what the ledger says ---------------------------------------------------------


def sent(log: RequestLog, orchestration: str, **match: Any) -> list[dict[str, Any]]:
    """The inputs of every call of ``orchestration`` the JDE simulator received for one record (``match``:
    the inputs naming it, e.g. its batch keys or payment reference), refused or not."""
    bodies = [e.body for e in log.entries("POST", f"/jderest/v3/orchestrator/{orchestration}")]
    return [b for b in bodies if all(b.get(k) == v for k, v in match.items())]


def of_bill(bill: dict[str, Any]) -> dict[str, str]:
    key = batch_key(BATCH_USER, bill["uuid"])
    return {"EDI_Batch_Number": key.batch, "EDI_Transaction_Number": key.transaction}


def day_of(text: str) -> str:
    return SENT_DATES.parse(text).isoformat()


def pay(world: JdeProcurifyWorld, bill: dict[str, Any]) -> tuple[str, str]:
    """The AP clerk pays the bill in Procurify now: (the payments flow's source key, its reference)."""
    paid = world._operator("payments", {"bill_uuids": [bill["uuid"]], "status": "paid"})
    return f"{paid['payment_uuid']}:{bill['uuid']}", f"PFY{paid['payment_id']}"


def item(world: JdeProcurifyWorld, flow: str, key: str):
    [found] = [i for i in world.ledger.open_items(integration=INTEGRATION, flow=flow) if i.source_key == key]
    return found


def written_reason(world: JdeProcurifyWorld, key: str) -> str:
    """The audit reason of the record's write."""
    [reason] = [e.reason for e in world.ledger.history(key) if e.action == "create"]
    return reason


def replay(world: JdeProcurifyWorld, *flows: str) -> None:
    """``ml-connector replay`` of each flow: the sweep releases what may go now, then the due are sent."""
    for flow in flows:
        world.replay_queued(flow, REPLAYS[flow])


def day_check(result: Any, asset: str) -> Any:
    [check] = [
        c
        for c in result.get_asset_check_evaluations()
        if c.asset_key.to_user_string() == asset and c.check_name == CHECK
    ]
    return check


def posted_voucher(world: JdeProcurifyWorld) -> dict[str, Any]:
    """A bill posted as a voucher in the month still open (run 1), its batch made a voucher by R04110ZA,
    so that a payment of it can be recorded after the month end."""
    bill = world.approved_bill()
    assert world.run(*BILLS)["jde_procurify/bills_written"]["create"] == 1
    world.process_vouchers()
    return bill


# -- refuse ---------------------------------------------------------------------------------------------


def test_refuse_holds_a_voucher_and_a_payment_of_the_closed_month_sending_nothing_until_it_reopens(
    world,
) -> None:
    world, log = world
    paid_bill = posted_voucher(world)  # run 1, before the month end: written
    day = paid_bill["gl_post_date"][:10]
    closing = companies(world)["00001"]["ap"]  # the current A/P period, about to close
    month_end(world)
    bill = world.approved_bill()  # entered and approved today, in the month just closed
    payment, reference = pay(world, paid_bill)
    assert bill["gl_post_date"][:10] == day

    result = world.materialize(*BILLS, *PAYMENTS)  # run 2, after the month end
    figures = metadata_values(result)
    for asset in ("jde_procurify/bills_written", "jde_procurify/payments_written"):
        assert (figures[asset]["held"], figures[asset]["create"], figures[asset]["fail"]) == (1, 0, 0)
        check = day_check(result, asset)
        assert not check.passed and check.severity.value == "WARN"
        assert check.metadata["held_closed_period"].value == 1
        assert "held for a closed accounting period" in check.metadata["reasons"].value
    voucher, paying = item(world, "bills", bill["uuid"]), item(world, "payments", payment)
    assert voucher.depends_on.startswith("JDE:period:ledger:") and voucher.depends_on.endswith(
        f".AP/{day}@{INTEGRATION}"
    )
    assert paying.depends_on.startswith("JDE:period:ledger:")
    for held, document, field in (
        (voucher, f"Procurify invoice {bill['invoice_number']}", "(G/L date)"),
        (paying, f"Procurify payment {reference} on invoice", "(payment date)"),
    ):
        assert held.status == "held" and held.attempts == 0
        for words in (
            document, f"is dated {day} {field}", f"period {closing['period']} of the fiscal year", "closed:",
            f"{POLICY}=first_open_day", "have the accountants reopen that period",
        ):  # fmt: skip
            assert words in held.reason, (words, held.reason)
    assert sent(log, CREATE_VOUCHERS, **of_bill(bill)) == []
    assert sent(log, RECORD_PAYMENT, Payment_Reference=reference) == []
    assert len(sent(log, CREATE_VOUCHERS, **of_bill(paid_bill))) == 1  # run 1's voucher, left as written

    world.run(*BILLS, *PAYMENTS)  # a rerun, and a replay while nothing changed: JDE is asked nothing
    replay(world, "bills", "payments")
    assert sent(log, CREATE_VOUCHERS, **of_bill(bill)) == []
    assert sent(log, RECORD_PAYMENT, Payment_Reference=reference) == []
    assert item(world, "bills", bill["uuid"]).status == item(world, "payments", payment).status == "held"

    put_on(world, day)  # the accountants reopen the month: the replay sweep releases both, sent once
    replay(world, "bills", "payments")
    [voucher_sent] = sent(log, CREATE_VOUCHERS, **of_bill(bill))
    [payment_sent] = sent(log, RECORD_PAYMENT, Payment_Reference=reference)
    assert day_of(voucher_sent["GL_Date"]) == day and "GL_Date" not in payment_sent
    assert world.queue("bills") == {} and world.queue("payments") == {}
    replay(world, "bills", "payments")  # nothing left to send
    assert len(sent(log, CREATE_VOUCHERS, **of_bill(bill))) == 1
    assert len(sent(log, RECORD_PAYMENT, Payment_Reference=reference)) == 1
    assert len(world.batch_rows("F0411Z1", bill["uuid"])) == 1 and len(world.jde_payments(reference)) == 1


def test_a_journal_entry_of_the_closed_month_is_held_then_posted_once_the_policy_redates_it(
    world, monkeypatch
) -> None:
    world, log = world
    monkeypatch.setenv("ML_JDE_PROCURIFY_BILL_POSTING", "journal")
    month_end(world)
    bill = world.approved_bill()
    day = bill["gl_post_date"][:10]

    written = world.run(*BILLS)["jde_procurify/bills_written"]
    assert (written["held"], written["create"]) == (1, 0), world.queue("bills")
    held = item(world, "bills", bill["uuid"])
    assert held.status == "held" and held.depends_on.endswith(f".GL/{day}@{INTEGRATION}")
    document = f"Procurify journal entry 'Inv {bill['invoice_number']}'"
    for words in (document, f"is dated {day} (G/L date)", "(G/L periods)", "closed:", POLICY):
        assert words in held.reason, (words, held.reason)
    world.run(*BILLS)
    replay(world, "bills")
    assert sent(log, CREATE_JOURNALS, **of_bill(bill)) == []

    # The policy changed: the replay sweep (run first by the CLI and the replay job) releases it, and the
    # next run posts it on the first open day of the G/L periods.
    monkeypatch.setenv(POLICY, "first_open_day")
    resources = lambda: {k: world.resources[k] for k in ("jde", "procurify", "staging")}  # noqa: E731
    release_synced(
        world.ledger, build_replays([FLOWS["bills"]], resources), integration=INTEGRATION, flow="bills"
    )
    released = item(world, "bills", bill["uuid"])
    assert released.status != "held" and f"{POLICY} is now first_open_day" in released.reason
    first = companies(world)["00001"]["gl"]["open_from"]
    written = world.run(*BILLS)["jde_procurify/bills_written"]
    assert (written["create"], written["redated"]) == (1, 1), world.queue("bills")
    [journal] = sent(log, CREATE_JOURNALS, **of_bill(bill))
    assert day_of(journal["GL_Date"]) == first
    lines = world.batch_rows("F0911Z1", bill["uuid"])
    assert lines and {julian_to_date(r["DGJ"]).isoformat() for r in lines} == {first}
    reason = written_reason(world, bill["uuid"])
    assert f"posted on {first}" in reason and f"source date {day} is kept" in reason
    replay(world, "bills")
    assert len(sent(log, CREATE_JOURNALS, **of_bill(bill))) == 1


# -- first_open_day -------------------------------------------------------------------------------------


def test_first_open_day_posts_a_voucher_and_a_payment_on_the_next_open_day_keeping_their_dates(
    world, monkeypatch
) -> None:
    world, log = world
    monkeypatch.setenv(POLICY, "first_open_day")
    paid_bill = posted_voucher(world)
    month_end(world)
    bill = world.approved_bill()
    payment, reference = pay(world, paid_bill)
    day, first = bill["gl_post_date"][:10], companies(world)["00001"]["ap"]["open_from"]
    assert first > day

    figures = world.run(*BILLS, *PAYMENTS)
    for asset in ("jde_procurify/bills_written", "jde_procurify/payments_written"):
        assert (figures[asset]["create"], figures[asset]["redated"], figures[asset]["held"]) == (1, 1, 0)
    [voucher] = sent(log, CREATE_VOUCHERS, **of_bill(bill))
    assert (day_of(voucher["GL_Date"]), day_of(voucher["Invoice_Date"])) == (first, bill["invoice_date"][:10])
    [row] = world.batch_rows("F0411Z1", bill["uuid"])
    assert julian_to_date(row["DGJ"]).isoformat() == first
    assert julian_to_date(row["DIVJ"]).isoformat() == bill["invoice_date"][:10]
    [paid] = sent(log, RECORD_PAYMENT, Payment_Reference=reference)
    assert (day_of(paid["GL_Date"]), day_of(paid["Payment_Date"])) == (first, day)
    for key in (bill["uuid"], payment):
        reason = written_reason(world, key)
        assert f"posted on {first}" in reason and f"source date {day} is kept" in reason, reason


# -- the close window, and JDE's warnings ---------------------------------------------------------------


def test_a_close_window_holds_money_until_it_ends_and_a_jde_warning_is_kept_and_counted(
    world, monkeypatch
) -> None:
    world, log = world
    today = datetime.now(UTC).date()
    monkeypatch.setenv(CLOSE, today.isoformat())  # the close is today (UTC, the default zone)
    bill = world.approved_bill()
    written = world.run(*BILLS)["jde_procurify/bills_written"]
    assert (written["held"], written["create"]) == (1, 0)
    held = item(world, "bills", bill["uuid"])
    assert held.depends_on.startswith("CLOSE:window:until:")
    assert "period close in progress, until" in held.reason and CLOSE in held.reason
    replay(world, "bills")
    assert sent(log, CREATE_VOUCHERS, **of_bill(bill)) == []

    monkeypatch.setenv(CLOSE, (today - timedelta(days=1)).isoformat())  # the window is behind us now
    replay(world, "bills")
    assert len(sent(log, CREATE_VOUCHERS, **of_bill(bill))) == 1
    replay(world, "bills")
    assert len(sent(log, CREATE_VOUCHERS, **of_bill(bill))) == 1

    # The companies put back two months: today is after their open periods, JDE posts it with a warning.
    put_on(world, (date(today.year, today.month, 1) - timedelta(days=40)).isoformat())
    late = world.approved_bill()
    written = world.run(*BILLS)["jde_procurify/bills_written"]
    assert (written["create"], written["warned"]) == (1, 1), world.queue("bills")
    [answer] = [e.answer for e in log.entries("POST", f"/jderest/v3/orchestrator/{CREATE_VOUCHERS}")][-1:]
    assert answer["Errors/Warnings"], answer  # JDE's own warning, kept where the write is recorded
    reason = written_reason(world, late["uuid"])
    assert "JDE accepted it with warnings" in reason and ("PACO" in reason or "WACO" in reason), reason
