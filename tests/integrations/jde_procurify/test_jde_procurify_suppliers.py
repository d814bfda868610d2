"""JDE suppliers -> Procurify vendors (``jde_procurify`` flow ``suppliers``): the pure mapper, the pairs, and
the flow end to end (the JDE and Procurify simulators on free ports, the real clients, Dagster, the ledger,
the replay).

What a JDE user does between runs (renames a supplier, changes its e-mail, puts it on hold, keys a bad
e-mail) is written into the JDE simulator's database file directly, as E1's own programs would; every
expected value is read from that database or from Procurify, never written into the test.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from asset_runs import busy_day, metadata_values, run_named
from instances import instance_for_test
from jde_procurify_parts import FLOWS, INSTANCE, OWN, PAIRING, SUPPLIERS_FLOW, map_supplier, supplier_assets
from jde_procurify_world import JdeProcurifyWorld, jde_procurify_world

from connector_assets.flows.core import Mapped, Rejected, validate
from connector_assets.flows.replays import build_replays
from connector_assets.integrations.jde_procurify.supplier_mappers import SupplierDocument
from connector_assets.jde.assets import jde_assets
from connector_assets.jde.supplier_addresses import supplier_addresses_asset
from connector_assets.jde.supplier_details import SupplierDetails
from connector_assets.procurify.vendor_writes import FALLBACK_KEY
from connector_resources.ledger import Ledger, QueueItem
from connector_resources.replay import replay_items
from connector_resources.settings import SettingError
from connector_sandbox.jde_ais import JdeSandboxSettings
from connector_sandbox.jde_ais.dates import to_julian

FALLBACK = "ML_JDE_PROCURIFY_VENDOR_FALLBACK_EMAIL"
SOURCES = ("jde/suppliers", "jde/address_book", "jde/supplier_addresses")
FLOW = ("jde_procurify/suppliers_mapped", "jde_procurify/suppliers_written")
WRITTEN = "jde_procurify/suppliers_written"
supplier_tables = [supplier_addresses_asset]  # F0116, staged by the deployment (``system_sides``)


# -- the pure mapper ---------------------------------------------------------------------------------------


def _document(**changes: Any) -> SupplierDocument:
    details = SupplierDetails(
        number=4343,
        address_lines=("400 Quarry Rd", "Suite 2", "", "Building C"),
        city="Portland",
        state="OR",
        postal_code="97201",
        country="us",
        phone_area_code="503",
        phone_number="555-0100",
        email="ap@granite.example",
    )
    values: dict[str, Any] = {
        "number": 4343,
        "supplier": {"AN8": 4343, "HDPY": "N", "HOLD": ""},
        "book": {"AN8": 4343, "ALPH": "Granite  Supply Co ", "AT1": "V", "ALKY": ""},
        "details": details,
        **changes,
    }
    return SupplierDocument(**values)


def test_a_supplier_maps_to_procurify_field_names_with_email_as_an_array():
    record = map_supplier(_document())
    assert isinstance(record, Mapped)
    assert record.source_key == "4343"
    assert record.body == {
        "name": "Granite Supply Co",
        "external_id": "4343",
        "active": True,
        "email": ["ap@granite.example"],
        "addressLineOne": "400 Quarry Rd",
        "addressLineTwo": "Suite 2, Building C",
        "city": "Portland",
        "state_province": "OR",
        "postalCode": "97201",
        "country": "US",
        "phoneOne": "503 555-0100",
    }
    assert validate(SUPPLIERS_FLOW, [record]).valid == [record]


def test_an_address_part_jde_leaves_blank_is_sent_as_null_and_no_address_leaves_procurify_s_alone():
    one_line = replace_details(_document(), address_lines=("1 Main St", "", "", ""), state="")
    body = map_supplier(one_line).body
    assert body["addressLineOne"] == "1 Main St"
    assert body["addressLineTwo"] is None and body["state_province"] is None
    bare = replace_details(_document(), address_lines=("", "", "", ""), city="", state="", postal_code="")
    bare = replace_details(bare, country="", phone_area_code="", phone_number="")
    assert set(map_supplier(bare).body) == {"name", "external_id", "active", "email"}


def replace_details(document: SupplierDocument, **changes: Any) -> SupplierDocument:
    return replace(document, details=replace(document.details, **changes))


def test_a_supplier_without_email_is_refused_naming_f01151_unless_a_fallback_or_its_vendor_exists():
    document = replace_details(_document(), email="")
    refused = map_supplier(document)
    assert isinstance(refused, Rejected) and refused.source_key == "4343"
    assert "JDE supplier 4343 (Granite Supply Co): no e-mail address in F01151" in refused.reason
    assert FALLBACK in refused.reason

    fallback = map_supplier(document, fallback_email="ap@acme.example")
    assert fallback.body["email"] == ["ap@acme.example"] and fallback.natural_key[FALLBACK_KEY] is True
    paired = map_supplier(document, paired=True)  # Procurify keeps the vendor's own addresses
    assert "email" not in paired.body and paired.fields["email"] is None
    assert validate(SUPPLIERS_FLOW, [paired]).valid == [paired]


@pytest.mark.parametrize(
    ("supplier", "book", "why"),
    [
        ({"HDPY": "Y", "HOLD": ""}, {"AT1": "V"}, "payment hold"),
        ({"HDPY": "N", "HOLD": "C1"}, {"AT1": "V"}, "order hold"),
        ({"HDPY": "N", "HOLD": ""}, {"AT1": "X"}, "no longer search type V"),
    ],
)
def test_a_supplier_on_hold_or_no_longer_a_supplier_is_an_inactive_vendor(supplier, book, why):
    document = _document(
        supplier={"AN8": 4343, **supplier}, book={"AN8": 4343, "ALPH": "Granite Supply Co", **book}
    )
    assert map_supplier(document).body["active"] is False, why


def test_a_malformed_email_or_a_missing_name_is_refused_naming_the_record_and_the_field():
    bad_email = map_supplier(replace_details(_document(), email="ap at granite"))
    no_name = map_supplier(_document(book={"AN8": 4343, "ALPH": "  ", "AT1": "V"}))
    checked = validate(SUPPLIERS_FLOW, [bad_email, no_name])
    reasons = sorted(r.reason for r in checked.rejected)
    assert not checked.valid and len(reasons) == 2
    assert (
        reasons[0].startswith("supplier 4343: field email has the wrong format")
        and "'ap at granite'" in reasons[0]
    )
    assert reasons[1].startswith("supplier 4343: field name has the wrong length")
    no_book = map_supplier(_document(book=None))
    assert isinstance(no_book, Rejected) and "no address book record (F0101)" in no_book.reason


def test_the_fallback_email_setting_takes_one_address(monkeypatch):
    def fallback_email() -> str:
        return INSTANCE.setting("vendor_fallback_email")

    monkeypatch.setenv(FALLBACK, "")
    assert fallback_email() == ""
    monkeypatch.setenv(FALLBACK, " ap@acme.example ")
    assert fallback_email() == "ap@acme.example"
    monkeypatch.setenv(FALLBACK, "ap@acme.example, ar@acme.example")
    with pytest.raises(SettingError, match=FALLBACK):
        fallback_email()


# -- the pairs -----------------------------------------------------------------------------------------------


def _pair(ledger: Ledger, entity: str, source: str, key: str, target: str, target_id: str) -> None:
    """A cross-reference as a flow records it (claim, then the target's id)."""
    ledger.claim_xref("jde_procurify", entity, source, key, target, owner="test")
    ledger.record_target("jde_procurify", entity, source, key, target, target_id=target_id, content_hash="h")


def test_both_directions_name_one_pair_whichever_flow_made_it(tmp_path):
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    try:
        ledger.claim_xref("jde_procurify", "supplier", "JDE", "77", "procurify", owner="run")  # no target yet
        assert PAIRING.paired_vendor(ledger, "77") is None
        _pair(ledger, "supplier", "JDE", "4343", "procurify", "2041")  # made by ``suppliers``
        _pair(ledger, "vendor", "procurify", "3100", "JDE", "5151")  # made by ``vendors``
        assert PAIRING.paired_vendor(ledger, "004343") == "2041"
        assert PAIRING.paired_supplier(ledger, "2041") == "4343"
        assert PAIRING.paired_vendor(ledger, 5151) == "3100"
        assert PAIRING.paired_supplier(ledger, "3100") == "5151"
        assert PAIRING.paired_supplier(ledger, "9999") is None
    finally:
        ledger.dispose()
    assert PAIRING.supplier_dependency("004343") == SUPPLIERS_FLOW.dependency_key("4343")
    assert PAIRING.vendor_dependency(3100) == "jde_procurify:vendor:procurify:3100"
    addresses = OWN.long_addresses()
    assert addresses.id_of(addresses.of_id("2041")) == "2041"
    assert addresses.id_of("V00001014") is None
    with pytest.raises(ValueError, match="AN8 holds digits only"):
        PAIRING.supplier_dependency("JDE-V-1")


# -- end to end ----------------------------------------------------------------------------------------------


class World(JdeProcurifyWorld):
    """The shared world with the JDE simulator's database file at hand."""

    jde_db: Path
    quiet_day: str  # a later day a test changes suppliers on (``day``: the busy day, many changed)

    def sql(self, statement: str, *params: Any) -> list[tuple]:
        """Run ``statement`` on the JDE simulator's database (what E1's own programs would write)."""
        with sqlite3.connect(self.jde_db) as conn:
            return conn.execute(statement, params).fetchall()

    def touch(self, table: str, an8: int, day: str, **values: Any) -> None:
        """Change ``table``'s rows of ``an8`` as a JDE user would on ``day`` (UPMJ/UPMT stamped)."""
        columns = {**values, "UPMJ": to_julian(date.fromisoformat(day)), "UPMT": 101500}
        assignments = ", ".join(f'"{c}" = ?' for c in columns)
        self.sql(f'UPDATE "{table}" SET {assignments} WHERE "AN8" = ?', *columns.values(), an8)

    def written(self, *names: str, day: str | None = None) -> dict[str, int]:
        # This flow's assets and the JDE tables only: the package's other flows are not this test's.
        assets = [*jde_assets, *supplier_tables, *supplier_assets]
        result = run_named(self.resources, names, assets, day or self.day, instance=self.instance)
        metadata = metadata_values(result)[WRITTEN]
        return {key: value for key, value in metadata.items() if isinstance(value, int)}

    def day_suppliers(self, day: str) -> list[int]:
        julian = to_julian(date.fromisoformat(day))
        return [an8 for (an8,) in self.sql('SELECT "AN8" FROM "F0401" WHERE "UPMJ" = ? ORDER BY 1', julian)]

    def held_payment(self, an8: int) -> bool:
        [(hold,)] = self.sql('SELECT "HDPY" FROM "F0401" WHERE "AN8" = ?', an8)
        return hold.strip() == "Y"

    def email(self, an8: int) -> str:
        rows = self.sql(
            'SELECT "EMAL" FROM "F01151" WHERE "AN8" = ? AND "IDLN" = 0 AND "ETP" = \'E\' '
            'ORDER BY "EHIER" DESC, "RCK7" LIMIT 1',
            an8,
        )
        return rows[0][0].strip() if rows else ""

    def name(self, an8: int) -> str:
        [(name,)] = self.sql('SELECT "ALPH" FROM "F0101" WHERE "AN8" = ?', an8)
        return name.strip()

    def vendor(self, vendor_id: str) -> dict:
        record = self.procurify_record("vendors", vendor_id)
        assert record is not None, f"Procurify has no vendor {vendor_id}"
        return record["api"]

    def vendor_of(self, an8: int) -> dict:
        vendor_id = self.xrefs("supplier")[str(an8)]
        assert vendor_id, f"supplier {an8} has no vendor in the ledger"
        return self.vendor(vendor_id)

    def vendor_count(self) -> int:
        return len(self.in_procurify("vendors"))

    def forget(self, an8: int) -> None:
        """The ledger loses the vendor's id, as when a run died between Procurify's answer and the ledger
        write: the next run must find the vendor in Procurify (adopt it), not create it again."""
        with self.ledger.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "update mlc_xref set target_id = null, content_hash = null, state = 'pending' "
                    "where integration = 'jde_procurify' and entity = 'supplier' and source_key = :k"
                ),
                {"k": str(an8)},
            )

    def queued(self, an8: int) -> QueueItem:
        """The supplier's one open retry-queue item."""
        [item] = [
            i
            for i in self.ledger.open_items(integration="jde_procurify", flow="suppliers")
            if i.source_key == str(an8)
        ]
        return item

    def replay(self, item: QueueItem) -> Any:
        """``ml-connector replay`` of ``item`` with this world's resources."""
        resources = lambda: {k: self.resources[k] for k in ("jde", "procurify", "staging")}  # noqa: E731
        return replay_items(self.ledger, [item], build_replays([FLOWS["suppliers"]], resources))


@pytest.fixture
def world(tmp_path):
    db = tmp_path / "e1.sqlite"
    with (
        jde_procurify_world(tmp_path, jde=JdeSandboxSettings(scale=0.05, db_path=db)) as made,
        instance_for_test() as instance,
    ):
        made.__class__ = World
        made.jde_db, made.instance = db, instance
        made.day = busy_day()
        made.quiet_day = (date.today() - timedelta(days=3)).isoformat()
        yield made


def test_suppliers_become_vendors_keyed_by_address_number_once_then_are_skipped(world, monkeypatch):
    monkeypatch.setenv(FALLBACK, "ap-fallback@acme.example")
    suppliers = world.day_suppliers(world.day)
    active = [an8 for an8 in suppliers if not world.held_payment(an8)]
    without_email = [an8 for an8 in active if not world.email(an8)]
    assert len(active) >= 10 and without_email and len(active) < len(suppliers)  # the day has all three
    before = world.vendor_count()

    written = world.written(*SOURCES, *FLOW)
    assert written["create"] == len(active) and written["fail"] == written["adopt"] == 0
    assert world.vendor_count() == before + len(active)
    for an8 in active:
        vendor = world.vendor_of(an8)
        assert vendor["external_id"] == str(an8) and vendor["name"] == world.name(an8)
        assert vendor["email"] == [world.email(an8) or "ap-fallback@acme.example"]
        assert vendor["active"] is True
    # An inactive supplier with no vendor yet is left out, not created and not queued.
    held = [an8 for an8 in suppliers if an8 not in active]
    assert not set(map(str, held)) & set(world.xrefs("supplier")) and not world.queue("suppliers")

    again = world.written(*FLOW)
    assert again["create"] == again["update"] == 0 and again["skip"] == len(active)
    assert world.vendor_count() == before + len(active)


def test_vendors_created_by_a_crashed_attempt_are_adopted_by_external_id_not_duplicated(world, monkeypatch):
    monkeypatch.setenv(FALLBACK, "ap-fallback@acme.example")
    world.written(*SOURCES, *FLOW)
    crashed, renamed = [an8 for an8 in world.day_suppliers(world.day) if not world.held_payment(an8)][:2]
    ids = world.xrefs("supplier")
    before = {an8: ids[str(an8)] for an8 in (crashed, renamed)}
    # A buyer renamed one of them in Procurify since: it is found by external_id all the same.
    with world.resources["procurify"].session() as session:
        session.update_vendor(int(before[renamed]), {"name": "Renamed by a buyer"})
    count = world.vendor_count()
    world.forget(crashed)
    world.forget(renamed)

    written = world.written(*FLOW)
    assert written["adopt"] == 2 and written["create"] == 0
    ids = world.xrefs("supplier")
    assert {an8: ids[str(an8)] for an8 in before} == before and world.vendor_count() == count
    assert world.vendor(before[renamed])["name"] == world.name(renamed)  # JDE's name is Procurify's again


def test_a_vendor_whose_external_id_belongs_to_another_paired_supplier_is_refused_not_adopted(
    world, monkeypatch
):
    monkeypatch.setenv(FALLBACK, "ap-fallback@acme.example")
    world.written(*SOURCES, *FLOW)
    mine, other = [an8 for an8 in world.day_suppliers(world.day) if not world.held_payment(an8)][:2]
    ids = world.xrefs("supplier")
    # Someone re-keyed the vendors in Procurify: the other supplier's vendor now carries my AN8.
    with world.resources["procurify"].session() as session:
        session.update_vendor(int(ids[str(mine)]), {"external_id": f"old-{mine}"})
        session.update_vendor(int(ids[str(other)]), {"external_id": str(mine)})
    world.forget(mine)
    count = world.vendor_count()

    written = world.written(*FLOW)
    assert written["fail"] == 1 and written["create"] == written["adopt"] == 0
    reason = world.queue("suppliers")[str(mine)]
    assert f"Procurify vendor {ids[str(other)]}" in reason and f"JDE supplier {other}" in reason
    assert "not adopted, not changed" in reason and world.vendor_count() == count
    assert world.vendor(ids[str(other)])["name"] == world.name(other)  # untouched


def test_a_supplier_changed_in_jde_updates_only_what_differs_and_a_hold_or_retirement_deactivates_it(
    world, monkeypatch
):
    monkeypatch.setenv(FALLBACK, "ap-fallback@acme.example")
    world.written(*SOURCES, *FLOW)
    renamed, held, untouched, retired = [
        an8 for an8 in world.day_suppliers(world.day) if not world.held_payment(an8) and world.email(an8)
    ][:4]
    ids = world.xrefs("supplier")
    # A buyer added a second address to the renamed supplier's vendor: it stays.
    with world.resources["procurify"].session() as session:
        session.update_vendor(int(ids[str(renamed)]), {"email": [world.email(renamed), "po@buyer.example"]})
    stamp = world.vendor(ids[str(untouched)])["dateModified"]
    world.touch("F0101", renamed, world.quiet_day, ALPH="Granite Supply Company West")
    world.touch("F01151", renamed, world.quiet_day, EMAL="payables@granite-west.example")
    world.touch("F0401", held, world.quiet_day, HDPY="Y")
    world.touch("F0401", untouched, world.quiet_day, TRAP="N10")  # payment terms: nothing Procurify holds
    world.touch("F0101", retired, world.quiet_day, AT1="X")  # only its address book row: no longer a supplier

    written = world.written(*SOURCES, *FLOW, day=world.quiet_day)
    assert written["update"] == 3 and written["skip"] == 1 and written["create"] == written["fail"] == 0
    vendor = world.vendor(ids[str(renamed)])
    assert vendor["name"] == "Granite Supply Company West" and vendor["active"] is True
    assert vendor["email"] == ["payables@granite-west.example", "po@buyer.example"]
    assert world.vendor(ids[str(held)])["active"] is False
    assert world.vendor(ids[str(retired)])["active"] is False
    assert world.vendor(ids[str(untouched)])["dateModified"] == stamp  # the same vendor: not written


def test_a_bad_supplier_is_queued_naming_record_and_field_then_replayed_once_fixed(world, monkeypatch):
    monkeypatch.setenv(FALLBACK, "")
    no_email, bad_email, fine = [
        an8 for an8 in world.day_suppliers(world.day) if not world.held_payment(an8) and world.email(an8)
    ][:3]
    saved = world.email(no_email)
    world.sql('DELETE FROM "F01151" WHERE "AN8" = ?', no_email)
    # F01151 is not staged: the day holds these three because their supplier master rows changed too.
    for an8 in (no_email, bad_email, fine):
        world.touch("F0401", an8, world.quiet_day)
    world.touch("F01151", bad_email, world.quiet_day, EMAL="payables at granite")
    count = world.vendor_count()

    written = world.written(*SOURCES, *FLOW, day=world.quiet_day)
    assert written["create"] == 1 and world.vendor_count() == count + 1
    queue = world.queue("suppliers")
    assert set(queue) == {str(no_email), str(bad_email)}
    assert (
        f"JDE supplier {no_email} ({world.name(no_email)}): no e-mail address in F01151"
        in queue[str(no_email)]
    )
    assert queue[str(bad_email)].startswith(f"supplier {bad_email}: field email has the wrong format")
    assert "'payables at granite'" in queue[str(bad_email)]

    world.sql(
        'INSERT INTO "F01151" ("AN8", "IDLN", "RCK7", "ETP", "EHIER", "EMAL", "UPMJ", "UPMT") '
        "VALUES (?, 0, 1, 'E', 1, ?, ?, 90000)",
        no_email,
        saved,
        to_julian(date.today()),
    )
    world.touch("F01151", bad_email, world.quiet_day, EMAL="payables@granite.example")
    for an8 in (no_email, bad_email):
        item = world.queued(an8)
        assert world.replay(item).replayed == [item.id]
        assert world.replay(item).already == [item.id]  # already in Procurify: not created again
    assert world.vendor_of(no_email)["email"] == [saved]
    assert world.vendor_of(bad_email)["email"] == ["payables@granite.example"]
    assert world.vendor_count() == count + 3 and not world.queue("suppliers")
    for an8 in (no_email, bad_email):
        assert [e.action for e in world.ledger.history(str(an8))].count("create") == 1


def test_a_supplier_made_from_a_procurify_vendor_waits_for_its_pair_then_is_adopted_without_an_echo(
    world, monkeypatch
):
    monkeypatch.setenv(FALLBACK, "")
    an8 = next(a for a in world.day_suppliers(world.day) if not world.held_payment(a) and world.email(a))
    with world.resources["procurify"].session() as session:
        made = session.create_vendor({"name": world.name(an8), "email": ["buyer-typed@vendor.example"]})
    vendor_id = str(made["id"])
    # The ``vendors`` flow's write: JDE gets the supplier with ALKY PFY<vendor id> ...
    world.touch("F0101", an8, world.quiet_day, ALKY=OWN.long_addresses().of_id(vendor_id))
    count = world.vendor_count()

    world.written(*SOURCES, *FLOW, day=world.quiet_day)  # ... but the pair is not on record yet
    [item] = world.ledger.open_items(integration="jde_procurify", flow="suppliers")
    assert item.status == "held" and item.depends_on == PAIRING.vendor_dependency(vendor_id)
    assert world.vendor_count() == count
    assert world.replay(item).held == [item.id]  # a replay meanwhile keeps it waiting, sends nothing
    assert world.vendor_count() == count

    # The ``vendors`` flow records the pair after JDE answered (so JDE's stamp is older than the pair).
    _pair(world.ledger, "vendor", "procurify", vendor_id, "JDE", str(an8))
    stamp = world.vendor(vendor_id)["dateModified"]
    item = world.queued(an8)
    assert world.replay(item).replayed == [item.id] and world.xrefs("supplier")[str(an8)] == vendor_id
    assert world.vendor_count() == count
    vendor = world.vendor(vendor_id)
    assert vendor["dateModified"] == stamp and vendor["email"] == ["buyer-typed@vendor.example"]  # no echo
    assert PAIRING.paired_supplier(world.ledger, vendor_id) == str(an8)


def test_with_f0116_refused_the_addresses_setting_off_sends_vendors_without_an_address(world, monkeypatch):
    """An AIS user that may not read F0116. With ML_JDE_SUPPLIER_ADDRESSES on the day fails
    naming the setting; off, F0116 is never asked for and the vendors are written without an address."""
    monkeypatch.setenv(FALLBACK, "ap-fallback@acme.example")
    world.jde_faults(refuse_tables=["F0116"])
    assets = [*jde_assets, *supplier_tables, *supplier_assets]
    failed = run_named(
        world.resources, (*SOURCES, *FLOW), assets, world.day, ok=False, instance=world.instance
    )
    said = " ".join(str(e.event_specific_data.error) for e in failed.all_events if e.is_step_failure)
    assert "F0116" in said and "ML_JDE_SUPPLIER_ADDRESSES=off" in said

    monkeypatch.setenv("ML_JDE_SUPPLIER_ADDRESSES", "off")
    active = [an8 for an8 in world.day_suppliers(world.day) if not world.held_payment(an8)]
    written = world.written(*SOURCES, *FLOW)
    assert written["create"] == len(active) and written["fail"] == 0
    with_address = 0
    for an8 in active:
        vendor = world.vendor_of(an8)
        assert (
            vendor["external_id"] == str(an8) and not vendor.get("addressLineOne") and not vendor.get("city")
        )
        assert vendor["email"] == [world.email(an8) or "ap-fallback@acme.example"]  # F01151 still read
        with_address += bool(world.sql('SELECT 1 FROM "F0116" WHERE "AN8" = ?', an8))
    assert with_address  # JDE holds addresses for some: they were left out, not missing
