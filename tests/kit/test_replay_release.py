"""Held records and the replay: whatever path writes a record releases what waits for it, a released
record says so, a held record whose dependency synced by another path is not stuck, the replay reports
what is held and on what, and every failed attempt counts.

End to end through the real pieces: the JDE and Coupa simulators, the real flows (Dagster), the replay
handlers and the ledger on SQLite; the queue-level cases run the real CLI on a real ledger.
"""

from datetime import date, timedelta

import pytest
import requests
from asset_runs import materialized, named
from click.testing import CliRunner
from given_replays import given_to_commands, merged, replays_of, with_deployment
from jde_coupa_parts import PURCHASE_ORDERS_FLOW, SUPPLIERS_FLOW, jde_coupa_assets, jde_coupa_po_assets
from jde_coupa_world import jde_coupa_world, replay_into_coupa
from ledger_entries import held_on, queued

from connector_assets.coupa.targets import CoupaPurchaseOrders, CoupaSuppliers
from connector_assets.jde.assets import jde_assets
from connector_cli.main import cli
from connector_resources.ledger import Ledger
from connector_resources.replay import ReplayOutcome, replay_items

DAY = (date.today() - timedelta(days=21)).isoformat()  # the JDE sandbox's busy mass-update day
PO_CHAIN = ("jde/suppliers", "jde/address_book", "jde/po_headers", "jde/po_lines")
PO_FLOW = ("jde_coupa/purchase_orders_mapped", "jde_coupa/purchase_orders_written")
ORDERS, VENDORS = ("itest", "orders", "order"), ("itest", "vendors", "vendor")


@pytest.fixture
def world(tmp_path, monkeypatch):
    with jde_coupa_world(tmp_path) as world:
        monkeypatch.setenv("ML_CONNECTOR_DB_URL", world.ledger_url)  # what the CLI reads
        yield world.resources, world.coupa_url, world.ledger


def _run(resources, *names):
    every = [*jde_assets, *jde_coupa_assets, *jde_coupa_po_assets]
    return materialized(named(names, every), resources, partition_key=DAY, raise_on_error=False)


def test_a_supplier_synced_by_replay_releases_its_orders_and_the_next_replay_writes_them(world, monkeypatch):
    resources, coupa, ledger = world
    monkeypatch.setenv("ML_PARENT_PULL_LIMIT", "0")  # the replay's release is what this judges, not a pull
    # Orders first: no supplier has synced, so every order is held on its supplier.
    _run(resources, *PO_CHAIN, *PO_FLOW)
    held = ledger.open_items(integration="jde_coupa", flow="purchase_orders", status="held")
    assert held and all(item.attempts == 0 for item in held)  # waiting is not a failed attempt
    waited = {item.depends_on for item in held}

    # The suppliers they wait for are read (by number) and mapped, but Coupa refuses every write: each
    # supplier is queued with its reason, and that failed attempt counts.
    _run(resources, "jde_coupa/suppliers_mapped")
    with resources["coupa"].session(flow="suppliers") as session:  # the OAuth token is cached first
        session.search("suppliers", {"number": "0"}, limit=1)
    requests.post(f"{coupa}/sandbox/faults", json={"fail_next": 10_000, "fail_next_status": 400}, timeout=10)
    assert _run(resources, "jde_coupa/suppliers_written")["jde_coupa/suppliers_written"]["fail"].value > 0
    requests.post(f"{coupa}/sandbox/faults/reset", timeout=10)
    requests.post(f"{coupa}/sandbox/faults", json={"rate_limit_enabled": False}, timeout=10)
    suppliers = ledger.open_items(integration="jde_coupa", flow="suppliers", status="failed")
    assert suppliers and all(item.attempts == 1 for item in suppliers), [i.attempts for i in suppliers]
    for item in suppliers:
        [failed] = [e for e in ledger.history(item.source_key) if e.action == "fail"]
        assert failed.reason == f"{item.reason} (attempt 1)"
    assert waited & {SUPPLIERS_FLOW.dependency_key(i.source_key) for i in suppliers}

    # Only held orders are left in this flow: the dry run says how many are held, and on what.
    dry = CliRunner().invoke(cli, ["replay", "--dry-run", "--flow", "purchase_orders", "--top", "3"])
    assert dry.exit_code == 0, dry.output
    assert "nothing to replay" not in dry.output
    assert f"0 due now, 0 failed and not yet due, {len(held)} held" in dry.output
    assert f"held records wait for {len(waited)} record(s): {len(held)} on {len(waited)} jde_coupa " in (
        dry.output
    )
    most = max(waited, key=lambda key: (sum(i.depends_on == key for i in held), key))
    assert f"  {most}: {sum(i.depends_on == most for i in held)} held" in dry.output

    # ml-connector replay syncs the suppliers: the orders held on them are released, with an audit event
    # and a reason that says so.
    replays = merged(
        replay_into_coupa(SUPPLIERS_FLOW, CoupaSuppliers, resources),
        replay_into_coupa(PURCHASE_ORDERS_FLOW, CoupaPurchaseOrders, resources),
    )
    synced = replay_items(ledger, suppliers, replays)
    assert synced.replayed
    synced_keys = {SUPPLIERS_FLOW.dependency_key(i.source_key) for i in suppliers if i.id in synced.replayed}
    expected = {item.id for item in held if item.depends_on in synced_keys}
    assert expected and synced.released == len(expected)
    due = ledger.due(integration="jde_coupa", flow="purchase_orders", limit=10_000)
    assert {item.id for item in due} == expected
    for item in due:
        supplier = item.depends_on.rsplit(":", 1)[1]
        released = f"released: supplier {supplier} synced to coupa (as coupa "
        assert item.reason.startswith(released), item.reason
        assert "waits for" not in item.reason
        release = [e for e in ledger.history(item.source_key) if e.action == "release"]
        assert len(release) == 1 and release[0].flow == "purchase_orders"
        assert release[0].reason == item.reason
    still_held = ledger.open_items(integration="jde_coupa", flow="purchase_orders", status="held")
    assert {i.id for i in still_held} == {i.id for i in held} - expected

    # The next replay writes them, once.
    written = replay_items(ledger, due, replays)
    assert set(written.replayed) == expected and not written.failed
    with resources["coupa"].session(flow="purchase_orders") as session:
        for item in due[:5]:
            assert session.find_purchase_order(item.source_key) is not None
    for item in due:
        [queued] = [q for q in ledger.queue_for(item.source_key) if q.id == item.id]
        assert queued.status == "resolved" and queued.reason.startswith("replayed: created")
        creates = [e for e in ledger.history(item.source_key) if e.action in ("create", "adopt")]
        assert len(creates) == 1


# ------------------------------------------------------------------ the queue, through the CLI


@pytest.fixture
def cli_ledger(tmp_path, monkeypatch) -> Ledger:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", url)
    return Ledger(url)


def _hold(ledger: Ledger, key: str, supplier: str):
    parent = f"itest:supplier:JDE:{supplier}"
    reason = f"order {key} waits for {parent} to sync"
    return held_on(ledger, ORDERS, key, parent, reason, payload={"order": key})


def test_a_held_record_whose_dependency_already_synced_is_released_and_replayed(cli_ledger, monkeypatch):
    ledger = cli_ledger
    waiting = _hold(ledger, "PO-1", "4343")
    _hold(ledger, "PO-2", "12")  # its supplier never synced: stays held
    # The supplier synced by a path that released nothing (an older replay, a manual match, a crash
    # between the write and the release).
    ledger.record_target("itest", "supplier", "JDE", "4343", "coupa", target_id="C-981", content_hash="h")
    written: list[str] = []

    def handler(item, _ledger):
        written.append(item.source_key)
        return ReplayOutcome(target_id=f"CPO-{item.source_key}", action="create", detail="replayed: created")

    given_to_commands(monkeypatch, with_deployment({("itest", "orders"): handler}))
    dry = CliRunner().invoke(cli, ["replay", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "nothing to replay" not in dry.output
    assert "2 held" in dry.output and "itest:supplier:JDE:4343: 1 held (already synced)" in dry.output
    assert "a replay would first release 1 held record(s)" in dry.output
    assert ledger.open_items(status="held") and written == []  # a dry run changes nothing

    result = CliRunner().invoke(cli, ["replay"])
    assert result.exit_code == 0, result.output
    assert "released 1 held record(s) whose dependency had already synced" in result.output
    assert "1 replayed, 0 failed again" in result.output
    assert "0 due now, 0 failed and not yet due, 1 held" in result.output
    assert written == ["PO-1"]
    [item] = [q for q in ledger.queue_for("PO-1") if q.id == waiting.id]
    assert item.status == "resolved" and item.reason == "replayed: created"
    assert [e.action for e in ledger.history("PO-1")] == ["release", "replay"]
    assert ledger.history("PO-1")[0].reason.startswith("released: itest:supplier:JDE:4343 had already synced")
    assert [i.source_key for i in ledger.open_items(status="held")] == ["PO-2"]


def test_every_failed_attempt_counts_and_the_cli_and_audit_show_it(cli_ledger, monkeypatch):
    ledger = cli_ledger
    item = queued(ledger, VENDORS, "V7", "vendor V7: BILL answered 503")  # what a run's failed write does
    assert item.attempts == 1

    def handler(queued, _ledger):
        raise ValueError(f"vendor {queued.source_key}: field tax_id is empty")

    given_to_commands(monkeypatch, with_deployment({("itest", "vendors"): handler}))
    result = CliRunner().invoke(cli, ["replay"])
    assert result.exit_code == 1, result.output
    assert f"#{item.id} itest/vendors V7 failed again: attempts=2, next attempt " in result.output
    [after] = ledger.open_items(status="failed")
    assert after.attempts == 2 and "field tax_id is empty" in after.reason
    assert after.next_attempt_at > item.next_attempt_at

    # A run that fails the record again counts too (it re-enqueues the same open item).
    again = queued(ledger, VENDORS, "V7", "vendor V7: BILL answered 503")
    assert (again.id, again.attempts) == (item.id, 3)

    audit = CliRunner().invoke(cli, ["audit", "V7"])
    assert audit.exit_code == 0, audit.output
    assert "fail " in audit.output and "(attempt 2; next attempt " in audit.output
    assert f"queue #{item.id} itest/vendors V7 [failed] attempts=3" in audit.output


def test_an_empty_queue_says_so(cli_ledger):
    result = CliRunner().invoke(cli, ["replay", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "nothing to replay: the retry queue is empty" in result.output


def test_a_replay_that_finds_its_record_already_written_leaves_nothing_held_on_it(cli_ledger):
    ledger = cli_ledger
    order = _hold(ledger, "PO-3", "77")
    supplier = queued(ledger, ("itest", "vendors", "supplier"), "77", "supplier 77: Coupa answered 503")
    # Written meanwhile by a path that released nothing; the replay finds it unchanged and skips it.
    ledger.record_target("itest", "supplier", "JDE", "77", "coupa", target_id="C-77", content_hash="h")

    def handler(item, _ledger):
        return ReplayOutcome(
            target_id="C-77", action="skip", detail="replayed: unchanged since the last write"
        )

    summary = replay_items(ledger, [supplier], replays_of({("itest", "vendors"): handler}))
    # Written before: resolved and counted as already written, not as replayed.
    assert summary.already == [supplier.id] and not summary.replayed and summary.released == 1
    [due] = ledger.due(integration="itest", flow="orders")
    assert due.id == order.id and due.reason.startswith("released: itest:supplier:JDE:77 had already synced")
    assert [e.action for e in ledger.history("PO-3")] == ["release"]
