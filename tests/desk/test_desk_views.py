"""The queue's two views in SQL, on SQLite and PostgreSQL: every open record is in exactly one of "needs a
person" and "clears by itself"; a wait moves to a person's when it outlived what it waits for (its age, or
its dependency synced), and says why it did not clear. And the store of the desk's long actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from ledger_entries import held_on, queued

from connector_cli.desk.views import shown_items, why_not_cleared
from connector_resources.ledger import Ledger, schema
from connector_resources.ledger.queue_browse import QueueFilter
from connector_resources.process_identity import ProcessIdentity
from connector_resources.refusals import Refusal, mapping_missing, waits_for_record

ORDERS = ("jde_coupa", "purchase_orders", "purchase_order")
SUPPLIERS = ("jde_coupa", "suppliers", "supplier")
SUPPLIER = "jde_coupa:supplier:JDE:1870"


def _aged(ledger: Ledger, item_id: int, hours: float) -> None:
    t = schema.retry_queue
    with ledger.transaction() as conn:
        when = datetime.now(UTC) - timedelta(hours=hours)
        conn.execute(sa.update(t).where(t.c.id == item_id).values(created_at=when))


def _ids(ledger: Ledger, where: QueueFilter) -> set[int]:
    return {item.id for item in ledger.queue_page(where, limit=100).items}


def test_every_open_record_is_in_one_view_and_an_outlived_wait_is_a_persons(ledger: Ledger) -> None:
    waits = "purchase order 7: waits for supplier 1870 to sync"
    order = held_on(ledger, ORDERS, "7", SUPPLIER, waits, refusal=waits_for_record(waits, SUPPLIER))
    terms = "supplier 1870: payment terms N45 have no Coupa payment term"
    supplier = queued(
        ledger, SUPPLIERS, "1870", terms,
        refusal=mapping_missing(terms, table="jde_coupa/payment_terms", what="payment terms", value="N45"),
    )  # fmt: skip
    busy = "purchase order 8: Coupa answered 429"
    throttled = queued(
        ledger, ORDERS, "8", busy, refusal=Refusal("rate_limited", busy, {"system": "Coupa", "until": ""})
    )
    old = held_on(ledger, ORDERS, "9", "jde_coupa:supplier:JDE:1999", "po 9", refusal=waits_for_record(
        "po 9", "jde_coupa:supplier:JDE:1999"
    ))  # fmt: skip
    _aged(ledger, old.id, 30)
    done = queued(ledger, SUPPLIERS, "1871", "refused once")
    ledger.resolve(done.id)

    person = QueueFilter(view="person", wait_hours=24)
    flows = QueueFilter(view="flows", wait_hours=24)
    assert _ids(ledger, person) == {supplier.id, old.id}
    assert _ids(ledger, flows) == {order.id, throttled.id}
    assert ledger.view_counts(QueueFilter(wait_hours=24)) == {"person": 2, "flows": 2}
    assert ledger.view_counts(QueueFilter(integration="jde_coupa", flow="suppliers", wait_hours=24)) == {
        "person": 1,
        "flows": 0,
    }
    # without an age limit the old wait clears by itself again; the resolved item is in neither view
    assert _ids(ledger, QueueFilter(view="flows")) == {order.id, throttled.id, old.id}

    # The supplier the order waits for syncs, but no release reached the order: it outlived its wait.
    ledger.record_target("jde_coupa", "supplier", "JDE", "1870", "coupa", target_id="C-1", content_hash="h")
    synced = ledger.outlived_dependencies()
    assert synced == {SUPPLIER}
    person = QueueFilter(view="person", wait_hours=24, outlived=synced)
    flows = QueueFilter(view="flows", wait_hours=24, outlived=synced)
    assert _ids(ledger, person) == {supplier.id, old.id, order.id}
    assert _ids(ledger, flows) == {throttled.id}
    assert ledger.kind_counts(person) == [
        ("waits_for_record · supplier", 2),
        ("mapping_missing · jde_coupa/payment_terms", 1),
    ]
    # the counts by state honour the filters (here: the view)
    assert ledger.queue_counts(flows) == [("jde_coupa", "purchase_orders", "due", 1)]

    page = ledger.queue_page(QueueFilter(), limit=100).items
    shown = {
        s.item.id: s
        for s in shown_items(
            [i for i in page if i.status in ("failed", "held")],
            hours=24,
            synced=synced,
            blockers=ledger.open_dependencies({SUPPLIER, "jde_coupa:supplier:JDE:1999"}),
            mapping_link=lambda item: "/mappings/jde_coupa/payment_terms?key=N45#add",
            match_link=lambda item: "",
        )
    }
    assert {i: s.view for i, s in shown.items()} == {
        order.id: "person",
        supplier.id: "person",
        throttled.id: "flows",
        old.id: "person",
    }
    assert shown[order.id].outlived == f"{SUPPLIER} has synced, but this record was not released: replay it"
    assert shown[order.id].link == f"/items/{order.id}"  # synced: replay it, whatever else is queued
    assert shown[supplier.id].link == "/mappings/jde_coupa/payment_terms?key=N45#add"
    assert shown[supplier.id].action.startswith("Add the row to the table")
    assert shown[throttled.id].expected.startswith("at its next attempt, after the limit lifts; next attempt")
    assert shown[old.id].outlived.startswith("waited 30 h for jde_coupa:supplier:JDE:1999: it has not synced")


def test_a_wait_on_a_refused_record_says_so_and_links_it(ledger: Ledger) -> None:
    waits = "purchase order 7: waits for supplier 1870 to sync"
    order = held_on(ledger, ORDERS, "7", SUPPLIER, waits, refusal=waits_for_record(waits, SUPPLIER))
    supplier = queued(ledger, SUPPLIERS, "1870", "supplier 1870: Coupa refused the tax id")
    _aged(ledger, order.id, 26)
    order = ledger.queue_item_by_id(order.id)
    blockers = ledger.open_dependencies({SUPPLIER})
    assert blockers[SUPPLIER].id == supplier.id
    # The supplier needs a person, so the order does, under it, whatever its age (``blocked_records``).
    said = why_not_cleared(order, synced=False, hours=24, blocker=blockers[SUPPLIER])
    assert said.startswith("it waits for supplier 1870, which needs a person (")
    assert said.endswith("fix that one and this record is written after it")
    assert why_not_cleared(order, synced=False, hours=0, blocker=blockers[SUPPLIER]) == said
    [shown] = shown_items(
        [order], hours=24, synced=frozenset(), blockers=blockers,
        mapping_link=lambda item: "", match_link=lambda item: "",
    )  # fmt: skip
    assert (shown.view, shown.link) == ("person", f"/items/{supplier.id}")
    assert why_not_cleared(order, synced=False, hours=48, blocker=None) == ""


def test_a_desk_task_moves_and_one_whose_process_ended_is_interrupted(ledger: Ledger) -> None:
    task = ledger.start_desk_task(
        actor="otto", role="operator", action="replay", note="terms mapped", total=12, detail={"items": [1]}
    )
    assert (task.state, task.done, task.percent) == ("running", 0, 0)
    ledger.desk_task_progress(task.id, 6, result={"replayed": [1, 2]})
    half = ledger.desk_task(task.id)
    assert (half.state, half.done, half.percent, half.result) == ("running", 6, 50, {"replayed": [1, 2]})
    done = ledger.finish_desk_task(task.id, state="done", result={"line": "12 replayed"})
    assert (done.state, done.result["line"], done.detail["items"]) == ("done", "12 replayed", [1])

    gone = ledger.start_desk_task(actor="otto", role="operator", action="replay", note="x", total=3)
    ended = ProcessIdentity(ProcessIdentity.current().host, 2**22 + 7, 1.0)  # no such pid here
    t = schema.desk_task
    with ledger.transaction() as conn:
        detail = sa.func.replace(t.c.detail, ProcessIdentity.current().as_text(), ended.as_text())
        conn.execute(sa.update(t).where(t.c.id == gone.id).values(detail=detail))
    assert ledger.desk_task(gone.id).state == "interrupted"
    ledger.desk_task_progress(gone.id, 3)  # a late step of an interrupted task changes nothing
    assert ledger.desk_task(gone.id).done == 0
    assert [x.id for x in ledger.recent_desk_tasks()] == [gone.id, task.id]
    assert ledger.desk_task(999_999) is None


def test_a_close_window_hold_is_timed_from_the_windows_end(ledger: Ledger) -> None:
    """Held for the month-end close: a person's only once the window ended longer ago than a wait should
    take, however long ago it was held (the same rule as the day's check and the alerts)."""
    now = datetime.now(UTC)
    held = {}
    for key, ended in (("V1", now + timedelta(hours=5)), ("V2", now - timedelta(hours=30))):
        said = f"voucher {key}: held during the close window"
        refusal = Refusal("close_window", said, {"until": ended.isoformat()})
        held[key] = held_on(ledger, ORDERS, key, "close-window", said, refusal=refusal)
        _aged(ledger, held[key].id, 40)
    ended = ledger.ended_close_windows(24)
    assert ended == {held["V2"].id}
    person = QueueFilter(view="person", wait_hours=24, ended=ended)
    flows = QueueFilter(view="flows", wait_hours=24, ended=ended)
    assert (_ids(ledger, person), _ids(ledger, flows)) == ({held["V2"].id}, {held["V1"].id})
