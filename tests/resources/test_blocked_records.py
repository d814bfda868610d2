"""Records held on a parent that needs a person are shown under that parent's exception (its cause, here a
missing mapping row), counted once with it, on every surface: the replay listing, the desk's views, and
released when the parent is written."""

from __future__ import annotations

from datetime import timedelta

from connector_cli.queue_listing import Outlived, summary_lines
from connector_resources.blocked_records import blocking_parents
from connector_resources.exception_causes import exception_causes, scope_of
from connector_resources.ledger.queue_browse import QueueFilter
from connector_resources.refusals import mapping_missing, waits_for_record

PARENT = "jde_coupa:supplier:JDE:4472"


def _stage(ledger):
    """Supplier 4472 refused for unmapped payment terms N45; three orders and two invoices held on it; one
    order held on a supplier nobody refused (it clears by itself)."""
    terms = mapping_missing(
        "supplier 4472: payment terms N45 have no Coupa payment term", table="jde_coupa/payment_terms_map",
        what="payment terms", value="N45",
    )  # fmt: skip
    ledger.enqueue(
        integration="jde_coupa", flow="suppliers", entity="supplier", source_key="4472", payload={},
        reason=terms.sentence, refusal=terms,
    )  # fmt: skip
    for flow, entity, keys in (("purchase_orders", "purchase order", ("PO-1", "PO-2", "PO-3")),
                               ("invoices", "invoice", ("INV-1", "INV-2"))):  # fmt: skip
        for key in keys:
            why = f"{entity} {key} waits for {PARENT} to sync"
            ledger.enqueue(
                integration="jde_coupa", flow=flow, entity=entity, source_key=key, payload={}, reason=why,
                status="held", depends_on=PARENT, refusal=waits_for_record(why, PARENT),
            )  # fmt: skip
    other = "jde_coupa:supplier:JDE:5000"
    why = f"purchase order PO-9 waits for {other} to sync"
    ledger.enqueue(
        integration="jde_coupa", flow="purchase_orders", entity="purchase order", source_key="PO-9",
        payload={}, reason=why, status="held", depends_on=other, refusal=waits_for_record(why, other),
    )  # fmt: skip


def test_the_replay_listing_counts_them_once_under_the_parents_exception(ledger):
    _stage(ledger)
    items = ledger.open_items(limit=100)
    parents = blocking_parents(ledger, {i.depends_on for i in items if i.depends_on})
    assert set(parents) == {PARENT}
    outlived = Outlived(after=timedelta(hours=24), parents=parents)
    lines = summary_lines(items, lambda _: True, outlived, exception_causes(ledger))
    text = "\n".join(lines)
    assert "needs a person: 1 exception(s) holding 6 record(s)" in text
    assert (
        "     6 payment terms N45 has no row in jde_coupa/payment_terms_map: 6 records (1 supplier refused "
        "for it, 5 invoices and purchase orders waiting on it)"
    ) in lines
    flows = text.split("clears by itself:")[1]
    assert "1 record(s)" in text.split("clears by itself:")[1].splitlines()[0] and "PO-9" in flows
    assert "PO-1" not in flows and "INV-1" not in flows


def test_the_desk_shows_them_in_needs_a_person_and_one_exception_holds_them(ledger):
    _stage(ledger)
    blocked = frozenset(blocking_parents(ledger, ledger.held_dependencies()))
    person = ledger.queue_page(QueueFilter(view="person", blocked=blocked)).items
    flows = ledger.queue_page(QueueFilter(view="flows", blocked=blocked)).items
    assert {i.source_key for i in person} == {"4472", "PO-1", "PO-2", "PO-3", "INV-1", "INV-2"}
    assert {i.source_key for i in flows} == {"PO-9"}
    [cause] = exception_causes(ledger)
    assert cause.ids == {i.id for i in person} and cause.count == 6
    assert [i.source_key for i in cause.refused] == ["4472"]
    # browsing, the exception's records are its own, not rows of the page; a filter still finds them all
    scope = scope_of([cause])
    where = QueueFilter(view="person", blocked=blocked, folded=scope)
    assert ledger.queue_page(where).items == [] and ledger.view_counts(where)["person"] == 6
    assert ledger.cause_ids(QueueFilter(view="person", blocked=blocked, flow="invoices"), scope) == {
        i.id for i in person if i.flow == "invoices"
    }


def test_once_the_parent_is_written_nothing_is_blocked_and_its_records_are_due(ledger):
    _stage(ledger)
    [supplier] = ledger.open_items(flow="suppliers")
    ledger.resolve(supplier.id, reason="written")
    released = ledger.release_held_items(PARENT)
    assert len(released) == 5
    assert blocking_parents(ledger, ledger.held_dependencies()) == {}
    assert exception_causes(ledger) == []
