"""Procore vendors <-> JDE suppliers end to end: the Procore and JDE simulators, the real clients, Dagster,
the ledger. One world for the module; each test makes its own vendors, so they do not depend on the seed.

What a JDE user does between runs (a supplier moves, is renamed) is written into the JDE simulator's
database file directly, as E1's own programs would (with the UPMJ/UPMT stamps they leave); what a Procore
user does goes through the Procore API. Expected values are read back from either side.
"""

import itertools
import logging
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from dagster import AssetKey
from instances import instance_for_test
from procore_jde_parts import INTEGRATION, VENDOR_PAIRS, VENDORS, vendor_an8
from procore_jde_world import ProcoreJdeWorld, jde_settings, procore_jde_world

from connector_assets.flows import pair_sync
from connector_assets.flows.replays import build_replays
from connector_resources.replay import replay_items
from connector_sandbox.jde_ais.dates import to_hhmmss, to_julian

VENDOR_RUN = (
    "procore/vendors",
    "procore_jde/vendors_mapped",
    "procore_jde/vendors_written",
    "procore_jde/vendors_marked",
)
SUPPLIER_RUN = (
    "jde/suppliers",
    "jde/address_book",
    "jde/supplier_addresses",
    "procore_jde/suppliers_mapped",
    "procore_jde/suppliers_written",
)
ROUTING, ACCOUNT = "021000021", "98765432107"  # bank numbers the test vendor carries (secrets)
_serial = itertools.count(1)


class World(ProcoreJdeWorld):
    jde_db: Path

    def sql(self, statement: str, *params: Any) -> list[tuple]:
        with sqlite3.connect(self.jde_db) as conn:
            return conn.execute(statement, params).fetchall()

    def written(self, *names: str) -> dict[str, dict[str, Any]]:
        return self.run(*names)

    def new_vendor(self, **fields: Any) -> dict:
        """A vendor a Procore user adds now (through the API; its tax registration as a person enters it)."""
        n = next(_serial)
        body = {
            "name": f"Cascade Formwork {n} LLC",
            "address": f"{100 + n} Quarry Rd",
            "city": "Portland",
            "state_code": "OR",
            "zip": "97201",
            "country_code": "US",
            "business_phone": f"503-555-01{n:02d}",
            "email_address": f"ap{n}@cascade.example",
            **fields,
        }
        register = body.pop("business_register", None)  # entered by a person: the API body takes none
        with self.resources["procore"].session() as session:
            made = session.create_vendor(body)
        if register is not None:
            self.clerk.set_business_register(made["id"], register)
            with self.resources["procore"].session() as session:
                made = session.get("vendors", made["id"])
        return made

    def vendor(self, vendor_id: Any) -> dict:
        with self.resources["procore"].session() as session:
            return session.get("vendors", vendor_id)

    def edit_vendor(self, vendor_id: Any, **changes: Any) -> dict:
        with self.resources["procore"].session() as session:
            return session.update_vendor(vendor_id, changes)

    def jde_edit_stamp(self, moment: datetime) -> tuple[int, int]:
        return to_julian(moment.date()), to_hhmmss(moment)

    @staticmethod
    def wait_for_second_after(moment: datetime) -> None:
        """Procore stamps edits to the second: an edit must fall in a later whole second than `moment`
        to be newer than it, so wait for that second (at most one) rather than hope a run took long."""
        later = moment.replace(microsecond=0) + timedelta(seconds=1)
        time.sleep(max(0.0, (later - datetime.now(UTC)).total_seconds()))

    def reasons(self, flow: str, source_id: str) -> list[str]:
        return [e.reason for e in self.ledger.history(source_id) if e.flow == flow]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("procore_jde_vendors")
    db = tmp_path / "e1.sqlite"
    with (
        pytest.MonkeyPatch.context() as patch,
        procore_jde_world(tmp_path, jde=jde_settings(db_path=db)) as made,
        instance_for_test() as instance,
    ):
        # Procore documents no bank fields: two fields the sandbox stores stand in for them.
        patch.setenv("ML_PROCORE_JDE_VENDOR_BANK_FIELDS", "fax_number,mobile_phone")
        made.__class__ = World  # the shared world, with this module's helpers (no state of their own)
        made.jde_db, made.instance = db, instance
        yield made


@pytest.fixture(scope="module")
def granite(world):
    """A new Procore vendor with an EIN, an address and bank numbers, after one vendors run (which also
    adds ``world.quarry``, a plain vendor the last test edits long after its sync)."""
    vendor = world.new_vendor(
        business_register={"type": "EIN", "identifier": "93-7654321"},
        fax_number=ROUTING,
        mobile_phone=ACCOUNT,
    )
    world.quarry = world.new_vendor()
    world.log_text = _captured(lambda: world.run(*VENDOR_RUN))
    return vendor


def _captured(action) -> str:
    """Everything logged (any logger, any level) while ``action`` runs."""
    lines: list[str] = []
    handler = logging.Handler(level=logging.DEBUG)
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    root = logging.getLogger()
    old = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        action()
    finally:
        root.removeHandler(handler)
        root.setLevel(old)
    return "\n".join(lines)


def test_a_new_procore_vendor_becomes_one_jde_supplier_and_carries_its_address_number(world, granite):
    vendor_id = str(granite["id"])
    an8 = world.xrefs("vendor")[vendor_id]
    assert an8, world.queue("vendors").get(vendor_id)
    [book] = world.jde_rows("F0101", ALKY=f"PC{vendor_id}")
    assert str(book["AN8"]) == an8 and book["TAX"].strip() == "93-7654321"
    assert book["ALPH"].strip() == granite["name"]
    assert world.jde_rows("F0401", AN8=an8), "a supplier master row"
    [address] = world.jde_rows("F0116", AN8=an8)
    assert (address["ADD1"].strip(), address["ADDZ"].strip()) == (granite["address"], granite["zip"])
    [phone] = [r for r in world.jde_rows("F0115", AN8=an8) if not (r.get("PHTP") or "").strip()]
    assert phone["PH1"].strip() == granite["business_phone"]
    # The bank numbers reached JDE (read from Procore at write time), and only JDE.
    [bank] = world.jde_rows("F0030", AN8=an8)
    assert (bank["TNST"].strip(), bank["CBNK"].strip()) == (ROUTING, ACCOUNT)
    marked = world.vendor(vendor_id)
    assert (marked["origin_id"], marked["origin_code"]) == (f"JDE-V-{an8}", an8)
    assert vendor_an8(world.ledger, vendor_id, None) == an8


def test_a_rerun_writes_nothing(world, granite):
    vendor_id = str(granite["id"])
    before = len(world.jde_rows("F0101"))
    metadata = world.run(*VENDOR_RUN)
    written = metadata["procore_jde/vendors_written"]
    assert (written.get("create", 0), written.get("update", 0), written.get("adopt", 0)) == (0, 0, 0)
    assert metadata["procore_jde/vendors_marked"]["marked"] == 0
    assert len(world.jde_rows("F0101")) == before
    assert [r for r in world.jde_rows("F0101") if (r.get("ALKY") or "").strip() == f"PC{vendor_id}"]


def test_bank_numbers_reach_no_ledger_row_and_no_log_line(world, granite):
    assert world.log_text, "the run logged something"
    stored = b"".join(p.read_bytes() for p in world.tmp_path.glob("ledger.sqlite*"))
    for number in (ROUTING, ACCOUNT):
        assert number.encode() not in stored
        assert number not in world.log_text


def test_a_vendor_whose_origin_id_names_a_jde_supplier_is_adopted_not_duplicated(world):
    linked = {int(v) for v in world.xrefs("vendor").values() if v}
    an8 = next(
        int(r["AN8"]) for r in world.jde_rows("F0401") if int(r["AN8"]) not in linked and int(r["AN8"]) > 1000
    )
    adopted = world.new_vendor(origin_id=f"JDE-V-{an8}")
    missing = world.new_vendor(origin_id="JDE-V-9999998")
    inactive = world.new_vendor(is_active=False)
    before = len(world.jde_rows("F0101"))
    world.run(*VENDOR_RUN)
    staged = {
        r["id"] for r in world.resources["staging"].read_rows(AssetKey(["procore", "vendors"]), world.day)
    }
    assert str(inactive["id"]) in staged, "the inactive vendor was read"
    assert str(inactive["id"]) not in world.xrefs("vendor") and str(inactive["id"]) not in world.queue(
        "vendors"
    )
    assert world.xrefs("vendor")[str(adopted["id"])] == str(an8)
    assert len(world.jde_rows("F0101")) == before, "no supplier added"
    assert world.vendor(adopted["id"])["origin_code"] == str(an8)
    assert "adopt" in {e.action for e in world.ledger.history(str(adopted["id"])) if e.flow == "vendors"}
    reason = world.queue("vendors")[str(missing["id"])]
    assert "JDE supplier 9999998" in reason and "no supplier 9999998" in reason

    # Procore's user clears the wrong origin_id; the replay reads the vendor again and adds it, once.
    world.edit_vendor(missing["id"], origin_id=None)
    replays = build_replays([VENDORS], lambda: {k: world.resources[k] for k in ("jde", "procore", "staging")})
    [item] = [
        i
        for i in world.ledger.open_items(integration=INTEGRATION, flow="vendors")
        if i.source_key == str(missing["id"])
    ]
    assert replay_items(world.ledger, [item], replays).replayed == [item.id]
    # A second replay of the same listing, a second later: the item is resolved, so the replay leaves it
    # (a replay writes only what it takes) and JDE still holds one supplier for it.
    time.sleep(1.05)
    again = replay_items(world.ledger, [item], replays)
    assert again.already == [item.id] and not again.replayed
    added = world.xrefs("vendor")[str(missing["id"])]
    assert [r["AN8"] for r in world.jde_rows("F0101", ALKY=f"PC{missing['id']}")] == [int(added)]
    assert len(world.jde_rows("F0101")) == before + 1


def test_a_vendor_whose_origin_id_another_integration_owns_keeps_its_link_in_the_ledger_only(world):
    body = {"name": "Sage Linked Masonry Inc", "country_code": "US", "origin_id": "SAGE-V-4711"}
    owned = world.clerk.call("POST", "vendors", {"company_id": world.company_id, "vendor": body})
    metadata = world.run(*VENDOR_RUN)
    an8 = world.xrefs("vendor")[str(owned["id"])]
    assert an8 and world.jde_rows("F0401", AN8=an8)
    assert metadata["procore_jde/vendors_marked"]["owned"] >= 1
    assert world.vendor(owned["id"])["origin_id"] == "SAGE-V-4711", "Procore kept the other integration's key"
    [reason] = [r for r in world.reasons("vendors", str(owned["id"])) if "owned by another integration" in r]
    assert f"the link to JDE supplier {an8} is kept in the ledger only" in reason


def test_a_jde_address_change_reaches_the_linked_procore_vendor(world, granite):
    vendor_id, an8 = str(granite["id"]), int(world.xrefs("vendor")[str(granite["id"])])
    now = datetime.now(UTC) + timedelta(seconds=2)
    day, clock = world.jde_edit_stamp(now)
    world.sql('DELETE FROM "F0116" WHERE "AN8" = ? AND "EFTB" = ?', an8, day)
    world.sql(
        'INSERT INTO "F0116" ("AN8", "EFTB", "ADD1", "ADDZ", "CTY1", "ADDS", "CTR", "UPMJ", "UPMT") '
        "VALUES (?, ?, '77 New Harbor Rd', '97209', 'Portland', 'OR', 'US', ?, ?)",
        an8,
        day,
        day,
        clock,
    )
    metadata = world.run(*SUPPLIER_RUN)
    assert metadata["procore_jde/suppliers_written"].get("fail", 0) == 0, world.queue("suppliers")
    moved = world.vendor(vendor_id)
    assert (moved["address"], moved["zip"], moved["city"]) == ("77 New Harbor Rd", "97209", "Portland")
    # Our own PATCH does not come back: the next suppliers run sends nothing to this vendor.
    again = world.run(*SUPPLIER_RUN)["procore_jde/suppliers_written"]
    assert again.get("update", 0) == 0


def test_both_sides_edited_the_newer_edit_wins_and_the_audit_says_so(world, granite):
    vendor_id, an8 = str(granite["id"]), int(world.xrefs("vendor")[str(granite["id"])])
    since = VENDOR_PAIRS.synced_at(world.ledger, vendor_id)
    assert since is not None
    world.wait_for_second_after(since)
    edited = world.edit_vendor(vendor_id, name="Cascade Formwork Renamed In Procore")
    procore_at = pair_sync.parse_stamp(edited["updated_at"])
    assert procore_at > since, "the Procore edit comes after the last sync"
    jde_at = procore_at + timedelta(seconds=5)  # a JDE user renames it a little later
    day, clock = world.jde_edit_stamp(jde_at)
    world.sql(
        'UPDATE "F0101" SET "ALPH" = \'Cascade Formwork West\', "UPMJ" = ?, "UPMT" = ? WHERE "AN8" = ?',
        day,
        clock,
        an8,
    )
    world.run(*VENDOR_RUN)
    [(name,)] = world.sql('SELECT "ALPH" FROM "F0101" WHERE "AN8" = ?', an8)
    assert name.strip() == "Cascade Formwork West", "the older Procore edit did not overwrite JDE"
    expected = (
        f"conflict: JDE edit at {pair_sync.shown(jde_at.replace(microsecond=0))} is newer than the "
        f"Procore edit at {pair_sync.shown(procore_at)}; JDE wins"
    )
    assert expected in world.reasons("vendors", vendor_id)
    world.run(*SUPPLIER_RUN)
    assert world.vendor(vendor_id)["name"] == "Cascade Formwork West"
    assert expected in world.reasons("suppliers", str(an8))


def test_a_procore_edit_newer_than_the_jde_edit_wins_and_the_audit_says_so(world, granite):
    vendor_id = str(world.quarry["id"])
    an8 = int(world.xrefs("vendor")[vendor_id])
    since = VENDOR_PAIRS.synced_at(world.ledger, vendor_id)
    assert since is not None
    jde_at = since.replace(microsecond=0) + timedelta(seconds=1)  # a JDE user's rename just after the sync
    day, clock = world.jde_edit_stamp(jde_at)
    world.sql(
        'UPDATE "F0101" SET "ALPH" = \'Quarry Renamed In JDE\', "UPMJ" = ?, "UPMT" = ? WHERE "AN8" = ?',
        day,
        clock,
        an8,
    )
    world.wait_for_second_after(jde_at)
    edited = world.edit_vendor(vendor_id, name="Quarry Renamed In Procore")
    procore_at = pair_sync.parse_stamp(edited["updated_at"])
    assert procore_at > jde_at, "the Procore edit falls in a later second than the JDE rename"
    expected = (
        f"conflict: Procore edit at {pair_sync.shown(procore_at)} is newer than the JDE edit at "
        f"{pair_sync.shown(jde_at)}; Procore wins"
    )
    world.run(*SUPPLIER_RUN)
    assert world.vendor(vendor_id)["name"] == "Quarry Renamed In Procore", "the older JDE edit was not sent"
    assert expected in world.reasons("suppliers", str(an8))
    world.run(*VENDOR_RUN)
    [(name,)] = world.sql('SELECT "ALPH" FROM "F0101" WHERE "AN8" = ?', an8)
    assert name.strip() == "Quarry Renamed In Procore"
    assert expected in world.reasons("vendors", vendor_id)


def test_with_f0116_refused_the_addresses_setting_off_lets_both_supplier_flows_run(world, monkeypatch):
    """An AIS user that may not read F0116. Off, both flows run without it (a JDE name change
    reaches Procore, Procore's address is left alone); on, the suppliers day fails naming the setting."""
    world.jde_faults(refuse_tables=["F0116"])
    try:
        monkeypatch.setenv("ML_JDE_SUPPLIER_ADDRESSES", "off")
        vendor = world.new_vendor()
        made = world.run(*VENDOR_RUN)["procore_jde/vendors_written"]
        assert made.get("fail", 0) == 0, world.queue("vendors")
        an8 = int(world.xrefs("vendor")[str(vendor["id"])])
        day, clock = world.jde_edit_stamp(datetime.now(UTC) + timedelta(seconds=2))
        world.sql(
            'UPDATE "F0101" SET "ALPH" = ?, "UPMJ" = ?, "UPMT" = ? WHERE "AN8" = ?',
            "Cascade Formwork Renamed LLC",
            day,
            clock,
            an8,
        )

        monkeypatch.setenv("ML_JDE_SUPPLIER_ADDRESSES", "on")
        failed = world.materialize(*SUPPLIER_RUN, ok=False)
        said = " ".join(str(e.event_specific_data.error) for e in failed.all_events if e.is_step_failure)
        assert "F0116" in said and "ML_JDE_SUPPLIER_ADDRESSES=off" in said

        monkeypatch.setenv("ML_JDE_SUPPLIER_ADDRESSES", "off")
        sent = world.run(*SUPPLIER_RUN)["procore_jde/suppliers_written"]
        assert sent.get("fail", 0) == 0 and sent["records"] >= 1, world.queue("suppliers")
        now = world.vendor(vendor["id"])
        assert now["name"] == "Cascade Formwork Renamed LLC"
        assert (now["address"], now["city"]) == (vendor["address"], vendor["city"])  # Procore's kept
    finally:
        world.jde_faults(refuse_tables=[])


def test_the_vendors_to_mark_are_read_by_list_not_one_by_one(world, granite):
    """Three new vendors in one run: the marks read all three in one list call (``filters[id][]``,
    reference §2.3; the other list call is the staging of the day) and patch each; none is read by id."""
    made = [world.new_vendor() for _ in range(3)]
    before = world.procore_state()["calls"]
    world.run(*VENDOR_RUN)
    after = world.procore_state()["calls"]
    grown = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}
    assert all(world.xrefs("vendor").get(str(v["id"])) for v in made), world.queue("vendors")
    assert all(world.vendor(v["id"])["origin_id"].startswith("JDE-V-") for v in made)
    assert grown.get("GET /rest/v1.0/vendors") == 2, grown
    assert "GET /rest/v1.0/vendors/{id}" not in grown, grown
    assert grown.get("PATCH /rest/v1.0/vendors/{id}") == len(made), grown  # the marks
