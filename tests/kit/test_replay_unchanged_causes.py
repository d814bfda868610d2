"""A replay leaves a record refused for a missing mapping row queued, with no call to JDE or Coupa, while the
table still lacks the row (``connector_resources.replay_causes``), exactly as a replay that read it would;
once the row is saved, the next replay reads it from JDE and writes it once. Both simulators over loopback,
their own call counters, the JDE -> Coupa suppliers flow and its payment terms table, replayed a chunk at a
time (``FlowReplay``, with its ``ahead``) as a deployment's replay does.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
import requests
from dagster import materialize
from instances import instance_for_test
from jde_coupa_world import jde_coupa_world, suppliers_of_day
from mapping_rows import save_rows

from connector_assets.coupa.targets import CoupaSuppliers
from connector_assets.flows import replay_handler
from connector_assets.flows.replay_handler import FlowReplay
from connector_assets.flows.replays import Replays
from connector_assets.integrations.jde_coupa.suppliers import PAYMENT_TERMS, SUPPLIERS_FLOW, jde_coupa_assets
from connector_assets.jde.assets import jde_assets
from connector_resources.refusals import group_of
from connector_resources.replay import replay_items
from connector_resources.replay_causes import unchanged_refusal

DAY = (date.today() - timedelta(days=21)).isoformat()  # the JDE sandbox's mass-update day: busy
CHAIN = (
    "jde_coupa/payment_terms_map",
    "jde/suppliers",
    "jde/address_book",
    "jde_coupa/suppliers_mapped",
    "jde_coupa/suppliers_written",
)


@pytest.fixture
def world(tmp_path, monkeypatch):
    """The world, its mapping tables kept in its own ledger (one ledger, as deployed), the payment terms
    table imported from a file that lacks the terms of every supplier of the day (``world.terms``)."""
    with jde_coupa_world(tmp_path) as world:
        world.terms = suppliers_of_day(world.jde_root, DAY)
        table = tmp_path / "terms.csv"
        world.complete = PAYMENT_TERMS.read()  # the sandbox file's, before the setting names the file
        kept = {jde: coupa for jde, coupa in world.complete.items() if jde not in world.terms.values()}
        rows = "".join(f"{jde},{coupa}\n" for jde, coupa in kept.items())
        table.write_text(f"jde_payment_terms,coupa_payment_term\n{rows}", encoding="utf-8")
        monkeypatch.setenv("ML_CONNECTOR_DB_URL", world.ledger_url)
        monkeypatch.setenv("ML_JDE_COUPA_PAYMENT_TERMS_MAP", str(table))
        yield world


def _calls(world) -> Counter:
    """Every call JDE and Coupa counted (``/sandbox/state``), by simulator and endpoint."""
    counted: Counter = Counter()
    for name, root in (("jde", world.jde_root), ("coupa", world.coupa_url)):
        state = requests.get(f"{root}/sandbox/state", timeout=10).json()
        counted.update({f"{name} {label}": n for label, n in state["calls"].items()})
    return counted


def _replay(world, replays) -> tuple[object, Counter]:
    """A replay of the suppliers flow's open items: its summary and the calls the simulators counted."""
    before = _calls(world)
    items = world.ledger.open_items(integration="jde_coupa", flow="suppliers")
    summary = replay_items(world.ledger, items, replays)
    return summary, _calls(world) - before


def _queued(world) -> dict[str, tuple[str, str | None, dict | None, int]]:
    items = world.ledger.open_items(integration="jde_coupa", flow="suppliers")
    return {i.source_key: (i.reason, i.kind, i.params, i.attempts) for i in items if i.status == "failed"}


def test_a_record_refused_for_a_missing_row_is_not_read_again_until_the_row_is_saved(world, monkeypatch):
    resources = world.resources
    every = [*jde_assets, *jde_coupa_assets]
    with instance_for_test() as instance:
        run = materialize(
            [a for a in every if a.key.to_user_string() in CHAIN],
            resources=resources,
            instance=instance,
            partition_key=DAY,
        )
    assert run.success
    refused = _queued(world)
    assert len(refused) >= 2, "the day's suppliers are refused: a chunk of them"
    assert {k: params["value"] for k, (_, _, params, _) in refused.items()} == {
        str(an8): terms for an8, terms in world.terms.items()
    }
    assert {kind for _, kind, _, _ in refused.values()} == {f"mapping_missing · {PAYMENT_TERMS.name}"}

    def opener(ledger):
        return lambda: CoupaSuppliers.opened(resources["coupa"])

    flow = FlowReplay(SUPPLIERS_FLOW, opener, lambda: {k: resources[k] for k in ("jde", "coupa", "staging")})
    replays = Replays({("jde_coupa", "suppliers"): flow})

    # Today's replay without the judgment: each supplier read from JDE again, refused again.
    with monkeypatch.context() as patched:
        patched.setattr(replay_handler, "unchanged_refusal", lambda item: None)
        read, calls = _replay(world, replays)
    assert len(read.failed) == len(refused) and not read.replayed
    assert sum(v for k, v in calls.items() if k.startswith("jde ")) > 0  # read from JDE again
    as_read = _queued(world)

    # With it: no call at all, and the queue left exactly as the read left it, its attempt counted.
    judged, calls = _replay(world, replays)
    assert calls == Counter()
    assert len(judged.failed) == len(refused) and not judged.replayed
    after = _queued(world)
    assert {k: v[:3] for k, v in after.items()} == {k: v[:3] for k, v in as_read.items()}
    assert all(after[k][3] == as_read[k][3] + 1 for k in after)

    # Finance saves the row: the next replay reads each supplier again and writes it once, with its terms.
    rows = {terms: world.complete[terms] for terms in world.terms.values()}
    save_rows(PAYMENT_TERMS, rows, note="the day's terms were missing", resources=resources)
    written, calls = _replay(world, replays)
    assert sorted(written.replayed) and not written.failed and len(written.replayed) == len(refused)
    assert sum(v for k, v in calls.items() if k.startswith("jde ")) > 0
    assert world.ledger.open_items(integration="jde_coupa", flow="suppliers") == []
    for key in refused:
        with resources["coupa"].session() as session:
            [supplier] = session.search("suppliers", {"number": key}, limit=10)
        assert supplier["payment-term"]["code"] == rows[world.terms[int(key)]]


def _item(kind: str, params: dict, reason: str = "replay failed: replay failed: no row") -> SimpleNamespace:
    return SimpleNamespace(kind=group_of(kind, params), params=params, reason=reason, refusal_kind=kind)


MAP = {"table": "t/map", "what": "cost code"}


@pytest.mark.parametrize(
    ("kind", "params", "judged"),
    [
        ("mapping_missing", {**MAP, "value": "C9"}, True),
        ("mapping_missing", {**MAP, "value": ["C9", "D7"]}, True),
        ("mapping_missing", {**MAP, "value": "c1"}, False),  # a row's key, case aside
        ("mapping_missing", {**MAP, "value": ["C9", "X1"]}, False),  # one of them a row's value
        ("mapping_missing", {**MAP, "value": "P7"}, False),  # in a row's key ("P7:C2": a project's override)
        ("mapping_missing", {**MAP, "table": "t/other", "value": "C9"}, False),  # a table the ledger lacks
        ("mapping_missing", {**MAP, "value": ""}, False),  # no value named
        ("master_missing", {"system": "JDE", "what": "supplier", "value": "C9"}, False),  # its cause: JDE's
    ],
)
def test_only_a_missing_row_of_a_table_the_ledger_holds_is_judged_with_no_call(ledger, kind, params, judged):
    ledger.seed_mapping("t/map", {"C1": "X1", "P7:C2": "X2"}, origin="test", content_hash="h")
    refusal = unchanged_refusal(_item(kind, params), ledger)
    assert (refusal is not None) == judged
    if judged:
        assert (refusal.kind, refusal.sentence, refusal.params) == (kind, "no row", params)
