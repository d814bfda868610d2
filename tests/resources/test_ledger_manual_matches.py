"""Listing and deleting manual matches (``Ledger.manual_matches`` / ``Ledger.unmatch_xref``), on SQLite and
PostgreSQL: what ``ml-connector xref list / delete`` and ``--replace`` stand on."""

from __future__ import annotations

from connector_resources.ledger import Ledger

VENDOR = ("fusion_procurify", "vendor", "procurify")


def test_manual_matches_lists_only_manual_rows_of_the_integration_in_key_order(ledger: Ledger) -> None:
    ledger.set_manual_override(*VENDOR, "10", "fusion", "300", entered_by="ana", note="same tax id")
    ledger.set_manual_override(*VENDOR, "2", "fusion", "200", entered_by="bo")
    ledger.record_target(*VENDOR, "7", "fusion", "700", "h")  # a flow's pair: not listed
    ledger.set_manual_override("jde_procurify", "vendor", "procurify", "3", "JDE", "9", entered_by="cy")
    ledger.set_manual_override(
        "fusion_procurify", "supplier", "fusion", "5", "procurify", "55", entered_by="di"
    )

    vendors = ledger.manual_matches("fusion_procurify", "vendor")
    assert [(x.source_key, x.target_id, x.entered_by, x.note) for x in vendors] == [
        ("2", "200", "bo", ""),
        ("10", "300", "ana", "same tax id"),
    ]
    assert all(x.updated_at is not None for x in vendors)
    every = ledger.manual_matches("fusion_procurify")
    assert [(x.entity, x.source_key) for x in every] == [("supplier", "5"), ("vendor", "2"), ("vendor", "10")]


def test_unmatch_forgets_a_manual_match_and_frees_its_target(ledger: Ledger) -> None:
    ledger.set_manual_override(*VENDOR, "10", "fusion", "300", entered_by="ana", note="n")
    before = ledger.unmatch_xref(*VENDOR, "10", "fusion")
    assert before is not None and (before.target_id, before.manual, before.entered_by) == ("300", True, "ana")

    row = ledger.get_xref(*VENDOR, "10", "fusion")
    assert row is not None
    assert (row.target_id, row.manual, row.state, row.entered_by, row.note, row.content_hash) == (
        None,
        False,
        "pending",
        None,
        None,
        None,
    )
    assert ledger.manual_matches("fusion_procurify") == []
    assert ledger.synced_dependencies({"fusion_procurify:vendor:procurify:10"}) == frozenset()
    # The supplier is free again: a flow may pair it with another vendor, and this vendor re-pairs.
    ledger.record_target(*VENDOR, "11", "fusion", "300", "h")
    ledger.record_target(*VENDOR, "10", "fusion", "301", "h")
    assert ledger.unmatch_xref(*VENDOR, "10", "fusion") is None  # a flow's pair is not a manual match


def test_unmatch_without_only_manual_forgets_a_flows_pair(ledger: Ledger) -> None:
    ledger.record_target(*VENDOR, "7", "fusion", "700", "h")
    assert ledger.unmatch_xref(*VENDOR, "8", "fusion", only_manual=False) is None  # never seen
    before = ledger.unmatch_xref(*VENDOR, "7", "fusion", only_manual=False)
    assert before is not None and (before.target_id, before.manual) == ("700", False)
    assert ledger.get_xref(*VENDOR, "7", "fusion").target_id is None
    assert ledger.unmatch_xref(*VENDOR, "7", "fusion", only_manual=False) is None  # nothing left
