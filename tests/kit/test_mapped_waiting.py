"""A record mapped while its dependency had not synced is held even when the dependency synced before the
step checked it (found by bench/first_day.py): a vendors run paired a Procurify vendor while the
Fusion invoices run mapped its bill, so the bill's placeholder body (``{"waits_for": ...}``) was staged as
ready and its write failed with a bare KeyError ('InvoiceNumber'). Held, the next replay releases it and
maps it again against the pair."""

from __future__ import annotations

from connector_assets.flows.core import WAITS_FOR, Mapped, dependency_synced, must_wait
from connector_resources.ledger import Ledger

VENDOR = "fusion_procurify:vendor:procurify:1045"


def test_a_placeholder_waits_even_once_its_dependency_synced_and_a_mapped_record_goes(sqlite_url) -> None:
    ledger = Ledger(sqlite_url)
    try:
        placeholder = Mapped("bill-1", {WAITS_FOR: VENDOR}, {}, depends_on=VENDOR)
        invoice = Mapped("bill-2", {"InvoiceNumber": "INV-1", "Supplier": "Acme"}, {}, depends_on=VENDOR)
        assert must_wait(ledger, placeholder) and must_wait(ledger, invoice)  # the vendor is not paired
        ledger.set_manual_override(
            "fusion_procurify", "vendor", "procurify", "1045", "fusion", "300000047200011", entered_by="test"
        )
        assert dependency_synced(ledger, VENDOR)
        assert must_wait(ledger, placeholder)  # paired after it was mapped: mapped again when released
        assert not must_wait(ledger, invoice)
        assert not must_wait(ledger, Mapped("po-1", {"Supplier": "Acme"}, {}))  # no dependency
    finally:
        ledger.dispose()


def test_a_record_mapped_while_its_dependency_was_paired_waits_whatever_its_body(sqlite_url) -> None:
    """The general case: a body built without the pair (an order with a blank supplier) looks complete, so
    only the time tells: the pair was recorded after the mapper started."""
    from datetime import UTC, datetime, timedelta

    ledger = Ledger(sqlite_url)
    try:
        order = Mapped("po-7", {"OrderNumber": "PO-7", "Supplier": ""}, {}, depends_on=VENDOR)
        mapped_at = datetime.now(UTC)  # the mapper starts; the vendors run pairs the vendor meanwhile
        ledger.set_manual_override(
            "fusion_procurify", "vendor", "procurify", "1045", "fusion", "300000047200011", entered_by="test"
        )
        assert not must_wait(ledger, order)  # synced by now, so without the time it would be written
        assert must_wait(ledger, order, mapped_at=mapped_at)  # held: mapped again once released
        paired_first = datetime.now(UTC) + timedelta(seconds=1)
        assert not must_wait(ledger, order, mapped_at=paired_first)  # paired before the mapper started
    finally:
        ledger.dispose()
