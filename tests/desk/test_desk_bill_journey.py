"""An AP clerk's refused bill fixed at the desk, in Debian's chromium, on the JDE and BILL simulators.

The deployment's account table never had a row for one JDE account (``50.6410``), so the day's run refuses
the voucher charging a G/L line to it, naming the account and the table. The clerk finds the bill at the
desk by its id, follows the record page's link to the table with the row's key filled in, types a BILL
chart-of-accounts id that BILL has archived (refused by the master-data check, which asks the BILL and JDE
simulators; nothing saved), then the live one, saves and replays what the row unblocks: the bill is in
BILL exactly once (BILL asked by invoice number), on the ledger's cross-reference, with that account on
its line, and the table's history says who added the row and why.

Why this world: JDE -> BILL at the sandbox scale is the cheapest on which a bill is refused for a mapping
row (one run of the day, a handful of records), and the voucher's supplier is written by the same run, so
the replay writes the bill rather than holding it for its vendor.
"""

from __future__ import annotations

import pytest
from browser import chromium, installed
from built_parts import built
from given_replays import given_to_commands, with_deployment
from jde_bill_world import MASTER, ORDER_SOURCES, SUPPLIER_SOURCES, JdeBillWorld, jde_bill_world
from task_page import task_ended

from connector_assets.flows import replay_resources
from connector_assets.flows.replays import build_replays
from connector_assets.jde.documents import vouchers_by_key
from connector_assets.jde.order_vouchers import parse_source_key
from connector_cli.desk.app import build_app
from connector_cli.desk.identity import Access
from connector_resources.ledger import Ledger

ACCOUNT = "50.6410"  # charged by one voucher of the sandbox's busy day, whose supplier that day writes
ARCHIVED = "0ca02bbWHAXckE0RjYXV"  # BILL sandbox 6190 Advertising, archived by its seed
PARTS = built("jde_bill")
ACCOUNTS = PARTS.mapping_table("account_map")
TABLE = ACCOUNTS.name  # jde_bill/account_map
WHY = "AP: 50.6410 is 6410 in BILL, as in the other companies"
RUN = (
    *MASTER,
    *ORDER_SOURCES,
    *SUPPLIER_SOURCES,
    "jde_bill/vendors_mapped",
    "jde_bill/vendors_written",
    "jde_bill/bills_mapped",
    "jde_bill/bills_written",
)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Both simulators, the ledger the tables use (its account table imported without ``ACCOUNT``), one run
    of the day's vendors and bills. The desk's replay and master-data check use the world's clients, as
    today's settings would on the sandbox (each simulator here is on a port of its own)."""
    installed()  # no browser: skip (fail under CI=true) before the world is paid for
    folder = tmp_path_factory.mktemp("desk-bill")
    db = f"sqlite:///{folder / 'ledger.sqlite'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ML_CONNECTOR_DB_URL", db)
        seeded = Ledger(db)
        rows = ACCOUNTS.read()
        without = {k: v for k, v in rows.items() if k != ACCOUNT}
        seeded.seed_mapping(TABLE, without, origin="the test's table", content_hash="")
        seeded.dispose()
        with jde_bill_world(folder, db=db) as world:

            def from_settings(keys=("jde", "bill", "staging"), instance=None):
                return {key: world.resources[key] for key in keys}

            patch.setattr(replay_resources, "resources_from_settings", from_settings)
            # The deployment's replays, the bills flow's on the world's clients.
            given_to_commands(patch, with_deployment(build_replays([PARTS.flow("bills")], from_settings)))
            world.run(*RUN)  # the refused bill is queued; the others are written or wait for vendors
            yield world


def _refused(world: JdeBillWorld) -> list:
    return [
        item
        for item in world.ledger.open_items(integration="jde_bill", flow="bills")
        if f"account {ACCOUNT} has no BILL chart-of-accounts id" in (item.reason or "")
    ]


def _bills_numbered(world: JdeBillWorld, number: str) -> list[dict]:
    """Every live bill BILL holds with this invoice number, of any vendor (BILL filters bills by no invoice
    number: every bill is listed and compared here)."""
    with world.resources["bill"].session() as session:
        found = session.iter_records("bills")
        return [b for b in found if b["invoice"]["invoiceNumber"] == number and not b.get("archived")]


def test_in_chromium_the_clerk_fixes_a_refused_bills_account_row_and_it_is_written_once(world) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shows
    from selenium.webdriver.support.ui import WebDriverWait

    from connector_sandbox.serve import serve_in_thread

    fixed = ACCOUNTS.read()[ACCOUNT]  # the row as the sandbox file has it: BILL's live 6410
    [item] = _refused(world)
    assert item.status == "failed" and "ML_JDE_BILL_ACCOUNT_MAP" in item.reason, item.reason
    kind, *key = parse_source_key(item.source_key) or ("", "")
    assert kind == "PV", item.source_key  # a voucher: its bill's invoice number is the voucher's
    [voucher] = vouchers_by_key(world.resources["jde"], {tuple(key)})
    invoice = voucher.pay_items[0]["VINV"].strip()
    assert _bills_numbered(world, invoice) == []  # refused: nothing sent

    url, stop = serve_in_thread(build_app(world.ledger, Access(local_operator="lee")), port=0)
    try:
        with chromium() as browser:

            def arrived(text: str) -> None:
                WebDriverWait(browser, 60).until(shows.url_contains(text))

            browser.get(f"{url}/queue")
            browser.find_element(By.ID, "q").send_keys(item.source_key)
            browser.find_element(By.ID, "search").click()
            arrived("q=PV")
            found = browser.find_elements(By.CSS_SELECTOR, "#items tr.item")
            assert [r.get_attribute("data-item") for r in found] == [str(item.id)]
            found[0].find_element(By.LINK_TEXT, str(item.id)).click()
            arrived(f"/items/{item.id}")
            assert ACCOUNT in browser.find_element(By.ID, "reason").text
            browser.find_element(By.CSS_SELECTOR, "#mapping-gaps a.mapping-link").click()
            arrived(f"/mappings/{TABLE}")
            waiting = browser.find_element(By.CSS_SELECTOR, f'#waiting tr.waiting[data-key="{ACCOUNT}"]').text
            assert f"{ACCOUNT}: unblocks 1 record" in waiting

            def save(value: str, note: str) -> None:
                form = browser.find_element(By.ID, "add-row")
                assert form.find_element(By.NAME, "key").get_attribute("value") == ACCOUNT
                for name, text in (("value", value), ("note", note)):
                    field = form.find_element(By.NAME, name)
                    field.clear()
                    field.send_keys(text)
                form.find_element(By.TAG_NAME, "button").click()

            save(ARCHIVED, "6410 in BILL")  # BILL has archived that account: refused, nothing saved
            refusal = WebDriverWait(browser, 60).until(shows.presence_of_element_located((By.ID, "refusal")))
            assert f"BILL chart-of-accounts id {ARCHIVED}" in refusal.text and "archived" in refusal.text
            assert world.ledger.mapping_history(TABLE, key=ACCOUNT) == []

            save(fixed, WHY)
            arrived("notice=")
            assert f"+ {ACCOUNT} -> {fixed}" in browser.find_element(By.ID, "notice").text
            replay = browser.find_element(By.ID, "replay-unblocks")
            assert "Replay the 1 record" in replay.text
            replay.find_element(By.NAME, "note").send_keys("50.6410 mapped")
            replay.find_element(By.TAG_NAME, "button").click()
            arrived("/tasks/")  # the replay runs in the background; its page refreshes itself until done
            task_ended(browser, 120)
            said = browser.find_element(By.ID, "result").text
            assert said.startswith("1 replayed, 0 failed again"), said
            browser.find_element(By.ID, "back").click()
            arrived(f"/mappings/{TABLE}")

            browser.find_element(By.CSS_SELECTOR, "#find-rows input[name=find]").send_keys(ACCOUNT)
            browser.find_element(By.CSS_SELECTOR, "#find-rows button").click()
            arrived(f"find={ACCOUNT}")
            row = browser.find_element(By.CSS_SELECTOR, f'#rows tr.row[data-key="{ACCOUNT}"]')
            assert row.find_element(By.CLASS_NAME, "value").text == fixed
            history = browser.find_element(By.CSS_SELECTOR, f'#history tr[data-key="{ACCOUNT}"]').text
            assert "lee (operator)" in history and "as in the other companies" in history
            assert not browser.find_elements(By.ID, "replay-unblocks")  # nothing waits for the row now
    finally:
        stop()

    assert _refused(world) == [] and world.ledger.queue_item_by_id(item.id).status == "resolved"
    [bill] = _bills_numbered(world, invoice)  # in BILL exactly once
    assert world.xrefs("bill")[item.source_key] == bill["id"]
    assert fixed in [line["classifications"]["chartOfAccountId"] for line in bill["billLineItems"]]
    writes = [e.action for e in world.ledger.history(item.source_key) if e.action in ("create", "adopt")]
    assert writes == ["create"]
    [change] = world.ledger.mapping_history(TABLE, key=ACCOUNT)
    said = (change.actor, change.old_value, change.new_value, change.origin, change.note)
    assert said == ("lee", None, fixed, "desk", WHY)
    [replayed] = world.ledger.operator_actions(action="replay")
    assert (replayed.actor, replayed.item_id, replayed.note) == ("lee", item.id, "50.6410 mapped")
