"""The kit's path for a match by hand (``flows.manual_matches``), on a SQLite ledger and two systems held in
memory: a record missing in either system is refused naming it, a pair in the way (the pairing's own
cross-reference or its mirror's, by a flow or by hand) is refused naming it unless replaced, nothing is
stored by a refusal, and a stored match leaves its audit event, the operator action and the held records
released, in one transaction. Every pairing the integrations declare is checked against the same rules on
its simulators in ``test_manual_pairs_sandbox``."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from memory_pairing import PAIRING
from sqlite_ledgers import sqlite_ledger  # noqa: F401  (the module's ledger, used by name)

from connector_assets.flows.manual_matches import delete_match, find_both, manual_matches, set_match
from connector_assets.flows.manual_pairs import SOURCE, TARGET, MatchRefused, Systems
from connector_resources.ledger import Ledger, dependency_key
from connector_resources.ledger.operator_actions import NotAllowed, Operator

ANA = Operator("ana", "operator")


def _match(ledger: Ledger, source: str, target: str, *, by: Operator = ANA, note: str = "same tax id", **kw):
    with Systems() as systems:
        found = find_both(PAIRING, systems, ledger, source, target)
        return set_match(PAIRING, ledger, *found, by=by, note=note, systems=systems, **kw)


def _pair(ledger: Ledger, source: str) -> str | None:
    xref = ledger.get_xref("erp_saas", "supplier", "ERP", source, "saas")
    return xref.target_id if xref is not None else None


@dataclass
class Before:
    xrefs: list
    events: int
    actions: list


def _state(ledger: Ledger) -> Before:
    with ledger.read_transaction() as conn:
        from connector_resources.ledger import schema

        xrefs = [tuple(r) for r in conn.execute(schema.xref.select().order_by(schema.xref.c.id))]
        events = len(conn.execute(schema.audit_event.select()).all())
    return Before(xrefs, events, ledger.operator_actions())


def test_a_record_missing_in_either_system_is_refused_naming_it_and_nothing_is_stored(ledger) -> None:
    before = _state(ledger)
    with pytest.raises(MatchRefused, match="ERP has no supplier with id 9999"):
        _match(ledger, "9999", "17")
    with pytest.raises(MatchRefused, match="SaaS has no supplier with id 99"):
        _match(ledger, "4343", "99")
    with pytest.raises(MatchRefused, match=r"ERP supplier 'V-1': not a number \(type its number\)"):
        _match(ledger, "V-1", "17")
    with pytest.raises(MatchRefused, match="say why the two are one"):
        _match(ledger, "4343", "17", note="  ")
    with pytest.raises(NotAllowed, match="vera is a viewer"):
        _match(ledger, "4343", "17", by=Operator("vera", "viewer"))
    assert _state(ledger) == before


def test_a_match_is_stored_audited_acted_and_releases_what_waits_for_either_record(ledger) -> None:
    for flow, entity, key, waits in (  # two wait for the pair (either record), one for another record
        ("orders", "order", "PO-1", ("supplier", "ERP", "4343")),
        ("bills", "bill", "B-1", ("vendor", "saas", "17")),
        ("bills", "bill", "B-2", ("vendor", "saas", "18")),
    ):
        ledger.enqueue(
            integration="erp_saas",
            flow=flow,
            entity=entity,
            source_key=key,
            payload={},
            reason="waits",
            status="held",
            depends_on=dependency_key("erp_saas", *waits),
        )
    result = _match(ledger, "004343", "17")
    assert result.stored and result.released == 2 and _pair(ledger, "4343") == "17"
    [x] = manual_matches(PAIRING, ledger)
    assert (x.source_key, x.target_id, x.entered_by, x.note, x.manual) == (
        "4343",
        "17",
        "ana",
        "same tax id",
        True,
    )
    statuses = {i.source_key: (i.status, i.reason) for i in ledger.open_items()}
    assert statuses["PO-1"][0] == "failed" and "matched by hand" in statuses["PO-1"][1]
    assert statuses["B-1"][0] == "failed" and statuses["B-2"][0] == "held"
    assert [e.action for e in ledger.history("PO-1")] == ["release"]
    [event] = [e for e in ledger.history("4343") if e.flow == "manual_matches"]
    assert "ERP supplier Acme Ltd (4343) matched by hand with SaaS supplier ACME LIMITED (17)" in event.reason
    assert event.detail["role"] == "operator" and event.detail["target_name"] == "ACME LIMITED"
    [action] = ledger.operator_actions(action="match")
    assert (action.actor, action.role, action.integration, action.source_key, action.note) == (
        "ana",
        "operator",
        "erp_saas",
        "4343",
        "same tax id",
    )
    assert action.detail["target_id"] == "17" and action.detail["pairing"] == "erp_saas/supplier"
    assert not _match(ledger, "4343", "17").stored  # the same match again changes nothing
    assert len(ledger.operator_actions()) == 1


def test_a_pair_in_the_way_is_refused_naming_it_unless_replaced(ledger) -> None:
    # The suppliers flow paired 5000 with 18; the vendors flow (the mirror) made ERP supplier 6000 for 19.
    ledger.record_target("erp_saas", "supplier", "ERP", "5000", "saas", "18", "h")
    ledger.record_target("erp_saas", "vendor", "saas", "19", "ERP", "6000", "h")
    before = _state(ledger)
    with pytest.raises(MatchRefused) as refused:
        _match(ledger, "5000", "19")
    said = str(refused.value)
    assert "ERP supplier 5000 is paired with SaaS supplier 18 (paired by the suppliers flow" in said
    assert "SaaS supplier 19 is paired with ERP supplier 6000 (paired by the vendors flow)" in said
    assert "Add --replace" in said
    assert _state(ledger) == before

    result = _match(ledger, "5000", "19", replace=True)
    assert result.stored and len(result.replaced) == 2
    assert _pair(ledger, "5000") == "19"
    assert ledger.get_xref("erp_saas", "vendor", "saas", "19", "ERP").target_id is None  # forgotten, audited
    forgotten = [e for e in ledger.history("19") if e.flow == "manual_matches" and e.source_id == "19"]
    assert forgotten and "pair forgotten" in forgotten[0].reason

    # A person's match is a pair too: another person must say to replace it.
    with pytest.raises(MatchRefused, match="matched by hand by ana on .*: same tax id"):
        _match(ledger, "4343", "19", by=Operator("bo", "operator"), note="it is Acme's")


def test_a_matches_file_never_replaces_a_persons_match(ledger) -> None:
    _match(ledger, "4343", "17")
    file = Operator("file ERP_SAAS_XREF", "operator")
    with pytest.raises(MatchRefused, match="a person's match wins over the file"):
        _match(ledger, "5000", "17", by=file, note="line 2", replace=True, keep_people=True)
    assert _pair(ledger, "4343") == "17"


def test_deleting_a_match_forgets_it_with_who_and_why_and_leaves_a_flows_pair_alone(ledger) -> None:
    _match(ledger, "4343", "17")
    ledger.record_target("erp_saas", "supplier", "ERP", "5000", "saas", "18", "h")
    with pytest.raises(MatchRefused, match="say why"):
        delete_match(PAIRING, ledger, "4343", by=ANA, note="")
    with pytest.raises(MatchRefused, match="ERP supplier 5000 has no manual match"):
        delete_match(PAIRING, ledger, "5000", by=ANA, note="wrong")
    before = delete_match(PAIRING, ledger, "04343", by=Operator("bo", "operator"), note="wrong Acme")
    assert before.target_id == "17" and _pair(ledger, "4343") is None and _pair(ledger, "5000") == "18"
    [action] = ledger.operator_actions(action="unmatch")
    assert (action.actor, action.note, action.detail["target_id"]) == ("bo", "wrong Acme", "17")
    [event] = [e for e in ledger.history("4343") if "deleted by bo" in e.reason]
    assert "wrong Acme" in event.reason


def test_a_queue_item_names_the_pairing_it_waits_for() -> None:
    @dataclass
    class Item:
        integration: str
        depends_on: str | None
        reason: str = ""

    assert PAIRING.waited_for(Item("erp_saas", "erp_saas:supplier:ERP:4343")) == (SOURCE, "4343")
    assert PAIRING.waited_for(Item("erp_saas", "erp_saas:vendor:saas:17")) == (TARGET, "17")
    assert PAIRING.waited_for(Item("erp_saas", "erp_saas:order:ERP:1")) is None
    assert PAIRING.waited_for(Item("other", "other:supplier:ERP:4343")) is None
    assert PAIRING.dependencies("4343", "17") == ["erp_saas:supplier:ERP:4343", "erp_saas:vendor:saas:17"]


def test_a_record_a_write_step_is_creating_is_refused_until_the_write_is_done(ledger) -> None:
    ledger.claim_xref("erp_saas", "supplier", "ERP", "6000", "saas", owner="run-42")
    with pytest.raises(MatchRefused, match="run-42 is writing ERP supplier Crane Hire"):
        _match(ledger, "6000", "19")
    ledger.release_xrefs("erp_saas", "supplier", "ERP", ["6000"], "saas", owner="run-42")  # the step ended
    assert _match(ledger, "6000", "19").stored
