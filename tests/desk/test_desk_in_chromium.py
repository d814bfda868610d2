"""The desk's journeys in a real browser (Debian's chromium): sign in with a desk account, find a refused
bill by its id, abandon it with a note and find it under "abandoned", reopen it; the forms' CSRF token and
cookies as a browser really sends them. One missing mapping row is one exception holding the records
refused for it and those waiting on them, whose fix (the row, added on its table's page) replays them all,
while a held order clears by itself; a replay in the background showing its progress and then its result,
and a mapping row's delete that asks first."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from browser import chromium
from given_replays import given_to_commands, with_deployment
from one_cause import HELD, TERMS, n45_missing
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as shows
from selenium.webdriver.support.ui import Select, WebDriverWait
from starlette.applications import Starlette
from task_page import task_ended

from connector_cli.desk.app import build_app
from connector_cli.desk.identity import Access
from connector_resources.ledger import Ledger
from connector_resources.refusals import Refusal
from connector_resources.replay import ReplayOutcome
from connector_sandbox.serve import serve_in_thread


def _operator_ledger(path: Path) -> Ledger:
    """A ledger at ``path`` whose desk has one operator account, otto's, that the journeys sign in with."""
    ledger = Ledger(f"sqlite:///{path}")
    ledger.add_desk_user("otto", "operator-password-1", "operator")
    return ledger


@contextmanager
def _served(app: Starlette, ledger: Ledger) -> Iterator[tuple[str, Ledger]]:
    """The desk ``app`` on a free port while the block runs (its URL and ledger); the ledger closed after."""
    url, stop = serve_in_thread(app, port=0)
    try:
        yield url, ledger
    finally:
        stop()
        ledger.dispose()


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    ledger = _operator_ledger(tmp_path_factory.mktemp("desk") / "ledger.db")
    with _served(build_app(ledger, Access()), ledger) as served:
        yield served


def _arrived(browser, text: str) -> None:
    """Wait for the page a click led to (the old page's elements answer until it has come)."""
    WebDriverWait(browser, 30).until(shows.url_contains(text))


def _decide(browser, form: str, note: str) -> str:
    """Submit the item page's ``form`` (abandon, reopen) with ``note``; the notice the page then shows."""
    found = browser.find_element(By.ID, form)
    found.find_element(By.NAME, "note").send_keys(note)
    found.find_element(By.TAG_NAME, "button").click()
    _arrived(browser, "notice=")
    return browser.find_element(By.ID, "notice").text


def test_find_abandon_and_reopen_a_refused_bill(desk):
    url, ledger = desk
    item = ledger.enqueue(
        integration="jde_bill",
        flow="bills",
        entity="bill",
        source_key="00001/4471/PV",
        payload={"amount": "75461.36", "password": "hunter2-not-shown"},
        reason="GL account 6100 has no BILL chart of accounts entry",
    )
    with chromium() as browser:
        browser.get(f"{url}/queue")  # sent to sign in first
        browser.find_element(By.ID, "name").send_keys("otto")
        browser.find_element(By.ID, "password").send_keys("operator-password-1")
        browser.find_element(By.ID, "sign-in").click()
        _arrived(browser, "/queue")
        assert "otto (operator)" in browser.find_element(By.ID, "who").text

        browser.find_element(By.ID, "q").send_keys("00001/4471/PV")
        browser.find_element(By.ID, "search").click()
        _arrived(browser, "q=00001")
        rows = browser.find_elements(By.CSS_SELECTOR, "#items tr.item")
        assert [r.get_attribute("data-item") for r in rows] == [str(item.id)]
        rows[0].find_element(By.LINK_TEXT, str(item.id)).click()
        _arrived(browser, f"/items/{item.id}")
        assert "hunter2" not in browser.find_element(By.ID, "payload").text

        assert "abandoned" in _decide(browser, "abandon", "entered by hand in BILL by AP")
        assert browser.find_element(By.ID, "state").text == "abandoned"
        assert "otto (operator)" in browser.find_element(By.ID, "decisions").text

        browser.get(f"{url}/queue")
        Select(browser.find_element(By.NAME, "state")).select_by_value("abandoned")
        browser.find_element(By.ID, "search").click()
        _arrived(browser, "state=abandoned")
        found = [
            r.get_attribute("data-item") for r in browser.find_elements(By.CSS_SELECTOR, "#items tr.item")
        ]
        assert found == [str(item.id)]

        browser.find_element(By.CSS_SELECTOR, f'#items tr[data-item="{item.id}"] a').click()
        _arrived(browser, f"/items/{item.id}")
        assert "reopened" in _decide(browser, "reopen", "the BILL bill was deleted after all")
        assert browser.find_element(By.ID, "state").text == "awaiting replay"
    assert [(a.actor, a.action) for a in ledger.operator_actions(item_id=item.id)] == [
        ("otto", "reopen"),
        ("otto", "abandon"),
    ]


# -- the two views, a replay in the background, a delete that asks first ------------------------------------


@pytest.fixture
def fresh_desk(tmp_path):
    """A desk of its own (its queue is what the test puts there), with the real payment-terms table."""
    from jde_coupa_parts import PAYMENT_TERMS

    ledger = _operator_ledger(tmp_path / "ledger.db")
    ledger.seed_mapping(TERMS, {"N30": "Net 30", "N60": "Net 60"}, origin="test", content_hash="")
    app = build_app(ledger, Access())
    app.state.desk.mapping_tables = {TERMS: PAYMENT_TERMS}
    app.state.desk.mapping_resources = lambda systems: {}
    with _served(app, ledger) as served:
        yield served


def _sign_in(browser, url: str) -> None:
    browser.get(f"{url}/login")
    browser.find_element(By.ID, "name").send_keys("otto")
    browser.find_element(By.ID, "password").send_keys("operator-password-1")
    browser.find_element(By.ID, "sign-in").click()
    _arrived(browser, "/queue")


def _rows(browser) -> dict[str, Any]:
    return {r.get_attribute("data-item"): r for r in browser.find_elements(By.CSS_SELECTOR, "#items tr.item")}


def _view_count(browser, view: str) -> str:
    return browser.find_element(By.ID, f"view-{view}").text


@pytest.fixture
def coupa_desk(tmp_path):
    """``fresh_desk`` whose table saves are checked against a real Coupa (the simulator): what a row's
    save asks of Coupa's payment terms."""
    from jde_coupa_parts import PAYMENT_TERMS
    from jde_coupa_world import jde_coupa_world

    (tmp_path / "world").mkdir()
    with jde_coupa_world(tmp_path / "world") as world:
        ledger = _operator_ledger(tmp_path / "ledger.db")
        ledger.seed_mapping(TERMS, {"N30": "Net 30", "N60": "Net 60"}, origin="test", content_hash="")
        app = build_app(ledger, Access())
        app.state.desk.mapping_tables = {TERMS: PAYMENT_TERMS}
        app.state.desk.mapping_resources = lambda systems: {key: world.resources[key] for key in systems}
        with _served(app, ledger) as served:
            yield served


def test_one_missing_row_is_one_exception_whose_fix_replays_every_record_it_holds(coupa_desk, monkeypatch):
    """Payment terms N45 missing: suppliers 1870 and 1871 refused for it, orders and an invoice held on them.
    The desk shows ONE exception, at the top of its kind, holding the 6 records (each linked to its page);
    the Kinds table, the record's page and the table's page count the same 6. Its fix is the table's
    add-row form; saving the row and replaying what it unblocks writes the suppliers and then the records
    that waited on them, and the exception is gone. An order held on a supplier nobody refused clears by
    itself throughout."""
    url, ledger = coupa_desk
    staged = n45_missing(ledger)
    other = staged.other
    held = {str(i.id) for i in staged.held}

    def write(item, book):  # a record's replay: written to Coupa, which releases what waits on it
        from connector_resources.replay import release_waiting

        key = f"jde_coupa:{item.entity}:JDE:{item.source_key}"
        released = release_waiting(ledger, key, reason=f"released: {key} written; due now")
        return ReplayOutcome(target_id=f"C-{item.source_key}", detail="created", released=len(released))

    flows = ("suppliers", "purchase_orders", "invoices")
    given_to_commands(monkeypatch, with_deployment({("jde_coupa", flow): write for flow in flows}))
    with chromium() as browser:
        _sign_in(browser, url)  # the queue opens on the records that need a person
        assert f"Needs a person ({HELD})" in _view_count(browser, "person")
        assert "Clears by itself (1)" in _view_count(browser, "flows")
        [exception] = browser.find_elements(By.CSS_SELECTOR, "#exceptions tr.exception")
        assert exception.get_attribute("data-count") == str(HELD)
        assert exception.find_element(By.CLASS_NAME, "said").text == (
            f"payment terms N45 has no row in {TERMS}: 6 records (2 suppliers refused for it, "
            "4 invoices and purchase orders waiting on them)"
        )
        links = exception.find_elements(By.CSS_SELECTOR, "a.held-record")
        assert {a.get_attribute("data-item") for a in links} == held
        assert all(a.get_attribute("href").endswith(f"/items/{a.get_attribute('data-item')}") for a in links)
        assert _rows(browser) == {}  # not listed again as rows of their own
        kinds = browser.find_element(By.ID, "kinds").text
        assert f"A mapping table has no row for a value: {TERMS} 6" in kinds

        links[-1].click()  # a record it holds (an order): its page names the exception and its fix
        _arrived(browser, "/items/")
        assert browser.find_element(By.ID, "cause").get_attribute("data-count") == str(HELD)
        assert (
            "which needs a person (payment terms N45 not mapped)"
            in browser.find_element(By.ID, "outlived").text
        )
        fix = browser.find_element(By.ID, "unblock-link")
        assert fix.text.startswith("Add the row to the table")
        assert fix.get_attribute("href").endswith(f"/mappings/{TERMS}?key=N45#add")

        browser.get(f"{url}/mappings/{TERMS}")  # the table's page counts the same records
        waiting = browser.find_element(By.CSS_SELECTOR, '#waiting tr.waiting[data-key="N45"]').text
        assert f"N45: unblocks {HELD} records" in waiting

        # The fix: the exception's link, the row added there, what it unblocks replayed.
        browser.get(f"{url}/queue")
        browser.find_element(By.CSS_SELECTOR, "#exceptions tr.exception a.fix").click()
        _arrived(browser, f"/mappings/{TERMS}")
        form = browser.find_element(By.ID, "add-row")
        assert form.find_element(By.NAME, "key").get_attribute("value") == "N45"
        form.find_element(By.NAME, "value").send_keys("Net 45")
        form.find_element(By.NAME, "note").send_keys("N45 agreed with Coupa")
        form.find_element(By.TAG_NAME, "button").click()
        _arrived(browser, "notice=")
        replay = browser.find_element(By.ID, "replay-unblocks")
        assert f"Replay the {HELD} records this unblocks" in replay.text
        replay.find_element(By.NAME, "note").send_keys("terms mapped")
        replay.find_element(By.TAG_NAME, "button").click()
        _arrived(browser, "/tasks/")
        assert task_ended(browser, 60) == "done"
        assert browser.find_element(By.ID, "result").text.startswith(f"{HELD} replayed, 0 failed again")
        written = browser.find_elements(By.CSS_SELECTOR, "#outcome-replayed a")
        assert {a.text for a in written} == held  # the suppliers, then the records that waited on them

        browser.get(f"{url}/queue")
        assert "Needs a person (0)" in _view_count(browser, "person")
        assert browser.find_elements(By.ID, "exceptions") == []  # the exception is gone
    assert ledger.open_items(integration="jde_coupa") == [other]


def test_a_replay_runs_in_the_background_with_its_progress_then_its_result(fresh_desk, monkeypatch):
    url, ledger = fresh_desk
    said = "bill {n}: BILL answered 503"
    items = [
        ledger.enqueue(
            integration="desk_test",
            flow="slow",
            entity="bill",
            source_key=f"B{n}",
            payload={},
            reason=said.format(n=n),
            refusal=Refusal("target_refused", said, {"system": "BILL", "code": "E1"}),
        )  # fmt: skip
        for n in range(6)
    ]

    def write(item, book):
        time.sleep(0.4)  # a target that takes its time: the page shows the replay moving
        return ReplayOutcome(target_id=f"T-{item.source_key}", detail="created")

    given_to_commands(monkeypatch, with_deployment({("desk_test", "slow"): write}))
    with chromium() as browser:
        _sign_in(browser, url)
        browser.get(f"{url}/queue?state=due")
        form = browser.find_element(By.ID, "replay-all")
        form.find_element(By.NAME, "note").send_keys("BILL is back")
        form.find_element(By.TAG_NAME, "button").click()
        _arrived(browser, "/tasks/")
        first = browser.find_element(By.ID, "task").get_attribute("data-state")
        assert first == "running" and int(browser.find_element(By.ID, "progress").get_attribute("value")) < 6
        assert task_ended(browser, 60) == "done"  # the page refreshes itself until the task ends
        assert browser.find_element(By.ID, "done").text == "6 of 6"
        assert browser.find_element(By.ID, "result").text.startswith(f"{HELD} replayed, 0 failed again")
        written = browser.find_elements(By.CSS_SELECTOR, "#outcome-replayed a")
        assert sorted(int(a.text) for a in written) == sorted(i.id for i in items)
    assert len(ledger.open_items(integration="desk_test", status="resolved")) == 6
    assert len(ledger.operator_actions(action="replay")) == 6  # who and why, once for each record


def test_a_mapping_row_is_deleted_only_after_the_page_asks(fresh_desk):
    url, ledger = fresh_desk
    with chromium() as browser:
        _sign_in(browser, url)
        browser.get(f"{url}/mappings/{TERMS}")
        row = browser.find_element(By.CSS_SELECTOR, '#rows tr.row[data-key="N60"]')
        row.find_element(By.CSS_SELECTOR, "button[value=delete]").click()
        _arrived(browser, "delete=N60")
        asked = browser.find_element(By.ID, "confirm-delete")
        assert "Delete the row N60 -> Net 60?" in asked.text
        assert ledger.mapping_rows(TERMS) == {"N30": "Net 30", "N60": "Net 60"}  # nothing deleted yet
        asked.find_element(By.NAME, "note").send_keys("Net 60 retired")
        browser.find_element(By.ID, "confirm-delete-button").click()
        _arrived(browser, "notice=")
        assert "version 2 saved" in browser.find_element(By.ID, "notice").text
    assert ledger.mapping_rows(TERMS) == {"N30": "Net 30"}
