"""The desk's journeys in a real browser (Debian's chromium): sign in with a desk account, find a refused
bill by its id, abandon it with a note and find it under "abandoned", reopen it; the forms' CSRF token and
cookies as a browser really sends them."""

from __future__ import annotations

import pytest
from browser import chromium
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as shows
from selenium.webdriver.support.ui import Select, WebDriverWait

from connector_cli.desk.app import build_app
from connector_cli.desk.identity import Access
from connector_resources.ledger import Ledger
from connector_sandbox.serve import serve_in_thread


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    ledger = Ledger(f"sqlite:///{tmp_path_factory.mktemp('desk') / 'ledger.db'}")
    ledger.add_desk_user("otto", "operator-password-1", "operator")
    url, stop = serve_in_thread(build_app(ledger, Access()), port=0)
    try:
        yield url, ledger
    finally:
        stop()
        ledger.dispose()


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
