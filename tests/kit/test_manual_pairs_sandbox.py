"""Every pairing the integrations declare for matching by hand (``Deployment.pairings``), on its simulators: a
record missing in either system is refused naming it, a stored match releases what waits for it and is
read by the integration's flows, a second record matched with the same one is refused naming the first, and
``ml-connector xref`` and the desk do the same for any pairing; the desk offers a match by hand from a
record's page only where no flow pairs it (a refusal naming the pair), never for a wait.

One world serves the six simulators (at the scales their integrations' own worlds use) for the module;
each test takes records of its own, so the ledger is shared without one test seeing another's pairs.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from ipaddress import ip_network
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from click.testing import CliRunner
from fusion_procurify_world import FUSION_SCALE, PROCURIFY_SCALE
from jde_coupa_world import replay_into_coupa
from procore_jde_world import procore_settings
from sandbox_world import Integration, PairWorld, pair_world, small_simulators
from starlette.testclient import TestClient

from connector_assets.coupa.targets import CoupaSuppliers
from connector_assets.deployment import Deployment
from connector_assets.flows import replay_resources
from connector_assets.flows.manual_matches import delete_match, find, find_both, set_match
from connector_assets.flows.manual_pairs import MatchRefused, Systems
from connector_cli.desk.app import build_app
from connector_cli.desk.guard import CSRF_COOKIE
from connector_cli.desk.identity import Access
from connector_cli.main import cli
from connector_resources.ledger.operator_actions import Operator
from connector_resources.replay import replay_items
from connector_sandbox.fusion import FusionSandboxSettings
from connector_sandbox.procurify import ProcurifySandboxSettings

EVERY = Integration(
    name="manual_pairs",
    simulators={
        **small_simulators("jde", "coupa", "bill"),
        "procore": lambda: procore_settings(seeded_companies=1),
        "procurify": lambda: ProcurifySandboxSettings(scale=PROCURIFY_SCALE),
        "fusion": lambda: FusionSandboxSettings(scale=FUSION_SCALE),
    },
    fields={"coupa": {"token_warmup_seconds": 0, "backoff_base": 0.01}, "bill": {"backoff_base": 0.01}},
    day=lambda: None,
)
PAIRINGS = {p.name: p for p in Deployment.of(["all"]).pairings}
ANA = Operator("ana", "operator")


class Records:
    """Ids each system holds, handed out so no two tests take the same record."""

    def __init__(self, world: PairWorld) -> None:
        jde = world.jde_root
        suppliers = requests.get(f"{jde}/sandbox/rows/F0401", params={"limit": 400}, timeout=30).json()
        book = requests.get(f"{jde}/sandbox/rows/F0101", params={"limit": 400}, timeout=30).json()
        coupa = requests.get(
            f"{world.coupa_url}/sandbox/records/suppliers", params={"limit": 400}, timeout=30
        )
        with world.resources["bill"].session() as s:
            bill = [v["id"] for v in s.iter_all("vendors") if not v.get("archived")]
        with world.resources["procore"].session() as s:
            procore = [str(v["id"]) for v in s.iter_all("vendors")]
        with world.resources["procurify"].session() as s:
            procurify = [str(v["id"]) for v in s.iter_all("vendors") if not v.get("external_id")]
        with world.resources["fusion"].session() as s:
            fusion = [str(v["SupplierId"]) for v in s.iter_all("suppliers")]
        an8s = sorted({str(r["AN8"]) for r in suppliers["rows"]}, key=int)
        self.jde_names = {str(r["AN8"]): str(r.get("ALPH") or "").strip() for r in book["rows"]}
        self.coupa_names = {str(r.get("name") or "").strip() for r in coupa.json()["records"]}
        self.ids = {
            "JDE supplier": iter(an8s),
            "JDE address book entry": iter(
                sorted({str(r["AN8"]) for r in book["rows"]} - set(an8s), key=int)
            ),
            "Coupa supplier": iter(str(r["id"]) for r in coupa.json()["records"]),
            "BILL vendor": iter(bill),
            "Procore vendor": iter(procore),
            "Procurify vendor": iter(procurify[1:]),  # the first is the "Other" catch-all
            "Fusion supplier": iter(fusion),
        }

    def take(self, words: str, n: int = 1) -> list[str]:
        return list(itertools.islice(self.ids[words], n))

    def jde_supplier_coupa_lacks(self) -> str:
        """A JDE supplier whose name no Coupa supplier has (Coupa names are unique)."""
        return next(a for a in self.ids["JDE supplier"] if self.jde_names.get(a) not in self.coupa_names)


MISSING = {  # an id each system does not hold
    "JDE supplier": "99999999",
    "JDE address book entry": "99999998",
    "Coupa supplier": "999999",
    "BILL vendor": "00901NOSUCHVENDOR000",
    "Procore vendor": "99999999",
    "Procurify vendor": "999999",
    "Fusion supplier": "id:999999999",
}


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[PairWorld]:
    with pair_world(EVERY, tmp_path_factory.mktemp("manual_pairs"), PairWorld) as w:
        yield w


@pytest.fixture(scope="module")
def records(world: PairWorld) -> Records:
    return Records(world)


def _systems(world: PairWorld, pairing: Any) -> Systems:
    return Systems({k: world.resources[k] for k in pairing.resources})


def _match(world: PairWorld, pairing: Any, source: str, target: str, **kw: Any):
    with _systems(world, pairing) as systems:
        found = find_both(pairing, systems, world.ledger, source, target)
        return set_match(
            pairing, world.ledger, *found, by=ANA, note="checked the tax id", systems=systems, **kw
        )


def _paired(world: PairWorld, pairing: Any, source: str) -> str | None:
    p = pairing
    xref = world.ledger.get_xref(p.integration, p.entity, p.source.system, source, p.target.system)
    return xref.target_id if xref is not None else None


def test_every_integration_declares_its_pairings() -> None:
    assert set(PAIRINGS) == {
        "jde_coupa/supplier",
        "coupa_jde/supplier",
        "jde_bill/vendor",
        "procore_jde/vendor",
        "jde_procurify/supplier",
        "fusion_procurify/vendor",
    }


@pytest.mark.parametrize("name", sorted(PAIRINGS))
def test_a_record_missing_in_either_system_is_refused_naming_it(world, records, name) -> None:
    pairing = PAIRINGS[name]
    [source], [target] = records.take(pairing.source.words), records.take(pairing.target.words)
    with _systems(world, pairing) as systems:
        assert find(pairing, "source", systems, world.ledger, source).key
        assert find(pairing, "target", systems, world.ledger, target).key
    for missing_source in (True, False):
        side = pairing.source if missing_source else pairing.target
        typed = MISSING[side.words]
        with pytest.raises(MatchRefused) as refused:
            _match(world, pairing, typed if missing_source else source, target if missing_source else typed)
        assert typed.removeprefix("id:") in str(refused.value)
        assert "has no" in str(refused.value)
    assert _paired(world, pairing, source) is None


def _waiting(world: PairWorld, pairing: Any, source: str, target: str) -> Any:
    """A record held for want of the pair (an invoice refused for want of the supplier's JDE number, for
    Coupa -> JDE): its queue item."""
    if pairing.integration == "coupa_jde":
        from connector_assets.integrations.coupa_jde.invoices import COUPA_SUPPLIER, NO_NUMBER
        from connector_resources.refusals import Refusal, mapping_missing

        supplier = f"supplier Acme (Coupa supplier {source}) {NO_NUMBER}"
        reason = f"invoice 9{source} (INV-9): {supplier}: sync it from JDE"
        # Refused for something else, and naming the supplier it lacks a JDE number for as data.
        refusal = mapping_missing(reason, table="coupa_jde/account_map", what="Coupa account", value="OPS-X")
        item = world.ledger.enqueue(
            integration="coupa_jde",
            flow="invoices",
            entity="invoice",
            source_key=f"9{source}",
            payload={},
            reason=reason,
            refusal=Refusal(refusal.kind, reason, {**refusal.params, COUPA_SUPPLIER: source}),
            next_attempt_at=datetime(2100, 1, 1, tzinfo=UTC),  # due only once the match makes it due
        )
        return item
    depends_on = pairing.dependencies(source, target)[-1]
    item = world.ledger.enqueue(
        integration=pairing.integration,
        flow="held_flow",
        entity="order",
        source_key=f"held-for-{pairing.integration}-{source}",
        payload={},
        reason=f"waits for {depends_on}",
        status="held",
        depends_on=depends_on,
    )
    return item


@pytest.mark.parametrize("name", sorted(PAIRINGS))
def test_a_match_releases_what_waits_and_a_second_one_is_refused_naming_the_first(world, records, name):
    pairing = PAIRINGS[name]
    (source, other), [target] = records.take(pairing.source.words, 2), records.take(pairing.target.words)
    held = _waiting(world, pairing, source, target)
    side, key = pairing.waited_for(held)  # the desk's "match by hand" link names the record
    assert key == {"source": source, "target": target}[side]

    result = _match(world, pairing, source, target)
    assert result.stored and result.released + result.answered == 1
    assert _paired(world, pairing, result.source.key) == result.target.key
    [item] = [i for i in world.ledger.open_items() if i.id == held.id]
    assert item.status == "failed" and "matched by hand" in item.reason and item.next_attempt_at.year < 2100

    with pytest.raises(MatchRefused) as refused:
        _match(world, pairing, other, target)
    said = str(refused.value)
    assert f"is paired with {pairing.source.words} {result.source.key} (matched by hand by ana" in said
    assert _paired(world, pairing, other) is None

    delete_match(pairing, world.ledger, source, by=ANA, note="wrong after all")
    assert _paired(world, pairing, result.source.key) is None
    assert [a.action for a in world.ledger.operator_actions(limit=5) if a.source_key == result.source.key][
        :2
    ] == [
        "unmatch",
        "match",
    ]


def test_what_each_integration_reads_once_matched(world, records) -> None:
    """The readers the flows ask for a pair give the manual match."""
    from fusion_procurify_parts import paired_supplier as fusion_supplier
    from jde_procurify_parts import PAIRING, to_send
    from procore_jde_parts import vendor_an8

    from connector_assets.components import CoupaJde
    from connector_assets.integrations.coupa_jde.invoices import supplier_number
    from connector_assets.integrations.coupa_jde.own import Own

    coupa, an8 = records.take("Coupa supplier")[0], records.take("JDE supplier")[0]
    _match(world, PAIRINGS["coupa_jde/supplier"], coupa, an8)
    assert supplier_number(world.ledger, {"id": int(coupa), "number": "C-77"}, Own.of(CoupaJde())) == an8

    vendor, book = records.take("Procore vendor")[0], records.take("JDE address book entry")[0]
    _match(world, PAIRINGS["procore_jde/vendor"], vendor, book)
    assert vendor_an8(world.ledger, vendor, {"origin_id": None}) == book

    an8, vendor = records.take("JDE supplier")[0], records.take("Procurify vendor")[0]
    _match(world, PAIRINGS["jde_procurify/supplier"], an8, vendor)
    assert PAIRING.paired_vendor(world.ledger, an8) == vendor
    assert PAIRING.paired_supplier(world.ledger, vendor) == an8
    plain = {"id": int(vendor), "name": "x", "type": 3, "active": True, "external_id": None}
    assert to_send(world.ledger, plain) == (False, f"it is already the vendor of JDE supplier {an8}")

    vendor, supplier = records.take("Procurify vendor")[0], records.take("Fusion supplier")[0]
    _match(world, PAIRINGS["fusion_procurify/vendor"], vendor, f"id:{supplier}")
    assert fusion_supplier(world.ledger, vendor) == supplier


def test_jde_to_coupa_updates_the_matched_supplier_instead_of_creating_one(world, records) -> None:
    """A JDE supplier matched with a Coupa supplier of another name and number: the suppliers flow's replay
    updates that Coupa supplier from JDE (its number becomes the AN8) and creates none."""
    from jde_coupa_parts import PAYMENT_TERMS, SUPPLIERS_FLOW

    PAYMENT_TERMS.stage(world.resources["staging"])
    an8, coupa = records.jde_supplier_coupa_lacks(), records.take("Coupa supplier")[0]
    _match(world, PAIRINGS["jde_coupa/supplier"], an8, coupa)
    before = requests.get(f"{world.coupa_url}/sandbox/records/suppliers", params={"limit": 5000}, timeout=30)
    replays = replay_into_coupa(SUPPLIERS_FLOW, CoupaSuppliers, world.resources, remap=True)
    item = world.ledger.enqueue(
        integration="jde_coupa",
        flow="suppliers",
        entity="supplier",
        source_key=an8,
        payload={},
        reason="replay after the match",
    )
    summary = replay_items(world.ledger, [item], replays)
    assert summary.replayed == [item.id] and not summary.failed, summary.failure_lines()
    after = requests.get(f"{world.coupa_url}/sandbox/records/suppliers", params={"limit": 5000}, timeout=30)
    assert len(after.json()["records"]) == len(before.json()["records"])  # nothing created
    [matched] = [r for r in after.json()["records"] if str(r["id"]) == coupa]
    assert str(matched["number"]) == an8
    events = [(e.action, e.target_id) for e in world.ledger.history(an8) if e.flow == "suppliers"]
    assert ("update", coupa) in events, events
    assert not [action for action, _ in events if action in ("create", "adopt")], events
    assert _paired(world, PAIRINGS["jde_coupa/supplier"], an8) == coupa
    assert world.ledger.get_xref("jde_coupa", "supplier", "JDE", an8, "coupa").manual  # still the person's


# -- the CLI and the desk, for any pairing ---------------------------------------------------------------


@pytest.fixture
def xref(world: PairWorld, monkeypatch):
    """``ml-connector xref ...`` with the world's ledger and simulators (today's settings stand for them)."""
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", world.db)
    monkeypatch.setenv("USER", "lee")
    monkeypatch.setattr(
        replay_resources,
        "resources_from_settings",
        lambda keys, instance=None: {k: world.resources[k] for k in keys},
    )

    def run(*args: str, ok: bool = True) -> str:
        result = CliRunner().invoke(cli, ["xref", *args])
        assert (result.exit_code == 0) == ok, result.output
        return result.output

    return run


def test_the_cli_sets_lists_and_deletes_matches_of_any_pairing(world, records, xref) -> None:
    an8, vendor = records.take("JDE supplier")[0], records.take("BILL vendor")[0]
    pairing = ("--integration", "jde_bill")
    assert "JDE has no supplier with address number 99999999" in xref(
        "set", "99999999", vendor, *pairing, "--note", "typo", ok=False
    )
    assert "BILL has no vendor with id 00901NOSUCH" in xref(
        "set", an8, "00901NOSUCH", *pairing, "--note", "typo", ok=False
    )
    said = xref("set", an8, vendor, *pairing, "--note", "same bank account")
    assert "matched JDE supplier" in said and f"({an8}) = BILL vendor" in said and "entered by lee" in said
    other = records.take("JDE supplier")[0]
    refused = xref("set", other, vendor, *pairing, "--note", "no", ok=False)
    assert f"BILL vendor {vendor} is paired with JDE supplier {an8} (matched by hand by lee" in refused

    listed = xref("list")
    for name in PAIRINGS:
        assert f"{name} (" in listed
    assert f"JDE {an8} -> bill {vendor}  entered by lee" in listed
    rows = [json.loads(line) for line in xref("list", *pairing, "--json").splitlines()]
    assert {(r["source_key"], r["target_id"], r["note"]) for r in rows} >= {
        (an8, vendor, "same bank account")
    }
    assert f"deleted the manual match JDE {an8} -> bill {vendor}" in xref(
        "delete", an8, *pairing, "--note", "wrong vendor"
    )
    assert "names no pairing" in xref("list", "--integration", "nosuch", ok=False)


ACCESS = Access(
    proxy_header="X-Forwarded-User",
    trusted_proxies=(ip_network("10.0.0.0/24"),),
    groups_header="X-Forwarded-Groups",
    operators=frozenset({"ap-leads"}),
)


def _desk(world: PairWorld) -> TestClient:
    """The desk on the world's ledger and simulators, signed in as operator lee through the proxy."""
    app = build_app(world.ledger, ACCESS)
    app.state.desk.match_resources = lambda keys: {k: world.resources[k] for k in keys}
    return TestClient(
        app,
        client=("10.0.0.5", 40000),
        headers={"X-Forwarded-User": "lee", "X-Forwarded-Groups": "ap-leads"},
        follow_redirects=False,
    )


def _answered(world: PairWorld, item: Any) -> Any:
    """``item`` as the queue holds it now: answered by a match, it is still open and due at once."""
    [now] = [i for i in world.ledger.open_items() if i.id == item.id]
    return now


def test_the_desk_matches_the_supplier_a_refused_record_names_from_its_page(world, records) -> None:
    """An invoice refused for want of its Coupa supplier's JDE number (no flow pairs that supplier: its
    number is not an address number) offers "match by hand" on its page; the match made at the desk makes
    the invoice due at once, so the next replay writes it. A record that only waits for a sync is offered
    none (``test_a_wait_is_not_offered_a_match_by_hand``)."""
    pairing = PAIRINGS["coupa_jde/supplier"]
    coupa, an8 = records.take("Coupa supplier")[0], records.take("JDE supplier")[0]
    refused = _waiting(world, pairing, coupa, an8)
    assert refused.attention == "person"
    desk = _desk(world)
    item = desk.get(f"/items/{refused.id}")
    assert 'id="match-by-hand"' in item.text and f"source={coupa}" in item.text
    page = desk.get(f"/matches?pairing=coupa_jde%2Fsupplier&source={coupa}")
    assert f'value="{coupa}"' in page.text
    token = page.cookies.get(CSRF_COOKIE) or desk.cookies[CSRF_COOKIE]
    form = {"csrf": token, "source": coupa, "note": "same company, numbered otherwise in Coupa"}

    missing = desk.post("/matches/coupa_jde/supplier", data={**form, "target": MISSING["JDE supplier"]})
    assert (
        missing.status_code == 409
        and f"JDE has no supplier with address number {MISSING['JDE supplier']}" in (missing.text)
    )
    done = desk.post("/matches/coupa_jde/supplier", data={**form, "target": an8})
    assert done.status_code == 303
    notice = parse_qs(urlsplit(done.headers["location"]).query)["notice"][0]
    assert "1 other queue item(s) answered" in notice, notice
    assert _paired(world, pairing, coupa) == an8
    now = _answered(world, refused)
    assert now.status == "failed" and "matched by hand" in now.reason and now.next_attempt_at.year < 2100
    listed = desk.get("/matches?pairing=coupa_jde%2Fsupplier")
    assert (
        f'data-source="{coupa}"' in listed.text and "same company, numbered otherwise in Coupa" in listed.text
    )
    [action] = [a for a in world.ledger.operator_actions(action="match") if a.source_key == coupa]
    assert (action.actor, action.role, action.note) == (
        "lee",
        "operator",
        "same company, numbered otherwise in Coupa",
    )
    gone = desk.post(
        "/matches/coupa_jde/supplier/delete", data={"csrf": token, "source": coupa, "note": "wrong"}
    )
    assert gone.status_code == 303 and _paired(world, pairing, coupa) is None


def test_a_wait_is_not_offered_a_match_by_hand(world, records) -> None:
    """A record held until its JDE supplier syncs to Coupa: the suppliers flow pairs it by itself, so its
    page offers no match by hand (it is in "clears by itself")."""
    pairing = PAIRINGS["jde_coupa/supplier"]
    an8, coupa = records.take("JDE supplier")[0], records.take("Coupa supplier")[0]
    held = _waiting(world, pairing, an8, coupa)
    assert held.attention == "flows"
    page = _desk(world).get(f"/items/{held.id}")
    assert page.status_code == 200 and held.source_key in page.text
    assert 'id="match-by-hand"' not in page.text


def test_in_chromium_a_supplier_is_matched_by_hand_from_its_refused_record(world, records) -> None:
    """The journey in Debian's chromium: a refused invoice's page, its "match by hand" link, the form filled
    with the Coupa supplier it names, the JDE supplier typed, matched; the match listed and the invoice due
    at once for the replay that writes it."""
    from browser import chromium
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shows
    from selenium.webdriver.support.ui import WebDriverWait

    from connector_sandbox.serve import serve_in_thread

    pairing = PAIRINGS["coupa_jde/supplier"]
    coupa, an8 = records.take("Coupa supplier")[0], records.take("JDE supplier")[0]
    refused = _waiting(world, pairing, coupa, an8)
    app = build_app(world.ledger, Access(local_operator="lee"))
    app.state.desk.match_resources = lambda keys: {k: world.resources[k] for k in keys}
    url, stop = serve_in_thread(app, port=0)
    try:
        with chromium() as browser:
            browser.get(f"{url}/items/{refused.id}")
            browser.find_element(By.ID, "match-by-hand").click()
            WebDriverWait(browser, 30).until(shows.url_contains("/matches"))
            form = browser.find_element(By.CSS_SELECTOR, 'form.match-form[data-pairing="coupa_jde/supplier"]')
            assert form.find_element(By.NAME, "source").get_attribute("value") == coupa
            form.find_element(By.NAME, "target").send_keys(an8)
            form.find_element(By.NAME, "note").send_keys("same company, numbered otherwise in Coupa")
            form.find_element(By.TAG_NAME, "button").click()
            WebDriverWait(browser, 30).until(shows.url_contains("notice="))
            assert "1 other queue item(s) answered" in browser.find_element(By.ID, "notice").text
            listed = browser.find_element(By.CSS_SELECTOR, f'tr.match[data-source="{coupa}"]').text
            assert an8 in listed and "lee" in listed
    finally:
        stop()
    assert _paired(world, pairing, coupa) == an8
    now = _answered(world, refused)  # due now: the next replay writes it
    assert now.status == "failed" and now.next_attempt_at.year < 2100
