"""A refused record's missing mapping row fixed at the desk, on the JDE and Coupa simulators: the suppliers
run refuses every supplier whose JDE terms (N30) have no row in the ledger's payment-terms table; the desk
shows the value with the records it unblocks, refuses a wrong row or a stale save naming the problem and
saving nothing, and the clerk goes from the refused record to the table, adds the row, saves and replays:
each supplier is written in Coupa exactly once, with its terms. (The same steps in Debian's chromium are
the refused bill's journey, ``test_desk_bill_journey``.)

One world for the module (one run of the suppliers chain); the tests use it in order: the refusals first
(nothing saved), a row another record does not wait for changed and put back, then the journey that fixes
the missing one."""

from __future__ import annotations

import html
import re
import time
from datetime import date, timedelta
from ipaddress import ip_network

import pytest
from dagster import materialize
from given_replays import given_to_commands, with_deployment
from instances import instance_for_test
from jde_coupa_parts import PAYMENT_TERMS, jde_coupa_assets
from jde_coupa_world import jde_coupa_world
from starlette.testclient import TestClient

from connector_assets.deployment import Deployment
from connector_assets.flows import replay_resources
from connector_assets.jde.assets import jde_assets
from connector_cli.desk.app import build_app
from connector_cli.desk.guard import CSRF_COOKIE
from connector_cli.desk.identity import Access
from connector_resources.ledger import Ledger

DAY = (date.today() - timedelta(days=21)).isoformat()  # the JDE sandbox's mass-update day: busy
CHAIN = (
    "jde_coupa/payment_terms_map",
    "jde/suppliers",
    "jde/address_book",
    "jde_coupa/suppliers_mapped",
    "jde_coupa/suppliers_written",
)
TABLE = PAYMENT_TERMS.name  # jde_coupa/payment_terms_map
OPERATOR = Access(
    proxy_header="X-Forwarded-User",
    trusted_proxies=(ip_network("10.0.0.0/24"),),
    operators=frozenset({"lee"}),
)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The simulators, the ledger the tables use (its payment-terms table lacking N30), one suppliers run:
    the suppliers with terms N30 queued, the others written. Today's settings stand for the simulators
    (the replay and the master-data checks build their resources from them)."""
    folder = tmp_path_factory.mktemp("desk-mappings")
    db = f"sqlite:///{folder / 'ledger.sqlite'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ML_CONNECTOR_DB_URL", db)
        seeded = Ledger(db)
        rows = {k: v for k, v in PAYMENT_TERMS.read().items() if k != "N30"}
        seeded.seed_mapping(TABLE, rows, origin="the test's table without N30", content_hash="")
        seeded.dispose()
        with jde_coupa_world(folder) as world:

            def from_settings(keys=("jde", "coupa", "staging"), instance=None):  # a replay's default
                return {key: world.resources[key] for key in keys}

            patch.setattr(replay_resources, "resources_from_settings", from_settings)
            # The flows' own handlers, on the world's clients (not ``jde_coupa_world``'s, which writes a
            # queued body as it was), for the desk's replays.
            given_to_commands(patch, with_deployment(Deployment.of(["jde_coupa"]).replays(from_settings)))
            with instance_for_test() as instance:
                every = [*jde_assets, *jde_coupa_assets]
                chosen = [a for a in every if a.key.to_user_string() in CHAIN]
                run = {"instance": instance, "partition_key": DAY, "raise_on_error": False}
                result = materialize(chosen, resources=world.resources, **run)
            assert result.success  # the other suppliers proceed
            yield world


def _queued(world) -> list:
    return world.ledger.open_items(integration="jde_coupa", flow="suppliers")


def _in_coupa(world, an8: str) -> list[dict]:
    with world.resources["coupa"].session() as session:
        return session.search("suppliers", {"number": an8}, limit=10)


def test_the_desk_shows_what_waits_and_refuses_a_wrong_or_stale_row(world) -> None:
    queued = _queued(world)
    assert queued and all("payment terms N30 (F0401 TRAP)" in i.reason for i in queued)
    desk = TestClient(
        build_app(world.ledger, OPERATOR),
        client=("10.0.0.5", 40000),
        headers={"X-Forwarded-User": "lee"},
        follow_redirects=False,
    )
    listing = desk.get("/mappings")  # imports each table the ledger does not hold yet, on its first use
    assert f'data-table="{TABLE}"' in listing.text and "the test&#39;s table without N30" in listing.text
    before = (world.ledger.mapping_infos(), world.ledger.operator_actions())
    item = desk.get(f"/items/{queued[0].id}")
    assert f'href="/mappings/{TABLE}?key=N30#add"' in item.text

    page = desk.get(f"/mappings/{TABLE}", params={"key": "N30"})
    assert page.status_code == 200
    n = len(queued)
    assert f"N30: unblocks {n} record{'' if n == 1 else 's'}" in page.text
    assert 'name="key" required value="N30"' in page.text  # the add-row form filled in from the record
    token = page.cookies.get(CSRF_COOKIE) or desk.cookies[CSRF_COOKIE]
    form = {"csrf": token, "key": "N30", "note": "AP: N30 is Net 30 in Coupa"}

    blank = desk.post(f"/mappings/{TABLE}", data={**form, "value": "", "version": "1"})
    assert blank.status_code == 409 and "N30: a row needs its coupa_payment_term" in blank.text
    stale = desk.post(f"/mappings/{TABLE}", data={**form, "value": "Net 30", "version": "0"})
    assert stale.status_code == 409 and "after you opened it" in stale.text and "Nothing saved" in stale.text
    wrong = desk.post(
        "/mappings/coupa_jde/account_map",
        data={"csrf": token, "key": "6100", "value": "not an account", "note": "typo", "version": "0"},
    )
    assert wrong.status_code == 409 and "6100:" in wrong.text and "not saved" in wrong.text
    none_yet = desk.post(f"/mappings/{TABLE}/replay", data={"csrf": token, "key": "N30", "note": "go"})
    assert none_yet.status_code == 409 and "has no row for N30" in none_yet.text
    assert (world.ledger.mapping_infos(), world.ledger.operator_actions()) == before
    assert _queued(world) == queued


def _finished(desk: TestClient, task: str) -> str:
    """The task's page once the task has ended (it runs in a thread of the desk)."""
    deadline = time.monotonic() + 120
    while 'data-state="running"' in (page := desk.get(task).text):
        assert time.monotonic() < deadline, page
        time.sleep(0.2)
    return html.unescape(page)


def test_an_operator_changes_deletes_and_adds_back_a_row_kept_with_who_and_why(world) -> None:
    desk = TestClient(
        build_app(world.ledger, OPERATOR),
        client=("10.0.0.5", 40000),
        headers={"X-Forwarded-User": "lee"},
        follow_redirects=False,
    )
    page = desk.get(f"/mappings/{TABLE}", params={"find": "N60"})
    assert 'data-key="N60"' in page.text and 'data-key="N10"' not in page.text  # the search narrows
    token = page.cookies.get(CSRF_COOKIE) or desk.cookies[CSRF_COOKIE]
    version = world.ledger.mapping_info(TABLE).version
    row = {"csrf": token, "key": "N60", "value": "Net 60"}

    same = desk.post(f"/mappings/{TABLE}", data={**row, "note": "no-op", "version": str(version)})
    assert same.status_code == 409 and "nothing to change" in same.text
    asked = desk.post(f"/mappings/{TABLE}", data={**row, "do": "delete", "note": "", "version": str(version)})
    assert asked.status_code == 303 and "delete=N60" in asked.headers["location"]
    assert "Delete the row N60 -> Net 60?" in desk.get(asked.headers["location"]).text
    assert world.ledger.mapping_rows(TABLE)["N60"] == "Net 60"  # the first step only asks
    gone = desk.post(
        f"/mappings/{TABLE}",
        data={**row, "do": "delete", "confirm": "yes", "note": "unused", "version": str(version)},
    )
    assert gone.status_code == 303 and "unblocks" not in gone.headers["location"]
    assert "N60" not in world.ledger.mapping_rows(TABLE)
    back = desk.post(f"/mappings/{TABLE}", data={**row, "note": "used again", "version": str(version + 1)})
    assert back.status_code == 303 and world.ledger.mapping_rows(TABLE)["N60"] == "Net 60"
    history = [
        (c.actor, c.old_value, c.new_value, c.note) for c in world.ledger.mapping_history(TABLE, key="N60")
    ]
    assert history[:2] == [("lee", None, "Net 60", "used again"), ("lee", "Net 60", None, "unused")]
    shown = desk.get(f"/mappings/{TABLE}").text
    assert "used again" in shown and "unused" in shown and "No open record waits" not in shown


def test_the_clerk_adds_the_missing_row_and_replays_what_it_unblocks(world) -> None:
    """The desk's fix-and-replay over HTTP (in a browser: the bill's journey): from the refused supplier's
    record to the table, the row saved, the suppliers it unblocks replayed, each written once in Coupa."""
    queued = _queued(world)
    assert queued
    an8s = sorted(i.source_key for i in queued)
    desk = TestClient(
        build_app(world.ledger, OPERATOR),
        client=("10.0.0.5", 40000),
        headers={"X-Forwarded-User": "lee"},
        follow_redirects=False,
    )
    listed = desk.get("/queue", params={"q": an8s[0]}).text
    [item] = re.findall(r'<tr class="item" data-item="(\d+)"', listed)
    record = desk.get(f"/items/{item}").text
    assert "N30" in record
    [link] = re.findall(r'<a class="mapping-link" href="([^"]+)"', record)
    page = desk.get(html.unescape(link))
    assert page.status_code == 200 and f"N30: unblocks {len(queued)} record" in page.text
    token = page.cookies.get(CSRF_COOKIE) or desk.cookies[CSRF_COOKIE]
    version = world.ledger.mapping_info(TABLE).version
    row = {"csrf": token, "key": "N30", "value": "Net 30", "note": "N30 is Net 30 in Coupa"}
    saved = desk.post(f"/mappings/{TABLE}", data={**row, "version": str(version)})
    assert saved.status_code == 303 and "unblocks=N30" in saved.headers["location"]
    shown = desk.get(saved.headers["location"]).text
    assert "+ N30 -&gt; Net 30" in shown and f"Replay the {len(queued)} record" in shown

    replay = desk.post(f"/mappings/{TABLE}/replay", data={"csrf": token, "key": "N30", "note": "N30 mapped"})
    assert replay.status_code == 303 and replay.headers["location"].startswith("/tasks/"), replay.text
    said = _finished(desk, replay.headers["location"])  # it ran in the background
    assert f"{len(queued)} replayed, 0 failed again" in said
    assert 'id="replay-unblocks"' not in desk.get(f"/mappings/{TABLE}").text

    assert _queued(world) == []
    for an8 in an8s:
        [supplier] = _in_coupa(world, an8)  # written once
        assert supplier["payment-term"]["code"] == "Net 30"
        writes = [e.action for e in world.ledger.history(an8) if e.action in ("create", "adopt", "replay")]
        assert writes == ["create", "replay"], (an8, writes)  # one create, by the replay
        xref = world.ledger.get_xref("jde_coupa", "supplier", "JDE", an8, "coupa")
        assert xref.target_id == str(supplier["id"])
    [change] = world.ledger.mapping_history(TABLE, key="N30")
    said = (change.actor, change.old_value, change.new_value, change.origin)
    assert said == ("lee", None, "Net 30", "desk")
    replays = world.ledger.operator_actions(action="replay")
    assert sorted(a.source_key for a in replays) == an8s and {a.note for a in replays} == {"N30 mapped"}
