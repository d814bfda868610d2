"""An operator's decisions on queued records (``Ledger.abandon_item`` / ``reopen_item``): who and why kept
in the record's trail and in the append-only operator actions; a viewer, a missing note or a record with
another open item refused with nothing changed."""

import pytest
import sqlalchemy as sa

from connector_resources.ledger import LedgerInputError
from connector_resources.ledger.operator_actions import NotAllowed, Operator

ANA = Operator("ana", "operator")


def _queued(ledger, key: str = "INV-0042"):
    return ledger.enqueue(
        integration="jde_bill",
        flow="bills",
        entity="bill",
        source_key=key,
        payload={"amount": "75461.36"},
        reason="GL account 6100 has no BILL chart of accounts entry",
    )


def test_abandon_then_reopen_keeps_who_and_why(ledger):
    item = _queued(ledger)
    abandoned = ledger.abandon_item(item.id, by=ANA, note="duplicate of INV-0041, paid by hand")
    assert abandoned.status == "abandoned" and abandoned.reason.startswith("abandoned by ana: duplicate")
    assert ledger.open_items(integration="jde_bill") == []
    reopened = ledger.reopen_item(item.id, by=Operator("ben", "operator"), note="INV-0041 was voided")
    assert reopened.status == "failed" and reopened.resolved_at is None
    assert [i.id for i in ledger.due(integration="jde_bill")] == [item.id]
    trail = [(e.action, e.reason) for e in ledger.history("INV-0042")]
    assert ("skip", "abandoned by ana (operator): duplicate of INV-0041, paid by hand") in trail
    assert ("release", "reopened by ben (operator): INV-0041 was voided") in trail
    actions = ledger.operator_actions(item_id=item.id)
    assert [(a.actor, a.role, a.action, a.source_key, a.note) for a in actions] == [
        ("ben", "operator", "reopen", "INV-0042", "INV-0041 was voided"),
        ("ana", "operator", "abandon", "INV-0042", "duplicate of INV-0041, paid by hand"),
    ]


def test_a_viewer_or_a_missing_note_changes_nothing(ledger):
    item = _queued(ledger)
    refused = "cleo is a viewer: only an operator or an admin may abandon queue item"
    with pytest.raises(NotAllowed, match=refused):
        ledger.abandon_item(item.id, by=Operator("cleo", "viewer"), note="not mine")
    with pytest.raises(LedgerInputError, match="field 'note'"):
        ledger.abandon_item(item.id, by=ANA, note="  ")
    with pytest.raises(LedgerInputError, match="field 'role'"):
        Operator("dan", "superuser")
    assert [i.status for i in ledger.open_items(integration="jde_bill")] == ["failed"]
    assert ledger.operator_actions() == [] and ledger.history("INV-0042") == []


def test_reopen_is_refused_while_the_record_has_another_open_item(ledger):
    first = _queued(ledger)
    ledger.abandon_item(first.id, by=ANA, note="gave up")
    second = _queued(ledger)  # the flow met the record again
    with pytest.raises(LedgerInputError, match=f"has open item {second.id} already"):
        ledger.reopen_item(first.id, by=ANA, note="try again")
    with pytest.raises(LedgerInputError, match="is failed, not abandoned"):
        ledger.reopen_item(second.id, by=ANA, note="try again")
    assert len(ledger.operator_actions()) == 1


def test_operator_actions_cannot_be_rewritten(ledger):
    item = _queued(ledger)
    ledger.abandon_item(item.id, by=ANA, note="gave up")
    with ledger.engine.begin() as conn, pytest.raises(sa.exc.DatabaseError, match="append-only"):
        conn.execute(sa.text("UPDATE mlc_operator_action SET actor = 'mallory'"))
    assert ledger.operator_actions()[0].actor == "ana"
