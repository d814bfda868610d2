"""Which inbox deliveries a flow applies (``flows.documents.applied``): asked of the sources the reader is
built with, never of a table filled by importing the modules that define sources."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from connector_assets.asset_keys import asset_key
from connector_assets.flows.documents import DocumentSource, applied
from connector_resources.ledger import InboxEvent


def _source(name: str, inbox: str, types: frozenset[str] | None) -> DocumentSource:
    return DocumentSource(
        name=name,
        asset=asset_key("toy", name),
        system="toy",
        record_of=lambda payload: payload if isinstance(payload, dict) else None,
        changed_at=lambda record: None,
        change_field="updated",
        unreadable="not a toy record",
        inbox=inbox,
        event_type_of=lambda payload: payload.get("type") if isinstance(payload, dict) else None,
        event_types=types,
    )


def _event(source: str) -> InboxEvent:
    now = datetime.now(UTC)
    return InboxEvent(1, source, "e1", now, None, "pending", 0, None, b"{}", {})


PAYMENTS = _source("toy_payments", "toy", frozenset({"payment.updated"}))
VENDORS = _source("toy_vendors", "toy", frozenset({"vendor.updated"}))
VENDOR: dict[str, Any] = {"type": "vendor.updated"}


def test_a_delivery_no_source_handed_in_selects_is_not_applied_whatever_was_defined():
    # VENDORS exists (constructed above) but the reader applies payments only: nothing registered it.
    assert not applied(_event("toy"), VENDOR, (PAYMENTS,))


def test_a_delivery_one_of_the_inboxs_sources_selects_is_applied():
    assert applied(_event("toy"), VENDOR, (PAYMENTS, VENDORS))
    assert applied(_event("toy"), {"type": "payment.updated"}, (PAYMENTS,))


def test_a_delivery_of_an_inbox_none_of_the_sources_reads_or_not_json_is_left_alone():
    assert applied(_event("another_inbox"), VENDOR, (PAYMENTS,))  # not this reader's inbox to judge
    assert applied(_event("toy"), None, (PAYMENTS,))  # not JSON: the run marks it unreadable itself
