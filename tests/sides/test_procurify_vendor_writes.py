"""What the suppliers flows PATCH onto a Procurify vendor (``procurify.vendor_writes``): only what differs,
with each integration's e-mail rule: the other system's primary address first, a buyer's extra addresses
kept (JDE), or the fallback address only where the vendor has none (Fusion)."""

from __future__ import annotations

from typing import Any

from connector_assets.procurify.vendor_fields import first_email
from connector_assets.procurify.vendor_writes import email_when_none, primary_email_first, vendor_changes

BODY = {
    "name": "Granite Supply Co",
    "external_id": "4343",
    "active": True,
    "email": ["ap@granite.example"],
    "addressLineOne": "12 Quarry Road",
    "addressLineTwo": "Suite 2, Building C",
}


def primary_first(vendor: dict[str, Any], body: dict[str, Any], *, fallback: bool = False) -> dict[str, Any]:
    return vendor_changes(vendor, body, lambda held, wanted: primary_email_first(held, wanted, fallback))


def test_only_what_differs_is_patched_and_a_buyer_s_extra_addresses_are_kept() -> None:
    # Procurify holds it all but the second address line, with a buyer's address after JDE's (in capitals).
    held = {**BODY, "addressLineTwo": None, "email": ["AP@granite.example", "po@granite.example"]}
    assert primary_first(held, BODY) == {"addressLineTwo": "Suite 2, Building C"}
    moved = {**held, "email": ["old@granite.example", "po@granite.example"], "active": False}
    assert primary_first(moved, BODY) == {
        "addressLineTwo": "Suite 2, Building C",
        "email": ["ap@granite.example", "po@granite.example"],
        "active": True,
    }
    # The fallback address never replaces addresses the vendor has; it fills an empty list only.
    assert "email" not in primary_first(moved, {"email": ["ap@acme.example"]}, fallback=True)
    assert primary_first({"email": []}, {"email": ["ap@acme.example"]}, fallback=True) == {
        "email": ["ap@acme.example"]
    }
    assert primary_first(BODY, BODY) == {}  # an unchanged vendor is not written


def test_the_fallback_address_is_sent_only_to_a_vendor_without_one() -> None:
    made = {"name": "Acme", "external_id": "10007", "active": True, "email": ["ap@example.com"]}
    vendor = {"name": "Acme", "external_id": "", "active": True, "email": ["sales@acme.com"]}
    assert vendor_changes(vendor, made, email_when_none) == {"external_id": "10007"}  # real e-mail kept
    assert vendor_changes({**vendor, "external_id": "10007"}, {**made, "active": False}, email_when_none) == {
        "active": False
    }
    assert vendor_changes({**vendor, "email": []}, made, email_when_none)["email"] == ["ap@example.com"]


def test_first_email_reads_an_array_or_a_bare_string() -> None:
    assert first_email({"email": ["", " ap@x.example "]}) == "ap@x.example"
    assert first_email({"email": "ap@x.example"}) == "ap@x.example" and first_email({}) == ""


class _Vendors:
    """A Procurify session holding one vendor; the PATCHes sent are kept."""

    def __init__(self, vendor: dict[str, Any]) -> None:
        self.vendor, self.patches = vendor, []

    def get(self, entity: str, vendor_id: str) -> dict[str, Any]:
        return self.vendor

    def update_vendor(self, vendor_id: int, changes: dict[str, Any]) -> None:
        self.patches.append(changes)


def test_an_update_that_finds_nothing_to_send_says_unchanged_so_the_write_counts_a_skip() -> None:
    from connector_assets.flows.core import Mapped, Unchanged
    from connector_assets.procurify.vendor_target import KeyedVendors
    from connector_assets.procurify.vendor_writes import ONLY_OURS_KEY

    record = Mapped("4343", dict(BODY), {}, {"external_id": "4343"})
    held = _Vendors(dict(BODY))
    kept = KeyedVendors(held, None).update("77", record)  # type: ignore[arg-type]
    assert isinstance(kept, Unchanged) and "vendor 77 already holds" in kept.reason and held.patches == []
    moved = _Vendors({**BODY, "addressLineTwo": None})
    assert KeyedVendors(moved, None).update("77", record) is None  # type: ignore[arg-type]
    assert moved.patches == [{"addressLineTwo": "Suite 2, Building C"}]
    ours = Mapped("4343", dict(BODY), {}, {"external_id": "4343", ONLY_OURS_KEY: True})
    assert isinstance(KeyedVendors(moved, None).update("77", ours), Unchanged)  # type: ignore[arg-type]
    assert len(moved.patches) == 1
