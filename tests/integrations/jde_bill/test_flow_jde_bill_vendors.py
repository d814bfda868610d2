"""JDE suppliers -> BILL vendors end to end: the JDE and BILL simulators, the real clients, Dagster, the
ledger, the replay. The first flow of JDE <-> BILL, written on the shared kit (readers, flow factory, job
builder).

What a JDE user does between runs (a supplier moves, a country is keyed wrong and corrected) is written
into the JDE simulator's database file directly, as E1's own programs would; every expected value is read
from that database or from BILL, never written into the test.
"""

import sqlite3
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from built_parts import built
from instances import instance_for_test
from jde_bill_world import JdeBillWorld, forget_target, jde_bill_world

from connector_assets.bill.targets import VendorIndex
from connector_assets.components import JdeBill
from connector_assets.deployment import known_names
from connector_assets.flows.access import flow_access
from connector_assets.flows.core import Mapped, validate
from connector_assets.flows.replays import build_replays
from connector_assets.integrations.jde_bill.vendors import default_country, map_vendor
from connector_assets.jde.assets import supplier_addresses_staged as addresses_enabled
from connector_assets.jde.documents import JdeSupplier
from connector_resources.replay import replay_items
from connector_resources.settings import SettingError
from connector_sandbox.bill import BillSandboxSettings
from connector_sandbox.jde_ais import JdeSandboxSettings
from connector_sandbox.jde_ais.dates import to_julian

VENDORS = built("jde_bill").flow("vendors")
VENDORS_FLOW = VENDORS.spec
SOURCES = ("jde/suppliers", "jde/address_book", "jde/supplier_addresses")
FLOW = ("jde_bill/vendors_mapped", "jde_bill/vendors_written")


class World(JdeBillWorld):
    """The shared world, with the JDE simulator's database file at hand and one Dagster instance."""

    jde_db: Path
    quiet_day: str  # a later day a test changes a supplier on (``day``: the busy day, many changed)

    def sql(self, statement: str, *params: Any) -> list[tuple]:
        """Run ``statement`` on the JDE simulator's database (what E1's own programs would write)."""
        with sqlite3.connect(self.jde_db) as conn:
            return conn.execute(statement, params).fetchall()

    def failures(self, *names: str, day: str | None = None) -> str:
        """What a run that must fail said (its failure events' messages)."""
        result = self.materialize(*names, partition=day, ok=False)
        return " ".join(str(e.event_specific_data.error) for e in result.all_events if e.is_step_failure)

    def written(self, *names: str, day: str | None = None) -> dict[str, int]:
        metadata = self.run(*names, partition=day)["jde_bill/vendors_written"]
        return {key: value for key, value in metadata.items() if isinstance(value, int)}

    def vendor_id(self, an8: int) -> str:
        [xref] = [x for x in self.ledger.xrefs_for(str(an8)) if x.integration == "jde_bill"]
        assert xref.target_id
        return xref.target_id

    def vendor(self, an8: int) -> dict:
        with self.resources["bill"].session() as session:
            return session.get("vendors", self.vendor_id(an8))

    def all_vendors(self) -> list[dict]:
        return list(self.in_bill("vendors", live=False).values())

    def day_suppliers(self, day: str) -> list[int]:
        julian = to_julian(date.fromisoformat(day))
        return [an8 for (an8,) in self.sql('SELECT "AN8" FROM "F0401" WHERE "UPMJ" = ? ORDER BY 1', julian)]


@pytest.fixture
def world(tmp_path):
    db = tmp_path / "e1.sqlite"
    jde, bill = JdeSandboxSettings(scale=0.05, db_path=db), BillSandboxSettings(scale=0.05)
    with jde_bill_world(tmp_path, World, jde=jde, bill=bill) as made, instance_for_test() as instance:
        made.jde_db, made.instance = db, instance
        made.quiet_day = (date.today() - timedelta(days=3)).isoformat()
        yield made


# -- what JDE says a vendor should be, read from the simulator's tables -----------------------------------


def _address_in_effect(world: World, an8: int) -> dict:
    """F0116's row in effect today: the latest effective date not in the future."""
    today = to_julian(date.today())
    [(add1, add2, city, state, postal, country)] = world.sql(
        'SELECT "ADD1", "ADD2", "CTY1", "ADDS", "ADDZ", "CTR" FROM "F0116" WHERE "AN8" = ? AND "EFTB" <= ? '
        'ORDER BY "EFTB" DESC LIMIT 1',
        an8,
        today,
    )
    parts = {
        "line1": add1.strip(),
        "line2": add2.strip(),
        "city": city.strip(),
        "stateOrProvince": state.strip(),
        "zipOrPostalCode": postal.strip(),
        "country": country.strip(),
    }
    return {k: v for k, v in parts.items() if v}


def _payee(world: World, an8: int) -> str:
    [(snto,)] = world.sql('SELECT "SNTO" FROM "F0401" WHERE "AN8" = ?', an8)
    [(name,)] = world.sql('SELECT "ALPH" FROM "F0101" WHERE "AN8" = ?', snto or an8)
    return name.strip()


# -- end to end ----------------------------------------------------------------------------------------


def test_suppliers_become_bill_vendors_with_address_and_payee_once_then_are_skipped(world):
    suppliers = world.day_suppliers(world.day)
    sent_to_others = [an8 for an8 in suppliers if _payee(world, an8) != _payee_own(world, an8)]
    assert len(suppliers) >= 10 and sent_to_others  # the day has suppliers paying a remit-to party
    # One of them has a new address keyed already, effective next month: not in effect yet.
    moving = suppliers[0]
    world.sql(
        'INSERT INTO "F0116" ("AN8", "EFTB", "ADD1", "ADDZ", "CTY1", "CTR", "UPMJ", "UPMT") '
        "VALUES (?, ?, '1 Future Way', '10001', 'New York', 'US', ?, 90000)",
        moving,
        to_julian(date.today() + timedelta(days=30)),
        to_julian(date.fromisoformat(world.day) - timedelta(days=1)),
    )

    written = world.written(*SOURCES, *FLOW)
    assert written["create"] + written["adopt"] == len(suppliers) and written["fail"] == 0
    for an8 in suppliers:
        [(name, tax)] = world.sql('SELECT "ALPH", "TAX" FROM "F0101" WHERE "AN8" = ?', an8)
        vendor = world.vendor(an8)
        assert vendor["name"] == name.strip()
        assert vendor["additionalInfo"]["taxId"] == tax.strip()
        assert vendor["address"] == _address_in_effect(world, an8)
        assert vendor["paymentInformation"]["payeeName"] == _payee(world, an8)
    assert world.vendor(moving)["address"]["line1"] != "1 Future Way"

    again = world.written(*FLOW)
    assert again["create"] == again["update"] == 0 and again["skip"] == len(suppliers)


def _payee_own(world: World, an8: int) -> str:
    [(name,)] = world.sql('SELECT "ALPH" FROM "F0101" WHERE "AN8" = ?', an8)
    return name.strip()


def _forget(world: World, an8: int) -> None:
    """The ledger loses the vendor's id, as when a run died between BILL's answer and the ledger write."""
    forget_target(world.ledger, "vendor", str(an8))


def test_vendors_created_by_a_crashed_attempt_are_adopted_even_renamed_in_bill_not_duplicated(world):
    world.written(*SOURCES, *FLOW)
    crashed, renamed = world.day_suppliers(world.day)[:2]
    before = {an8: world.vendor_id(an8) for an8 in (crashed, renamed)}
    # Someone renamed one of them in BILL since: it is found by its tax ID all the same.
    with world.resources["bill"].session() as session:
        session.update_vendor(before[renamed], {"name": "Renamed by the AP clerk"})
    count = len(world.all_vendors())
    _forget(world, crashed)
    _forget(world, renamed)

    written = world.written(*FLOW)
    assert written["adopt"] == 2 and written["create"] == 0
    assert {an8: world.vendor_id(an8) for an8 in before} == before and len(world.all_vendors()) == count
    assert world.vendor(renamed)["name"] == _payee_own(world, renamed)  # JDE's name is BILL's again


def test_a_supplier_who_moved_or_whose_remit_to_party_was_renamed_is_updated_in_bill(world):
    world.written(*SOURCES, *FLOW)
    suppliers = world.day_suppliers(world.day)
    movers = [an8 for an8 in suppliers if "line2" in _address_in_effect(world, an8)]
    mover = movers[0]
    paying = next(an8 for an8 in suppliers if _payee(world, an8) != _payee_own(world, an8))
    [(party,)] = world.sql('SELECT "SNTO" FROM "F0401" WHERE "AN8" = ?', paying)
    quiet = to_julian(date.fromisoformat(world.quiet_day))
    # Only F0116 changes for the mover (a new address effective that day, no second line), only the
    # remit-to party's F0101 row for the other: neither one's F0401 or F0101 row changes.
    world.sql(
        'INSERT INTO "F0116" ("AN8", "EFTB", "ADD1", "ADDZ", "CTY1", "ADDS", "CTR", "UPMJ", "UPMT") '
        "VALUES (?, ?, '77 New Harbor Rd', '97209', 'Portland', 'OR', 'US', ?, 101500)",
        mover,
        quiet,
        quiet,
    )
    world.sql(
        """UPDATE "F0101" SET "ALPH" = 'Riverbank Lockbox Services West', "UPMJ" = ?, "UPMT" = 101600
        WHERE "AN8" = ?""",
        quiet,
        party,
    )

    written = world.written(*SOURCES, *FLOW, day=world.quiet_day)
    assert written["update"] >= 2 and written["fail"] == 0
    assert world.vendor(mover)["address"] == {
        "line1": "77 New Harbor Rd",
        "city": "Portland",
        "stateOrProvince": "OR",
        "zipOrPostalCode": "97209",
        "country": "US",
    }  # the second line the old address had is gone
    assert world.vendor(paying)["paymentInformation"]["payeeName"] == "Riverbank Lockbox Services West"


def test_a_supplier_with_a_bad_country_is_queued_naming_it_then_replayed_once_fixed(world):
    an8 = world.day_suppliers(world.day)[2]
    [(country,)] = world.sql('SELECT "CTR" FROM "F0116" WHERE "AN8" = ? ORDER BY "EFTB" DESC LIMIT 1', an8)
    world.sql('UPDATE "F0116" SET "CTR" = \'USA\' WHERE "AN8" = ?', an8)

    written = world.written(*SOURCES, *FLOW)
    assert written["create"] == len(world.day_suppliers(world.day)) - 1
    [item] = [
        i for i in world.ledger.open_items(integration="jde_bill", flow="vendors") if i.status == "failed"
    ]
    assert item.source_key == str(an8)
    assert f"vendor {an8}: field address_country" in item.reason and "'USA'" in item.reason

    world.sql('UPDATE "F0116" SET "CTR" = ? WHERE "AN8" = ?', country, an8)
    replays = build_replays([VENDORS], lambda: {k: world.resources[k] for k in ("jde", "bill", "staging")})
    count = len(world.all_vendors())
    assert replay_items(world.ledger, [item], replays).replayed == [item.id]
    assert world.vendor(an8)["address"] == _address_in_effect(world, an8)
    assert replay_items(world.ledger, [item], replays).already == [item.id]  # already in BILL: nothing sent
    assert len(world.all_vendors()) == count + 1
    assert [e.action for e in world.ledger.history(str(an8))].count("create") == 1


def test_with_addresses_off_f0116_is_never_read_and_vendors_go_without_an_address(world, monkeypatch):
    # The AIS allowlist refuses F0116: with addresses on, the day fails saying what to do about it.
    world.jde_faults(refuse_tables=["F0116"])
    said = world.failures(*SOURCES[:2], *FLOW)
    assert "refused to read F0116" in said and "ML_JDE_SUPPLIER_ADDRESSES=off" in said

    monkeypatch.setenv("ML_JDE_BILL_VENDOR_ADDRESSES", "off")
    written = world.written(*FLOW)
    suppliers = world.day_suppliers(world.day)
    assert written["create"] == len(suppliers) and written["fail"] == 0
    for an8 in suppliers:
        vendor = world.vendor(an8)
        assert not vendor.get("address") and vendor["paymentInformation"]["payeeName"] == _payee(world, an8)


# -- pieces ----------------------------------------------------------------------------------------------


def _record(name: str, tax_id: str | None) -> Mapped:
    return Mapped(source_key="4343", body={}, fields={}, natural_key={"name": name, "tax_id": tax_id})


def test_bill_vendors_are_matched_by_tax_id_then_name_and_never_one_with_another_tax_id():
    index = VendorIndex.of(
        [
            {"id": "009A", "name": "Granite Supply", "additionalInfo": {"taxId": "11-1111111"}},
            {"id": "009B", "name": "Granite Supply", "additionalInfo": {"taxId": "22-2222222"}},
            {"id": "009C", "name": "Granite Supply"},
            {"id": "009D", "name": "Granite Holdings", "additionalInfo": {"taxId": "44-4444444"}},
            {"id": "009E", "name": "Old Name", "archived": True, "additionalInfo": {"taxId": "55-5555555"}},
        ]
    )
    assert index.match("granite  supply", "222222222") == "009B"  # tax IDs compare on letters and digits
    assert index.match("Granite Supply Co", "44-4444444") == "009D"  # renamed: found by its tax ID
    assert index.match("Granite Supply", "33-3333333") == "009C"  # no tax match: the untaxed namesake
    assert index.match("Granite Holdings", "33-3333333") is None  # never one whose tax ID differs
    assert index.match("Granite Supply", None) == "009C"
    assert index.match("Old Name", "55-5555555") is None  # archived vendors are not adopted
    index.add({"id": "009F", "name": "Fresh Co", "additionalInfo": {"taxId": "66-6666666"}})
    index.add({"id": "009D", "name": "Granite Holdings", "archived": True})
    assert index.match("Fresh Co", "666666666") == "009F" and index.match("x", "44-4444444") is None


def test_a_supplier_is_mapped_with_address_payee_and_account_type_or_refused_naming_it():
    refused = map_vendor(JdeSupplier(4343, {"AN8": 4343}, None))
    assert refused.reason == "supplier 4343: no address book record (F0101) for this supplier number"
    book = {"ALPH": " Granite Supply ", "TAX": "11-1111111", "TAXC": "C"}
    mailing = {"ADD1": "400 Quarry Rd", "ADD2": "", "ADD3": "Dock 4", "CTY1": "Portland", "ADDS": "OR",
               "ADDZ": "97201", "CTR": "us"}  # fmt: skip
    mapped = map_vendor(JdeSupplier(4343, {"AN8": 4343, "SNTO": 4343}, book, mailing))
    assert mapped.body == {
        "name": "Granite Supply",
        "accountType": "BUSINESS",
        "paymentInformation": {"payeeName": "Granite Supply"},
        "additionalInfo": {"taxId": "11-1111111"},
        "address": {"line1": "400 Quarry Rd", "line2": "Dock 4", "city": "Portland",
                    "stateOrProvince": "OR", "zipOrPostalCode": "97201", "country": "US"},
    }  # fmt: skip
    person = map_vendor(
        JdeSupplier(5, {"AN8": 5, "SNTO": 7}, {**book, "TAXC": "P"}, None, {"ALPH": "Lockbox"})
    )
    assert person.body["accountType"] == "PERSON" and "address" not in person.body
    assert person.body["paymentInformation"] == {"payeeName": "Lockbox"}
    # A blank country (CTR): the default country setting's, else refused naming the field.
    domestic = JdeSupplier(6, {"AN8": 6}, book, {**mailing, "CTR": " "})
    assert map_vendor(domestic, "US").body["address"]["country"] == "US"
    [refusal] = validate(VENDORS_FLOW, [map_vendor(domestic)]).rejected
    assert refusal.reason.startswith("vendor 6: field address_country has the wrong format")
    orphan = map_vendor(JdeSupplier(5, {"AN8": 5, "SNTO": 7}, book))
    assert orphan.reason == (
        "supplier 5: payments go to address number 7 (F0401 send-to, SNTO), which has no address book "
        "record (F0101)"
    )


def test_the_address_settings_say_on_or_off_and_a_two_letter_country(monkeypatch):
    monkeypatch.delenv("ML_JDE_BILL_VENDOR_ADDRESSES", raising=False)
    assert addresses_enabled()  # default on
    monkeypatch.setenv("ML_JDE_BILL_VENDOR_ADDRESSES", "off")
    assert not addresses_enabled()
    monkeypatch.setenv("ML_JDE_BILL_VENDOR_ADDRESSES", "maybe")
    with pytest.raises(SettingError, match="ML_JDE_BILL_VENDOR_ADDRESSES"):
        addresses_enabled()
    monkeypatch.delenv("ML_JDE_BILL_VENDOR_DEFAULT_COUNTRY", raising=False)
    assert default_country(JdeBill()) == ""
    monkeypatch.setenv("ML_JDE_BILL_VENDOR_DEFAULT_COUNTRY", "us")
    assert default_country(JdeBill()) == "US"
    monkeypatch.setenv("ML_JDE_BILL_VENDOR_DEFAULT_COUNTRY", "USA")
    with pytest.raises(SettingError, match="ML_JDE_BILL_VENDOR_DEFAULT_COUNTRY"):
        default_country(JdeBill())


def test_the_integration_is_one_package_merged_into_the_definitions_staging_and_pinging_f0116():
    from connector_assets.definitions import DEPLOYMENT, defs

    assert "jde_bill" in known_names()
    job = defs.resolve_job_def("jde_bill_vendors")
    assert "jde/supplier_addresses" in {key.to_user_string() for key in job.asset_layer.executable_asset_keys}
    assert "jde_bill_vendors_schedule" in {s.name for s in defs.schedules}
    assert "jde_bill_vendors" in flow_access(defs, DEPLOYMENT.specs).reads["JDE"]["F0116"]
