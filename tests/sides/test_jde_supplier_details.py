"""A supplier's address, phone, e-mail and bank account through ML_AddUpdateSupplier v1.1 and back through
``supplier_details``, against the JDE simulator: what was sent is what is read, a phone-only update moves
only the phone's stamp (and the supplier's change stamp), a too-long value is refused with 59A0 and writes
nothing, bank numbers never show in a repr or a log line, and a table JDE refuses is named with what to do.
"""

import dataclasses
import logging
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import requests
from sandbox_logins import on_simulator

from connector_assets.flows.core import Mapped
from connector_assets.jde.supplier_details import BANK_TABLE, SupplierDetails, supplier_details
from connector_assets.jde.targets import JdeRefused, Suppliers
from connector_resources.jde import JdeAisResource, JdeAllowlistError, JdeAuthError, date_to_julian
from connector_resources.redaction import MASK, get_logger, redact
from connector_sandbox.jde_ais import JdeSandboxSettings, run_in_thread

TRANSIT, ACCOUNT = "026009593", "483920174455"
NEW_SUPPLIER = {
    "Alpha_Name": "Kessler Stahlbau GmbH",
    "Tax_ID": "DE811907980",
    "Long_Address_Number": "PC-562949953421312",
    "Address_Line_1": "Industriestraße 12",
    "Address_Line_2": "Halle 3",
    "City": "Augsburg",
    "State": "BY",
    "Postal_Code": "86167",
    "Country": "DE",
    "Phone_Area_Code": "0821",
    "Phone_Number": "4550-0",
    "Email_Address": "buchhaltung@kessler-stahlbau.example",
    "Bank_Transit_Number": TRANSIT,
    "Bank_Account_Number": ACCOUNT,
}
DETAIL_TABLES = ("F0116", "F0115", "F01151", "F0030")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    db = tmp_path_factory.mktemp("jde") / "e1.sqlite"
    url, stop = run_in_thread(JdeSandboxSettings(scale=0.05, db_path=db))
    try:
        yield on_simulator(JdeAisResource, url), url.removesuffix("/jderest"), db
    finally:
        stop()


@pytest.fixture(scope="module")
def added(world) -> int:
    """The supplier NEW_SUPPLIER added through the Suppliers target, its rows then dated yesterday (as if
    entered the day before), so a change today visibly moves their stamps."""
    jde, _, db = world
    with jde.session() as session:
        an8 = int(Suppliers(session, None, None, None).create(Mapped("pc-1", dict(NEW_SUPPLIER), {})))
    yesterday = date_to_julian(datetime.now(UTC).date() - timedelta(days=1))
    with sqlite3.connect(db) as conn:
        for table in ("F0101", "F0401", *DETAIL_TABLES):
            conn.execute(
                f'UPDATE "{table}" SET "UPMJ" = ?, "UPMT" = 101500 WHERE "AN8" = ?', (yesterday, an8)
            )
    return an8


def _stored(db: Path, table: str, an8: int) -> list[dict]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(f'SELECT * FROM "{table}" WHERE "AN8" = ?', (an8,))]


def test_a_supplier_added_with_its_details_reads_back_as_sent(world, added):
    jde, _, _ = world
    with jde.session() as session:
        details = supplier_details(session, [added, 99999999])
    assert set(details) == {added}  # an address number not in the address book is left out
    got = details[added]
    assert got.address_lines == ("Industriestraße 12", "Halle 3", "", "")
    assert (got.city, got.state, got.postal_code, got.country) == ("Augsburg", "BY", "86167", "DE")
    assert got.address_effective == datetime.now(UTC).date()  # a new F0116 row effective today
    assert (got.phone_area_code, got.phone_number, got.phone) == ("0821", "4550-0", "0821 4550-0")
    assert got.email == "buchhaltung@kessler-stahlbau.example"
    assert (got.bank_transit_number, got.bank_account_number) == (TRANSIT, ACCOUNT)
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    assert got.changed_at == datetime.combine(yesterday, datetime.min.time()).replace(
        hour=10, minute=15, tzinfo=UTC
    )


def test_a_phone_only_update_moves_only_the_phone_and_the_change_stamp(world, added):
    jde, _, db = world
    with jde.session() as session:
        before = supplier_details(session, [added])[added]
        Suppliers(session, None, None, None).update(
            str(added), Mapped("pc-1", {"Phone_Number": "4550-17"}, {})
        )
        after = supplier_details(session, [added])[added]
    assert after.phone == "4550-17"  # the number sent is the whole number: the area code not sent is cleared
    assert dataclasses.replace(after, phone_area_code="0821", phone_number="4550-0", changed_at=None) == (
        dataclasses.replace(before, changed_at=None)
    )
    assert before.changed_at is not None and after.changed_at is not None
    assert after.changed_at > before.changed_at and after.changed_at.tzinfo is not None
    today = date_to_julian(datetime.now(UTC).date())
    stamped = {table: {row["UPMJ"] for row in _stored(db, table, added)} for table in DETAIL_TABLES}
    assert stamped["F0115"] == {today}
    assert all(today not in days for table, days in stamped.items() if table != "F0115"), stamped
    assert len(_stored(db, "F0116", added)) == 1  # the address did not change: no new F0116 row


def test_a_changed_address_is_a_new_row_effective_today_and_blank_inputs_keep_the_rest(world, added):
    jde, _, db = world
    same = {k: NEW_SUPPLIER[k] for k in ("Email_Address", "Bank_Transit_Number", "Bank_Account_Number")}
    with jde.session() as session:
        Suppliers(session, None, None, None).update(
            str(added), Mapped("pc-1", {"City": "Augsburg-Lechhausen", **same}, {})
        )
        got = supplier_details(session, [added])[added]
    today = date_to_julian(datetime.now(UTC).date())
    assert all(row["UPMJ"] != today for table in ("F01151", "F0030") for row in _stored(db, table, added))
    assert (got.address_lines[0], got.city, got.postal_code) == (
        "Industriestraße 12",
        "Augsburg-Lechhausen",
        "86167",
    )
    assert len(_stored(db, "F0116", added)) == 1  # a row effective today already: corrected in place
    assert got.email == "buchhaltung@kessler-stahlbau.example" and got.bank_account_number == ACCOUNT


def test_a_seeded_supplier_that_moves_gets_a_second_address_row_and_keeps_its_history(world):
    jde, _, db = world
    today = datetime.now(UTC).date()
    with sqlite3.connect(db) as conn:
        an8 = conn.execute(
            'SELECT "AN8" FROM "F0116" GROUP BY "AN8" HAVING COUNT(*) = 1 AND MAX("EFTB") < ? '
            'AND "AN8" IN (SELECT "AN8" FROM "F0401") ORDER BY "AN8" LIMIT 1',
            (date_to_julian(today),),
        ).fetchone()[0]
    with jde.session() as session:
        before = supplier_details(session, [an8])[an8]
        Suppliers(session, None, None, None).update(str(an8), Mapped("pc-2", {"Postal_Code": "X-1"}, {}))
        after = supplier_details(session, [an8])[an8]
    assert after.postal_code == "X-1" and after.address_effective == today
    assert dataclasses.replace(
        after, postal_code=before.postal_code, address_effective=None, changed_at=None
    ) == (dataclasses.replace(before, address_effective=None, changed_at=None))
    assert len(_stored(db, "F0116", an8)) == 2  # the address it had stays, effective from its own day


def test_a_too_long_value_is_refused_with_59a0_and_writes_nothing(world, added, contract_breaches):
    jde, _, db = world
    before = {table: _stored(db, table, added) for table in ("F0101", *DETAIL_TABLES)}
    with jde.session() as session:
        target = Suppliers(session, None, None, None)
        # The orchestration contract refuses it (maxLength 12) as the installed orchestration would: 59A0.
        with pytest.raises(JdeRefused, match=r"59A0.*Postal_Code.*too long") as refused:
            body = {"Postal_Code": "86167-1234567", "Bank_Account_Number": "99" + ACCOUNT[2:]}
            target.update(str(added), Mapped("pc-1", body, {}))
        with pytest.raises(JdeRefused, match=r"59A0.*Phone_Area_Code.*needs Phone_Number"):
            target.update(str(added), Mapped("pc-1", {"Phone_Area_Code": "0821"}, {}))
    assert "99" + ACCOUNT[2:] not in str(refused.value)
    assert {table: _stored(db, table, added) for table in ("F0101", *DETAIL_TABLES)} == before
    assert [b.violation.field for b in contract_breaches.seen()] == ["Postal_Code"]


def test_bank_numbers_never_show_in_a_repr_or_a_log_line(world, added, caplog):
    jde, _, _ = world
    with jde.session() as session:
        got = supplier_details(session, [added])[added]
    assert TRANSIT not in repr(got) and ACCOUNT not in repr(got) and "Augsburg" in repr(got)
    logger = get_logger("test_jde_supplier_details")
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.info("supplier %s: %s", added, dataclasses.asdict(got))
    assert ACCOUNT not in caplog.text and TRANSIT not in caplog.text and MASK in caplog.text
    assert (
        redact(f"paying to {got.bank_transit_number}/{got.bank_account_number}") == f"paying to {MASK}/{MASK}"
    )


def test_seeded_suppliers_read_in_a_few_calls(world):
    jde, _, db = world
    with sqlite3.connect(db) as conn:
        an8s = [row[0] for row in conn.execute('SELECT "AN8" FROM "F0401" ORDER BY "AN8" LIMIT 150')]
        phones = dict(conn.execute('SELECT "AN8", "PH1" FROM "F0115" WHERE "IDLN" = 0 AND "PHTP" = \'\''))
        banks = dict(conn.execute('SELECT "AN8", "CBNK" FROM "F0030" WHERE "BKTP" = \'V\''))
    with jde.session() as session:
        pages = session.pages
        details = supplier_details(session, an8s)
        calls = session.pages - pages
    assert set(details) == set(an8s)
    assert {n: d.phone_number for n, d in details.items() if d.phone_number} == {
        n: p for n, p in phones.items() if n in details
    }
    assert {n: d.bank_account_number for n, d in details.items() if d.has_bank_account} == {
        n: b for n, b in banks.items() if n in details
    }
    assert any(d.email for d in details.values()) and all(d.changed_at for d in details.values())
    assert (
        calls <= 7 * 2
    )  # one call per table per 100 address numbers (F0116 twice: stamps, address in effect)


def test_a_table_jde_refuses_is_named_with_what_to_do(world, added):
    jde, root, _ = world
    requests.post(
        f"{root}/sandbox/faults", json={"refuse_tables": [BANK_TABLE]}, timeout=10
    ).raise_for_status()
    try:
        with jde.session() as session:
            with pytest.raises(JdeAuthError, match=r"F0030 \(Bank Transit Master.*read access to F0030"):
                supplier_details(session, [added])
            assert supplier_details(session, [added], bank=False)[added].bank_account_number == ""
    finally:
        requests.post(f"{root}/sandbox/faults", json={"refuse_tables": []}, timeout=10).raise_for_status()


class _AllowlistRefusesBank:
    """A JDE session whose AIS allowlist refuses F0030 (HTTP 405 from the client), reads nothing else."""

    date_pattern = None

    def browse(self, table, **_):
        if table == BANK_TABLE:
            raise JdeAllowlistError("JD Edwards AIS refused to read F0030.", status=405)
        return iter([{"AN8": 4711}] if table == "F0101" else [])


def test_an_allowlist_refusal_names_the_table_and_what_to_do():
    with pytest.raises(
        JdeAllowlistError, match=r"HTTP 405 .* read F0030 .*allowlist refuses F0030"
    ) as refused:
        supplier_details(_AllowlistRefusesBank(), [4711])
    assert "ML_PROCORE_JDE_VENDOR_BANK_FIELDS" in str(refused.value)
    assert supplier_details(_AllowlistRefusesBank(), [4711], bank=False, today=date(2026, 1, 5)) == {
        4711: SupplierDetails(4711)
    }


def test_an_optional_table_switched_off_is_never_asked_for_and_a_refused_one_names_its_setting(
    world, added, monkeypatch
):
    """Each of F0116 / F0115 / F01151 has its own switch; off, the part reads "" and JDE is
    not asked; on and refused, the error names the setting that turns it off."""
    jde, root, _ = world
    requests.post(
        f"{root}/sandbox/faults", json={"refuse_tables": ["F0115", "F01151"]}, timeout=10
    ).raise_for_status()
    try:
        with jde.session() as session:
            with pytest.raises(JdeAuthError, match=r"F0115 .*ML_JDE_SUPPLIER_PHONES=off"):
                supplier_details(session, [added], bank=False)
            monkeypatch.setenv("ML_JDE_SUPPLIER_PHONES", "off")
            monkeypatch.setenv("ML_JDE_SUPPLIER_EMAILS", "off")
            details = supplier_details(session, [added], bank=False)[added]
        assert details.phone == "" and details.email == "" and details.city  # F0116 still read
    finally:
        requests.post(f"{root}/sandbox/faults", json={"refuse_tables": []}, timeout=10).raise_for_status()
