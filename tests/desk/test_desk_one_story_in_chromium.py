"""The one story, proven end to end in Debian's chromium on the JDE and Coupa simulators and a real Dagster
instance: a mapping row a clerk deletes at the desk is what the next backfill maps with (no run of the
table's asset in between), and the desk's "replay the records this unblocks" after the row is added back
turns the day's ``no_failed_records`` check green through the ``evaluate_changed_days`` sensor.

One world for the module (the simulators, the ledger the desk and the runs share, one Dagster instance, the
desk served and one signed-in browser); the tests use it in order, the second from the first's refusals
(or, run alone, from the same delete made without the browser).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from asset_runs import run_named
from browser import chromium, installed
from dagster import DagsterInstance, SensorResult
from given_replays import given_to_commands, with_deployment
from instances import instance_for_test
from jde_coupa_parts import PAYMENT_TERMS, SUPPLIERS_FLOW, jde_coupa_assets
from jde_coupa_world import coupa_supplier_numbers, jde_coupa_world, suppliers_of_day
from one_story import arrived, day_check, run_requested, sign_in, tick_changed_days
from sandbox_world import PairWorld
from selenium.webdriver.common.by import By
from task_page import task_ended

from connector_assets.deployment import Deployment
from connector_assets.flows import replay_resources
from connector_assets.flows.mapping_changes import plan_change, save_change
from connector_assets.jde.assets import jde_assets
from connector_cli.desk.app import build_app
from connector_cli.desk.identity import Access
from connector_resources.ledger import QueueItem
from connector_resources.ledger.operator_actions import Operator
from connector_resources.refusals import group_of
from connector_sandbox.serve import serve_in_thread

TABLE = PAYMENT_TERMS.name  # jde_coupa/payment_terms_map
WRITTEN = SUPPLIERS_FLOW.key("written")
CHAIN = ("jde/suppliers", "jde/address_book", "jde_coupa/suppliers_mapped", "jde_coupa/suppliers_written")
CLERK, PASSWORD = "otto", "operator-password-1"
DAGSTER = "http://dagster.test"  # where the desk links runs (nothing is served there)
TASK_WAIT = 180  # seconds a desk replay of a few suppliers may take on a loaded machine


@dataclass
class Refused:
    """What the backfill after the delete left: the deleted row, the suppliers it refused, the run."""

    code: str
    coupa_term: str
    an8s: set[str]
    item_ids: set[int]
    run_id: str


@dataclass
class Story:
    world: PairWorld
    instance: DagsterInstance
    url: str
    browser: Any
    day: str
    refused: list[Refused] = field(default_factory=list)  # test 1's, for test 2


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    """The simulators, their ledger (the tables' and the desk's; ``ML_CONNECTOR_DB_URL``, as deployed), one
    Dagster instance, the desk on a free port with a password account, and a browser signed in to it. The
    flows' replay handlers write through the world's clients, as today's settings would."""
    installed()  # no browser: skip (fail under CI=true) before paying for the world
    folder = tmp_path_factory.mktemp("one-story")
    day = (date.today() - timedelta(days=21)).isoformat()  # the JDE sandbox's mass-update day: busy
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ML_CONNECTOR_DB_URL", f"sqlite:///{folder / 'ledger.sqlite'}")  # the world's ledger
        with jde_coupa_world(folder) as world, instance_for_test() as instance:

            def from_settings(
                keys: tuple[str, ...] = ("jde", "coupa", "staging"), instance: str | None = None
            ) -> dict[str, Any]:
                return {key: world.resources[key] for key in keys}

            patch.setattr(replay_resources, "resources_from_settings", from_settings)
            given_to_commands(patch, with_deployment(Deployment.of(["jde_coupa"]).replays(from_settings)))
            world.ledger.add_desk_user(CLERK, PASSWORD, "operator")
            app = build_app(world.ledger, Access(), dagster_url=DAGSTER)
            app.state.desk.mapping_tables = {TABLE: PAYMENT_TERMS}
            app.state.desk.mapping_resources = lambda systems: {key: world.resources[key] for key in systems}
            url, stop = serve_in_thread(app, port=0)
            try:
                with chromium() as browser:
                    sign_in(browser, url, CLERK, PASSWORD)
                    yield Story(world, instance, url, browser, day)
            finally:
                stop()


def _least_used_code(story: Story) -> tuple[str, str, set[str]]:
    """A payment-terms row some of the day's suppliers use, the fewest (the others are still written, and
    few refusals never look like a systemic failure of the day): the JDE code, its Coupa term, the
    suppliers using it."""
    terms = PAYMENT_TERMS.current(story.world.ledger)
    by_supplier = suppliers_of_day(story.world.jde_root, story.day)
    used = Counter(code for code in by_supplier.values() if code in terms)
    assert len(used) >= 2, used  # a precondition on the sandbox's seed: one code refused, another written
    code = min(used, key=lambda c: (used[c], c))
    return code, terms[code], {str(an8) for an8, trap in by_supplier.items() if trap == code}


def _open_suppliers(story: Story) -> dict[str, QueueItem]:
    return {i.source_key: i for i in story.world.ledger.open_items(integration="jde_coupa", flow="suppliers")}


def _backfill(story: Story, code: str, coupa_term: str, an8s: set[str]) -> Refused:
    """The day's suppliers chain materialized on the instance (the mapped and written steps; the table's
    asset is not run): the suppliers using ``code`` are queued as ``mapping_missing`` naming the table and
    the value, none of them is in Coupa, the others are, and the day's check is red with them."""
    world = story.world
    every = [*jde_assets, *jde_coupa_assets]
    run = run_named(world.resources, CHAIN, every, story.day, instance=story.instance)
    queued = _open_suppliers(story)
    assert an8s <= set(queued), (an8s, queued)
    for an8 in an8s:
        item = queued[an8]
        assert item.kind == group_of("mapping_missing", {"table": TABLE}) and item.attention == "person"
        assert (item.params["table"], item.params["value"]) == (TABLE, code)
    in_coupa = coupa_supplier_numbers(world.coupa_url)
    assert not an8s & set(in_coupa)  # refused, not created
    assert set(in_coupa) - an8s  # the day's other suppliers went on
    red = day_check(story.instance, WRITTEN, story.day)
    assert red is not None and not red.passed
    assert red.metadata["failed"].value == len(an8s)
    return Refused(code, coupa_term, an8s, {queued[an8].id for an8 in an8s}, run.run_id)


def test_a_row_deleted_at_the_desk_is_what_the_next_backfill_maps_with(story: Story) -> None:
    code, coupa_term, an8s = _least_used_code(story)
    browser, url = story.browser, story.url
    version = story.world.ledger.mapping_info(TABLE).version
    browser.get(f"{url}/mappings/{TABLE}")
    row = browser.find_element(By.CSS_SELECTOR, f'#rows tr.row[data-key="{code}"]')
    row.find_element(By.CSS_SELECTOR, "button[value=delete]").click()
    arrived(browser, f"delete={code}")
    asked = browser.find_element(By.ID, "confirm-delete")
    assert f"Delete the row {code} -> {coupa_term}?" in asked.text
    assert code in story.world.ledger.mapping_rows(TABLE)  # the first step only asks
    asked.find_element(By.NAME, "note").send_keys(f"{code} retired in Coupa")
    browser.find_element(By.ID, "confirm-delete-button").click()
    arrived(browser, "notice=")
    saved = story.world.ledger.mapping_info(TABLE).version
    assert f"{TABLE} version {saved} saved" in browser.find_element(By.ID, "notice").text
    assert code not in story.world.ledger.mapping_rows(TABLE) and saved > version

    refused = _backfill(story, code, coupa_term, an8s)  # the next backfill, the table's asset not run
    story.refused.append(refused)

    browser.get(f"{url}/mappings/{TABLE}")  # the desk names the run and the version it mapped with
    uses = browser.find_elements(By.CSS_SELECTOR, "#uses tr.use")
    assert [u.get_attribute("data-version") for u in uses] == [str(saved)]
    assert "(the current one)" in uses[0].text
    link = uses[0].find_element(By.TAG_NAME, "a")
    assert link.get_attribute("href") == f"{DAGSTER}/runs/{refused.run_id}"
    assert link.text == refused.run_id[:8]


def _refused_without_browser(story: Story) -> Refused:
    """Test 1's state when it did not run first: the same delete saved as the desk saves it, then the
    backfill."""
    code, coupa_term, an8s = _least_used_code(story)
    planned = plan_change(PAYMENT_TERMS, {code: None}, ledger=story.world.ledger)
    save_change(
        planned, by=Operator(CLERK, "operator"), note="retired", origin="desk", ledger=story.world.ledger
    )
    return _backfill(story, code, coupa_term, an8s)


def test_a_replay_at_the_desk_turns_the_days_check_green(story: Story) -> None:
    refused = story.refused[0] if story.refused else _refused_without_browser(story)
    world, browser, url = story.world, story.browser, story.url
    started = tick_changed_days(story.instance, world.ledger_url, None)  # the sensor reads from now on
    assert isinstance(started, SensorResult) and not started.run_requests

    # From a refused supplier in "needs a person" to its table, the row added back, what it unblocks replayed.
    an8 = min(refused.an8s)
    browser.get(f"{url}/queue?q={an8}")
    assert browser.find_element(By.ID, "view-person").get_attribute("aria-current") == "page"
    (item,) = [i for i in _open_suppliers(story).values() if i.source_key == an8]
    listed = browser.find_element(By.CSS_SELECTOR, f'#items tr.item[data-item="{item.id}"]')
    listed.find_element(By.CSS_SELECTOR, "a.unblock").click()
    arrived(browser, f"/mappings/{TABLE}")
    form = browser.find_element(By.ID, "add-row")
    assert form.find_element(By.NAME, "key").get_attribute("value") == refused.code
    form.find_element(By.NAME, "value").send_keys(refused.coupa_term)
    form.find_element(By.NAME, "note").send_keys(f"{refused.code} is {refused.coupa_term} in Coupa after all")
    form.find_element(By.TAG_NAME, "button").click()
    arrived(browser, f"unblocks={refused.code}")
    assert world.ledger.mapping_rows(TABLE)[refused.code] == refused.coupa_term
    replay = browser.find_element(By.ID, "replay-unblocks")
    n = len(refused.an8s)
    assert f"Replay the {n} record" in replay.text
    replay.find_element(By.NAME, "note").send_keys("the terms row is back")
    replay.find_element(By.TAG_NAME, "button").click()
    arrived(browser, "/tasks/")
    assert task_ended(browser, TASK_WAIT) == "done"  # the page refreshes itself until the task ends
    assert browser.find_element(By.ID, "result").text.startswith(f"{n} replayed, 0 failed again")
    written = browser.find_elements(By.CSS_SELECTOR, "#outcome-replayed a")
    assert sorted(int(a.text) for a in written) == sorted(refused.item_ids)
    assert not _open_suppliers(story)
    in_coupa = coupa_supplier_numbers(world.coupa_url)
    assert all(in_coupa[a] == 1 for a in refused.an8s), in_coupa  # each written once

    # Dagster still shows the day red; the sensor's next tick asks for its evaluation, which is green.
    assert not day_check(story.instance, WRITTEN, story.day).passed
    tick = tick_changed_days(story.instance, world.ledger_url, started.cursor)
    assert isinstance(tick, SensorResult)
    (request,) = tick.run_requests
    days = request.run_config["ops"]["check_replayed_days"]["config"]["days"]
    assert ["jde_coupa", "suppliers", story.day] in [row[:3] for row in days]
    run_requested(story.instance, world.ledger_url, request)
    green = day_check(story.instance, WRITTEN, story.day)
    assert green is not None and green.passed
    assert green.metadata["failed"].value == 0
