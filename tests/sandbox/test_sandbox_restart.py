"""Every simulator keeps its data across a restart on the same folder (what ``make dev`` does under
``$DAGSTER_HOME/sandbox``): the seed and every record made since, ids included, on a later day too; the
records a later start makes take new ids (the random streams go on, nothing is overwritten). A kept file
this version cannot reuse is refused, never seeded over; the registry starts all kept files or none. What
each issued (tokens, sessions) is honoured after the restart, as the vendor's would be.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from connector_resources.settings import SANDBOX_PORT_BASE_ENV
from connector_sandbox.registry import SANDBOXES, free_port_base, start

from .kept_world import FIRST_DAY, NEXT_DAY, SCALE, activity, simulator

pytestmark = pytest.mark.timeout(120)


def grown(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {table: after[table] - before[table] for table in before if after[table] != before[table]}


@pytest.mark.parametrize("key", list(SANDBOXES))
def test_a_restart_keeps_the_seed_and_every_record_made_since_and_makes_new_ones_with_new_ids(
    key: str, tmp_path: Path
) -> None:
    with simulator(key, tmp_path, FIRST_DAY) as (state, root):
        assert state.seed_report.reused is False
        seeded = state.store.row_counts()
        activity(key, root)
        first_round = state.store.row_counts()
    made = grown(seeded, first_round)
    assert made, f"{key}: the activity made no record"

    with simulator(key, tmp_path, NEXT_DAY) as (state, root):
        assert state.seed_report.reused is True, key  # not seeded again, on another day either
        assert state.store.row_counts() == first_round, key  # the records made before the restart are there
        activity(key, root)
        second_round = state.store.row_counts()
    # The same round again adds to every table it added to before: no new record took the id of one made
    # before the restart (which would have overwritten it, adding nothing).
    assert set(made) <= set(grown(first_round, second_round)), key


@pytest.mark.parametrize("key", list(SANDBOXES))
def test_a_kept_file_seeded_otherwise_is_refused_not_seeded_over(key: str, tmp_path: Path) -> None:
    from connector_sandbox.seeding import KeptDataError

    with simulator(key, tmp_path, FIRST_DAY) as (state, _root):
        kept = state.store.row_counts()
    with pytest.raises(KeptDataError, match="seeded with"), simulator(key, tmp_path, FIRST_DAY, seed=7):
        pass
    with simulator(key, tmp_path, FIRST_DAY) as (state, _root):
        assert state.seed_report.reused is True and state.store.row_counts() == kept


def test_the_registry_starts_all_kept_files_or_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder keeping some simulators' data but not the others' (an older version kept four) is refused
    before anything starts, naming the missing ones and how to start over; the kept files stay as they
    were."""
    from click.testing import CliRunner

    from connector_cli.main import cli
    from connector_sandbox.registry import KeptWorldError

    monkeypatch.setenv(SANDBOX_PORT_BASE_ENV, str(free_port_base()))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    running = start(scale=SCALE)
    assert not any(sandbox.kept for sandbox in running)
    for sandbox in running:
        sandbox.stop()
    folder = tmp_path / "sandbox"
    running = start(scale=SCALE)
    assert all(sandbox.kept for sandbox in running)
    for sandbox in running:
        sandbox.stop()

    for key in ("procurify", "fusion"):
        SANDBOXES[key].data_file(SCALE, folder).unlink()
    kept = {path.name: path.stat().st_mtime_ns for path in folder.glob("*.sqlite")}
    with pytest.raises(KeptWorldError, match="not of procurify, fusion") as refused:
        start(scale=SCALE)
    assert str(folder) in str(refused.value) and "ledger" in str(refused.value)
    # ``ml-connector sandbox`` says the same, without a traceback.
    said = CliRunner().invoke(cli, ["sandbox", "--scale", str(SCALE)])
    assert said.exit_code == 1 and "not of procurify, fusion" in said.output
    assert "Traceback" not in said.output
    assert {path.name: path.stat().st_mtime_ns for path in folder.glob("*.sqlite")} == kept


def test_bills_webhook_subscriptions_survive_a_restart_with_their_keys(tmp_path: Path) -> None:
    """A subscription is BILL data a client made through the API (``ml-connector bill-webhooks``): after a
    restart it is still there with its key (the one the vault holds), and a create resent with the same
    idempotency key (its answer was lost) is answered as before rather than making a second one."""
    from connector_sandbox.bill.testing import SandboxHandle

    key = str(uuid.uuid4())
    body = {
        "name": "ml-connector",
        "status": {"enabled": True},  # required (BILL's 'Webhook Events and Subscriptions' guide)
        "notificationUrl": "http://127.0.0.1:9/webhooks/bill",
        "events": [{"type": "bill.updated", "version": "1"}],
    }

    def create(state: Any, root: str) -> requests.Response:
        bill = SandboxHandle(f"{root}/connect", state.settings)
        headers = {**bill.headers(bill.login()), "X-Idempotent-Key": key}
        return requests.post(f"{bill.events}/v3/subscriptions", json=body, headers=headers, timeout=30)

    with simulator("bill", tmp_path, FIRST_DAY) as (state, root):
        made = create(state, root)
        assert made.status_code == 201, made.text
    with simulator("bill", tmp_path, NEXT_DAY) as (state, root):
        [kept] = state.hub.of_org(state.settings.organizations[0].id)
        assert (kept.id, kept.security_key) == (made.json()["id"], made.json()["securityKey"])
        again = create(state, root)
        assert (again.status_code, again.json()) == (201, made.json())
        assert len(state.hub.of_org(state.settings.organizations[0].id)) == 1


@pytest.mark.parametrize("key", [key for key in SANDBOXES if key != "jde_ais"])  # JDE has no reset route
def test_a_reset_on_kept_data_is_what_the_next_start_finds(key: str, tmp_path: Path) -> None:
    """``POST /sandbox/reset`` seeds the kept file anew (not a private copy the restart would not see)."""
    with simulator(key, tmp_path, FIRST_DAY) as (state, root):
        seeded = state.store.row_counts()
        activity(key, root)
        response = requests.post(f"{root}/sandbox/reset", json={}, timeout=60)
        assert response.status_code == 200, response.text
        assert state.store.row_counts() == seeded
    with simulator(key, tmp_path, FIRST_DAY) as (state, _root):
        assert state.seed_report.reused is True and state.store.row_counts() == seeded


def _last_lines(state: Any) -> tuple[int, int]:
    """The highest requisition line id and bill item id so far."""
    store = state.store
    return tuple(
        int(store.scalar(f"SELECT MAX(id) FROM {table}") or 0) for table in ("order_items", "bill_items")
    )


def _bought_codes(state: Any, since: tuple[int, int]) -> set[str]:
    """The account codes of the requisition lines and bill items made after ``since`` (``_last_lines``)."""
    store = state.store
    lines = store.all(
        "SELECT c.code FROM order_items i JOIN accounts a ON a.id = i.account_id "
        "JOIN account_codes c ON c.id = a.account_code_id WHERE i.id > ?",
        (since[0],),
    )
    items = store.all(
        "SELECT c.code FROM bill_items b JOIN accounts a ON a.id = b.account_id "
        "JOIN account_codes c ON c.id = a.account_code_id WHERE b.id > ?",
        (since[1],),
    )
    return {row[0] for row in [*lines, *items]}


def test_after_a_restart_the_procurify_activity_buys_only_on_codes_the_fusion_map_knows(
    tmp_path: Path,
) -> None:
    """make dev runs both Procurify integrations on one Procurify: JDE <-> Procurify's account codes flow
    creates a code for each in-scope JDE account (``M30.7140.01780``), opened for departments, with the
    server's default ``account_type`` (it sends none). The activity recomputes what is purchasable from the
    whole store at every round (after a restart too): it must still buy only on the codes the Fusion <->
    Procurify account map has rows for, as on the first start (kept JDE codes in the file)."""
    from fusion_procurify_parts import ACCOUNTS

    from connector_assets.integrations.fusion_procurify.account_map import normal_code
    from connector_sandbox.procurify.factory import budget_account
    from connector_sandbox.procurify.routes_setup import ACCOUNT_CODES

    fusion_codes = set(ACCOUNTS.read())
    wanted = {"new_requisitions": 6, "new_purchase_orders": 6, "new_bills": 6}
    with simulator("procurify", tmp_path, FIRST_DAY) as (state, root):
        before = _last_lines(state)
        requests.post(f"{root}/sandbox/activity", json=wanted, timeout=60).raise_for_status()
        first_day = _bought_codes(state, before)
        store, stamp = state.store, "2026-03-01T08:50:00"
        departments = [row[0] for row in store.all("SELECT id FROM departments WHERE active = 1")]
        with store.transaction():  # what the JDE account codes flow writes through POST /account-codes/
            for n in range(40):
                code_id = store.next_id("account_codes")
                code = {"code": f"M30.7140.{n:05d}", "description": "JDE account", "modified_at": stamp}
                store.insert("account_codes", [{**ACCOUNT_CODES.defaults, **code, "id": code_id}])
                for department_id in departments:
                    store.insert(
                        "accounts", [budget_account(store.next_id("accounts"), code_id, department_id, stamp)]
                    )
    assert first_day and {normal_code(c) for c in first_day} <= fusion_codes

    with simulator("procurify", tmp_path, NEXT_DAY) as (state, root):
        assert state.seed_report.reused is True
        before = _last_lines(state)
        for _ in range(3):
            requests.post(f"{root}/sandbox/activity", json=wanted, timeout=60).raise_for_status()
        after_restart = _bought_codes(state, before)
    assert after_restart, "the activity bought nothing after the restart"
    unknown = sorted(c for c in after_restart if normal_code(c) not in fusion_codes)
    assert not unknown, f"the activity bought on codes the Fusion map has no row for: {unknown}"


# What each simulator issued, issued on its state directly (its token endpoint's shape is its vendor's; what
# is proved here is that the registry is kept with the data): each issue answers what a client presents,
# each check whether the server honours it.
def _coupa_issue(state: Any) -> str:
    client = state.settings.clients[0]
    return state.tokens.mint(client, frozenset(client.scopes), lifetime=3600, min_length=0, issuer="x")[0]


def _coupa_honours(state: Any, token: str) -> bool:
    issued = state.tokens.lookup(token)
    return issued is not None and issued.expires_at > time.monotonic()


def _procurify_issue(state: Any) -> str:
    now = state.now()
    return state.tokens.mint(
        client_id="c", domain="d", user_email="e@d", audience="a", now=now, lifetime_seconds=3600
    )[0]


def _jde_issue(state: Any) -> str:
    user = state.settings.users[0]
    return state.sessions.open(user, device="make-dev", client_ip=None).token


ISSUE_AND_HONOUR: dict[str, tuple[Callable[[Any], str], Callable[[Any, str], bool]]] = {
    "jde_ais": (_jde_issue, lambda s, t: s.sessions.resolve(t, "make-dev", None) is not None),
    "coupa": (_coupa_issue, _coupa_honours),
    "bill": (
        lambda s: s.sessions.open("key", "org", "user", trusted=True).session_id,
        lambda s, t: s.sessions.resolve(t, "key") is not None,
    ),
    "procore": (lambda s: s.tokens.issue("c", 3600).value, lambda s, t: s.tokens.resolve(t) is not None),
    "procurify": (_procurify_issue, lambda s, t: s.tokens.verify(t, "d", s.now()) is not None),
    "fusion": (
        lambda s: s.tokens.issue(username="u", client_id="c", scope="x", now=s.now(), lifetime=3600).value,
        lambda s, t: s.tokens.resolve(t, s.now()) is not None,
    ),
}


@pytest.mark.parametrize("key", list(SANDBOXES))
def test_a_restart_honours_the_tokens_and_sessions_it_issued(key: str, tmp_path: Path) -> None:
    """The vendor does not restart when make dev does: a token the connector kept in its vault is still
    good after make dev's restart (``connector_sandbox.kept_credentials``)."""
    issue, honours = ISSUE_AND_HONOUR[key]
    with simulator(key, tmp_path, FIRST_DAY) as (state, _root):
        token = issue(state)
    with simulator(key, tmp_path, FIRST_DAY) as (state, _root):
        assert honours(state, token), key
