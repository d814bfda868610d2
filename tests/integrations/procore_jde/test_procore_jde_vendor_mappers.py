"""Procore vendor <-> JDE supplier mappers alone (no I/O): origin_id parsing, the tax ID, inactive
vendors, bank numbers kept out of everything stored (the newer-wins verdict: tests/kit/test_pair_sync.py)."""

import json

import pytest
from procore_jde_parts import VENDORS_FLOW, bank_fields

from connector_assets.flows.core import Mapped, Rejected, validate
from connector_assets.integrations.procore_jde.vendor_mappers import (
    BANK_KEY,
    VendorMatch,
    format_origin,
    map_supplier,
    map_vendor,
    parse_origin,
)
from connector_assets.jde.supplier_details import SupplierDetails
from connector_assets.procore.vendor_target import vendor_differences
from connector_resources.settings import SettingError

FMT = "JDE-V-{an8}"


def _vendor(**changes):
    vendor = {
        "id": 5512098,
        "name": "Granite Supply Co",
        "address": "400 Quarry Rd\nSuite 2",
        "city": "Portland",
        "state_code": "OR",
        "zip": "97201",
        "country_code": "us",
        "business_phone": "503-555-0100",
        "email_address": "ap@granite.example",
        "is_active": True,
        "business_register": {"type": "EIN", "identifier": "93-1234567", "verification_status": "verified"},
        "origin_id": None,
        "updated_at": "2025-03-04T18:22:10Z",
    }
    return {**vendor, **changes}


@pytest.mark.parametrize(
    ("origin", "an8"),
    [("JDE-V-10442", 10442), ("10442", 10442), ("JDE-V-0042", 42), ("", None), (None, None)],
)
def test_origin_id_in_the_format_or_as_a_bare_number_names_the_address_number(origin, an8):
    assert parse_origin(origin, FMT) == an8


@pytest.mark.parametrize("origin", ["SAGE-4711", "JDE-V-", "JDE-V-12a", "X-JDE-V-1", "JDE-V-123456789", "0"])
def test_an_origin_id_of_another_shape_names_no_supplier(origin):
    assert parse_origin(origin, FMT) is None


def test_the_origin_format_round_trips():
    assert format_origin(10442, "V{an8}-JDE") == "V10442-JDE"
    assert parse_origin(format_origin(10442, "V{an8}-JDE"), "V{an8}-JDE") == 10442


def test_a_vendor_maps_to_the_supplier_inputs_with_its_ein_address_and_contact():
    record = map_vendor(_vendor(), company="00001")
    assert isinstance(record, Mapped)
    assert record.body == {
        "Alpha_Name": "Granite Supply Co",
        "Company": "00001",
        "Tax_ID": "93-1234567",
        "Long_Address_Number": "PC5512098",
        "Address_Line_1": "400 Quarry Rd",
        "Address_Line_2": "Suite 2",
        "City": "Portland",
        "State": "OR",
        "Postal_Code": "97201",
        "Country": "US",
        "Phone_Number": "503-555-0100",
        "Email_Address": "ap@granite.example",
    }
    assert not validate(VENDORS_FLOW, [record]).rejected


def test_a_vendor_id_too_long_for_alky_is_sent_without_it():
    record = map_vendor(_vendor(id=10**19), company="00001")
    assert isinstance(record, Mapped) and "Long_Address_Number" not in record.body


def test_a_name_longer_than_jde_holds_is_refused_naming_the_field():
    record = map_vendor(_vendor(name="A" * 41), company="00001")
    [rejected] = validate(VENDORS_FLOW, [record]).rejected
    assert "vendor 5512098" in rejected.reason and "field name" in rejected.reason


def test_an_inactive_vendor_never_in_jde_is_not_sent_and_a_linked_one_is_put_on_payment_hold():
    assert map_vendor(_vendor(is_active=False), company="00001") is None
    linked = map_vendor(_vendor(is_active=False), company="00001", match=VendorMatch(1001, True, True))
    assert isinstance(linked, Mapped)
    assert linked.body["Hold_Payment"] == "Y" and linked.natural_key["active"] is False
    # An active vendor never lifts a hold JDE's payables team set.
    assert "Hold_Payment" not in map_vendor(_vendor(), company="00001").body


def test_an_origin_id_naming_an_address_number_jde_lacks_is_refused_saying_so():
    record = map_vendor(_vendor(origin_id="JDE-V-99999"), company="00001", match=VendorMatch(99999, False))
    assert isinstance(record, Rejected)
    assert "JDE supplier 99999" in record.reason and "no supplier 99999" in record.reason
    adopt = map_vendor(_vendor(origin_id="JDE-V-1001"), company="00001", match=VendorMatch(1001, True))
    assert adopt.natural_key["an8"] == 1001 and adopt.natural_key["origin_id"] == "JDE-V-1001"


def test_bank_numbers_appear_only_as_a_fingerprint_in_what_is_stored(monkeypatch):
    monkeypatch.setenv("ML_PROCORE_JDE_VENDOR_BANK_FIELDS", "fax_number,mobile_phone")
    fields = bank_fields()
    record = map_vendor(
        _vendor(fax_number="021000021", mobile_phone="9876543210"), company="00001", bank=fields
    )
    assert record.body[BANK_KEY] == "routing of 9 ending 0021, account of 10 ending 3210"
    stored = json.dumps(record.to_payload())
    assert "021000021" not in stored and "9876543210" not in stored
    assert record.fields["bank"] == record.body[BANK_KEY]
    assert not validate(VENDORS_FLOW, [record]).rejected


def test_bank_fields_setting_names_two_fields_or_none(monkeypatch):
    monkeypatch.setenv("ML_PROCORE_JDE_VENDOR_BANK_FIELDS", "")
    assert bank_fields() is None
    monkeypatch.setenv("ML_PROCORE_JDE_VENDOR_BANK_FIELDS", "routing_only")
    with pytest.raises(SettingError, match="two Procore vendor fields"):
        bank_fields()


def test_a_jde_supplier_maps_to_a_patch_of_what_jde_holds():
    book = {"ALPH": "Granite Supply Company "}
    details = SupplierDetails(
        1001,
        address_lines=("77 New Harbor Rd", "", "", ""),
        city="Portland",
        state="OR",
        postal_code="97209",
        country="US",
        phone_number="503-555-0100",
        email="",
        bank_account_number="98765432107",
    )
    record = map_supplier(1001, "5512098", book, details)
    assert record.body == {
        "name": "Granite Supply Company",
        "address": "77 New Harbor Rd",
        "city": "Portland",
        "state_code": "OR",
        "zip": "97209",
        "country_code": "US",
        "business_phone": "503-555-0100",
    }
    assert "98765432107" not in json.dumps(record.to_payload()), "JDE's bank account is never sent to Procore"
    # Only what differs is sent: an unchanged vendor is not written (no echo back to JDE).
    current = _vendor(name="Granite Supply Company", country_code="US")
    assert vendor_differences(current, record.body) == {"address": "77 New Harbor Rd", "zip": "97209"}
    assert isinstance(map_supplier(1001, "5512098", None, None), Rejected)
