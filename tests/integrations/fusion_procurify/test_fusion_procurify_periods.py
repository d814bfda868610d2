"""Procurify -> Fusion invoices meet Fusion's accounting periods, end to end on both simulators: a bill dated
in a period Fusion has closed is held under ``refuse`` (its reason naming the invoice, its date, the period
and what to do; nothing POSTed to ``/invoices``, on the run, a rerun or a replay while nothing changed), and
written once by the replay sweep after the period is opened again; under ``first_open_day`` it is created
with ``AccountingDate`` the first open day and its ``InvoiceDate`` kept, said in the audit trail. What Fusion
was asked is counted in the pod's own request log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from fusion_procurify_parts import INVOICES as invoices_flow
from fusion_procurify_proofs import stage_master
from fusion_procurify_world import INTEGRATION, FusionProcurifyWorld, fusion_procurify_world
from request_log import RequestLog, logged_simulators
from sandbox_logins import answered

from connector_resources import settings

FLOW_ASSETS = ("procurify/bills", "fusion_procurify/invoices_mapped", "fusion_procurify/invoices_written")
INVOICES = "/fscmRestApi/resources/11.13.18.05/invoices"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[FusionProcurifyWorld, RequestLog]]:
    with logged_simulators() as logs, fusion_procurify_world(tmp_path) as made:
        stage_master(made)
        yield made, logs["fusion"][0]


def payables_periods(world: FusionProcurifyWorld) -> list[dict[str, Any]]:
    """The pod's own list of the Payables periods of the ledger the connector reads."""
    answer = requests.get(f"{world.fusion_url}/sandbox/periods", timeout=30)
    ledger = settings.read("ML_FUSION_LEDGER_ID")
    return [
        p
        for p in answered(answer, "Fusion periods")["periods"]
        if str(p["LedgerId"]) == ledger and p["ApplicationId"] == 200
    ]


def period_of(world: FusionProcurifyWorld, day: str) -> dict[str, Any]:
    [period] = [p for p in payables_periods(world) if p["StartDate"][:10] <= day <= p["EndDate"][:10]]
    return period


def month_end(world: FusionProcurifyWorld) -> None:
    """The accountants close the open month and open the next (the pod's operator route)."""
    answered(requests.post(f"{world.fusion_url}/sandbox/periods/roll", json={}, timeout=30), "roll")


def reopen(world: FusionProcurifyWorld, name: str) -> None:
    url = f"{world.fusion_url}/sandbox/periods/{name}"
    answered(requests.put(url, json={"ClosingStatus": "O"}, timeout=30), f"reopen {name}")


def posted(log: RequestLog) -> list[Any]:
    return [entry.body for entry in log.entries("POST", INVOICES)]


def test_a_bill_in_a_closed_period_is_held_sending_nothing_until_the_period_opens(world) -> None:
    world, log = world
    bill = world.approved_bill()
    day = bill["gl_post_date"][:10]
    month_end(world)
    closed = period_of(world, day)
    assert closed["ClosingStatus"] == "C"
    log.clear()

    run = world.run(*FLOW_ASSETS)["fusion_procurify/invoices_written"]
    assert (run["held"], run["create"], run["fail"]) == (1, 0, 0)
    [item] = world.ledger.open_items(integration=INTEGRATION, flow="invoices")
    assert item.status == "held" and item.depends_on.startswith("FUSION:period:ledger:")
    for words in (
        f"Procurify invoice {bill['invoice_number']}", day, closed["PeriodName"], "Closed",
        "ML_FUSION_PROCURIFY_GL_DATE_POLICY=first_open_day", "have the accountants reopen that period",
    ):  # fmt: skip
        assert words in item.reason, (words, item.reason)

    world.run(*FLOW_ASSETS)  # a rerun, and a replay while nothing changed: nothing sent
    world.replay_queued("invoices", invoices_flow)
    assert posted(log) == []
    assert world.ledger.open_items(integration=INTEGRATION, flow="invoices")[0].status == "held"

    reopen(world, closed["PeriodName"])  # the accountants reopen it: the replay sweep releases and sends it
    world.replay_queued("invoices", invoices_flow)
    assert world.queue("invoices") == {}
    [sent] = posted(log)
    assert sent["InvoiceNumber"] == bill["invoice_number"] and sent.get("AccountingDate", day) == day
    world.replay_queued("invoices", invoices_flow)
    world.run(*FLOW_ASSETS)
    assert len(posted(log)) == 1
    assert len(world.fusion_records("invoices", InvoiceNumber=bill["invoice_number"])) == 1


def test_first_open_day_posts_it_on_the_next_open_period_keeping_the_invoice_date(world, monkeypatch) -> None:
    world, log = world
    monkeypatch.setenv("ML_FUSION_PROCURIFY_GL_DATE_POLICY", "first_open_day")
    bill = world.approved_bill()
    month_end(world)
    first_open = min(p["StartDate"][:10] for p in payables_periods(world) if p["ClosingStatus"] == "O")
    assert first_open > bill["gl_post_date"][:10]

    run = world.run(*FLOW_ASSETS)["fusion_procurify/invoices_written"]
    assert (run["create"], run["redated"], run["held"]) == (1, 1, 0), world.queue("invoices")
    [sent] = posted(log)
    assert (sent["AccountingDate"], sent["InvoiceDate"]) == (first_open, bill["invoice_date"][:10])
    stored = world.fusion_record("invoices", world.xrefs("invoice")[bill["uuid"]])
    assert str(stored["AccountingDate"])[:10] == first_open
    assert str(stored["InvoiceDate"])[:10] == bill["invoice_date"][:10]
    [reason] = [e.reason for e in world.ledger.history(bill["uuid"]) if e.action == "create"]
    assert f"posted on {first_open}" in reason
    assert f"source date {bill['gl_post_date'][:10]} is kept" in reason
